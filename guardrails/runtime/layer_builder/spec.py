"""What a Lambda layer build is asked for: requirements, runtime, architecture and options.

Everything here is checked before any work starts, so a bad request fails with one clear
message and nothing is downloaded, built or published. The same `LayerSpec` drives the
command line (`guardrails layer build`) and the `LambdaLayer` component.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from guardrails.runtime.errors import GuardrailsError

# AWS limits (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
MAX_DIRECT_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_LAYERS_PER_FUNCTION = 5


@dataclass(frozen=True)
class Runtime:
    """A Lambda Python runtime and the system it runs on."""

    name: str
    version: tuple[int, int]
    glibc: tuple[int, int]
    os: str

    @property
    def dotted(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def cache_tag(self) -> str:
        return f"cpython-{self.version[0]}{self.version[1]}"


RUNTIMES: dict[str, Runtime] = {
    r.name: r
    for r in (
        Runtime("python3.11", (3, 11), (2, 26), "Amazon Linux 2"),
        Runtime("python3.12", (3, 12), (2, 34), "Amazon Linux 2023"),
        Runtime("python3.13", (3, 13), (2, 34), "Amazon Linux 2023"),
    )
}

# Lambda's architecture name -> the machine name in wheel platform tags.
ARCHITECTURES: dict[str, str] = {"x86_64": "x86_64", "arm64": "aarch64"}

# What `strip` may remove, each opt-in. `*.dist-info` is not among them: it carries
# `importlib.metadata` and entry points, which packages read at run time.
STRIP_OPTIONS: dict[str, str] = {
    "caches": "__pycache__ directories and stray .pyc/.pyo files shipped in wheels",
    "tests": "test directories inside packages (tests/, test/)",
    "docs": "documentation directories (docs/, doc/) and .md/.rst files outside dist-info",
    "so": "debug symbols of shared libraries (strip --strip-unneeded)",
}

BYTECODE_MODES: tuple[str, ...] = ("none", "checked-hash", "unchecked-hash")

_PIN = re.compile(r"^(==|===)[^*,]+$")


class LayerSpecError(GuardrailsError):
    """The layer request itself is invalid."""


def statement_id(principal: str, organization_id: str | None) -> str:
    """The permission statement id guardrails uses for a principal (unique per version)."""
    if principal == "*":
        return f"guardrails-org-{organization_id}" if organization_id else "guardrails-public"
    account = re.sub(r"\D", "", principal)
    return f"guardrails-{account}"


def pip_index_options(
    index_url: str | None = None, find_links: Sequence[str] = (), *, no_index: bool = False
) -> list[str]:
    """pip's options for where wheels come from (a mirror, local folders, no index)."""
    options = ["--index-url", index_url] if index_url else []
    for link in find_links:
        options += ["--find-links", link]
    return options + (["--no-index"] if no_index else [])


def platform_tags(runtime: Runtime, architecture: str) -> list[str]:
    """The manylinux tags whose wheels run on `runtime`'s glibc, newest first."""
    machine = ARCHITECTURES[architecture]
    major, newest = runtime.glibc
    tags = [f"manylinux_{major}_{minor}_{machine}" for minor in range(newest, 16, -1)]
    tags.append(f"manylinux2014_{machine}")
    if machine == "x86_64":
        # Older wheels only carry the legacy names; aarch64 starts at manylinux2014.
        tags += ["manylinux_2_12_x86_64", "manylinux2010_x86_64"]
        tags += ["manylinux_2_5_x86_64", "manylinux1_x86_64"]
    return tags


