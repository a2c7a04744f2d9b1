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
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator

from guardrails.tooling.documents import load_document
from policies.catalog import RULES_BY_ID

MIN_REASON_LENGTH = 10
_TERRAFORM_ADDRESS = re.compile(
    r"^(module\.[\w-]+(\[[^\]]+\])?\.)*(data\.)?[a-z][a-z0-9_]*\.[\w-]+(\[[^\]]+\])?$"
)


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


def _known_rule(rule: str) -> str:
    if rule not in RULES_BY_ID and not rule.startswith("CKV"):
        raise ValueError(f"unknown rule {rule!r}")
    return rule


def _resource(resource: str) -> str:
    is_address = _TERRAFORM_ADDRESS.match(resource) is not None  # `check --plan` on Terraform
    if not resource.startswith("urn:pulumi:") and "*" not in resource and not is_address:
        raise ValueError(
            f"must be a Pulumi URN, a Terraform address or a glob over them (got {resource!r})"
        )
    return resource


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"must be at least {MIN_REASON_LENGTH} characters (got {reason!r})")
    return reason


def _date(value: Any) -> dt.date:
    """A calendar date: YAML's own (`2027-03-31`) or an ISO string (`"2027-03-31"`); never a
    timestamp, a number or a date-time."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"must be a date such as 2027-03-31 (got {value!r})")


class _Entry(BaseModel):
    """One entry of the ledger file."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    rule: Annotated[str, AfterValidator(_known_rule)]
    resource: Annotated[str, AfterValidator(_resource)]
    reason: Annotated[str, AfterValidator(_reason)]
    expires: Annotated[dt.date, BeforeValidator(_date)]
    ticket: str | None = None


class _Ledger(BaseModel):
    """The ledger file: `suppressions:` and nothing else (an empty file is an empty ledger)."""

    model_config = ConfigDict(extra="forbid")

    suppressions: list[_Entry] = []

    @model_validator(mode="before")
    @classmethod
    def _empty(cls, doc: Any) -> Any:
        if doc is None:
            return {}
        if isinstance(doc, dict) and doc.get("suppressions", []) is None:
            return {**doc, "suppressions": []}
        return doc


def load_ledger(path: Path | None) -> list[Suppression]:
    """Read and validate a ledger; a missing default ledger is an empty one."""
    if path is None or not path.exists():
        return []
    ledger = load_document(path, _Ledger, "suppression ledger")
    return [
        Suppression(e.rule, e.resource, e.reason, e.expires, e.ticket or None, index)
        for index, e in enumerate(ledger.suppressions)
    ]


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
