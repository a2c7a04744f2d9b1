"""The command line's boundary, for every command (issue 19): outputs never overwrite inputs,
bad input files are one line and exit 2, options that would be ignored are refused, and
nothing changes when a command refuses.

Every case checks the exit code, the one `error:` line, and that every file of the world
(program, stack files, cost files, plan, usage, base, spend, price book, wheels) hashes the
same before and after, with no file or folder created. The work itself (running a program,
reading spend, calling OCI or AWS, building a layer) is replaced by `WorkStarted`, so a case
that got past the guard says so instead of doing it. A property test then drives every
command's output options at its own inputs and at fresh places.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli import main
from guardrails.tooling.cli_support import EXIT_ERROR, EXIT_INTERRUPTED
from guardrails.tooling.outputs import REPORT_KINDS, SUFFIX_KINDS
from tests.conftest import FIXTURES, ROOT

WORK = "work started (test)"


class WorkStarted(GuardrailsError):
    """Raised where a command's real work would begin."""

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        super().__init__(WORK)


def _stop(*_args: object, **_kwargs: object) -> None:
    raise WorkStarted


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command stops where its work would start (inputs are read and checked)."""
    _patch_work(monkeypatch)


def _patch_work(patch: pytest.MonkeyPatch) -> None:
    from guardrails.runtime.layer_builder import build
    from guardrails.tooling.audit import command as audit
    from guardrails.tooling.cost.enforce import run as enforce_run
    from guardrails.tooling.cost.estimate import commands as estimate
    from guardrails.tooling.cost.spend import build as spend_build
    from guardrails.tooling.fleet import commands as fleet
    from guardrails.tooling.gate import plan_gate, program_gate
    from guardrails.tooling.layer_ops import commands as layer

    patch.setattr(program_gate, "run_gate", _stop)
    patch.setattr(plan_gate, "run_plan_gate", _stop)
    patch.setattr(estimate, "_estimate_doc", _stop)
    patch.setattr(spend_build, "build_report", _stop)
    patch.setattr(enforce_run, "run_enforce", _stop)
    patch.setattr(fleet, "_clients", _stop)
    patch.setattr(build, "build_layer", _stop)
    patch.setattr(layer, "_operations", _stop)
    patch.setattr(audit, "judge", _stop)


# --- the world every command reads --------------------------------------------------------


@dataclass
class World:
    root: Path

    @property
    def program(self) -> Path:
        """A program guardrails has never seen (for check, cost estimate and diff)."""
        return self.root / "program"

    @property
    def project(self) -> Path:
        """A guardrails project: Pulumi.yaml and stacks/ (for fleet, cost report|enforce)."""
        return self.root / "project"

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def out(self) -> Path:
        """An empty folder where outputs may go."""
        return self.root / "out"

    def __truediv__(self, name: str) -> Path:
        return self.inputs / name

    def snapshot(self) -> dict[str, str]:
        """sha256 of every file and the name of every folder, outside `out/`."""
        state = {}
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if rel == "out" or rel.startswith("out/"):
                continue
            state[rel] = (
                hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
            )
        return state

    def outputs(self) -> list[str]:
        return sorted(p.relative_to(self.out).as_posix() for p in self.out.rglob("*"))

    def clear_out(self) -> None:
        shutil.rmtree(self.out)
        self.out.mkdir()


def _estimate(project: str, stack: str, currency: str = "USD") -> dict:
    return {
        "version": "0.2",
        "currency": currency,
        "projects": [{"name": f"{project}/{stack}", "breakdown": {"resources": []}}],
    }


def build_world(root: Path) -> World:
    world = World(root)
    shutil.copytree(FIXTURES / "plain_oci", world.program)
    (world.project / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", world.project / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", world.project / "stacks")
    (world.project / "stacks" / "__main__.py").write_text("# the program\n")
    inputs = world.inputs
    (inputs / "reports").mkdir(parents=True)
    (inputs / "wheels").mkdir()
    world.out.mkdir()
    (inputs / "policy.json").write_text("{}")
    (inputs / "ledger.yaml").write_text("suppressions: []\n")
    (inputs / "usage.yaml").write_text("{}\n")
    shutil.copy(ROOT / "policies" / "pricing" / "data" / "oci_prices.json", inputs / "book.json")
    (inputs / "base.json").write_text(json.dumps(_estimate("plain-oci", "dev")))
    shutil.copy(FIXTURES / "plans" / "terraform_flawed.json", inputs / "plan.json")
    (inputs / "spend.json").write_text(
        json.dumps({"stack": "dev", "month": "2026-01", "costCenters": []})
    )
    (inputs / "requirements.txt").write_text("requests==2.32.3\n")
    (inputs / "oci-config").write_text(
        "[DEFAULT]\nuser=ocid1.user.oc1..a\nfingerprint=aa\ntenancy=ocid1.tenancy.oc1..a\n"
        "region=eu-frankfurt-1\nkey_file=/nonexistent/key.pem\n"
    )
    for name in ("0001.csv.gz", "0002.csv.gz"):
        (inputs / "reports" / name).write_bytes(gzip.compress(b"lineItem/intervalUsageStart\n"))
    (inputs / "focus.csv.gz").write_bytes(gzip.compress(b"BilledCost\n"))
    (inputs / "wheels" / "requests-2.32.3-py3-none-any.whl").write_bytes(b"PK\x05\x06" + bytes(18))
    return world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path / "world")


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err, err
    return lines[0]


# --- the commands, with their inputs and outputs -------------------------------------------


@dataclass(frozen=True)
class OutputOption:
    flag: str
    kinds: frozenset[str] = frozenset()
    """Suffix kinds it accepts (empty: any); a folder output has `folder`."""
    folder: bool = False
    extra: tuple[str, ...] = ()
    """Arguments that go with it (`--apply` for an audit log)."""


@dataclass(frozen=True)
class Command:
    name: str
    argv: tuple[str, ...]
    """With {program}, {project}, {inputs} placeholders."""
    outputs: tuple[OutputOption, ...]
    input_files: tuple[str, ...] = ()
    """Relative to the world's root: files the command reads."""
    input_folders: tuple[str, ...] = ()
    program: str | None = None
    """The program folder whose source files the command reads ("program" or "project")."""
    sources: tuple[str, ...] = field(default=())

    def args(self, world: World) -> list[str]:
        return [
            a.format(program=world.program, project=world.project, inputs=world.inputs)
            for a in self.argv
        ]


