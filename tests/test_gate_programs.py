"""The gate and the preview on programs we did not write: data-source answers from a mocks
file, no side effects, values computed at create time unknown, what the program says, where
findings point, remediation, reports when the gate could not decide, Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli import main
from guardrails.tooling.gate.diagnostics import to_findings
from guardrails.tooling.gate.findings import Finding, GateResult
from guardrails.tooling.gate.pack import PACK_DIR, PolicyPackProcess
from guardrails.tooling.gate.policy_config import parse_policy_config
from guardrails.tooling.gate.report import render_text
from guardrails.tooling.program.preview import capture_program
from guardrails.tooling.program.record import UNKNOWN, Capture, SourceLocation
from tests.conftest import FIXTURES, ROOT, ocid
from tests.gating import analyze
from tests.policy_cases import ADB, adb, res

OKE = FIXTURES / "oke"
NOISY = FIXTURES / "noisy"
FLAWED = FIXTURES / "flawed"

pytestmark = pytest.mark.subprocess


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _without_mocks(tmp_path: Path) -> Path:
    program = tmp_path / "oke"
    shutil.copytree(OKE, program, ignore=shutil.ignore_patterns("guardrails-mocks.yaml"))
    return program


# --- data sources from a mocks file -----------------------------------------------------------


def test_oke_program_runs_with_its_mocks_file_and_writes_nothing_of_the_users(capsys):
    original = (OKE / "cluster-name.txt").read_bytes()
    assert main(["preview", "--program", str(OKE), "--json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert f"data-source answers: {OKE / 'guardrails-mocks.yaml'}" in err
    by_name = {r["name"]: r for r in doc["resources"]}
    assert {r["type"] for r in doc["resources"]} >= {
        "oci:Core/vcn:Vcn",
        "oci:Core/subnet:Subnet",
        "oci:Core/securityList:SecurityList",
        "oci:ContainerEngine/cluster:Cluster",
        "oci:ContainerEngine/nodePool:NodePool",
    }
    pool = by_name["oke-workers"]["inputs"]
    assert pool["nodeSourceDetails"]["imageId"].endswith("oke-1-30-1")  # from the mocks file
    assert [p["availabilityDomain"] for p in pool["nodeConfigDetails"]["placementConfigs"]] == [
        "Uocm:EU-FRANKFURT-1-AD-1",
        "Uocm:EU-FRANKFURT-1-AD-2",
    ]
    # narrowed by the call's arguments: the Oracle Linux entry, not the catch-all
    assert doc["outputs"]["ol8Images"] == 1
    assert {i["answer"] for i in doc["invokes"]} == {"mocks"}
    # computed at create time: unknown, as in `pulumi preview`; the program's inputs known
    assert pool["clusterId"] == UNKNOWN and pool["name"] == "workers"
    assert doc["outputs"]["clusterId"] == UNKNOWN
    # the apply on the cluster's (known) name ran, in the temporary copy
    assert (OKE / "cluster-name.txt").read_bytes() == original


def test_without_mocks_the_error_names_the_placeholder_data_sources(capsys, tmp_path):
    program = _without_mocks(tmp_path)
    assert main(["preview", "--program", str(program)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    first = err.splitlines()[0]
    assert first.startswith(
        f"error: the program raised ValueError at __main__.py:{line_of(OKE / '__main__.py', 'raise ValueError')}: "
        "no node image for Kubernetes v1.30.1 in the node pool options (data sources answered "
        "with placeholders: oci:ContainerEngine/getNodePoolOption:getNodePoolOption, "
        "oci:Identity/getAvailabilityDomains:getAvailabilityDomains; give real answers in "
        "guardrails-mocks.yaml next to Pulumi.yaml (or --mocks FILE)"
    ), first


def test_a_wrong_field_in_the_mocks_file_is_named(capsys, tmp_path):
    program = _without_mocks(tmp_path)
    mocks = tmp_path / "answers.json"
    mocks.write_text(
        json.dumps(
            {
                "oci:ContainerEngine/getNodePoolOption:getNodePoolOption": {
                    "sources": [{"imageId": "ocid1.image.oc1..x", "name": "OKE-1.30.1"}]
                }
            }
        )
    )
    assert main(["preview", "--program", str(program), "--mocks", str(mocks)]) == 2
    err = capsys.readouterr().err.split("\nerror: ", 1)[1]
    assert err.startswith(
        f"{mocks}: oci:ContainerEngine/getNodePoolOption:getNodePoolOption.sources[0]: "
        "unknown field 'name' (fields: imageId, sourceName, sourceType)"
    ), err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "mocks.yaml: must be a mapping (got [1, 2]) (line 1, column 1)"),
        (
            "getImages: {}",
            "mocks.yaml: getImages: is not a function token such as oci:Core/getImages:getImages",
        ),
        (
            "oci:Core/getImages:getImages: [{when: {}}]",
            "mocks.yaml: oci:Core/getImages:getImages[0].answer: is required (line 1, column 32)",
        ),
        (
            "oci:Core/getImages:getImages: 3",
            "oci:Core/getImages:getImages: expected an answer (mapping) or a list of answers "
            "(got 3) (line 1, column 31)",
        ),
        (
            "oci:Core/getImages:getImages: []",
            "expected an answer (mapping) or a list of answers (got [])",
        ),
        (
            "oci:Core/getImages:getImages:\n- answer: {images: []}\n  whenever: {a: 1}\n",
            "oci:Core/getImages:getImages[0].whenever: is not a known setting (line 3, column 3)",
        ),
        (
            "oci:Core/getImages:getImages:\n- when: [operatingSystem]\n  answer: {images: []}\n",
            "oci:Core/getImages:getImages[0].when: must be a mapping (got ['operatingSystem'])",
        ),
    ],
)
def test_malformed_mocks_files_exit_2_before_running(capsys, tmp_path, text, message):
    mocks = tmp_path / "mocks.yaml"
    mocks.write_text(text)
    assert main(["check", "--program", str(OKE), "--mocks", str(mocks)]) == 2
    out, err = capsys.readouterr()
    assert message in err and out == ""


# --- what the program says ----------------------------------------------------------------------


def test_program_output_warnings_by_default_all_with_verbose(capsys):
    assert main(["preview", "--program", str(NOISY), "--json"]) == 0
    err = capsys.readouterr().err
    assert "program stderr: a warning on stderr" in err
    main_py = NOISY / "__main__.py"
    warn_line = line_of(main_py, "pulumi.log.warn(")
    assert f"program warning: careful: this is a warning (at __main__.py:{warn_line})" in err
    assert "hello from the program" not in err and "an info line" not in err
    assert main(["preview", "--program", str(NOISY), "--json", "--verbose"]) == 0
    err = capsys.readouterr().err
    assert "program stdout: hello from the program" in err
    assert "program info: an info line" in err


def test_the_programs_exit_handlers_run_before_the_runner_ends():
    # The runner ends without the interpreter's teardown, after every exit handler.
    said = capture_program(NOISY, "dev").messages
    assert ("stdout", "goodbye from an exit handler") in [(m.stream, m.text) for m in said]


def test_a_runner_that_fails_before_its_record_exits_2_with_the_traceback(tmp_path):
    request = tmp_path / "request.json"
    request.write_text("{")  # not JSON: the runner fails before it runs anything
    proc = subprocess.run(
        [sys.executable, "-m", "guardrails.tooling.program.runner", "--request", str(request),
         "--out", str(tmp_path / "out.json")],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "JSONDecodeError" in proc.stderr
    assert not (tmp_path / "out.json").exists()


def test_an_output_in_an_f_string_warns_and_fails_with_strict(capsys):
    line = line_of(NOISY / "__main__.py", 'name=f"{vcn.display_name}-logs"')
    assert main(["preview", "--program", str(NOISY), "-s", "fstring", "--json"]) == 0
    err = capsys.readouterr().err
    warning = (
        "Calling __str__ on an Output[T] is not supported (read its value inside .apply) "
        f"(at __main__.py:{line}: `vcn.display_name`)"
    )
    assert f"program warning: {warning}" in err
    assert main(["preview", "--program", str(NOISY), "-s", "fstring", "--strict"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        "error: --strict: 2 warning(s) or error(s) logged by the program or the Pulumi SDK" in err
    )


def test_an_exception_in_an_apply_shows_the_program_line_without_noise(capsys):
    assert main(["preview", "--program", str(NOISY), "-s", "applyraise"]) == 2
    err = capsys.readouterr().err
    line = line_of(NOISY / "__main__.py", "raise ValueError")
    assert (
        f"error: the program raised ValueError at __main__.py:{line}: display name 'main' is "
        "not allowed here: Calling __str__ on an Output[T] is not supported (read its value "
        "inside .apply)\n"
    ) in err
    assert f'{NOISY}/__main__.py", line {line}, in check_name' in err
    assert "object at 0x" not in err and "site-packages" not in err
    assert "This function may throw" not in err


def test_pulumi_log_error_is_shown_and_fails_only_with_strict(capsys):
    # as `pulumi preview`, which shows it and still exits 0 (pulumi#5085)
    assert main(["preview", "--program", str(NOISY), "-s", "logerror", "--json"]) == 0
    err = capsys.readouterr().err
    assert "program error: the program says this cannot work" in err
    assert main(["preview", "--program", str(NOISY), "-s", "logerror", "--strict"]) == 2
    err = capsys.readouterr().err
    assert "error: --strict: 2 warning(s) or error(s) logged by the program" in err


# --- where findings point ------------------------------------------------------------------------


def test_findings_point_at_the_program_and_name_the_component_path(capsys, tmp_path, monkeypatch):
    output = tmp_path / "oke.sarif"
    monkeypatch.chdir(tmp_path)  # URIs do not depend on the working directory
    assert main(["check", "--program", str(OKE), "--format", "sarif", "--output", str(output)]) == 1
    out, _ = capsys.readouterr()
    assert out.startswith("FAIL: 9 mandatory, 0 advisory, 0 suppressed (report: ")  # verdict
    run = json.loads(output.read_text())["runs"][0]
    ssh = next(
        r for r in run["results"] if r["ruleId"] == "oci-network-securitylist-no-public-admin-ports"
    )
    location = ssh["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "tests/fixtures/oke/network.py"
    assert location["region"]["startLine"] == line_of(OKE / "network.py", "self.node_list = ")
    assert ssh["properties"]["componentPath"] == "Network oke -> SecurityList oke-node-list"
    related = [r["physicalLocation"]["artifactLocation"]["uri"] for r in ssh["relatedLocations"]]
    assert related == ["tests/fixtures/oke/__main__.py"]  # the line that declared the component


def test_positions_outside_the_program_are_related_locations_only():
    program = ROOT / "tests" / "fixtures" / "flawed"
    capture = Capture("p", "dev", str(program))
    finding = Finding(
        "oci-database-adb-private-access", "mandatory", "critical", "urn:x", ADB, "db", "m", "crossguard",
        source=SourceLocation("__main__.py", 40),
        related=[SourceLocation("components/adb.py", 77, in_program=False)],
        component_path="AutonomousDatabaseFleet adb -> AutonomousDatabase adb-orders",
    )  # fmt: skip
    from guardrails.tooling.gate.report import to_sarif

    result = to_sarif(GateResult(capture, [finding], []))["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "tests/fixtures/flawed/__main__.py"
    }
    assert result["relatedLocations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "components/adb.py",
        "uriBaseId": "PYTHON_PACKAGES",
    }
    assert "/site-packages/" not in json.dumps(result)


def test_a_text_table_never_breaks_names_or_rule_ids():
    arn = "arn:aws:lambda:eu-west-1:123456789012:layer:a-very-long-layer-name-for-tests:17"
    finding = Finding(
        "aws-lambda-layerpermission-no-public", "mandatory", "critical", "urn:x",
        "aws:lambda/layerVersionPermission:LayerVersionPermission", arn,
        "a long message " * 8, "crossguard",
    )  # fmt: skip
    result = GateResult(Capture("p", "dev", "/p"), [finding], [])
    for width in (60, 100, 200):
        console = Console(width=width, record=True, color_system=None)
        render_text(result, console)
        text = console.export_text()
        assert arn in text and "aws-lambda-layerpermission-no-public" in text, text


# --- unknown values and remediation --------------------------------------------------------------


def test_a_rule_that_needs_a_computed_value_says_so():
    resource = res(ADB, adb(subnetId=UNKNOWN, whitelistedIps=None), name="orders")
    capture = Capture("cases", "dev", "/p", resources=[resource])
    with PolicyPackProcess(PACK_DIR) as pack:
        pack.configure(parse_policy_config({}))
        diagnostics = analyze(pack, resource, None)
    findings = [
        f
        for f in to_findings(capture, diagnostics)
        if f.policy == "oci-database-adb-private-access"
    ]
    assert [f.level for f in findings] == ["unknown"]
    assert findings[0].message.startswith(
        "not decided offline: `subnetId` is computed by the provider at create time"
    )


def test_remediate_fixes_the_record_and_reports_it_as_advisory(capsys, tmp_path):
    config = tmp_path / "policy.json"
    config.write_text(
        json.dumps(
            {
                "oci-tagging-resource-required-tags": {
                    "enforcementLevel": "remediate",
                    "defaultValues": {"cost_center": "CC-999", "environment": "dev"},
                }
            }
        )
    )
    code = main(
        ["check", "--program", str(FLAWED), "--policy-config", str(config), "--format", "json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1  # the flawed program's other violations remain
    vcn = [v for v in report["violations"] if v["name"] == "untagged-vcn"]
    assert [(v["policy"], v["level"]) for v in vcn] == [
        ("oci-tagging-resource-required-tags", "remediated")
    ]
    assert vcn[0]["message"] == "fixed by the policy pack (remediate): set definedTags"
    assert report["summary"]["remediated"] == 1
    assert all(
        v["level"] != "mandatory" or v["name"] != "untagged-vcn" for v in report["violations"]
    )


# --- a report is always written -------------------------------------------------------------------


def test_a_json_report_with_the_error_when_the_program_fails(capsys, tmp_path):
    output = tmp_path / "report.json"
    program = _without_mocks(tmp_path)
    code = main(["check", "--program", str(program), "--format", "json", "--output", str(output)])
    assert code == 2
    report = json.loads(output.read_text())
    assert report["passed"] is False and report["violations"] == []
    assert report["error"]["type"] == "ValueError"
    assert report["error"]["location"].startswith("__main__.py:")
    assert "getNodePoolOption" in report["error"]["message"]


# --- Ctrl-C ------------------------------------------------------------------------------------------


def test_ctrl_c_ends_the_program_runner_and_exits_130(tmp_path):
    pidfile = tmp_path / "pid"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "guardrails.tooling.cli",
            "check",
            "--program",
            str(NOISY),
            "-s",
            "sleep",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NOISY_PIDFILE": str(pidfile)},
    )
    deadline = time.monotonic() + 120
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    child = int(pidfile.read_text())
    proc.send_signal(signal.SIGINT)  # to guardrails only, as a terminal's Ctrl-C would too
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().endswith("interrupted") and "Traceback" not in err
    assert _ended(child)  # the program runner is gone


def _ended(pid: int) -> bool:
    """Gone, or a zombie nobody reaped (PID 1 in a container may not reap orphans)."""
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_capture_errors_are_guardrails_errors():
    with pytest.raises(GuardrailsError, match="unknown stack"):
        capture_program(OKE, "prod")
    assert ocid("compartment")  # helpers importable for fixtures


def test_the_program_folders_own_ledger_is_used_and_named(capsys, tmp_path):
    program = tmp_path / "oke"
    shutil.copytree(OKE, program)
    (program / "guardrails-suppressions.yaml").write_text(
        "suppressions:\n"
        "- rule: oci-network-securitylist-no-public-admin-ports\n"
        "  resource: 'urn:pulumi:dev::oke-cluster::*::oke-node-list'\n"
        "  reason: Workers reachable over SSH during the migration\n"
        "  expires: 2099-12-31\n"
    )
    assert main(["check", "--program", str(program), "--format", "json"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(
        f"policy config: the catalog levels; suppressions: {program / 'guardrails-suppressions.yaml'}"
    )
    report = json.loads(out)
    assert report["inputs"]["suppressions"] == str(program / "guardrails-suppressions.yaml")
    ssh = next(
        v for v in report["violations"] if v["policy"].startswith("oci-network-securitylist")
    )
    assert ssh["suppressed"] is True
