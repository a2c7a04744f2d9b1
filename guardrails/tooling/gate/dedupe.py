"""One finding per problem when two engines judge the same plan.

- **Same problem, two engines.** A catalog rule lists the checkov built-in checks that report
  the problem it reports (`Rule.checkov_ids`, declared with the rule). When both fire on one
  resource, the gate keeps the catalog's finding (its level, message, suppression) and names
  the checkov check on it (`Finding.also`); checkov's copy goes. A checkov failure the rule
  did not confirm stays a finding of its own, and so does one where the rule could not run
  (a value known only after apply).
- **Obsolete checks.** `policies/checkov.yaml` turns off checkov checks whose premise no
  longer holds for a resource (PodSecurityPolicy on Kubernetes >= 1.25), with the reason.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.gate.findings import Finding
from guardrails.tooling.gate.pack import PACK_DIR
from guardrails.tooling.program.record import Capture
from policies.catalog import RULES

CHECKOV_SETTINGS = PACK_DIR / "checkov.yaml"
_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")

# checkov id -> catalog rules that report the same problem (from the rule declarations)
COVERED_BY: dict[str, frozenset[str]] = {}
for _rule in RULES:
    for _check in _rule.checkov_ids:
        COVERED_BY[_check] = COVERED_BY.get(_check, frozenset()) | {_rule.id}


@dataclass(frozen=True)
class Obsolete:
    check: str
    reason: str
    input: str | None = None
    at_least: tuple[int, ...] | None = None

    def applies(self, inputs: Mapping[str, Any]) -> bool:
        if self.input is None or self.at_least is None:
            return True
        version = _version(inputs.get(self.input))
        return version is not None and version >= self.at_least


def _version(value: Any) -> tuple[int, ...] | None:
    match = _VERSION.match(str(value)) if value is not None else None
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def load_checkov_settings(path: Path = CHECKOV_SETTINGS) -> list[Obsolete]:
    """The obsolete-check entries of `path`; GuardrailsError (exit 2) when malformed."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise GuardrailsError(f"{path}: cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise GuardrailsError(f"{path}: not valid YAML: {exc}") from exc
    entries = doc.get("obsolete", []) if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise GuardrailsError(f"{path}: expected a mapping with an `obsolete` list")
    out = []
    for index, entry in enumerate(entries):
        where = f"{path}: obsolete[{index}]"
        if not isinstance(entry, dict) or not entry.get("check") or not entry.get("reason"):
            raise GuardrailsError(f"{where}: needs a check and a reason")
        when = entry.get("when")
        if when is None:
            out.append(Obsolete(str(entry["check"]), str(entry["reason"])))
            continue
        at_least = _version(when.get("atLeast")) if isinstance(when, dict) else None
        if not isinstance(when, dict) or not when.get("input") or at_least is None:
            raise GuardrailsError(f"{where}: when needs an input and a version atLeast")
        out.append(Obsolete(str(entry["check"]), str(entry["reason"]), when["input"], at_least))
    return out


def one_finding_per_problem(
    findings: list[Finding],
    capture: Capture,
    summary: dict[str, Any] | None,
    obsolete: list[Obsolete] | None = None,
) -> list[Finding]:
    """Drop obsolete checkov findings and fold the ones a catalog rule confirms into the
    rule's finding; `summary` (the checkov summary) gets the counts."""
    obsolete = load_checkov_settings() if obsolete is None else obsolete
    by_check: dict[str, list[Obsolete]] = {}
    for entry in obsolete:
        by_check.setdefault(entry.check, []).append(entry)
    inputs = {r.urn: r.inputs for r in capture.resources}
    ours = {
        (f.policy, f.urn): f
        for f in findings
        if f.engine != "checkov" and f.level != "unknown"  # a rule that could not decide
    }
    merged: dict[tuple[str, str], list[str]] = {}
    kept: list[Finding] = []
    dropped = folded = 0
    for f in findings:
        if f.engine != "checkov":
            kept.append(f)
            continue
        if any(e.applies(inputs.get(f.urn, {})) for e in by_check.get(f.policy, [])):
            dropped += 1
            continue
        rules = [r for r in sorted(COVERED_BY.get(f.policy, ())) if (r, f.urn) in ours]
        if rules:
            folded += 1
            for rule in rules:
                merged.setdefault((rule, f.urn), []).append(f.policy)
            continue
        kept.append(f)
    if summary is not None:
        summary["obsolete_skipped"] = dropped
        summary["merged"] = folded
    return [
        dataclasses.replace(f, also=(*f.also, *merged[(f.policy, f.urn)]))
        if (f.policy, f.urn) in merged
        else f
        for f in kept
    ]