def _text(fmt: str) -> frozenset[str]:
    return REPORT_KINDS[fmt]


AUDIT = OutputOption("--audit-log", REPORT_KINDS["jsonl"], extra=("--apply",))
PROGRAM_SOURCES = ("program/__main__.py", "program/network.py", "program/Pulumi.dev.yaml")
PROJECT_SOURCES = ("project/Pulumi.yaml", "project/stacks/Pulumi.dev.yaml")

COMMANDS = (
    Command(
        "check",
        ("check", "--program", "{program}", "--policy-config", "{inputs}/policy.json",
         "--suppressions", "{inputs}/ledger.yaml"),
        (
            OutputOption("--output", _text("text")),
            OutputOption("--output-json", _text("json")),
            OutputOption("--output-sarif", _text("sarif")),
            OutputOption("--output-text", _text("text")),
        ),
        ("inputs/policy.json", "inputs/ledger.yaml"),
        program="program",
        sources=PROGRAM_SOURCES,
    ),
    Command(
        "audit",
        ("audit", "--cloud", "oci", "--policy-config", "{inputs}/policy.json", "--suppressions",
         "{inputs}/ledger.yaml", "--oci-config", "{inputs}/oci-config"),
        (
            OutputOption("--output", _text("text")),
            OutputOption("--output-json", _text("json")),
            OutputOption("--output-sarif", _text("sarif")),
            OutputOption("--output-markdown", _text("markdown")),
        ),
        ("inputs/policy.json", "inputs/ledger.yaml", "inputs/oci-config"),
    ),
    Command(
        "check --plan",
        ("check", "--plan", "{inputs}/plan.json", "--format", "json"),
        (OutputOption("--output", _text("json")), OutputOption("--output-sarif", _text("sarif"))),
        ("inputs/plan.json",),
    ),
    Command(
        "cost estimate",
        ("cost", "estimate", "--program", "{program}", "-s", "dev", "--usage", "{inputs}/usage.yaml",
         "--price-book", "{inputs}/book.json", "--format", "markdown"),
        (OutputOption("--output", _text("markdown")),),
        ("inputs/usage.yaml", "inputs/book.json"),
        program="program",
        sources=PROGRAM_SOURCES,
    ),
    Command(
        "cost diff",
        ("cost", "diff", "--program", "{program}", "--stack", "dev", "--base",
         "{inputs}/base.json", "--format", "json"),
        (OutputOption("--output", _text("json")),),
        ("inputs/base.json",),
        program="program",
        sources=PROGRAM_SOURCES,
    ),
    Command(
        "cost report",
        ("cost", "report", "--stack", "dev", "--program", "{project}", "--reports",
         "{inputs}/reports", "--focus", "{inputs}/focus.csv.gz", "--format", "csv",
         "--oci-config", "{inputs}/oci-config"),
        (
            OutputOption("--output", _text("csv")),
            OutputOption("--chart", _text("html") | _text("png")),
            OutputOption("--store", _text("duckdb")),
            OutputOption("--download-dir", folder=True),
        ),
        ("inputs/reports/0001.csv.gz", "inputs/focus.csv.gz", "inputs/oci-config"),
        ("inputs/reports",),
        program="project",
        sources=PROJECT_SOURCES,
    ),
    Command(
        "cost enforce",
        ("cost", "enforce", "--stack", "dev", "--program", "{project}", "--reports",
         "{inputs}/reports", "--oci-config", "{inputs}/oci-config"),
        (AUDIT, OutputOption("--store", _text("duckdb"))),
        ("inputs/reports/0001.csv.gz", "inputs/oci-config"),
        ("inputs/reports",),
        program="project",
        sources=PROJECT_SOURCES,
    ),
    Command(
        "cost enforce --spend",
        ("cost", "enforce", "--stack", "dev", "--program", "{project}", "--spend",
         "{inputs}/spend.json", "--oci-config", "{inputs}/oci-config"),
        (AUDIT,),
        ("inputs/spend.json", "inputs/oci-config"),
        program="project",
        sources=PROJECT_SOURCES,
    ),
    Command(
        "fleet status",
        ("fleet", "status", "--program", "{project}", "--oci-config", "{inputs}/oci-config"),
        (OutputOption("--html", _text("html")),),
        ("inputs/oci-config",),
        program="project",
        sources=PROJECT_SOURCES,
    ),
    Command(
        "fleet stop",
        ("fleet", "stop", "orders", "--program", "{project}", "--oci-config",
         "{inputs}/oci-config"),
        (AUDIT,),
        ("inputs/oci-config",),
        program="project",
        sources=PROJECT_SOURCES,
    ),
    Command(
        "layer build",
        ("layer", "build", "-r", "{inputs}/requirements.txt", "--runtime", "python3.12",
         "--find-links", "{inputs}/wheels", "--no-index"),
        (OutputOption("--output", _text("zip")), OutputOption("--cache-dir", folder=True)),
        ("inputs/requirements.txt", "inputs/wheels/requests-2.32.3-py3-none-any.whl"),
        ("inputs/wheels",),
    ),
    Command(
        "layer prune",
        ("layer", "prune", "--layer", "deps", "--keep", "2"),
        (AUDIT,),
    ),
)  # fmt: skip

