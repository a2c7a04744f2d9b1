"""The fake OCI API core: signatures verified as OCI does, OCI-shaped errors, paging, faults."""

from __future__ import annotations

import email.utils
import json
from datetime import UTC, datetime, timedelta

import oci
import pytest
from oci._vendor import requests

from tests.fake_oci.fixture import FakeOci, check_all_routed, client, oci_config
from tests.fake_oci.lifecycle import LifecycleResource
from tests.fake_oci.signing import generate_api_key
from tests.fake_oci.state import new_ocid, ocid

COMPARTMENT = ocid("compartment", "workloads")


def _seed_work_requests(fake: FakeOci, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        resource = LifecycleResource(new_ocid("autonomousdatabase"), COMPARTMENT, "AVAILABLE")
        record = fake.work_requests.create(
            "STOP_AUTONOMOUS_DATABASE", resource, "autonomousDatabase", "UPDATED"
        )
        ids.append(record.id)
    return ids


def _sdk_signer(fake: FakeOci) -> oci.signer.Signer:
    """The SDK's own request signer, with the fake's API key."""
    config = oci_config(fake)
    return oci.signer.Signer(
        config["tenancy"],
        config["user"],
        config["fingerprint"],
        None,
        private_key_content=config["key_content"],
    )


def _signed(fake: FakeOci, method: str, path: str, body: str | None = None, signer=None):
    """A request signed by the SDK's own signer, prepared but not sent (so tests can tamper)."""
    signer = signer or _sdk_signer(fake)
    request = requests.Request(method, fake.url + path, data=body, auth=signer)
    return request.prepare()


def _send(prepared) -> requests.Response:
    with requests.Session() as session:
        return session.send(prepared, timeout=10)


def test_a_signed_sdk_request_passes(fake_oci: FakeOci) -> None:
    [wr_id] = _seed_work_requests(fake_oci, 1)
    wr = fake_oci.client(oci.work_requests.WorkRequestClient)

    response = wr.get_work_request(wr_id)

    assert response.status == 200
    assert response.data.id == wr_id
    assert response.data.status == "IN_PROGRESS"
    assert response.data.compartment_id == COMPARTMENT
    assert response.request_id
    assert [c.operation for c in fake_oci.state.calls] == ["GetWorkRequest"]
    assert fake_oci.state.auth_failures == []


def test_a_signed_post_with_a_body_passes_the_signature_check(fake_oci: FakeOci) -> None:
    # POST to a path with no route: authentication runs first, so a good signature gets 404
    prepared = _signed(fake_oci, "POST", "/20160918/nothing", json.dumps({"a": 1}))

    response = _send(prepared)

    assert response.status_code == 404
    assert response.json()["code"] == "NotImplementedInFake"
    assert fake_oci.state.auth_failures == []
    with pytest.raises(pytest.fail.Exception, match="does not implement: POST /20160918/nothing"):
        check_all_routed(fake_oci.state)
    fake_oci.state.unrouted.clear()


def test_a_tampered_body_is_401(fake_oci: FakeOci) -> None:
    prepared = _signed(fake_oci, "POST", "/20160918/nothing", json.dumps({"amount": 1}))
    prepared.body = json.dumps({"amount": 9}).encode()  # same length, other bytes

    response = _send(prepared)

    assert response.status_code == 401
    assert response.json() == {
        "code": "NotAuthenticated",
        "message": "The required information to complete authentication was not provided or was incorrect.",
    }
    assert response.headers["opc-request-id"]
    assert "x-content-sha256 does not match the body" in fake_oci.state.auth_failures[-1]
    assert fake_oci.state.calls == []


def test_a_tampered_path_is_401(fake_oci: FakeOci) -> None:
    [wr_id, other] = _seed_work_requests(fake_oci, 2)
    prepared = _signed(fake_oci, "GET", f"/20160918/workRequests/{wr_id}")
    prepared.url = prepared.url.replace(wr_id, other)

    response = _send(prepared)

    assert response.status_code == 401
    assert "signature does not verify" in fake_oci.state.auth_failures[-1]


def test_a_wrong_private_key_is_401(fake_oci: FakeOci) -> None:
    [wr_id] = _seed_work_requests(fake_oci, 1)
    config = oci_config(fake_oci)
    config["key_content"] = generate_api_key(fake_oci.tenancy, config["user"]).private_pem
    wr = fake_oci.client(oci.work_requests.WorkRequestClient, config=config)

    with pytest.raises(oci.exceptions.ServiceError) as caught:
        wr.get_work_request(wr_id)

    assert caught.value.status == 401
    assert caught.value.code == "NotAuthenticated"
    assert "signature does not verify" in fake_oci.state.auth_failures[-1]
    assert fake_oci.state.calls == []


def test_an_unknown_key_id_is_401(fake_oci: FakeOci) -> None:
    other = generate_api_key(fake_oci.tenancy, ocid("user", "stranger"))
    wr = fake_oci.client(oci.work_requests.WorkRequestClient, config=oci_config(fake_oci, other))

    with pytest.raises(oci.exceptions.ServiceError) as caught:
        wr.list_work_requests(COMPARTMENT)

    assert caught.value.status == 401
    assert caught.value.code == "NotAuthenticated"
    assert "unknown keyId" in fake_oci.state.auth_failures[-1]


@pytest.mark.parametrize(
    ("method", "headers", "reason"),
    [
        ("GET", ["date", "(request-target)"], "required headers not signed: host"),
        ("GET", ["(request-target)", "host"], "neither date nor x-date is signed"),
        (
            "POST",
            ["date", "(request-target)", "host"],
            "required headers not signed: content-length, content-type, x-content-sha256",
        ),
        (
            "POST",
            ["date", "(request-target)", "host", "content-length", "content-type"],
            "required headers not signed: x-content-sha256",
        ),
    ],
)
def test_a_required_header_left_unsigned_is_401(
    fake_oci: FakeOci, method: str, headers: list[str], reason: str
) -> None:
    signer = _sdk_signer(fake_oci)
    signer.create_signers(signer.api_key, signer.private_key, headers, [])
    body = "{}" if method == "POST" else None

    response = _send(
        _signed(fake_oci, method, "/20160918/workRequests?compartmentId=x", body, signer)
    )

    assert response.status_code == 401
    assert response.json()["code"] == "NotAuthenticated"
    assert fake_oci.state.auth_failures[-1].endswith(reason)


def test_a_signed_header_missing_from_the_request_is_401(fake_oci: FakeOci) -> None:
    prepared = _signed(fake_oci, "GET", f"/20160918/workRequests?compartmentId={COMPARTMENT}")
    del prepared.headers["date"]

    assert _send(prepared).status_code == 401
    assert "signed header 'date' is not in the request" in fake_oci.state.auth_failures[-1]


def test_no_authorization_header_is_401(fake_oci: FakeOci) -> None:
    response = requests.get(f"{fake_oci.url}/20160918/workRequests?compartmentId=x", timeout=10)

    assert response.status_code == 401
    assert fake_oci.state.auth_failures[-1].endswith("no authorization header")


def test_a_date_more_than_five_minutes_off_is_401(fake_oci: FakeOci) -> None:
    signer = _sdk_signer(fake_oci)
    old = email.utils.format_datetime(datetime.now(UTC) - timedelta(minutes=6), usegmt=True)
    request = requests.Request(
        "GET",
        f"{fake_oci.url}/20160918/workRequests?compartmentId=x",
        headers={"date": old},
        auth=signer,
    )

    assert _send(request.prepare()).status_code == 401
    assert "more than 5 minutes" in fake_oci.state.auth_failures[-1]


def test_paging_follows_opc_next_page(fake_oci: FakeOci) -> None:
    ids = _seed_work_requests(fake_oci, 5)
    wr = fake_oci.client(oci.work_requests.WorkRequestClient)

    first = wr.list_work_requests(COMPARTMENT, limit=2)
    every = oci.pagination.list_call_get_all_results(wr.list_work_requests, COMPARTMENT, limit=2)

    assert [w.id for w in first.data] == ids[:2]
    assert first.next_page
    assert [w.id for w in every.data] == ids
    assert [c.query.get("page") for c in fake_oci.state.calls_of("ListWorkRequests")][1:] == [
        None,
        ["fakepage-2"],
        ["fakepage-4"],
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit must be between 1 and 1000, got 0."),
        ({"limit": 1001}, "limit must be between 1 and 1000, got 1001."),
        ({"page": "not-a-token"}, "Invalid page token 'not-a-token'."),
    ],
)
def test_bad_paging_parameters_are_400(fake_oci: FakeOci, kwargs: dict, message: str) -> None:
    wr = fake_oci.client(oci.work_requests.WorkRequestClient)

    with pytest.raises(oci.exceptions.ServiceError) as caught:
        wr.list_work_requests(COMPARTMENT, **kwargs)

    assert (caught.value.status, caught.value.code, caught.value.message) == (
        400,
        "InvalidParameter",
        message,
    )


