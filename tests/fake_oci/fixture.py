"""The ``fake_oci`` pytest fixture, the SDK config for the fake's API key, and a client helper.

One FakeOciServer per test worker (session scope, started on first use); ``fake_oci`` gives
each test a fresh state and fails the test at teardown when the code under test called an
operation the fake has no route for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.fake_oci import (
    compute,
    database,
    governed,
    monitoring,
    object_storage,
    ons,
    quotas,
    resource_search,
    secrets,
    tags,
    usage_api,
    work_requests,
)
from tests.fake_oci.compute import ComputeState
from tests.fake_oci.database import DatabaseState
from tests.fake_oci.governed import GovernedState
from tests.fake_oci.monitoring import MonitoringState
from tests.fake_oci.object_storage import ObjectStorageState
from tests.fake_oci.ons import OnsState
from tests.fake_oci.quotas import QuotasState
from tests.fake_oci.resource_search import SearchState
from tests.fake_oci.secrets import SecretsState
from tests.fake_oci.server import FakeOciServer, Router
from tests.fake_oci.signing import ApiKey, generate_api_key
from tests.fake_oci.state import FakeOciState, ocid
from tests.fake_oci.tags import TagsState
from tests.fake_oci.usage_api import UsageState
from tests.fake_oci.work_requests import WorkRequestState

C = TypeVar("C")

TENANCY = ocid("tenancy", "tenancy")
USER = ocid("user", "fakeuser")
REGION = "eu-frankfurt-1"

#: Every service module's ``register(router)``; a new service adds one line here.
SERVICES: tuple[Callable[[Router], None], ...] = (
    usage_api.register,
    object_storage.register,
    database.register,
    compute.register,
    monitoring.register,
    work_requests.register,
    resource_search.register,
    ons.register,
    quotas.register,
    secrets.register,
    tags.register,
    governed.register,
)


class FakeOci:
    """What a test gets from ``fake_oci``: the server's URL and state, config, clients, seeds."""

    def __init__(self, server: FakeOciServer) -> None:
        self.server = server

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def state(self) -> FakeOciState:
        return self.server.state

    @property
    def api_key(self) -> ApiKey:
        return self.server.api_key

    @property
    def tenancy(self) -> str:
        return self.server.state.tenancy

    @property
    def config(self) -> dict[str, Any]:
        return oci_config(self)

    def client(self, cls: Callable[..., C], **kwargs: Any) -> C:
        return client(cls, self, **kwargs)

    def config_file(self, folder: Path, name: str = "config") -> Path:
        """An OCI config file (DEFAULT profile) and its key file in `folder`, signing with the
        fake's API key: what `--oci-config` takes."""
        key = folder / "key.pem"
        key.write_text(self.api_key.private_pem)
        config = folder / name
        config.write_text(
            "[DEFAULT]\n"
            f"user={self.api_key.user}\n"
            f"fingerprint={self.api_key.fingerprint}\n"
            f"tenancy={self.api_key.tenancy}\n"
            f"region={REGION}\n"
            f"key_file={key}\n"
        )
        return config

    @property
    def usage(self) -> UsageState:
        return self.state.service(UsageState)

    @property
    def objects(self) -> ObjectStorageState:
        return self.state.service(ObjectStorageState)

    @property
    def database(self) -> DatabaseState:
        return self.state.service(DatabaseState)

    @property
    def compute(self) -> ComputeState:
        return self.state.service(ComputeState)

    @property
    def monitoring(self) -> MonitoringState:
        return self.state.service(MonitoringState)

    @property
    def work_requests(self) -> WorkRequestState:
        return self.state.service(WorkRequestState)

    @property
    def search(self) -> SearchState:
        return self.state.service(SearchState)

    @property
    def ons(self) -> OnsState:
        return self.state.service(OnsState)

    @property
    def quotas(self) -> QuotasState:
        return self.state.service(QuotasState)

    @property
    def secrets(self) -> SecretsState:
        return self.state.service(SecretsState)

    @property
    def tags(self) -> TagsState:
        return self.state.service(TagsState)

    @property
    def governed(self) -> GovernedState:
        return self.state.service(GovernedState)


def oci_config(fake: FakeOci | FakeOciServer, key: ApiKey | None = None) -> dict[str, Any]:
    """An ``oci`` config dict signing with the fake's API key (or ``key``, e.g. a wrong one)."""
    server = fake.server if isinstance(fake, FakeOci) else fake
    api_key = key or server.api_key
    return {
        "user": api_key.user,
        "tenancy": api_key.tenancy,
        "fingerprint": api_key.fingerprint,
        "key_content": api_key.private_pem,
        "region": REGION,
    }


def client(cls: Callable[..., C], fake: FakeOci | FakeOciServer, **kwargs: Any) -> C:
    """A real SDK client (``oci.usage_api.UsageapiClient``, ...) talking to the fake.

    ``service_endpoint`` is the bare ``http://127.0.0.1:<port>``: the SDK appends the client's
    base path itself (``/20200107``, ``/20160918``; Object Storage has none). Retries and the
    circuit breaker are off unless passed, so an injected fault is seen once, at once.
    """
    import oci  # here, so a test session that never talks to OCI does not import the SDK

    kwargs.setdefault("retry_strategy", oci.retry.NoneRetryStrategy())
    kwargs.setdefault("circuit_breaker_strategy", oci.circuit_breaker.NoCircuitBreakerStrategy())
    config = kwargs.pop("config", None) or oci_config(fake)
    return cls(config, service_endpoint=fake.url, **kwargs)


def start_server() -> FakeOciServer:
    return FakeOciServer(generate_api_key(TENANCY, USER), SERVICES).start()


@pytest.fixture(scope="session")
def fake_oci_server() -> Iterator[FakeOciServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_oci(fake_oci_server: FakeOciServer) -> Iterator[FakeOci]:
    """The fake OCI API with a fresh state for this test."""
    fake_oci_server.reset()
    yield FakeOci(fake_oci_server)
    check_all_routed(fake_oci_server.state)


def check_all_routed(state: FakeOciState) -> None:
    """Fail the test when the code called what the fake does not implement (or it crashed)."""
    if state.unrouted:
        pytest.fail(
            "the fake OCI API got requests it does not implement: " + "; ".join(state.unrouted)
        )
