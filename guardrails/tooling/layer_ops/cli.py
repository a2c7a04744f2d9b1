"""`guardrails layer ...`: build, usage, prune, share, unshare and rollout.

Changing commands (prune, share, unshare, rollout) are dry runs unless given `--apply`, and
print what they would do (or did) as a table, or as JSON with `--format json`.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.layer_builder.spec import (
    ARCHITECTURES,
    BYTECODE_MODES,
    RUNTIMES,
    STRIP_OPTIONS,
    LayerSpec,
    LayerSpecError,
    parse_requirements,
    pip_index_options,
    read_requirements,
)
from guardrails.tooling.acting.audit_trail import AuditLog, audit_path
from guardrails.tooling.cli_support import (
    EXIT_ERROR,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_command,
)
from guardrails.tooling.textfiles import check_output_path


def _comma_list(value: str) -> frozenset[str]:
    return frozenset(v.strip() for v in value.split(",") if v.strip())


def _add_aws(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", default=None, help="AWS region (default: from the profile)")
    parser.add_argument("--profile", default=None, help="AWS profile (default: the default)")
    parser.add_argument("--endpoint-url", default=None, help="AWS endpoint, e.g. a local emulator")
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds the run may spend waiting on AWS: calls, retries and function updates "
        "(not the bake)",
    )


def _add_apply(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--apply", action="store_true", help="make the change (default: dry run, print the plan)"
    )
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output")
    parser.add_argument(
        "--audit-log",
        type=Path,
        default=None,
        help="JSON-lines audit trail of applied changes (default: $GUARDRAILS_AUDIT_LOG or "
        "~/.guardrails/audit.jsonl)",
    )


def add_layer_parser(sub: Any) -> None:
    layer = add_command(
        sub,
        "layer",
        help="build and operate AWS Lambda layers",
        description="Build deterministic, checked Lambda layer zips, and see, prune, share and "
        "roll out layer versions (changing commands are dry runs until --apply).",
        failed="a rollout was rolled back (its alarm fired)",
    )
    layer.set_defaults(run=run_layer)
    commands = layer.add_subparsers(dest="layer_command", required=True, metavar="COMMAND")

    build = add_command(
        commands,
        "build",
        help="build a deterministic, checked layer zip",
        description="Resolve pinned requirements for a Lambda runtime and architecture, "
        "install wheels only, strip (opt-in), compile bytecode, check size limits and "
        "credentials, and write a deterministic zip (cached by content).",
    )
    build.add_argument("packages", nargs="*", help="pinned requirements, e.g. requests==2.32.3")
    build.add_argument("--requirements", "-r", type=Path, help="a pinned requirements file")
    build.add_argument("--runtime", required=True, help=f"one of {', '.join(RUNTIMES)}")
    build.add_argument(
        "--architecture", default="x86_64", help=f"one of {', '.join(ARCHITECTURES)}"
    )
    build.add_argument(
        "--strip",
        type=_comma_list,
        default=frozenset(),
        help="comma-separated, opt-in: " + "; ".join(f"{k}: {v}" for k, v in STRIP_OPTIONS.items()),
    )
    build.add_argument(
        "--bytecode", default="checked-hash", help=f"one of {', '.join(BYTECODE_MODES)}"
    )
    build.add_argument(
        "--python", default=None, help="interpreter of the runtime's version (default: found)"
    )
    build.add_argument(
        "--allow-unpinned", action="store_true", help="accept requirements without ==version"
    )
    build.add_argument(
        "--allow-secret",
        action="append",
        default=[],
        metavar="GLOB",
        help="accept credential findings under this path glob (e.g. a package's test keys)",
    )
    build.add_argument(
        "--output", "-o", type=Path, default=None, help="zip path (default: under ./dist)"
    )
    build.add_argument(
        "--cache-dir", type=Path, default=None, help="build cache (default: the user cache)"
    )
    build.add_argument("--no-cache", action="store_true", help="build without the cache")
    build.add_argument("--index-url", default=None, help="package index (default: pip's)")
    build.add_argument(
        "--find-links", action="append", default=[], help="a local wheel folder (repeatable)"
    )
    build.add_argument("--no-index", action="store_true", help="use --find-links only")
    build.add_argument("--format", choices=("table", "json"), default="table", help="report")

    usage = add_command(commands, "usage", help="which functions use which layer versions")
    usage.add_argument("--layer", default=None, help="only this layer (name or ARN)")
    usage.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output")
    _add_aws(usage)

    prune = add_command(commands, "prune", help="delete old layer versions (dry run by default)")
    prune.add_argument("--layer", required=True, help="layer name or ARN")
    prune.add_argument("--keep", type=int, required=True, help="newest versions to keep")
    prune.add_argument(
        "--force", action="store_true", help="also delete versions functions still use"
    )
    _add_apply(prune)
    _add_aws(prune)

    for verb, text in (("share", "grant"), ("unshare", "revoke")):
        command = add_command(commands, verb, help=f"{text} use of a layer version")
        command.add_argument("--layer-arn", required=True, help="layer version ARN")
        command.add_argument(
            "--principal",
            action="append",
            default=[],
            help="12-digit account id, account root ARN, or '*' (with --organization-id)",
        )
        command.add_argument(
            "--organization-id", default=None, help="AWS Organizations id (o-...) for '*'"
        )
        if verb == "share":
            command.add_argument(
                "--public",
                action="store_true",
                help="allow principal '*' without an organization: every AWS account",
            )
        _add_apply(command)
        _add_aws(command)

    rollout = add_command(
        commands,
        "rollout",
        help="move a batch of functions to a layer version, roll back on alarm",
        failed="the batch was rolled back (the alarm fired)",
    )
    rollout.add_argument("--layer-arn", required=True, help="layer version ARN to roll out")
    rollout.add_argument("--functions", nargs="+", required=True, help="function names")
    rollout.add_argument(
        "--percent", type=float, required=True, help="share of --functions in this batch"
    )
    rollout.add_argument("--alarm", required=True, help="CloudWatch alarm that guards the batch")
    rollout.add_argument(
        "--bake-seconds", type=float, default=300, help="wait before reading the alarm (>= 0)"
    )
    _add_apply(rollout)
    _add_aws(rollout)


def _check_rollout(args: argparse.Namespace) -> None:
    """Refuse numbers that would skip the alarm guard, before any AWS call."""
    from guardrails.tooling.layer_ops.rollout import check_bake_seconds

    check_bake_seconds(args.bake_seconds)
    if not math.isfinite(args.percent) or not 0 < args.percent <= 100:
        raise GuardrailsError(f"--percent must be > 0 and <= 100 (got {args.percent})")


def _spec(args: argparse.Namespace) -> LayerSpec:
    if args.requirements and args.packages:
        raise LayerSpecError(
            "give requirements as a file (--requirements) or as arguments, not both"
        )
    if args.requirements:
        requirements = read_requirements(args.requirements, allow_unpinned=args.allow_unpinned)
    else:
        requirements = parse_requirements(
            args.packages, where="arguments", allow_unpinned=args.allow_unpinned
        )
    return LayerSpec(
        requirements=requirements,
        runtime=args.runtime,
        architecture=args.architecture,
        strip=args.strip,
        bytecode=args.bytecode,
        allow_secrets=tuple(args.allow_secret),
    )


def _build(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.runtime.layer_builder.build import build_layer, default_output
    from guardrails.tooling.console import RichProgress
    from guardrails.tooling.layer_ops.console import render_build

    if args.output is not None:
        check_output_path(args.output, "layer zip", create_parents=True)
    spec = _spec(args)
    output = args.output or default_output(f"{spec.requirements.names[0]}-{spec.runtime}")
    with RichProgress(err) as progress:
        result = build_layer(
            spec,
            output,
            cache_dir=args.cache_dir,
            use_cache=not args.no_cache,
            index_options=pip_index_options(
                args.index_url, args.find_links, no_index=args.no_index
            ),
            interpreter=args.python,
            progress=progress,
        )
    if args.format == "json":
        out.file.write(json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n")
    else:
        render_build(result, out)
    return EXIT_OK


def _operations(args: argparse.Namespace, err: Console) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    from guardrails.tooling.console import countdown
    from guardrails.tooling.layer_ops.ops import LayerOperations, LayerOpsError

    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        kwargs = {"endpoint_url": args.endpoint_url} if args.endpoint_url else {}
        clients = (session.client("lambda", **kwargs), session.client("cloudwatch", **kwargs))
    except BotoCoreError as exc:
        raise LayerOpsError(f"AWS client setup failed: {exc}") from exc
    return LayerOperations(
        *clients, sleep=countdown(err), say=lambda line: err.print(line, highlight=False)
    )


def _mode(args: argparse.Namespace) -> str:
    return "applied" if args.apply else "dry run: nothing changed; add --apply to do this"


def _audit_log(args: argparse.Namespace) -> AuditLog | None:
    """The audit trail an applied change is written to, checked before anything changes."""
    if not getattr(args, "apply", False):
        return None
    log = AuditLog(audit_path(args.audit_log))
    log.check_writable()
    return log


def _finish(
    result: Any,
    args: argparse.Namespace,
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
    from dataclasses import asdict

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
                "command": f"layer {args.layer_command}",
                "target": target,
                "exit": code,
                "result": asdict(result),
            }
        )
    return code


def _outcome(status: str | None, applied: bool) -> str:
    return (status or "not attempted") if applied else ""


def run_layer(args: argparse.Namespace, out: Console, err: Console) -> int:
    from dataclasses import asdict

    from guardrails.tooling.console import print_rows

    command = args.layer_command
    if command == "build":
        return _build(args, out, err)
    if command == "rollout":
        _check_rollout(args)
    if not math.isfinite(args.timeout) or args.timeout <= 0:
        raise GuardrailsError(f"--timeout must be a number of seconds > 0 (got {args.timeout})")
    audit = _audit_log(args)
    ops = _operations(args, err)
    if command == "usage":
        rows = [r.as_dict() for r in ops.usage(args.layer)]
        columns: tuple[str, ...] = ("layer", "version", "function", "runtime", "memory")
        columns += ("architectures",)
        print_rows(rows, columns, args.format, out, title="layer usage")
        return EXIT_OK
    if command == "prune":
        pruned = ops.prune(args.layer, args.keep, force=args.force, apply=args.apply, log=audit)
        rows = [
            {**asdict(p), "outcome": _outcome(p.outcome, p.action == "delete" and args.apply)}
            for p in pruned.plan
        ]
        columns = ("version", "action", "used_by", "created", "arn")
        columns += ("outcome",) if args.apply else ()
        print_rows(rows, columns, args.format, out, title=f"prune {args.layer}: {_mode(args)}")
        return _finish(pruned, args, audit, err, args.layer)
    if command in ("share", "unshare"):
        if command == "share":
            shared = ops.share(
                args.layer_arn,
                args.principal,
                organization_id=args.organization_id,
                public=args.public,
                apply=args.apply,
                log=audit,
            )
        else:
            shared = ops.unshare(
                args.layer_arn,
                args.principal,
                organization_id=args.organization_id,
                apply=args.apply,
                log=audit,
            )
        changing = ("add", "remove")
        rows = [
            {**asdict(p), "outcome": _outcome(p.outcome, p.action in changing and args.apply)}
            for p in shared.plan
        ]
        columns = ("principal", "organization_id", "statement_id", "action")
        columns += ("outcome",) if args.apply else ()
        print_rows(rows, columns, args.format, out, title=f"{command}: {_mode(args)}")
        return _finish(shared, args, audit, err, args.layer_arn)
    result = ops.rollout(
        args.layer_arn,
        args.functions,
        percent=args.percent,
        alarm=args.alarm,
        bake_seconds=args.bake_seconds,
        apply=args.apply,
        log=audit,
    )
    if args.format == "json":
        out.file.write(json.dumps(asdict(result), indent=2, sort_keys=True) + "\n")
    else:
        _render_rollout(result, args, out)
    return _finish(result, args, audit, err, args.layer_arn, rolled_back=result.rolled_back)


def _render_rollout(result: Any, args: argparse.Namespace, out: Console) -> None:
    from guardrails.tooling.console import print_rows

    columns = ("function", "before", "after") + (("state",) if args.apply else ())
    if result.recovered:
        rows = [
            {"function": c.function, "before": c.after, "after": c.before, "state": c.phase}
            for c in result.recovered
        ]
        verb = "rolled back" if args.apply else "would be rolled back"
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
        status = _mode(args)
    kind = "resumed batch" if result.resumed else "rollout batch"
    print_rows(rows, columns, "table", out, title=f"{kind} {result.batch_id}: {status}")
    out.print(
        f"already rolled out (promoted): {', '.join(result.already) or 'none'}; "
        f"still to roll out: {', '.join(result.pending_after) or 'none'}",
        highlight=False,
    )
    if result.stuck:
        out.print(f"NOT restored, still on the version: {', '.join(result.stuck)}", highlight=False)
