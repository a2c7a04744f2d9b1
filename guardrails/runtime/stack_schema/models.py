"""The pydantic models of the guardrails stacks' config (`stacks/Pulumi.<env>.yaml`).

Limits come from `guardrails.runtime.limits`, the same objects the components check, so a
stack file and a direct component call apply one rule in one wording. `StackConfig` is the
whole `guardrails:` namespace; a new config block puts its models in a module of its own in
this package (built on `base.py`) and adds one field line to `StackConfig` here.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from guardrails.runtime import limits
from guardrails.runtime.layer_builder.spec import LayerSpec, LayerSpecError, parse_requirements
from guardrails.runtime.stack_schema.base import (
    Cidr,
    CompartmentOcid,
    ConfigModel,
    CostCenterName,
    Email,
    Environment,
    HttpsUrl,
    KeyOcid,
    NsgOcid,
    SubnetOcid,
    TagDefinitionOcid,
    TenancyOcid,
    VaultSecretOcid,
    VcnOcid,
    check_cidr,
    limited,
)
from guardrails.runtime.stack_schema.cost import CostEnforcementField, OffHoursField
from guardrails.runtime.stack_schema.fleet import FleetConfig
from guardrails.runtime.stack_schema.problems import KeyedProblems
from guardrails.runtime.validation import (
    LAMBDA_FUNCTION_NAME,
    LAMBDA_LAYER_NAME,
    SNS_TOPIC_ARN,
    layer_principal_problem,
)


class RequiredTagCompartmentConfig(ConfigModel):
    compartmentOcid: CompartmentOcid
    costCenter: CostCenterName


class TagGrantConfig(ConfigModel):
    group: str = Field(min_length=1)
    verb: Annotated[str, limited(limits.IAM_VERB)]
    resources: Annotated[str, limited(limits.IAM_RESOURCE_TYPE)]
    costCenter: CostCenterName


class ExistingTagsConfig(ConfigModel):
    """Tag definition OCIDs, for a stack that shares a tenancy whose namespace another owns."""

    cost_center: TagDefinitionOcid
    environment: TagDefinitionOcid


class GovernanceConfig(ConfigModel):
    namespace: Annotated[str, limited(limits.TAG_NAMESPACE)] = "governance"
    costCenters: list[CostCenterName] = Field(min_length=1)
    defaultCostCenter: CostCenterName
    requiredTagCompartments: list[RequiredTagCompartmentConfig] = Field(default_factory=list)
    grants: list[TagGrantConfig] = Field(default_factory=list)
    existingTags: ExistingTagsConfig | None = None
    """The namespace is tenancy-wide; stacks sharing a tenancy name the owner's tags here."""

    @model_validator(mode="after")
    def _known_cost_centers(self) -> GovernanceConfig:
        repeated = limits.repeated_problem(self.costCenters, "value")
        if repeated:
            raise KeyedProblems([("costCenters", repeated)])
        refs = [("defaultCostCenter", self.defaultCostCenter)]
        refs += [
            (f"requiredTagCompartments[{i}].costCenter", r.costCenter)
            for i, r in enumerate(self.requiredTagCompartments)
        ]
        refs += [(f"grants[{i}].costCenter", g.costCenter) for i, g in enumerate(self.grants)]
        cost_center = limits.Choice(tuple(self.costCenters))
        problems = [(where, cost_center.problem(value)) for where, value in refs]
        if any(problem for _, problem in problems):
            raise KeyedProblems([(where, p) for where, p in problems if p])
        return self


class AlertRuleConfig(ConfigModel):
    type: Annotated[str, limited(limits.ALERT_RULE_TYPE)]
    threshold: Annotated[int | float, limited(limits.ALERT_THRESHOLD_PERCENT)]


class CostCenterBudgetConfig(ConfigModel):
    monthly: Annotated[int, limited(limits.MONTHLY_AMOUNT)]
    recipients: list[Email] = Field(min_length=1)
    awsMonthly: Annotated[int, limited(limits.MONTHLY_AMOUNT)] | None = None


class BudgetsConfig(ConfigModel):
    tenancyMonthly: Annotated[int, limited(limits.MONTHLY_AMOUNT)]
    tenancyRecipients: list[Email] = Field(min_length=1)
    alertRules: list[AlertRuleConfig] | None = None
    costCenters: dict[CostCenterName, CostCenterBudgetConfig] = Field(min_length=1)


class AlarmsConfig(ConfigModel):
    topicName: Annotated[str, limited(limits.TOPIC_NAME)]
    email: list[Email] = Field(default_factory=list)
    https: list[HttpsUrl] = Field(default_factory=list)
    runbookUrl: HttpsUrl | None = None


class DatabaseConfig(ConfigModel):
    dbName: Annotated[str, limited(limits.DB_NAME)]
    displayName: str = Field(min_length=1, max_length=255)
    workload: Annotated[str, limited(limits.WORKLOAD)]
    licenseModel: Annotated[str, limited(limits.LICENSE_MODEL)]
    computeCount: Annotated[int, limited(limits.ECPU_COUNT)]
    storageTbs: Annotated[int, limited(limits.STORAGE_TBS)]
    backupRetentionDays: Annotated[int, limited(limits.BACKUP_RETENTION_DAYS)] = 7
    autoScaling: bool = False
    storageAutoScaling: bool = False
    costCenter: CostCenterName | None = None
    vaultSecretOcid: VaultSecretOcid | None = None


class PrivateEndpointConfig(ConfigModel):
    subnetOcid: SubnetOcid
    vcnOcid: VcnOcid
    clientCidrs: list[Cidr] = Field(min_length=1)