def test_an_unknown_id_is_404_not_authorized_or_not_found(fake_oci: FakeOci) -> None:
    wr = fake_oci.client(oci.work_requests.WorkRequestClient)

    with pytest.raises(oci.exceptions.ServiceError) as caught:
        wr.get_work_request(new_ocid("coreservicesworkrequest"))

    assert caught.value.status == 404
    assert caught.value.code == "NotAuthorizedOrNotFound"
    assert caught.value.message == "Authorization failed or requested resource not found."
    assert caught.value.request_id


def test_an_injected_fault_answers_once_then_the_operation_runs(fake_oci: FakeOci) -> None:
    [wr_id] = _seed_work_requests(fake_oci, 1)
    fake_oci.state.inject_fault(
        "GetWorkRequest", 429, "TooManyRequests", "Too many requests for the tenant"
    )
    wr = fake_oci.client(oci.work_requests.WorkRequestClient)

    with pytest.raises(oci.exceptions.ServiceError) as caught:
        wr.get_work_request(wr_id)
    second = wr.get_work_request(wr_id)

    assert (caught.value.status, caught.value.code) == (429, "TooManyRequests")
    assert second.data.id == wr_id
    assert [c.status for c in fake_oci.state.calls] == [429, 200]


def test_client_helper_points_the_sdk_at_the_fake_with_its_base_path(fake_oci: FakeOci) -> None:
    wr = client(oci.work_requests.WorkRequestClient, fake_oci)
    usage = client(oci.usage_api.UsageapiClient, fake_oci)
    objects = client(oci.object_storage.ObjectStorageClient, fake_oci)

    assert wr.base_client.endpoint == f"{fake_oci.url}/20160918"
    assert usage.base_client.endpoint == f"{fake_oci.url}/20200107"
    assert objects.base_client.endpoint == fake_oci.url


