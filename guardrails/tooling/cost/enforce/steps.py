"""Plan and carry out budget enforcement: plain functions over spend, config and inventory.

Per cost center whose actual or forecast spend crosses an alert rule of the stack (the same
`alertRules` the budgets are provisioned with), the actions its `costEnforcement` entry
allows are planned:

- `notify`  publish once per cost center, channel, highest rule crossed and month (the
            audit log remembers what was sent): the stack's ONS topic, Slack, or AWS SNS for
            AWS spend;
- `tag`     write `<namespace>.cost_alerted = <date>` on every resource of the cost center
            (Resource Search by defined tag); a resource already tagged this month is left;
- `stop`    stop running Autonomous Databases and compute instances of the cost center,
            never one whose environment tag is production (or missing) or that is exempt;
- `freeze`  a quota policy that zeroes new ADB ECPUs and compute cores in the cost center's
            compartments, until `guardrails cost unfreeze`.

Planning reads only (`Inventory`); `execute` acts through a `Remediator`, re-reads each
resource before touching it, continues past failures and writes one audit record per
attempted action. A second run finds everything done and plans nothing but skips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from guardrails.runtime.alert_rules import DEFAULT_ALERT_RULES, AlertRule
from guardrails.runtime.stack_schema import StackConfig
from guardrails.runtime.stack_schema.cost import CostEnforcementConfig
from guardrails.runtime.tag_keys import (
    COST_ALERTED_KEY,
    COST_CENTER_KEY,
    COST_EXEMPT_KEY,
    ENVIRONMENT_KEY,
)
from guardrails.tooling.acting.audit_trail import AuditLog, Status
from guardrails.tooling.acting.production import ProductionPolicy
from guardrails.tooling.cost.enforce.records import (
    MARK_PREFIX,
    AuditRecord,
    mark_entry,
    mark_key,
)
from guardrails.tooling.cost.enforce.spend_status import SpendStatus

ADB = "AutonomousDatabase"
INSTANCE = "Instance"
STOPPABLE_STATES = {ADB: "AVAILABLE", INSTANCE: "RUNNING"}
"""The state in which `stop` acts on each supported type."""
TAGGABLE_TYPES = (ADB, INSTANCE)
"""Types whose update call the enforcer uses to write the cost_alerted tag."""
FREEZE_QUOTA_PREFIX = "guardrails-freeze-"


COMMAND = "cost enforce"
"""The command its intents are recorded under (what a rerun reconciles)."""


def rule_label(rule: AlertRule) -> str:
    return f"{rule.type} {rule.threshold:g}%"


@dataclass(frozen=True)
class Breach:
    """A cost center's spend and the alert rules it crosses (highest threshold last)."""

    status: SpendStatus
    crossed: tuple[AlertRule, ...]

    @property
    def top(self) -> AlertRule:
        return self.crossed[-1]

    def why(self) -> str:
        s = self.status
        kind = "actual" if self.top.type == "ACTUAL" else "forecast"
        amount = s.actual if self.top.type == "ACTUAL" else s.forecast
        return (
            f"{s.provider.upper()} {kind} {amount:,.2f} {s.currency} is "
            f"{s.percent(self.top.type):.0f}% of the {s.budget:,.2f} {s.currency} budget "
            f"(rule {rule_label(self.top)})"
        )


def breaches(statuses: Iterable[SpendStatus], rules: Sequence[AlertRule]) -> list[Breach]:
    """The statuses that cross at least one rule, each with the rules crossed."""
    found = []
    for status in statuses:
        crossed = sorted(
            (r for r in rules if status.percent(r.type) >= r.threshold),
            key=lambda r: (r.threshold, r.type == "ACTUAL"),
        )
        if crossed:
            found.append(Breach(status, tuple(crossed)))
    return found


@dataclass(frozen=True)
class CostResource:
    """A resource of a cost center as Resource Search (or a get call) describes it."""

    id: str
    type: str
    name: str
    compartment_id: str
    state: str
    defined_tags: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    etag: str | None = None
    """From a fresh read: changes are sent with if-match, so a concurrent edit is not lost."""

    def tag(self, namespace: str, key: str) -> str | None:
        value = self.defined_tags.get(namespace, {}).get(key)
        return None if value is None else str(value)


