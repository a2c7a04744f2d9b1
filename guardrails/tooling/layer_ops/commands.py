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
from rich.markup import escape

from guardrails.tooling.acting.audit_trail import ENV_VAR, AuditLog, audit_path
from guardrails.tooling.acting.retry import DEFAULT_TIMEOUT_SECONDS, botocore_config
from guardrails.tooling.cli_options import AwsAccess
from guardrails.tooling.cli_support import EXIT_ERROR, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from guardrails.tooling.outputs import REPORT_KINDS, Input, Output, guard_outputs


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
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    """Seconds the run may spend waiting on AWS (calls, retries, function updates)."""


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
    allow_prod: bool = False
    program_dir: Path = Path(".")


@dataclass(frozen=True)
class ShareRequest:
    """`layer share` (`grant`) or `layer unshare`."""

    layer_arn: str
    grant: bool = True
    principals: tuple[str, ...] = ()
    organization_id: str | None = None
    public: bool = False
    changing: Changing = field(default_factory=Changing)
    allow_prod: bool = False
    program_dir: Path = Path(".")


@dataclass(frozen=True)
class RolloutRequest:
    layer_arn: str
    functions: tuple[str, ...]
    percent: float
    alarm: str
    bake_seconds: float = 300
    changing: Changing = field(default_factory=Changing)
    allow_prod: bool = False
    program_dir: Path = Path(".")
    """Where the production policy comes from (`guardrails-org.yaml`, the project's stacks)."""


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