BY_NAME = {c.name: c for c in COMMANDS}


def _fresh_name(option: OutputOption) -> str:
    if option.folder:
        return "fresh-folder"
    kinds = option.kinds
    suffix = next((s for s, k in SUFFIX_KINDS.items() if k in kinds), ".out") if kinds else ".out"
    return "fresh" + suffix


def _refused(
    capsys: pytest.CaptureFixture[str], world: World, argv: list[str], message: str
) -> None:
    """Exit 2, one line holding `message`, nothing changed, nothing created."""
    before = world.snapshot()
    code, out, err = run(capsys, argv)
    assert code == EXIT_ERROR, err
    line = error_line(err)
    assert message in line, line
    assert WORK not in line
    assert out == ""
    assert world.snapshot() == before
    assert world.outputs() == []


# --- issue 19, item 4: outputs onto inputs --------------------------------------------------

CLASHES = [
    ("check", "--output", "program/__main__.py", "is a source file of the program"),
    ("check", "--output", "program/Pulumi.yaml", "is a source file of the program"),
    ("check", "--output", "program/Pulumi.dev.yaml", "is a source file of the program"),
    ("check", "--output-json", "inputs/policy.json", "is also the policy config"),
    ("check --plan", "--output", "inputs/plan.json", "is also the plan file"),
    ("cost estimate", "--output", "inputs/usage.yaml", "is also the usage file"),
    ("cost estimate", "--output", "inputs/book.json", "is also the price book"),
    ("cost diff", "--output", "inputs/base.json", "is also the base estimate"),
    ("cost report", "--output", "inputs/focus.csv.gz", "is also the cost file"),
    ("cost report", "--store", "inputs/reports/0001.csv.gz", "the cost file folder"),
    ("cost report", "--store", "inputs/reports/s.duckdb", "the cost file folder"),
    ("cost report", "--chart", "inputs/reports/chart.html", "the cost file folder"),
    ("cost report", "--download-dir", "inputs/reports", "the cost file folder"),
    ("cost report", "--download-dir", "project", "holds the program"),
    ("fleet status", "--html", "project/stacks/Pulumi.dev.yaml", "is a source file of the program"),
    ("cost enforce --spend", "--audit-log", "inputs/spend.json", "is also the --spend report"),
    ("fleet stop", "--audit-log", "inputs/oci-config", "is also the OCI config file"),
    ("layer build", "--output", "inputs/wheels/requests-2.32.3-py3-none-any.whl", "--find-links"),
    ("layer build", "--output", "inputs/wheels/layer.zip", "the --find-links folder"),
    ("layer build", "--cache-dir", "inputs/wheels", "the --find-links folder"),
    ("layer build", "--output", "inputs/requirements.txt", "is also the requirements file"),
    ("layer build", "--output", "out/layer.whl", "a .whl name for the layer zip; use a .zip"),
    ("fleet status", "--html", "out/fleet.png", "a .png name for the HTML report; use a .html"),
]


