"""The output guard: every file or folder a command will write, checked against everything it
reads before any work is done, and the one way reports are written.

    guard_outputs(
        [Output("--output", args.output, REPORT_KINDS["json"])],
        [Input("--plan", plan), program_inputs(project)],
    )
    write_report(path, text, "--output")        # atomic (temporary file + rename)

`guard_outputs` refuses, with one line naming the option (exit 2):

- an output that is one of the command's inputs (the same file, through any link), lies
  inside an input folder (`--reports DIR`, `--find-links DIR`, `--download-dir`), or is a
  source file of the program being run (`*.py`, `Pulumi*.yaml`, YAML/TOML/INI settings,
  requirements files: reports of earlier runs next to them are fine);
- two outputs that are the same file;
- a suffix that names another format (`--html x.png`, `--format json --output x.csv`);
  names without a known suffix are accepted;
- a folder where a file belongs, a file where a folder belongs, a missing parent folder, a
  place that cannot be written (read-only folder or file).

No folder is created that the user did not name: a missing parent is refused, except under
the commands' own default locations (`~/.guardrails/`, `~/.cache/guardrails/`, `./dist/`),
which an `Output(..., default=True)` marks.
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from guardrails.runtime.atomic_write import write_atomically
from guardrails.runtime.errors import GuardrailsError

SUFFIX_KINDS: dict[str, str] = {
    ".json": "json",
    ".sarif": "sarif",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".png": "png",
    ".svg": "svg",
    ".jpg": "image",
    ".jpeg": "image",
    ".pdf": "pdf",
    ".txt": "text",
    ".text": "text",
    ".log": "text",
    ".zip": "zip",
    ".whl": "wheel",
    ".gz": "gzip",
    ".parquet": "parquet",
    ".duckdb": "duckdb",
    ".db": "duckdb",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".py": "python",
}
"""What a file name's suffix says it holds."""

REPORT_KINDS: dict[str, frozenset[str]] = {
    "text": frozenset({"text"}),
    "table": frozenset({"text"}),
    "json": frozenset({"json"}),
    "sarif": frozenset({"sarif", "json"}),
    "csv": frozenset({"csv"}),
    "markdown": frozenset({"markdown", "text"}),
    "html": frozenset({"html"}),
    "png": frozenset({"png"}),
    "zip": frozenset({"zip"}),
    "duckdb": frozenset({"duckdb"}),
    "jsonl": frozenset({"jsonl", "json", "text"}),
}
"""The suffix kinds a report format may be written to (`text` reports also to .log)."""

PROGRAM_SOURCES = (
    "*.py",
    "*.pyi",
    "Pulumi*.yaml",
    "Pulumi*.yml",
    "*.yaml",
    "*.yml",
    "*.toml",
    "*.cfg",
    "*.ini",
    "requirements*.txt",
)
"""Files of a program's folder that count as its inputs (the program may read any of them)."""

_NAMES = {
    "json": ".json",
    "sarif": ".sarif or .json",
    "text": ".txt",
    "markdown": ".md",
    "csv": ".csv",
    "html": ".html",
    "png": ".png",
    "zip": ".zip",
    "duckdb": ".duckdb",
    "jsonl": ".jsonl",
}


class OutputRefused(GuardrailsError):
    """An output the guard refused: no report may be written to it, not even one that
    carries the error."""


@dataclass(frozen=True)
class Output:
    """A file (or, with `folder`, a folder) a command writes."""

    flag: str
    """How the user named it: `--output`, `--chart`, `--store`, ..."""
    path: Path | None
    """None: not asked for (skipped)."""
    accepts: frozenset[str] = frozenset()
    """Suffix kinds it may have (`REPORT_KINDS`); empty: any."""
    what: str = "report"
    folder: bool = False
    default: bool = False
    """A default location of ours: its missing parent folders may be created."""


@dataclass(frozen=True)
class Input:
    """A file or folder a command reads (`program`: a program's folder, whose source files
    are inputs, `PROGRAM_SOURCES`)."""

    what: str
    path: Path | None
    """None: not given (skipped)."""
    program: bool = False


def _resolved(path: Path) -> Path:
    return Path(os.path.abspath(path.expanduser())).resolve()


