"""Shared test helpers.

Component tests run under Pulumi's own mock runtime (`pulumi.runtime.set_mocks` and
`@pulumi.runtime.test`), with a fresh mock monitor per test: the SDK keeps the event loop
and root stack in module state (pulumi#6561, #8280), so nothing is reused between tests.
The monitor is guardrails' RecordingMonitor, the SDK's MockMonitor plus a record of each
registration (parent, protect, inputs), so tests can assert on the whole resource tree.
Program-level tests run the real preview runner, which starts a fresh process per run.

A test that starts a child process (the preview runner, the policy pack, checkov, pip, the
moto server, ...) must carry `@pytest.mark.subprocess`, so that `pytest -m "not subprocess"`
is a fast inner loop; an unmarked test that starts one fails and says so.
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
import pytest

from guardrails.tooling.program.mocks import RecordingMocks, RecordingMonitor
from guardrails.tooling.program.record import CapturedResource
from tests.fake_oci.fixture import fake_oci, fake_oci_server  # noqa: F401  (fixtures)
from tests.layer_wheels import fill_wheelhouse
from tests.moto_server import aws, moto_server  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent
# The checked-in stacks. Tests name them rather than list stacks/, so a user's own
# stacks/Pulumi.qa.yaml breaks no test.
STACKS = ("dev", "prod", "staging")
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def ocid(kind: str, word: str = "test", region: str = "") -> str:
    """A well-formed OCID for tests."""
    return f"ocid1.{kind}.oc1.{region}." + ("aaaaaaaa" + word).ljust(60, "0")[:60]


TENANCY = ocid("tenancy", "tenancy")
COMPARTMENT = ocid("compartment", "workloads")
TOPIC = ocid("onstopic", "alarms", "eu-frankfurt-1")


class Recorded:
    """The resources one mocked program run registered, with lookups for assertions."""

    def __init__(self, resources: list[CapturedResource], value: Any) -> None:
        self.resources = resources
        self.value = value

    def named(self, name: str) -> CapturedResource:
        matches = [r for r in self.resources if r.name == name]
        assert len(matches) == 1, f"expected one resource named {name!r}, got {len(matches)}"
        return matches[0]

    def of_type(self, token: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == token]

    def inputs(self, name: str) -> dict[str, Any]:
        return self.named(name).inputs

    def children(self, parent: CapturedResource) -> list[CapturedResource]:
        return [r for r in self.resources if r.parent == parent.urn]


class MockRunner:
    """Runs a build function under fresh Pulumi mocks (preview=False, so applies run).

    `registered` keeps what the last run registered, also when it raised, so bad-input
    tests can assert that nothing was declared.
    """

    def __init__(self) -> None:
        self.registered: list[CapturedResource] = []

    def __call__(self, build: Callable[[], Any]) -> Recorded:
        mocks = RecordingMocks()
        monitor = RecordingMonitor(mocks, ROOT)
        self.registered = monitor.recorded
        pulumi.runtime.set_mocks(
            mocks, project="guardrails", stack="dev", preview=False, monitor=monitor
        )
        result: dict[str, Any] = {}

        @pulumi.runtime.test
        def program() -> Any:
            value = build()
            result["value"] = value
            return value

        program()
        # registration order depends on the event loop; URN order is stable
        return Recorded(sorted(monitor.recorded, key=lambda r: r.urn), result.get("value"))


# `platform` runs `uname -p` once per process and caches it; the `oci` SDK asks for it when
# first imported. Asked here, before any test, so that the probe below does not blame
# whichever test happens to import `oci` first (a test run alone failed, in a suite passed).
platform.processor()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Refuse child processes in tests (and their fixtures) not marked `subprocess`."""
    if item.get_closest_marker("subprocess") is not None:
        yield
        return

    def refuse(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        raise AssertionError(
            f"{item.nodeid} starts a child process ({str(args)[:80]}) "
            "but is not marked @pytest.mark.subprocess"
        )

    with mock.patch.object(subprocess.Popen, "_execute_child", refuse):
        yield


@pytest.fixture(autouse=True)
def _audit_log_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes the audit trail of acting commands into the real home folder."""
    monkeypatch.setenv("GUARDRAILS_AUDIT_LOG", str(tmp_path / "audit.jsonl"))


@pytest.fixture
def run_mocked() -> MockRunner:
    return MockRunner()


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local package index (`--find-links`) of real test wheels, for hermetic layer builds."""
    return fill_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))
