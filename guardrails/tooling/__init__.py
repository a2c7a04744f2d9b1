"""The tooling layer: the ``guardrails`` command and everything it runs around a program.

Capture, preview, the policy gate, reports, the checkov bridge and Lambda layer operations.
It imports the runtime layer (``guardrails.runtime``, ``components``, ``policies``), never
the other way round.
"""
