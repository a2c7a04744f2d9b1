"""The layer builder: pinned requirements in, a deterministic, checked layer zip out.

Steps, each visible as a progress phase:
1. resolve: `pip install --dry-run --report` for the target runtime and architecture gives the
   exact distributions (name, version, wheel sha256). They key the build cache.
2. install exactly that set (`--no-deps --require-hashes`, wheels only, no bytecode) under
   `python/`, as Lambda expects.
3. strip what the caller opted into (`STRIP_OPTIONS`); nothing by default.
4. bytecode: none, or compiled by the target runtime's own interpreter with a hash-based
   invalidation mode, so it never goes stale when the zip resets file dates.
5. check: unzipped size within Lambda's limit, no credentials inside.
6. zip deterministically, hash, and store in the cache.

Work happens in a temporary directory; the output zip and the cache entry are written only
after every check passed, so a refused build leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.layer_builder.archive import (
    TreeSize,
    sha256_of,
    source_code_hash,
    tree_size,
    walk_files,
    write_zip,
)
from guardrails.runtime.layer_builder.scan import Finding, scan_tree
from guardrails.runtime.layer_builder.spec import (
    ARCHITECTURES,
    MAX_DIRECT_UPLOAD_BYTES,
    MAX_UNZIPPED_BYTES,
    LayerSpec,
    Runtime,
    platform_tags,
)

# Bump when a change to the builder changes its output for the same inputs.
BUILDER_VERSION = "1"

# Lambda's own interpreter path; console scripts get it instead of the build machine's.
_LAMBDA_PYTHON = "/var/lang/bin/python{}"
_ELF_MACHINES = {b"\x3e\x00": "x86_64", b"\xb7\x00": "aarch64"}


class LayerBuildError(GuardrailsError):
    """The layer cannot be built or would break a limit or leak a credential."""


class ProgressSink(Protocol):
    """Where the builder reports its phases; the CLI shows them as a progress bar."""

    def phase(self, name: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


class _Silent:
    def phase(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    sha256: str
    url: str


@dataclass
class StripReport:
    files: int = 0
    bytes: int = 0
    kept: list[str] = field(default_factory=list)
    """Shared objects left as they were because stripping would break them."""


@dataclass
class BuildResult:
    """What a build produced and what it did, for the report and the component."""

    zip_path: Path
    sha256: str
    source_code_hash: str
    zipped_bytes: int
    installed: TreeSize
    """Unzipped size as pip installed it, before stripping and bytecode."""
    final: TreeSize
    """Unzipped size of what is in the zip."""
    runtime: str
    architecture: str
    bytecode: str
    cache_key: str
    cache_hit: bool
    distributions: list[Distribution]
    stripped: dict[str, StripReport] = field(default_factory=dict)
    uncompiled: list[str] = field(default_factory=list)
    """Sources the target interpreter could not compile (shipped as source only)."""
    allowed_findings: list[Finding] = field(default_factory=list)

    @property
    def needs_s3(self) -> bool:
        """Over the direct-upload limit: publish through an S3 object."""
        return self.zipped_bytes > MAX_DIRECT_UPLOAD_BYTES

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["zip_path"] = str(self.zip_path)
        data["needs_s3"] = self.needs_s3
        return data


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "guardrails" / "layers"


def _pip_target_options(spec: LayerSpec) -> list[str]:
    runtime = spec.target
    options = ["--only-binary=:all:", "--implementation", "cp"]
    options += ["--python-version", runtime.dotted]
    for tag in platform_tags(runtime, spec.architecture):
        options += ["--platform", tag]
    return options


def _run_pip(args: list[str], what: str, on_line: Callable[[str], None] | None = None) -> None:
    command = [sys.executable, "-m", "pip", *args]
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    output: list[str] = []
    for line in process.stdout:
        output.append(line)
        if on_line is not None:
            on_line(line)
    if process.wait() != 0:
        errors = [line.strip() for line in output if "ERROR" in line] or [
            line.strip() for line in output[-5:]
        ]
        raise LayerBuildError(f"{what} failed: " + " | ".join(errors))


def resolve(spec: LayerSpec, work: Path, index_options: Sequence[str] = ()) -> list[Distribution]:
    """The exact wheels pip would install for the spec's runtime and architecture."""
    requirements = work / "requirements.in"
    requirements.write_text("\n".join(spec.requirements.lines) + "\n", encoding="utf-8")
    report = work / "resolution.json"
    _run_pip(
        [
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            str(report),
            "--target",
            str(work / "resolve-target"),
            *_pip_target_options(spec),
            *index_options,
            "-r",
            str(requirements),
        ],
        f"resolving requirements for {spec.runtime} {spec.architecture}",
    )
    installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    distributions = []
    for item in installs:
        info = item["download_info"]
        hashes = info.get("archive_info", {}).get("hashes", {})
        sha256 = hashes.get("sha256") or info.get("archive_info", {}).get("hash", "")
        distributions.append(
            Distribution(
                name=item["metadata"]["name"],
                version=item["metadata"]["version"],
                sha256=sha256.removeprefix("sha256="),
                url=info["url"],
            )
        )
    return sorted(distributions, key=lambda d: d.name.lower())


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


