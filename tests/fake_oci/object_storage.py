"""``oci.object_storage.ObjectStorageClient``: namespace, list, get and head of objects.

Seed objects, then list and read them as Object Storage does::

    fake_oci.objects.put("bling", fake_oci.tenancy, "reports/cost-csv/0001.csv.gz", data,
                         time_created=datetime(2026, 11, 3, 6, tzinfo=UTC))
    fake_oci.objects.put_report("reports/cost-csv/0001.csv.gz", data)   # same, in bling

The usage-report bucket exists from the start: namespace ``bling``, bucket = the tenancy OCID
(OCI's layout); ``put`` creates other buckets on first use, ``create_bucket`` an empty one.

Routes (no base path): GetNamespace ``GET /n/``; ListObjects ``GET /n/{ns}/b/{bucket}/o``
with ``prefix``, ``start`` (inclusive), ``end`` (exclusive), ``startAfter``, ``limit``
(1..1000, default 1000), ``delimiter`` (only ``/``, as OCI) and ``fields`` (a comma-separated
subset of name,size,etag,md5,timeCreated,timeModified,storageTier,archivalState; ``name``
alone when absent, as OCI), paged by ``nextStartWith``; GetObject and HeadObject
``/n/{ns}/b/{bucket}/o/{name}`` (names may contain ``/``) with ``content-length``,
``content-md5``, ``etag``, ``last-modified``, ``opc-meta-*``, a ``range: bytes=a-b`` read
(206) and ``if-none-match`` (304). Errors as OCI: 404 BucketNotFound, 404 ObjectNotFound,
400 InvalidParameter for a bad ``fields``/``limit``/``delimiter``.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fake_oci.server import (
    FakeRequest,
    FakeResponse,
    OciError,
    Router,
    invalid_parameter,
    oci_time,
)
from tests.fake_oci.state import FakeOciState

USAGE_NAMESPACE = "bling"
OBJECT_FIELDS = (
    "name",
    "size",
    "etag",
    "md5",
    "timeCreated",
    "timeModified",
    "storageTier",
    "archivalState",
)
MAX_LIST = 1000


@dataclass
class StoredObject:
    name: str
    data: bytes
    time_created: datetime
    content_type: str = "application/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)
    storage_tier: str = "Standard"

    @property
    def md5(self) -> str:
        return base64.b64encode(hashlib.md5(self.data, usedforsecurity=False).digest()).decode()

    @property
    def etag(self) -> str:
        return hashlib.sha1(self.name.encode() + self.data, usedforsecurity=False).hexdigest()


class ObjectStorageState:
    """Buckets by (namespace, bucket name), each a dict of objects by name."""

    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.namespace = "fakenamespace"
        self.buckets: dict[tuple[str, str], dict[str, StoredObject]] = {
            (USAGE_NAMESPACE, state.tenancy): {}
        }

    def create_bucket(self, namespace: str, bucket: str) -> None:
        with self.state.lock:
            self.buckets.setdefault((namespace, bucket), {})

    def put(
        self,
        namespace: str,
        bucket: str,
        name: str,
        data: bytes,
        *,
        time_created: datetime | None = None,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> StoredObject:
        stored = StoredObject(
            name=name,
            data=data,
            time_created=time_created or datetime.now(UTC),
            content_type=content_type,
            metadata=dict(metadata or {}),
        )
        with self.state.lock:
            self.buckets.setdefault((namespace, bucket), {})[name] = stored
        return stored

    def put_report(self, name: str, data: bytes, *, time_created: datetime | None = None) -> None:
        """An object in the usage-report bucket (namespace ``bling``, bucket = tenancy)."""
        self.put(USAGE_NAMESPACE, self.state.tenancy, name, data, time_created=time_created)

    def bucket(self, namespace: str, bucket: str) -> dict[str, StoredObject]:
        found = self.buckets.get((namespace, bucket))
        if found is None:
            raise OciError(
                404,
                "BucketNotFound",
                f"Either the bucket named '{bucket}' does not exist in the namespace "
                f"'{namespace}' or you are not authorized to access it",
            )
        return found

    def get(self, namespace: str, bucket: str, name: str) -> StoredObject:
        stored = self.bucket(namespace, bucket).get(name)
        if stored is None:
            raise OciError(
                404,
                "ObjectNotFound",
                f"The object '{name}' was not found in the bucket '{bucket}'",
            )
        return stored


def get_namespace(request: FakeRequest) -> Any:
    return request.state.service(ObjectStorageState).namespace


def _fields(request: FakeRequest) -> list[str]:
    text = request.arg("fields")
    if text is None:
        return ["name"]
    wanted = [f.strip() for f in text.split(",") if f.strip()]
    for name in wanted:
        if name not in OBJECT_FIELDS:
            raise invalid_parameter(
                f"Invalid fields value '{name}'; allowed: {', '.join(OBJECT_FIELDS)}"
            )
    return ["name", *[f for f in wanted if f != "name"]]


def _summary(stored: StoredObject, wanted: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": stored.name,
        "size": len(stored.data),
        "etag": stored.etag,
        "md5": stored.md5,
        "timeCreated": oci_time(stored.time_created),
        "timeModified": oci_time(stored.time_created),
        "storageTier": stored.storage_tier,
        "archivalState": None,
    }
    return {k: values[k] for k in wanted if values[k] is not None}


def list_objects(request: FakeRequest) -> FakeResponse:
    objects = request.state.service(ObjectStorageState)
    bucket = objects.bucket(request.params["namespaceName"], request.params["bucketName"])
    wanted = _fields(request)
    limit_text = request.arg("limit") or str(MAX_LIST)
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIST:
        raise invalid_parameter(f"limit must be between 1 and {MAX_LIST}, got {limit_text!r}.")
    limit = int(limit_text)
    delimiter = request.arg("delimiter")
    if delimiter not in (None, "/"):
        raise invalid_parameter("Only '/' is a supported delimiter.")
    prefix = request.arg("prefix") or ""
    start = request.arg("start")
    end = request.arg("end")
    after = request.arg("startAfter")
    names = sorted(
        n
        for n in bucket
        if n.startswith(prefix)
        and (start is None or n >= start)
        and (end is None or n < end)
        and (after is None or n > after)
    )
    page: list[str] = []
    prefixes: list[str] = []
    next_start: str | None = None
    for name in names:
        if delimiter and delimiter in name[len(prefix) :]:
            folder = name[: name.index(delimiter, len(prefix)) + 1]
            if folder not in prefixes:
                prefixes.append(folder)
            continue
        if len(page) == limit:
            next_start = name
            break
        page.append(name)
    body: dict[str, Any] = {"objects": [_summary(bucket[n], wanted) for n in page]}
    if delimiter:
        body["prefixes"] = prefixes
    if next_start is not None:
        body["nextStartWith"] = next_start
    return FakeResponse(body)


def _object_headers(stored: StoredObject) -> dict[str, str]:
    headers = {
        "etag": stored.etag,
        "content-md5": stored.md5,
        "last-modified": email.utils.format_datetime(stored.time_created, usegmt=True),
        "accept-ranges": "bytes",
        "storage-tier": stored.storage_tier,
    }
    headers.update({f"opc-meta-{k}": v for k, v in stored.metadata.items()})
    return headers


def get_object(request: FakeRequest) -> FakeResponse:
    stored = request.state.service(ObjectStorageState).get(
        request.params["namespaceName"], request.params["bucketName"], request.params["objectName"]
    )
    headers = _object_headers(stored)
    if request.header("if-none-match") == stored.etag:
        return FakeResponse(b"", 304, headers, stored.content_type)
    data = stored.data
    status = 200
    requested = request.header("range")
    if requested:
        first, last = _byte_range(requested, len(data))
        headers["content-range"] = f"bytes {first}-{last}/{len(data)}"
        data = data[first : last + 1]
        status = 206
    return FakeResponse(data, status, headers, stored.content_type)


def _byte_range(value: str, size: int) -> tuple[int, int]:
    unit, _, span = value.partition("=")
    first_text, _, last_text = span.partition("-")
    try:
        if unit != "bytes" or "," in span:
            raise ValueError(value)
        if first_text:
            first = int(first_text)
            last = int(last_text) if last_text else size - 1
        else:
            first, last = max(size - int(last_text), 0), size - 1
    except ValueError:
        raise invalid_parameter(f"Invalid range header {value!r}.") from None
    if first >= size or first > last:
        raise OciError(416, "InvalidRange", f"The range {value!r} is not satisfiable.")
    return first, min(last, size - 1)


def register(router: Router) -> None:
    router.add("GET", "/n", "GetNamespace", get_namespace)
    router.add("GET", "/n/{namespaceName}/b/{bucketName}/o", "ListObjects", list_objects)
    path = "/n/{namespaceName}/b/{bucketName}/o/{objectName+}"
    router.add("GET", path, "GetObject", get_object)
    router.add("HEAD", path, "HeadObject", get_object)
