"""`guardrails layer ...` once the command line is read: typed requests in, the build report
or the operation's plan (or what it did) out.

`build` guards its outputs (the zip, the build cache) against its inputs (the requirements
file, `--find-links` folders, the interpreter) before resolving anything; the changing
operations check the audit trail is writable before the first AWS call.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from guardrails.tooling.acting.audit_trail import ENV_VAR, AuditLog, audit_path
from guardrails.tooling.cli_options import AwsAccess
from guardrails.tooling.cli_support import EXIT_OK
from guardrails.tooling.outputs import REPORT_KINDS, Input, Output, guard_outputs

EXIT_ROLLED_BACK = 1


@dataclass(frozen=True)
class BuildRequest:
    """`layer build`: what to build (`packages` or a `requirements` file) and where."""

    runtime: str
    packages: tuple[str, ...] = ()
    requirements: Path | None = None
    architecture: str = "x86_64"
    strip: frozenset[str] = frozenset()
    bytecode: str = "checked-hash"
    python: str | None = None
    allow_unpinned: bool = False
    allow_secrets: tuple[str, ...] = ()
    output: Path | None = None
    cache_dir: Path | None = None
    use_cache: bool = True
    index_url: str | None = None
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    format: str = "table"


@dataclass(frozen=True)
class Changing:
    """What every changing layer command takes: dry run or apply, format, audit trail."""

    aws: AwsAccess = field(default_factory=AwsAccess)
    apply: bool = False
    format: str = "table"
    audit_log: Path | None = None


@dataclass(frozen=True)
class UsageRequest:
    aws: AwsAccess = field(default_factory=AwsAccess)
    layer: str | None = None
    format: str = "table"


@dataclass(frozen=True)
class PruneRequest:
    layer: str
    keep: int
    force: bool = False
    changing: Changing = field(default_factory=Changing)


@dataclass(frozen=True)
class ShareRequest:
    """`layer share` (`grant`) or `layer unshare`."""

    layer_arn: str
    grant: bool = True
    principals: tuple[str, ...] = ()
    organization_id: str | None = None
    public: bool = False
    changing: Changing = field(default_factory=Changing)


@dataclass(frozen=True)
class RolloutRequest:
    layer_arn: str
    functions: tuple[str, ...]
    percent: float
    alarm: str
    bake_seconds: float = 300
    changing: Changing = field(default_factory=Changing)


LayerRequest = BuildRequest | UsageRequest | PruneRequest | ShareRequest | RolloutRequest


def _local(link: str) -> Path | None:
    """A `--find-links` that names a local folder or file (not a URL)."""
    return None if "://" in link else Path(link)


def run_build(request: BuildRequest, out: Console, err: Console) -> int:
    from guardrails.runtime.layer_builder.build import build_layer, default_output
    from guardrails.runtime.layer_builder.cache import default_cache_dir
    from guardrails.runtime.layer_builder.spec import (
        LayerSpec,
        LayerSpecError,
        parse_requirements,
        pip_index_options,
    )
    from guardrails.tooling.console import RichProgress
    from guardrails.tooling.inputs import read_text
    from guardrails.tooling.layer_ops.console import render_build

    if request.requirements and request.packages:
        raise LayerSpecError(
            "give requirements as a file (--requirements) or as arguments, not both"
        )
    inputs = [
        Input("requirements file", request.requirements),
        Input("interpreter", Path(request.python) if request.python else None),
        *(Input("--find-links", _local(link)) for link in request.find_links),
    ]
    outputs = [
        Output("--output", request.output, REPORT_KINDS["zip"], what="layer zip"),
        Output(
            "--cache-dir",
            request.cache_dir or default_cache_dir(),
            what="build cache",
            folder=True,
            default=request.cache_dir is None,
        )
        if request.use_cache
        else Output("--cache-dir", None),
    ]
    guard_outputs(outputs, inputs)
    if request.requirements:
        where = str(request.requirements)
        text = read_text(request.requirements, "requirements file")
        requirements = parse_requirements(text, where=where, allow_unpinned=request.allow_unpinned)
    else:
        requirements = parse_requirements(
            request.packages, where="arguments", allow_unpinned=request.allow_unpinned
        )
    spec = LayerSpec(
        requirements=requirements,
        runtime=request.runtime,
        architecture=request.architecture,
        strip=request.strip,
        bytecode=request.bytecode,
        allow_secrets=request.allow_secrets,
    )
    output = request.output
    if output is None:
        output = default_output(f"{spec.requirements.names[0]}-{spec.runtime}")
        guard_outputs(
            [Output("--output", output, REPORT_KINDS["zip"], what="layer zip", default=True)],
            inputs,
        )
    with RichProgress(err) as progress:
        result = build_layer(
            spec,
            output,
            cache_dir=request.cache_dir,
            use_cache=request.use_cache,
            index_options=pip_index_options(
                request.index_url, request.find_links, no_index=request.no_index
            ),
            interpreter=request.python,
            progress=progress,
        )
    if request.format == "json":
        out.file.write(json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n")
    else:
        render_build(result, out)
    return EXIT_OK


def _operations(aws: AwsAccess, err: Console) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    from guardrails.tooling.console import countdown
    from guardrails.tooling.layer_ops.ops import LayerOperations, LayerOpsError

    try:
        session = boto3.Session(profile_name=aws.profile, region_name=aws.region)
        clients = (
            session.client("lambda", endpoint_url=aws.endpoint_url),
            session.client("cloudwatch", endpoint_url=aws.endpoint_url),
        )
    except BotoCoreError as exc:
        raise LayerOpsError(f"AWS client setup failed: {exc}") from exc
    return LayerOperations(*clients, sleep=countdown(err))


def _mode(changing: Changing) -> str:
    return "applied" if changing.apply else "dry run: nothing changed; add --apply to do this"


def _audit_log(changing: Changing) -> AuditLog | None:
    """The audit trail an applied change is written to, checked before anything changes."""
    if not changing.apply:
        return None
    chosen = changing.audit_log is not None or bool(os.environ.get(ENV_VAR))
    path = audit_path(changing.audit_log)
    flag = "--audit-log" if changing.audit_log is not None else "audit log"
    guard_outputs([Output(flag, path, REPORT_KINDS["jsonl"], what="audit log", default=not chosen)])
    log = AuditLog(path)
    log.check_writable()
    return log


def _record(log: AuditLog | None, command: str, target: str, changes: Any) -> None:
    if log is not None:
        log.append({"command": f"layer {command}", "target": target, **changes})


def run_usage(request: UsageRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.console import print_rows

    ops = _operations(request.aws, err)
    rows = [r.as_dict() for r in ops.usage(request.layer)]
    columns = ("layer", "version", "function", "runtime", "memory", "architectures")
    print_rows(rows, columns, request.format, out, title="layer usage")
    return EXIT_OK


def run_prune(request: PruneRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.console import print_rows

    changing = request.changing
    audit = _audit_log(changing)
    ops = _operations(changing.aws, err)
    plan = ops.prune(request.layer, request.keep, force=request.force, apply=changing.apply)
    rows = [asdict(p) for p in plan]
    _record(
        audit, "prune", request.layer, {"keep": request.keep, "force": request.force, "plan": rows}
    )
    columns = ("version", "action", "used_by", "created", "arn")
    title = f"prune {request.layer}: {_mode(changing)}"
    print_rows(rows, columns, changing.format, out, title=title, wrap=("used_by",))
    return EXIT_OK


def run_share(request: ShareRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.console import print_rows

    changing = request.changing
    audit = _audit_log(changing)
    ops = _operations(changing.aws, err)
    if request.grant:
        plan = ops.share(
            request.layer_arn,
            list(request.principals),
            organization_id=request.organization_id,
            public=request.public,
            apply=changing.apply,
        )
    else:
        plan = ops.unshare(
            request.layer_arn,
            list(request.principals),
            organization_id=request.organization_id,
            apply=changing.apply,
        )
    command = "share" if request.grant else "unshare"
    rows = [asdict(p) for p in plan]
    _record(audit, command, request.layer_arn, {"plan": rows})
    columns = ("principal", "organization_id", "statement_id", "action")
    print_rows(rows, columns, changing.format, out, title=f"{command}: {_mode(changing)}")
    return EXIT_OK


def run_rollout(request: RolloutRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.console import print_rows

    changing = request.changing
    audit = _audit_log(changing)
    ops = _operations(changing.aws, err)
    result = ops.rollout(
        request.layer_arn,
        list(request.functions),
        percent=request.percent,
        alarm=request.alarm,
        bake_seconds=request.bake_seconds,
        apply=changing.apply,
    )
    _record(audit, "rollout", request.layer_arn, {"result": asdict(result)})
    if changing.format == "json":
        out.file.write(json.dumps(asdict(result), indent=2, sort_keys=True) + "\n")
    else:
        rows = [
            {"function": c.function, "before": c.before, "after": c.after} for c in result.batch
        ]
        if result.rolled_back:
            status = f"ROLLED BACK: alarm {result.alarm} is {result.alarm_state}"
        elif result.applied:
            status = f"done, alarm {result.alarm} is {result.alarm_state}"
        else:
            status = _mode(changing)
        print_rows(
            rows,
            ("function", "before", "after"),
            "table",
            out,
            title=f"rollout batch {result.batch_id}: {status}",
        )
        out.print(
            f"already on the version: {', '.join(result.already) or 'none'}; "
            f"still to roll out: {', '.join(result.pending_after) or 'none'}",
            highlight=False,
        )
    return EXIT_ROLLED_BACK if result.rolled_back else EXIT_OK


def run_layer(request: LayerRequest, out: Console, err: Console) -> int:
    if isinstance(request, BuildRequest):
        return run_build(request, out, err)
    if isinstance(request, UsageRequest):
        return run_usage(request, out, err)
    if isinstance(request, PruneRequest):
        return run_prune(request, out, err)
    if isinstance(request, ShareRequest):
        return run_share(request, out, err)
    return run_rollout(request, out, err)
