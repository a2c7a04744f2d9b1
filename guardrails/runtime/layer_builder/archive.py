"""Deterministic layer archives.

Two builds of the same inputs must give the same bytes, wherever and whenever they run:
pulumi-aws republishes a layer version whenever the archive hash changes. So entries are
sorted by path, every date is 1980-01-01 (the earliest a zip can hold), modes are 0644 or
0755, and no directory entries, owner or extra fields are written.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class TreeSize:
    files: int
    bytes: int


def walk_files(root: Path) -> Iterator[Path]:
    """Every regular file under `root`, in sorted (deterministic) order."""
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory, name)
            if path.is_file() and not path.is_symlink():
                yield path


def tree_size(root: Path) -> TreeSize:
    files = 0
    total = 0
    for path in walk_files(root):
        files += 1
        total += path.stat().st_size
    return TreeSize(files, total)


def write_zip(
    root: Path, destination: Path, *, advance: Callable[[int], None] | None = None
) -> None:
    """Zip everything under `root` (the layer's top, holding `python/`) into `destination`."""
    paths = sorted(walk_files(root), key=lambda p: p.relative_to(root).as_posix())
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=FIXED_DATE)
            executable = path.stat().st_mode & stat.S_IXUSR
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.create_system = 3  # Unix, so that the modes above are honoured
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, archive.open(info, "w") as target:
                while chunk := source.read(_CHUNK):
                    target.write(chunk)
            if advance is not None:
                advance(1)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def source_code_hash(sha256_hex: str) -> str:
    """The base64 SHA-256 that pulumi-aws expects in `source_code_hash`."""
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")
