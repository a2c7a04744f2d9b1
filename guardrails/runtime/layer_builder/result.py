"""What a layer build produces and how it fails: the result, its parts, the progress sink."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.layer_builder.archive import TreeSize
from guardrails.runtime.layer_builder.scan import Finding
from guardrails.runtime.layer_builder.spec import MAX_DIRECT_UPLOAD_BYTES


class LayerBuildError(GuardrailsError):
    """The layer cannot be built or would break a limit or leak a credential."""


class ProgressSink(Protocol):
    """Where the builder reports its phases; the CLI shows them as a progress bar."""

    def phase(self, name: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


class SilentProgress:
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
