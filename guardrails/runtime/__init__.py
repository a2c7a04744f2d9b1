"""The runtime layer: what runs inside ``pulumi up``.

Validation, limits, the stack config schema, the Lambda layer builder and the one door to
Pulumi SDK internals. Nothing here imports ``guardrails.tooling``; ``components`` and the
stack program build on it.
"""
