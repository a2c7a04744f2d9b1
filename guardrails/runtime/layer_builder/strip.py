"""Strip what the caller opted into: caches, tests, docs, and debug symbols of shared objects
(checked with the ELF program headers, so a library `strip` would break is kept as it was).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

from guardrails.runtime.layer_builder.archive import TreeSize, tree_size, walk_files
from guardrails.runtime.layer_builder.result import LayerBuildError, StripReport
from guardrails.runtime.layer_builder.spec import ARCHITECTURES, LayerSpec

_ELF_MACHINES = {b"\x3e\x00": "x86_64", b"\xb7\x00": "aarch64"}


def _in_dist_info(path: Path, python: Path) -> bool:
    return path.relative_to(python).parts[0].endswith(".dist-info")


def _remove(path: Path, report: StripReport) -> None:
    size = tree_size(path) if path.is_dir() else TreeSize(1, path.stat().st_size)
    report.files += size.files
    report.bytes += size.bytes
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def _strip_paths(python: Path, option: str) -> list[Path]:
    """Files and directories that `option` removes, outside `*.dist-info`."""
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(python):
        here = Path(directory)
        if here != python and _in_dist_info(here, python):
            dirnames[:] = []
            continue
        for name in sorted(dirnames):
            top_level = here == python
            if (
                (option == "caches" and name == "__pycache__")
                or (option == "tests" and name in ("tests", "test") and not top_level)
                or (option == "docs" and name in ("docs", "doc") and not top_level)
            ):
                found.append(here / name)
                dirnames.remove(name)
        for name in sorted(filenames):
            if (option == "caches" and name.endswith((".pyc", ".pyo"))) or (
                option == "docs" and name.endswith((".md", ".rst"))
            ):
                found.append(here / name)
    return found


def find_strip_tool(architecture: str) -> str:
    machine = ARCHITECTURES[architecture]
    candidates = [f"{machine}-linux-gnu-strip"]
    if os.uname().machine == machine:
        candidates.insert(0, "strip")
    for name in candidates:
        tool = shutil.which(name)
        if tool:
            return tool
    raise LayerBuildError(
        f"the 'so' strip option needs a strip tool for {machine} ({' or '.join(candidates)});"
        " install binutils for that architecture or drop 'so'"
    )


def _elf_machine(path: Path) -> str | None:
    with path.open("rb") as handle:
        header = handle.read(20)
    if header[:4] != b"\x7fELF":
        return None
    return _ELF_MACHINES.get(header[18:20], "other")


def load_segments_aligned(path: Path) -> bool:
    """Whether every PT_LOAD segment of a 64-bit ELF file has offset == address modulo its
    alignment, as the dynamic loader requires.

    `strip` rewrites files; on libraries that auditwheel's patchelf already rewrote (the
    `<package>.libs/` that manylinux wheels vendor, e.g. numpy's OpenBLAS) the result can
    break this rule, and the library then fails to load ("ELF load command address/offset
    not page-aligned"). Checked by reading the headers, so it works for any architecture.
    """
    with path.open("rb") as handle:
        header = handle.read(64)
        if len(header) < 64 or header[:4] != b"\x7fELF" or header[4] != 2:
            return False
        order = "<" if header[5] == 1 else ">"
        (phoff,) = struct.unpack_from(order + "Q", header, 0x20)
        entry_size, count = struct.unpack_from(order + "HH", header, 0x36)
        handle.seek(phoff)
        table = handle.read(entry_size * count)
    if len(table) < entry_size * count:
        return False
    for index in range(count):
        kind, _, offset, address, _, _, _, align = struct.unpack_from(
            order + "IIQQQQQQ", table, index * entry_size
        )
        if kind == 1 and align > 1 and (address - offset) % align:
            return False
    return True


def _strip_shared_objects(python: Path, architecture: str, tool: str, report: StripReport) -> None:
    machine = ARCHITECTURES[architecture]
    for path in walk_files(python):
        if ".so" not in path.name or _elf_machine(path) != machine:
            continue
        original = path.read_bytes()
        result = subprocess.run(
            [tool, "--strip-unneeded", str(path)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise LayerBuildError(
                f"strip failed on {path.relative_to(python.parent)}: {result.stderr.strip()}"
            )
        if not load_segments_aligned(path):
            path.write_bytes(original)
            report.kept.append(path.relative_to(python.parent).as_posix())
            continue
        saved = len(original) - path.stat().st_size
        if saved > 0:
            report.files += 1
            report.bytes += saved


def strip_tree(
    python: Path, spec: LayerSpec, strip_tool: str | None = None
) -> dict[str, StripReport]:
    reports: dict[str, StripReport] = {}
    for option in sorted(spec.strip):
        report = reports.setdefault(option, StripReport())
        if option == "so":
            tool = strip_tool or find_strip_tool(spec.architecture)
            _strip_shared_objects(python, spec.architecture, tool, report)
            continue
        for path in _strip_paths(python, option):
            _remove(path, report)
    return reports
