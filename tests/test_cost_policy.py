"""The off-hours rule evaluated straight from the catalog, messages asserted."""

from __future__ import annotations

from policies.catalog import RULES_BY_ID
from policies.model import Resource
from tests.policy_cases import ADB, OFF_HOURS, PROD_TAGS, SCHEDULE, adb, schedule


def _view(type_: str, name: str, props: dict) -> Resource:
    return Resource(
        type=type_, name=name, urn=f"urn:pulumi:dev::cases::{type_}::{name}", props=props
    )


def _findings(*resources: Resource, config: dict | None = None) -> list[tuple[str | None, str]]:
    return RULES_BY_ID[OFF_HOURS].evaluate_stack(list(resources), config)


def test_dev_database_with_matching_stop_schedule_passes():
    assert _findings(_view(ADB, "db", adb()), _view(SCHEDULE, "stop", schedule())) == []


def test_dev_database_without_schedule_is_reported_with_its_tags():
    db = _view(ADB, "db", adb())
    assert _findings(db) == [
        (
            db.urn,
            "non-production Autonomous Database (environment dev, cost center CC-101) has no "
            "off-hours STOP_RESOURCE schedule selecting it; add an OffHoursSchedule "
            "(guardrails:offHours)",
        )
    ]


def test_start_only_or_other_cost_center_does_not_count():
    db = _view(ADB, "db", adb())
    assert len(_findings(db, _view(SCHEDULE, "s", schedule("START_RESOURCE")))) == 1
    assert len(_findings(db, _view(SCHEDULE, "s", schedule(cost_center="CC-202")))) == 1


def test_production_and_configured_production_environments_are_left_alone():
    assert _findings(_view(ADB, "db", adb(definedTags=PROD_TAGS))) == []
    assert _findings(_view(ADB, "db", adb()), config={"productionEnvironments": ["dev"]}) == []


def test_schedule_without_tag_filters_covers_every_database():
    untargeted = {**schedule(), "resourceFilters": []}
    assert _findings(_view(ADB, "db", adb()), _view(SCHEDULE, "s", untargeted)) == []
