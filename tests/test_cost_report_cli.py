"""`guardrails cost report` end to end on generated files: the report, its formats and
chart, and every bad input (exit 2, a clear message, nothing written)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from guardrails.tooling.cli import main
from guardrails.tooling.cost.month import today_utc
from tests.cost_data import CostMonth, full_month, write_classic_reports, write_focus, write_project

TODAY = today_utc()
MONTH = full_month(TODAY)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    write_classic_reports(MONTH, root / "reports", lines_per_cell=3, rows_per_file=2000)
    write_focus(MONTH, root / "aws.parquet", provider="aws", fmt="parquet")
    write_focus(MONTH, root / "oci.csv.gz")
    return root


def _prod(files: Path, tmp_path: Path) -> tuple[str | Path, ...]:
    """The prod stack's report of the generated month from the classic reports."""
    return (
        "--stack",
        "prod",
        "--month",
        MONTH.label,
        "--reports",
        files / "reports",
        "--store",
        tmp_path / "s.duckdb",
    )


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["cost", "report", *(str(a) for a in args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def report_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> dict[str, Any]:
    code, out, err = run(capsys, *args, "--format", "json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def _rows(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["provider"], r["costCenter"]): r for r in data["rows"]}


def test_report_against_the_prod_budgets(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    data = report_json(
        capsys,
        "--stack",
        "prod",
        "--month",
        MONTH.label,
        "--reports",
        files / "reports",
        "--focus",
        files / "aws.parquet",
        "--store",
        tmp_path / "s.duckdb",
    )
    assert data["costBasis"] == "billed"
    assert data["source"] == "reports"
    assert data["groupBy"] == "governance.cost_center"
    assert "median" in data["anomalyMethod"] and "run rate" in data["forecastMethod"]
    rows = _rows(data)
    truth = MONTH.month_to_date()
    cc101 = rows[("oci", "CC-101")]
    assert cc101["monthToDate"] == pytest.approx(truth["CC-101"], abs=0.02)
    assert cc101["budget"] == 25000
    assert cc101["percentUsed"] == pytest.approx(100 * truth["CC-101"] / 25000, abs=0.01)
    assert cc101["currency"] == "EUR"
    assert [s["service"] for s in cc101["topServices"]] == ["Database", "Compute", "Object Storage"]
    # a complete month: nothing left to forecast
    assert cc101["forecast"] == pytest.approx(cc101["monthToDate"], abs=0.02)
    stray = rows[("oci", "(untagged or unknown)")]
    assert stray["monthToDate"] == pytest.approx(truth[""] + truth["CC-999"], abs=0.02)
    assert stray["finding"] == "untagged and unknown cost_center CC-999"
    assert stray["budget"] is None
    assert any("untagged and unknown cost_center CC-999" in f for f in data["findings"])
    aws = rows[("aws", "CC-101")]
    assert aws["budget"] == 4000 and aws["currency"] == "USD"
    assert aws["monthToDate"] == pytest.approx(MONTH.month_to_date("aws")["CC-101"], abs=0.02)
    assert ("aws", "CC-303") not in rows  # no awsMonthly, no AWS spend
    assert [(a["costCenter"], a["day"]) for a in data["anomalies"]] == [
        ("CC-202", MONTH.first_day.replace(day=18).isoformat())
    ]


def test_a_second_run_reads_no_file_again(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    args = (*_prod(files, tmp_path),)
    first = report_json(capsys, *args)
    second = report_json(capsys, *args)
    assert first["loaded"] and second["loaded"] == []
    assert first["rows"] == second["rows"]


def test_three_sources_of_files_agree(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    classic = report_json(
        capsys,
        "--month",
        MONTH.label,
        "--reports",
        files / "reports",
        "--store",
        tmp_path / "a.duckdb",
    )
    focus = report_json(
        capsys,
        "--month",
        MONTH.label,
        "--focus",
        files / "oci.csv.gz",
        "--store",
        tmp_path / "b.duckdb",
    )
    mtd = lambda d: {k: round(r["monthToDate"], 2) for k, r in _rows(d).items()}  # noqa: E731
    assert mtd(classic) == mtd(focus)


def test_without_a_stack_spend_only(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    data = report_json(
        capsys,
        "--month",
        MONTH.label,
        "--reports",
        files / "reports",
        "--store",
        tmp_path / "s.duckdb",
    )
    rows = _rows(data)
    assert set(rows) == {
        ("oci", "CC-101"),
        ("oci", "CC-202"),
        ("oci", "CC-303"),
        ("oci", "CC-999"),
        ("oci", "(untagged)"),
    }
    assert all(r["budget"] is None for r in data["rows"])
    assert rows[("oci", "(untagged)")]["finding"] == "spend without a governance.cost_center tag"


def test_group_by_another_tag(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    data = report_json(
        capsys,
        "--stack",
        "prod",
        "--month",
        MONTH.label,
        "--tag",
        "application",
        "--reports",
        files / "reports",
        "--store",
        tmp_path / "s.duckdb",
    )
    rows = _rows(data)
    assert data["groupBy"] == "governance.application"
    assert rows[("oci", "payments")]["monthToDate"] == pytest.approx(
        MONTH.month_to_date()["CC-101"], abs=0.02
    )
    assert all(r["budget"] is None for r in data["rows"])  # budgets are per cost center


def test_effective_basis_needs_focus(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    data = report_json(
        capsys,
        "--month",
        MONTH.label,
        "--focus",
        files / "oci.csv.gz",
        "--basis",
        "effective",
        "--store",
        tmp_path / "a.duckdb",
    )
    assert data["costBasis"] == "effective"
    code, _out, err = run(
        capsys,
        "--month",
        MONTH.label,
        "--reports",
        files / "reports",
        "--basis",
        "effective",
        "--store",
        tmp_path / "b.duckdb",
    )
    assert code == 2 and "--basis effective needs FOCUS data" in err


def test_csv_markdown_table_and_output_file(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    base = (*_prod(files, tmp_path),)
    code, out, _ = run(capsys, *base, "--format", "csv")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert table[0]["costCenter"] == "CC-101" and table[0]["budget"] == "25000.0"
    code, out, _ = run(capsys, *base, "--format", "markdown")
    assert code == 0 and "| OCI EUR | CC-101 |" in out and "### Anomalous days" in out
    code, out, _ = run(capsys, *base)
    assert code == 0 and "CC-101" in out and "25,000" in out and "finding:" in out
    target = tmp_path / "report.json"
    code, out, _err = run(capsys, *base, "--format", "json", "--output", target)
    assert code == 0 and out == "" and json.loads(target.read_text())["stack"] == "prod"


@pytest.mark.parametrize(
    "suffix",
    [
        ".html",
        # matplotlib builds its font cache on first use, running `fc-list`: the test gives it
        # a cache folder of its own, so it does that every time, as on a fresh machine.
        pytest.param(".png", marks=pytest.mark.subprocess),
    ],
)
def test_burn_up_chart(
    capsys: pytest.CaptureFixture[str],
    files: Path,
    tmp_path: Path,
    suffix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "matplotlib"))
    chart = tmp_path / f"burnup{suffix}"
    code, _, err = run(
        capsys,
        *_prod(files, tmp_path),
        "--chart",
        chart,
    )
    assert code == 0, err
    if suffix == ".png":
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        page = chart.read_text()
        assert page.count("<svg") == 4 and "budget 25,000" in page
        assert "<script" not in page and "http" not in page.replace(
            "http://www.w3.org/2000/svg", ""
        )


def test_forecast_and_run_out_day_in_a_running_month(files: Path, tmp_path: Path) -> None:
    """Mid-month (build_report with a fixed today): forecast ahead, run-out day."""
    from guardrails.tooling.cost.month import Month
    from guardrails.tooling.cost.spend.build import SpendRequest, SpendSource, build_report
    from guardrails.tooling.project import load_stack_config

    running = CostMonth(2026, 11, 20, daily={"CC-101": 1100.0, "CC-202": 500.0, "CC-303": 300.0})
    write_classic_reports(running, tmp_path / "r", lines_per_cell=2)
    report = build_report(
        SpendRequest(
            stack="prod",
            config=load_stack_config(Path(__file__).resolve().parents[1], "prod"),
            source=SpendSource(kind="reports", reports=[tmp_path / "r"]),
            month=Month(2026, 11),
            store=tmp_path / "s.duckdb",
            today=running.first_day.replace(day=21),
        )
    )
    row = report.row("CC-101")
    assert row is not None and report.through.day == 20
    assert row.month_to_date == pytest.approx(running.month_to_date()["CC-101"], abs=0.02)
    assert len(row.forecast_daily) == 10 and row.forecast > row.month_to_date * 1.4
    assert (
        row.budget == 25000 and row.run_out_day is not None and row.run_out_day.day in range(21, 31)
    )
    assert any("CC-101: forecast" in f and "runs out on" in f for f in report.findings)
    from guardrails.tooling.cost.spend.chart import write_chart

    write_chart(report, tmp_path / "c.html")
    assert f"runs out day {row.run_out_day.day}" in (tmp_path / "c.html").read_text()


# -- bad input: exit 2, one clear line, nothing written ------------------------------------


def _nothing_written(tmp_path: Path, *keep: Path) -> None:
    assert sorted(p for p in tmp_path.rglob("*") if p not in keep) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--stack", "nosuch"), "unknown stack 'nosuch'"),
        (("--month", "2026-13"), "--month '2026-13': expected YYYY-MM"),
        (("--month", "November"), "--month 'November': expected YYYY-MM"),
        (("--month", "2999-01"), "--month 2999-01: is in the future"),
        (("--chart", "x.svg"), "--chart x.svg: a .svg name for the chart; use a .html or .png"),
        (("--chart", "burnup"), "--chart burnup: use a .html or .png file name"),
        (("--tag", "a b"), "--tag 'a b': a tag key is letters"),
    ],
)
def test_bad_arguments(
    capsys: pytest.CaptureFixture[str],
    files: Path,
    tmp_path: Path,
    args: tuple[str, ...],
    message: str,
) -> None:
    code, _out, err = run(
        capsys,
        "--reports",
        files / "reports",
        "--store",
        tmp_path / "s.duckdb",
        "--output",
        tmp_path / "r.txt",
        *args,
    )
    assert code == 2
    assert message in err and "Traceback" not in err
    _nothing_written(tmp_path)


def test_stack_without_budgets(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    project = write_project(
        tmp_path / "p", tenancy="ocid1.tenancy.oc1..aaaaaaaaother" + "0" * 47, budgets=False
    )
    code, _, err = run(
        capsys,
        "--program",
        project,
        "--stack",
        "prod",
        "--reports",
        files / "reports",
        "--store",
        tmp_path / "s.duckdb",
        "--month",
        MONTH.label,
    )
    assert code == 2
    assert "stack 'prod' has no guardrails:budgets block" in err
    assert not (tmp_path / "s.duckdb").exists()


def test_corrupt_report_file(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "in" / "bad.csv.gz"
    bad.parent.mkdir()
    bad.write_bytes(b"not gzip at all")
    code, _, err = run(
        capsys,
        "--reports",
        bad,
        "--store",
        tmp_path / "s.duckdb",
        "--chart",
        tmp_path / "c.png",
        "--month",
        MONTH.label,
    )
    assert code == 2 and "bad.csv.gz: not a readable gzip-compressed CSV" in err
    _nothing_written(tmp_path, bad.parent, bad)


def test_focus_file_missing_columns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = write_focus(
        MONTH, tmp_path / "in" / "f.csv", fmt="csv", drop_columns=["ChargePeriodStart"]
    )
    code, _, err = run(
        capsys, "--focus", bad, "--store", tmp_path / "s.duckdb", "--month", MONTH.label
    )
    assert code == 2
    assert "f.csv: not a FOCUS file: missing required column(s) ChargePeriodStart" in err
    _nothing_written(tmp_path, bad.parent, bad)


def test_currency_mix(capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path) -> None:
    usd = write_focus(MONTH, tmp_path / "in" / "usd.csv", fmt="csv", currency="USD")
    code, _, err = run(
        capsys,
        "--focus",
        files / "oci.csv.gz",
        usd,
        "--store",
        tmp_path / "s.duckdb",
        "--month",
        MONTH.label,
    )
    assert code == 2 and "wrong currency mix in the focus data: OCI lines in EUR, USD" in err
    _nothing_written(tmp_path, usd.parent, usd)


@pytest.mark.parametrize(
    ("config", "profile", "message"),
    [
        (None, None, "OCI config file {config} not found"),
        (
            "[DEFAULT]\nregion=eu-frankfurt-1\n",
            "OTHER",
            "profile 'OTHER' not found (profiles: DEFAULT)",
        ),
    ],
)
def test_missing_oci_config_or_profile(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    config: str | None,
    profile: str | None,
    message: str,
) -> None:
    config_path = tmp_path / "oci" / "config"
    if config is not None:
        config_path.parent.mkdir()
        config_path.write_text(config)
    args: list[str | Path] = [
        "--source",
        "usage-api",
        "--oci-config",
        config_path,
        "--store",
        tmp_path / "s.duckdb",
        "--month",
        MONTH.label,
    ]
    if profile:
        args += ["--profile", profile]
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message.format(config=config_path) in err
    assert not (tmp_path / "s.duckdb").exists()


def test_two_oci_sources_at_once_are_refused(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    code, _, err = run(
        capsys,
        "--source",
        "focus",
        "--reports",
        files / "reports",
        "--focus",
        files / "oci.csv.gz",
        "--store",
        tmp_path / "s.duckdb",
    )
    assert code == 2 and "OCI spend would be counted twice" in err
    _nothing_written(tmp_path)
