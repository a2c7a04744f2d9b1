"""Where things happen in the user's program: frames of a registration's declaring chain, of
a failure's traceback and of a logged warning, mapped from the temporary copy the program runs
in back to the user's own paths; the runtime's own frames (stdlib, SDK, this package) left
out."""

from __future__ import annotations

import functools
import sys
import sysconfig
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pulumi

from guardrails.runtime import pulumi_compat
from guardrails.tooling.program.record import SourceLocation


def _machinery_dirs() -> tuple[Path, ...]:
    """Frames in these places are the runtime's, not the program's (stdlib, SDK, runner, and
    the compatibility module the runner awaits the program through)."""
    return (
        Path(sysconfig.get_paths()["stdlib"]).resolve(),
        Path(pulumi.__file__).resolve().parent,
        Path(__file__).resolve().parent,
        Path(pulumi_compat.__file__).resolve(),
    )


_MACHINERY = _machinery_dirs()


@functools.cache
def _frame_path(uri: str) -> Path | None:
    if not uri:
        return None
    path = Path(unquote(urlparse(uri).path))
    if not path.is_absolute() or any(path.resolve().is_relative_to(d) for d in _MACHINERY):
        return None
    return path


class SourceMapper:
    """Turns absolute file names into program-relative ones.

    The program runs in a temporary copy of its folder (`copy_root`); positions in the copy
    and in the original folder are both "in the program" and shown relative to it. Anything
    else (an installed package) is shown relative to the import root it was found under,
    never as an absolute path of the install.
    """

    def __init__(self, program_root: Path, copy_root: Path | None = None) -> None:
        self.roots = [r for r in (copy_root, program_root) if r is not None]
        self.program_root = program_root

    def locate(self, path: Path, line: int) -> SourceLocation:
        for root in self.roots:
            if path.is_relative_to(root):
                return SourceLocation(path.relative_to(root).as_posix(), line, True)
        bases = [Path(p) for p in sys.path if p and path.is_relative_to(p)]
        if bases:
            base = max(bases, key=lambda b: len(b.parts))
            return SourceLocation(path.relative_to(base).as_posix(), line, False)
        return SourceLocation(path.name, line, False)

    def original(self, filename: str) -> str:
        """The user's own path for a file of the temporary copy (for tracebacks)."""
        path = Path(filename)
        if len(self.roots) == 2 and path.is_relative_to(self.roots[0]):
            return str(self.program_root / path.relative_to(self.roots[0]))
        return filename

    def in_program(self, filename: str) -> bool:
        path = Path(filename)
        return path.is_absolute() and any(path.is_relative_to(r) for r in self.roots)


def source_chain(request: Any, mapper: SourceMapper) -> list[SourceLocation]:
    """The declaring chain of a registration, outermost (the program's entry point) first."""
    frames = [(f.pc.uri, f.pc.line) for f in request.stackTrace.frames]
    if not frames and request.sourcePosition.uri:
        frames = [(request.sourcePosition.uri, request.sourcePosition.line)]
    chain = []
    for uri, line in frames:  # topmost (the declaring line) first
        path = _frame_path(uri)
        if path is not None:
            chain.append(mapper.locate(path, int(line)))
    return list(reversed(chain))


def primary_source(chain: list[SourceLocation]) -> SourceLocation | None:
    """Where users act: the innermost position inside the program, else the declaring line."""
    inside = [s for s in chain if s.in_program]
    return inside[-1] if inside else (chain[-1] if chain else None)


def _program_frames(exc: BaseException, mapper: SourceMapper) -> list[traceback.FrameSummary]:
    """The frames of the traceback (and of its causes) that lie in the program's own folder,
    with the user's own file names (not the temporary copy's)."""
    frames: list[traceback.FrameSummary] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain = [
            traceback.FrameSummary(
                mapper.original(f.filename), f.lineno, f.name, line=f.line, lookup_line=False
            )
            for f in traceback.extract_tb(current.__traceback__)
            if mapper.in_program(f.filename)
        ]
        frames = chain + frames
        current = current.__cause__ or current.__context__
    return frames


def describe_failure(exc: BaseException, mapper: SourceMapper) -> tuple[str | None, str]:
    """Where in the program it failed (`file:line`) and the program's part of the traceback."""
    frames = _program_frames(exc, mapper)
    if not frames:
        return None, ""
    last = frames[-1]
    location = f"{Path(last.filename).relative_to(mapper.program_root)}:{last.lineno}"
    text = "".join(traceback.format_list(frames))
    return location, text