@pytest.mark.parametrize(("name", "flag", "target", "message"), CLASHES)
def test_an_output_onto_an_input_is_refused(capsys, world, no_work, name, flag, target, message):
    command = BY_NAME[name]
    option = next(o for o in command.outputs if o.flag == flag)
    argv = [*command.args(world), flag, str(world.root / target), *option.extra]
    _refused(capsys, world, argv, message)


def test_check_with_a_clash_writes_no_error_report_either(capsys, world, no_work):
    """A refused output gets nothing, not even the JSON report carrying the error."""
    command = BY_NAME["check"]
    main_py = world.program / "__main__.py"
    argv = [*command.args(world), "--format", "json", "--output", str(main_py)]
    _refused(capsys, world, argv, "is a source file of the program")


def test_the_same_file_for_two_outputs_is_refused(capsys, world, no_work):
    target = world.out / "gate.json"
    argv = [*BY_NAME["check"].args(world), "--output-json", target, "--output-sarif", target]
    _refused(capsys, world, argv, "is also where --output-json writes")


def test_a_hard_link_to_an_input_is_the_input(capsys, world, no_work):
    link = world.root / "link.json"
    link.hardlink_to(world / "base.json")
    argv = [*BY_NAME["cost diff"].args(world), "--output", str(link)]
    _refused(capsys, world, argv, "is also the base estimate")


def test_a_symlink_to_a_program_file_is_the_program_file(capsys, world, no_work):
    link = world.root / "report.txt"
    link.symlink_to(world.program / "network.py")
    _refused(capsys, world, [*BY_NAME["check"].args(world), "--output", str(link)], "source")


# --- places that cannot be written, and folders nobody named --------------------------------

PLACES = [
    ("cost report", "--store", "/nonexistent/x.duckdb", "directory /nonexistent does not exist"),
    ("cost report", "--output", "out/missing/r.csv", "directory {root}/out/missing does not exist"),
    ("cost report", "--chart", "/proc/chart.html", "not writable"),
    ("cost report", "--chart", "out/burnup.txt", "a .txt name for the chart; use a .html or"),
    ("cost report", "--chart", "out/burnup", "use a .html or .png file name"),
    ("cost report", "--download-dir", "/proc/guardrails-downloads", "not writable"),
    ("cost report", "--download-dir", "inputs/book.json", "is a file; give a folder"),
    ("cost estimate", "--output", "/proc/estimate.md", "not writable"),
    ("cost estimate", "--output", "out", "is a directory; give a file name"),
    ("fleet status", "--html", "out/fleet.png", "a .png name for the HTML report; use a .html"),
    ("fleet stop", "--audit-log", "out/none/audit.jsonl", "does not exist (nothing is created"),
    ("layer build", "--output", "out/dist/layer.zip", "directory {root}/out/dist does not exist"),
]


@pytest.mark.parametrize(("name", "flag", "target", "message"), PLACES)
def test_an_output_that_cannot_be_written_is_refused_before_any_work(
    capsys, world, no_work, name, flag, target, message
):
    command = BY_NAME[name]
    option = next(o for o in command.outputs if o.flag == flag)
    path = target if target.startswith("/") else str(world.root / target)
    argv = [*command.args(world), flag, path, *option.extra]
    _refused(capsys, world, argv, message.format(root=world.root))
    assert not Path("/nonexistent").exists()


