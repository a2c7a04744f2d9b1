"""Stack config blocks of run-time cost governance: `guardrails:costEnforcement` (what
`guardrails cost enforce` may do per cost center) and `guardrails:offHours` (the
OffHoursSchedule component).

Both blocks refer to the stack's `governance.costCenters`; the cross-checks read the fields
validated before them (`environment`, `governance`), so an unknown cost center or an
off-hours block in a production stack is reported with its key path like every other
config problem.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from guardrails.runtime.cron import cron_problem, time_zone_problem
from guardrails.runtime.limits import PRODUCTION_ENVIRONMENTS
from guardrails.runtime.stack_schema.base import ConfigModel, CostCenterName, ocid_of
from guardrails.runtime.validation import SNS_TOPIC_ARN

EnforcementAction = Literal["notify", "tag", "stop", "freeze"]
ENFORCEMENT_ACTIONS: tuple[str, ...] = get_args(EnforcementAction)
TAG_KEY = r"^[A-Za-z][A-Za-z0-9_\-]{0,99}$"
# a compartment as quota statements name it: its name, or a path such as Workloads:Dev
QUOTA_COMPARTMENT = r"^[A-Za-z0-9_.\-]{1,100}(?::[A-Za-z0-9_.\-]{1,100})*$"


def _checked(problem: Callable[[str], str | None]) -> Callable[[str], str]:
    def check(value: str) -> str:
        message = problem(value)
        if message:
            raise ValueError(message)
        return value

    return check


CostCenter = CostCenterName
Cron = Annotated[str, AfterValidator(_checked(cron_problem))]


class CostCenterEnforcementConfig(ConfigModel):
    """What the enforcer may do for one cost center once it crosses an alert rule."""

    actions: list[EnforcementAction] = Field(min_length=1)
    freezeCompartments: list[Annotated[str, Field(pattern=QUOTA_COMPARTMENT)]] = Field(
        default_factory=list
    )
    """Compartments (names or paths, as quota statements name them) that `freeze` zeroes."""

    @model_validator(mode="after")
    def _consistent(self) -> CostCenterEnforcementConfig:
        if len(set(self.actions)) != len(self.actions):
            raise ValueError("actions must not repeat an action")
        if "freeze" in self.actions and not self.freezeCompartments:
            raise ValueError("action freeze needs freezeCompartments (compartment names)")
        return self


class CostEnforcementConfig(ConfigModel):
    """`guardrails:costEnforcement`."""

    costCenters: dict[CostCenter, CostCenterEnforcementConfig] = Field(min_length=1)
    topicOcid: Annotated[str, AfterValidator(ocid_of("onstopic"))] | None = None
    """The ONS topic `notify` publishes to; default: the stack's `alarms.topicName`, looked
    up in the stack compartment."""
    slackWebhookSecretOcid: Annotated[str, AfterValidator(ocid_of("vaultsecret"))] | None = None
    """An OCI Vault secret holding a Slack incoming-webhook URL (never the URL itself)."""
    awsSnsTopicArn: Annotated[str, Field(pattern=SNS_TOPIC_ARN)] | None = None
    """Where `notify` publishes for AWS budgets (`awsMonthly`)."""
    exemptTag: Annotated[str, Field(pattern=TAG_KEY)] | None = None
    """A resource whose defined tag `<namespace>.<exemptTag>` is `true` is never stopped;
    default: `cost_exempt` (components.tagging.COST_EXEMPT_KEY)."""
    productionEnvironments: list[CostCenter] = Field(
        default_factory=lambda: list(PRODUCTION_ENVIRONMENTS)
    )
    """Values of the environment tag that are never stopped (no tag counts as production)."""


class OffHoursConfig(ConfigModel):
    """`guardrails:offHours`: stop non-production ADBs and instances out of hours."""

    timeZone: Annotated[str, AfterValidator(_checked(time_zone_problem))] = "UTC"
    stopCron: Cron = "0 19 * * 1-5"
    startCron: Cron = "0 7 * * 1-5"
    costCenters: list[CostCenter] = Field(default_factory=list)
    """Default: every cost center of `governance.costCenters`."""
    compartments: list[Annotated[str, AfterValidator(ocid_of("compartment"))]] = Field(
        default_factory=list
    )
    """Default: the stack's `compartmentOcid`."""


def _known_cost_centers(info: ValidationInfo) -> list[str] | None:
    governance = info.data.get("governance")
    return list(governance.costCenters) if governance is not None else None


def _check_enforcement(
    value: CostEnforcementConfig | None, info: ValidationInfo
) -> CostEnforcementConfig | None:
    known = _known_cost_centers(info)
    if value is None or known is None:
        return value
    unknown = [cc for cc in value.costCenters if cc not in known]
    if unknown:
        raise ValueError(
            f"costCenters.{unknown[0]}: {unknown[0]!r} is not one of governance.costCenters "
            f"({', '.join(known)})"
        )
    return value


def _check_off_hours(value: OffHoursConfig | None, info: ValidationInfo) -> OffHoursConfig | None:
    if value is None:
        return value
    environment = info.data.get("environment")
    if environment in PRODUCTION_ENVIRONMENTS:
        raise ValueError(
            f"off-hours schedules are for non-production stacks (environment {environment})"
        )
    known = _known_cost_centers(info)
    unknown = [cc for cc in value.costCenters if known is not None and cc not in known]
    if unknown:
        raise ValueError(
            f"costCenters: {unknown[0]!r} is not one of governance.costCenters "
            f"({', '.join(known or [])})"
        )
    return value


CostEnforcementField = Annotated[CostEnforcementConfig | None, AfterValidator(_check_enforcement)]
OffHoursField = Annotated[OffHoursConfig | None, AfterValidator(_check_off_hours)]
