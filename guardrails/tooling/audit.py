"""The one audit trail of every command that acts on cloud resources (`cost enforce`,
`cost unfreeze`, `fleet ... --apply`): append-only JSON lines, one per action attempted.

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
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
