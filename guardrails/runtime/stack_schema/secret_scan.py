"""The plain-text secret scan of a stack's config: a credential must be a Pulumi secret.

A top-level key that holds a credential (`SECRET_KEYS`) must be set with `pulumi config set
--secret`; any value that looks like a credential (`guardrails.runtime.secrets`), and any
password-, token- or webhook-like key that is not a secret or an OCI Vault OCID, is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from guardrails.runtime.secrets import SECRET_VALUES
from guardrails.runtime.validation import is_ocid

# Keys that hold credentials and must come from `pulumi config set --secret`.
SECRET_KEYS = ("adbAdminPassword", "slackWebhookUrl", "pagerDutyUrl")

_SECRET_NAME = re.compile(r"(password|passwd|secret|token|api_?key|private_?key|webhook)", re.I)


def plain_secret_problems(key: str, value: Any, secret: bool, path: str) -> list[str]:
    """Key paths that hold what looks like a credential in plain text."""
    problems: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            problems += plain_secret_problems(str(k), v, secret, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            problems += plain_secret_problems(key, v, secret, f"{path}[{i}]")
    elif isinstance(value, str) and value and not secret:
        for pattern, what in SECRET_VALUES:
            if pattern.search(value):
                return [f"{path}: holds {what} in plain text; use `pulumi config set --secret`"]
        if _SECRET_NAME.search(key) and not is_ocid(value):
            problems.append(
                f"{path}: looks like a secret but is stored in plain text; "
                "use `pulumi config set --secret` or an OCI Vault secret OCID"
            )
    return problems