@dataclass(frozen=True)
class EnforcementSettings:
    """Everything the planner takes from the stack file."""

    stack: str
    environment: str
    namespace: str
    tenancy: str
    compartment: str
    rules: tuple[AlertRule, ...]
    config: CostEnforcementConfig
    topic: str
    """The ONS topic OCID, or the stack's topic name to look up."""
    policy: ProductionPolicy = field(default_factory=ProductionPolicy)
    """The organisation's production guard, with the environments this stack adds."""

    @property
    def exempt_key(self) -> str:
        return self.config.exemptTag or COST_EXEMPT_KEY

    @property
    def production(self) -> bool:
        return (
            self.policy.is_production_environment(self.environment)
            or self.compartment in self.policy.compartments
        )


def settings_from_stack(
    stack: str, cfg: StackConfig, policy: ProductionPolicy | None = None
) -> EnforcementSettings | None:
    """The enforcement settings of a validated stack config; None without costEnforcement.
    The stack's `productionEnvironments` add to the organisation's (`policy`), never remove
    from them."""
    if cfg.costEnforcement is None:
        return None
    rules = (
        tuple(AlertRule(r.type, r.threshold) for r in cfg.budgets.alertRules)
        if cfg.budgets and cfg.budgets.alertRules
        else DEFAULT_ALERT_RULES
    )
    return EnforcementSettings(
        stack=stack,
        environment=cfg.environment,
        namespace=cfg.governance.namespace,
        tenancy=cfg.tenancyOcid,
        compartment=cfg.compartmentOcid,
        rules=rules,
        config=cfg.costEnforcement,
        topic=cfg.costEnforcement.topicOcid or cfg.alarms.topicName,
        policy=(policy or ProductionPolicy()).with_environments(
            cfg.costEnforcement.productionEnvironments
        ),
    )


@dataclass(frozen=True)
class Step:
    """One thing the enforcer would do (or leaves alone, with `skip` saying why)."""

    cost_center: str
    action: str
    resource: str
    kind: str
    why: str
    breach: Breach | None
    skip: str | None = None
    target: CostResource | None = None
    statements: tuple[str, ...] = ()
    quota_id: str = ""
    outcome: str = "planned"
    detail: str = ""

    def row(self) -> dict[str, Any]:
        s = self.breach.status if self.breach else None
        return {
            "cost_center": self.cost_center,
            "action": self.action,
            "resource": self.resource,
            "name": self.target.name if self.target else "",
            "type": self.kind,
            "why": self.why,
            "outcome": "skip" if self.skip and self.outcome == "planned" else self.outcome,
            "detail": self.skip or self.detail,
            "spend": s.actual if s else None,
            "forecast": s.forecast if s else None,
            "budget": s.budget if s else None,
            "currency": s.currency if s else None,
            "rule": rule_label(self.breach.top) if self.breach else None,
            "statements": list(self.statements),
        }


class Inventory(Protocol):
    """Read-only lookups the planner needs."""

    def resources(self, namespace: str, cost_center: str) -> list[CostResource]: ...

    def quota(self, name: str) -> str | None:
        """The OCID of the quota named `name`, or None."""
        ...


def freeze_quota_name(cost_center: str) -> str:
    return FREEZE_QUOTA_PREFIX + cost_center.lower().replace(".", "-").replace("_", "-")


def freeze_statements(compartments: Iterable[str]) -> tuple[str, ...]:
    """Quota statements that stop new ADB ECPUs and compute cores in `compartments`."""
    out: list[str] = []
    for compartment in compartments:
        out.append(f"zero database quota adb-total-ecpu-count in compartment {compartment}")
        out.append(f"zero compute-core quotas in compartment {compartment}")
    return tuple(out)


def stop_refusal(resource: CostResource, settings: EnforcementSettings) -> str | None:
    """Why `resource` must not (or need not) be stopped, or None when it may be."""
    if resource.type not in STOPPABLE_STATES:
        return f"stop does not apply to {resource.type}"
    environment = resource.tag(settings.namespace, ENVIRONMENT_KEY)
    if environment is None:
        return f"no {settings.namespace}.{ENVIRONMENT_KEY} tag: treated as production, not stopped"
    production = settings.policy.reason(
        environment=environment, compartment=resource.compartment_id
    )
    if production:
        return f"production resource ({production}): never stopped"
    exempt = resource.tag(settings.namespace, settings.exempt_key)
    if exempt is not None and exempt.lower() == "true":
        return f"exempt ({settings.namespace}.{settings.exempt_key} = {exempt})"
    if resource.state != STOPPABLE_STATES[resource.type]:
        return f"already {resource.state}"
    return None


