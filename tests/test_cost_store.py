"""The cost store: idempotent loads, corrections, tag sets, FOCUS flavours, bad files."""

from __future__ import annotations

import gzip
import os
import shutil
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost.lines import DailyCost
from guardrails.tooling.cost.sources.classic_reports import classic_shape
from guardrails.tooling.cost.sources.focus import focus_shape
from guardrails.tooling.cost.store import CostStore, store_session
from tests.cost_data import (
    CostMonth,
    write_classic_reports,
    write_focus,
)

MONTH = CostMonth(2026, 10, 31)
CC_KEYS = ("governance.cost_center", "cost_center")
AWS_KEYS = ("cost_center", "user:cost_center")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cost")
    write_classic_reports(MONTH, root / "classic", lines_per_cell=3, rows_per_file=1500)
    for fmt in ("csv", "csv.gz", "parquet"):
        write_focus(MONTH, root / f"oci.{fmt}", fmt=fmt)
    write_focus(MONTH, root / "aws.csv.gz", provider="aws")
    return root


def _totals(costs: list[DailyCost]) -> dict[tuple[str, str], float]:
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for c in costs:
        totals[(c.provider, c.group)] += c.billed
    return {k: round(v, 2) for k, v in totals.items()}


def _daily(
    store: CostStore, kind: str = "classic", keys: tuple[str, ...] = CC_KEYS
) -> list[DailyCost]:
    return store.daily_costs(
        date(2026, 10, 1), date(2026, 11, 1), oci_kind=kind, oci_keys=keys, other_keys=AWS_KEYS
    )


def _truth(provider: str = "oci") -> dict[tuple[str, str], float]:
    return {(provider, k): round(v, 2) for k, v in MONTH.month_to_date(provider).items()}


def _classic(data: Path) -> list[Path]:
    return sorted((data / "classic").glob("*.csv.gz"))


def test_classic_reports_give_the_month_per_cost_center_with_corrections(
    data: Path, tmp_path: Path
) -> None:
    files = _classic(data)
    assert len(files) >= 2  # corrections are in a later file than the lines they correct
    with store_session(tmp_path / "s.duckdb") as store:
        result = store.load_files("classic", files, classic_shape)
        assert result.loaded == [str(f.resolve()) for f in files]
        totals = _totals(_daily(store))
    assert totals == pytest.approx(_truth(), abs=0.02)
    assert totals[("oci", "")] > 0 and totals[("oci", "CC-999")] > 0


def test_without_corrections_applied_the_wrong_lines_would_count(
    data: Path, tmp_path: Path
) -> None:
    """The generator writes some originals wrong: the correction must replace them."""
    with store_session(tmp_path / "s.duckdb") as store:
        store.load_files("classic", _classic(data), classic_shape)
        raw = store.con.execute("SELECT sum(billed) FROM sums").fetchone()
    assert raw is not None
    assert raw[0] > sum(MONTH.month_to_date().values()) + 10


def test_loading_again_reads_nothing_and_changes_nothing(data: Path, tmp_path: Path) -> None:
    files = _classic(data)
    with store_session(tmp_path / "s.duckdb") as store:
        store.load_files("classic", files, classic_shape)
        before = _totals(_daily(store))
    with store_session(tmp_path / "s.duckdb") as store:
        again = store.load_files("classic", files, classic_shape)
        assert again.loaded == [] and again.skipped == [str(f.resolve()) for f in files]
        assert _totals(_daily(store)) == before