def _operations(aws: AwsAccess, err: Console, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    from guardrails.tooling.acting.retry import Budget
    from guardrails.tooling.console import countdown
    from guardrails.tooling.layer_ops.ops import LayerOperations, LayerOpsError

    config = botocore_config(Budget(timeout))  # timeouts, none of botocore's own retries
    try:
        session = boto3.Session(profile_name=aws.profile, region_name=aws.region)
        clients = (
            session.client("lambda", endpoint_url=aws.endpoint_url, config=config),
            session.client("cloudwatch", endpoint_url=aws.endpoint_url, config=config),
        )
    except BotoCoreError as exc:
        raise LayerOpsError(f"AWS client setup failed: {exc}") from exc
    return LayerOperations(
        *clients, sleep=countdown(err), say=lambda line: err.print(line, highlight=False)
    )


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


def _finish(
    result: Any,
    command: str,
    log: AuditLog | None,
    err: Console,
    target: str,
    *,
    rolled_back: bool = False,
) -> int:
    """Exit code of an acting command, its notes on stderr and its summary record.

    Ctrl-C is 130; a failure after a change is 1 (the steps done and undone are in the
    audit trail), before any change 2; a rollout rolled back on its alarm is 1.
    """
    if result.reconciled:
        err.print(
            f"settled {len(result.reconciled)} earlier step(s) left without outcome, from the "
            "resources' state: "
            + ", ".join(f"{s.action} {s.target}: {s.status}" for s in result.reconciled),
            highlight=False,
            soft_wrap=True,
        )
    if result.unresolved_elsewhere:
        err.print(
            f"{result.unresolved_elsewhere} earlier layer step(s) without outcome concern "
            "other resources; the run that touches them settles them",
            highlight=False,
        )
    if result.interrupted:
        code = EXIT_INTERRUPTED
        done = "the batch was rolled back; " if rolled_back else ""
        err.print(f"interrupted: {done}what was done is in the audit log", highlight=False)
    elif result.error:
        code = EXIT_FAILED if result.changed else EXIT_ERROR
        after = " (after changes: see the audit log)" if result.changed else ""
        err.print(f"[bold red]error:[/] {escape(result.error)}{after}", soft_wrap=True)
    else:
        code = EXIT_FAILED if rolled_back else EXIT_OK
    if log is not None:
        log.append(
            {
                "record": "summary",
                "command": f"layer {command}",
                "target": target,
                "exit": code,
                "result": asdict(result),
            }
        )
    return code


def _outcome(status: str | None, applied: bool) -> str:
    return (status or "not attempted") if applied else ""


def run_usage(request: UsageRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.console import print_rows

    ops = _operations(request.aws, err)
    rows = [r.as_dict() for r in ops.usage(request.layer)]
    columns = ("layer", "version", "function", "runtime", "memory", "architectures")
    print_rows(rows, columns, request.format, out, title="layer usage")
    return EXIT_OK


def run_prune(request: PruneRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.acting.production import policy_for, refuse_production_account
    from guardrails.tooling.console import print_rows

    changing = request.changing
    policy = policy_for(request.program_dir)
    audit = _audit_log(changing)
    ops = _operations(changing.aws, err, changing.timeout)
    if changing.apply and policy.accounts:
        # the layer's account, from the plan's version ARNs (a read, no change)
        planned = ops.prune(request.layer, request.keep, force=request.force, apply=False)
        arns = [p.arn for p in planned.plan]
        account = arns[0].split(":")[4] if arns and arns[0].count(":") >= 6 else None
        refuse_production_account(policy, account, f"layer {request.layer}", request.allow_prod)
    pruned = ops.prune(
        request.layer, request.keep, force=request.force, apply=changing.apply, log=audit
    )
    rows = [
        {**asdict(p), "outcome": _outcome(p.outcome, p.action == "delete" and changing.apply)}
        for p in pruned.plan
    ]
    columns: tuple[str, ...] = ("version", "action", "used_by", "created", "arn")
    columns += ("outcome",) if changing.apply else ()
    title = f"prune {request.layer}: {_mode(changing)}"
    print_rows(rows, columns, changing.format, out, title=title, wrap=("used_by",))
    return _finish(pruned, "prune", audit, err, request.layer)


def run_share(request: ShareRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.acting.production import policy_for, refuse_production_account
    from guardrails.tooling.console import print_rows

    changing = request.changing
    parts = request.layer_arn.split(":")
    refuse_production_account(
        policy_for(request.program_dir),
        parts[4] if len(parts) > 4 else None,
        f"layer {request.layer_arn}",
        request.allow_prod,
    )
    audit = _audit_log(changing)
    ops = _operations(changing.aws, err, changing.timeout)
    if request.grant:
        shared = ops.share(
            request.layer_arn,
            list(request.principals),
            organization_id=request.organization_id,
            public=request.public,
            apply=changing.apply,
            log=audit,
        )
    else:
        shared = ops.unshare(
            request.layer_arn,
            list(request.principals),
            organization_id=request.organization_id,
            apply=changing.apply,
            log=audit,
        )
    command = "share" if request.grant else "unshare"
    rows = [
        {
            **asdict(p),
            "outcome": _outcome(p.outcome, p.action in ("add", "remove") and changing.apply),
        }
        for p in shared.plan
    ]
    columns: tuple[str, ...] = ("principal", "organization_id", "statement_id", "action")
    columns += ("outcome",) if changing.apply else ()
    print_rows(rows, columns, changing.format, out, title=f"{command}: {_mode(changing)}")
    return _finish(shared, command, audit, err, request.layer_arn)


def run_rollout(request: RolloutRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.acting.production import policy_for

    changing = request.changing
    policy = policy_for(request.program_dir)
    audit = _audit_log(changing)
    ops = _operations(changing.aws, err, changing.timeout)
    result = ops.rollout(
        request.layer_arn,
        list(request.functions),
        percent=request.percent,
        alarm=request.alarm,
        bake_seconds=request.bake_seconds,
        apply=changing.apply,
        log=audit,
        policy=policy,
        allow_prod=request.allow_prod,
    )
    if changing.format == "json":
        out.file.write(json.dumps(asdict(result), indent=2, sort_keys=True) + "\n")
    else:
        _render_rollout(result, changing, out)
    return _finish(result, "rollout", audit, err, request.layer_arn, rolled_back=result.rolled_back)


def _render_rollout(result: Any, changing: Changing, out: Console) -> None:
    from guardrails.tooling.console import print_rows

    columns = ("function", "before", "after") + (("state",) if changing.apply else ())
    if result.recovered:
        rows = [
            {"function": c.function, "before": c.after, "after": c.before, "state": c.phase}
            for c in result.recovered
        ]
        verb = "rolled back" if changing.apply else "would be rolled back"
        print_rows(
            rows, columns, "table", out, title=f"unfinished batch {verb} first (its own version)"
        )
    rows = [
        {"function": c.function, "before": c.before, "after": c.after, "state": c.phase}
        for c in result.batch
    ]
    if result.interrupted:
        status = "INTERRUPTED, rolled back" if result.rolled_back else "INTERRUPTED"
    elif result.rolled_back:
        why = result.error or f"alarm {result.alarm} is {result.alarm_state}"
        status = f"ROLLED BACK: {why}"
    elif result.applied and result.error:
        status = f"FAILED: {result.error}"
    elif result.applied:
        status = f"done, alarm {result.alarm} is {result.alarm_state}"
    else:
        status = _mode(changing)
    kind = "resumed batch" if result.resumed else "rollout batch"
    print_rows(rows, columns, "table", out, title=f"{kind} {result.batch_id}: {status}")
    out.print(
        f"already rolled out (promoted): {', '.join(result.already) or 'none'}; "
        f"still to roll out: {', '.join(result.pending_after) or 'none'}",
        highlight=False,
    )
    if result.stuck:
        out.print(f"NOT restored, still on the version: {', '.join(result.stuck)}", highlight=False)


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
