"""A local wheelhouse for layer tests: real wheels, written here, installed by real pip.

Builds run with `--no-index --find-links <wheelhouse>`, so the tests need no network and the
installed content is known exactly.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import zipfile
from pathlib import Path

from guardrails.runtime.layer_builder.spec import MAX_DIRECT_UPLOAD_BYTES, MAX_UNZIPPED_BYTES

# The architecture the tests build for: the host's, so that shared objects can be stripped
# and bytecode compiled by the running interpreter.
HOST_MACHINE = os.uname().machine
HOST_ARCHITECTURE = "arm64" if HOST_MACHINE == "aarch64" else "x86_64"
NATIVE_TAG = f"cp311-cp311-manylinux_2_17_{HOST_MACHINE}"
EXAMPLE_KEY = b"AKIAIOSFODNN7EXAMPLE"  # AWS documentation example: not a finding
REAL_LOOKING_KEY = b"AKIAZ7Q2XKCVB4N3MWTR"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def make_wheel(
    wheelhouse: Path,
    name: str,
    version: str,
    files: dict[str, bytes],
    *,
    tag: str = "py3-none-any",
    requires: tuple[str, ...] = (),
) -> Path:
    """Write `name-version-tag.whl` holding `files` plus valid dist-info metadata."""
    dist_info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    pure = "true" if tag.endswith("none-any") else "false"
    wheel_meta = f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: {pure}\nTag: {tag}\n"
    contents = dict(files)
    contents[f"{dist_info}/METADATA"] = metadata.encode()
    contents[f"{dist_info}/WHEEL"] = wheel_meta.encode()
    record = [_record_line(path, data) for path, data in contents.items()]
    record.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = wheelhouse / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in contents.items():
            archive.writestr(member, data)
    return path


def fill_wheelhouse(house: Path) -> Path:
    """The test distributions: pure, dependent, leaky, scripted, native and oversized."""
    make_wheel(
        house,
        "tinypkg",
        "1.0",
        {
            "tinypkg/__init__.py": b"from tinydep import VALUE\n__version__ = '1.0'\n",
            "tinypkg/tests/__init__.py": b"",
            "tinypkg/tests/test_it.py": b"def test_it():\n    assert True\n",
            "tinypkg/docs/guide.md": b"# guide\n" * 50,
            "tinypkg/notes.rst": b"notes\n",
            "tinypkg/aws_example.py": b"KEY = '" + EXAMPLE_KEY + b"'\n",
            "tinypkg/__pycache__/stale.cpython-311.pyc": b"\x00" * 64,
        },
        requires=("tinydep==2.0",),
    )
    make_wheel(house, "tinydep", "2.0", {"tinydep/__init__.py": b"VALUE = 42\n"})
    make_wheel(
        house,
        "leaky",
        "1.0",
        {
            "leaky/__init__.py": b"",
            "leaky/.env": b"DATABASE_URL=postgres://x\n",
            "leaky/settings.py": b"ACCESS_KEY = '" + REAL_LOOKING_KEY + b"'\n",
            "leaky/tests/key.pem": b"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n",
        },
    )
    make_wheel(
        house,
        "withscript",
        "1.0",
        {
            "withscript/__init__.py": b"def main():\n    return 0\n",
            "withscript-1.0.data/scripts/withscript-run": b"#!python\nprint('hi')\n",
        },
    )
    shared = getattr(__import__("_json"), "__file__", None)
    if shared:
        make_wheel(
            house,
            "nativepkg",
            "1.0",
            {
                "nativepkg/__init__.py": b"",
                f"nativepkg/_speedups{Path(shared).name[5:]}": Path(shared).read_bytes(),
            },
            tag=NATIVE_TAG,
        )
    make_wheel(house, "hugepkg", "1.0", {"hugepkg/blob.bin": bytes(MAX_UNZIPPED_BYTES + 1)})
    # Incompressible, so that its layer zip is over the direct-upload limit.
    noise = random.Random(0).randbytes(MAX_DIRECT_UPLOAD_BYTES + 4096)
    make_wheel(house, "bigpkg", "1.0", {"bigpkg/blob.bin": noise})
    return house