def test_concurrent_signed_requests_are_all_served(fake_oci: FakeOci) -> None:
    from concurrent.futures import ThreadPoolExecutor

    ids = _seed_work_requests(fake_oci, 8)
    clients = [fake_oci.client(oci.work_requests.WorkRequestClient) for _ in range(4)]

    def fetch(index: int) -> str:
        return clients[index % 4].get_work_request(ids[index % 8]).data.id

    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(fetch, range(32)))

    assert got == [ids[i % 8] for i in range(32)]
    assert len(fake_oci.state.calls) == 32
    assert fake_oci.state.auth_failures == []


def test_a_handler_that_raises_is_a_400_fake_bug_and_fails_the_test(fake_oci: FakeOci) -> None:
    from datetime import UTC, datetime

    fake_oci.usage.lines.append("not a usage line")  # type: ignore[arg-type]
    usage = fake_oci.client(oci.usage_api.UsageapiClient)
    details = oci.usage_api.models.RequestSummarizedUsagesDetails(
        tenant_id=fake_oci.tenancy,
        time_usage_started=datetime(2026, 11, 1, tzinfo=UTC),
        time_usage_ended=datetime(2026, 11, 2, tzinfo=UTC),
        granularity="DAILY",
    )

    with pytest.raises(oci.exceptions.ServiceError) as caught:
        usage.request_summarized_usages(details)

    assert (caught.value.status, caught.value.code) == (400, "FakeOciBug")
    with pytest.raises(pytest.fail.Exception, match="handler raised AttributeError"):
        check_all_routed(fake_oci.state)
    fake_oci.state.unrouted.clear()
