"""The guardrails policy pack, served as the Pulumi engine expects.

Run by `pulumi preview --policy-pack policies`, and by `guardrails check`, which starts it
the same way: `python policies/__main__.py` prints a port and serves Pulumi's analyzer
gRPC protocol until it is stopped. Building `PolicyPack` blocks forever, so it happens only
here; the policies themselves live in importable modules.
"""

import gc

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.catalog import PACK_NAME
from policies.crossguard import decode_each_request_once, policies

decode_each_request_once()
# A request becomes many Python objects that live until its response. With the default
# thresholds the cyclic collector walks that growing heap again and again: AnalyzeStack on
# 5,000 resources took 2.2 s, 1.2 s with start-up objects frozen out of collection and
# collections made rarer (docs/benchmarks.md). Cycles are still collected, less often.
gc.freeze()
gc.set_threshold(50_000, 20, 100)
PolicyPack(
    name=PACK_NAME,
    policies=policies(),
    enforcement_level=EnforcementLevel.ADVISORY,
    description="guardrails: tagging, security and cost rules for OCI and AWS",
)
