"""The build cache: entries keyed on the resolved wheels and every option that changes the
output, written atomically and re-checked (sha256) when read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from guardrails.runtime.atomic_write import copy_atomically, write_atomically
from guardrails.runtime.layer_builder.archive import TreeSize, sha256_of
from guardrails.runtime.layer_builder.result import BuildResult, Distribution, StripReport
from guardrails.runtime.layer_builder.scan import Finding
from guardrails.runtime.layer_builder.spec import LayerSpec

# Bump when a change to the builder changes its output for the same inputs.
BUILDER_VERSION = "1"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "guardrails" / "layers"


def cache_key(spec: LayerSpec, distributions: Sequence[Distribution]) -> str:
    material = {
        "builder": BUILDER_VERSION,
        "runtime": spec.runtime,
        "architecture": spec.architecture,
        "strip": sorted(spec.strip),
        "bytecode": spec.bytecode,
        "allow_secrets": sorted(spec.allow_secrets),
        "distributions": [[d.name.lower(), d.version, d.sha256] for d in distributions],
    }
    encoded = json.dumps(material, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def from_cache(
    cache_dir: Path, key: str, output: Path | None, distributions: list[Distribution]
) -> BuildResult | None:
    cached_zip = cache_dir / f"{key}.zip"
    cached_meta = cache_dir / f"{key}.json"
    if not (cached_zip.is_file() and cached_meta.is_file()):
        return None
    meta = json.loads(cached_meta.read_text(encoding="utf-8"))
    if sha256_of(cached_zip) != meta["sha256"]:
        return None  # a damaged entry is rebuilt, not trusted
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        copy_atomically(cached_zip, output)
    return BuildResult(
        zip_path=output or cached_zip,
        sha256=meta["sha256"],
        source_code_hash=meta["source_code_hash"],
        zipped_bytes=meta["zipped_bytes"],
        installed=TreeSize(**meta["installed"]),
        final=TreeSize(**meta["final"]),
        runtime=meta["runtime"],
        architecture=meta["architecture"],
        bytecode=meta["bytecode"],
        cache_key=key,
        cache_hit=True,
        distributions=distributions,
        stripped={k: StripReport(**v) for k, v in meta["stripped"].items()},
        uncompiled=meta["uncompiled"],
        allowed_findings=[Finding(**f) for f in meta["allowed_findings"]],
    )


def store(cache_dir: Path, staged: Path, result: BuildResult) -> Path:
    """Put the zip and its report in the cache (atomically); returns the cached zip."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = result.cache_key
    copy_atomically(staged, cache_dir / f"{key}.zip")
    meta = result.to_json()
    del meta["zip_path"]
    write_atomically(cache_dir / f"{key}.json", json.dumps(meta, indent=2, sort_keys=True))
    return cache_dir / f"{key}.zip"
