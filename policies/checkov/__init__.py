"""checkov custom checks generated from the guardrails rule catalog (see guardrails_checks.py).

checkov imports every Python file in an external checks directory; this package marker is
required for it to do so.
"""

SEEN_CHECK_ID = "guardrails-checkov-resource-seen"
"""The custom check that passes on every resource checkov reads (guardrails_checks.SeenCheck)."""
