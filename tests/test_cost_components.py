"""The cost-governance components under Pulumi's mock runtime: OffHoursSchedule, and the
enforcement tags of GovernanceTags."""

from __future__ import annotations

import pytest

from components import (
    GovernanceTagging,
    GovernanceTags,
    GovernanceTagsArgs,
    OffHoursSchedule,
    OffHoursScheduleArgs,
)
from guardrails.runtime.validation import ComponentArgumentError
from tests.conftest import COMPARTMENT, TENANCY, ocid

CCS = ("CC-101", "CC-202")
DEV = GovernanceTagging("CC-101", "dev", "platform", cost_centers=CCS)
OTHER = ocid("compartment", "analytics")
SCHEDULE = "oci:ResourceScheduler/schedule:Schedule"


def _off_hours(**overrides):
    args = {"compartment_id": COMPARTMENT, "tagging": DEV, "time_zone": "Europe/Berlin"}
    return OffHoursScheduleArgs(**(args | overrides))


def test_stop_and_start_schedules_select_by_compartment_tags_and_type(run_mocked):
    rec = run_mocked(lambda: OffHoursSchedule("offhours", _off_hours()))
    component = rec.named("offhours")
    assert {r.name for r in rec.children(component)} == {
        "offhours-stop",
        "offhours-start",
        "offhours-policy",
    }
    stop, start = rec.inputs("offhours-stop"), rec.inputs("offhours-start")
    assert (stop["action"], stop["recurrenceDetails"]) == ("STOP_RESOURCE", "0 19 * * 1-5")
    assert (start["action"], start["recurrenceDetails"]) == ("START_RESOURCE", "0 7 * * 1-5")
    for schedule in (stop, start):
        assert schedule["recurrenceType"] == "CRON"
        assert schedule["localTimeZone"] == "Europe/Berlin"
        assert schedule["state"] == "ACTIVE"
        assert schedule["definedTags"]["governance.cost_center"] == "CC-101"
    assert stop["resourceFilters"] == [
        {
            "attribute": "COMPARTMENT_ID",
            "shouldIncludeChildCompartments": False,
            "values": [{"value": COMPARTMENT}],
        },
        {
            "attribute": "DEFINED_TAGS",
            "values": [{"namespace": "governance", "tagKey": "cost_center", "value": "CC-101"}],
        },
        {
            "attribute": "DEFINED_TAGS",
            "values": [{"namespace": "governance", "tagKey": "environment", "value": "dev"}],
        },
        {
            "attribute": "RESOURCE_TYPE",
            "values": [{"value": "AutonomousDatabase"}, {"value": "Instance"}],
        },
    ]


def test_policy_lets_only_these_schedules_act_in_each_target_compartment(run_mocked):
    rec = run_mocked(
        lambda: OffHoursSchedule(
            "offhours", _off_hours(target_compartment_ids=[COMPARTMENT, OTHER])
        )
    )
    policy = rec.inputs("offhours-policy")
    assert policy["compartmentId"] == COMPARTMENT
    statements = policy["statements"]
    assert len(statements) == 2 * 2 * 2  # schedules x resource types x compartments
    stop_id = "offhours-stop-preview-id"
    assert (
        f"Allow any-user to manage autonomous-databases in compartment id {OTHER} where all "
        f"{{request.principal.type = 'resourceschedule', request.principal.id = '{stop_id}'}}"
    ) in statements
    assert all("request.principal.type = 'resourceschedule'" in s for s in statements)
    assert {s.split()[4] for s in statements} == {"autonomous-databases", "instances"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"tagging": GovernanceTagging("CC-101", "prod", "platform", cost_centers=CCS)},
            "OffHoursSchedule: tagging.environment must not be production: off-hours stops are "
            "for non-production resources (got 'prod')",
        ),
        (
            {"stop_cron": "0 25 * * *"},
            "OffHoursSchedule: stop_cron has hour '25' outside 0-23 (got '0 25 * * *')",
        ),
        (
            {"start_cron": "every morning"},
            "OffHoursSchedule: start_cron must be a cron expression of 5 fields, "
            "e.g. '0 19 * * 1-5' (got 'every morning')",
        ),
        (
            {"time_zone": "Europe/Atlantis"},
            "OffHoursSchedule: time_zone must be an IANA time zone such as Europe/Berlin or UTC "
            "(got 'Europe/Atlantis')",
        ),
        (
            {"target_compartment_ids": ["not-an-ocid"]},
            "OffHoursSchedule: target_compartment_ids[0] must be ocid1.compartment.... or "
            "ocid1.tenancy.... (got 'not-an-ocid')",
        ),
        (
            {"resource_types": ["Bucket"]},
            "OffHoursSchedule: resource_types[0] must be one of AutonomousDatabase, Instance "
            "(got 'Bucket')",
        ),
        ({"start_cron": "0 19 * * 1-5"}, "OffHoursSchedule: start_cron must differ from stop_cron"),
    ],
    ids=["prod", "hour", "not cron", "time zone", "compartment", "type", "same cron"],
)
def test_bad_arguments_fail_before_anything_is_registered(run_mocked, overrides, message):
    with pytest.raises(ComponentArgumentError) as caught:
        run_mocked(lambda: OffHoursSchedule("offhours", _off_hours(**overrides)))
    assert str(caught.value) == message
    assert run_mocked.registered == []


def _tags(**overrides):
    args = {"compartment_id": TENANCY, "cost_centers": list(CCS), "tagging": DEV}
    return GovernanceTagsArgs(**(args | overrides))


def test_governance_tags_create_the_enforcement_tags_when_asked(run_mocked):
    rec = run_mocked(lambda: GovernanceTags("gov", _tags(enforcement_tags=True)))
    alerted, exempt = rec.inputs("gov-cost-alerted"), rec.inputs("gov-cost-exempt")
    assert alerted["name"] == "cost_alerted" and "validator" not in alerted
    assert exempt["name"] == "cost_exempt"
    assert exempt["validator"] == {"validatorType": "ENUM", "values": ["true", "false"]}
    assert not alerted["isCostTracking"] and not exempt["isCostTracking"]


def test_governance_tags_leave_them_out_by_default(run_mocked):
    rec = run_mocked(lambda: GovernanceTags("gov", _tags()))
    names = {r.inputs["name"] for r in rec.of_type("oci:Identity/tag:Tag")}
    assert names == {"cost_center", "environment", "owner"}


def test_enforcement_tags_need_the_namespace_created_here(run_mocked):
    existing = {"cost_center": ocid("tagdefinition", "cc"), "environment": ocid("tagdefinition")}
    with pytest.raises(ComponentArgumentError, match="enforcement_tags needs the namespace"):
        run_mocked(
            lambda: GovernanceTags("gov", _tags(enforcement_tags=True, existing_tag_ids=existing))
        )
    assert run_mocked.registered == []