def test_a_read_only_report_is_not_replaced(capsys, world, no_work):
    report = world.out / "estimate.md"
    report.write_text("yesterday's estimate\n")
    report.chmod(0o444)
    before = report.read_text()
    code, _, err = run(capsys, [*BY_NAME["cost estimate"].args(world), "--output", str(report)])
    assert code == EXIT_ERROR
    if "not writable: the file is read-only" not in err:  # root may write anyway: then it
        assert WORK in err  # got to the work, which would have replaced it atomically
    assert report.read_text() == before


# --- issue 19, item 6: every input read through one place ------------------------------------

BINARY = b"\x89PNG\r\n\x1a\n\x00\xff\xfe"


@pytest.mark.parametrize(
    ("argv", "file", "message"),
    [
        (["cost", "estimate", "--program", "{program}", "-s", "dev", "--usage", "{file}"],
         "usage.yaml",
         "{file}: not UTF-8 text: byte 0x89 at line 1, column 1"),
        (["cost", "estimate", "--program", "{program}", "-s", "dev", "--price-book", "{file}"],
         "book.json",
         "{file}: not UTF-8 text: byte 0x89 at line 1, column 1"),
        (["cost", "prices", "--price-book", "{file}"], "book.json",
         "{file}: not UTF-8 text: byte 0x89 at line 1, column 1"),
        (["cost", "diff", "--program", "{program}", "--base", "{file}"], "base.json",
         "{file}: not UTF-8 text: byte 0x89 at line 1, column 1"),
        (["layer", "build", "-r", "{file}", "--runtime", "python3.12"], "requirements.txt",
         "{file}: not UTF-8 text: byte 0x89 at line 1, column 1"),
        (["check", "--plan", "{file}"], "plan.json",
         "{file}: not UTF-8 text: byte 0x89 at line 1, column 1"),
        (["cost", "enforce", "--stack", "dev", "--program", "{project}", "--spend", "{file}"],
         "spend.json", "{file}: not UTF-8 text: byte 0x89 at line 1, column 1"),
    ],
)  # fmt: skip
def test_a_binary_input_file_is_one_line(capsys, world, monkeypatch, argv, file, message):
    from guardrails.tooling.cost.estimate import run as estimate_run

    monkeypatch.setattr(estimate_run, "capture_program", _stop)
    monkeypatch.setattr("guardrails.runtime.layer_builder.build.build_layer", _stop)
    monkeypatch.setattr("guardrails.tooling.gate.core.PolicyPackProcess", _NoPack)
    target = world / file
    target.write_bytes(BINARY)
    args = [a.format(program=world.program, project=world.project, file=target) for a in argv]
    if args[:2] == ["cost", "enforce"]:
        monkeypatch.setattr("guardrails.tooling.cost.enforce.run.credentials", _stop)
    _refused(capsys, world, args, message.format(file=target))


class _NoPack:
    """Stands in for the policy pack process: plan cases stop when the plan is read."""

    def __init__(self, *_args: object) -> None: ...

    def start(self) -> None: ...

    def close(self) -> None: ...


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 5000 + "]" * 5000, "not valid JSON: nested deeper than 100 levels (line 1, column 101)"),
        ('{"format_version": "1.2", "planned_values": NaN}',
         "not valid JSON: NaN is not a number JSON allows (line 1, column 45)"),
        ('{"planned_values": {"root_module": {"resources": [{"values": {"size": 1e999}}]}}}',
         "not valid JSON: number 1e999 is too large (line 1, column 71)"),
        ('{"planned_values": {}, "planned_values": {}}',
         "not valid JSON: key 'planned_values' is given twice in one object (line 1, column 24)"),
    ],
    ids=["5000-deep", "nan", "1e999", "duplicated-key"],
)  # fmt: skip
def test_a_plan_the_gate_cannot_carry_is_refused_before_grpc(
    capsys, world, monkeypatch, content, message
):
    monkeypatch.setattr("guardrails.tooling.gate.core.PolicyPackProcess", _NoPack)
    plan = world / "plan.json"
    plan.write_text(content)
    report = world.out / "gate.json"
    before = world.snapshot()
    code, _out, err = run(capsys, ["check", "--plan", plan, "--format", "json", "-o", report])
    assert code == EXIT_ERROR
    assert error_line(err) == f"error: {plan}: {message}"
    assert world.snapshot() == before
    assert json.loads(report.read_text())["error"]["message"] == f"{plan}: {message}"


