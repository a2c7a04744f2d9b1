"""A local fake of the OCI API for the real ``oci`` SDK: one server per test worker on
127.0.0.1, request signatures verified, only the operations guardrails calls."""
