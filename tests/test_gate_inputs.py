"""Bad input to `guardrails check|preview|layer`: each a one-line error, exit 2, nothing
written; plus random bytes and random YAML/JSON shapes in every file the CLI reads."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli import main
from guardrails.tooling.cli_support import EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED
from guardrails.tooling.gate import core, program_gate
from guardrails.tooling.program import preview
from tests.conftest import FIXTURES

PLAIN = FIXTURES / "plain_oci"
STOP = "stopped before the program ran (test)"


class _NoPack:
    """Stands in for the policy pack process: these tests stop before it is used."""

    def __init__(self, *_args: object) -> None: ...

    def start(self) -> None: ...

    def close(self) -> None: ...


def _stop(*_args: object, **_kwargs: object) -> None:
    raise GuardrailsError(STOP)


@pytest.fixture
def no_program(monkeypatch):
    """Inputs are read and checked for real; the program itself is never run."""
    monkeypatch.setattr(program_gate, "capture", _stop)
    monkeypatch.setattr(core, "PolicyPackProcess", _NoPack)
    monkeypatch.setattr(preview, "capture", _stop)


@pytest.fixture
def program(tmp_path) -> Path:
    """A copy of the plain_oci fixture to break."""
    target = tmp_path / "program"
    shutil.copytree(PLAIN, target)
    return target


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _error_line(err: str) -> str:
    """The one `error:` line (a line saying which inputs were used may come before it)."""
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err, err
    return lines[0]


# --- files that are not UTF-8, impossible dates ---------------------------------------------


def test_stack_file_with_a_byte_that_is_not_utf8(capsys, program, tmp_path, no_program):
    stack = program / "Pulumi.dev.yaml"
    stack.write_bytes(stack.read_bytes().replace(b"subnetCount", b"subnet\xffCount"))
    report = tmp_path / "report.json"
    for command in (["preview"], ["check", "--format", "json", "--output", str(report)]):
        code, out, err = _run(capsys, *command, "--program", str(program))
        assert code == EXIT_ERROR
        assert _error_line(err) == f"error: {stack}: not UTF-8 text: byte 0xff at line 3, column 19"
        assert out == ""
    assert json.loads(report.read_text())["error"]["message"].endswith(
        "byte 0xff at line 3, column 19"
    )


def test_policy_config_with_a_byte_that_is_not_utf8(capsys, tmp_path, no_program):
    config = tmp_path / "policy.json"
    config.write_bytes(b'{"all": "mandatory\xe9"}')
    code, out, err = _run(capsys, "check", "--program", str(PLAIN), "--policy-config", str(config))
    assert code == EXIT_ERROR and out == ""
    assert _error_line(err) == f"error: {config}: not UTF-8 text: byte 0xe9 at line 1, column 19"


def test_ledger_with_a_byte_that_is_not_utf8(capsys, tmp_path, no_program):
    ledger = tmp_path / "ledger.yaml"
    ledger.write_bytes(b"suppressions: []\n# caf\xe9\n")
    report = tmp_path / "report.txt"
    code, out, err = _run(
        capsys, "check", "--program", str(PLAIN), "--suppressions", str(ledger),
        "--output", str(report),
    )  # fmt: skip
    assert code == EXIT_ERROR and out == "" and not report.exists()
    assert _error_line(err) == f"error: {ledger}: not UTF-8 text: byte 0xe9 at line 2, column 6"


def test_impossible_date_in_a_stack_file(capsys, program, no_program):
    stack = program / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text() + "  plain-oci:reviewBy: 2027-02-30\n")
    code, out, err = _run(capsys, "preview", "--program", str(program))
    assert code == EXIT_ERROR and out == ""
    assert _error_line(err) == (
        f"error: {stack}: not valid YAML: '2027-02-30' is not a valid date "
        "(day is out of range for month) (line 6, column 23)"
    )


def test_a_valid_date_in_a_stack_file_is_passed_as_written(program):
    from guardrails.tooling.project import load_project, load_stack_settings

    stack = program / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text() + "  plain-oci:reviewBy: 2027-02-28\n")
    settings = load_stack_settings(load_project(program), "dev")
    assert settings.config["plain-oci:reviewBy"] == "2027-02-28"


def test_impossible_date_in_a_ledger(capsys, tmp_path, no_program):
    ledger = tmp_path / "ledger.yaml"
    ledger.write_text(
        "suppressions:\n- rule: oci-tagging-resource-required-tags\n"
        "  resource: 'urn:pulumi:*'\n  reason: accepted for a while\n  expires: 2027-02-30\n"
    )
    code, out, err = _run(capsys, "check", "--program", str(PLAIN), "--suppressions", str(ledger))
    assert code == EXIT_ERROR and out == ""
    assert "'2027-02-30' is not a valid date (day is out of range for month) (line 5" in (
        _error_line(err)
    )


# --- where reports go: checked before the program runs --------------------------------------


@pytest.fixture
def gate_calls(monkeypatch) -> list[object]:
    calls: list[object] = []
    monkeypatch.setattr(program_gate, "run_gate", lambda *a, **k: calls.append(a))
    return calls


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("missing/report.txt", "directory {tmp}/missing does not exist"),
        (".", "is a directory; give a file name for the text report"),
        ("file.txt/report.txt", "{tmp}/file.txt is a file, not a directory"),
        ("/proc/report.txt", "not writable"),
    ],
    ids=["missing-dir", "a-dir", "under-a-file", "unwritable"],
)
def test_output_that_cannot_be_written(capsys, tmp_path, gate_calls, output, message):
    (tmp_path / "file.txt").write_text("x")
    target = output if output.startswith("/") else str(tmp_path / output)
    code, out, err = _run(capsys, "check", "--program", str(PLAIN), "--output", target)
    assert code == EXIT_ERROR and out == ""
    assert message.format(tmp=tmp_path) in _error_line(err)
    assert gate_calls == []  # refused before the program ran
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


@pytest.mark.parametrize(
    ("output", "message"),
    [(".", "is a directory; give a file name for the layer zip"), ("f.txt/x.zip", "is a file")],
    ids=["a-dir", "under-a-file"],
)
def test_layer_build_output_that_cannot_be_written(capsys, tmp_path, output, message):
    (tmp_path / "f.txt").write_text("x")
    target = str(tmp_path / output)
    code, out, err = _run(
        capsys, "layer", "build", "requests==2.32.3", "--runtime", "python3.12",
        "--output", target, "--no-index",
    )  # fmt: skip
    assert code == EXIT_ERROR and out == ""
    assert message in _error_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


# --- policy settings, to their full depth -----------------------------------------------------

BUDGET_RULE = "oci-budget-costcenter-estimate-within-budget"

BAD_SETTINGS = [
    (
        {"oci-tagging-resource-allowed-values": {"allowedValues": {"environment": "prod"}}},
        "oci-tagging-resource-allowed-values.allowedValues.environment: 'prod' is not of type "
        "'array'",
    ),
    (
        {"oci-database-adb-backup-retention": {"minimumDays": -5}},
        "oci-database-adb-backup-retention.minimumDays: -5 is less than the minimum of 1",
    ),
    (
        {"oci-database-adb-backup-retention": {"minimumDays": 0}},
        "oci-database-adb-backup-retention.minimumDays: 0 is less than the minimum of 1",
    ),
    (
        {"oci-database-adb-backup-retention": {"minimumDays": 7.5}},
        "minimumDays: 7.5 is not of type 'integer'",
    ),
    (
        {"all": {"enforcementLevel": "advisory", "minimumDays": 3}},
        "all: unknown keys minimumDays (only enforcementLevel applies to every policy)",
    ),
    (
        {"oci-tagging-resource-required-tags": {"requiredKeys": ["cost_center", ""]}},
        "oci-tagging-resource-required-tags.requiredKeys[1]: '' should be non-empty",
    ),
    (
        {"oci-tagging-resource-required-tags": {"namespace": ""}},
        "oci-tagging-resource-required-tags.namespace: '' should be non-empty",
    ),
    (
        {"oci-tagging-resource-required-tags": {"defaultValues": {"environment": ["dev"]}}},
        "defaultValues.environment: ['dev'] is not of type 'string'",
    ),
    (
        {"oci-tagging-resource-required-tags": {"requiredkeys": ["cost_center"]}},
        "oci-tagging-resource-required-tags: unknown property 'requiredkeys' (known: "
        "allowedValues, defaultValues, exemptTypes, namespace, requiredKeys)",
    ),
    (
        {BUDGET_RULE: {"share": -5}},
        f"{BUDGET_RULE}.share: -5 is less than or equal to the minimum of 0",
    ),
    (
        {BUDGET_RULE: {"share": 0}},
        f"{BUDGET_RULE}.share: 0 is less than or equal to the minimum of 0",
    ),
    ({BUDGET_RULE: {"share": "50"}}, f"{BUDGET_RULE}.share: '50' is not of type 'number'"),
]


@pytest.mark.parametrize(("doc", "message"), BAD_SETTINGS, ids=[m[:40] for _, m in BAD_SETTINGS])
def test_policy_settings_are_checked_to_full_depth(capsys, tmp_path, no_program, doc, message):
    config = tmp_path / "policy.json"
    config.write_text(json.dumps(doc))
    code, out, err = _run(capsys, "check", "--program", str(PLAIN), "--policy-config", str(config))
    assert code == EXIT_ERROR and out == ""
    assert message in _error_line(err)  # refused before the program ran (else: STOP)


# --- layer rollout numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--bake-seconds", "-1", "--bake-seconds must be a number of seconds >= 0 (got -1.0)"),
        ("--bake-seconds", "nan", "--bake-seconds must be a number of seconds >= 0 (got nan)"),
        ("--percent", "nan", "--percent must be > 0 and <= 100 (got nan)"),
    ],
)
def test_rollout_refuses_numbers_that_skip_the_alarm_guard(
    capsys, monkeypatch, flag, value, message
):
    from guardrails.tooling.layer_ops import commands

    monkeypatch.setattr(commands, "_operations", lambda *a: pytest.fail("AWS was called"))
    args = {"--bake-seconds": "10", "--percent": "50", flag: value}
    code, out, err = _run(
        capsys, "layer", "rollout",
        "--layer-arn", "arn:aws:lambda:eu-west-1:123456789012:layer:deps:3",
        "--functions", "f1", "--alarm", "errors", "--apply",
        *[x for k, v in args.items() for x in (k, v)],
    )  # fmt: skip
    assert code == EXIT_ERROR and out == ""
    assert _error_line(err) == f"error: {message}"


# --- the exit codes themselves ----------------------------------------------------------------


def test_ctrl_c_is_130_with_a_short_message(capsys, monkeypatch):
    def interrupted(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(preview, "capture", interrupted)
    code, out, err = _run(capsys, "preview", "--program", str(PLAIN))
    assert code == EXIT_INTERRUPTED
    assert err == "interrupted\n" and out == ""


def test_an_internal_error_is_3_with_the_trace_in_a_file(capsys, monkeypatch):
    def broken(*_a: object, **_k: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(preview, "capture", broken)
    code, out, err = _run(capsys, "preview", "--program", str(PLAIN))
    assert code == EXIT_INTERNAL and out == ""
    assert err.startswith("internal error: ZeroDivisionError: division by zero (a bug in")
    assert "Traceback" not in err and err.count("\n") == 1
    trace = Path(err.rsplit("full trace in ", 1)[1].rstrip(")\n"))
    assert "ZeroDivisionError: division by zero" in trace.read_text()
    trace.unlink()


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("guardrails 0.")


def _parsers():
    import argparse

    from guardrails.tooling.cli import _build_parser

    todo = [("guardrails", _build_parser())]
    while todo:
        name, parser = todo.pop()
        yield name, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [(f"{name} {n}", p) for n, p in action.choices.items()]


def test_every_command_documents_options_defaults_and_exit_codes():
    import argparse

    for name, parser in _parsers():
        text = parser.format_help()
        assert parser.description, name
        assert "exit codes:" in text and "  2    bad input" in text, name
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            if isinstance(action, argparse._VersionAction):
                continue
            assert action.help, f"{name} {action.option_strings or action.dest}: no help line"
            if action.default not in (None, False, [], argparse.SUPPRESS) and action.option_strings:
                assert "default" in (action.help or "") or "%(default)" in parser.formatter_class(
                    "x"
                )._get_help_string(action), f"{name} {action.option_strings}: default not shown"


# --- random input in every file the CLI reads -------------------------------------------------

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
_SHAPES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_CONTENT = st.one_of(
    st.binary(max_size=64),
    _SHAPES.map(lambda v: yaml.safe_dump(v).encode()),
    _SHAPES.map(lambda v: json.dumps(v).encode()),
    # near misses: the right top-level keys with random shapes under them
    _SHAPES.map(lambda v: yaml.safe_dump({"config": v}).encode()),
    _SHAPES.map(lambda v: yaml.safe_dump({"suppressions": v}).encode()),
    _SHAPES.map(lambda v: json.dumps({"oci-tagging-resource-allowed-values": v}).encode()),
    _SHAPES.map(lambda v: yaml.safe_dump({"name": "p", "runtime": v}).encode()),
)
_FILES = ["Pulumi.yaml", "Pulumi.dev.yaml", "policy.json", "ledger.yaml", "guardrails-mocks.yaml"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(which=st.sampled_from(_FILES), content=_CONTENT)
def test_random_files_end_in_exit_2_with_one_line(capsys, tmp_path_factory, which, content):
    program = tmp_path_factory.mktemp("random")
    shutil.copytree(PLAIN, program, dirs_exist_ok=True)
    target = program / which
    target.write_bytes(content)
    args = ["check", "--program", str(program), "--format", "json"]
    if which == "policy.json":
        args += ["--policy-config", str(target)]
    if which == "ledger.yaml":
        args += ["--suppressions", str(target)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(program_gate, "capture", _stop)
        patch.setattr(core, "PolicyPackProcess", _NoPack)
        code = main(args)
    out, err = capsys.readouterr()
    assert code == EXIT_ERROR, err
    line = _error_line(err)
    assert "\n" not in line and len(line) < 2000
    report = json.loads(out)  # a report in the requested format, with the error
    assert report["error"]["message"] == line.removeprefix("error: ")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_number_that_is_not_finite_is_refused(value):
    from guardrails.tooling.gate.policy_config import parse_policy_config

    with pytest.raises(GuardrailsError, match=r"share: must be a finite number$"):
        parse_policy_config({BUDGET_RULE: {"share": value}})


@pytest.mark.parametrize("share", [0.001, 1, 100, 250.5])
def test_a_positive_share_is_accepted(share):
    from guardrails.tooling.gate.policy_config import parse_policy_config

    assert parse_policy_config({BUDGET_RULE: {"share": share}})[BUDGET_RULE] == (
        "advisory",
        {"share": share},
    )


def test_nan_in_a_policy_config_file_is_refused_with_its_place(capsys, tmp_path, no_program):
    config = tmp_path / "policy.json"
    config.write_text('{"' + BUDGET_RULE + '": {\n  "share": NaN}}')
    before = config.read_bytes()
    code, out, err = _run(capsys, "check", "--program", str(PLAIN), "--policy-config", str(config))
    assert code == EXIT_ERROR and out == ""
    assert _error_line(err) == (
        f"error: {config}: not valid JSON: NaN is not a number JSON allows (line 2, column 12)"
    )
    assert config.read_bytes() == before


def test_an_internal_error_in_check_still_writes_the_requested_report(
    capsys, tmp_path, monkeypatch
):
    def broken(*_a: object, **_k: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(program_gate, "capture", broken)
    monkeypatch.setattr(core, "PolicyPackProcess", _NoPack)
    output = tmp_path / "gate.sarif"
    code, out, err = _run(
        capsys, "check", "--program", str(PLAIN), "--format", "sarif", "--output", str(output)
    )
    assert code == EXIT_INTERNAL and out == ""
    assert "internal error: ZeroDivisionError" in err
    run = json.loads(output.read_text())["runs"][0]
    assert run["invocations"][0] == {
        "executionSuccessful": False,
        "exitCode": EXIT_INTERNAL,
        "toolExecutionNotifications": [{"level": "error", "message": {"text": "division by zero"}}],
    }
    Path(err.rsplit("full trace in ", 1)[1].rstrip(")\n")).unlink()


def test_preview_json_carries_the_error(capsys, program, no_program):
    code, out, err = _run(capsys, "preview", "--program", str(program), "--json")
    assert code == EXIT_ERROR
    assert json.loads(out) == {"error": {"type": "GuardrailsError", "message": STOP}}
    assert _error_line(err) == f"error: {STOP}"


def test_a_program_folder_too_large_to_copy_is_refused(capsys, program, monkeypatch):
    monkeypatch.setattr(preview, "MAX_COPIED_FILES", 3)
    code, out, err = _run(capsys, "preview", "--program", str(program))
    assert code == EXIT_ERROR and out == ""
    assert _error_line(err).startswith(f"error: {program}: over 3 files; the preview runs a copy")
