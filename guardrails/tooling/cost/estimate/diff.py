"""`guardrails cost diff`: the estimate of a base (a git ref of the program, or a saved JSON
estimate) against the working tree, per cost center and per resource.

A git base is exported with `git archive` into a temporary folder and run from there, with
that folder first on PYTHONPATH so the base's own components are used. Both sides become
Infracost documents; the diff compares them by resource URN: added, removed, or changed
(monthly cost or a component's quantity differs).
"""

from __future__ import annotations

import io
import math
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost.estimate.report import VERSION, dec, money, num
from guardrails.tooling.documents import validate_document
from guardrails.tooling.inputs import parse_json, read_text

CHANGE_EPSILON = 0.005


@dataclass(frozen=True)
class ResourceChange:
    change: str  # added | removed | changed
    urn: str
    name: str
    type: str
    cost_center: str
    base: float
    current: float

    @property
    def difference(self) -> float:
        return self.current - self.base


def _amount(value: str | float | None) -> str | float | None:
    """An amount as Infracost writes it: a decimal string ("490.56"), or null."""
    if value in (None, ""):
        return value
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or isinstance(value, bool):
        raise ValueError(f'must be an amount such as "490.56" (got {value!r})')
    return value


def _version(value: str) -> str:
    if value != VERSION:
        raise ValueError(f"must be {VERSION} (got {value!r})")
    return value


_Amount = Annotated[str | float | None, AfterValidator(_amount)]


