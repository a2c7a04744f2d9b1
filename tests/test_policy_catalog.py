"""The catalog itself: ids, documentation, and the generated list of taggable types."""

from __future__ import annotations

import json
import re

import pytest

from guardrails.tooling.catalog_data.taggable_types import OUTPUT, build
from policies.catalog import RULES, _check_catalog
from policies.model import Rule
from tests.conftest import ROOT


def test_rule_ids_follow_the_convention_and_are_documented():
    docs = (ROOT / "docs" / "policies.md").read_text()
    for rule in RULES:
        assert re.match(r"^(oci|aws)-[a-z0-9]+-[a-z0-9]+-[a-z0-9-]+$", rule.id)
        assert f"`{rule.id}`" in docs, f"{rule.id} missing from docs/policies.md"


def test_catalog_refuses_duplicates_and_bad_ids():
    import pytest

    good = RULES[0]
    with pytest.raises(ValueError, match="defined twice"):
        _check_catalog((good, good))
    bad = Rule(
        id="NoConvention",
        description="x",
        severity="low",
        enforcement="advisory",
        resource_types=frozenset({"t"}),
        check=lambda r, c: [],
    )
    with pytest.raises(ValueError, match="must read vendor-service-resource-rule"):
        _check_catalog((bad,))


@pytest.mark.slow
def test_taggable_types_are_current_with_the_installed_providers():
    assert json.loads(OUTPUT.read_text()) == build(), (
        "run: python -m guardrails.tooling.catalog_data.taggable_types"
    )
