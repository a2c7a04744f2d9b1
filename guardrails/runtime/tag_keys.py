"""The governance tag keys: the tagging code of the components and the tooling that reads
tags back from OCI (e.g. `guardrails fleet`) name them from here, without importing Pulumi."""

from __future__ import annotations

DEFAULT_NAMESPACE = "governance"
COST_CENTER_KEY = "cost_center"
ENVIRONMENT_KEY = "environment"
OWNER_KEY = "owner"
COST_ALERTED_KEY = "cost_alerted"
"""Written by `guardrails cost enforce` (the date a budget alert rule was crossed)."""
COST_EXEMPT_KEY = "cost_exempt"
"""`true` on a resource that `guardrails cost enforce` must never stop."""
