"""Argument checks shared by the components.

Every failure raises `ComponentArgumentError` with a message that names the component, the
argument and what is allowed, so a bad value fails at `pulumi preview` time with a sentence
the user can act on rather than as an API error halfway through `pulumi up`.

Values that are Pulumi Outputs are not known when a component is constructed; the checks
here only look at plain values and let Outputs through.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Iterable
from typing import Any

# ocid1.<resource type>.<realm>.[region][.future use].<unique id>
_OCID = re.compile(
    r"^ocid1\.(?P<kind>[a-z0-9_]+)\.(?P<realm>oc[0-9]+)\.(?P<region>[a-z0-9-]*)"
    r"(?:\.[a-z0-9-]+)?\.(?P<unique>[a-z0-9]{16,})$"
)

# Name formats OCI accepts. The stack schema checks the same patterns before any component
# runs, so that config errors carry their key path.
TAG_VALUE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"
TAG_NAMESPACE = r"^[A-Za-z][A-Za-z0-9_\-]{0,99}$"
IAM_RESOURCE_TYPE = r"^[a-z][a-z0-9\-]*$"
TOPIC_NAME = r"^[A-Za-z0-9_\-]{1,256}$"
ADB_DB_NAME = r"^[A-Za-z][A-Za-z0-9]{0,29}$"
BUCKET_NAME = r"^[A-Za-z0-9_.\-]{1,256}$"
STREAM_NAME = r"^[A-Za-z0-9_.\-]{1,255}$"
EMAIL = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$"
HTTPS_URL = r"^https://[^\s/]+(/\S*)?$"

ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
PRODUCTION_ENVIRONMENTS: tuple[str, ...] = ("prod",)


class ComponentArgumentError(ValueError):
    """A component was given an argument it cannot use."""

    def __init__(self, component: str, argument: str, problem: str) -> None:
        super().__init__(f"{component}: {argument} {problem}")
        self.component = component
        self.argument = argument


def _shown(value: Any) -> str:
    return repr(value)


def ocid_kind(value: str) -> str | None:
    """The resource type part of an OCID, or None when `value` is not an OCID."""
    match = _OCID.match(value)
    return match["kind"] if match else None


def is_ocid(value: Any, *kinds: str) -> bool:
    """True when `value` is a well-formed OCID of one of `kinds` (any kind if none given)."""
    if not isinstance(value, str):
        return False
    kind = ocid_kind(value)
    return kind is not None and (not kinds or kind in kinds)


def check_ocid(component: str, argument: str, value: Any, *kinds: str) -> None:
    """Raise unless `value` is an OCID of one of `kinds`; Outputs are let through."""
    if not isinstance(value, str):
        return
    if not is_ocid(value, *kinds):
        wanted = " or ".join(f"ocid1.{k}...." for k in kinds) if kinds else "an OCID"
        raise ComponentArgumentError(component, argument, f"must be {wanted} (got {value!r})")


def check_one_of(component: str, argument: str, value: Any, allowed: Collection[Any]) -> None:
    if value not in allowed:
        choices = ", ".join(str(a) for a in allowed)
        raise ComponentArgumentError(
            component, argument, f"must be one of {choices} (got {_shown(value)})"
        )


def check_range(
    component: str,
    argument: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    whole: bool = False,
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ComponentArgumentError(component, argument, f"must be a number (got {value!r})")
    if whole and float(value) != int(value):
        raise ComponentArgumentError(component, argument, f"must be a whole number (got {value!r})")
    if minimum is not None and value < minimum:
        raise ComponentArgumentError(component, argument, f"must be >= {minimum:g} (got {value})")
    if maximum is not None and value > maximum:
        raise ComponentArgumentError(component, argument, f"must be <= {maximum:g} (got {value})")


def check_not_empty(component: str, argument: str, values: Iterable[Any]) -> None:
    if not list(values):
        raise ComponentArgumentError(component, argument, "must not be empty")


def matches(pattern: str, value: Any) -> bool:
    return isinstance(value, str) and re.match(pattern, value) is not None


def check_emails(component: str, argument: str, values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, str) and not matches(EMAIL, value):
            raise ComponentArgumentError(
                component, argument, f"must hold e-mail addresses (got {value!r})"
            )


def check_https_url(component: str, argument: str, value: Any) -> None:
    if isinstance(value, str) and not matches(HTTPS_URL, value):
        raise ComponentArgumentError(
            component, argument, f"must be an https:// URL (got {value!r})"
        )


def parse_cidr(
    component: str, argument: str, value: str
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """Parse a CIDR block and refuse the whole internet (0.0.0.0/0, ::/0)."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ComponentArgumentError(
            component, argument, f"must hold IP addresses or CIDR blocks (got {value!r})"
        ) from exc
    if network.prefixlen == 0:
        raise ComponentArgumentError(
            component, argument, f"must not open access to the whole internet (got {value!r})"
        )
    return network


# AWS identifiers. AWS checks these only when a call is made (and moto not at all), so the
# component and the `guardrails layer` commands check them before anything is sent.
AWS_ACCOUNT_ID = r"^\d{12}$"
AWS_ACCOUNT_ROOT_ARN = r"^arn:aws[a-z-]*:iam::\d{12}:root$"
AWS_ORGANIZATION_ID = r"^o-[a-z0-9]{10,32}$"
SNS_TOPIC_ARN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_\-]{1,256}$"
LAMBDA_LAYER_NAME = r"^[A-Za-z0-9_-]{1,140}$"
LAMBDA_FUNCTION_NAME = r"^[A-Za-z0-9_-]{1,64}$"


def layer_principal_problem(
    principal: str, organization_id: str | None = None, *, public: bool = False
) -> str | None:
    """Why `principal` (with `organization_id`) may not be granted a layer version, or None.

    Lambda accepts a 12-digit account id, an account root ARN, or `*`; `*` shares with every
    AWS account unless an organisation id narrows it, so it needs that id or `public=True`.
    """
    if organization_id is not None and not matches(AWS_ORGANIZATION_ID, organization_id):
        return f"organization id must look like o-xxxxxxxxxx (got {organization_id!r})"
    if principal == "*":
        if organization_id is None and not public:
            return (
                "principal '*' shares the layer with every AWS account: add an organization id,"
                " or set public explicitly"
            )
        return None
    if organization_id is not None:
        return f"an organization id goes with principal '*' only (got principal {principal!r})"
    if matches(AWS_ACCOUNT_ID, principal) or matches(AWS_ACCOUNT_ROOT_ARN, principal):
        return None
    return (
        "principal must be a 12-digit account id, an account root ARN "
        f"(arn:aws:iam::123456789012:root) or '*' (got {principal!r})"
    )