def _same_file(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)  # hard links
    except OSError:
        return False


def _refuse(output: Output, problem: str) -> OutputRefused:
    """`--flag PATH: problem`, as the user typed the path."""
    return OutputRefused(f"{output.flag} {output.path}: {problem}")


def _check_suffix(output: Output, path: Path) -> None:
    if output.folder or not output.accepts:
        return
    suffix = path.suffix.lower()
    kind = SUFFIX_KINDS.get(suffix)
    if kind is not None and kind not in output.accepts:
        wanted = " or ".join(sorted({_NAMES.get(k, "." + k) for k in output.accepts}))
        raise _refuse(output, f"a {suffix} name for the {output.what}; use a {wanted} name")


def _writable_folder(folder: Path) -> bool:
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".guardrails-probe-")
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


def _check_place(output: Output, path: Path) -> None:
    if output.folder:
        if path.exists() and not path.is_dir():
            raise _refuse(output, f"is a file; give a folder for the {output.what}")
        if path.is_dir():
            if not _writable_folder(path):
                raise _refuse(output, "the folder is not writable")
            return
    elif path.is_dir():
        raise _refuse(output, f"is a directory; give a file name for the {output.what}")
    elif path.exists() and not path.is_file():
        raise _refuse(output, f"is not a regular file; give a file name for the {output.what}")
    parent = path.parent
    if not parent.exists() and output.default:
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
    if not parent.exists():
        raise _refuse(output, f"directory {parent} does not exist (nothing is created there)")
    if not parent.is_dir():
        raise _refuse(output, f"{parent} is a file, not a directory")
    if not _writable_folder(parent):
        raise _refuse(output, f"not writable: no permission to create files in {parent}")
    if path.is_file() and not os.access(path, os.W_OK):
        raise _refuse(output, "not writable: the file is read-only")


def _is_program_source(path: Path, root: Path) -> bool:
    return (
        path.is_file()
        and path.is_relative_to(root)
        and any(fnmatch.fnmatch(path.name, pattern) for pattern in PROGRAM_SOURCES)
    )


def _check_inputs(output: Output, path: Path, inputs: Sequence[tuple[Input, Path]]) -> None:
    for item, source in inputs:
        if item.program:
            if _is_program_source(path, source):
                raise _refuse(
                    output, f"is a source file of the program in {item.path}; write elsewhere"
                )
            if output.folder and source.is_relative_to(path):
                raise _refuse(output, f"holds the program in {item.path}; give another folder")
            continue
        if _same_file(path, source):
            if source.is_dir():
                raise _refuse(output, f"is the {item.what} folder this command reads")
            raise _refuse(output, f"is also the {item.what}; it would be overwritten")
        if source.is_dir() and path.is_relative_to(source):
            raise _refuse(output, f"is inside {source}, the {item.what} folder this command reads")
        if output.folder and source.is_relative_to(path) and source != path:
            raise _refuse(output, f"holds the {item.what} {item.path}; give another folder")


def guard_outputs(outputs: Iterable[Output], inputs: Iterable[Input] = ()) -> None:
    """Refuse (GuardrailsError, one line) any output that would overwrite an input, clash
    with another output, have a suffix of another format, or could not be written."""
    resolved_inputs = [(i, _resolved(i.path)) for i in inputs if i.path is not None]
    seen: list[tuple[Output, Path]] = []
    for output in outputs:
        if output.path is None:
            continue
        path = _resolved(output.path)
        # the worst first: an input about to be overwritten, then the place, then the name
        _check_inputs(output, path, resolved_inputs)
        _check_place(output, path)
        _check_suffix(output, output.path)
        for other, other_path in seen:
            if _same_file(path, other_path) or (
                (other.folder and path.is_relative_to(other_path))
                or (output.folder and other_path.is_relative_to(path))
            ):
                raise _refuse(output, f"is also where {other.flag} writes; give each its own")
        seen.append((output, path))


def write_report(path: Path, data: str | bytes, flag: str = "--output") -> None:
    """Write a report atomically; GuardrailsError (exit 2) if the place cannot hold it."""
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise GuardrailsError(f"{flag} {path}: cannot write: {exc.strerror}") from exc