def _install(
    spec: LayerSpec,
    distributions: Sequence[Distribution],
    target: Path,
    work: Path,
    index_options: Sequence[str],
    progress: ProgressSink,
) -> None:
    pinned = work / "requirements.lock"
    index_lines = [line for line in spec.requirements.lines if line.startswith("-")]
    pinned.write_text(
        "\n".join(
            index_lines + [f"{d.name}=={d.version} --hash=sha256:{d.sha256}" for d in distributions]
        )
        + "\n",
        encoding="utf-8",
    )
    progress.phase("installing", len(distributions))

    def on_line(line: str) -> None:
        if line.startswith(("Collecting ", "Processing ")):
            progress.advance()

    _run_pip(
        [
            "install",
            "--no-deps",
            "--require-hashes",
            "--no-compile",
            "--progress-bar",
            "off",
            "--target",
            str(target),
            *_pip_target_options(spec),
            *index_options,
            "-r",
            str(pinned),
        ],
        f"installing requirements for {spec.runtime} {spec.architecture}",
        on_line,
    )


def _rewrite_shebangs(python: Path, runtime: Runtime) -> None:
    """Console scripts name the build machine's interpreter; point them at Lambda's."""
    scripts = python / "bin"
    if not scripts.is_dir():
        return
    shebang = f"#!{_LAMBDA_PYTHON.format(runtime.dotted)}\n".encode()
    for script in walk_files(scripts):
        data = script.read_bytes()
        if data.startswith(b"#!"):
            script.write_bytes(shebang + data.split(b"\n", 1)[-1])


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


def _strip_tool(architecture: str) -> str:
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
            tool = strip_tool or _strip_tool(spec.architecture)
            _strip_shared_objects(python, spec.architecture, tool, report)
            continue
        for path in _strip_paths(python, option):
            _remove(path, report)
    return reports


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


def _from_cache(
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
        shutil.copyfile(cached_zip, output)
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


def _store(cache_dir: Path, staged: Path, result: BuildResult) -> Path:
    """Put the zip and its report in the cache (atomically); returns the cached zip."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = result.cache_key
    partial = cache_dir / f".{key}.{os.getpid()}.tmp"
    shutil.copyfile(staged, partial)
    os.replace(partial, cache_dir / f"{key}.zip")
    meta = result.to_json()
    del meta["zip_path"]
    partial.write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(partial, cache_dir / f"{key}.json")
    return cache_dir / f"{key}.zip"


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
    sink: ProgressSink = progress or _Silent()
    cache = cache_dir or default_cache_dir()
    # Find the tools first: a missing one must fail before any download.
    python_for_bytecode = (
        find_interpreter(spec.target, interpreter) if spec.bytecode != "none" else None
    )
    strip_tool = _strip_tool(spec.architecture) if "so" in spec.strip else None
    with tempfile.TemporaryDirectory(prefix="guardrails-layer-") as temp:
        work = Path(temp)
        sink.phase("resolving")
        distributions = resolve(spec, work, index_options)
        key = cache_key(spec, distributions)
        if use_cache:
            hit = _from_cache(cache, key, output, distributions)
            if hit is not None:
                return hit
        layer = work / "layer"
        python = layer / "python"
        _install(spec, distributions, python, work, index_options, sink)
        _rewrite_shebangs(python, spec.target)
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
            result.zip_path = _store(cache, staged, result)
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staged, output)
            result.zip_path = output
    return result


_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def default_output(name: str) -> Path:
    return Path("dist") / f"{_SAFE_NAME.sub('-', name)}.zip"
