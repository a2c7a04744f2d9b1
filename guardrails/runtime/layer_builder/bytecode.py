"""Bytecode: compiled by an interpreter of the target runtime's own version, hash-based, so it
never goes stale when the zip resets file dates.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from guardrails.runtime.layer_builder.archive import walk_files
from guardrails.runtime.layer_builder.result import LayerBuildError
from guardrails.runtime.layer_builder.spec import LayerSpec, Runtime


def find_interpreter(runtime: Runtime, explicit: str | None = None) -> str:
    """A CPython of the runtime's version: bytecode must come from the interpreter that runs it."""
    candidates: list[str] = []
    if explicit:
        candidates.append(explicit)
    else:
        if sys.version_info[:2] == runtime.version:
            candidates.append(sys.executable)
        found = shutil.which(f"python{runtime.dotted}")
        if found:
            candidates.append(found)
        pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
        candidates += [
            str(p / "bin" / f"python{runtime.dotted}")
            for p in sorted(pyenv.glob(f"{runtime.dotted}.*"), reverse=True)
        ]
    probe = "import sys; print(sys.implementation.cache_tag)"
    for candidate in candidates:
        try:
            result = subprocess.run(
                [candidate, "-c", probe], capture_output=True, text=True, timeout=30, check=False
            )
        except OSError:
            continue
        if result.returncode == 0 and result.stdout.strip() == runtime.cache_tag:
            return candidate
    where = f" ({explicit} is not one)" if explicit else ""
    raise LayerBuildError(
        f"bytecode for {runtime.name} needs a CPython {runtime.dotted} interpreter{where}: "
        "pass its path with --python, or build with --bytecode none"
    )


_COMPILE = """
import compileall, py_compile, sys
root, mode = sys.argv[1], sys.argv[2]
compileall.compile_dir(root, ddir="/opt/python", quiet=2, workers=0,
    invalidation_mode=py_compile.PycInvalidationMode[mode])
"""


def compile_bytecode(python: Path, spec: LayerSpec, interpreter: str) -> list[str]:
    """Compile every source with `interpreter`; returns the sources that did not compile.

    Code objects record `/opt/python/...` (where Lambda mounts the layer) rather than the
    build directory, so that the bytes do not depend on where the build ran.
    """
    mode = spec.bytecode.upper().replace("-", "_")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        [interpreter, "-c", _COMPILE, str(python), mode],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise LayerBuildError(f"compiling bytecode failed: {result.stderr.strip()[-500:]}")
    tag = spec.target.cache_tag
    uncompiled = []
    for source in walk_files(python):
        if source.suffix != ".py":
            continue
        if not (source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc").exists():
            uncompiled.append(source.relative_to(python.parent).as_posix())
    return uncompiled