class _Component(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    monthlyQuantity: _Amount = None


class _Resource(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    resourceType: str
    urn: str | None = None
    costCenter: str = ""
    monthlyCost: _Amount = None
    costComponents: list[_Component] = []


class _Breakdown(BaseModel):
    model_config = ConfigDict(extra="allow")
    resources: list[_Resource]
    totalMonthlyCost: _Amount = None


class _CostCenter(BaseModel):
    model_config = ConfigDict(extra="allow")
    monthlyCost: _Amount = None


class _Project(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    breakdown: _Breakdown
    costCenters: dict[str, _CostCenter] = {}


class _Estimate(BaseModel):
    """What the diff reads of a saved estimate (other keys are kept, not checked)."""

    model_config = ConfigDict(extra="allow")
    version: Annotated[str, AfterValidator(_version)]
    projects: list[_Project]


def load_estimate_file(path: Path) -> dict[str, Any]:
    """A saved `cost estimate --format json` document, checked for what the diff reads."""
    text = read_text(path, "base estimate")
    doc = parse_json(text, str(path))
    try:
        validate_document(_Estimate, doc, str(path), text)
    except GuardrailsError as exc:
        raise GuardrailsError(
            f"{path}: not an estimate in Infracost's layout (version {VERSION}, as "
            f"`guardrails cost estimate --format json` writes it): "
            + str(exc).removeprefix(f"{path}: ")
        ) from None
    assert isinstance(doc, dict)
    return doc


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise GuardrailsError("git is not installed: cannot read a git ref as the base") from exc


def _extract(tar: tarfile.TarFile, folder: Path) -> None:
    """Extract an archive into `folder`, never outside it: tarfile's `data` filter where this
    Python has it (3.11.4 and later), else the same checks made here (no absolute or `..`
    names, no links pointing out of the folder, no devices)."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(folder, filter="data")
        return
    root = folder.resolve()
    for member in tar.getmembers():
        target = (root / member.name).resolve()
        if member.isdev() or not target.is_relative_to(root):
            raise GuardrailsError(f"git archive: {member.name!r} would leave {root}")
        if member.issym() or member.islnk():
            base = target.parent if member.issym() else root
            if not (base / member.linkname).resolve().is_relative_to(root):
                raise GuardrailsError(f"git archive: link {member.name!r} points out of {root}")
    tar.extractall(folder)  # every member checked above


@contextmanager
def git_checkout(program: Path, ref: str) -> Iterator[tuple[Path, Path]]:
    """(repository root, program folder) as they are at `ref`, in a temporary folder."""
    program = program.resolve()
    top = _git(program, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise GuardrailsError(f"{program} is not in a git repository: --base must be a file")
    root = Path(top.stdout.decode().strip())
    if ref.startswith("-") or (
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0
    ):
        raise GuardrailsError(f"--base {ref!r}: no such file, and no such git ref in {root}")
    archive = _git(root, "archive", "--format=tar", ref)
    if archive.returncode != 0:
        raise GuardrailsError(f"git archive {ref} failed: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory(prefix="guardrails-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            _extract(tar, Path(tmp))
        yield Path(tmp), Path(tmp) / program.relative_to(root)


@contextmanager
def python_path_first(folder: Path) -> Iterator[None]:
    """Child processes import from `folder` first (the base's own components)."""
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), before) if p)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before


def base_from_ref(
    program: Path,
    ref: str,
    stacks: Sequence[str],
    estimate: Callable[[Path, Sequence[str]], dict[str, Any]],
) -> dict[str, Any]:
    """Estimate the stacks of `program` at `ref` (a stack the base does not have is empty)."""
    with git_checkout(program, ref) as (root, base_program):
        present = [s for s in stacks if _has_stack(base_program, s)]
        with python_path_first(root):
            return estimate(base_program, present)


def _has_stack(program: Path, stack: str) -> bool:
    from guardrails.tooling.project import load_project

    try:
        return load_project(program).stack_file(stack).is_file()
    except GuardrailsError:
        return False


def _by_urn(project: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    if not project:
        return {}
    return {r.get("urn") or r["name"]: r for r in project["breakdown"]["resources"]}


def _quantities(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {c["name"]: c.get("monthlyQuantity") for c in resource.get("costComponents", [])}


def resource_changes(
    base: Mapping[str, Any] | None, current: Mapping[str, Any] | None
) -> list[ResourceChange]:
    before, after = _by_urn(base), _by_urn(current)
    out = []
    for urn in sorted(set(before) | set(after)):
        old, new = before.get(urn), after.get(urn)
        ref = new or old
        assert ref is not None
        base_cost = num(old["monthlyCost"]) if old else 0.0
        cost = num(new["monthlyCost"]) if new else 0.0
        if old is None:
            change = "added"
        elif new is None:
            change = "removed"
        elif abs(cost - base_cost) > CHANGE_EPSILON or _quantities(old) != _quantities(new):
            change = "changed"
        else:
            continue
        if change != "changed" and not ref.get("costComponents"):
            continue  # a resource that costs nothing coming or going is no cost change
        out.append(
            ResourceChange(
                change, urn, ref["name"], ref["resourceType"], ref.get("costCenter", ""),
                base_cost, cost,
            )
        )  # fmt: skip
    return out


def _cost_center_totals(project: Mapping[str, Any] | None) -> dict[str, float]:
    if not project:
        return {}
    return {cc: num(t["monthlyCost"]) for cc, t in project.get("costCenters", {}).items()}


def diff_documents(base: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with the base as its past: Infracost's diff fields plus our change lists."""
    base_projects = {p["name"]: p for p in base["projects"]}
    out = dict(current)
    projects = []
    for project in current["projects"]:
        past = base_projects.get(project["name"])
        changes = resource_changes(past, project)
        before, after = _cost_center_totals(past), _cost_center_totals(project)
        past_total = num(past["breakdown"]["totalMonthlyCost"]) if past else 0.0
        total = num(project["breakdown"]["totalMonthlyCost"])
        projects.append(
            {
                **project,
                "pastBreakdown": past["breakdown"] if past else None,
                "diff": {
                    "resources": [_change_json(c) for c in changes],
                    "totalMonthlyCost": dec(total - past_total),
                },
                "pastTotalMonthlyCost": dec(past_total),
                "costCenterChanges": {
                    cc: {
                        "pastMonthlyCost": dec(before.get(cc, 0.0)),
                        "monthlyCost": dec(after.get(cc, 0.0)),
                        "diffMonthlyCost": dec(after.get(cc, 0.0) - before.get(cc, 0.0)),
                    }
                    for cc in sorted(set(before) | set(after))
                },
            }
        )
    names = {q["name"] for q in current["projects"]}
    past_total = sum(
        num(p["breakdown"]["totalMonthlyCost"]) for p in base["projects"] if p["name"] in names
    )
    total = num(current["totalMonthlyCost"])
    out["projects"] = projects
    out["pastTotalMonthlyCost"] = dec(past_total)
    out["diffTotalMonthlyCost"] = dec(total - past_total)
    out["metadata"] = {**current.get("metadata", {}), "generator": "guardrails cost diff"}
    return out


def _change_json(c: ResourceChange) -> dict[str, Any]:
    return {
        "name": c.name,
        "resourceType": c.type,
        "urn": c.urn,
        "costCenter": c.cost_center,
        "change": c.change,
        "pastMonthlyCost": dec(c.base),
        "monthlyCost": dec(c.current),
        "diffMonthlyCost": dec(c.difference),
    }


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + money(value)


def render_diff_markdown(doc: Mapping[str, Any]) -> str:
    currency = doc["currency"]
    lines = [
        f"## Cost change ({currency} a month, list prices)",
        "",
        f"Total: {money(num(doc['pastTotalMonthlyCost']))} -> "
        f"{money(num(doc['totalMonthlyCost']))} (**{_signed(num(doc['diffTotalMonthlyCost']))}**)",
        "",
    ]
    for project in doc["projects"]:
        diff = project["diff"]
        lines += [
            f"### {project['name']}: {money(num(project['pastTotalMonthlyCost']))} -> "
            f"{money(num(project['breakdown']['totalMonthlyCost']))} "
            f"({_signed(num(diff['totalMonthlyCost']))})",
            "",
            "| Cost center | Before | After | Difference |",
            "|---|---:|---:|---:|",
        ]
        for cc, t in project["costCenterChanges"].items():
            if not num(t["pastMonthlyCost"]) and not num(t["monthlyCost"]):
                continue  # free resources only, before and after
            lines.append(
                f"| {cc} | {money(num(t['pastMonthlyCost']))} | {money(num(t['monthlyCost']))} "
                f"| {_signed(num(t['diffMonthlyCost']))} |"
            )
        if diff["resources"]:
            lines += [
                "",
                "| Resource | Change | Cost center | Before | After | Difference |",
                "|---|---|---|---:|---:|---:|",
            ]
            for r in diff["resources"]:
                lines.append(
                    f"| `{r['name']}` | {r['change']} | {r['costCenter']} "
                    f"| {money(num(r['pastMonthlyCost']))} | {money(num(r['monthlyCost']))} "
                    f"| {_signed(num(r['diffMonthlyCost']))} |"
                )
        else:
            lines += ["", "No resource changes its cost."]
        if project["unpricedResources"]:
            names = ", ".join(f"`{u['name']}`" for u in project["unpricedResources"])
            lines += ["", f"{len(project['unpricedResources'])} resources not priced: {names}"]
        lines.append("")
    return "\n".join(lines) + "\n"
