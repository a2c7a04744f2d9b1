"""`guardrails cost estimate` and `guardrails cost diff` on real programs run offline."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from guardrails.tooling.cli import main
from tests.conftest import ROOT

pytestmark = pytest.mark.subprocess

H = 730
EXAMPLE_USAGE = ROOT / "docs" / "examples" / "cost-usage.yml"

# Per stack and cost center, from stacks/Pulumi.<stack>.yaml and the snapshot prices:
# OLTP storage 0.1953 and DW storage 0.0299 per GB-month; ECPU 0.336, BYOL and AJD 0.0807 per hour.
# dev and staging declare off-hours schedules (guardrails:offHours), which stop their databases'
# compute (storage is still billed): dev stops 19:00-07:00 on weekdays and from Friday 19:00 to
# Monday 07:00, 4 x 12 + 60 = 108 of 168 hours, so it runs 60/168 of the week; staging stops
# 20:00-06:00, 4 x 10 + 58 = 98 hours, and runs 70/168.
DEV_RUNNING = 60 / 168
STAGING_RUNNING = 70 / 168
EXPECTED = {
    "dev": {
        # orders: OLTP, license included
        "CC-101": 2 * H * 0.336 * DEV_RUNNING + 1 * 1024 * 0.1953,
        "CC-202": 2 * H * 0.0807 * DEV_RUNNING + 1 * 1024 * 0.1953,  # search: AJD
    },
    "staging": {
        # orders: OLTP, BYOL
        "CC-101": 4 * H * 0.0807 * STAGING_RUNNING + 2 * 1024 * 0.1953,
        "CC-202": 2 * H * 0.0807 * STAGING_RUNNING + 1 * 1024 * 0.1953,
    },
    "prod": {
        "CC-101": 8 * H * 0.0807 + 4 * 1024 * 0.1953,
        "CC-202": 4 * H * 0.0807 + 2 * 1024 * 0.1953,
        "CC-303": 16 * H * 0.0807 + 10 * 1024 * 0.0299,  # analytics: DW, BYOL
    },
}


def test_estimate_of_our_three_stacks_per_cost_center(tmp_path, capsys):
    out = tmp_path / "estimate.json"
    assert main(["cost", "estimate", "--format", "json", "--output", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["version"] == "0.2" and doc["currency"] == "USD"
    projects = {p["stack"]: p for p in doc["projects"]}
    assert sorted(projects) == ["dev", "prod", "staging"]
    for stack, expected in EXPECTED.items():
        centers = projects[stack]["costCenters"]
        got = {cc: float(t["monthlyCost"]) for cc, t in centers.items() if float(t["monthlyCost"])}
        assert got == pytest.approx(expected), stack
        assert float(projects[stack]["breakdown"]["totalMonthlyCost"]) == pytest.approx(
            sum(expected.values())
        )
        assert projects[stack]["unpricedResources"] == []
    # prod's orders database auto-scales: its maximum triples the compute
    orders = next(
        r for r in projects["prod"]["breakdown"]["resources"] if r["name"] == "adb-orders"
    )
    assert float(orders["monthlyCostMax"]) == pytest.approx(3 * 8 * H * 0.0807 + 4 * 1024 * 0.1953)
    assert projects["prod"]["costCenters"]["CC-101"]["budgets"] == {"oci": "25000", "aws": "4000"}
    compute = orders["costComponents"][0]
    assert compute == {
        "name": "Compute (ECPU, BYOL)",
        "unit": "ECPU-hours",
        "hourlyQuantity": "8",
        "monthlyQuantity": str(8 * H),
        "price": "0.0807",
        "hourlyCost": compute["hourlyCost"],
        "monthlyCost": compute["monthlyCost"],
        "partNumber": "B95704",
        "freeQuantity": "0",
        "monthlyCostMax": compute["monthlyCostMax"],
        "usageKey": None,
    }
    assert float(doc["totalMonthlyCost"]) == pytest.approx(
        sum(sum(e.values()) for e in EXPECTED.values())
    )
    assert doc["diffTotalMonthlyCost"] == doc["totalMonthlyCost"]
    assert doc["summary"]["totalUnsupportedResources"] == 0
    assert capsys.readouterr().out == ""


def test_usage_file_prices_traffic_and_markdown_report(tmp_path):
    out = tmp_path / "estimate.md"
    code = main(
        ["cost", "estimate", "--stack", "dev", "--usage", str(EXAMPLE_USAGE), "--format",
         "markdown", "--output", str(out)]
    )  # fmt: skip
    assert code == 0
    text = out.read_text()
    # dev's stream keeps 24 h: PUT 200 GB + GET 400 GB at 0.025
    assert f"| `events-user-event-stream` | CC-101 | {(200 + 400) * 0.025:,.2f} |" in text
    # 500 GB, the first 10 free; 200,000 requests, the first 50,000 free
    backups = (500 - 10) * 0.0255 + (200_000 - 50_000) / 10_000 * 0.0034
    assert f"| `adb-backups` | CC-101 | {backups:,.2f} |" in text
    assert text.startswith("## Cost estimate (USD a month, list prices)")
    assert "### guardrails/dev: " in text and "Price books: oci 2026-11-27 (USD)" in text


def _usage(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "usage.yml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("version: 0.1\nresource_usage: [unclosed\n", "usage.yml: not valid YAML: did not find expected ',' or ']' (line 3, column 1)"),
        ({"version": "0.1", "resource_usage": {"adb-orderz": {"storage_gb": 1}}},
         "resource_usage.adb-orderz: no resource of that name in the stack (did you mean 'adb-orders'?)"),
        ({"version": "0.1", "resource_usage": {"adb-backups": {"storage_gb": -1}}},
         "resource_usage.adb-backups.storage_gb: must be a finite number >= 0 (got -1)"),
    ],
)  # fmt: skip
def test_bad_usage_file_exit_2_and_nothing_written(tmp_path, capsys, doc, message):
    out = tmp_path / "estimate.json"
    usage = _usage(tmp_path, doc)
    code = main(
        ["cost", "estimate", "--stack", "dev", "--usage", str(usage), "--format", "json",
         "--output", str(out)]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert message in " ".join(err.split()) and "Traceback" not in err
    assert not out.exists()


def test_missing_usage_file_and_unknown_stack(tmp_path, capsys):
    assert main(["cost", "estimate", "--usage", str(tmp_path / "nope.yml")]) == 2
    assert "nope.yml: usage file not found" in capsys.readouterr().err
    assert main(["cost", "estimate", "--stack", "qa"]) == 2
    assert "unknown stack 'qa'" in capsys.readouterr().err


# --- diff ----------------------------------------------------------------------------------------

PROGRAM = textwrap.dedent(
    """\
    import pulumi
    import pulumi_oci as oci

    config = pulumi.Config()
    for name, spec in config.require_object("databases").items():
        oci.database.AutonomousDatabase(
            f"db-{name}",
            compartment_id="ocid1.compartment.oc1..aaaaaaaashop",
            db_name=name.upper(),
            db_workload="OLTP",
            compute_model="ECPU",
            compute_count=spec["ecpu"],
            license_model="LICENSE_INCLUDED",
            data_storage_size_in_tbs=1,
            is_auto_scaling_enabled=False,
            defined_tags={"governance.cost_center": spec["cc"]},
        )
    """
)


def _stack_file(program: Path, databases: dict) -> None:
    doc = {"config": {"shop:databases": databases}}
    (program / "Pulumi.dev.yaml").write_text(yaml.safe_dump(doc))


def _git(program: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=program,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A git repository holding a small program, its base committed, the working tree changed:
    db-b grows from 2 to 4 ECPU, db-c is removed, db-d is added."""
    program = tmp_path / "shop"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (program / "__main__.py").write_text(PROGRAM)
    _stack_file(
        program,
        {
            "a": {"ecpu": 2, "cc": "CC-101"},
            "b": {"ecpu": 2, "cc": "CC-101"},
            "c": {"ecpu": 2, "cc": "CC-202"},
        },
    )
    _git(program, "init", "-q")
    _git(program, "add", ".")
    _git(program, "commit", "-qm", "base")
    _stack_file(
        program,
        {
            "a": {"ecpu": 2, "cc": "CC-101"},
            "b": {"ecpu": 4, "cc": "CC-101"},
            "d": {"ecpu": 2, "cc": "CC-303"},
        },
    )
    return program