def test_a_touched_file_with_the_same_content_is_skipped_by_its_hash(
    data: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "in"
    shutil.copytree(data / "classic", copy)
    files = sorted(copy.glob("*.csv.gz"))
    with store_session(tmp_path / "s.duckdb") as store:
        store.load_files("classic", files, classic_shape)
        stat = files[0].stat()
        os.utime(files[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        again = store.load_files("classic", files, classic_shape)
        assert again.loaded == []
        assert _totals(_daily(store)) == pytest.approx(_truth(), abs=0.02)


def test_a_changed_file_replaces_its_lines(data: Path, tmp_path: Path) -> None:
    small = CostMonth(
        2026,
        10,
        31,
        daily={"CC-101": 10.0},
        aws_daily={},
        untagged_daily=0,
        unknown_daily=0,
        spikes=(),
    )
    first = write_classic_reports(small, tmp_path / "a", lines_per_cell=2)[0]
    bigger = CostMonth(
        2026,
        10,
        31,
        daily={"CC-101": 20.0},
        aws_daily={},
        untagged_daily=0,
        unknown_daily=0,
        spikes=(),
    )
    second = write_classic_reports(bigger, tmp_path / "b", lines_per_cell=2)[0]
    assert first.name == second.name
    with store_session(tmp_path / "s.duckdb") as store:
        store.load_files("classic", [first], classic_shape)
        shutil.copy(second, first)
        result = store.load_files("classic", [first], classic_shape)
        assert result.loaded == [str(first.resolve())]
        totals = _totals(_daily(store))
    assert totals == {
        ("oci", "CC-101"): pytest.approx(round(bigger.month_to_date()["CC-101"], 2), abs=0.02)
    }


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_oci_focus_files_give_the_same_month_as_the_classic_reports(
    data: Path, tmp_path: Path, fmt: str
) -> None:
    with store_session(tmp_path / "s.duckdb") as store:
        store.load_files("focus", [data / f"oci.{fmt}"], focus_shape)
        totals = _totals(_daily(store, "focus"))
    assert totals == pytest.approx(_truth(), abs=0.02)


def test_aws_focus_tags_are_read_from_the_tags_json(data: Path, tmp_path: Path) -> None:
    with store_session(tmp_path / "s.duckdb") as store:
        store.load_files("focus", [data / "aws.csv.gz"], focus_shape)
        totals = _totals(_daily(store, "classic"))
    assert totals == pytest.approx(_truth("aws"), abs=0.02)


def test_grouping_by_another_tag(data: Path, tmp_path: Path) -> None:
    with store_session(tmp_path / "s.duckdb") as store:
        store.load_files("classic", _classic(data), classic_shape)
        totals = _totals(_daily(store, keys=("governance.application", "application")))
    month = MONTH.month_to_date()
    assert totals[("oci", "payments")] == pytest.approx(month["CC-101"], abs=0.02)
    assert totals[("oci", "legacy")] == pytest.approx(month["CC-999"], abs=0.02)
    assert totals[("oci", "")] == pytest.approx(month[""], abs=0.02)


# -- bad files: a clear message, and the store as it was ---------------------------------


def test_a_corrupt_gzip_file_is_refused_and_nothing_is_written(data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage" * 10)
    store_path = tmp_path / "s.duckdb"
    with (
        pytest.raises(GuardrailsError, match=r"bad\.csv\.gz: not a readable gzip-compressed CSV"),
        store_session(store_path) as store,
    ):
        store.load_files("classic", [*_classic(data), bad], classic_shape)
    assert not store_path.exists()


def test_a_truncated_gzip_file_rolls_the_whole_load_back(data: Path, tmp_path: Path) -> None:
    source = _classic(data)[0]
    truncated = tmp_path / "202610trunc.csv.gz"
    payload = source.read_bytes()
    truncated.write_bytes(payload[: len(payload) * 2 // 3])
    store_path = tmp_path / "s.duckdb"
    with store_session(store_path) as store:
        store.load_files("classic", _classic(data)[1:], classic_shape)
        before = store.con.execute("SELECT count(*) FROM lines").fetchone()
    with (
        pytest.raises(GuardrailsError, match="cannot load cost data"),
        store_session(store_path) as store,
    ):
        store.load_files("classic", [source, truncated], classic_shape)
    with store_session(store_path) as store:
        assert store.con.execute("SELECT count(*) FROM lines").fetchone() == before
        assert {r[0] for r in store.con.execute("SELECT name FROM files").fetchall()} == {
            str(f.resolve()) for f in _classic(data)[1:]
        }


def test_a_cost_report_missing_columns_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv.gz"
    with gzip.open(bad, "wt") as handle:
        handle.write("lineItem/referenceNo,product/service\n1,Database\n")
    with pytest.raises(
        GuardrailsError,
        match=r"x\.csv\.gz: not a OCI cost report: missing required column\(s\) lineItem/intervalUsageStart, cost/myCost, cost/currencyCode",
    ):
        classic_shape(bad)


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet"])
def test_a_focus_file_missing_required_columns_is_refused(tmp_path: Path, fmt: str) -> None:
    bad = write_focus(
        MONTH, tmp_path / f"f.{fmt}", fmt=fmt, drop_columns=["BilledCost", "BillingCurrency"]
    )
    store_path = tmp_path / "s.duckdb"
    with (
        pytest.raises(
            GuardrailsError,
            match=rf"f\.{fmt}: not a FOCUS file: missing required column\(s\) BilledCost, BillingCurrency",
        ),
        store_session(store_path) as store,
    ):
        store.load_files("focus", [bad], focus_shape)
    assert not store_path.exists()


def test_a_focus_file_without_a_provider_column_is_refused(tmp_path: Path) -> None:
    bad = write_focus(MONTH, tmp_path / "f.csv", fmt="csv", drop_columns=["Provider"])
    with pytest.raises(
        GuardrailsError, match="missing required column ProviderName \\(or Provider\\)"
    ):
        focus_shape(bad)


def test_a_currency_mix_is_refused_and_nothing_is_written(data: Path, tmp_path: Path) -> None:
    usd = write_focus(MONTH, tmp_path / "usd.csv.gz", currency="USD")
    store_path = tmp_path / "s.duckdb"
    with store_session(store_path) as store:
        store.load_files("focus", [data / "oci.csv.gz"], focus_shape)
    with (
        pytest.raises(
            GuardrailsError, match="wrong currency mix in the focus data: OCI lines in EUR, USD"
        ),
        store_session(store_path) as store,
    ):
        store.load_files("focus", [usd], focus_shape)
    with store_session(store_path) as store:
        assert [r[0] for r in store.con.execute("SELECT name FROM files").fetchall()] == [
            str((data / "oci.csv.gz").resolve())
        ]


def test_history_before_the_month_is_read_for_the_baselines(data: Path, tmp_path: Path) -> None:
    with store_session(tmp_path / "s.duckdb") as store:
        store.load_files("classic", _classic(data), classic_shape)
        costs = store.daily_costs(
            date(2026, 10, 20),
            date(2026, 10, 20) + timedelta(days=3),
            oci_kind="classic",
            oci_keys=CC_KEYS,
            other_keys=AWS_KEYS,
        )
    assert {c.day for c in costs} == {date(2026, 10, 20), date(2026, 10, 21), date(2026, 10, 22)}


def test_a_correction_loaded_later_replaces_a_line_loaded_before(
    data: Path, tmp_path: Path
) -> None:
    files = _classic(data)
    with store_session(tmp_path / "s.duckdb") as store:
        store.load_files("classic", files[:-1], classic_shape)
        before = _totals(_daily(store))
        assert before != pytest.approx(_truth(), abs=0.02)  # wrong originals still count
        store.load_files("classic", files[-1:], classic_shape)
        assert _totals(_daily(store)) == pytest.approx(_truth(), abs=0.02)


class _Recorder:
    def __init__(self) -> None:
        self.phases: list[tuple[str, int | None]] = []
        self.steps = 0

    def phase(self, name: str, total: int | None = None) -> None:
        self.phases.append((name, total))

    def advance(self, amount: int = 1) -> None:
        self.steps += amount


def test_loading_reports_progress_to_the_bar(data: Path, tmp_path: Path) -> None:
    recorder = _Recorder()
    with store_session(tmp_path / "s.duckdb") as store:
        store.load_files("classic", _classic(data), classic_shape, progress=recorder)
        assert recorder.phases == [(f"loading {len(_classic(data))} classic file(s)", 100)]
        assert recorder.steps == 100  # DuckDB's own progress of the scan, then the rest
        again = _Recorder()
        store.load_files("classic", _classic(data), classic_shape, progress=again)
        assert again.phases == [] and again.steps == 0  # nothing to load, no bar
