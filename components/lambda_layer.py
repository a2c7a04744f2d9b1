"""`LambdaLayer`: a governed AWS Lambda layer, built deterministically at program run time.

The component builds the layer zip with `guardrails.runtime.layer_builder.build` (pinned
requirements, the target runtime's wheels, hash-based bytecode, deterministic zip, credential
scan, Lambda's size limits) and publishes it as an `aws.lambda_.LayerVersion` whose
`source_code_hash` is the zip's SHA-256: unchanged inputs give the same bytes, so `pulumi up`
publishes nothing new. `skip_destroy` keeps superseded versions usable until `guardrails layer
prune` removes them. Sharing is one `LayerVersionPermission` per principal, validated before
anything is declared; alarms on the functions that use the layer are optional.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.cloudwatch_alarm import CloudWatchAlarm, CloudWatchAlarmArgs
from components.tagging import GovernanceTagging, merge_aws_tags
from guardrails.runtime.layer_builder.build import BuildResult, build_layer
from guardrails.runtime.layer_builder.spec import (
    LayerSpec,
    LayerSpecError,
    parse_requirements,
    read_requirements,
    statement_id,
)
from guardrails.runtime.validation import (
    LAMBDA_FUNCTION_NAME,
    LAMBDA_LAYER_NAME,
    ComponentArgumentError,
    layer_principal_problem,
    matches,
)

_COMPONENT = "LambdaLayer"


@dataclass(frozen=True)
class LayerShare:
    """Who may use the layer: an account id, an account root ARN, or `*`.

    `*` needs an `organization_id` (every account of that organisation) or `public=True`
    (every AWS account; the policy gate then reports `aws-lambda-layerpermission-no-public`
    unless the ledger suppresses it).
    """

    principal: str
    organization_id: str | None = None
    public: bool = False


@dataclass(frozen=True)
class LayerAlarms:
    """CloudWatch alarms on the functions that use the layer, to an SNS topic."""

    function_names: Sequence[str]
    topic_arn: pulumi.Input[str]
    errors_threshold: float = 1
    throttles_threshold: float = 1
    duration_threshold_ms: float | None = None
    """Alarm when the maximum duration reaches this; no duration alarm when None."""
    period: int = 300


@dataclass
class LambdaLayerArgs:
    layer_name: str
    runtime: str
    """One of `layer_builder.spec.RUNTIMES`; the wheels are built for it alone."""
    tagging: GovernanceTagging
    requirements: Sequence[str] = ()
    requirements_file: str | None = None
    architecture: str = "x86_64"
    strip: Sequence[str] = ()
    bytecode: str = "checked-hash"
    allow_secrets: Sequence[str] = ()
    description: str = ""
    license_info: str | None = None
    s3_bucket: pulumi.Input[str] | None = None
    """Bucket for zips over the 50 MB direct-upload limit (or all, with `upload_via_s3`)."""
    s3_key_prefix: str = "lambda-layers/"
    upload_via_s3: bool | None = None
    """None: through S3 only when the zip is over the direct-upload limit."""
    shares: Sequence[LayerShare] = ()
    alarms: LayerAlarms | None = None
    build_dir: str | None = None
    """Also write the zip here as `<layer_name>.zip`; by default Pulumi reads the zip from
    the build cache (content-addressed, so it cannot change under a deployment)."""
    index_options: Sequence[str] = ()
    """Extra pip index options, e.g. ("--index-url", URL) for a private mirror."""
    python: str | None = None
    """Interpreter of the runtime's version for bytecode (found on PATH when None)."""
    cache_dir: str | None = None
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags besides the governance ones, for the S3 object (layer versions take none)."""


def _spec(args: LambdaLayerArgs) -> LayerSpec:
    if bool(args.requirements) == bool(args.requirements_file):
        raise ComponentArgumentError(
            _COMPONENT, "requirements", "or requirements_file: give exactly one"
        )
    try:
        requirements = (
            read_requirements(Path(args.requirements_file))
            if args.requirements_file
            else parse_requirements(list(args.requirements), where="requirements")
        )
        return LayerSpec(
            requirements=requirements,
            runtime=args.runtime,
            architecture=args.architecture,
            strip=frozenset(args.strip),
            bytecode=args.bytecode,
            allow_secrets=tuple(args.allow_secrets),
        )
    except LayerSpecError as exc:
        raise ComponentArgumentError(_COMPONENT, "layer", str(exc)) from exc


def _check(args: LambdaLayerArgs) -> None:
    if not matches(LAMBDA_LAYER_NAME, args.layer_name):
        raise ComponentArgumentError(
            _COMPONENT,
            "layer_name",
            f"must be 1-140 letters, digits, - or _ (got {args.layer_name!r})",
        )
    for share in args.shares:
        problem = layer_principal_problem(
            share.principal, share.organization_id, public=share.public
        )
        if problem:
            raise ComponentArgumentError(_COMPONENT, "shares", problem)
    if args.alarms is not None:
        if not args.alarms.function_names:
            raise ComponentArgumentError(_COMPONENT, "alarms.function_names", "must not be empty")
        for function in args.alarms.function_names:
            if not matches(LAMBDA_FUNCTION_NAME, function):
                raise ComponentArgumentError(
                    _COMPONENT,
                    "alarms.function_names",
                    f"must hold Lambda function names (got {function!r})",
                )


class LambdaLayer(pulumi.ComponentResource):
    """A layer version built from pinned requirements, shared and watched as configured."""

    build: BuildResult
    layer_version: aws.lambda_.LayerVersion
    archive_object: aws.s3.BucketObjectv2 | None
    permissions: list[aws.lambda_.LayerVersionPermission]
    alarms: list[CloudWatchAlarm]
    arn: pulumi.Output[str]
    layer_arn: pulumi.Output[str]
    version: pulumi.Output[int]
    sha256: str
    zipped_bytes: int

    def __init__(
        self, name: str, args: LambdaLayerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        spec = _spec(args)
        # Build before registering anything: a refused build leaves no half-declared component.
        self.build = build_layer(
            spec,
            Path(args.build_dir) / f"{args.layer_name}.zip" if args.build_dir else None,
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            index_options=list(args.index_options),
            interpreter=args.python,
        )
        via_s3 = self.build.needs_s3 if args.upload_via_s3 is None else args.upload_via_s3
        if via_s3 and args.s3_bucket is None:
            raise ComponentArgumentError(
                _COMPONENT,
                "s3_bucket",
                f"is needed: the layer zip is {self.build.zipped_bytes / 1e6:.1f} MB, over the "
                "50 MB Lambda accepts by direct upload"
                if self.build.needs_s3
                else "is needed when upload_via_s3 is true",
            )
        super().__init__("guardrails:aws:LambdaLayer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = merge_aws_tags(args.tagging, args.extra_tags)
        code: dict[str, pulumi.Input[str] | pulumi.Archive]
        self.archive_object = None
        if via_s3:
            self.archive_object = aws.s3.BucketObjectv2(
                f"{name}-archive",
                bucket=args.s3_bucket,
                key=f"{args.s3_key_prefix}{args.layer_name}/{self.build.sha256}.zip",
                source=pulumi.FileAsset(str(self.build.zip_path)),
                source_hash=self.build.sha256,
                tags=tags,
                opts=child,
            )
            code = {"s3_bucket": self.archive_object.bucket, "s3_key": self.archive_object.key}
        else:
            code = {"code": pulumi.FileArchive(str(self.build.zip_path))}
        self.layer_version = aws.lambda_.LayerVersion(
            f"{name}-version",
            layer_name=args.layer_name,
            compatible_runtimes=[spec.runtime],
            compatible_architectures=[spec.architecture],
            description=args.description or None,
            license_info=args.license_info,
            source_code_hash=self.build.source_code_hash,
            skip_destroy=True,
            opts=child,
            **code,
        )
        version_number = self.layer_version.version.apply(int)
        self.permissions = []
        for share in args.shares:
            organization = share.organization_id if share.principal == "*" else None
            sid = statement_id(share.principal, organization)
            self.permissions.append(
                aws.lambda_.LayerVersionPermission(
                    f"{name}-{sid.removeprefix('guardrails-')}",
                    layer_name=self.layer_version.layer_arn,
                    version_number=version_number,
                    statement_id=sid,
                    action="lambda:GetLayerVersion",
                    principal=share.principal,
                    organization_id=organization,
                    skip_destroy=True,
                    opts=child,
                )
            )
        self.alarms = self._alarms(name, args, child)
        self.arn = self.layer_version.arn
        self.layer_arn = self.layer_version.layer_arn
        self.version = self.layer_version.version
        self.sha256 = self.build.sha256
        self.zipped_bytes = self.build.zipped_bytes
        self.register_outputs(
            {
                "arn": self.arn,
                "layer_arn": self.layer_arn,
                "version": self.version,
                "sha256": self.sha256,
                "zipped_bytes": self.zipped_bytes,
            }
        )

    def _alarms(
        self, name: str, args: LambdaLayerArgs, child: pulumi.ResourceOptions
    ) -> list[CloudWatchAlarm]:
        watch = args.alarms
        if watch is None:
            return []
        metrics: list[tuple[str, str, str, float]] = [
            ("errors", "Errors", "Sum", watch.errors_threshold),
            ("throttles", "Throttles", "Sum", watch.throttles_threshold),
        ]
        if watch.duration_threshold_ms is not None:
            metrics.append(("duration", "Duration", "Maximum", watch.duration_threshold_ms))
        alarms = []
        for function in watch.function_names:
            for role, metric, statistic, threshold in metrics:
                alarms.append(
                    CloudWatchAlarm(
                        f"{name}-{function}-{role}",
                        CloudWatchAlarmArgs(
                            metric_name=metric,
                            namespace="AWS/Lambda",
                            statistic=statistic,
                            threshold=threshold,
                            comparison_operator="GreaterThanOrEqualToThreshold",
                            period=watch.period,
                            dimensions={"FunctionName": function},
                            alarm_actions=[watch.topic_arn],
                            tagging=args.tagging,
                            description=(
                                f"{function} {metric.lower()} (uses layer {args.layer_name})"
                            ),
                        ),
                        opts=child,
                    )
                )
        return alarms
