"""Options several command groups share, with one name each across the whole command line.

    OCI access (cost report|enforce|unfreeze, fleet *):
        --profile NAME  --oci-config FILE  --auth api_key|instance_principal|resource_principal
        --endpoint-url URL
    AWS access (layer usage|prune|share|unshare|rollout, cost enforce):
        --aws-profile NAME  --aws-region REGION  --aws-endpoint-url URL

The fleet commands' earlier names (`--config-file`, `--endpoint`, `--instance-principal`)
still work as hidden aliases that warn. The layer commands' earlier `--profile`, `--region`
and `--endpoint-url` do not: those names mean OCI's profile, region and endpoint everywhere
else, and an alias would give one name two meanings. Registering these options imports
nothing heavy.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from guardrails.tooling.cli_support import deprecated_alias
from guardrails.tooling.oci_auth import AUTH_METHODS, OciAuth


def add_oci_access_options(parser: argparse.ArgumentParser, *, aliases: bool = False) -> None:
    """The OCI access group; `aliases`: also the fleet commands' earlier option names."""
    group = parser.add_argument_group("OCI access")
    group.add_argument(
        "--profile", default=None, help="profile of the OCI config file (default: DEFAULT)"
    )
    group.add_argument(
        "--oci-config", type=Path, default=None, help="OCI config file (default: ~/.oci/config)"
    )
    group.add_argument(
        "--auth", choices=AUTH_METHODS, default="api_key", help="how to authenticate to OCI"
    )
    group.add_argument(
        "--endpoint-url",
        default=None,
        help="the cloud's service endpoint, e.g. a local emulator (default: the region's)",
    )
    if aliases:
        deprecated_alias(parser, "--config-file", "--oci-config", dest="oci_config", type=Path)
        deprecated_alias(parser, "--endpoint", "--endpoint-url", dest="endpoint_url")
        deprecated_alias(
            parser,
            "--instance-principal",
            "--auth instance_principal",
            dest="auth",
            nargs=0,
            const="instance_principal",
        )


def oci_access(args: argparse.Namespace) -> OciAuth:
    """How to authenticate to OCI, as the OCI access options read it."""
    return OciAuth(args.auth, args.profile, args.oci_config, args.endpoint_url)


@dataclass(frozen=True)
class AwsAccess:
    """How to reach AWS: a profile, a region and an endpoint (each None: boto3's defaults)."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


def add_aws_access_options(parser: argparse.ArgumentParser, title: str = "AWS access") -> None:
    """The AWS access group."""
    group = parser.add_argument_group(title)
    group.add_argument("--aws-profile", default=None, help="AWS profile (default: boto3's)")
    group.add_argument(
        "--aws-region", default=None, help="AWS region (default: the profile's region)"
    )
    group.add_argument(
        "--aws-endpoint-url", default=None, help="AWS endpoint, e.g. a local emulator"
    )


def aws_access(args: argparse.Namespace) -> AwsAccess:
    return AwsAccess(args.aws_profile, args.aws_region, args.aws_endpoint_url)
