"""Every limit on a stack setting or a component argument, written once.

The stack schema (`guardrails.runtime.stack_schema`) and the components' argument checks
(`guardrails.runtime.validation`, `components/*`) both read the limits here, and both word a
broken limit with the limit's own `problem()`. A stack file and a direct component call
therefore apply the same rule and report it in the same words; only the place differs
(`guardrails:databases.orders.computeCount` versus `databases['orders'].compute_count`,
mapped onto each other by `guardrails.runtime.stack_schema.problems.config_path`).

Standard library only: this module sits at the bottom of the runtime layer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Choice:
    """A value out of a fixed list."""

    values: tuple[str, ...]

    def problem(self, value: Any) -> str | None:
        if value in self.values:
            return None
        return f"must be one of {', '.join(self.values)} (got {value!r})"


@dataclass(frozen=True)
class Range:
    """A number between `minimum` and `maximum` (inclusive; None: unbounded)."""

    minimum: float | None = None
    maximum: float | None = None
    whole: bool = False

    def problem(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number (got {value!r})"
        if self.whole and float(value) != int(value):
            return f"must be a whole number (got {value!r})"
        if self.minimum is not None and value < self.minimum:
            return f"must be >= {self.minimum:g} (got {value})"
        if self.maximum is not None and value > self.maximum:
            return f"must be <= {self.maximum:g} (got {value})"
        return None


@dataclass(frozen=True)
class Pattern:
    """A string matching `regex`; `description` completes "must be ..."."""

    regex: str
    description: str

    def matches(self, value: Any) -> bool:
        return isinstance(value, str) and re.match(self.regex, value) is not None

    def problem(self, value: Any) -> str | None:
        if self.matches(value):
            return None
        return f"must be {self.description} (got {value!r})"


def repeated_problem(values: Iterable[str], what: str) -> str | None:
    """Why `values` may not be used together: one of them appears twice."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return f"must not repeat a {what} (got {value!r} twice)"
        seen.add(value)
    return None


# --- governance ---------------------------------------------------------------------------

ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
ENVIRONMENT = Choice(ENVIRONMENTS)
PRODUCTION_ENVIRONMENTS: tuple[str, ...] = ("prod",)
"""Environments whose resources are protected: never stopped, frozen or deleted by a tool."""
IAM_VERB = Choice(("inspect", "read", "use", "manage"))
TAG_VALUE = Pattern(
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$",
    "a tag value: a letter or digit, then up to 99 letters, digits, _ . or -",
)
TAG_NAMESPACE = Pattern(
    r"^[A-Za-z][A-Za-z0-9_\-]{0,99}$",
    "a tag namespace name: a letter, then up to 99 letters, digits, _ or -",
)
IAM_RESOURCE_TYPE = Pattern(
    r"^[a-z][a-z0-9\-]*$", "a resource type or family such as database-family"
)

# --- budgets ------------------------------------------------------------------------------

ALERT_RULE_TYPE = Choice(("ACTUAL", "FORECAST"))
ALERT_THRESHOLD_PERCENT = Range(1, 10000)
MONTHLY_AMOUNT = Range(1, whole=True)

# --- Autonomous Database ------------------------------------------------------------------

WORKLOAD = Choice(("OLTP", "DW", "AJD", "APEX"))
LICENSE_MODEL = Choice(("LICENSE_INCLUDED", "BRING_YOUR_OWN_LICENSE"))
ECPU_COUNT = Range(2, 512, whole=True)
STORAGE_TBS = Range(1, 384, whole=True)
BACKUP_RETENTION_DAYS = Range(1, 60, whole=True)
LONG_TERM_BACKUP_DAYS = Range(90, 3650, whole=True)
"""Long-term (manual) ADB backups are kept 90 days to 10 years."""
DB_NAME = Pattern(
    r"^[A-Za-z][A-Za-z0-9]{0,29}$", "a letter followed by at most 29 letters or digits"
)
BUCKET_NAME = Pattern(r"^[A-Za-z0-9_.\-]{1,256}$", "a bucket name: 1-256 letters, digits, _ . or -")

# --- Streaming ----------------------------------------------------------------------------

STREAM_PARTITIONS = Range(1, 200, whole=True)
STREAM_RETENTION_HOURS = Range(24, 168, whole=True)
STREAM_NAME = Pattern(r"^[A-Za-z0-9_.\-]{1,255}$", "1-255 letters, digits, _ . or -")

# --- notifications ------------------------------------------------------------------------

TOPIC_NAME = Pattern(r"^[A-Za-z0-9_\-]{1,256}$", "1-256 letters, digits, - or _")
EMAIL = Pattern(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$", "an e-mail address")
HTTPS_URL = Pattern(r"^https://[^\s/]+(/\S*)?$", "an https:// URL")