def alerted_value(month: str, today: str) -> str:
    """The cost_alerted tag's value: the day it was written, which starts with the month the
    spend is of (else the month first), so a rerun with the same report finds it done."""
    return today if today.startswith(month) else f"{month} (alerted {today})"


def tag_refusal(resource: CostResource, settings: EnforcementSettings, month: str) -> str | None:
    """Why `resource` is not (re)tagged cost_alerted, or None."""
    if resource.type not in TAGGABLE_TYPES:
        return f"no tag update for {resource.type} (supported: {', '.join(TAGGABLE_TYPES)})"
    current = resource.tag(settings.namespace, COST_ALERTED_KEY)
    if current is not None and current.startswith(month):
        return f"already tagged {COST_ALERTED_KEY} = {current}"
    return None


def marked_notices(
    steps: Sequence[Step],
    found: Sequence[Breach],
    settings: EnforcementSettings,
    month: str,
    remediator: Remediator,
) -> set[tuple[str, str, str]]:
    """(cost center, channel, rule) marked on the stack's topic this month: what a run whose
    audit trail was lost must not send again. Read only for cost centers with a notification
    still to send."""
    pending = {s.cost_center for s in steps if s.action == "notify" and s.skip is None}
    out: set[tuple[str, str, str]] = set()
    for breach in found:
        cc = breach.status.cost_center
        if cc not in pending:
            continue
        entries = remediator.marks(settings.topic, mark_key(settings.stack, month, cc))
        for channel, _, _ in notify_channels(breach, settings):
            for rule in breach.crossed:
                if mark_entry(channel, rule_label(rule)) in entries:
                    out.add((cc, channel, rule_label(rule)))
    return out


def refuse_marked(step: Step, marks: set[tuple[str, str, str]]) -> Step:
    """A notification the topic's mark says was sent (or was about to be) is not sent again."""
    if step.action != "notify" or step.skip is not None or step.breach is None:
        return step
    rule = rule_label(step.breach.top)
    if (step.cost_center, step.resource, rule) in marks:
        return replace(step, skip=f"already notified for {rule} this month (marked on the topic)")
    return step


def notify_channels(
    breach: Breach, settings: EnforcementSettings
) -> list[tuple[str, str, str | None]]:
    """(channel, what it is, why it cannot be used) for a breach's notifications."""
    channels: list[tuple[str, str, str | None]] = []
    if breach.status.provider == "aws":
        arn = settings.config.awsSnsTopicArn
        channels.append(
            (f"sns:{arn}", "AWS SNS topic", None)
            if arn
            else ("sns", "AWS SNS topic", "no costEnforcement.awsSnsTopicArn for AWS spend")
        )
    else:
        channels.append((f"ons:{settings.topic}", "ONS topic", None))
    if settings.config.slackWebhookSecretOcid:
        channels.append(("slack", "Slack webhook", None))
    return channels


def _notify_steps(
    breach: Breach, settings: EnforcementSettings, notified: set[tuple[str, str, str]]
) -> list[Step]:
    cc, rule = breach.status.cost_center, rule_label(breach.top)
    steps = []
    for channel, kind, refusal in notify_channels(breach, settings):
        if refusal is None and (cc, channel, rule) in notified:
            refusal = f"already notified for {rule} this month"  # noqa: PLW2901
        steps.append(Step(cc, "notify", channel, kind, breach.why(), breach, refusal))
    return steps


def _freeze_step(breach: Breach, compartments: Sequence[str], inventory: Inventory) -> Step:
    cc = breach.status.cost_center
    name = freeze_quota_name(cc)
    existing = inventory.quota(name)
    return Step(
        cc,
        "freeze",
        name,
        "Quota",
        breach.why(),
        breach,
        f"already frozen (quota {existing})" if existing else None,
        statements=freeze_statements(compartments),
    )


def _resource_steps(
    breach: Breach,
    action: str,
    resources: Sequence[CostResource],
    settings: EnforcementSettings,
    month: str,
) -> list[Step]:
    """`tag` or `stop` for each resource of the cost center, with its guard's verdict."""
    cc = breach.status.cost_center
    if not resources:
        reason = f"no resources tagged {settings.namespace}.{COST_CENTER_KEY} = {cc}"
        return [Step(cc, action, "-", "-", breach.why(), breach, reason)]
    steps = []
    for resource in resources:
        if action == "stop" and resource.type not in STOPPABLE_STATES:
            continue
        refusal = (
            stop_refusal(resource, settings)
            if action == "stop"
            else tag_refusal(resource, settings, month)
        )
        steps.append(
            Step(cc, action, resource.id, resource.type, breach.why(), breach, refusal, resource)
        )
    return steps