def test_duplicated_keys_in_a_usage_file_are_refused(capsys, world, monkeypatch):
    from guardrails.tooling.cost.estimate import run as estimate_run

    monkeypatch.setattr(estimate_run, "capture_program", _stop)
    usage = world / "usage.yaml"
    usage.write_text("bucket:\n  storageGb: 10\n  storageGb: 1000\n")
    argv = ["cost", "estimate", "--program", world.program, "-s", "dev", "--usage", usage]
    _refused(
        capsys,
        world,
        argv,
        f"{usage}: not valid YAML: key 'storageGb' is given twice in one mapping "
        "(line 3, column 3)",
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("not an ini file\n", "not a valid OCI config file: line 1 is outside a [section]"),
        (
            "[DEFAULT]\nuser=a\nuser=b\n",
            "not a valid OCI config file: 'user' is given twice in [DEFAULT] (line 3)",
        ),
        (BINARY, "not UTF-8 text: byte 0x89 at line 1, column 1"),
    ],
    ids=["not-ini", "key-twice", "binary"],
)
def test_an_oci_config_that_is_not_ini_is_one_line(capsys, world, monkeypatch, config, message):
    home = world.root / "home"
    (home / ".oci").mkdir(parents=True)
    path = home / ".oci" / "config"
    path.write_bytes(config if isinstance(config, bytes) else config.encode())
    monkeypatch.setenv("HOME", str(home))
    for argv in (
        ["fleet", "status", "--program", world.project],
        ["cost", "report", "--source", "usage-api", "--store", world.out / "s.duckdb"],
    ):
        _refused(capsys, world, argv, f"{path}: {message}")


@pytest.mark.parametrize(
    "argv",
    [
        ["cost", "report", "--month", "0001-01"],
        ["cost", "enforce", "--stack", "dev", "--program", "{project}", "--month", "0001-01"],
    ],
)
def test_month_one_of_year_one_is_refused(capsys, world, monkeypatch, argv):
    monkeypatch.setattr("guardrails.tooling.cost.enforce.run.credentials", _stop)
    monkeypatch.setattr("guardrails.tooling.cost.spend.build.build_report", _stop)
    args = [a.format(project=world.project) for a in argv]
    _refused(
        capsys,
        world,
        [*args, "--store", str(world.out / "s.duckdb")],
        "--month 0001-01: before 2000-01; there is no cloud spend to report that early",
    )


# --- issue 19, item 7: accepted silently no more ----------------------------------------------


def test_cost_diff_against_another_stacks_estimate(capsys, world, no_work):
    (world / "base.json").write_text(json.dumps(_estimate("plain-oci", "prod")))
    argv = [*BY_NAME["cost diff"].args(world)]
    _refused(capsys, world, argv, "an estimate of plain-oci/prod, not of plain-oci/dev")


def test_cost_diff_against_an_estimate_in_another_currency(capsys, world, no_work):
    (world / "base.json").write_text(json.dumps(_estimate("plain-oci", "dev", "EUR")))
    _refused(capsys, world, BY_NAME["cost diff"].args(world), "amounts in EUR, the price book")


@pytest.mark.parametrize("command", [["cost", "estimate"], ["cost", "prices"]])
def test_a_price_book_of_another_provider(capsys, world, monkeypatch, command):
    from guardrails.tooling.cost.estimate import run as estimate_run

    monkeypatch.setattr(estimate_run, "capture_program", _stop)
    book = world / "book.json"
    shutil.copy(ROOT / "policies" / "pricing" / "data" / "aws_prices.json", book)
    extra = ["--program", str(world.program), "-s", "dev"] if command[1] == "estimate" else []
    _refused(
        capsys,
        world,
        [*command, *extra, "--price-book", str(book)],
        f"--price-book {book}: a price book of provider 'aws'; give an OCI price book",
    )


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "1e12", "soon"])
def test_a_timeout_that_is_no_number_of_seconds(capsys, world, no_work, value):
    before = world.snapshot()
    with pytest.raises(SystemExit) as info:
        main(["fleet", "scale", "orders", "--ecpu", "4", "--timeout", value])
    err = capsys.readouterr().err
    assert info.value.code == EXIT_ERROR
    assert err.startswith(
        "error: guardrails fleet scale: argument --timeout: must be a number of seconds > 0 "
        "<= 604800 (got "
    )
    assert err.count("\n") == 1
    assert world.snapshot() == before


