"""The guardrails policy pack, served as the Pulumi engine expects.

Run by `pulumi preview --policy-pack policies`, and by `guardrails check`, which starts it
the same way: `python policies/__main__.py` prints a port and serves Pulumi's analyzer
gRPC protocol until it is stopped. Building `PolicyPack` blocks forever, so it happens only
here; the policies themselves live in importable modules.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.catalog import PACK_NAME
from policies.crossguard import decode_each_request_once, policies

decode_each_request_once()
PolicyPack(
    name=PACK_NAME,
    policies=policies(),
    enforcement_level=EnforcementLevel.ADVISORY,
    description="guardrails: tagging, security and cost rules for OCI and AWS",
)
