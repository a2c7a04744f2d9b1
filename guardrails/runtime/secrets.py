"""Patterns that identify credentials, shared by every place that refuses them.

The stack config check (`guardrails.runtime.stack_schema`) matches them against config values;
the layer content scan (`guardrails.runtime.layer_builder.scan`) matches them against the bytes
of every file that would be published. One list, so a pattern added for one is enforced by both.
"""

from __future__ import annotations

import re

# (regular expression, what a match is) for credentials recognisable by their value.
SECRET_VALUE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"hooks\.slack\.com/services/", "a Slack webhook URL"),
    (r"events\.pagerduty\.com/integration/", "a PagerDuty integration URL"),
    (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", "an AWS access key id"),
    (r"-----BEGIN [A-Z ]*PRIVATE KEY-----", "a private key"),
    (
        r"(?i)aws_secret_access_key\s*[=:]\s*[\"']?[A-Za-z0-9/+]{40}\b",
        "an AWS secret access key",
    ),
)

SECRET_VALUES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), what) for pattern, what in SECRET_VALUE_PATTERNS
)
