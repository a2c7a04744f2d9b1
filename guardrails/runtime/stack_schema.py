"""The schema of the guardrails stacks' config (`stacks/Pulumi.<env>.yaml`).

The whole config is validated before any resource is declared, and every problem is reported
with its key path, e.g. `guardrails:databases.orders.computeCount: must be >= 2 (got 1)`,
all problems at once. Plain-text secrets are refused: a key that looks like a password,
token or webhook must be set with `pulumi config set --secret`, or be an OCI Vault OCID.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.layer_builder.spec import LayerSpec, LayerSpecError, parse_requirements
from guardrails.runtime.secrets import SECRET_VALUES
from guardrails.runtime.stack_schema_cost import CostEnforcementField, OffHoursField
from guardrails.runtime.validation import (
    ADB_DB_NAME,
    BUCKET_NAME,
    EMAIL,
    HTTPS_URL,
    IAM_RESOURCE_TYPE,
    LAMBDA_FUNCTION_NAME,
    LAMBDA_LAYER_NAME,
    SNS_TOPIC_ARN,
    STREAM_NAME,
    TAG_NAMESPACE,
    TAG_VALUE,
    TOPIC_NAME,
    is_ocid,
    layer_principal_problem,
    matches,
    parse_cidr,
)

NAMESPACE = "guardrails"

# Keys that hold credentials and must come from `pulumi config set --secret`.
SECRET_KEYS = ("adbAdminPassword", "slackWebhookUrl", "pagerDutyUrl")

_SECRET_NAME = re.compile(r"(password|passwd|secret|token|api_?key|private_?key|webhook)", re.I)


class StackConfigError(GuardrailsError):
    """The stack config is invalid; `problems` holds one `key.path: message` line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid stack config:\n" + "\n".join(f"  {p}" for p in problems))


