"""The stacks' config schema: every bad input names its key path."""

from __future__ import annotations

import json

import pytest

from guardrails.runtime.stack_schema import StackConfigError, parse_stack_config
from guardrails.tooling.project import load_project, load_stack_settings
from tests.conftest import ROOT, STACKS


def _settings(stack: str = "dev") -> tuple[dict[str, str], set[str]]:
    settings = load_stack_settings(load_project(ROOT), stack)
    return dict(settings.config), set(settings.secret_keys)


def _with(
    changes: dict[str, object], stack: str = "dev", secret: set[str] | None = None
) -> tuple[dict[str, str], set[str]]:
    """The stack's config with `changes` applied: `key.path` -> value (None removes)."""
    config, secret_keys = _settings(stack)
    for path, value in changes.items():
        top, _, rest = path.partition(".")
        key = f"guardrails:{top}"
        if not rest:
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value if isinstance(value, str) else json.dumps(value)
            continue
        doc = json.loads(config[key])
        node = doc
        parts = rest.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if value is None:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
        config[key] = json.dumps(doc)
    if secret is not None:
        secret_keys = secret
    return config, secret_keys


@pytest.mark.parametrize("stack", STACKS)
def test_checked_in_stacks_are_valid(stack):
    cfg = parse_stack_config(*_settings(stack))
    assert cfg.environment == stack
    assert cfg.governance.costCenters == ["CC-101", "CC-202", "CC-303"]
    assert cfg.streams is not None and cfg.streams.streams["user-event-stream"].partitions == 4


BAD_CONFIG = [
    (
        {"databases.orders.computeCount": 1},
        "guardrails:databases.orders.computeCount: must be >= 2 (got 1)",
    ),
    (
        {"databases.orders.storageTbs": 500},
        "guardrails:databases.orders.storageTbs: must be <= 384 (got 500)",
    ),
    (
        {"databases.orders.licenseModel": None},
        "guardrails:databases.orders.licenseModel: is required",
    ),
    (
        {"databases.orders.licenseModel": "BYOL"},
        "guardrails:databases.orders.licenseModel: must be one of LICENSE_INCLUDED, BRING_YOUR_OWN_LICENSE (got 'BYOL')",
    ),
    (
        {"databases.orders.computeCount": "two"},
        "guardrails:databases.orders.computeCount: must be a whole number (got 'two')",
    ),
    (
        {"databases.orders.costCenter": "CC-999"},
        "guardrails:databases.orders.costCenter: must be one of CC-101, CC-202, CC-303 (got 'CC-999')",
    ),
    (
        {"databases.orders.adminPassword": "hunter2!"},
        "guardrails:databases.orders.adminPassword: looks like a secret but is stored in plain text",
    ),
    (
        {"databases.orders.replicas": 2},
        "guardrails:databases.orders.replicas: is not a known setting",
    ),
    ({"environment": "qa"}, "guardrails:environment: must be one of dev, staging, prod (got 'qa')"),
    ({"environment": None}, "guardrails:environment: is required"),
    (
        {"tenancyOcid": "ocid1.compartment.oc1..aaaaaaaaxxxxxxxxxxxxxxxxxxxx"},
        "guardrails:tenancyOcid: must be an OCID of type tenancy",
    ),
    (
        {"compartmentOcid": "my-compartment"},
        "guardrails:compartmentOcid: must be an OCID of type compartment or tenancy (got 'my-compartment')",
    ),
    (
        {"streams.streams.user-event-stream.retentionHours": 200},
        "guardrails:streams.streams.user-event-stream.retentionHours: must be <= 168 (got 200)",
    ),
    (
        {"streams.streams.user-event-stream.partitions": 0},
        "guardrails:streams.streams.user-event-stream.partitions: must be >= 1 (got 0)",
    ),
    (
        {"databaseAccess": {"allowList": ["0.0.0.0/0"]}},
        "guardrails:databaseAccess: must not open access to the whole internet (got '0.0.0.0/0')",
    ),
    (
        {"databaseAccess": {}},
        "guardrails:databaseAccess: set exactly one of privateEndpoint or allowList",
    ),
    (
        {"budgets.costCenters.CC-101.monthly": 0},
        "guardrails:budgets.costCenters.CC-101.monthly: must be >= 1 (got 0)",
    ),
    (
        {"budgets.costCenters.CC-404": {"monthly": 5, "recipients": ["a@example.com"]}},
        "guardrails:budgets.costCenters.CC-404: must be one of CC-101, CC-202, CC-303 (got 'CC-404')",
    ),
    (
        {"budgets.tenancyRecipients": ["finops"]},
        "guardrails:budgets.tenancyRecipients[0]: must be an e-mail address (got 'finops')",
    ),
    (
        {"alarms.runbookUrl": "http://wiki"},
        "guardrails:alarms.runbookUrl: must be an https:// URL (got 'http://wiki')",
    ),
    (
        {"governance.defaultCostCenter": "CC-999"},
        "guardrails:governance.defaultCostCenter: must be one of CC-101, CC-202, CC-303 (got 'CC-999')",
    ),
    (
        {"governance.costCenters": []},
        "guardrails:governance.costCenters: list should have at least 1 item after validation, not 0",
    ),
    ({"databse": {"orders": {}}}, "guardrails:databse: is not a known setting"),
    (
        {"adbAdminPassword": None},
        "guardrails:databases.orders: needs vaultSecretOcid, or the secret guardrails:adbAdminPassword",
    ),
    ({"databases": "{not json"}, "guardrails:databases: is not valid JSON"),
]


@pytest.mark.parametrize(
    ("changes", "message"), BAD_CONFIG, ids=[m.split(":")[1][:40] for _, m in BAD_CONFIG]
)
def test_bad_config_names_the_key_path(changes, message):
    with pytest.raises(StackConfigError) as info:
        parse_stack_config(*_with(changes))
    assert any(p.startswith(message) for p in info.value.problems), info.value.problems


def test_plain_secret_top_level_key_is_refused():
    config, _ = _with({"adbAdminPassword": "Welcome1-not-secret"})
    with pytest.raises(StackConfigError) as info:
        parse_stack_config(config, set())
    assert (
        "guardrails:adbAdminPassword: must be set with `pulumi config set --secret`"
        in info.value.problems
    )


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", "a Slack webhook URL"),
        ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMII...", "a private key"),
    ],
)
def test_credentials_in_plain_values_are_refused_whatever_the_key(value, what):
    with pytest.raises(StackConfigError) as info:
        parse_stack_config(*_with({"alarms.https": [value]}))
    assert (
        f"guardrails:alarms.https[0]: holds {what} in plain text; use `pulumi config set --secret`"
        in info.value.problems
    )


def test_vault_ocids_are_not_mistaken_for_plain_secrets():
    cfg = parse_stack_config(*_settings("prod"))
    assert all(db.vaultSecretOcid for db in cfg.databases.values())


def test_all_problems_are_reported_at_once():
    with pytest.raises(StackConfigError) as info:
        parse_stack_config(*_with({"databases.orders.computeCount": 1, "environment": "qa"}))
    assert len(info.value.problems) == 2
    assert str(info.value).startswith("invalid stack config:\n  guardrails:")
