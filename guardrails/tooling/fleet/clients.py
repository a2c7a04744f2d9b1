"""OCI clients for the fleet commands, from the same OCI access options as every command
(`--profile`, `--oci-config`, `--auth`, `--endpoint-url`: `guardrails.tooling.oci_auth`),
plus `--region` over the profile's region. All clients share one signer; each thread that
needs a client makes its own (the SDK's HTTP session is per client). Every client retries
under the one policy (`acting.retry.oci_retry_strategy`) with connect and read timeouts; the
executor sends a changing call without an idempotency key once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guardrails.tooling.acting.retry import DEFAULT_TIMEOUT_SECONDS
from guardrails.tooling.oci_auth import OciAuth, credentials, with_signer


@dataclass(frozen=True)
class FleetClients:
    config: dict[str, Any]
    signer: Any | None = None
    endpoint: str | None = None

    timeout: float = DEFAULT_TIMEOUT_SECONDS
    """The run's time for calls, retries included (`acting.retry`: one policy)."""

    def _kwargs(self) -> dict[str, Any]:
        from guardrails.tooling.acting.retry import (
            CONNECT_TIMEOUT_SECONDS,
            READ_TIMEOUT_SECONDS,
            oci_retry_strategy,
        )

        kwargs: dict[str, Any] = {
            "retry_strategy": oci_retry_strategy(self.timeout),
            "timeout": (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
        }
        if self.signer is not None:
            kwargs["signer"] = self.signer
        if self.endpoint:
            kwargs["service_endpoint"] = self.endpoint
        return kwargs

    def database(self) -> Any:
        from oci.database import DatabaseClient

        return DatabaseClient(self.config, **self._kwargs())

    def work_requests(self) -> Any:
        from oci.work_requests import WorkRequestClient

        return WorkRequestClient(self.config, **self._kwargs())

    def monitoring(self) -> Any:
        from oci.monitoring import MonitoringClient

        return MonitoringClient(self.config, **self._kwargs())


def fleet_clients(
    auth: OciAuth, region: str | None = None, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> FleetClients:
    """Clients signed as `auth` says; GuardrailsError (exit 2) naming what is missing."""
    creds = with_signer(credentials(auth), auth)
    config = dict(creds.config)
    if region:
        config["region"] = region
    return FleetClients(config, creds.signer, auth.endpoint, timeout)
