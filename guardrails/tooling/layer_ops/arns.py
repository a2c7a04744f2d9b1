"""Layer ARNs, names and principals: checked before any AWS call (AWS checks them only when a
call is made, and moto, which the tests run against, not at all).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from guardrails.runtime.validation import LAMBDA_LAYER_NAME, layer_principal_problem, matches
from guardrails.tooling.layer_ops.api import LayerOpsError

LAYER_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:"
    rf"(?P<name>{LAMBDA_LAYER_NAME.strip('^$')})(?::(?P<version>\d+))?$"
)
ALARM_NAME = r"^[^\x00-\x1f]{1,255}$"


def check_layer_name(value: str) -> str:
    """A layer name or unversioned layer ARN; returns the name."""
    arn = LAYER_ARN.match(value)
    if arn and arn["version"] is None:
        return arn["name"]
    if matches(LAMBDA_LAYER_NAME, value):
        return value
    raise LayerOpsError(
        f"layer must be a name of letters, digits, - and _ (at most 140) or a layer ARN without"
        f" version (got {value!r})"
    )


def parse_layer_version_arn(value: str) -> tuple[str, str, int]:
    """(unversioned ARN, layer name, version) of a layer version ARN."""
    arn = LAYER_ARN.match(value)
    if not arn or arn["version"] is None:
        raise LayerOpsError(
            "layer version ARN must look like "
            f"arn:aws:lambda:REGION:123456789012:layer:NAME:VERSION (got {value!r})"
        )
    return value.rsplit(":", 1)[0], arn["name"], int(arn["version"])


def unversioned(arn: str) -> str:
    match = LAYER_ARN.match(arn)
    return arn.rsplit(":", 1)[0] if match and match["version"] else arn


def check_principals(principals: Sequence[str], organization_id: str | None, public: bool) -> None:
    if not principals:
        raise LayerOpsError("give at least one principal (account id, account root ARN or '*')")
    problems = [
        problem
        for principal in principals
        if (problem := layer_principal_problem(principal, organization_id, public=public))
    ]
    if problems:
        raise LayerOpsError("refused principals:\n" + "\n".join(f"  {p}" for p in problems))


def check_region(value: str, region: str) -> None:
    """A layer ARN names its region; the clients work in one. Lambda finds no layer of
    another region, and a function cannot use one, so the mismatch is refused up front."""
    arn = LAYER_ARN.match(value)
    if arn is None:
        return
    arn_region = value.split(":")[3]
    if arn_region != region:
        raise LayerOpsError(
            f"the layer ARN is in region {arn_region} but the AWS clients work in {region} "
            f"(a layer is used and changed in its own region): add --region {arn_region}, "
            f"or name the layer of {region}"
        )
