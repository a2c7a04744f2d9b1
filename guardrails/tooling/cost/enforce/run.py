"""What `guardrails cost enforce` and `guardrails cost unfreeze` do once their arguments are
read (`enforce/cli.py` registers them and builds the requests): read the stack's
costEnforcement block and the spend, plan, and carry the plan out with --apply."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from rich.console import Console

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.stack_schema import StackConfig
from guardrails.tooling.acting.audit_trail import AuditLog, audit_path
from guardrails.tooling.acting.retry import Budget, botocore_config
from guardrails.tooling.cli_options import AwsAccess
from guardrails.tooling.cli_support import EXIT_FAILED, EXIT_OK
from guardrails.tooling.console import print_rows
from guardrails.tooling.cost import DEFAULT_STORE
from guardrails.tooling.cost.enforce.records import notified as already_notified
from guardrails.tooling.cost.enforce.spend_status import (
    SpendStatus,
    check_known,
    read_spend_file,
    spend_from_report,
)
from guardrails.tooling.cost.month import parse_month, today_utc
from guardrails.tooling.cost.spend.build import SpendRequest, SpendSource, build_report
from guardrails.tooling.oci_auth import OciAuth, credentials
from guardrails.tooling.project import load_stack_config

if TYPE_CHECKING:  # the planner imports the components (pulumi_oci): only when it runs
    from guardrails.tooling.cost.enforce.steps import EnforcementSettings, Step

COLUMNS = ("cost_center", "action", "resource", "name", "type", "why", "outcome", "detail")


T = TypeVar("T")


@dataclass(frozen=True)
class ActingRequest:
    """What `cost enforce` and `cost unfreeze` share: the stack, the mode and the access."""

    stack: str
    program: Path
    oci: OciAuth
    apply: bool = False
    allow_prod: bool = False
    format: Literal["table", "json"] = "table"
    audit_log: Path | None = None
    """None: $GUARDRAILS_AUDIT_LOG or ~/.guardrails/audit.jsonl."""
    timeout: float = 0.0
    """Seconds all OCI and AWS calls of the run may take, retries included."""


@dataclass(frozen=True)
class EnforceRequest(ActingRequest):
    """`cost enforce`: the spend comes from a finished report (`spend`) or is made here from
    `source` (the CLI sets exactly one of the two)."""

    spend: Path | None = None
    source: SpendSource | None = None
    month: str | None = None
    """YYYY-MM as given (None: this month, UTC)."""
    store: Path = DEFAULT_STORE
    aws: AwsAccess = field(default_factory=AwsAccess)


@dataclass(frozen=True)
class UnfreezeRequest(ActingRequest):
    """`cost unfreeze`: only these cost centers (empty: every one with freeze)."""

    cost_centers: tuple[str, ...] = ()


def _settings(request: ActingRequest) -> tuple[StackConfig, EnforcementSettings]:
    from guardrails.tooling.acting.production import production_policy
    from guardrails.tooling.cost.enforce.steps import settings_from_stack

    cfg = load_stack_config(request.program, request.stack)
    settings = settings_from_stack(request.stack, cfg, production_policy(request.program))
    if settings is None:
        raise GuardrailsError(
            f"stack {request.stack} has no guardrails:costEnforcement block: no action is allowed"
        )
    if request.apply and settings.production and not request.allow_prod:
        raise GuardrailsError(
            f"stack {request.stack} is a production stack ({cfg.environment} in "
            f"{cfg.compartmentOcid}): add --allow-prod to --apply (production resources are "
            "never stopped either way)"
        )
    return cfg, settings


def load_spend(request: EnforceRequest, cfg: StackConfig) -> tuple[str, list[SpendStatus]]:
    """The month and per-cost-center statuses to enforce: from `--spend` (a report's JSON,
    e.g. written by the daily report job), else the cost report made here and now.

    A `--spend` report is checked, not trusted: it must be this stack's (and tenancy's)
    report, `--month` must agree with its month, and the budgets are the stack's, whatever
    the file says."""
    stack = request.stack
    if cfg.budgets is None:
        raise GuardrailsError(f"stack {stack} declares no guardrails:budgets")
    if request.spend is not None:
        spend = read_spend_file(request.spend)
        source = str(request.spend)
        if spend.stack != request.stack:
            whose = f"stack {spend.stack}" if spend.stack else "no stack (it does not say)"
            raise GuardrailsError(
                f"{source}: the report is for {whose}, not stack {stack}: enforce a report of "
                f"this stack (guardrails cost report --stack {stack} --format json)"
            )
        if spend.tenancy is not None and spend.tenancy != cfg.tenancyOcid:
            raise GuardrailsError(
                f"{source}: the report is of tenancy {spend.tenancy}, the stack's is "
                f"{cfg.tenancyOcid}"
            )
        if spend.month is None:
            raise GuardrailsError(f"{source}: the report names no month")
        given = request.month
        if given is not None and str(parse_month(given, today_utc())) != spend.month:
            raise GuardrailsError(
                f"--month {given} does not match the report's month {spend.month}"
            )
        month, statuses = spend.month, spend.statuses
    else:
        assert request.source is not None, "the CLI sets --spend or a source"
        report = build_report(
            SpendRequest(
                stack=request.stack,
                config=cfg,
                source=request.source,
                month=parse_month(request.month, today_utc()),
                store=request.store,
            )
        )
        found, statuses = spend_from_report(report.to_json(), "cost report")
        source = "cost report"
        assert found is not None
        month = found
    check_known(statuses, cfg.governance.costCenters, source)
    return month, with_stack_budgets(statuses, cfg)


def with_stack_budgets(statuses: list[SpendStatus], cfg: StackConfig) -> list[SpendStatus]:
    """The statuses with the budget the stack declares (a cost center without one has
    nothing to enforce)."""
    from dataclasses import replace

    from guardrails.tooling.cost.spend.report import stack_budget

    out = []
    for status in statuses:
        budget = stack_budget(cfg.budgets, status.cost_center, status.provider)
        if budget is not None and budget > 0:
            out.append(replace(status, budget=budget))
    return out


def _budget(request: ActingRequest, err: Console) -> Budget:
    """The run's retry budget; waits are said on stderr (a line each, a terminal or not)."""
    return Budget(
        seconds=request.timeout,
        progress=lambda line: err.print(f"waiting: {line}", highlight=False, soft_wrap=True),
    )


