"""The fake Object Storage, through the real ObjectStorageClient: list, get, head in bling."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import oci
import pytest

from tests.fake_oci.fixture import FakeOci

REPORT = gzip.compress(b"lineItem/intervalUsageStart,cost/myCost\n2026-11-01T00:00Z,1.5\n")


@pytest.fixture
def bling(fake_oci: FakeOci) -> FakeOci:
    for index in range(5):
        fake_oci.objects.put_report(
            f"reports/cost-csv/{index:04d}.csv.gz",
            REPORT,
            time_created=datetime(2026, 11, 1, 4 * index, tzinfo=UTC),
        )
    fake_oci.objects.put_report("FOCUS Reports/2026/11/01/focus_0001.csv.gz", b"focus")
    return fake_oci


def _client(fake: FakeOci) -> oci.object_storage.ObjectStorageClient:
    return fake.client(oci.object_storage.ObjectStorageClient)


def test_list_reports_with_prefix_and_fields(bling: FakeOci) -> None:
    listing = _client(bling).list_objects(
        "bling", bling.tenancy, prefix="reports/cost-csv/", fields="name,size,timeCreated"
    )

    objects = listing.data.objects
    assert [o.name for o in objects] == [f"reports/cost-csv/{i:04d}.csv.gz" for i in range(5)]
    assert objects[2].size == len(REPORT)
    assert objects[2].time_created == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert objects[2].md5 is None  # not asked for
    assert listing.data.next_start_with is None


def test_list_without_fields_gives_names_only(bling: FakeOci) -> None:
    objects = _client(bling).list_objects("bling", bling.tenancy).data.objects

    assert len(objects) == 6
    assert objects[0].name == "FOCUS Reports/2026/11/01/focus_0001.csv.gz"
    assert objects[0].size is None and objects[0].time_created is None


def test_list_pages_with_next_start_with(bling: FakeOci) -> None:
    client = _client(bling)
    first = client.list_objects("bling", bling.tenancy, prefix="reports/", limit=2)
    every = oci.pagination.list_call_get_all_results(
        client.list_objects, "bling", bling.tenancy, prefix="reports/", limit=2
    )

    assert first.data.next_start_with == "reports/cost-csv/0002.csv.gz"
    assert [o.name[-11:] for o in every.data.objects] == [f"{i:04d}.csv.gz" for i in range(5)]
    assert len(bling.state.calls_of("ListObjects")) == 4


def test_list_start_end_start_after_and_delimiter(bling: FakeOci) -> None:
    client = _client(bling)
    ranged = client.list_objects(
        "bling", bling.tenancy, start="reports/cost-csv/0001", end="reports/cost-csv/0003"
    )
    after = client.list_objects("bling", bling.tenancy, start_after="reports/cost-csv/0003.csv.gz")
    top = client.list_objects("bling", bling.tenancy, delimiter="/")

    assert [o.name[-11:] for o in ranged.data.objects] == ["0001.csv.gz", "0002.csv.gz"]
    assert [o.name[-11:] for o in after.data.objects] == ["0004.csv.gz"]
    assert top.data.objects == [] and top.data.prefixes == ["FOCUS Reports/", "reports/"]


def test_get_object_returns_the_bytes_and_headers(bling: FakeOci) -> None:
    name = "reports/cost-csv/0003.csv.gz"
    response = _client(bling).get_object("bling", bling.tenancy, name)
    head = _client(bling).head_object(
        "bling", bling.tenancy, "FOCUS Reports/2026/11/01/focus_0001.csv.gz"
    )

    assert response.data.content == REPORT
    assert response.headers["content-length"] == str(len(REPORT))
    assert response.headers["etag"]
    assert response.headers["last-modified"] == "Sun, 01 Nov 2026 12:00:00 GMT"
    assert head.status == 200 and head.headers["content-length"] == "5"


def test_a_ranged_get(bling: FakeOci) -> None:
    response = _client(bling).get_object(
        "bling", bling.tenancy, "FOCUS Reports/2026/11/01/focus_0001.csv.gz", range="bytes=1-3"
    )

    assert response.status == 206
    assert response.data.content == b"ocu"
    assert response.headers["content-range"] == "bytes 1-3/5"


def test_get_namespace(fake_oci: FakeOci) -> None:
    assert _client(fake_oci).get_namespace().data == "fakenamespace"


def test_an_unknown_object_is_404_object_not_found(bling: FakeOci) -> None:
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        _client(bling).get_object("bling", bling.tenancy, "reports/nope.csv.gz")

    assert (caught.value.status, caught.value.code) == (404, "ObjectNotFound")
    assert (
        caught.value.message
        == f"The object 'reports/nope.csv.gz' was not found in the bucket '{bling.tenancy}'"
    )


def test_an_unknown_bucket_is_404_bucket_not_found(fake_oci: FakeOci) -> None:
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        _client(fake_oci).list_objects("bling", "ocid1.tenancy.oc1..other")

    assert (caught.value.status, caught.value.code) == (404, "BucketNotFound")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fields": "name,owner"}, "Invalid fields value 'owner'"),
        ({"limit": 1001}, "limit must be between 1 and 1000"),
        ({"delimiter": "-"}, "Only '/' is a supported delimiter."),
    ],
)
def test_bad_list_parameters_are_400(bling: FakeOci, kwargs: dict, message: str) -> None:
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        _client(bling).list_objects("bling", bling.tenancy, **kwargs)

    assert (caught.value.status, caught.value.code) == (400, "InvalidParameter")
    assert caught.value.message.startswith(message)
