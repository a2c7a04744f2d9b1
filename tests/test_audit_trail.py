"""The audit trail's intent and outcome records: an intent is on disk before the action, and
an intent no outcome answers is listed for the next run to reconcile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardrails.tooling.acting.audit_trail import AuditLog


def test_an_intent_is_on_disk_before_the_call_and_resolved_by_its_outcome(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    first = log.intent("cost enforce", "stop", "ocid1.autonomousdatabase.oc1..a", key="k1")
    lines = [json.loads(x) for x in log.path.read_text().splitlines()]
    assert lines[0]["record"] == "intent" and lines[0]["key"] == "k1"
    assert lines[0]["target"] == "ocid1.autonomousdatabase.oc1..a"
    second = log.intent("fleet scale", "update", "ocid1.autonomousdatabase.oc1..b", ecpu=4)
    assert [i.id for i in log.unresolved()] == [first.id, second.id]
    log.outcome(first, "done", workRequest="ocid1.workrequest.oc1..w")
    assert [i.id for i in log.unresolved()] == [second.id]
    assert [i.id for i in log.unresolved("cost enforce")] == []
    assert log.unresolved("fleet scale")[0].details == {"ecpu": 4}


def test_an_unknown_outcome_status_is_refused(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    intent = log.intent("layer prune", "delete", "arn:aws:lambda:eu-west-1:123456789012:layer:x:1")
    with pytest.raises(ValueError, match="unknown outcome status 'maybe'"):
        log.outcome(intent, "maybe")  # type: ignore[arg-type]
    assert len(log.unresolved()) == 1
