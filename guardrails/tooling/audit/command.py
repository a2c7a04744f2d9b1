"""`guardrails audit` once its command line is read: an `AuditRequest` -> outputs guarded,
gate settings read, the account read through the cloud's reader, judged by the one gate core,
every report written from that one run.

Exit codes: 0 nothing mandatory found and everything read; 1 mandatory violations; 2 the
audit could not run, or could not read part of the account (a refused read makes the audit
incomplete: exit 2 unless `--allow-incomplete`, the report still written and naming what was
not read); 130 interrupted.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.acting.retry import Budget
from guardrails.tooling.audit.live import Reading
from guardrails.tooling.audit.subject import LiveSubject, live_policy_config
from guardrails.tooling.cli_options import AwsAccess
from guardrails.tooling.cli_support import EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS
from guardrails.tooling.console import RichProgress
from guardrails.tooling.gate.core import judge
from guardrails.tooling.gate.findings import GateResult
from guardrails.tooling.gate.report import (
    ReportTarget,
    report_outputs,
    write_error_reports,
    write_reports,
)
from guardrails.tooling.gate.settings import gate_settings
from guardrails.tooling.oci_auth import OciAuth
from guardrails.tooling.outputs import Input, OutputRefused, guard_outputs
from guardrails.tooling.project import default_program

DEFAULT_TIMEOUT_SECONDS = 600.0
DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class AuditRequest:
    """What `guardrails audit` was asked to do."""

    cloud: str
    reports: tuple[ReportTarget, ...]
    compartments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    stack: str | None = None
    program: Path | None = None
    policy_config: Path | None = None
    suppressions: Path | None = None
    oci: OciAuth = dataclasses.field(default_factory=OciAuth)
    aws: AwsAccess = dataclasses.field(default_factory=AwsAccess)
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    workers: int = DEFAULT_WORKERS
    allow_incomplete: bool = False
    baseline: Path | None = None
    """An earlier audit's JSON report: what is new and what was resolved since."""

    @property
    def program_dir(self) -> Path:
        return self.program or default_program()


def _inputs(request: AuditRequest) -> list[Input]:
    inputs = [
        Input("policy config", request.policy_config),
        Input("suppression ledger", request.suppressions),
        Input("OCI config file", request.oci.config_file),
        Input("baseline report", request.baseline),
    ]
    if request.stack is not None:  # the default program is guarded once it is found
        inputs.append(Input("program", request.program, program=True))
    return inputs


class AuditProgress:
    """One progress bar for the whole audit (silent off a terminal): the gate's phases, and
    the readers' counts of resources read."""

    def __init__(self, bar: RichProgress) -> None:
        self._bar = bar
        self._phase = ""
        self._done = 0

    def say(self, phase: str) -> None:
        """A phase without a count (the gate's)."""
        self._phase, self._done = phase, 0
        self._bar.phase(phase[:26])

    def count(self, phase: str, done: int, total: int) -> None:
        """`done` of `total` in `phase` (the reader's)."""
        if phase != self._phase:
            self._phase, self._done = phase, 0
            self._bar.phase(phase[:26], total or None)
        if done > self._done:
            self._bar.advance(done - self._done)
            self._done = done


def _reader(request: AuditRequest, budget: Budget, progress: AuditProgress) -> LiveSubject:
    reading = Reading(cloud=request.cloud, scope="")
    if request.cloud == "oci":
        from guardrails.tooling.audit.oci_reader import read_oci

        def read(r: Reading) -> None:
            read_oci(
                request.oci, request.compartments, budget, r, progress.count, request.workers,
                request.regions,
            )  # fmt: skip
    else:
        from guardrails.tooling.audit.aws_reader import read_aws

        def read(r: Reading) -> None:
            access = dataclasses.replace(request.aws, region=request.regions[0])
            read_aws(access, request.regions, budget, r, progress.say, request.workers)

    return LiveSubject(read, reading)