def plan(
    found: Sequence[Breach],
    settings: EnforcementSettings,
    inventory: Inventory,
    *,
    month: str,
    notified: set[tuple[str, str, str]],
) -> list[Step]:
    """Every step for the breached cost centers, in a stable order."""
    steps: list[Step] = []
    for breach in found:
        cc = breach.status.cost_center
        entry = settings.config.costCenters.get(cc)
        if entry is None:
            reason = "no costEnforcement entry"
            steps.append(Step(cc, "none", "-", "-", breach.why(), breach, reason))
            continue
        resources: list[CostResource] | None = None
        for action in entry.actions:
            if action == "notify":
                steps += _notify_steps(breach, settings, notified)
            elif breach.status.provider != "oci":
                reason = "OCI action; AWS spend"
                steps.append(Step(cc, action, "-", "-", breach.why(), breach, reason))
            elif action == "freeze":
                steps.append(_freeze_step(breach, entry.freezeCompartments, inventory))
            else:
                if resources is None:  # one search serves tag and stop
                    found_resources = inventory.resources(settings.namespace, cc)
                    resources = sorted(found_resources, key=lambda r: (r.type, r.id))
                steps += _resource_steps(breach, action, resources, settings, month)
    return steps


def plan_unfreeze(
    settings: EnforcementSettings, inventory: Inventory, cost_centers: Sequence[str]
) -> list[Step]:
    """Lift the freeze of `cost_centers` (all with a freeze action when empty)."""
    chosen = list(cost_centers) or [
        cc for cc, entry in settings.config.costCenters.items() if "freeze" in entry.actions
    ]
    steps = []
    for cc in chosen:
        name = freeze_quota_name(cc)
        quota_id = inventory.quota(name)
        steps.append(
            Step(
                cc,
                "unfreeze",
                name,
                "Quota",
                "freeze lifted on request",
                None,
                None if quota_id else "not frozen (no such quota)",
                quota_id=quota_id or "",
            )
        )
    return steps


class Remediator(Protocol):
    """The calls that change things (OCI, Slack, SNS); `actions.CloudRemediator` is real."""

    def notify(self, channel: str, title: str, body: str) -> str: ...

    def marks(self, topic: str, key: str) -> set[str]:
        """The notifications marked on the topic under `key` (records.mark_entry)."""
        ...

    def mark(self, topic: str, key: str, entry: str, stale_prefix: str) -> str:
        """Add `entry` to the mark `key` on the topic (dropping marks that start with
        `stale_prefix` but are not `key`'s month); what was written."""
        ...

    def refresh(self, resource: CostResource) -> CostResource: ...

    def tag(self, resource: CostResource, namespace: str, key: str, value: str) -> str: ...

    def stop(self, resource: CostResource) -> str: ...

    def freeze(self, name: str, statements: Sequence[str]) -> str: ...

    def unfreeze(self, quota_id: str) -> str: ...


def message(breach: Breach, stack: str, actions: Sequence[str]) -> tuple[str, str]:
    """Title and body of a notification."""
    s = breach.status
    title = f"guardrails {stack}: cost center {s.cost_center} crossed {rule_label(breach.top)}"
    lines = [
        f"Cost center {s.cost_center} ({s.provider.upper()}), stack {stack}:",
        f"  month to date  {s.actual:,.2f} {s.currency} ({s.percent('ACTUAL'):.0f}% of budget)",
        f"  forecast       {s.forecast:,.2f} {s.currency} ({s.percent('FORECAST'):.0f}% of budget)",
        f"  budget         {s.budget:,.2f} {s.currency}",
        f"  rules crossed  {', '.join(rule_label(r) for r in breach.crossed)}",
        f"  enforcement    {', '.join(actions) or 'notify only'}",
    ]
    return title[:255], "\n".join(lines)


