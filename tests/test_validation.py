"""Shared argument checks: OCIDs, CIDRs, ranges."""

from __future__ import annotations

import pytest

from guardrails.runtime.validation import (
    ComponentArgumentError,
    check_ocid,
    check_range,
    is_ocid,
    ocid_kind,
    parse_cidr,
)
from tests.conftest import ocid


def test_ocid_kinds():
    assert ocid_kind(ocid("tenancy")) == "tenancy"
    assert (
        ocid_kind("ocid1.key.oc1.eu-frankfurt-1.bbbbbbbbvault.aaaaaaaaexamplekey0000000000")
        == "key"
    )
    assert is_ocid(ocid("subnet", region="us-ashburn-1"), "subnet")
    assert not is_ocid(ocid("subnet"), "vcn")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ocid1.compartment",
        "ocid2.compartment.oc1..aaaaaaaaaaaaaaaaaaaa",
        "OCID1.COMPARTMENT.OC1..AAAAAAAAAAAAAAAAAAAA",
        "ocid1.compartment.oc1..short",
    ],
)
def test_malformed_ocids_are_refused(value):
    with pytest.raises(
        ComponentArgumentError, match=r"X: compartment_id must be ocid1\.compartment"
    ):
        check_ocid("X", "compartment_id", value, "compartment")


def test_outputs_are_not_checked_at_construction():
    check_ocid("X", "compartment_id", object(), "compartment")


@pytest.mark.parametrize("value", ["0.0.0.0/0", "::/0"])
def test_whole_internet_is_refused(value):
    with pytest.raises(ComponentArgumentError, match="must not open access to the whole internet"):
        parse_cidr("X", "cidrs", value)


def test_bad_cidr_is_refused():
    with pytest.raises(ComponentArgumentError, match="must hold IP addresses or CIDR blocks"):
        parse_cidr("X", "cidrs", "10.0.0.0/33")


def test_ranges():
    check_range("X", "n", 2, 2, 4, whole=True)
    with pytest.raises(ComponentArgumentError, match=r"X: n must be >= 2 \(got 1\)"):
        check_range("X", "n", 1, 2)
    with pytest.raises(ComponentArgumentError, match=r"must be a whole number \(got 2.5\)"):
        check_range("X", "n", 2.5, whole=True)
    with pytest.raises(ComponentArgumentError, match="must be a number"):
        check_range("X", "n", True)