class DatabaseAccessConfig(ConfigModel):
    privateEndpoint: PrivateEndpointConfig | None = None
    allowList: list[str] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> DatabaseAccessConfig:
        if (self.privateEndpoint is None) == (self.allowList is None):
            raise ValueError("set exactly one of privateEndpoint or allowList")
        if self.allowList is not None:
            if not self.allowList:
                raise ValueError("allowList must not be empty")
            for entry in self.allowList:
                check_cidr(entry.partition(";")[2] if entry.startswith("ocid1.") else entry)
        return self


class BackupsConfig(ConfigModel):
    bucketName: Annotated[str, limited(limits.BUCKET_NAME)]
    kmsKeyOcid: KeyOcid | None = None


class StreamConfig(ConfigModel):
    partitions: Annotated[int, limited(limits.STREAM_PARTITIONS)] = 1
    retentionHours: Annotated[int, limited(limits.STREAM_RETENTION_HOURS)] = 24


class StreamPoolEndpointConfig(ConfigModel):
    subnetOcid: SubnetOcid
    nsgOcids: list[NsgOcid] = Field(default_factory=list)


class StreamsConfig(ConfigModel):
    poolName: Annotated[str, limited(limits.STREAM_NAME)]
    kmsKeyOcid: KeyOcid | None = None
    privateEndpoint: StreamPoolEndpointConfig | None = None
    streams: dict[str, StreamConfig] = Field(min_length=1)


class LayerShareConfig(ConfigModel):
    principal: str
    organizationId: str | None = None
    public: bool = False

    @model_validator(mode="after")
    def _principal(self) -> LayerShareConfig:
        problem = layer_principal_problem(self.principal, self.organizationId, public=self.public)
        if problem:
            raise ValueError(problem)
        return self


class LayerAlarmsConfig(ConfigModel):
    functions: list[Annotated[str, Field(pattern=LAMBDA_FUNCTION_NAME)]] = Field(min_length=1)
    topicArn: str = Field(pattern=SNS_TOPIC_ARN)
    durationMs: float | None = Field(default=None, gt=0)


class LayerConfig(ConfigModel):
    """A Lambda layer; runtime, architecture, strip and bytecode are checked by LayerSpec."""

    runtime: str
    architecture: str = "x86_64"
    requirements: list[str] = Field(min_length=1)
    strip: list[str] = Field(default_factory=list)
    bytecode: str = "checked-hash"
    description: str = Field(default="", max_length=256)
    shares: list[LayerShareConfig] = Field(default_factory=list)
    alarms: LayerAlarmsConfig | None = None
    s3Bucket: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
    indexUrl: HttpsUrl | None = None
    findLinks: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _spec(self) -> LayerConfig:
        try:
            LayerSpec(
                parse_requirements(self.requirements, where="requirements"),
                runtime=self.runtime,
                architecture=self.architecture,
                strip=frozenset(self.strip),
                bytecode=self.bytecode,
            )
        except LayerSpecError as exc:
            raise ValueError(str(exc).replace("\n ", "")) from exc
        return self


class StackConfig(ConfigModel):
    """Everything under the `guardrails:` namespace of a stack file."""

    environment: Environment
    owner: str = Field(min_length=1, max_length=100)
    tenancyOcid: TenancyOcid
    compartmentOcid: CompartmentOcid
    governance: GovernanceConfig
    budgets: BudgetsConfig | None = None
    alarms: AlarmsConfig
    databases: dict[str, DatabaseConfig] = Field(default_factory=dict)
    databaseAccess: DatabaseAccessConfig | None = None
    backups: BackupsConfig | None = None
    streams: StreamsConfig | None = None
    layers: dict[Annotated[str, Field(pattern=LAMBDA_LAYER_NAME)], LayerConfig] = Field(
        default_factory=dict
    )
    costEnforcement: CostEnforcementField = None
    offHours: OffHoursField = None
    fleet: FleetConfig = Field(default_factory=FleetConfig)
    # Secret keys: only their presence is validated here; the values never leave Pulumi secrets.
    adbAdminPassword: str | None = None
    slackWebhookUrl: str | None = None
    pagerDutyUrl: str | None = None

    @field_validator("databases")
    @classmethod
    def _database_keys(cls, value: dict[str, DatabaseConfig]) -> dict[str, DatabaseConfig]:
        repeated = limits.repeated_problem((db.dbName.upper() for db in value.values()), "db name")
        if repeated:
            raise ValueError(repeated)
        for key in value:
            if not re.match(r"^[a-z][a-z0-9\-]{0,39}$", key):
                raise ValueError(f"database key {key!r} must be lower-case letters, digits and -")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> StackConfig:
        cost_center = limits.Choice(tuple(self.governance.costCenters))
        problems: list[tuple[str, str | None]] = []
        if self.budgets:
            problems += [
                (f"budgets.costCenters.{cc}", cost_center.problem(cc))
                for cc in self.budgets.costCenters
            ]
        for key, db in self.databases.items():
            if db.costCenter:
                problems.append((f"databases.{key}.costCenter", cost_center.problem(db.costCenter)))
            if db.vaultSecretOcid is None and self.adbAdminPassword is None:
                problems.append(
                    (
                        f"databases.{key}",
                        "needs vaultSecretOcid, or the secret guardrails:adbAdminPassword",
                    )
                )
        if self.databases and self.databaseAccess is None:
            problems.append(("databaseAccess", "is required when databases are defined"))
        if self.databases and self.backups is None:
            problems.append(("backups", "is required when databases are defined"))
        found = [(where, problem) for where, problem in problems if problem]
        if found:
            raise KeyedProblems(found)
        return self
