"""`CostCenterBudgets`: a monthly OCI budget per cost center, a tenancy-wide budget, and
optionally AWS budgets for cost centers that also spend on AWS.

OCI facts this follows: budgets live in the tenancy root compartment, take exactly one
target and reset MONTHLY; a TAG target is written `namespace.key.value` and only works for
a cost-tracking tag; an alert rule's `recipients` is one comma-separated string. Oracle's
own best-practice check wants a root budget with a FORECAST rule, so the tenancy budget
always has one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_oci as oci

from components.tagging import GovernanceTagging, merge_aws_tags, merge_defined_tags
from guardrails.runtime.alert_rules import DEFAULT_ALERT_RULES, AlertRule
from guardrails.runtime.limits import ALERT_RULE_TYPE, ALERT_THRESHOLD_PERCENT, MONTHLY_AMOUNT
from guardrails.runtime.tag_keys import COST_CENTER_KEY
from guardrails.runtime.validation import (
    ComponentArgumentError,
    check_emails,
    check_limit,
    check_not_empty,
    check_ocid,
    check_one_of,
)

_COMPONENT = "CostCenterBudgets"
_AWS_NOTIFICATION_TYPE = {"ACTUAL": "ACTUAL", "FORECAST": "FORECASTED"}


@dataclass(frozen=True)
class CostCenterBudget:
    cost_center: str
    monthly_amount: int
    recipients: Sequence[str]
    aws_monthly_amount: int | None = None
    """When set, also create an AWS budget filtered on the `cost_center` cost allocation tag."""


@dataclass
class CostCenterBudgetsArgs:
    tenancy_id: str
    tagging: GovernanceTagging
    budgets: Sequence[CostCenterBudget]
    tenancy_monthly_amount: int
    tenancy_recipients: Sequence[str]
    alert_rules: Sequence[AlertRule] = DEFAULT_ALERT_RULES
    aws_currency: str = "USD"
    aws_topic_kms_key: str = "alias/aws/sns"


class CostCenterBudgets(pulumi.ComponentResource):
    """Budgets with alert rules for every cost center and the whole tenancy."""

    budgets: dict[str, oci.budget.Budget]
    rules: dict[str, list[oci.budget.Rule]]
    tenancy_budget: oci.budget.Budget
    tenancy_rules: list[oci.budget.Rule]
    aws_topic: aws.sns.Topic | None
    aws_budgets: dict[str, aws.budgets.Budget]
    budget_ids: dict[str, pulumi.Output[str]]
    tenancy_budget_id: pulumi.Output[str]
    aws_budget_names: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: CostCenterBudgetsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate(args)
        super().__init__("guardrails:oci:CostCenterBudgets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ns = args.tagging.namespace
        self.budgets, self.rules = {}, {}
        for spec in args.budgets:
            slug = spec.cost_center.lower()
            tags = merge_defined_tags(args.tagging.for_cost_center(spec.cost_center).defined_tags())
            budget = oci.budget.Budget(
                f"{name}-{slug}",
                compartment_id=args.tenancy_id,
                display_name=f"cost-center-{spec.cost_center}",
                description=f"Monthly spend of cost center {spec.cost_center}",
                amount=int(spec.monthly_amount),
                reset_period="MONTHLY",
                processing_period_type="MONTH",
                target_type="TAG",
                targets=[f"{ns}.{COST_CENTER_KEY}.{spec.cost_center}"],
                defined_tags=tags,
                opts=child,
            )
            self.budgets[spec.cost_center] = budget
            self.rules[spec.cost_center] = [
                _rule(f"{name}-{slug}-{rule.slug}", budget, rule, spec.recipients, tags, child)
                for rule in args.alert_rules
            ]

        tenancy_tags = merge_defined_tags(args.tagging.defined_tags())
        self.tenancy_budget = oci.budget.Budget(
            f"{name}-tenancy",
            compartment_id=args.tenancy_id,
            display_name="tenancy-total",
            description="Monthly spend of the whole tenancy",
            amount=int(args.tenancy_monthly_amount),
            reset_period="MONTHLY",
            processing_period_type="MONTH",
            target_type="COMPARTMENT",
            targets=[args.tenancy_id],
            defined_tags=tenancy_tags,
            opts=child,
        )
        tenancy_rules = list(args.alert_rules)
        if not any(r.type == "FORECAST" for r in tenancy_rules):
            tenancy_rules.append(AlertRule("FORECAST", 100))
        self.tenancy_rules = [
            _rule(
                f"{name}-tenancy-{rule.slug}",
                self.tenancy_budget,
                rule,
                args.tenancy_recipients,
                tenancy_tags,
                child,
            )
            for rule in tenancy_rules
        ]

        self.aws_topic, self.aws_budgets = None, {}
        aws_specs = [s for s in args.budgets if s.aws_monthly_amount is not None]
        if aws_specs:
            self._aws_budgets(name, args, aws_specs, child)

        self.budget_ids = {cc: b.id for cc, b in self.budgets.items()}
        self.tenancy_budget_id = self.tenancy_budget.id
        self.aws_budget_names = {cc: b.name for cc, b in self.aws_budgets.items()}
        self.register_outputs(
            {
                "budget_ids": self.budget_ids,
                "tenancy_budget_id": self.tenancy_budget_id,
                "aws_budget_names": self.aws_budget_names,
            }
        )

    def _aws_budgets(
        self,
        name: str,
        args: CostCenterBudgetsArgs,
        specs: Sequence[CostCenterBudget],
        child: pulumi.ResourceOptions,
    ) -> None:
        tags = merge_aws_tags(args.tagging)
        self.aws_topic = aws.sns.Topic(
            f"{name}-aws-topic",
            name=f"{name}-budget-alerts",
            kms_master_key_id=args.aws_topic_kms_key,
            tags=tags,
            opts=child,
        )
        self.aws_topic_policy = aws.sns.TopicPolicy(
            f"{name}-aws-topic-policy",
            arn=self.aws_topic.arn,
            policy=self.aws_topic.arn.apply(_budgets_publish_policy),
            opts=child,
        )
        recipients = sorted({r for spec in specs for r in spec.recipients})
        self.aws_subscriptions = [
            aws.sns.TopicSubscription(
                f"{name}-aws-email-{index + 1}",
                topic=self.aws_topic.arn,
                protocol="email",
                endpoint=address,
                opts=child,
            )
            for index, address in enumerate(recipients)
        ]
        for spec in specs:
            self.aws_budgets[spec.cost_center] = aws.budgets.Budget(
                f"{name}-aws-{spec.cost_center.lower()}",
                name=f"cost-center-{spec.cost_center}",
                budget_type="COST",
                limit_amount=str(int(spec.aws_monthly_amount or 0)),
                limit_unit=args.aws_currency,
                time_unit="MONTHLY",
                cost_filters=[
                    aws.budgets.BudgetCostFilterArgs(
                        name="TagKeyValue", values=[f"user:{COST_CENTER_KEY}${spec.cost_center}"]
                    )
                ],
                notifications=[
                    aws.budgets.BudgetNotificationArgs(
                        comparison_operator="GREATER_THAN",
                        threshold=rule.threshold,
                        threshold_type="PERCENTAGE",
                        notification_type=_AWS_NOTIFICATION_TYPE[rule.type],
                        subscriber_sns_topic_arns=[self.aws_topic.arn],
                    )
                    for rule in args.alert_rules
                ],
                tags=merge_aws_tags(args.tagging.for_cost_center(spec.cost_center)),
                opts=child,
            )


def _rule(
    resource_name: str,
    budget: oci.budget.Budget,
    rule: AlertRule,
    recipients: Sequence[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> oci.budget.Rule:
    verb = "forecast to reach" if rule.type == "FORECAST" else "reached"
    return oci.budget.Rule(
        resource_name,
        budget_id=budget.id,
        type=rule.type,
        threshold=float(rule.threshold),
        threshold_type="PERCENTAGE",
        display_name=f"{rule.type.lower()}-{rule.threshold:g}-percent",
        message=f"Spend {verb} {rule.threshold:g}% of the monthly budget.",
        recipients=",".join(recipients),
        defined_tags=tags,
        opts=opts,
    )


def _budgets_publish_policy(topic_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowBudgetsToPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "budgets.amazonaws.com"},
                    "Action": "SNS:Publish",
                    "Resource": topic_arn,
                }
            ],
        },
        sort_keys=True,
    )


def _validate(args: CostCenterBudgetsArgs) -> None:
    check_ocid(_COMPONENT, "tenancy_id", args.tenancy_id, "tenancy")
    check_not_empty(_COMPONENT, "budgets", args.budgets)
    check_not_empty(_COMPONENT, "alert_rules", args.alert_rules)
    check_limit(_COMPONENT, "tenancy_monthly_amount", args.tenancy_monthly_amount, MONTHLY_AMOUNT)
    check_not_empty(_COMPONENT, "tenancy_recipients", args.tenancy_recipients)
    check_emails(_COMPONENT, "tenancy_recipients", args.tenancy_recipients)
    if not re.match(r"^[A-Z]{3}$", args.aws_currency):
        raise ComponentArgumentError(
            _COMPONENT,
            "aws_currency",
            f"must be an ISO 4217 code such as USD (got {args.aws_currency!r})",
        )
    seen_rules = set()
    for index, rule in enumerate(args.alert_rules):
        check_limit(_COMPONENT, f"alert_rules[{index}].type", rule.type, ALERT_RULE_TYPE)
        check_limit(
            _COMPONENT, f"alert_rules[{index}].threshold", rule.threshold, ALERT_THRESHOLD_PERCENT
        )
        if (rule.type, rule.threshold) in seen_rules:
            raise ComponentArgumentError(
                _COMPONENT, f"alert_rules[{index}]", "repeats another rule"
            )
        seen_rules.add((rule.type, rule.threshold))
    seen = set()
    for spec in args.budgets:
        where = f"budgets[{spec.cost_center}]"
        check_one_of(
            _COMPONENT, f"{where}.cost_center", spec.cost_center, args.tagging.cost_centers
        )
        if spec.cost_center in seen:
            raise ComponentArgumentError(_COMPONENT, where, "is defined twice")
        seen.add(spec.cost_center)
        check_limit(_COMPONENT, f"{where}.monthly_amount", spec.monthly_amount, MONTHLY_AMOUNT)
        if spec.aws_monthly_amount is not None:
            check_limit(
                _COMPONENT, f"{where}.aws_monthly_amount", spec.aws_monthly_amount, MONTHLY_AMOUNT
            )
        check_not_empty(_COMPONENT, f"{where}.recipients", spec.recipients)
        check_emails(_COMPONENT, f"{where}.recipients", spec.recipients)
