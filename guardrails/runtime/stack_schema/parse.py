"""Read and validate a stack's `guardrails:*` config: the secret scan first, then the models."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from guardrails.runtime.stack_schema.models import StackConfig
from guardrails.runtime.stack_schema.problems import (
    NAMESPACE,
    Locate,
    StackConfigError,
    validation_problems,
)
from guardrails.runtime.stack_schema.secret_scan import SECRET_KEYS, plain_secret_problems


def runtime_config() -> tuple[dict[str, str], set[str]]:
    """The config map and secret keys the Pulumi runtime handed to this program."""
    from pulumi.runtime import config as runtime

    raw = {**runtime.get_config_env(), **runtime.CONFIG.get()}
    env_secrets = set(runtime.get_config_secret_keys_env())
    return raw, {k for k in raw if k in env_secrets or runtime.is_config_secret(k)}


def parse_stack_config(
    raw: Mapping[str, str],
    secret_keys: set[str],
    locate: Locate | None = None,
    source: str | None = None,
) -> StackConfig:
    """Validate a stack's `guardrails:*` config (values as the runtime passes them: strings,
    JSON for objects). Raise StackConfigError listing every problem with its key path (and,
    where `locate` knows, its place in `source`, the stack file).
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    prefix = f"{NAMESPACE}:"
    for qualified, text in sorted(raw.items()):
        if not qualified.startswith(prefix):
            continue
        key = qualified[len(prefix) :]
        try:
            value = json.loads(text) if text[:1] in "[{" else text
        except json.JSONDecodeError as exc:
            problems.append(f"{qualified}: is not valid JSON ({exc.msg})")
            continue
        is_secret = qualified in secret_keys
        if key in SECRET_KEYS and not is_secret:
            problems.append(f"{qualified}: must be set with `pulumi config set --secret`")
        problems += plain_secret_problems(key, value, is_secret, qualified)
        values[key] = value
    if not problems:
        try:
            return StackConfig.model_validate(values)
        except ValidationError as exc:
            problems += validation_problems(exc, locate)
    raise StackConfigError(sorted(problems), source)
