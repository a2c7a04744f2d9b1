"""What every stack config model builds on: the base model and the annotated field types
(OCIDs, CIDRs, e-mail addresses, URLs, tag values), each checked with the limits of
`guardrails.runtime.limits` in their words.

A config block of its own (a module next to `models.py`) imports from here, not from
`models.py`, which imports the blocks for `StackConfig`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

from guardrails.runtime import limits
from guardrails.runtime.validation import ComponentArgumentError, is_ocid, parse_cidr


def limited(limit: limits.Choice | limits.Range | limits.Pattern) -> AfterValidator:
    """A pydantic check that words a broken limit exactly as the components do."""

    def check(value: Any) -> Any:
        problem = limit.problem(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def ocid_of(*kinds: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not is_ocid(value, *kinds):
            raise ValueError(f"must be an OCID of type {' or '.join(kinds)} (got {value!r})")
        return value

    return check


def check_cidr(value: str) -> str:
    try:
        parse_cidr("config", "cidr", value)
    except ComponentArgumentError as exc:
        raise ValueError(exc.problem) from None
    return value


TenancyOcid = Annotated[str, AfterValidator(ocid_of("tenancy"))]
CompartmentOcid = Annotated[str, AfterValidator(ocid_of("compartment", "tenancy"))]
SubnetOcid = Annotated[str, AfterValidator(ocid_of("subnet"))]
VcnOcid = Annotated[str, AfterValidator(ocid_of("vcn"))]
NsgOcid = Annotated[str, AfterValidator(ocid_of("networksecuritygroup"))]
KeyOcid = Annotated[str, AfterValidator(ocid_of("key"))]
VaultSecretOcid = Annotated[str, AfterValidator(ocid_of("vaultsecret"))]
TagDefinitionOcid = Annotated[str, AfterValidator(ocid_of("tagdefinition"))]
Cidr = Annotated[str, AfterValidator(check_cidr)]
Email = Annotated[str, limited(limits.EMAIL)]
HttpsUrl = Annotated[str, limited(limits.HTTPS_URL)]
CostCenterName = Annotated[str, limited(limits.TAG_VALUE)]
Environment = Annotated[str, limited(limits.ENVIRONMENT)]


class ConfigModel(BaseModel):
    """Unknown keys are errors; parsed config is immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
