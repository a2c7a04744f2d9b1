"""The governance tag keys: the tagging code of the components and the tooling that reads
tags back from OCI (e.g. `guardrails fleet`) name them from here, without importing Pulumi."""

from __future__ import annotations

DEFAULT_NAMESPACE = "governance"
COST_CENTER_KEY = "cost_center"
ENVIRONMENT_KEY = "environment"
OWNER_KEY = "owner"
