"""The one way guardrails writes a file: into a temporary file next to it, then renamed over
it, so a reader (or the user after Ctrl-C, a full disk or a crash) sees the old file or the
new one, never half of one.

    with atomic_file(path) as handle:        # text; atomic_file(path, binary=True) for bytes
        handle.write(...)
    write_atomically(path, "text")           # the same for data already in memory
    copy_atomically(source, path)            # a file's bytes

The temporary file is in the target's folder (a rename only replaces atomically within one
file system) and is removed if anything fails. The new file gets the mode a plain `open`
would give it (the umask applies), or the old file's mode when it replaces one. Folders are
never created here: which folders may be created is the caller's decision (the CLI's output
guard allows only the defaults' own folders).

It lives in the runtime layer because the layer builder, which the component runs inside
`pulumi up`, writes files too.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_file(path: Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """A handle on a temporary file that replaces `path` when the block ends without an
    exception (and is removed when it does not). OSError when the folder cannot hold it."""
    path = Path(path)
    mode = _mode_for(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        handle: IO[Any]
        with (
            os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        ) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write `data` (UTF-8 for text) to `path` atomically."""
    if isinstance(data, bytes):
        with atomic_file(path, binary=True) as handle:
            handle.write(data)
    else:
        with atomic_file(path) as handle:
            handle.write(data)


def copy_atomically(source: Path, path: Path) -> None:
    """Copy `source`'s bytes to `path` atomically."""
    with atomic_file(path, binary=True) as handle, Path(source).open("rb") as original:
        shutil.copyfileobj(original, handle, 1 << 20)