def _attempt(
    step: Step, remediator: Remediator, settings: EnforcementSettings, month: str, today: str
) -> Step:
    """Carry out one step; a step found done or refused on re-reading is a skip."""
    if step.action == "notify":
        assert step.breach is not None
        cc = step.cost_center
        entry = settings.config.costCenters[cc]
        title, body = message(step.breach, settings.stack, list(entry.actions))
        # marked on the topic before it goes out: at most once even if the trail is lost
        remediator.mark(
            settings.topic,
            mark_key(settings.stack, month, cc),
            mark_entry(step.resource, rule_label(step.breach.top)),
            f"{MARK_PREFIX}-{settings.stack}-",
        )
        return replace(step, outcome="done", detail=remediator.notify(step.resource, title, body))
    if step.action == "freeze":
        return replace(
            step, outcome="done", detail=remediator.freeze(step.resource, step.statements)
        )
    if step.action == "unfreeze":
        return replace(step, outcome="done", detail=remediator.unfreeze(step.quota_id))
    assert step.target is not None
    fresh = remediator.refresh(step.target)
    if step.action == "stop":
        refusal = stop_refusal(fresh, settings)
        if refusal:
            return replace(step, outcome="skip", detail=refusal)
        return replace(step, outcome="done", detail=remediator.stop(fresh))
    refusal = tag_refusal(fresh, settings, month)
    if refusal:
        return replace(step, outcome="skip", detail=refusal)
    return replace(
        step,
        outcome="done",
        detail=remediator.tag(
            fresh, settings.namespace, COST_ALERTED_KEY, alerted_value(month, today)
        ),
    )


def _read_back(
    step: Step,
    remediator: Remediator,
    settings: EnforcementSettings,
    month: str,
    today: str,
    reason: str,
) -> Step:
    """A stop or tag whose call failed is read back: an error can come after the change was
    made (an answer lost on the way), and the resource, not the error, says what happened."""
    failed = replace(step, outcome="failed", detail=reason)
    if step.target is None or step.action not in ("stop", "tag"):
        return failed
    try:
        fresh = remediator.refresh(step.target)
    except Exception:  # the read failed too: the error stands
        return failed
    if step.action == "stop":
        made = fresh.state in ("STOPPING", "STOPPED")
    else:
        made = fresh.tag(settings.namespace, COST_ALERTED_KEY) == alerted_value(month, today)
    if not made:
        return failed
    return replace(
        step, outcome="done", detail=f"the call failed ({reason}) but the resource shows it done"
    )


def _change(step: Step, settings: EnforcementSettings, month: str, today: str) -> dict[str, str]:
    """What a tag step will write (for reading it back after a crash)."""
    if step.action != "tag":
        return {}
    return {
        "tag": f"{settings.namespace}.{COST_ALERTED_KEY}",
        "value": alerted_value(month, today),
    }


def execute(
    steps: Sequence[Step],
    remediator: Remediator,
    settings: EnforcementSettings,
    audit: AuditLog,
    *,
    month: str,
    now: Callable[[], datetime],
    describe_error: Callable[[Exception], str | None],
) -> list[Step]:
    """Carry out the steps that are not skips; a failure is recorded and the run goes on.

    `describe_error` turns an SDK exception into a one-line reason (None: not an error the
    cloud returned, which is re-raised: a bug must not be reported as a failed action).
    """
    if any(not step.skip for step in steps):
        audit.check_writable()
    done: list[Step] = []
    for step in steps:
        if step.skip:
            done.append(replace(step, outcome="skip"))
            continue
        # intent first (synced): a run killed during the call leaves a record the next run
        # settles from the resource itself (reconcile.py)
        intent = audit.intent(
            "cost unfreeze" if step.action == "unfreeze" else COMMAND,
            step.action,
            step.resource,
            stack=settings.stack,
            month=month,
            cost_center=step.cost_center,
            rule=rule_label(step.breach.top) if step.breach else None,
            resource_type=step.target.type if step.target else step.kind,
            **_change(step, settings, month, now().date().isoformat()),
        )
        today = now().date().isoformat()
        try:
            result = _attempt(step, remediator, settings, month, today)
        except Exception as exc:
            reason = describe_error(exc)
            if reason is None:
                raise
            result = _read_back(step, remediator, settings, month, today, reason)
        record = asdict(_record(result, settings.stack, month, now()))
        record.pop("action")
        status: Status = (
            "skipped"
            if result.outcome == "skip"
            else ("done" if result.outcome == "done" else "failed")
        )
        audit.outcome(intent, status, **record)
        done.append(result)
    return done


def _record(step: Step, stack: str, month: str, at: datetime) -> AuditRecord:
    s = step.breach.status if step.breach else None
    return AuditRecord(
        time=at.isoformat(timespec="seconds"),
        stack=stack,
        cost_center=step.cost_center,
        action=step.action,
        resource=step.resource,
        outcome=step.outcome,
        detail=step.detail,
        spend=s.actual if s else None,
        forecast=s.forecast if s else None,
        budget=s.budget if s else None,
        currency=s.currency if s else None,
        rule=rule_label(step.breach.top) if step.breach else None,
        month=month,
    )
