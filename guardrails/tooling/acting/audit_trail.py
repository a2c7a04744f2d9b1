"""The one audit trail of every command that acts on cloud resources (`cost enforce`,
`cost unfreeze`, `fleet ... --apply`, `layer prune|share|unshare|rollout --apply`):
append-only JSON lines.

Intent, then action, then outcome: a command appends an `intent` record (what, on which
resource, with the idempotency key it sends: OCI's `opc-retry-token`, AWS's client token) and
syncs it to disk *before* the call, then an `outcome` record (`done`, `failed`, `undone`,
`unknown`, `skipped`) after it. An intent without an outcome is an action whose result the log
does not know (the run was killed, or the answer was lost): `unresolved` lists them, and the
next run reconciles each by reading the resource's real state before it plans new steps.

The log is `--audit-log` when given, else `$GUARDRAILS_AUDIT_LOG`, else
`~/.guardrails/audit.jsonl`. Each line carries the time (UTC) and the local user as `actor`
next to the command's own fields; a line is written with one `write` and flushed to disk, so
lines of concurrent runs do not interleave and a record survives a crash right after it. A
command checks the log is writable before its first change: an action that could not be
recorded is not taken. No secret is ever part of a record.
"""

from __future__ import annotations

import getpass
import json
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from guardrails.runtime.errors import GuardrailsError

ENV_VAR = "GUARDRAILS_AUDIT_LOG"
DEFAULT_AUDIT_LOG = Path("~/.guardrails/audit.jsonl")


def audit_path(explicit: Path | None) -> Path:
    """Where records go: the flag, else the environment variable, else the default."""
    if explicit is not None:
        return explicit.expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    return DEFAULT_AUDIT_LOG.expanduser()


Status = Literal["done", "failed", "undone", "unknown", "skipped"]
STATUSES: tuple[Status, ...] = ("done", "failed", "undone", "unknown", "skipped")


@dataclass(frozen=True)
class Intent:
    """An action about to be taken, as recorded before the call."""

    id: str
    command: str
    action: str
    target: str
    """The resource acted on: an OCID, an ARN, a quota or topic name."""
    key: str | None = None
    """The idempotency key sent with the call (`opc-retry-token`, AWS client token)."""
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "record": "intent",
            "intent": self.id,
            "command": self.command,
            "action": self.action,
            "target": self.target,
            "key": self.key,
            **self.details,
        }


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class AuditLog:
    """Append-only JSON lines at `path` (parent folders made on first write)."""

    def __init__(self, path: Path) -> None:
        self.path = path.expanduser()

    def check_writable(self) -> None:
        """Fail before the first action, not after it, when the log cannot be written."""
        if self.path.is_dir():
            raise GuardrailsError(f"{self.path}: the audit log is a directory; nothing was done")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise GuardrailsError(
                f"{self.path}: the audit log is not writable; nothing was done ({exc.strerror})"
            ) from exc

    def append(self, record: Mapping[str, Any]) -> None:
        """Write `record` as one line; `time` and `actor` are added unless it has them."""
        line = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "actor": _actor(),
            **record,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(line, sort_keys=True, default=str) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise GuardrailsError(
                f"{self.path}: cannot write the audit record: {exc.strerror}"
            ) from exc

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record so far; a line that is not JSON (a torn write) is skipped."""
        if not self.path.exists():
            return
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise GuardrailsError(f"{self.path}: cannot read the audit log: {exc}") from exc
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record

    def intent(
        self, command: str, action: str, target: str, *, key: str | None = None, **details: Any
    ) -> Intent:
        """Record, synced to disk, that `action` on `target` is about to be called."""
        intent = Intent(uuid.uuid4().hex, command, action, target, key, dict(details))
        self.append(intent.to_json())
        return intent

    def outcome(self, intent: Intent, status: Status, **details: Any) -> None:
        """Record what became of an intent (after the call, or when a rerun reconciled it)."""
        if status not in STATUSES:
            raise ValueError(f"unknown outcome status {status!r}")
        self.append(
            {
                "record": "outcome",
                "intent": intent.id,
                "command": intent.command,
                "action": intent.action,
                "target": intent.target,
                "status": status,
                **details,
            }
        )

    def unresolved(self, command: str | None = None) -> list[Intent]:
        """Intents (of `command`, or of any) that no outcome record answers, oldest first."""
        intents: dict[str, Intent] = {}
        for record in self.records():
            kind, ident = record.get("record"), record.get("intent")
            if not isinstance(ident, str):
                continue
            if kind == "intent" and (command is None or record.get("command") == command):
                known = {"record", "intent", "command", "action", "target", "key", "time", "actor"}
                intents[ident] = Intent(
                    ident,
                    str(record.get("command")),
                    str(record.get("action")),
                    str(record.get("target")),
                    record.get("key"),
                    {k: v for k, v in record.items() if k not in known},
                )
            elif kind == "outcome":
                intents.pop(ident, None)
        return list(intents.values())
