"""A local wheelhouse for layer tests: real wheels, written here, installed by real pip.

Builds run with `--no-index --find-links <wheelhouse>`, so the tests need no network and the
installed content is known exactly.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from pathlib import Path

# The architecture the tests build for: the host's, so that shared objects can be stripped
# and bytecode compiled by the running interpreter.
HOST_MACHINE = os.uname().machine
HOST_ARCHITECTURE = "arm64" if HOST_MACHINE == "aarch64" else "x86_64"
NATIVE_TAG = f"cp311-cp311-manylinux_2_17_{HOST_MACHINE}"


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
