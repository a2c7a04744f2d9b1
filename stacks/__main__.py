"""The guardrails stack program: one program, configured per environment by
`stacks/Pulumi.<env>.yaml` (`pulumi up -s dev|staging|prod`).

The whole config is validated first (guardrails.runtime.stack_schema); only then are the
components declared: governance tags, the alarm topic, cost-center budgets, the Autonomous
Database fleet, the event streams and the Lambda layers.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_oci as oci

from components import (
    AlarmTopic,
    AlarmTopicArgs,
    AlertRule,
    AllowListAccess,
    AutonomousDatabaseFleet,
    AutonomousDatabaseFleetArgs,
    BackupBucketSpec,
    CostCenterBudget,
    CostCenterBudgets,
    CostCenterBudgetsArgs,
    DatabaseSpec,
    EventStreams,
    EventStreamsArgs,
    GovernanceTagging,
    GovernanceTags,
    GovernanceTagsArgs,
    LambdaLayer,
    LambdaLayerArgs,
    LayerAlarms,
    LayerShare,
    OffHoursSchedule,
    OffHoursScheduleArgs,
    PrivateEndpointAccess,
    RequiredTagCompartment,
    StreamPoolPrivateEndpoint,
    StreamSpec,
    TagGrant,
)
from guardrails.runtime.alert_rules import DEFAULT_ALERT_RULES
from guardrails.runtime.layer_builder.spec import pip_index_options
from guardrails.runtime.stack_schema import (
    StackConfig,
    StackConfigError,
    config_problem,
    parse_stack_config,
    runtime_config,
)
from guardrails.runtime.validation import ComponentArgumentError

# Oracle stamps these on every resource; without ignoring them each `up` shows drift.
ORACLE_DEFAULT_TAGS = ["Oracle-Tags.CreatedBy", "Oracle-Tags.CreatedOn"]


def load_config() -> StackConfig:
    raw, secret_keys = runtime_config()
    try:
        return parse_stack_config(raw, secret_keys)
    except StackConfigError as exc:
        # RunError ends the program with this message and no traceback under the CLI too.
        raise pulumi.RunError(f"stack {pulumi.get_stack()}: {exc}") from exc


def main() -> None:
    cfg = load_config()
    try:
        declare_stack(cfg)
    except ComponentArgumentError as exc:
        # A limit the schema let through: name the stack setting, in the limit's own words.
        raise pulumi.RunError(
            f"stack {pulumi.get_stack()}: invalid stack config:\n  {config_problem(exc)}"
        ) from exc


def declare_stack(cfg: StackConfig) -> None:
    secrets = pulumi.Config("guardrails")
    oci_settings = pulumi.Config("oci")
    oci_provider = oci.Provider(
        "oci",
        region=oci_settings.get("region"),
        config_file_profile=oci_settings.get("configFileProfile"),
        ignore_defined_tags=ORACLE_DEFAULT_TAGS,
    )
    opts = pulumi.ResourceOptions(providers=[oci_provider])
    gov = cfg.governance
    tagging = GovernanceTagging(
        cost_center=gov.defaultCostCenter,
        environment=cfg.environment,
        owner=cfg.owner,
        namespace=gov.namespace,
        cost_centers=tuple(gov.costCenters),
    )

    tags = GovernanceTags(
        "governance",
        GovernanceTagsArgs(
            compartment_id=cfg.tenancyOcid,
            cost_centers=gov.costCenters,
            namespace=gov.namespace,
            required_in=[
                RequiredTagCompartment(r.compartmentOcid, r.costCenter, cfg.environment)
                for r in gov.requiredTagCompartments
            ],
            grants=[TagGrant(g.group, g.verb, g.resources, g.costCenter) for g in gov.grants],
            tagging=tagging,
            existing_tag_ids=(gov.existingTags.model_dump() if gov.existingTags else None),
            enforcement_tags=cfg.costEnforcement is not None and gov.existingTags is None,
        ),
        opts=opts,
    )

    topic = AlarmTopic(
        "alarms",
        AlarmTopicArgs(
            compartment_id=cfg.compartmentOcid,
            tagging=tagging,
            topic_name=cfg.alarms.topicName,
            email=cfg.alarms.email,
            https=cfg.alarms.https,
            slack=[secrets.require_secret("slackWebhookUrl")] if cfg.slackWebhookUrl else [],
            pagerduty=[secrets.require_secret("pagerDutyUrl")] if cfg.pagerDutyUrl else [],
        ),
        opts=opts,
    )
    pulumi.export("tagNamespaceId", tags.namespace_id)
    pulumi.export("alarmTopicId", topic.topic_id)

    aws_budgets = cfg.budgets is not None and any(
        b.awsMonthly for b in cfg.budgets.costCenters.values()
    )
    aws_provider = (
        aws.Provider(
            "aws",
            region=pulumi.Config("aws").get("region") or "us-east-1",
            default_tags=aws.ProviderDefaultTagsArgs(tags=tagging.aws_tags()),
        )
        if aws_budgets or cfg.layers
        else None
    )
    if cfg.budgets:
        declare_budgets(cfg, tagging, opts, aws_provider)
    if cfg.databases:
        declare_databases(cfg, tagging, topic, secrets, opts)
    if cfg.streams:
        declare_streams(cfg, tagging, topic, opts)
    if cfg.offHours:
        declare_off_hours(cfg, tagging, opts)
    if cfg.layers:
        assert aws_provider is not None
        declare_layers(cfg, tagging, aws_provider)


def declare_budgets(
    cfg: StackConfig,
    tagging: GovernanceTagging,
    opts: pulumi.ResourceOptions,
    aws_provider: aws.Provider | None,
) -> None:
    assert cfg.budgets is not None
    budgets_cfg = cfg.budgets
    providers: list[pulumi.ProviderResource] = list(opts.providers or [])  # type: ignore[arg-type]
    if aws_provider is not None:
        providers.append(aws_provider)
    rules = (
        [AlertRule(r.type, r.threshold) for r in budgets_cfg.alertRules]
        if budgets_cfg.alertRules
        else list(DEFAULT_ALERT_RULES)
    )
    budgets = CostCenterBudgets(
        "budgets",
        CostCenterBudgetsArgs(
            tenancy_id=cfg.tenancyOcid,
            tagging=tagging,
            budgets=[
                CostCenterBudget(cc, b.monthly, b.recipients, b.awsMonthly)
                for cc, b in sorted(budgets_cfg.costCenters.items())
            ],
            tenancy_monthly_amount=budgets_cfg.tenancyMonthly,
            tenancy_recipients=budgets_cfg.tenancyRecipients,
            alert_rules=rules,
        ),
        opts=pulumi.ResourceOptions(providers=providers),
    )
    pulumi.export("budgetIds", budgets.budget_ids)
    pulumi.export("tenancyBudgetId", budgets.tenancy_budget_id)


def declare_databases(
    cfg: StackConfig,
    tagging: GovernanceTagging,
    topic: AlarmTopic,
    secrets: pulumi.Config,
    opts: pulumi.ResourceOptions,
) -> None:
    assert cfg.databaseAccess is not None and cfg.backups is not None
    access_cfg = cfg.databaseAccess
    access: PrivateEndpointAccess | AllowListAccess
    if access_cfg.privateEndpoint:
        pe = access_cfg.privateEndpoint
        access = PrivateEndpointAccess(pe.subnetOcid, pe.vcnOcid, pe.clientCidrs)
    else:
        access = AllowListAccess(access_cfg.allowList or [])
    password = secrets.get_secret("adbAdminPassword")
    namespace = oci.objectstorage.get_namespace_output(
        compartment_id=cfg.tenancyOcid,
        opts=pulumi.InvokeOutputOptions(provider=opts.providers[0]),  # type: ignore[index]
    ).namespace
    fleet = AutonomousDatabaseFleet(
        "adb",
        AutonomousDatabaseFleetArgs(
            compartment_id=cfg.compartmentOcid,
            environment=cfg.environment,
            tagging=tagging,
            databases={
                key: DatabaseSpec(
                    db_name=db.dbName,
                    display_name=db.displayName,
                    workload=db.workload,
                    license_model=db.licenseModel,
                    compute_count=db.computeCount,
                    storage_tbs=db.storageTbs,
                    backup_retention_days=db.backupRetentionDays,
                    auto_scaling=db.autoScaling,
                    storage_auto_scaling=db.storageAutoScaling,
                    cost_center=db.costCenter,
                    vault_secret_id=db.vaultSecretOcid,
                    admin_password=None if db.vaultSecretOcid else password,
                )
                for key, db in cfg.databases.items()
            },
            access=access,
            backup_bucket=BackupBucketSpec(
                namespace=namespace, name=cfg.backups.bucketName, kms_key_id=cfg.backups.kmsKeyOcid
            ),
            alarm_topic_id=topic.topic_id,
            runbook_url=cfg.alarms.runbookUrl,
        ),
        opts=opts,
    )
    pulumi.export(
        "databases",
        {
            key: {
                "id": db.id,
                "dbName": cfg.databases[key].dbName,
                "privateEndpoint": db.private_endpoint,
                "connectionUrls": db.connection_urls,
            }
            for key, db in fleet.databases.items()
        },
    )
    pulumi.export("backupBucket", fleet.backup_bucket_name)


def declare_streams(
    cfg: StackConfig, tagging: GovernanceTagging, topic: AlarmTopic, opts: pulumi.ResourceOptions
) -> None:
    assert cfg.streams is not None
    s = cfg.streams
    streams = EventStreams(
        "events",
        EventStreamsArgs(
            compartment_id=cfg.compartmentOcid,
            tagging=tagging,
            pool_name=s.poolName,
            streams={
                name: StreamSpec(spec.partitions, spec.retentionHours)
                for name, spec in s.streams.items()
            },
            kms_key_id=s.kmsKeyOcid,
            private_endpoint=(
                StreamPoolPrivateEndpoint(s.privateEndpoint.subnetOcid, s.privateEndpoint.nsgOcids)
                if s.privateEndpoint
                else None
            ),
            alarm_topic_id=topic.topic_id,
            runbook_url=cfg.alarms.runbookUrl,
        ),
        opts=opts,
    )
    pulumi.export("streamPoolId", streams.stream_pool_id)
    pulumi.export("streams", streams.stream_ids)


def declare_off_hours(
    cfg: StackConfig, tagging: GovernanceTagging, opts: pulumi.ResourceOptions
) -> None:
    assert cfg.offHours is not None
    hours = cfg.offHours
    schedules = {
        cc: OffHoursSchedule(
            f"offhours-{cc.lower()}",
            OffHoursScheduleArgs(
                compartment_id=cfg.compartmentOcid,
                tagging=tagging.for_cost_center(cc),
                target_compartment_ids=hours.compartments,
                time_zone=hours.timeZone,
                stop_cron=hours.stopCron,
                start_cron=hours.startCron,
            ),
            opts=opts,
        )
        for cc in hours.costCenters or cfg.governance.costCenters
    }
    pulumi.export("offHoursSchedules", {cc: s.stop_schedule.id for cc, s in schedules.items()})


def declare_layers(cfg: StackConfig, tagging: GovernanceTagging, provider: aws.Provider) -> None:
    arns = {}
    for name, layer in cfg.layers.items():
        component = LambdaLayer(
            f"layer-{name}",
            LambdaLayerArgs(
                layer_name=name,
                runtime=layer.runtime,
                architecture=layer.architecture,
                tagging=tagging,
                requirements=layer.requirements,
                strip=layer.strip,
                bytecode=layer.bytecode,
                description=layer.description,
                s3_bucket=layer.s3Bucket,
                shares=[LayerShare(s.principal, s.organizationId, s.public) for s in layer.shares],
                alarms=(
                    LayerAlarms(
                        layer.alarms.functions,
                        layer.alarms.topicArn,
                        duration_threshold_ms=layer.alarms.durationMs,
                    )
                    if layer.alarms
                    else None
                ),
                index_options=pip_index_options(layer.indexUrl, layer.findLinks),
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
        arns[name] = component.arn
    pulumi.export("layerVersionArns", arns)


main()
