"""Download OCI's classic cost reports from the `bling` namespace, incrementally.

Oracle writes them to namespace `bling`, bucket = the tenancy OCID, under
`reports/cost-csv/` (one file per 6 hours, split at 1 M rows). `ListObjects` is followed
page by page (`next_start_with`) with `fields=name,size,timeCreated`; only objects created
after the newest one the store has loaded (and not loaded yet) are downloaded, into a local
cache folder, streamed in 1 MiB chunks to a temporary name and renamed when complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import oci

from guardrails.runtime.atomic_write import atomic_file
from guardrails.tooling.cost.lines import Progress
from guardrails.tooling.oci_auth import service_error

NAMESPACE = "bling"
PREFIX = "reports/cost-csv/"
DEFAULT_CACHE = Path("~/.cache/guardrails/cost-reports")


@dataclass(frozen=True)
class RemoteReport:
    name: str
    """The object's base name (the store knows files by it)."""
    object_name: str
    size: int
    created: datetime


def list_reports(
    client: oci.object_storage.ObjectStorageClient, tenancy: str
) -> list[RemoteReport]:
    found: list[RemoteReport] = []
    start: str | None = None
    while True:
        kwargs = {"prefix": PREFIX, "fields": "name,size,timeCreated"}
        if start:
            kwargs["start"] = start
        try:
            response = client.list_objects(NAMESPACE, tenancy, **kwargs)
        except (oci.exceptions.ServiceError, oci.exceptions.RequestException) as exc:
            raise service_error(f"Object Storage list_objects {NAMESPACE}/{tenancy}", exc) from None
        for item in response.data.objects or []:
            if not item.name.endswith(".csv.gz"):
                continue
            created = item.time_created or datetime.fromtimestamp(0, UTC)
            found.append(
                RemoteReport(item.name.rsplit("/", 1)[-1], item.name, int(item.size or 0), created)
            )
        start = response.data.next_start_with
        if not start:
            return sorted(found, key=lambda r: (r.created, r.name))


def new_reports(remote: list[RemoteReport], loaded: dict[str, datetime]) -> list[RemoteReport]:
    """Reports created after the newest loaded one, and not loaded yet."""
    newest = max(loaded.values(), default=None)
    return [
        r
        for r in remote
        if r.name not in loaded and (newest is None or r.created.astimezone(UTC) > _utc(newest))
    ]


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def download(
    client: oci.object_storage.ObjectStorageClient,
    tenancy: str,
    reports: list[RemoteReport],
    cache: Path,
    progress: Progress | None = None,
) -> list[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    if progress is not None and reports:
        progress.phase(f"downloading {len(reports)} cost report(s)", total=len(reports))
    paths: list[Path] = []
    for report in reports:
        target = cache / report.name
        if not (target.is_file() and target.stat().st_size == report.size):
            try:
                response = client.get_object(NAMESPACE, tenancy, report.object_name)
                with atomic_file(target, binary=True) as handle:
                    for chunk in response.data.raw.stream(1 << 20, decode_content=False):
                        handle.write(chunk)
            except (oci.exceptions.ServiceError, oci.exceptions.RequestException) as exc:
                raise service_error(
                    f"Object Storage get_object {report.object_name}", exc
                ) from None
        paths.append(target)
        if progress is not None:
            progress.advance()
    return paths
