"""OCI clients for the fleet commands: API-key config from `~/.oci/config` (`--profile`) or
instance principals, an optional `--endpoint` that every client talks to (a local fake in
tests), and the region from the config or `--region`. All clients share one signer; each
thread that needs a client makes its own (the SDK's HTTP session is per client)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guardrails.runtime.errors import GuardrailsError


@dataclass(frozen=True)
class OciAuth:
    config: dict[str, Any]
    signer: Any | None = None
    endpoint: str | None = None

    def _kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
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


def oci_auth(
    *,
    config_file: Path | None,
    profile: str,
    instance_principal: bool,
    region: str | None,
    endpoint: str | None,
) -> OciAuth:
    """Credentials for the clients; GuardrailsError (exit 2) naming what is missing."""
    import oci

    if instance_principal:
        try:
            signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
        except Exception as exc:  # the SDK raises plain errors off an OCI instance
            raise GuardrailsError(f"instance principal sign-in failed: {exc}") from exc
        return OciAuth({"region": region or signer.region}, signer, endpoint)
    location = str(config_file) if config_file else oci.config.DEFAULT_LOCATION
    try:
        config = oci.config.from_file(location, profile)
        if region:
            config["region"] = region
        oci.config.validate_config(config)
        # One signer for every client: loading the private key costs ~0.2 s each time.
        signer = oci.signer.Signer.from_config(config)
    except oci.exceptions.ConfigFileNotFound as exc:
        raise GuardrailsError(
            f"no OCI config at {location}: create it (`oci setup config`), give --config-file, "
            "or use --instance-principal"
        ) from exc
    except oci.exceptions.ProfileNotFound as exc:
        raise GuardrailsError(f"profile {profile!r} is not in {location}") from exc
    except (oci.exceptions.InvalidConfig, oci.exceptions.InvalidKeyFilePath) as exc:
        raise GuardrailsError(f"{location} [{profile}] is invalid: {exc}") from exc
    except (OSError, ValueError, TypeError) as exc:
        raise GuardrailsError(f"{location} [{profile}]: the API key cannot be read: {exc}") from exc
    return OciAuth(config, signer, endpoint)