def _ocid(*kinds: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not is_ocid(value, *kinds):
            raise ValueError(f"must be an OCID of type {' or '.join(kinds)} (got {value!r})")
        return value

    return check


def _cidr(value: str) -> str:
    try:
        parse_cidr("config", "cidr", value)
    except ValueError as exc:
        raise ValueError(str(exc).split("cidr ", 1)[-1]) from None
    return value


def _email(value: str) -> str:
    if not matches(EMAIL, value):
        raise ValueError(f"must be an e-mail address (got {value!r})")
    return value


def _https(value: str) -> str:
    if not matches(HTTPS_URL, value):
        raise ValueError(f"must be an https:// URL (got {value!r})")
    return value


TenancyOcid = Annotated[str, AfterValidator(_ocid("tenancy"))]
CompartmentOcid = Annotated[str, AfterValidator(_ocid("compartment", "tenancy"))]
SubnetOcid = Annotated[str, AfterValidator(_ocid("subnet"))]
VcnOcid = Annotated[str, AfterValidator(_ocid("vcn"))]
NsgOcid = Annotated[str, AfterValidator(_ocid("networksecuritygroup"))]
KeyOcid = Annotated[str, AfterValidator(_ocid("key"))]
VaultSecretOcid = Annotated[str, AfterValidator(_ocid("vaultsecret"))]
Cidr = Annotated[str, AfterValidator(_cidr)]
Email = Annotated[str, AfterValidator(_email)]
HttpsUrl = Annotated[str, AfterValidator(_https)]
CostCenterName = Annotated[str, Field(pattern=TAG_VALUE)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RequiredTagCompartmentConfig(_Model):
    compartmentOcid: CompartmentOcid
    costCenter: CostCenterName


class TagGrantConfig(_Model):
    group: str = Field(min_length=1)
    verb: Literal["inspect", "read", "use", "manage"]
    resources: str = Field(pattern=IAM_RESOURCE_TYPE)
    costCenter: CostCenterName


TagDefinitionOcid = Annotated[str, AfterValidator(_ocid("tagdefinition"))]


class ExistingTagsConfig(_Model):
    """Tag definition OCIDs, for a stack that shares a tenancy whose namespace another owns."""

    cost_center: TagDefinitionOcid
    environment: TagDefinitionOcid


class GovernanceConfig(_Model):
    namespace: str = Field(default="governance", pattern=TAG_NAMESPACE)
    costCenters: list[CostCenterName] = Field(min_length=1)
    defaultCostCenter: CostCenterName
    requiredTagCompartments: list[RequiredTagCompartmentConfig] = Field(default_factory=list)
    grants: list[TagGrantConfig] = Field(default_factory=list)
    existingTags: ExistingTagsConfig | None = None
    """The namespace is tenancy-wide; stacks sharing a tenancy name the owner's tags here."""

    @model_validator(mode="after")
    def _known_cost_centers(self) -> GovernanceConfig:
        known = set(self.costCenters)
        if len(known) != len(self.costCenters):
            raise ValueError("costCenters must not repeat a value")
        refs = [("defaultCostCenter", self.defaultCostCenter)]
        refs += [
            (f"requiredTagCompartments[{i}].costCenter", r.costCenter)
            for i, r in enumerate(self.requiredTagCompartments)
        ]
        refs += [(f"grants[{i}].costCenter", g.costCenter) for i, g in enumerate(self.grants)]
        for where, value in refs:
            if value not in known:
                raise ValueError(
                    f"{where} {value!r} is not one of costCenters ({', '.join(self.costCenters)})"
                )
        return self


class AlertRuleConfig(_Model):
    type: Literal["ACTUAL", "FORECAST"]
    threshold: float = Field(ge=1, le=10000)


class CostCenterBudgetConfig(_Model):
    monthly: int = Field(ge=1)
    recipients: list[Email] = Field(min_length=1)
    awsMonthly: int | None = Field(default=None, ge=1)


class BudgetsConfig(_Model):
    tenancyMonthly: int = Field(ge=1)
    tenancyRecipients: list[Email] = Field(min_length=1)
    alertRules: list[AlertRuleConfig] | None = None
    costCenters: dict[CostCenterName, CostCenterBudgetConfig] = Field(min_length=1)


class AlarmsConfig(_Model):
    topicName: str = Field(pattern=TOPIC_NAME)
    email: list[Email] = Field(default_factory=list)
    https: list[HttpsUrl] = Field(default_factory=list)
    runbookUrl: HttpsUrl | None = None


class DatabaseConfig(_Model):
    dbName: str = Field(pattern=ADB_DB_NAME)
    displayName: str = Field(min_length=1, max_length=255)
    workload: Literal["OLTP", "DW", "AJD", "APEX"]
    licenseModel: Literal["LICENSE_INCLUDED", "BRING_YOUR_OWN_LICENSE"]
    computeCount: int = Field(ge=2, le=512)
    storageTbs: int = Field(ge=1, le=384)
    backupRetentionDays: int = Field(default=7, ge=1, le=60)
    autoScaling: bool = False
    storageAutoScaling: bool = False
    costCenter: CostCenterName | None = None
    vaultSecretOcid: VaultSecretOcid | None = None


class PrivateEndpointConfig(_Model):
    subnetOcid: SubnetOcid
    vcnOcid: VcnOcid
    clientCidrs: list[Cidr] = Field(min_length=1)


class DatabaseAccessConfig(_Model):
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
                _cidr(entry.partition(";")[2] if entry.startswith("ocid1.") else entry)
        return self


class BackupsConfig(_Model):
    bucketName: str = Field(pattern=BUCKET_NAME)
    kmsKeyOcid: KeyOcid | None = None


class StreamConfig(_Model):
    partitions: int = Field(default=1, ge=1, le=200)
    retentionHours: int = Field(default=24, ge=24, le=168)


class StreamPoolEndpointConfig(_Model):
    subnetOcid: SubnetOcid
    nsgOcids: list[NsgOcid] = Field(default_factory=list)


class StreamsConfig(_Model):
    poolName: str = Field(pattern=STREAM_NAME)
    kmsKeyOcid: KeyOcid | None = None
    privateEndpoint: StreamPoolEndpointConfig | None = None
    streams: dict[str, StreamConfig] = Field(min_length=1)


class LayerShareConfig(_Model):
    principal: str
    organizationId: str | None = None
    public: bool = False

    @model_validator(mode="after")
    def _principal(self) -> LayerShareConfig:
        problem = layer_principal_problem(self.principal, self.organizationId, public=self.public)
        if problem:
            raise ValueError(problem)
        return self


class LayerAlarmsConfig(_Model):
    functions: list[Annotated[str, Field(pattern=LAMBDA_FUNCTION_NAME)]] = Field(min_length=1)
    topicArn: str = Field(pattern=SNS_TOPIC_ARN)
    durationMs: float | None = Field(default=None, gt=0)


class LayerConfig(_Model):
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


class StackConfig(_Model):
    """Everything under the `guardrails:` namespace of a stack file."""

    environment: Literal["dev", "staging", "prod"]
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
    # Secret keys: only their presence is validated here; the values never leave Pulumi secrets.
    adbAdminPassword: str | None = None
    slackWebhookUrl: str | None = None
    pagerDutyUrl: str | None = None

    @field_validator("databases")
    @classmethod
    def _database_keys(cls, value: dict[str, DatabaseConfig]) -> dict[str, DatabaseConfig]:
        names = [db.dbName.upper() for db in value.values()]
        if len(set(names)) != len(names):
            raise ValueError("two databases share a dbName")
        for key in value:
            if not re.match(r"^[a-z][a-z0-9\-]{0,39}$", key):
                raise ValueError(f"database key {key!r} must be lower-case letters, digits and -")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> StackConfig:
        known = set(self.governance.costCenters)
        problems = []
        if self.budgets:
            problems += [
                f"budgets.costCenters.{cc}: {cc!r} is not one of governance.costCenters"
                for cc in self.budgets.costCenters
                if cc not in known
            ]
        for key, db in self.databases.items():
            if db.costCenter and db.costCenter not in known:
                problems.append(
                    f"databases.{key}.costCenter: {db.costCenter!r} "
                    "is not one of governance.costCenters"
                )
            if db.vaultSecretOcid is None and self.adbAdminPassword is None:
                problems.append(
                    f"databases.{key}: needs vaultSecretOcid, "
                    "or the secret guardrails:adbAdminPassword"
                )
        if self.databases and self.databaseAccess is None:
            problems.append("databaseAccess: is required when databases are defined")
        if self.databases and self.backups is None:
            problems.append("backups: is required when databases are defined")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _plain_secret_problems(key: str, value: Any, secret: bool, path: str) -> list[str]:
    """Key paths that hold what looks like a credential in plain text."""
    problems: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            problems += _plain_secret_problems(str(k), v, secret, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            problems += _plain_secret_problems(key, v, secret, f"{path}[{i}]")
    elif isinstance(value, str) and value and not secret:
        for pattern, what in SECRET_VALUES:
            if pattern.search(value):
                return [f"{path}: holds {what} in plain text; use `pulumi config set --secret`"]
        if _SECRET_NAME.search(key) and not is_ocid(value):
            problems.append(
                f"{path}: looks like a secret but is stored in plain text; "
                "use `pulumi config set --secret` or an OCI Vault secret OCID"
            )
    return problems


def _describe(error: Mapping[str, Any]) -> str:
    kind, ctx, got = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "greater_than_equal":
        return f"must be >= {ctx['ge']} (got {got})"
    if kind == "less_than_equal":
        return f"must be <= {ctx['le']} (got {got})"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known setting"
    if kind == "literal_error":
        allowed = str(ctx["expected"]).replace("'", "").replace(" or ", ", ")
        return f"must be one of {allowed} (got {got!r})"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number (got {got!r})"
    if kind == "string_pattern_mismatch":
        return f"has an invalid format (got {got!r})"
    if kind in ("too_short", "too_long"):
        return str(error["msg"]).replace("List", "list").replace("Dictionary", "map").lower()
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg']} (got {got!r})"


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def runtime_config() -> tuple[dict[str, str], set[str]]:
    """The config map and secret keys the Pulumi runtime handed to this program."""
    from pulumi.runtime import config as runtime

    raw = {**runtime.get_config_env(), **runtime.CONFIG.get()}
    env_secrets = set(runtime.get_config_secret_keys_env())
    return raw, {k for k in raw if k in env_secrets or runtime.is_config_secret(k)}


def parse_stack_config(raw: Mapping[str, str], secret_keys: set[str]) -> StackConfig:
    """Validate a stack's `guardrails:*` config (values as the runtime passes them: strings,
    JSON for objects). Raise StackConfigError listing every problem with its key path.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    prefix = f"{NAMESPACE}:"
    for qualified, text in sorted(raw.items()):
        if not qualified.startswith(prefix):
            continue
        key = qualified[len(prefix) :]
        try:
            value = json.loads(text) if text[:1] in "[{" else text
        except json.JSONDecodeError as exc:
            problems.append(f"{qualified}: is not valid JSON ({exc.msg})")
            continue
        is_secret = qualified in secret_keys
        if key in SECRET_KEYS and not is_secret:
            problems.append(f"{qualified}: must be set with `pulumi config set --secret`")
        problems += _plain_secret_problems(key, value, is_secret, qualified)
        values[key] = value
    if not problems:
        try:
            return StackConfig.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                where = _path(tuple(error["loc"]))
                message = _describe(error)
                if error["type"] == "value_error" and ": " in message and not where:
                    # cross-field problems carry their own paths, "; "-separated
                    problems += [f"{prefix}{m}" for m in message.split("; ")]
                else:
                    problems.append(
                        f"{prefix}{where}: {message}" if where else f"{prefix} {message}"
                    )
    raise StackConfigError(sorted(problems))