def _aws_client(aws: AwsAccess, budget: Budget) -> Any:
    def make() -> Any:
        import boto3

        session = boto3.Session(profile_name=aws.profile, region_name=aws.region)
        return session.client(
            "sns", config=botocore_config(budget), endpoint_url=aws.endpoint_url or None
        )

    return make


def _finish(
    steps: Sequence[Step], request: ActingRequest, out: Console, title: str, extra: Any = None
) -> int:
    rows = [step.row() for step in steps]
    failed = sum(1 for r in rows if r["outcome"] == "failed")
    mode = "applied" if request.apply else "dry run: nothing changed; add --apply to do this"
    if request.format == "json":
        document = {
            "stack": request.stack,
            "applied": request.apply,
            "steps": rows,
            **(extra or {}),
        }
        out.file.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    elif not rows:
        out.print(f"{title}: nothing to do", highlight=False)
    else:
        print_rows(rows, COLUMNS, "table", out, title=f"{title}: {mode}")
        if failed:
            out.print(f"{failed} action(s) failed; see the detail column", highlight=False)
    return EXIT_FAILED if failed else EXIT_OK


def run_enforce(request: EnforceRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.enforce.remediator import (
        CloudRemediator,
        OciInventory,
        describe_error,
    )
    from guardrails.tooling.cost.enforce.steps import (
        breaches,
        execute,
        marked_notices,
        plan,
        refuse_marked,
    )

    cfg, settings = _settings(request)
    month, statuses = load_spend(request, cfg)
    found = breaches(statuses, settings.rules)
    title = f"cost enforce {request.stack} {month}"
    if not found:
        return _finish([], request, out, title, {"month": month})
    auth = request.oci
    creds = credentials(auth)
    audit = AuditLog(audit_path(request.audit_log))
    budget = _budget(request, err)
    inventory = OciInventory(auth, creds, settings.tenancy, budget)
    remediator = CloudRemediator(
        auth,
        creds,
        tenancy=settings.tenancy,
        compartment=settings.compartment,
        slack_secret=settings.config.slackWebhookSecretOcid,
        aws_client=_aws_client(request.aws, budget),
        budget=budget,
    )
    if request.apply:
        _settle(audit, remediator, inventory, "cost enforce", err)
    notified = already_notified(audit, request.stack, month)
    with err.status("planning", spinner="dots") if err.is_terminal else nullcontext():
        steps = _reading(lambda: plan(found, settings, inventory, month=month, notified=notified))
        # what the topic remembers too: a lost or fresh trail sends nothing twice
        marks = _reading(lambda: marked_notices(steps, found, settings, month, remediator))
        steps = [refuse_marked(step, marks) for step in steps]
    if request.apply:
        steps = execute(
            steps,
            remediator,
            settings,
            audit,
            month=month,
            now=lambda: datetime.now(UTC),
            describe_error=describe_error,
        )
    return _finish(steps, request, out, title, {"month": month})


def run_unfreeze(request: UnfreezeRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.enforce.remediator import (
        CloudRemediator,
        OciInventory,
        describe_error,
    )
    from guardrails.tooling.cost.enforce.steps import execute, plan_unfreeze

    _, settings = _settings(request)
    unknown = [cc for cc in request.cost_centers if cc not in settings.config.costCenters]
    if unknown:
        raise GuardrailsError(
            f"--cost-center {unknown[0]!r} is not in costEnforcement.costCenters "
            f"({', '.join(settings.config.costCenters)})"
        )
    auth = request.oci
    creds = credentials(auth)
    budget = _budget(request, err)
    inventory = OciInventory(auth, creds, settings.tenancy, budget)
    audit = AuditLog(audit_path(request.audit_log))
    remediator = CloudRemediator(
        auth, creds, tenancy=settings.tenancy, compartment=settings.compartment, budget=budget
    )
    if request.apply:
        _settle(audit, remediator, inventory, "cost unfreeze", err)
    steps = _reading(lambda: plan_unfreeze(settings, inventory, request.cost_centers))
    if request.apply:
        steps = execute(
            steps,
            remediator,
            settings,
            audit,
            month=datetime.now(UTC).strftime("%Y-%m"),
            now=lambda: datetime.now(UTC),
            describe_error=describe_error,
        )
    return _finish(steps, request, out, f"cost unfreeze {request.stack}")


def _settle(audit: AuditLog, remediator: Any, inventory: Any, command: str, err: Console) -> None:
    """An earlier run's unanswered intents, settled from the resources before planning."""
    from guardrails.tooling.cost.enforce.reconcile import reconcile

    for settled in _reading(lambda: reconcile(audit, remediator, inventory, command)):
        err.print(
            f"earlier run: {settled.intent.action} {settled.intent.target}: "
            f"{settled.status} ({settled.why})",
            highlight=False,
            soft_wrap=True,
        )


def _reading(read: Callable[[], T]) -> T:
    """Run the read-only planning calls; a service error there means the run cannot start."""
    from guardrails.tooling.cost.enforce.remediator import describe_error

    try:
        return read()
    except Exception as exc:
        reason = describe_error(exc)
        if reason is None:
            raise
        raise GuardrailsError(f"reading the tenancy failed, nothing was changed: {reason}") from exc
