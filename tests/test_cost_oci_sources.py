"""The OCI sources through the real `oci` SDK against the fake OCI API: the Usage API
(request rules, paging, the API's forecast), incremental downloads from `bling`, and the
three sources (Usage API, classic reports, FOCUS) agreeing on the month to date."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from guardrails.tooling.cli import main
from guardrails.tooling.cost.month import today_utc
from tests.cost_data import (
    full_month,
    usage_lines,
    write_classic_reports,
    write_focus,
    write_project,
)
from tests.fake_oci.fixture import TENANCY as FAKE_TENANCY
from tests.fake_oci.fixture import FakeOci

TODAY = today_utc()
MONTH = full_month(TODAY, tenancy=FAKE_TENANCY)  # the fake tenancy's own reports


def _config(fake: FakeOci, tmp_path: Path) -> Path:
    key = tmp_path / "oci" / "key.pem"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text(fake.api_key.private_pem)
    config = tmp_path / "oci" / "config"
    config.write_text(
        f"[DEFAULT]\nuser={fake.api_key.user}\nfingerprint={fake.api_key.fingerprint}\n"
        f"tenancy={fake.tenancy}\nregion=eu-frankfurt-1\nkey_file={key}\n"
        f"[ops]\nuser={fake.api_key.user}\nfingerprint={fake.api_key.fingerprint}\n"
        f"tenancy={fake.tenancy}\nregion=eu-frankfurt-1\nkey_file={key}\n"
    )
    return config


def run(
    capsys: pytest.CaptureFixture[str],
    fake: FakeOci,
    tmp_path: Path,
    *args: Any,
    config: Path | None = None,
) -> tuple[int, dict[str, Any] | None, str]:
    project = write_project(tmp_path / "project", tenancy=fake.tenancy)
    code = main(
        [
            "cost",
            "report",
            "--program",
            str(project),
            "--stack",
            "prod",
            "--month",
            MONTH.label,
            "--oci-config",
            str(config or _config(fake, tmp_path)),
            "--endpoint-url",
            fake.url,
            "--format",
            "json",
            *(str(a) for a in args),
        ]
    )
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else None), captured.err


def _mtd(data: dict[str, Any]) -> dict[str, float]:
    return {
        r["costCenter"]: round(r["monthToDate"], 2) for r in data["rows"] if r["provider"] == "oci"
    }


def test_usage_api_report_follows_every_page(
    capsys: pytest.CaptureFixture[str], fake_oci: FakeOci, tmp_path: Path
) -> None:
    fake_oci.usage.add(usage_lines(MONTH))
    fake_oci.usage.page_size = 50
    code, data, err = run(
        capsys,
        fake_oci,
        tmp_path,
        "--source",
        "usage-api",
        "--store",
        tmp_path / "s.duckdb",
        "--profile",
        "ops",
    )
    assert code == 0, err
    assert data is not None
    truth = MONTH.month_to_date()
    assert _mtd(data) == pytest.approx(
        {
            "CC-101": truth["CC-101"],
            "CC-202": truth["CC-202"],
            "CC-303": truth["CC-303"],
            "(untagged or unknown)": truth[""] + truth["CC-999"],
        },
        abs=0.02,
    )
    calls = fake_oci.state.calls_of("RequestSummarizedUsages")
    assert len(calls) > 3  # more items than one page holds
    body = calls[0].body
    assert body["granularity"] == "DAILY"
    assert body["groupByTag"] == [{"namespace": "governance", "key": "cost_center"}]
    assert body["timeUsageStarted"].endswith("T00:00:00Z")
    assert body["timeUsageEnded"].endswith("T00:00:00Z")
    assert all(c.query.get("page") for c in calls[1:])
    assert data["source"] == "usage-api"


def test_three_sources_give_the_same_month_to_date(
    capsys: pytest.CaptureFixture[str], fake_oci: FakeOci, tmp_path: Path
) -> None:
    fake_oci.usage.add(usage_lines(MONTH))
    reports = write_classic_reports(
        MONTH, tmp_path / "reports", lines_per_cell=3, rows_per_file=1500
    )
    focus = write_focus(MONTH, tmp_path / "focus" / "oci.parquet", fmt="parquet")
    results = []
    for n, source in enumerate(
        (["--source", "usage-api"], ["--reports", *reports], ["--focus", focus])
    ):
        code, data, err = run(
            capsys, fake_oci, tmp_path, *source, "--store", tmp_path / f"s{n}.duckdb"
        )
        assert code == 0, err
        assert data is not None
        results.append(_mtd(data))
    assert results[0] == pytest.approx(results[1], abs=0.02)
    assert results[1] == pytest.approx(results[2], abs=0.02)


def test_the_api_forecast_is_asked_for_the_rest_of_a_running_month(
    fake_oci: FakeOci, tmp_path: Path
) -> None:
    from guardrails.tooling.cost.month import Month
    from guardrails.tooling.cost.spend.build import SpendRequest, SpendSource, build_report
    from guardrails.tooling.oci_auth import OciAuth
    from guardrails.tooling.project import load_stack_config
    from tests.cost_data import CostMonth

    running = CostMonth(2026, 11, 20)
    fake_oci.usage.add(usage_lines(running))
    project = write_project(tmp_path / "project", tenancy=fake_oci.tenancy)
    report = build_report(
        SpendRequest(
            stack="prod",
            config=load_stack_config(project, "prod"),
            source=SpendSource(
                kind="usage-api",
                api_forecast=True,
                auth=OciAuth(config_file=_config(fake_oci, tmp_path), endpoint=fake_oci.url),
            ),
            month=Month(2026, 11),
            store=tmp_path / "s.duckdb",
            today=running.first_day.replace(day=21),
        )
    )
    body = fake_oci.state.calls_of("RequestSummarizedUsages")[0].body
    assert body["forecast"]["timeForecastStarted"].startswith("2026-11-21T00:00:00")
    assert body["forecast"]["timeForecastEnded"].startswith("2026-12-01T00:00:00")
    row = report.row("CC-101")
    assert row is not None and row.api_forecast is not None
    # the fake forecasts the mean of the last 7 days for each of the 10 days left
    last7 = sum(running.daily_totals("CC-101")[-7:]) / 7
    assert row.api_forecast == pytest.approx(row.month_to_date + 10 * last7, rel=1e-3)


def test_a_wrong_key_is_refused_with_the_service_message(
    capsys: pytest.CaptureFixture[str], fake_oci: FakeOci, tmp_path: Path
) -> None:
    config = _config(fake_oci, tmp_path)
    config.write_text(config.read_text().replace(fake_oci.api_key.fingerprint, "aa:" * 15 + "aa"))
    code, _, err = run(
        capsys,
        fake_oci,
        tmp_path,
        "--source",
        "usage-api",
        "--store",
        tmp_path / "s.duckdb",
        config=config,
    )
    assert code == 2
    assert "Usage API request_summarized_usages: 401 NotAuthenticated" in err
    assert not (tmp_path / "s.duckdb").exists()


def test_bling_downloads_only_new_reports(
    capsys: pytest.CaptureFixture[str], fake_oci: FakeOci, tmp_path: Path
) -> None:
    files = write_classic_reports(MONTH, tmp_path / "gen", lines_per_cell=3, rows_per_file=1000)
    assert len(files) >= 3
    created = datetime(MONTH.year, MONTH.month, 2, 6, tzinfo=UTC)
    for n, path in enumerate(files[:-1]):
        fake_oci.objects.put_report(
            f"reports/cost-csv/{path.name}",
            path.read_bytes(),
            time_created=created + timedelta(hours=6 * n),
        )
    fake_oci.objects.put_report("reports/usage-csv/ignored.csv.gz", b"x")
    args = ("--reports", "--store", tmp_path / "s.duckdb", "--download-dir", tmp_path / "dl")
    code, first, err = run(capsys, fake_oci, tmp_path, *args)
    assert code == 0, err
    assert first is not None and first["loaded"] == [p.name for p in files[:-1]]
    gets = len(fake_oci.state.calls_of("GetObject"))
    assert gets == len(files) - 1
    # the last file arrives later: only it is downloaded
    fake_oci.objects.put_report(
        f"reports/cost-csv/{files[-1].name}",
        files[-1].read_bytes(),
        time_created=created + timedelta(days=3),
    )
    code, second, err = run(capsys, fake_oci, tmp_path, *args)
    assert code == 0, err
    assert second is not None and second["loaded"] == [files[-1].name]
    assert len(fake_oci.state.calls_of("GetObject")) == gets + 1
    truth = MONTH.month_to_date()
    assert _mtd(second)["CC-202"] == pytest.approx(truth["CC-202"], abs=0.02)
    # nothing new: nothing downloaded
    code, third, _ = run(capsys, fake_oci, tmp_path, *args)
    assert third is not None and third["loaded"] == []
    assert len(fake_oci.state.calls_of("GetObject")) == gets + 1
