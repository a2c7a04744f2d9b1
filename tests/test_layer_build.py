"""The layer builder: real pip, real interpreter, real strip, against a local wheelhouse."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from guardrails.runtime.layer_builder.build import LayerBuildError, build_layer
from guardrails.runtime.layer_builder.bytecode import find_interpreter
from guardrails.runtime.layer_builder.spec import (
    RUNTIMES,
    LayerSpec,
    LayerSpecError,
    parse_requirements,
    platform_tags,
)
from guardrails.runtime.layer_builder.strip import load_segments_aligned
from guardrails.tooling.cli import main
from tests.layer_wheels import HOST_ARCHITECTURE

RUNTIME = f"python3.{sys.version_info[1]}"


def _build(
    wheelhouse: Path,
    out: Path,
    requirements: list[str],
    **options: object,
) -> tuple[LayerSpec, object]:
    build_kwargs = {
        key: options.pop(key)
        for key in ("use_cache", "cache_dir", "max_unzipped_bytes", "interpreter")
        if key in options
    }
    spec = LayerSpec(
        parse_requirements(requirements),
        runtime=str(options.pop("runtime", RUNTIME)),
        architecture=str(options.pop("architecture", HOST_ARCHITECTURE)),
        **options,  # type: ignore[arg-type]
    )
    build_kwargs.setdefault("cache_dir", out.parent / "cache")
    result = build_layer(
        spec,
        out,
        index_options=["--no-index", "--find-links", str(wheelhouse)],
        **build_kwargs,  # type: ignore[arg-type]
    )
    return spec, result


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


# --- requirements and spec -------------------------------------------------------------


def test_pinned_requirements_are_parsed_with_comments_continuations_and_hashes():
    text = (
        "# layer deps\n"
        "--index-url https://pypi.org/simple\n"
        "requests==2.32.3 \\\n"
        "    --hash=sha256:" + "a" * 64 + "\n"
        "urllib3==2.2.3 ; python_version >= '3.8'  # pinned\n"
    )
    parsed = parse_requirements(text)
    assert parsed.names == ("requests", "urllib3")
    assert parsed.lines[0] == "--index-url https://pypi.org/simple"
    assert "--hash=sha256:" in parsed.lines[1]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("requests", "'requests' is not pinned; write requests==<version>"),
        ("requests>=2.0", "'requests>=2.0' is not pinned"),
        ("requests==2.*", "'requests==2.*' is not pinned"),
        ("requests>=2,<3", "is not pinned"),
        ("pkg @ https://example.com/pkg.whl", "pkg comes from a URL"),
        ("-e ./src", "option -e is not supported in a layer build"),
        ("requests==2.32.3 --no-binary :all:", "only --hash options may follow a requirement"),
        ("requests===", "is not a requirement"),
    ],
)
def test_bad_requirements_are_refused_with_the_line(line, message):
    with pytest.raises(LayerSpecError) as caught:
        parse_requirements(["urllib3==2.2.3", line], where="reqs.txt")
    assert message in str(caught.value)
    assert "reqs.txt:2:" in str(caught.value)


def test_unpinned_requirements_pass_only_when_allowed():
    assert parse_requirements(["requests>=2"], allow_unpinned=True).names == ("requests",)


def test_an_empty_requirement_list_is_refused():
    with pytest.raises(LayerSpecError, match="no requirements given"):
        parse_requirements("# nothing\n\n")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("runtime", "python3.10", "unknown runtime 'python3.10': choose one of python3.11"),
        ("runtime", "nodejs20.x", "unknown runtime 'nodejs20.x'"),
        ("architecture", "amd64", "unknown architecture 'amd64': choose one of x86_64, arm64"),
        ("strip", frozenset({"dist-info"}), "unknown strip option dist-info"),
        ("bytecode", "timestamp", "unknown bytecode mode 'timestamp'"),
    ],
)
def test_bad_layer_specs_are_refused(field, value, message):
    arguments = {"runtime": "python3.12", "architecture": "x86_64", field: value}
    with pytest.raises(LayerSpecError, match=message):
        LayerSpec(parse_requirements(["requests==2.32.3"]), **arguments)


def test_platform_tags_follow_the_runtime_glibc():
    al2 = platform_tags(RUNTIMES["python3.11"], "x86_64")
    assert al2[0] == "manylinux_2_26_x86_64"
    assert "manylinux_2_27_x86_64" not in al2
    assert {"manylinux2014_x86_64", "manylinux1_x86_64"} <= set(al2)
    al2023 = platform_tags(RUNTIMES["python3.13"], "arm64")
    assert al2023[0] == "manylinux_2_34_aarch64"
    assert all("x86_64" not in tag and "manylinux1" not in tag for tag in al2023)


# --- builds ----------------------------------------------------------------------------


@pytest.mark.subprocess
def test_a_build_installs_the_resolved_set_under_python_with_hash_bytecode(wheelhouse, tmp_path):
    _, result = _build(wheelhouse, tmp_path / "out" / "layer.zip", ["tinypkg==1.0"])
    names = _names(result.zip_path)
    assert all(name.startswith("python/") for name in names)
    assert "python/tinypkg/__init__.py" in names
    assert "python/tinydep/__init__.py" in names
    assert "python/tinypkg-1.0.dist-info/METADATA" in names
    assert "python/tinypkg/tests/test_it.py" in names  # nothing stripped by default
    assert [(d.name, d.version) for d in result.distributions] == [
        ("tinydep", "2.0"),
        ("tinypkg", "1.0"),
    ]
    tag = sys.implementation.cache_tag
    with zipfile.ZipFile(result.zip_path) as archive:
        pyc = archive.read(f"python/tinypkg/__pycache__/__init__.{tag}.pyc")
    assert int.from_bytes(pyc[4:8], "little") == 0b11  # hash-based, checked
    assert not result.cache_hit
    assert result.final.bytes > result.installed.bytes


@pytest.mark.subprocess
def test_the_layer_imports_with_metadata_intact_and_no_stale_bytecode(wheelhouse, tmp_path):
    _, result = _build(wheelhouse, tmp_path / "layer.zip", ["tinypkg==1.0"])
    opt = tmp_path / "opt"
    with zipfile.ZipFile(result.zip_path) as archive:
        archive.extractall(opt)
    probe = (
        "import importlib.metadata as m, tinypkg, tinydep, sys;"
        "print(m.version('tinypkg'), tinypkg.__version__, tinydep.VALUE,"
        " tinypkg.__spec__.cached is not None)"
    )
    env = {**os.environ, "PYTHONPATH": str(opt / "python"), "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert run.stdout.split() == ["1.0", "1.0", "42", "True"]
    # The shipped bytecode was used, not recompiled ...
    verbose = subprocess.run(
        [sys.executable, "-v", "-c", "import tinypkg"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stderr
    pyc = (
        opt / "python" / "tinypkg" / "__pycache__" / f"__init__.{sys.implementation.cache_tag}.pyc"
    )
    assert f"code object from '{pyc}'" in verbose
    # ... and records where Lambda mounts layers, not where it was built.
    assert marshal.loads(pyc.read_bytes()[16:]).co_filename == "/opt/python/tinypkg/__init__.py"


@pytest.mark.subprocess
def test_two_builds_in_different_directories_are_byte_identical(wheelhouse, tmp_path):
    _, first = _build(wheelhouse, tmp_path / "a" / "l.zip", ["tinypkg==1.0"], use_cache=False)
    _, second = _build(wheelhouse, tmp_path / "b" / "l.zip", ["tinypkg==1.0"], use_cache=False)
    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()
    assert first.sha256 == second.sha256
    with zipfile.ZipFile(first.zip_path) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {(i.external_attr >> 16) & 0o777 for i in infos} <= {0o644, 0o755}
    assert not any(i.is_dir() for i in infos)


@pytest.mark.subprocess
def test_the_cache_skips_a_rebuild_and_a_damaged_entry_is_rebuilt(wheelhouse, tmp_path):
    cache = tmp_path / "cache"
    _, first = _build(wheelhouse, tmp_path / "1.zip", ["tinypkg==1.0"], cache_dir=cache)
    _, second = _build(wheelhouse, tmp_path / "2.zip", ["tinypkg==1.0"], cache_dir=cache)
    assert (first.cache_hit, second.cache_hit) == (False, True)
    assert second.sha256 == first.sha256
    assert (tmp_path / "2.zip").read_bytes() == (tmp_path / "1.zip").read_bytes()
    (cache / f"{first.cache_key}.zip").write_bytes(b"damaged")
    _, third = _build(wheelhouse, tmp_path / "3.zip", ["tinypkg==1.0"], cache_dir=cache)
    assert not third.cache_hit
    assert third.sha256 == first.sha256
    # Options are part of the key.
    _, other = _build(
        wheelhouse, tmp_path / "4.zip", ["tinypkg==1.0"], cache_dir=cache, bytecode="none"
    )
    assert not other.cache_hit and other.cache_key != first.cache_key


@pytest.mark.subprocess
def test_strip_options_remove_only_what_was_asked_and_never_dist_info(wheelhouse, tmp_path):
    _, result = _build(
        wheelhouse,
        tmp_path / "l.zip",
        ["tinypkg==1.0"],
        strip=frozenset({"tests", "docs", "caches"}),
        bytecode="none",
    )
    names = _names(result.zip_path)
    assert not any("/tests/" in n or "/docs/" in n or n.endswith((".md", ".rst")) for n in names)
    assert not any(n.endswith(".pyc") for n in names)
    assert "python/tinypkg-1.0.dist-info/METADATA" in names
    assert "python/tinypkg-1.0.dist-info/RECORD" in names
    assert result.stripped["tests"].files == 2
    assert result.stripped["docs"].files == 2
    assert result.stripped["caches"].files == 1
    assert result.stripped["docs"].bytes == len(b"# guide\n" * 50) + len(b"notes\n")


@pytest.mark.subprocess
def test_strip_so_removes_debug_symbols_from_shared_objects(wheelhouse, tmp_path):
    if not list(wheelhouse.glob("nativepkg-*.whl")):
        pytest.skip("this interpreter has no shared-object stdlib module to package")
    if shutil.which("strip") is None:
        pytest.skip("no strip tool (binutils) on this machine")
    # Debian's and other distributions' Pythons ship their stdlib modules stripped already:
    # then there is nothing left for `strip` to remove, and the case cannot be shown here
    probe = tmp_path / "probe.so"
    shutil.copyfile(__import__("_json").__file__, probe)
    before = probe.stat().st_size
    subprocess.run(["strip", "--strip-unneeded", str(probe)], check=True)
    if probe.stat().st_size >= before:
        pytest.skip("this interpreter's shared objects are already stripped")
    _, plain = _build(wheelhouse, tmp_path / "a.zip", ["nativepkg==1.0"], bytecode="none")
    _, stripped = _build(
        wheelhouse, tmp_path / "b.zip", ["nativepkg==1.0"], bytecode="none", strip=frozenset({"so"})
    )
    assert stripped.stripped["so"].files == 1
    assert stripped.final.bytes == plain.final.bytes - stripped.stripped["so"].bytes
    assert stripped.stripped["so"].bytes > 0


def test_strip_so_without_a_strip_tool_is_refused_before_any_work(
    wheelhouse, tmp_path, monkeypatch
):
    monkeypatch.setenv("PATH", str(tmp_path))  # no strip, no binutils
    with pytest.raises(LayerBuildError) as caught:
        _build(
            wheelhouse,
            tmp_path / "out" / "l.zip",
            ["nativepkg==1.0"],
            bytecode="none",
            strip=frozenset({"so"}),
        )
    assert "the 'so' strip option needs a strip tool for" in str(caught.value)
    assert "install binutils for that architecture or drop 'so'" in str(caught.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.subprocess
def test_bytecode_none_ships_sources_only(wheelhouse, tmp_path):
    _, result = _build(wheelhouse, tmp_path / "l.zip", ["tinydep==2.0"], bytecode="none")
    assert _names(result.zip_path) == sorted(
        ["python/tinydep/__init__.py"]
        + [
            f"python/tinydep-2.0.dist-info/{f}"
            for f in ("INSTALLER", "METADATA", "RECORD", "REQUESTED", "WHEEL")
        ]
    )


@pytest.mark.subprocess
def test_console_scripts_point_at_the_lambda_interpreter(wheelhouse, tmp_path):
    _, result = _build(wheelhouse, tmp_path / "l.zip", ["withscript==1.0"], bytecode="none")
    with zipfile.ZipFile(result.zip_path) as archive:
        script = archive.read("python/bin/withscript-run")
    assert script.startswith(f"#!/var/lang/bin/python3.{sys.version_info[1]}\n".encode())


@pytest.mark.subprocess
def test_bytecode_without_a_matching_interpreter_is_refused_before_any_work(tmp_path):
    spec = LayerSpec(parse_requirements(["tinydep==2.0"]), runtime="python3.13")
    with pytest.raises(LayerBuildError) as caught:
        build_layer(
            spec, tmp_path / "l.zip", cache_dir=tmp_path / "cache", interpreter=sys.executable
        )
    assert "bytecode for python3.13 needs a CPython 3.13 interpreter" in str(caught.value)
    assert "--bytecode none" in str(caught.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.subprocess
def test_find_interpreter_checks_the_version_it_finds():
    assert find_interpreter(RUNTIMES[RUNTIME]) is not None
    with pytest.raises(LayerBuildError, match=r"/nonexistent/python is not one"):
        find_interpreter(RUNTIMES[RUNTIME], "/nonexistent/python")


@pytest.mark.subprocess
def test_credentials_are_refused_with_every_finding_and_nothing_written(wheelhouse, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(LayerBuildError) as caught:
        _build(wheelhouse, tmp_path / "out" / "l.zip", ["leaky==1.0"], cache_dir=cache)
    message = str(caught.value)
    assert "layer would publish credentials (3 finding(s)); nothing was written" in message
    assert "python/leaky/.env: an environment file (.env)" in message
    assert "python/leaky/settings.py: an AWS access key id" in message
    assert "python/leaky/tests/key.pem: a private key" in message
    assert not (tmp_path / "out").exists()
    assert not cache.exists()


@pytest.mark.subprocess
def test_allowed_secret_globs_are_reported_not_refused(wheelhouse, tmp_path):
    with pytest.raises(LayerBuildError, match=r"settings\.py"):
        _build(wheelhouse, tmp_path / "l.zip", ["leaky==1.0"], allow_secrets=("*/tests/*",))
    _, result = _build(
        wheelhouse,
        tmp_path / "l.zip",
        ["leaky==1.0"],
        allow_secrets=("*/tests/*", "*/.env", "python/leaky/settings.py"),
        bytecode="none",
    )
    assert sorted(f.path for f in result.allowed_findings) == [
        "python/leaky/.env",
        "python/leaky/settings.py",
        "python/leaky/tests/key.pem",
    ]


@pytest.mark.subprocess
def test_aws_documentation_example_keys_are_not_findings(wheelhouse, tmp_path):
    _, result = _build(wheelhouse, tmp_path / "l.zip", ["tinypkg==1.0"], bytecode="none")
    assert result.allowed_findings == []


@pytest.mark.subprocess
def test_a_layer_over_lambdas_unzipped_limit_is_refused(wheelhouse, tmp_path):
    with pytest.raises(LayerBuildError) as caught:
        _build(wheelhouse, tmp_path / "out" / "l.zip", ["hugepkg==1.0"], bytecode="none")
    assert "262.1 MB unzipped, over Lambda's limit of 262.1 MB" in str(caught.value)
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "out" / "cache").exists()


@pytest.mark.subprocess
def test_an_unresolvable_requirement_is_a_clear_error(wheelhouse, tmp_path):
    with pytest.raises(LayerBuildError) as caught:
        _build(wheelhouse, tmp_path / "l.zip", ["nosuchpkg==1.0"])
    assert "resolving requirements for" in str(caught.value)
    assert "nosuchpkg" in str(caught.value)
    assert not (tmp_path / "l.zip").exists()


# --- command line ----------------------------------------------------------------------


def _cli_build(wheelhouse: Path, tmp_path: Path, *extra: str) -> list[str]:
    return [
        "layer", "build", "tinypkg==1.0", "--runtime", RUNTIME,
        "--architecture", HOST_ARCHITECTURE, "--no-index", "--find-links", str(wheelhouse),
        "--cache-dir", str(tmp_path / "cache"), "-o", str(tmp_path / "l.zip"), *extra,
    ]  # fmt: skip


@pytest.mark.subprocess
def test_cli_build_prints_a_json_report(wheelhouse, tmp_path, capsys):
    code = main(_cli_build(wheelhouse, tmp_path, "--strip", "tests,docs", "--format", "json"))
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cache_hit"] is False
    assert report["needs_s3"] is False
    assert report["stripped"]["tests"]["files"] == 2
    assert report["sha256"] == hashlib.sha256((tmp_path / "l.zip").read_bytes()).hexdigest()


@pytest.mark.subprocess
def test_cli_build_table_names_sizes_strip_and_hash(wheelhouse, tmp_path, capsys, monkeypatch):
    arguments = _cli_build(wheelhouse, tmp_path, "--strip", "tests")
    assert main(arguments) == 0
    first = capsys.readouterr().out  # a log: 80 columns, too narrow for the hash in a table
    digest = hashlib.sha256((tmp_path / "l.zip").read_bytes()).hexdigest()
    for label in ("installed (unzipped)", "stripped tests", "final (unzipped)", "zipped"):
        assert f"  {label}: " in first
    assert f"  sha256: {digest}\n" in first and "  cache: miss " in first
    monkeypatch.setenv("COLUMNS", "160")  # wide enough: the table, the hash still whole
    assert main(arguments) == 0
    wide = capsys.readouterr().out
    assert "cache                │ hit" in wide and f"│ {digest} " in wide


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["requests", "--runtime", "python3.12"], "'requests' is not pinned"),
        (["requests==2.32.3", "--runtime", "python3.9"], "unknown runtime 'python3.9'"),
        (
            ["requests==2.32.3", "--runtime", "python3.12", "--architecture", "ppc64le"],
            "unknown architecture",
        ),
        (["requests==2.32.3", "-r", "reqs.txt", "--runtime", "python3.12"], "not both"),
        (
            ["-r", "/nonexistent/reqs.txt", "--runtime", "python3.12"],
            "/nonexistent/reqs.txt: requirements file not found",
        ),
    ],
)
def test_cli_build_bad_input_exits_2_with_the_reason(
    arguments, message, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert main(["layer", "build", *arguments]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# --- stripping shared objects safely ---------------------------------------------------


def _elf(offset: int, address: int, align: int = 0x1000) -> bytes:
    """A 64-bit little-endian ELF header with one PT_LOAD program header."""
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", header, 0x20, 64)  # program headers right after
    struct.pack_into("<HH", header, 0x36, 56, 1)
    segment = struct.pack("<IIQQQQQQ", 1, 5, offset, address, address, 0x100, 0x100, align)
    return bytes(header) + segment


@pytest.mark.parametrize(
    ("offset", "address", "aligned"),
    [(0, 0, True), (0x27A000, 0x484000, True), (0x27A9A0, 0x484000, False)],
)
def test_load_segment_alignment_is_read_from_the_elf_headers(tmp_path, offset, address, aligned):
    library = tmp_path / "lib.so"
    library.write_bytes(_elf(offset, address))
    assert load_segments_aligned(library) is aligned


@pytest.mark.subprocess
def test_a_library_that_strip_would_break_is_kept_as_it_was(wheelhouse, tmp_path, monkeypatch):
    if not list(wheelhouse.glob("nativepkg-*.whl")):
        pytest.skip("this interpreter has no shared-object stdlib module to package")
    monkeypatch.setattr(
        "guardrails.runtime.layer_builder.strip.load_segments_aligned", lambda _: False
    )
    _, plain = _build(wheelhouse, tmp_path / "a.zip", ["nativepkg==1.0"], bytecode="none")
    _, kept = _build(
        wheelhouse, tmp_path / "b.zip", ["nativepkg==1.0"], bytecode="none", strip=frozenset({"so"})
    )
    assert kept.stripped["so"].files == 0
    assert kept.stripped["so"].kept == [next(n for n in _names(kept.zip_path) if n.endswith(".so"))]
    assert kept.final.bytes == plain.final.bytes
