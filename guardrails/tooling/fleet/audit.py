"""The audit trail of acting fleet commands: one JSON line per `--apply`, success or not.

Written to `--audit-log`, else `$GUARDRAILS_AUDIT_LOG`, else `~/.guardrails/audit.jsonl`;
lines are appended and flushed to disk before the command returns. A record names who ran
what on which database, the exact requests, and how it ended (with OCI's error code and
opc-request-id on failure). No secret is ever part of a request.
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guardrails.runtime.errors import GuardrailsError

ENV_VAR = "GUARDRAILS_AUDIT_LOG"


def audit_path(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return Path.home() / ".guardrails" / "audit.jsonl"


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def write_audit(path: Path, record: dict[str, Any]) -> None:
    """Append `record` (with time and actor) as one JSON line."""
    line = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "actor": _actor(), **record}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, sort_keys=True, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise GuardrailsError(f"{path}: cannot write the audit record: {exc.strerror}") from exc


def check_writable(path: Path) -> None:
    """Refuse to act when the audit record could not be written afterwards."""
    directory = path.parent
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    blocked = not probe.is_dir() or not os.access(probe, os.W_OK)
    if blocked or path.is_dir() or (path.exists() and not os.access(path, os.W_OK)):
        raise GuardrailsError(f"{path}: the audit log is not writable; nothing was done")
