"""The suppression ledger (`policies/suppressions.yaml`): accepted findings, each with a
reason and an expiry, as cdk-nag keeps them. Neither CrossGuard nor a Terraform plan keeps
suppressions, so guardrails owns this ledger and every engine's findings pass through it.

    suppressions:
      - rule: oci-objectstorage-bucket-customer-managed-key
        resource: "urn:pulumi:dev::guardrails::*::adb-backups"   # a URN or address, * and ?
                                                                 # as wildcards
        reason: Dev backups hold synthetic data; a vault per tenancy is not worth it
        expires: 2027-03-31
        ticket: PLAT-1234                                        # optional

An expired entry suppresses nothing and is reported; an entry that matched nothing is
reported as unused; a malformed ledger is an error (exit 2).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.inputs import read_yaml
from policies.catalog import RULES_BY_ID

MIN_REASON_LENGTH = 10
_TERRAFORM_ADDRESS = re.compile(
    r"^(module\.[\w-]+(\[[^\]]+\])?\.)*(data\.)?[a-z][a-z0-9_]*\.[\w-]+(\[[^\]]+\])?$"
)
_KEYS = {"rule", "resource", "reason", "expires", "ticket"}


@dataclass
class Suppression:
    rule: str
    resource: str
    reason: str
    expires: dt.date
    ticket: str | None = None
    index: int = 0
    matched: int = field(default=0, compare=False)

    def matches(self, rule: str, urn: str) -> bool:
        return rule == self.rule and (
            urn == self.resource or _glob(self.resource).match(urn) is not None
        )

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "resource": self.resource,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "ticket": self.ticket,
        }


@functools.cache
def _glob(pattern: str) -> re.Pattern[str]:
    """A resource pattern: `*` is any run of characters, `?` any one character, everything
    else literal, brackets and quotes included, so `aws_route53_zone.example[*]` and
    `module.sg["*"].aws_security_group.bad` match Terraform's `count` and `for_each`
    addresses (fnmatch would read `[*]` as a character class)."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def _entry(index: int, raw: Any, source: str) -> Suppression:
    where = f"{source}: suppressions[{index}]"
    if not isinstance(raw, dict):
        raise GuardrailsError(
            f"{where}: expected a mapping with rule, resource, reason and expires"
        )
    unknown = set(raw) - _KEYS
    if unknown:
        raise GuardrailsError(f"{where}: unknown keys {', '.join(sorted(map(str, unknown)))}")
    for key in ("rule", "resource", "reason", "expires"):
        if raw.get(key) in (None, ""):
            raise GuardrailsError(f"{where}: {key} is required")
    rule = str(raw["rule"])
    if rule not in RULES_BY_ID and not rule.startswith("CKV"):
        raise GuardrailsError(f"{where}: unknown rule {rule!r}")
    reason = str(raw["reason"]).strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise GuardrailsError(
            f"{where}: reason must be at least {MIN_REASON_LENGTH} characters (got {reason!r})"
        )
    expires = raw["expires"]
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            expires = None
    if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
        raise GuardrailsError(
            f"{where}: expires must be a date such as 2027-03-31 (got {raw['expires']!r})"
        )
    resource = str(raw["resource"])
    is_address = _TERRAFORM_ADDRESS.match(resource) is not None  # `check --plan` on Terraform
    if not resource.startswith("urn:pulumi:") and "*" not in resource and not is_address:
        raise GuardrailsError(
            f"{where}: resource must be a Pulumi URN or a glob over URNs (got {resource!r})"
        )
    ticket = raw.get("ticket")
    return Suppression(rule, resource, reason, expires, str(ticket) if ticket else None, index)


def load_ledger(path: Path | None) -> list[Suppression]:
    """Read and validate a ledger; a missing default ledger is an empty one."""
    if path is None or not path.exists():
        return []
    doc = read_yaml(path, "suppression ledger")
    if doc is None:
        return []
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("suppressions", []), list)
        or set(doc) - {"suppressions"}
    ):
        raise GuardrailsError(f"{path}: expected a top-level `suppressions:` list")
    return [_entry(i, raw, str(path)) for i, raw in enumerate(doc.get("suppressions") or [])]


def find_suppression(
    ledger: list[Suppression], rule: str, urn: str, today: dt.date
) -> tuple[Suppression | None, Suppression | None]:
    """(the active entry that suppresses this finding, an expired entry that would have)."""
    active = expired = None
    for entry in ledger:
        if entry.matches(rule, urn):
            entry.matched += 1
            if entry.expired(today):
                expired = expired or entry
            else:
                active = active or entry
    return active, expired
