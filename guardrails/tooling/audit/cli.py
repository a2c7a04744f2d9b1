"""`guardrails audit`: the catalog on a live OCI tenancy or AWS account. This module reads
the command line into an `AuditRequest` (refusing options that do not apply to the cloud);
`audit/command.py` runs it. Registering the command imports nothing heavy."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli_options import add_oci_access_options, oci_access
from guardrails.tooling.cli_support import add_command, number, seconds
from guardrails.tooling.gate.cli import add_report_outputs, report_targets

FORMATS = ("text", "json", "sarif", "markdown")
_REGION = r"^[a-z]{2}(-[a-z]+)+-\d+$"


def add_audit_command(sub: Any) -> None:
    audit = add_command(
        sub,
        "audit",
        help="the policy catalog on what an OCI tenancy or AWS account really holds",
        description="Read the live resources of the types the catalog has rules for (read-only "
        "list and get calls), judge them with the whole catalog through the policy pack as "
        "`guardrails check` does, and report. With --stack, also compare what the stack "
        "declares with what the account holds.",
        example=[
            "guardrails audit --cloud oci --compartment ocid1.compartment.oc1..aaaa --format json "
            "--output audit.json",
            "guardrails audit --cloud aws --region eu-west-1 --region us-east-1 "
            "--output-markdown audit.md",
            "guardrails audit --cloud oci --stack prod --output-sarif audit.sarif",
        ],
        ok="nothing mandatory found, everything read",
        failed="at least one unsuppressed mandatory violation",
    )
    audit.add_argument("--cloud", choices=("oci", "aws"), required=True, help="which cloud")
    audit.add_argument(
        "--compartment",
        action="append",
        default=None,
        metavar="OCID",
        help="OCI: audit this compartment and all under it (repeatable; default: the tenancy)",
    )
    audit.add_argument(
        "--region",
        action="append",
        default=None,
        metavar="REGION",
        help="region to read (repeatable; default: the profile's region)",
    )
    audit.add_argument(
        "--stack",
        default=None,
        help="also compare the stack's declared resources with the account (the program is "
        "run offline, as `guardrails preview`)",
    )
    audit.add_argument(
        "--program",
        type=Path,
        default=None,
        help="Pulumi program folder for --stack (default: found from here up, as pulumi does)",
    )
    audit.add_argument(
        "--policy-config",
        type=Path,
        default=None,
        help="Pulumi --policy-pack-config JSON file (default: guardrails-policy-config.json "
        "in the working folder, else the catalog's levels)",
    )
    audit.add_argument(
        "--suppressions",
        type=Path,
        default=None,
        help="suppression ledger (default: guardrails-suppressions.yaml in the working folder)",
    )
    audit.add_argument("--format", choices=FORMATS, default="text", help="report format")
    audit.add_argument(
        "--output", "-o", type=Path, default=None, help="write the --format report to this file"
    )
    add_report_outputs(audit, FORMATS)
    audit.add_argument(
        "--timeout",
        type=seconds(maximum=86400),
        default=600.0,
        help="time for all API calls, retries included; past it the audit stops (exit 2)",
    )
    audit.add_argument(
        "--workers",
        type=number(minimum=1, maximum=64),
        default=8,
        help="API reads in flight at once",
    )
    audit.add_argument(
        "--baseline",
        type=Path,
        default=None,
        metavar="FILE",
        help="an earlier audit's JSON report: say which findings are new and which resolved",
    )
    audit.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="exit 0 even when some reads were refused (they are still reported)",
    )
    add_oci_access_options(audit)
    aws = audit.add_argument_group("AWS access")
    aws.add_argument("--aws-profile", default=None, help="AWS profile (default: boto3's)")
    audit.set_defaults(run=_run)


def audit_request(args: argparse.Namespace) -> Any:
    """The request `args` describe; GuardrailsError for options that do not apply."""
    import re

    from guardrails.tooling.audit.command import AuditRequest
    from guardrails.tooling.cli_options import AwsAccess

    regions = tuple(args.region or ())
    for region in regions:
        if not re.match(_REGION, region):
            raise GuardrailsError(f"--region {region!r}: not a region name (e.g. eu-west-1)")
    if args.cloud == "aws":
        oci_given = [
            flag
            for flag, value in (
                ("--compartment", args.compartment),
                ("--profile", args.profile),
                ("--oci-config", args.oci_config),
            )
            if value
        ]
        if oci_given:
            raise GuardrailsError(f"--cloud aws: {', '.join(oci_given)} applies to OCI")
        if not regions:
            regions = (_aws_default_region(args.aws_profile),)
    elif args.aws_profile:
        raise GuardrailsError("--cloud oci: --aws-profile applies to AWS")
    if args.program is not None and args.stack is None:
        raise GuardrailsError("--program names the program of --stack; give --stack too")
    return AuditRequest(
        cloud=args.cloud,
        reports=report_targets(args, FORMATS),
        compartments=tuple(args.compartment or ()),
        regions=regions,
        stack=args.stack,
        program=args.program,
        policy_config=args.policy_config,
        suppressions=args.suppressions,
        oci=oci_access(args),
        aws=AwsAccess(args.aws_profile, regions[0] if regions else None, args.endpoint_url),
        timeout=args.timeout,
        workers=int(args.workers),
        allow_incomplete=args.allow_incomplete,
        baseline=args.baseline,
    )


def _aws_default_region(profile: str | None) -> str:
    import boto3

    try:
        region = boto3.session.Session(profile_name=profile).region_name
    except Exception as exc:  # botocore's ProfileNotFound and kin
        raise GuardrailsError(f"AWS profile {profile!r}: {exc}") from None
    if not region:
        raise GuardrailsError(
            "--cloud aws: no region given and the AWS profile has none; pass --region"
        )
    return str(region)


def _run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.audit.command import run_audit

    return run_audit(audit_request(args), out, err)
