"""Content scan: refuse a layer that would publish credentials.

A layer version is readable by every principal it is shared with and cannot be changed once
published, so a key that slips in is leaked for good. The scan looks at file names (`.env`,
credential and key files) and at the bytes of every file (the shared credential patterns of
`guardrails.runtime.secrets`). AWS's documented example keys (ending in EXAMPLE) are not findings.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from guardrails.runtime.layer_builder.archive import walk_files
from guardrails.runtime.secrets import SECRET_VALUE_PATTERNS

_SECRET_FILES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\.env(\..+)?$"), "an environment file (.env)"),
    (re.compile(r"^credentials$"), "a credentials file"),
    (re.compile(r"^(id_rsa|id_dsa|id_ecdsa|id_ed25519)$"), "an SSH private key file"),
    (re.compile(r"^\.(netrc|pypirc|git-credentials)$"), "a credentials file"),
    (re.compile(r"^.+\.(p12|pfx|jks|keystore)$"), "a key store"),
)
_SECRET_BYTES: tuple[tuple[re.Pattern[bytes], str], ...] = tuple(
    (re.compile(pattern.encode()), what) for pattern, what in SECRET_VALUE_PATTERNS
)
_EXAMPLE = re.compile(rb"EXAMPLE")


@dataclass(frozen=True)
class Finding:
    path: str
    """Path inside the layer, e.g. `python/app/.env`."""
    what: str
    allowed: bool


def _file_findings(name: str, data: bytes) -> list[str]:
    found = [what for pattern, what in _SECRET_FILES if pattern.match(name)]
    for pattern, what in _SECRET_BYTES:
        for match in pattern.finditer(data):
            if not _EXAMPLE.search(match.group(0)):
                found.append(what)
                break
    return found


def scan_tree(
    root: Path,
    allowed: Sequence[str] = (),
    *,
    advance: Callable[[int], None] | None = None,
) -> list[Finding]:
    """Credential findings for every file under `root`, paths relative to `root`.

    `allowed` holds path globs whose findings are accepted (reported, not refused): for
    example a package's own test keys, when the `tests` strip option is not wanted.
    """
    findings: list[Finding] = []
    for path in walk_files(root):
        relative = path.relative_to(root).as_posix()
        for what in _file_findings(path.name, path.read_bytes()):
            ok = any(fnmatch.fnmatchcase(relative, glob) for glob in allowed)
            findings.append(Finding(relative, what, ok))
        if advance is not None:
            advance(1)
    return findings