def run_audit(request: AuditRequest, out: Console, err: Console) -> int:
    """0 clean, 1 mandatory violations, 2 could not run or incomplete (GuardrailsError: 2)."""
    outputs = report_outputs(request.reports)
    guard_outputs(outputs, _inputs(request))
    where = request.program or Path.cwd()
    name = f"{request.cloud}-audit"
    result: GateResult
    try:
        if request.stack is not None:
            where = request.program_dir
            guard_outputs(outputs, [Input("program", where, program=True)])
        settings = gate_settings(
            where, policy_config=request.policy_config, ledger=request.suppressions
        )
        settings = dataclasses.replace(
            settings, policy_config=live_policy_config(settings.policy_config)
        )
        err.print(
            f"policy config: {escape(str(settings.policy_config_path or 'the catalog levels'))}; "
            f"suppressions: {escape(str(settings.ledger_path or 'none'))}",
            highlight=False,
            soft_wrap=True,
        )
        baseline = None
        if request.baseline is not None:  # checked before any call
            from guardrails.tooling.audit.baseline import load_baseline

            baseline = load_baseline(request.baseline, request.cloud)
        with RichProgress(err) as bar:
            progress = AuditProgress(bar)
            budget = Budget(seconds=request.timeout, progress=progress.say)
            subject = _reader(request, budget, progress)
            if request.stack is not None:
                subject = _with_declaration(subject, request, request.stack)
            result = judge(subject, settings, progress.say)
    except Exception as exc:
        if not isinstance(exc, OutputRefused):
            write_error_reports(exc, request.reports, out, name, where)
        raise
    if result.live is not None:  # what SARIF shows findings on (a file of the repository)
        result.live["anchor"] = str(_anchor(request))
    if baseline is not None and result.live is not None:
        from guardrails.tooling.audit.baseline import compare

        result.live["since"] = {"baseline": str(request.baseline), **compare(result, baseline)}
    write_reports(result, request.reports, out)
    incomplete = bool(result.live and result.live.get("notes"))
    if incomplete:
        err.print(
            f"audit incomplete: {len(result.live['notes'])} read(s) refused (listed in the "  # type: ignore[index]
            "report); grant the audit's read policy"
            + ("" if request.allow_incomplete else ", or pass --allow-incomplete to accept"),
            highlight=False,
            soft_wrap=True,
        )
    if not result.passed:
        return EXIT_VIOLATIONS
    return EXIT_ERROR if incomplete and not request.allow_incomplete else EXIT_OK


def _anchor(request: AuditRequest) -> Path:
    """The stack file of `--stack`, else the Pulumi.yaml of the project the audit runs in
    (an audit without a stack needs no project: then the current folder's)."""
    if request.stack is not None:
        from guardrails.tooling.project import load_project

        return load_project(request.program_dir).stack_file(request.stack)
    try:
        return request.program_dir / "Pulumi.yaml"
    except GuardrailsError:
        return Path.cwd() / "Pulumi.yaml"


def _with_declaration(subject: LiveSubject, request: AuditRequest, stack: str) -> LiveSubject:
    """The subject whose reading also carries the stack's declaration (a program capture)."""
    from guardrails.tooling.audit.declared import declaration
    from guardrails.tooling.program.preview import capture_program

    inner = subject.read

    def read(reading: Reading) -> None:
        inner(reading)
        captured = capture_program(request.program_dir, stack)
        types = frozenset(r.type for r in reading.resources) | _reader_types(request.cloud)
        resource, summary = declaration(captured, request.cloud, types, list(request.regions))
        reading.add(resource)
        subject.extra_summary["declared"] = summary

    return dataclasses.replace(subject, read=read)


def _reader_types(cloud: str) -> frozenset[str]:
    if cloud == "oci":
        from guardrails.tooling.audit.oci_types import OCI_TYPES

        return OCI_TYPES
    from guardrails.tooling.audit.aws_reader import AWS_TYPES

    return AWS_TYPES
