"""The layer builder: pinned requirements in, a deterministic, checked layer zip out.

Steps, each visible as a progress phase:
1. resolve (`resolve.py`): `pip install --dry-run --report` for the target runtime and
   architecture gives the exact distributions (name, version, wheel sha256). They key the
   build cache (`cache.py`).
2. install exactly that set (`--no-deps --require-hashes`, wheels only, no bytecode) under
   `python/`, as Lambda expects.
3. strip what the caller opted into (`strip.py`, `STRIP_OPTIONS`); nothing by default.
4. bytecode (`bytecode.py`): none, or compiled by the target runtime's own interpreter with
   a hash-based invalidation mode, so it never goes stale when the zip resets file dates.
5. check: unzipped size within Lambda's limit, no credentials inside (`scan.py`).
6. zip deterministically (`archive.py`), hash, and store in the cache.

Work happens in a temporary directory; the output zip and the cache entry are written only
after every check passed, so a refused build leaves nothing behind.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from guardrails.runtime.atomic_write import copy_atomically
from guardrails.runtime.layer_builder.archive import (
    TreeSize,
    sha256_of,
    source_code_hash,
    tree_size,
    write_zip,
)
from guardrails.runtime.layer_builder.bytecode import compile_bytecode, find_interpreter
from guardrails.runtime.layer_builder.cache import cache_key, default_cache_dir, from_cache, store
from guardrails.runtime.layer_builder.resolve import install, resolve, rewrite_shebangs
from guardrails.runtime.layer_builder.result import (
    BuildResult,
    LayerBuildError,
    ProgressSink,
    SilentProgress,
)
from guardrails.runtime.layer_builder.scan import Finding, scan_tree
from guardrails.runtime.layer_builder.spec import MAX_UNZIPPED_BYTES, LayerSpec
from guardrails.runtime.layer_builder.strip import find_strip_tool, strip_tree

__all__ = ["BuildResult", "LayerBuildError", "build_layer", "default_output"]


def _check_limits(final: TreeSize, findings: Sequence[Finding], max_unzipped_bytes: int) -> None:
    if final.bytes > max_unzipped_bytes:
        raise LayerBuildError(
            f"layer is {final.bytes / 1e6:.1f} MB unzipped, over Lambda's limit of "
            f"{max_unzipped_bytes / 1e6:.1f} MB (function and layers together); strip more "
            "(--strip tests,docs,so) or split the requirements across layers"
        )
    refused = [f for f in findings if not f.allowed]
    if refused:
        listed = "\n".join(f"  {f.path}: {f.what}" for f in refused)
        raise LayerBuildError(
            f"layer would publish credentials ({len(refused)} finding(s)); nothing was "
            f"written:\n{listed}\nremove them, or accept known test fixtures with "
            "--allow-secret GLOB"
        )


def build_layer(
    spec: LayerSpec,
    output: Path | None = None,
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    index_options: Sequence[str] = (),
    interpreter: str | None = None,
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES,
    progress: ProgressSink | None = None,
) -> BuildResult:
    """Build the layer zip for `spec` (see the module docstring for the steps).

    The zip is written to `output` when given; the result's `zip_path` is otherwise the
    cache entry, which is content-addressed and never changes once written.
    """
    if output is None and not use_cache:
        raise LayerBuildError("a build without the cache needs an output path")
    sink: ProgressSink = progress or SilentProgress()
    cache = cache_dir or default_cache_dir()
    # Find the tools first: a missing one must fail before any download.
    python_for_bytecode = (
        find_interpreter(spec.target, interpreter) if spec.bytecode != "none" else None
    )
    strip_tool = find_strip_tool(spec.architecture) if "so" in spec.strip else None
    with tempfile.TemporaryDirectory(prefix="guardrails-layer-") as temp:
        work = Path(temp)
        sink.phase("resolving")
        distributions = resolve(spec, work, index_options)
        key = cache_key(spec, distributions)
        if use_cache:
            hit = from_cache(cache, key, output, distributions)
            if hit is not None:
                return hit
        layer = work / "layer"
        python = layer / "python"
        install(spec, distributions, python, work, index_options, sink)
        rewrite_shebangs(python, spec.target)
        installed = tree_size(python)
        sink.phase("stripping")
        stripped = strip_tree(python, spec, strip_tool)
        uncompiled: list[str] = []
        if python_for_bytecode is not None:
            sink.phase("compiling bytecode")
            uncompiled = compile_bytecode(python, spec, python_for_bytecode)
        final = tree_size(python)
        sink.phase("scanning for credentials", final.files)
        findings = scan_tree(layer, spec.allow_secrets, advance=sink.advance)
        _check_limits(final, findings, max_unzipped_bytes)
        sink.phase("zipping", final.files)
        staged = work / "layer.zip"
        write_zip(layer, staged, advance=sink.advance)
        digest = sha256_of(staged)
        result = BuildResult(
            zip_path=staged,
            sha256=digest,
            source_code_hash=source_code_hash(digest),
            zipped_bytes=staged.stat().st_size,
            installed=installed,
            final=final,
            runtime=spec.runtime,
            architecture=spec.architecture,
            bytecode=spec.bytecode,
            cache_key=key,
            cache_hit=False,
            distributions=distributions,
            stripped=stripped,
            uncompiled=uncompiled,
            allowed_findings=[f for f in findings if f.allowed],
        )
        if use_cache:
            result.zip_path = store(cache, staged, result)
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            copy_atomically(staged, output)
            result.zip_path = output
    return result


_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def default_output(name: str) -> Path:
    return Path("dist") / f"{_SAFE_NAME.sub('-', name)}.zip"