DB2 = 2 * H * 0.336 + 1024 * 0.1953  # 2 ECPU license included, 1 TB


def _changes(doc: dict) -> dict[str, tuple[str, float]]:
    [project] = doc["projects"]
    return {
        r["name"]: (r["change"], float(r["diffMonthlyCost"])) for r in project["diff"]["resources"]
    }


def test_diff_against_a_git_ref(shop, tmp_path):
    out = tmp_path / "diff.json"
    assert main(["cost", "diff", "--program", str(shop), "--base", "HEAD", "--format", "json",
                 "--output", str(out)]) == 0  # fmt: skip
    doc = json.loads(out.read_text())
    changes = _changes(doc)
    assert {name: change for name, (change, _) in changes.items()} == {
        "db-b": "changed",
        "db-c": "removed",
        "db-d": "added",
    }
    assert {name: diff for name, (_, diff) in changes.items()} == pytest.approx(
        {"db-b": (4 - 2) * H * 0.336, "db-c": -DB2, "db-d": DB2}
    )
    [project] = doc["projects"]
    centers = {cc: float(t["diffMonthlyCost"]) for cc, t in project["costCenterChanges"].items()}
    assert centers == pytest.approx({"CC-101": 2 * H * 0.336, "CC-202": -DB2, "CC-303": DB2})
    assert float(doc["pastTotalMonthlyCost"]) == pytest.approx(3 * DB2)
    assert float(doc["diffTotalMonthlyCost"]) == pytest.approx(2 * H * 0.336)
    assert len(project["pastBreakdown"]["resources"]) == 3


