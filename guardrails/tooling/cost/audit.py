"""The JSON-lines audit trail of `guardrails cost enforce` and `guardrails cost unfreeze`.

One line per action carried out (or attempted): time, stack, cost center, spend, budget,
currency, rule, action, resource, outcome and detail. The file is append-only and is also
the enforcer's memory of what it already announced: a notification that succeeded for a
cost center, channel, rule and month is not sent again (keep the file between scheduled
runs, e.g. as a CI cache or in a bucket).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from guardrails.runtime.errors import GuardrailsError

DEFAULT_AUDIT_LOG = Path("~/.cache/guardrails/cost-enforce-audit.jsonl")


@dataclass(frozen=True)
class AuditRecord:
    time: str
    stack: str
    cost_center: str
    action: str
    resource: str
    outcome: str
    """`done` or `failed`."""
    detail: str
    spend: float | None = None
    forecast: float | None = None
    budget: float | None = None
    currency: str | None = None
    rule: str | None = None
    month: str | None = None


class AuditLog:
    """Append-only JSON lines at `path` (parent folders made on first write)."""

    def __init__(self, path: Path) -> None:
        self.path = path.expanduser()

    def check_writable(self) -> None:
        """Fail before the first action, not after it, when the log cannot be written."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise GuardrailsError(f"{self.path}: cannot write the audit log: {exc}") from exc

    def append(self, record: AuditRecord) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            line = json.dumps(asdict(record), sort_keys=True)
            # one write per record: lines from concurrent runs do not interleave
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise GuardrailsError(f"{self.path}: cannot write the audit log: {exc}") from exc

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record so far; a line that is not JSON (a torn write) is skipped."""
        if not self.path.exists():
            return
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise GuardrailsError(f"{self.path}: cannot read the audit log: {exc}") from exc
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record

    def notified(self, stack: str, month: str) -> set[tuple[str, str, str]]:
        """(cost center, channel, rule) already announced for `stack` in `month`."""
        return {
            (r.get("cost_center", ""), r.get("resource", ""), r.get("rule", ""))
            for r in self.records()
            if r.get("action") == "notify"
            and r.get("outcome") == "done"
            and r.get("stack") == stack
            and r.get("month") == month
        }
