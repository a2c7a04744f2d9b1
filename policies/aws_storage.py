"""Storage rules for AWS: every S3 bucket is covered by a public access block with all four
settings on (the bucket's own `BucketPublicAccessBlock`, or the account's)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policies.model import Resource, Rule

BUCKETS = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
BUCKET_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _off(block: Resource) -> list[str]:
    return [s for s in SETTINGS if block.get(s) is not True]


def _covers(block: Resource, bucket: Resource) -> bool:
    """The block names the bucket: it depends on the bucket (a reference, known after
    apply), or its `bucket` is the bucket's name."""
    names = {bucket.get("bucket"), bucket.name}
    return bucket.urn in block.dependencies or block.get("bucket") in names - {None}


def _buckets_blocked(
    resources: Sequence[Resource], _: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    if any(r.type == ACCOUNT_BLOCK and not _off(r) for r in resources):
        return  # the account blocks public access for every bucket
    blocks = [r for r in resources if r.type == BUCKET_BLOCK]
    for bucket in resources:
        if bucket.type not in BUCKETS:
            continue
        mine = [b for b in blocks if _covers(b, bucket)]
        if not mine:
            yield (
                bucket.urn,
                f"bucket {bucket.name} has no public access block; add an "
                "s3.BucketPublicAccessBlock for it with blockPublicAcls, blockPublicPolicy, "
                "ignorePublicAcls and restrictPublicBuckets set to true",
            )
        elif all(_off(b) for b in mine):
            off = ", ".join(_off(mine[0]))
            yield (
                bucket.urn,
                f"bucket {bucket.name}'s public access block leaves {off} off; set all four "
                "settings to true",
            )


RULES = (
    Rule(
        id="aws-s3-bucket-public-access-block",
        description="Every S3 bucket has a public access block with all four settings true "
        "(or the account blocks public access).",
        severity="high",
        enforcement="mandatory",
        check_stack=_buckets_blocked,
        frameworks=("CIS AWS 2.1.4",),
        checkov_ids=("CKV2_AWS_6",),
    ),
)
