"""OCI credentials for the tooling's `oci` SDK clients: a config file profile (API key),
instance principals or resource principals, and an optional service endpoint (a local
emulator). Every failure to find or read credentials is a GuardrailsError with the fix.
"""

from __future__ import annotations

import configparser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.acting.retry import Budget, oci_client_kwargs
from guardrails.tooling.inputs import read_ini

C = TypeVar("C")
AuthMethod = Literal["api_key", "instance_principal", "resource_principal"]
AUTH_METHODS: tuple[AuthMethod, ...] = ("api_key", "instance_principal", "resource_principal")
DEFAULT_CONFIG = Path("~/.oci/config")


@dataclass(frozen=True)
class OciAuth:
    """How to authenticate: `--auth`, `--profile`, `--oci-config`, `--endpoint-url`."""

    method: AuthMethod = "api_key"
    profile: str | None = None
    config_file: Path | None = None
    endpoint: str | None = None


@dataclass(frozen=True)
class OciCredentials:
    config: dict[str, Any]
    signer: Any | None
    tenancy: str


def _profiles(path: Path) -> list[str]:
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
    except configparser.Error:
        return []
    return ["DEFAULT", *parser.sections()]


def credentials(auth: OciAuth) -> OciCredentials:
    """Read the credentials `auth` names; GuardrailsError when they are missing or invalid."""
    import oci  # a second to import: only for runs that call OCI

    if auth.method == "instance_principal":
        try:
            signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
        except Exception as exc:  # the SDK raises plain errors off an instance
            raise GuardrailsError(
                f"instance principal credentials unavailable (not on an OCI instance?): {exc}"
            ) from None
        return OciCredentials({"region": signer.region}, signer, signer.tenancy_id)
    if auth.method == "resource_principal":
        try:
            signer = oci.auth.signers.get_resource_principals_signer()
        except Exception as exc:
            raise GuardrailsError(
                f"resource principal credentials unavailable (OCI_RESOURCE_PRINCIPAL_VERSION "
                f"not set?): {exc}"
            ) from None
        return OciCredentials({"region": signer.region}, signer, signer.tenancy_id)
    path = (auth.config_file or DEFAULT_CONFIG).expanduser()
    profile = auth.profile or "DEFAULT"
    if not path.is_file():
        raise GuardrailsError(
            f"OCI config file {path} not found: create it with `oci setup config`, pass "
            "--oci-config FILE, or use --auth instance_principal|resource_principal"
        )
    read_ini(path, "OCI config file")  # not INI, not UTF-8, a key twice: one line, exit 2
    try:
        config = oci.config.from_file(str(path), profile)
        oci.config.validate_config(config)
    except oci.exceptions.ProfileNotFound:
        known = ", ".join(_profiles(path)) or "none"
        raise GuardrailsError(
            f"OCI config {path}: profile {profile!r} not found (profiles: {known})"
        ) from None
    except (oci.exceptions.ClientError, ValueError) as exc:
        raise GuardrailsError(f"OCI config {path}, profile {profile!r}: {exc}") from None
    return OciCredentials(config, None, str(config["tenancy"]))


def with_signer(creds: OciCredentials, auth: OciAuth) -> OciCredentials:
    """The credentials with their signer made once, for many clients (from an API key the
    SDK would load the private key again for each client, ~0.2 s each time)."""
    if creds.signer is not None:
        return creds
    import oci

    try:
        signer = oci.signer.Signer.from_config(creds.config)
    except (OSError, ValueError, TypeError, oci.exceptions.ClientError) as exc:
        raise GuardrailsError(
            f"OCI config {auth.config_file or '~/.oci/config'} [{auth.profile or 'DEFAULT'}]: "
            f"the API key cannot be read: {exc}"
        ) from None
    return OciCredentials(creds.config, signer, creds.tenancy)


def make_client(
    cls: Callable[..., C],
    auth: OciAuth,
    creds: OciCredentials | None = None,
    budget: Budget | None = None,
) -> C:
    """An SDK client (`oci.usage_api.UsageapiClient`, ...) with these credentials, connect and
    read timeouts, and none of the SDK's own retries (`acting.retry`: one retry policy,
    never two stacked)."""
    creds = creds or credentials(auth)
    kwargs: dict[str, Any] = oci_client_kwargs(budget)
    if creds.signer is not None:
        kwargs["signer"] = creds.signer
    if auth.endpoint:
        kwargs["service_endpoint"] = auth.endpoint
    return cls(creds.config, **kwargs)


def service_error(doing: str, exc: Exception) -> GuardrailsError:
    """One line for an SDK failure: the service's status and code, or the connection error."""
    import oci

    if isinstance(exc, oci.exceptions.ServiceError):
        return GuardrailsError(f"{doing}: {exc.status} {exc.code}: {exc.message}")
    return GuardrailsError(f"{doing}: {exc}")
