"""What a live account holds, in the shape the gate judges.

The readers (`oci_reader.py`, `aws_reader.py`) turn API answers into `LiveResource`s: the
Pulumi type token, the provider's resource id (what `pulumi import` takes: an OCID, a
security-group id, a bucket name, an ARN where that is the id), and the properties under the
names the Pulumi provider uses for its inputs (camelCase), so that every rule reads a live
resource as it reads a declared one. A property the rules need that the API did not return is
listed in `unknown`: it reaches the pack as Pulumi's unknown value and the rule that reads it
reports `unknown` naming the property, never a silent pass.

`Reading` collects what one audit read: the resources, every API call by operation (the audit
is read-only by construction, and its calls per resource are measured), and notes on what it
could not read (a compartment it may not list, a type whose service refused).

    reading = Reading(cloud="aws", scope="123456789012")
    reading.add(LiveResource(SECURITY_GROUP, "sg-0abc", "web", {"ingress": [...]}))
    capture = reading.capture()        # -> program.record.Capture, one resource per id
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from guardrails.tooling.program.record import UNKNOWN, Capture, CapturedResource
from policies.declared_rules import DECLARATION

PROJECT = "live"


@dataclass
class LiveResource:
    """One resource as the account holds it."""

    type: str
    """Pulumi type token, e.g. `oci:ObjectStorage/bucket:Bucket`."""
    id: str
    """The provider's resource id: an OCID, `sg-...`, a bucket name, a topic ARN."""
    name: str
    """Its display name or name, as users know it."""
    inputs: dict[str, Any]
    """camelCase properties under the Pulumi provider's input names."""
    references: list[str] = field(default_factory=list)
    """Ids of other live resources this one points to (an alarm's topics, a block's bucket):
    they become the record's dependencies, which the stack rules follow."""
    unknown: list[str] = field(default_factory=list)
    """Input names the API did not return for this resource."""
    region: str = ""
    scope: str = ""
    """The compartment OCID or the AWS account id it lives in."""
    parent_id: str | None = None
    """The id of a resource this one belongs to (a stream's pool, an NSG rule's group)."""

    def urn(self, stack: str) -> str:
        return live_urn(stack, self.type, self.id)


def live_urn(stack: str, type_: str, resource_id: str) -> str:
    """`urn:pulumi:<stack>::live::<type>::<id>`; a `::` inside the id (never in an OCID or
    a provider id we use) would break URN parsing, so it is written `:_:`."""
    return f"urn:pulumi:{stack}::{PROJECT}::{type_}::{resource_id.replace('::', ':_:')}"


@dataclass
class Reading:
    """Everything one audit read from one account (thread-safe: readers fan out)."""

    cloud: str
    """`oci` or `aws`."""
    scope: str
    """The tenancy or compartment OCID, or the AWS account id, the audit was run on."""
    resources: list[LiveResource] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    """API calls made, by operation name (`GetBucket`, `DescribeSecurityGroups`)."""
    notes: list[str] = field(default_factory=list)
    """What could not be read, in one line each (these make the audit incomplete)."""
    asides: list[str] = field(default_factory=list)
    """What was read but not judged (types without a rule), in one line each."""
    regions: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def stack(self) -> str:
        """The name reports use for this account: `oci-<scope>` or `aws-<account>`."""
        return f"{self.cloud}-{self.scope}"

    def add(self, resource: LiveResource) -> None:
        with self._lock:
            self.resources.append(resource)

    def called(self, operation: str, times: int = 1) -> None:
        with self._lock:
            self.calls[operation] += times

    def note(self, line: str) -> None:
        """Something could not be read (the audit is incomplete)."""
        with self._lock:
            self.notes.append(line)

    def aside(self, line: str) -> None:
        """Something was read but not judged."""
        with self._lock:
            self.asides.append(line)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def capture(self) -> Capture:
        """The record the gate evaluates: one resource per (type, id), references resolved
        to dependencies, unread properties as unknown values."""
        capture = Capture(project=PROJECT, stack=self.stack, program=f"{self.cloud} account")
        seen: set[tuple[str, str]] = set()
        urns: dict[str, str] = {}
        ordered = sorted(self.resources, key=lambda r: (r.type, r.id))
        for r in ordered:
            urns.setdefault(r.id, r.urn(self.stack))
        for r in ordered:
            if (r.type, r.id) in seen:
                continue
            seen.add((r.type, r.id))
            inputs = dict(r.inputs)
            for name in r.unknown:
                inputs[name] = UNKNOWN
            capture.resources.append(
                CapturedResource(
                    urn=r.urn(self.stack),
                    type=r.type,
                    name=r.name,
                    custom=True,
                    parent=urns.get(r.parent_id) if r.parent_id else None,
                    inputs=inputs,
                    dependencies=sorted({urns[ref] for ref in r.references if ref in urns}),
                )
            )
        return capture

    def summary(self) -> dict[str, Any]:
        """What was read, for the reports."""
        unique = {  # as the capture keeps them; the stack's declaration is not read
            (r.type, r.id): r for r in self.resources if r.type != DECLARATION
        }
        counts = Counter(t for t, _ in unique)
        return {
            "cloud": self.cloud,
            "scope": self.scope,
            "regions": list(self.regions),
            "resources": len(unique),
            "types": dict(sorted(counts.items())),
            "apiCalls": dict(sorted(self.calls.items())),
            "totalApiCalls": self.total_calls,
            "callsPerResource": round(self.total_calls / len(unique), 2) if unique else 0.0,
            "notes": list(self.notes),
            "notJudgedResources": list(self.asides),
            "complete": not self.notes,
        }