@pytest.mark.parametrize("value", ["0.001", "3600", "604800"])
def test_a_timeout_within_bounds_is_taken(value):
    from guardrails.tooling.cli import _build_parser

    args = _build_parser().parse_args(["fleet", "scale", "orders", "--timeout", value])
    assert args.timeout == float(value)


# --- exit codes: 130 for Ctrl-C in every command, whatever a library makes of it -------------

LEAF_COMMANDS = [c.name.split(" --")[0] for c in COMMANDS] + [
    "preview",
    "cost prices",
    "cost load",
    "cost unfreeze",
    "cost store list",
    "cost store check",
    "cost store forget",
    "fleet scale",
    "fleet backup",
    "fleet clone",
    "fleet start",
    "fleet retire",
    "layer usage",
    "layer share",
    "layer unshare",
    "layer rollout",
]


def _leaves() -> Iterator[str]:
    import argparse

    from guardrails.tooling.cli import _build_parser

    todo = [("", _build_parser())]
    while todo:
        name, parser = todo.pop()
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            yield name.strip()
        for action in subs:
            todo += [(f"{name} {n}", p) for n, p in action.choices.items()]


def test_the_list_of_commands_is_complete():
    assert sorted(set(LEAF_COMMANDS)) == sorted(_leaves())


@pytest.mark.parametrize("how", ["KeyboardInterrupt", "a library's own exception"])
@pytest.mark.parametrize("command", sorted(set(LEAF_COMMANDS)))
def test_ctrl_c_is_130_in_every_command(capsys, monkeypatch, command, how):
    import os
    import signal

    from guardrails.tooling import cli

    def interrupted(*_args: object) -> int:
        if how == "KeyboardInterrupt":
            raise KeyboardInterrupt
        try:
            os.kill(os.getpid(), signal.SIGINT)  # the handler main installed runs here
        except KeyboardInterrupt:
            raise RuntimeError("INTERRUPT Error: interrupted!") from None  # as DuckDB does
        raise AssertionError("SIGINT did not interrupt")

    build = cli._build_parser

    def parser() -> object:
        real = build()
        parse = real.parse_args

        def parse_args(argv: object = None) -> object:
            args = parse(argv)
            args.run = interrupted
            return args

        real.parse_args = parse_args  # type: ignore[method-assign]
        return real

    monkeypatch.setattr(cli, "_build_parser", parser)
    required = {
        "layer build": ["x==1", "--runtime", "python3.12"],
        "layer prune": ["--layer", "x", "--keep", "1"],
        "layer share": ["--layer-arn", "a"],
        "layer unshare": ["--layer-arn", "a"],
        "layer rollout": ["--layer-arn", "a", "--functions", "f", "--percent", "5",
                          "--alarm", "x"],
        "cost enforce": ["--stack", "dev"],
        "cost unfreeze": ["--stack", "dev"],
        "cost diff": ["--base", "HEAD"],
        "fleet clone": ["orders", "--name", "X"],
        "cost store forget": ["--month", "2026-09"],
        "audit": ["--cloud", "oci"],
        "cost load": ["--into", "t"],
    }  # fmt: skip
    words = command.split()
    extra = required.get(command, [])
    if words[0] == "fleet" and words[1] != "status" and not extra:
        extra = ["orders"]
    code = main([*words, *extra])
    out, err = capsys.readouterr()
    assert code == EXIT_INTERRUPTED, err
    assert err == "interrupted\n" and out == ""


# --- help: defaults once, an example everywhere, one name per option ---------------------------


def _parsers() -> Iterator[tuple[str, object]]:
    import argparse

    from guardrails.tooling.cli import _build_parser

    todo = [("guardrails", _build_parser())]
    while todo:
        name, parser = todo.pop()
        yield name, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [(f"{name} {n}", p) for n, p in action.choices.items()]


def test_every_help_says_each_default_once_and_shows_an_example():
    for name, parser in _parsers():
        text = parser.format_help()  # type: ignore[attr-defined]
        assert "example:" in text or "examples:" in text, name
        assert "  3    internal error" in text, name
        formatter = parser.formatter_class("x")  # type: ignore[attr-defined]
        for action in parser._actions:  # type: ignore[attr-defined]
            shown = (formatter._get_help_string(action) or "").replace("%(default)s", "X")
            assert shown.count("default") <= 1, f"{name} {action.option_strings}: {shown}"
        assert "(default: dev) (default: dev)" not in " ".join(text.split())