def test_diff_against_a_saved_estimate_in_markdown(shop, tmp_path):
    base = tmp_path / "base.json"
    _git(shop, "stash", "-q")
    assert main(["cost", "estimate", "--program", str(shop), "--format", "json",
                 "--output", str(base)]) == 0  # fmt: skip
    _git(shop, "stash", "pop", "-q")
    out = tmp_path / "diff.md"
    assert main(["cost", "diff", "--program", str(shop), "--base", str(base),
                 "--output", str(out)]) == 0  # fmt: skip
    text = out.read_text()
    assert f"| `db-b` | changed | CC-101 | {DB2:,.2f} | {DB2 + 2 * H * 0.336:,.2f} |" in text
    assert f"| `db-c` | removed | CC-202 | {DB2:,.2f} | 0.00 | {-DB2:,.2f} |" in text
    assert f"| `db-d` | added | CC-303 | 0.00 | {DB2:,.2f} | +{DB2:,.2f} |" in text
    assert f"(**+{2 * H * 0.336:,.2f}**)" in text


def test_diff_with_a_git_ref_that_does_not_exist(shop, tmp_path, capsys):
    out = tmp_path / "diff.md"
    assert main(["cost", "diff", "--program", str(shop), "--base", "no-such-branch",
                 "--output", str(out)]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "--base 'no-such-branch': no such file, and no such git ref in" in err
    assert not out.exists()


def test_diff_with_a_file_that_is_no_estimate(shop, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "0.1"}')
    assert main(["cost", "diff", "--program", str(shop), "--base", str(bad)]) == 2
    assert "not an estimate in Infracost's layout" in capsys.readouterr().err


def test_a_saved_estimate_missing_what_the_diff_reads_is_refused(shop, tmp_path, capsys):
    """A hand-edited base (no resourceType, an amount that is no number) is bad input, exit 2
    with each problem and its line; it used to stop the diff with a KeyError."""
    bad = tmp_path / "base.json"
    resource = {"name": "orders", "monthlyCost": "12,5"}
    project = {"name": "dev", "breakdown": {"resources": [resource], "totalMonthlyCost": "1"}}
    bad.write_text(json.dumps({"version": "0.2", "projects": [project]}, indent=1))
    out = tmp_path / "diff.md"
    argv = ["cost", "diff", "--program", str(shop), "--base", str(bad), "--output", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "projects[0].breakdown.resources[0].resourceType: is required (line 8" in err
    assert (
        "; projects[0].breakdown.resources[0].monthlyCost: must be an amount such as "
        "\"490.56\" (got '12,5') (line 10, column 22)"
    ) in err
    assert not out.exists()


def test_one_usage_file_for_stacks_with_different_resources(shop, tmp_path):
    """The bucket `logs` exists only in qa: usage names are checked against every estimated
    stack together (dev alone would refuse it), and each stack prices its own resources."""
    (shop / "__main__.py").write_text(
        PROGRAM
        + textwrap.dedent(
            """\
            if config.get_bool("logs"):
                oci.objectstorage.Bucket("logs", compartment_id="c", namespace="n", name="logs",
                                         defined_tags={"governance.cost_center": "CC-404"})
            """
        )
    )
    (shop / "Pulumi.qa.yaml").write_text(
        yaml.safe_dump(
            {"config": {"shop:databases": {"q": {"ecpu": 2, "cc": "CC-404"}}, "shop:logs": True}}
        )
    )
    usage = _usage(tmp_path, {"version": "0.1", "resource_usage": {"logs": {"storage_gb": 110}}})
    out = tmp_path / "estimate.json"
    assert main(["cost", "estimate", "--program", str(shop), "--usage", str(usage),
                 "--format", "json", "--output", str(out)]) == 0  # fmt: skip
    projects = {p["stack"]: p for p in json.loads(out.read_text())["projects"]}
    assert float(projects["qa"]["costCenters"]["CC-404"]["monthlyCost"]) == pytest.approx(
        DB2 + (110 - 10) * 0.0255
    )
    assert "CC-404" not in projects["dev"]["costCenters"]


@pytest.mark.parametrize("has_data_filter", [True, False], ids=["py>=3.11.4", "py<3.11.4"])
def test_a_base_archive_never_writes_outside_its_folder(tmp_path, monkeypatch, has_data_filter):
    import io
    import tarfile

    from guardrails.runtime.errors import GuardrailsError
    from guardrails.tooling.cost.estimate.diff import _extract

    if not has_data_filter:  # as on Python 3.11.0-3.11.3 (Debian 12's 3.11.2)
        monkeypatch.delattr(tarfile, "data_filter", raising=False)

    def archive(*members: tarfile.TarInfo) -> tarfile.TarFile:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for member in members:
                tar.addfile(member, io.BytesIO(b"x") if member.isfile() else None)
        buffer.seek(0)
        return tarfile.open(fileobj=buffer)

    def file(name: str) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size = 1
        return info

    def link(name: str, to: str) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = tarfile.SYMTYPE, to
        return info

    good = tmp_path / "good"
    _extract(archive(file("stacks/__main__.py")), good)
    assert (good / "stacks" / "__main__.py").read_bytes() == b"x"
    for bad in (file("../evil.py"), link("stacks/out", "../../outside")):
        folder = tmp_path / f"bad-{bad.name.replace('/', '_')}"
        with pytest.raises((GuardrailsError, getattr(tarfile, "FilterError", GuardrailsError))):
            _extract(archive(bad), folder)
        assert not (tmp_path / "evil.py").exists()