@dataclass(frozen=True)
class Requirements:
    """Requirement lines as pip will read them, and the distributions they name."""

    lines: tuple[str, ...]
    names: tuple[str, ...]


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Lines of a requirements file with continuations joined and comments removed."""
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        if joined:
            yield start, joined
    if pending.strip():
        yield start, pending.strip()


_PASSED_OPTIONS = ("--index-url", "-i", "--extra-index-url")


def parse_requirements(
    source: str | Sequence[str], *, where: str = "requirements", allow_unpinned: bool = False
) -> Requirements:
    """Parse requirement text (a file's content) or a list of requirement strings.

    Every requirement must be pinned with `==` unless `allow_unpinned`: a layer is meant to
    be rebuilt to the same bytes, and a range resolves differently from one day to the next.
    `--hash` options are kept (pip enforces them); index options are passed on to pip.
    """
    # packaging costs 40 ms to import: only the commands that read requirements pay it
    from packaging.requirements import InvalidRequirement, Requirement

    text = source if isinstance(source, str) else "\n".join(source)
    lines: list[str] = []
    names: list[str] = []
    problems: list[str] = []
    for number, line in _logical_lines(text):
        if line.startswith("-"):
            option = line.split("=", 1)[0].split()[0]
            if option in _PASSED_OPTIONS:
                lines.append(line)
                continue
            problems.append(f"{where}:{number}: option {option} is not supported in a layer build")
            continue
        requirement_text, *options = re.split(r"\s+(?=--)", line)
        if any(not re.match(r"--hash[= ]", option) for option in options):
            problems.append(f"{where}:{number}: only --hash options may follow a requirement")
            continue
        try:
            requirement = Requirement(requirement_text)
        except InvalidRequirement as exc:
            problems.append(f"{where}:{number}: {requirement_text!r} is not a requirement ({exc})")
            continue
        if requirement.url:
            problems.append(
                f"{where}:{number}: {requirement.name} comes from a URL; layers are built from"
                " the package index only"
            )
            continue
        specifiers = list(requirement.specifier)
        pinned = len(specifiers) == 1 and _PIN.match(str(specifiers[0])) is not None
        if not pinned and not allow_unpinned:
            problems.append(
                f"{where}:{number}: {requirement_text!r} is not pinned; write "
                f"{requirement.name}==<version> (or allow unpinned requirements explicitly)"
            )
            continue
        lines.append(line)
        names.append(requirement.name)
    if problems:
        raise LayerSpecError("invalid requirements:\n" + "\n".join(f"  {p}" for p in problems))
    if not names:
        raise LayerSpecError(f"{where}: no requirements given; a layer needs at least one")
    return Requirements(tuple(lines), tuple(names))


def read_requirements(path: Path, *, allow_unpinned: bool = False) -> Requirements:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LayerSpecError(f"{path}: cannot read requirements ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise LayerSpecError(
            f"{path}: not UTF-8 text: byte 0x{exc.object[exc.start]:02x} on line {line}"
        ) from exc
    return parse_requirements(text, where=str(path), allow_unpinned=allow_unpinned)


@dataclass(frozen=True)
class LayerSpec:
    """One layer build request, validated on construction."""

    requirements: Requirements
    runtime: str
    architecture: str = "x86_64"
    strip: frozenset[str] = field(default_factory=frozenset)
    bytecode: str = "checked-hash"
    allow_secrets: tuple[str, ...] = ()
    """Path globs (inside the layer) whose credential findings are accepted, e.g. test keys."""

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise LayerSpecError(
                f"unknown runtime {self.runtime!r}: choose one of {', '.join(RUNTIMES)}"
            )
        if self.architecture not in ARCHITECTURES:
            raise LayerSpecError(
                f"unknown architecture {self.architecture!r}: choose one of "
                f"{', '.join(ARCHITECTURES)}"
            )
        unknown = sorted(set(self.strip) - set(STRIP_OPTIONS))
        if unknown:
            raise LayerSpecError(
                f"unknown strip option {', '.join(unknown)}: choose from {', '.join(STRIP_OPTIONS)}"
            )
        if self.bytecode not in BYTECODE_MODES:
            raise LayerSpecError(
                f"unknown bytecode mode {self.bytecode!r}: choose one of "
                f"{', '.join(BYTECODE_MODES)} (timestamp bytecode goes stale in a zip)"
            )

    @property
    def target(self) -> Runtime:
        return RUNTIMES[self.runtime]
