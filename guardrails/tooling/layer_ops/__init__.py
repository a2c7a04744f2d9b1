"""Lambda layer operations after deploy: usage, prune, share, unshare, rollout (boto3)."""
