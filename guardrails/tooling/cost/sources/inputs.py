"""The cost files a run names: local files and folders (read by either engine) and
object-storage URIs (`oci://bucket@namespace/prefix`, `s3://bucket/prefix`: read by Spark,
which lists and reads them itself)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from guardrails.runtime.errors import GuardrailsError

REPORT_SUFFIXES = (".csv.gz",)
FOCUS_SUFFIXES = (".csv", ".csv.gz", ".parquet")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def is_uri(text: str) -> bool:
    """`oci://...`, `s3://...`, `s3a://...`, `file://...`: a location Spark reads."""
    return bool(_URI.match(text))


def expand(paths: Sequence[Path], suffixes: tuple[str, ...], what: str) -> list[Path]:
    """The files named: each file, and every file with one of `suffixes` under a folder."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes)
            )
            if not found:
                raise GuardrailsError(f"{path}: no {what} files ({', '.join(suffixes)}) here")
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise GuardrailsError(f"{path}: no such file or folder")
    return files