def test_one_name_per_option_across_commands():
    """An option string means one thing wherever it appears (same destination, same help),
    and the only hidden options are the fleet commands' deprecated aliases."""
    import argparse

    meaning: dict[str, tuple[str, str]] = {}
    access = {
        "--profile", "--oci-config", "--auth", "--endpoint-url", "--aws-profile",
        "--aws-region", "--aws-endpoint-url",
    }  # fmt: skip
    for name, parser in _parsers():
        for action in parser._actions:  # type: ignore[attr-defined]
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            for option in action.option_strings:
                if action.help == argparse.SUPPRESS:
                    assert option in ("--config-file", "--endpoint", "--instance-principal"), (
                        f"{name}: hidden option {option}"
                    )
                    continue
                seen = meaning.setdefault(option, (action.dest, action.help or ""))
                assert seen[0] == action.dest, f"{name} {option}: {action.dest} vs {seen[0]}"
                if option in access:
                    assert seen[1] == action.help, f"{name} {option}"
    for old in ("--config-file", "--instance-principal", "--endpoint"):
        assert old not in meaning  # hidden everywhere


def test_tables_never_cut_ids_or_amounts_in_a_narrow_log():
    import io

    from rich.console import Console

    from guardrails.tooling.console import print_table

    ocid = "ocid1.autonomousdatabase.oc1.eu-frankfurt-1." + "a" * 60
    rows = [{"database": ocid, "state": "AVAILABLE", "per month": "-$12,345.67", "why": "x " * 40}]
    for width in (40, 80, 200):
        buffer = io.StringIO()
        print_table(
            rows,
            ("database", "state", "per month", "why"),
            Console(file=buffer, width=width, color_system=None),
            title="fleet",
            wrap=("why",),
        )
        text = buffer.getvalue()
        assert ocid in text and "-$12,345.67" in text, text
        assert "…" not in text


# --- the property: every output option against the command's own inputs ---------------------

TARGETS = ("input file", "program source", "inside input folder", "missing parent",
           "directory", "wrong suffix", "fresh")  # fmt: skip


def _target(world: World, command: Command, option: OutputOption, kind: str, pick: int) -> Path:
    if kind == "input file":
        return world.root / command.input_files[pick % len(command.input_files)]
    if kind == "program source":
        return world.root / command.sources[pick % len(command.sources)]
    if kind == "inside input folder":
        folder = world.root / command.input_folders[pick % len(command.input_folders)]
        return folder / _fresh_name(option)
    if kind == "missing parent":
        return world.out / "missing" / _fresh_name(option)
    if kind == "directory":
        return world.out
    if kind == "wrong suffix":
        wrong = [s for s, k in SUFFIX_KINDS.items() if k not in option.kinds]
        return world.out / f"report{wrong[pick % len(wrong)]}"
    return world.out / _fresh_name(option)


def _applies(command: Command, option: OutputOption, kind: str) -> bool:
    return {
        "input file": bool(command.input_files),
        "program source": bool(command.sources),
        "inside input folder": bool(command.input_folders),
        "wrong suffix": bool(option.kinds),
    }.get(kind, True)


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("property") / "world")


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    command=st.sampled_from(COMMANDS),
    which=st.integers(min_value=0, max_value=10),
    kind=st.sampled_from(TARGETS),
    pick=st.integers(min_value=0, max_value=50),
)
def test_every_output_option_against_its_commands_inputs(
    capsys, shared_world, command, which, kind, pick
):
    """A target that is an input, a program source, inside an input folder, under a missing
    folder, a folder (for a file) or of another format is refused with one line naming the
    option, and nothing changes; a fresh place gets past the guard to the work."""
    world = shared_world
    option = command.outputs[which % len(command.outputs)]
    if not _applies(command, option, kind):
        return
    target = _target(world, command, option, kind, pick)
    legit = kind == "fresh" or (kind == "directory" and option.folder)
    argv = [*command.args(world), option.flag, str(target), *option.extra]
    before = world.snapshot()
    with pytest.MonkeyPatch.context() as patch:
        _patch_work(patch)
        patch.setattr("guardrails.tooling.gate.core.PolicyPackProcess", _NoPack)
        code, _out, err = run(capsys, argv)
    try:
        assert code == EXIT_ERROR, err
        line = error_line(err)
        assert world.snapshot() == before, f"{argv} changed an input"
        if legit:
            assert line == f"error: {WORK}", (argv, line)
        else:
            assert line.startswith(f"error: {option.flag} {target}: "), (argv, line)
            assert world.outputs() == [], (argv, world.outputs())
    finally:
        world.clear_out()
