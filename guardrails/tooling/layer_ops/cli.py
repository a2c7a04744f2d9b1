"""`guardrails layer ...`: build, usage, prune, share, unshare and rollout.

Changing commands (prune, share, unshare, rollout) are dry runs unless given `--apply`, and
print what they would do (or did) as a table, or as JSON with `--format json`. This module
reads the command line into typed requests (`layer_ops/commands.py` runs them); registering it
imports nothing heavy.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from rich.console import Console

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.layer_builder.spec import (
    ARCHITECTURES,
    BYTECODE_MODES,
    RUNTIMES,
    STRIP_OPTIONS,
)
from guardrails.tooling.acting.retry import DEFAULT_TIMEOUT_SECONDS
from guardrails.tooling.cli_options import add_aws_access_options, aws_access
from guardrails.tooling.cli_support import add_command, seconds


def _comma_list(value: str) -> frozenset[str]:
    return frozenset(v.strip() for v in value.split(",") if v.strip())


def _add_aws(parser: argparse.ArgumentParser) -> None:
    add_aws_access_options(parser)


def _add_apply(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--apply", action="store_true", help="make the change (default: dry run, print the plan)"
    )
    parser.add_argument(
        "--timeout",
        type=seconds(maximum=86_400),
        default=DEFAULT_TIMEOUT_SECONDS,
        help="seconds the run may spend waiting on AWS: calls, retries and function updates "
        "(not the bake)",
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
        example=[
            "guardrails layer build requests==2.32.3 --runtime python3.12",
            "guardrails layer usage --aws-region eu-west-1",
        ],
        failed="a rollout was rolled back (its alarm fired)",
    )
    layer.set_defaults(run=_run)
    commands = layer.add_subparsers(dest="layer_command", required=True, metavar="COMMAND")

    build = add_command(
        commands,
        "build",
        help="build a deterministic, checked layer zip",
        description="Resolve pinned requirements for a Lambda runtime and architecture, "
        "install wheels only, strip (opt-in), compile bytecode, check size limits and "
        "credentials, and write a deterministic zip (cached by content).",
        example=[
            "guardrails layer build requests==2.32.3 --runtime python3.12 -o dist/requests.zip",
            "guardrails layer build -r requirements.txt --runtime python3.12 --strip tests,docs",
        ],
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
        "--output",
        "-o",
        type=Path,
        default=None,
        help="zip path; its folder must exist (default: ./dist/<first package>-<runtime>.zip)",
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

    usage = add_command(
        commands,
        "usage",
        help="which functions use which layer versions",
        example="guardrails layer usage --layer deps --format csv",
    )
    usage.add_argument("--layer", default=None, help="only this layer (name or ARN)")
    usage.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output")
    _add_aws(usage)

    prune = add_command(
        commands,
        "prune",
        help="delete old layer versions (dry run by default)",
        example="guardrails layer prune --layer deps --keep 3 --apply",
    )
    prune.add_argument("--layer", required=True, help="layer name or ARN")
    prune.add_argument("--keep", type=int, required=True, help="newest versions to keep")
    prune.add_argument(
        "--force", action="store_true", help="also delete versions functions still use"
    )
    _add_production(prune, allow=True)
    _add_apply(prune)
    _add_aws(prune)

    for verb, text in (("share", "grant"), ("unshare", "revoke")):
        command = add_command(
            commands,
            verb,
            help=f"{text} use of a layer version",
            example=f"guardrails layer {verb} --layer-arn "
            "arn:aws:lambda:eu-west-1:123456789012:layer:deps:3 --principal 210987654321 --apply",
        )
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
        _add_production(command, allow=True)
        _add_apply(command)
        _add_aws(command)

    rollout = add_command(
        commands,
        "rollout",
        help="move a batch of functions to a layer version, roll back on alarm",
        example="guardrails layer rollout --layer-arn "
        "arn:aws:lambda:eu-west-1:123456789012:layer:deps:4 --functions f1 f2 f3 f4 "
        "--percent 25 --alarm deps-errors --apply",
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
    rollout.add_argument(
        "--allow-prod",
        action="store_true",
        help="allow changing production functions (environment tag production, none, or "
        "in a production account)",
    )
    _add_production(rollout)
    _add_apply(rollout)
    _add_aws(rollout)


def _add_production(parser: argparse.ArgumentParser, *, allow: bool = False) -> None:
    if allow:
        parser.add_argument(
            "--allow-prod",
            action="store_true",
            help="allow acting on a layer in a production account (guardrails-org.yaml)",
        )
    parser.add_argument(
        "--program",
        type=Path,
        default=Path("."),
        help="folder whose guardrails-org.yaml (and Pulumi project) say what is production",
    )


def _check_rollout(args: argparse.Namespace) -> None:
    """Refuse numbers that would skip the alarm guard, before any AWS call."""
    from guardrails.tooling.layer_ops.rollout import check_bake_seconds

    check_bake_seconds(args.bake_seconds)
    if not math.isfinite(args.percent) or not 0 < args.percent <= 100:
        raise GuardrailsError(f"--percent must be > 0 and <= 100 (got {args.percent})")


def _changing(args: argparse.Namespace) -> Any:
    from guardrails.tooling.layer_ops.commands import Changing

    return Changing(aws_access(args), args.apply, args.format, args.audit_log, args.timeout)


def layer_request(args: argparse.Namespace) -> Any:
    """The typed request of a `layer` command line (numbers checked before any AWS call)."""
    from guardrails.tooling.layer_ops import commands

    command = args.layer_command
    if command == "build":
        return commands.BuildRequest(
            runtime=args.runtime,
            packages=tuple(args.packages),
            requirements=args.requirements,
            architecture=args.architecture,
            strip=args.strip,
            bytecode=args.bytecode,
            python=args.python,
            allow_unpinned=args.allow_unpinned,
            allow_secrets=tuple(args.allow_secret),
            output=args.output,
            cache_dir=args.cache_dir,
            use_cache=not args.no_cache,
            index_url=args.index_url,
            find_links=tuple(args.find_links),
            no_index=args.no_index,
            format=args.format,
        )
    if command == "usage":
        return commands.UsageRequest(aws_access(args), args.layer, args.format)
    if command == "prune":
        return commands.PruneRequest(
            args.layer,
            args.keep,
            args.force,
            _changing(args),
            allow_prod=args.allow_prod,
            program_dir=args.program,
        )
    if command in ("share", "unshare"):
        return commands.ShareRequest(
            args.layer_arn,
            grant=command == "share",
            principals=tuple(args.principal),
            organization_id=args.organization_id,
            public=getattr(args, "public", False),
            changing=_changing(args),
            allow_prod=args.allow_prod,
            program_dir=args.program,
        )
    _check_rollout(args)
    return commands.RolloutRequest(
        args.layer_arn,
        tuple(args.functions),
        args.percent,
        args.alarm,
        args.bake_seconds,
        _changing(args),
        allow_prod=args.allow_prod,
        program_dir=args.program,
    )


def _run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.layer_ops.commands import run_layer

    return run_layer(layer_request(args), out, err)
