"""`guardrails audit`: the catalog on what an OCI or AWS account really holds."""
