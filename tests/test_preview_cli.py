"""`guardrails preview` on our stacks and on programs it has never seen, and its errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from guardrails.runtime.errors import GuardrailsError, ProgramError
from guardrails.tooling.cli import main
from guardrails.tooling.program.preview import capture_program
from guardrails.tooling.program.record import UNKNOWN
from guardrails.tooling.project import load_project
from tests.conftest import FIXTURES, ROOT

PLAIN = FIXTURES / "plain_oci"


def line_of(path: Path, text: str) -> int:
    """1-based number of the first line of `path` that contains `text`."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.subprocess
def test_console_script_previews_the_dev_stack():
    """The README's main job, as a user runs it."""
    guardrails = Path(sys.executable).parent / "guardrails"
    proc = subprocess.run(
        [str(guardrails), "preview", "--stack", "dev"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "guardrails / stack dev" in proc.stdout
    assert "adb-orders oci:Database/autonomousDatabase:AutonomousDatabase" in proc.stdout
    assert "Resources per type" in proc.stdout
    assert "│ total" in proc.stdout and "│    65 │" in proc.stdout


@pytest.mark.subprocess
def test_unseen_program_with_data_sources_components_loops_and_applies(capsys):
    assert main(["preview", "--program", str(PLAIN), "--stack", "dev", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: r for r in doc["resources"]}
    assert set(by_name) == {"main-vcn", "web", "web-subnet-0", "web-subnet-1", "logs"}
    assert by_name["web"]["type"] == "acme:network:WebTier" and by_name["web"]["custom"] is False
    assert by_name["web-subnet-1"]["parent"] == by_name["web"]["urn"]
    assert (
        by_name["web-subnet-1"]["urn"]
        == "urn:pulumi:dev::plain-oci::acme:network:WebTier$oci:Core/subnet:Subnet::web-subnet-1"
    )
    # the VCN's id is computed at create time: unknown, as in `pulumi preview`
    assert by_name["web-subnet-1"]["inputs"]["vcnId"] == UNKNOWN
    assert doc["unknownValues"] == 2
    assert by_name["web-subnet-1"]["source"] == {
        "file": "network.py",
        "line": line_of(PLAIN / "network.py", "oci.core.Subnet("),
        "inProgram": True,
    }
    # the declaring chain, from the program's entry point down to the declaring line
    assert [(s["file"], s["line"]) for s in by_name["web-subnet-1"]["stack"]] == [
        ("__main__.py", line_of(PLAIN / "__main__.py", "WebTier(")),
        ("network.py", line_of(PLAIN / "network.py", "self.subnets = [")),
        ("network.py", line_of(PLAIN / "network.py", "oci.core.Subnet(")),
    ]
    # a value computed through apply, and a data-source answer that is empty but well-formed
    assert by_name["logs"]["inputs"]["name"] == "main-logs"
    assert by_name["logs"]["inputs"]["namespace"] == "preview-namespace"
    assert by_name["logs"]["protect"] is True
    assert doc["outputs"] == {
        "availabilityDomains": 0,
        "bucket": "main-logs",
        "dbPassword": "[secret]",
    }
    assert sorted(i["token"] for i in doc["invokes"]) == [
        "oci:Identity/getAvailabilityDomains:getAvailabilityDomains",
        "oci:ObjectStorage/getNamespace:getNamespace",
    ]


@pytest.mark.subprocess
def test_tree_view_of_an_unseen_program(capsys):
    assert main(["preview", "--program", str(PLAIN)]) == 0
    out = capsys.readouterr().out
    assert "plain-oci / stack dev" in out
    assert "web acme:network:WebTier" in out
    assert "logs oci:ObjectStorage/bucket:Bucket (protected)" in out
    assert "│ oci:Core/subnet:Subnet          │     2 │" in out
    assert "data-source calls answered offline: 2" in out


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--stack", "no-such-stack"],
            "error: unknown stack 'no-such-stack': {root}/stacks/Pulumi.no-such-stack.yaml does not exist (stacks with a settings file: {stacks})",
        ),
        (["--stack", "../etc"], "error: invalid stack name '../etc'"),
        (
            ["--program", "{fixtures}/plain_oci", "--stack", "broken"],
            "error: {fixtures}/plain_oci/Pulumi.broken.yaml: not valid YAML",
        ),
        (
            ["--program", "{fixtures}/plain_oci", "--stack", "nocompartment"],
            "error: Missing required configuration variable 'plain-oci:compartmentOcid'",
        ),
        (
            ["--program", "{fixtures}/not_python"],
            "error: {fixtures}/not_python/Pulumi.yaml: runtime is 'nodejs'; only Python programs can be previewed",
        ),
        (
            ["--program", "{fixtures}"],
            "error: {fixtures}: no Pulumi.yaml here; is this a Pulumi project?",
        ),
        (
            ["--program", "{fixtures}/raising"],
            "error: the program raised ValueError at __main__.py:{raise_line}: no room for subnet 0 in this VCN",
        ),
    ],
)
def test_errors_exit_2_with_a_clear_message(capsys, args, message):
    args = [a.format(fixtures=FIXTURES, root=ROOT) for a in args]
    assert main(["preview", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing is shown as if it had been planned
    raise_line = line_of(FIXTURES / "raising" / "__main__.py", "raise ValueError")
    stacks = ", ".join(load_project(ROOT).stacks())
    expected = message.format(fixtures=FIXTURES, root=ROOT, raise_line=raise_line, stacks=stacks)
    assert err.startswith(expected), err


@pytest.mark.subprocess
def test_program_error_shows_the_program_frames_only(capsys):
    assert main(["preview", "--program", str(FIXTURES / "raising")]) == 2
    err = capsys.readouterr().err
    main_py = FIXTURES / "raising" / "__main__.py"
    assert f'raising/__main__.py", line {line_of(main_py, "oci.core.Subnet(")}, in <module>' in err
    assert (
        f'raising/__main__.py", line {line_of(main_py, "raise ValueError")}, in subnet_cidr' in err
    )
    assert "site-packages" not in err


@pytest.mark.subprocess
def test_invalid_stack_config_exits_2_with_every_problem(tmp_path, capsys):
    project = tmp_path / "guardrails"
    project.mkdir()
    for item in ("Pulumi.yaml", "stacks", "components", "guardrails"):
        (shutil.copytree if (ROOT / item).is_dir() else shutil.copy)(ROOT / item, project / item)
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    text = stack_file.read_text().replace("computeCount: 2", "computeCount: 1", 1)
    text = text.replace("retentionHours: 24", "retentionHours: 12")
    stack_file.write_text(text)
    assert main(["preview", "--program", str(project), "--stack", "dev"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "error: stack dev: invalid stack config:" in err
    assert "guardrails:databases.orders.computeCount: must be >= 2 (got 1)" in err
    assert (
        "guardrails:streams.streams.user-event-stream.retentionHours: must be >= 24 (got 12)" in err
    )
    assert "Traceback" not in err


@pytest.mark.subprocess
def test_capture_errors_are_typed():
    with pytest.raises(ProgramError) as info:
        capture_program(FIXTURES / "raising", "dev")
    raise_line = line_of(FIXTURES / "raising" / "__main__.py", "raise ValueError")
    assert info.value.location == f"__main__.py:{raise_line}"
    assert info.value.exc_type == "ValueError"
    with pytest.raises(GuardrailsError, match="unknown stack"):
        capture_program(PLAIN, "prod")
