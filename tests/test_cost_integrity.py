"""Cost data that is never lost, doubled or poisoned (issue 18): all-or-nothing runs,
file identity, what real exporters write, amounts, silent empties and our own words for
what DuckDB says. Expected sums are computed here from the rows the test wrote."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from guardrails.tooling.cli import main
from guardrails.tooling.cost.month import today_utc
from tests.cost_data import (
    TENANCY,
    CostMonth,
    full_month,
    write_classic_reports,
    write_focus,
    write_project,
)

MONTH = full_month(today_utc())


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("integrity")
    write_classic_reports(MONTH, root / "reports", lines_per_cell=2, rows_per_file=2000)
    write_focus(MONTH, root / "aws.csv", provider="aws", fmt="csv")
    return root


def report(
    capsys: pytest.CaptureFixture[str], *args: str | Path, fmt: str = "json"
) -> tuple[int, Any, str]:
    code = main(["cost", "report", "--month", MONTH.label, "--format", fmt, *map(str, args)])
    captured = capsys.readouterr()
    out: Any = captured.out
    if fmt == "json" and code == 0:
        out = json.loads(captured.out)
    return code, out, captured.err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(store: Path) -> list[str]:
    return sorted(p.name for p in store.parent.iterdir() if p.name.startswith(store.name + "."))


# --- all or nothing ---------------------------------------------------------------------------

STEPS: dict[str, str] = {
    "load": "guardrails.tooling.cost.store.CostStore.load_files",
    "read": "guardrails.tooling.cost.store.CostStore.daily_costs",
    "compose": "guardrails.tooling.cost.spend.build.compose_report",
    "render": "guardrails.tooling.cost.spend.output.render",
}


def _failing(error: BaseException) -> Callable[..., Any]:
    def fail(*_: Any, **__: Any) -> Any:
        raise error

    return fail


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize(
    ("error", "code"),
    [(RuntimeError("boom"), 3), (KeyboardInterrupt(), 130)],
    ids=["bug", "ctrl-c"],
)
def test_a_failure_at_any_step_leaves_the_store_byte_for_byte(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    files: Path,
    tmp_path: Path,
    step: str,
    error: BaseException,
    code: int,
) -> None:
    store = tmp_path / "s.duckdb"
    reports = sorted((files / "reports").glob("*.csv.gz"))
    first = tmp_path / "first"
    first.mkdir()
    (first / reports[0].name).symlink_to(reports[0])
    assert report(capsys, "--reports", first, "--store", store)[0] == 0
    before = _digest(store)
    monkeypatch.setenv("GUARDRAILS_TRACE_DIR", str(tmp_path / "traces"))
    monkeypatch.setattr(STEPS[step], _failing(error))
    got, _, err = report(
        capsys,
        "--reports",
        files / "reports",
        "--focus",
        files / "aws.csv",
        "--store",
        store,
        fmt="table",
    )
    assert got == code, err
    assert _digest(store) == before
    assert _leftovers(store) == []


def test_a_report_that_cannot_be_written_keeps_nothing_it_loaded(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    store = tmp_path / "s.duckdb"
    blocked = tmp_path / "no-such-folder" / "r.json"
    code, _, err = report(
        capsys, "--reports", files / "reports", "--store", store, "--output", blocked
    )
    assert code == 2, err
    assert not store.exists() and _leftovers(store) == []


def test_a_crashed_run_s_copy_is_cleared_and_the_store_is_intact(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    store = tmp_path / "s.duckdb"
    assert report(capsys, "--reports", files / "reports", "--store", store)[0] == 0
    (tmp_path / "s.duckdb.run-99999").write_bytes(b"half a store")  # a SIGKILLed run's copy
    code, data, _ = report(capsys, "--reports", files / "reports", "--store", store)
    assert code == 0 and data["loaded"] == []
    assert _leftovers(store) == []


def test_a_second_run_on_the_same_store_is_told_it_is_in_use(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    import fcntl
    import os

    store = tmp_path / "s.duckdb"
    lock = os.open(tmp_path / "s.duckdb.lock", os.O_CREAT | os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        code, _, err = report(capsys, "--reports", files / "reports", "--store", store)
    finally:
        os.close(lock)
    assert code == 2
    assert f"cost store {store}: another guardrails run is using it" in err
    assert not store.exists()


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"", "empty"),
        (b"this is not a database at all", "not a DuckDB database"),
    ],
    ids=["empty", "foreign"],
)
def test_a_damaged_store_is_told_apart_from_a_locked_one(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path, content: bytes, what: str
) -> None:
    store = tmp_path / "s.duckdb"
    store.write_bytes(content)
    code, _, err = report(capsys, "--reports", files / "reports", "--store", store)
    assert code == 2
    assert f"cost store {store}: {what}, not a guardrails cost store; move it away" in err
    assert store.read_bytes() == content


def test_a_truncated_store_is_damaged_not_an_internal_error(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    store = tmp_path / "s.duckdb"
    assert report(capsys, "--reports", files / "reports", "--store", store)[0] == 0
    whole = store.read_bytes()
    store.write_bytes(whole[: len(whole) // 3])
    code, _, err = report(capsys, "--reports", files / "reports", "--store", store)
    assert code == 2, err
    assert f"cost store {store}" in err and "damaged or not a guardrails cost store" in err
    assert store.read_bytes() == whole[: len(whole) // 3]


# --- a file is where it came from plus what it holds ----------------------------------------


def _by_center(data: dict[str, Any], provider: str = "oci") -> dict[str, float]:
    return {r["costCenter"]: r["monthToDate"] for r in data["rows"] if r["provider"] == provider}


def _truth(month: CostMonth, provider: str = "oci") -> dict[str, float]:
    """The month per cost center, as the report names them (no tag: `(untagged)`)."""
    return {(k or "(untagged)"): round(v, 2) for k, v in month.month_to_date(provider).items()}


def _part_files(month: CostMonth, folder: Path) -> None:
    """An export's layout: a folder per billing period, the same file names in each."""
    written = write_classic_reports(month, folder / "raw", lines_per_cell=2, rows_per_file=2500)
    for number, path in enumerate(written, 1):
        path.rename(folder / f"part-{number:05d}.csv.gz")
    (folder / "raw").rmdir()


def test_the_same_file_names_in_two_billing_periods_are_two_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    earlier = full_month(MONTH.first_day)
    export = tmp_path / "export"
    _part_files(earlier, export / f"BILLING_PERIOD={earlier.label}")
    _part_files(MONTH, export / f"BILLING_PERIOD={MONTH.label}")
    names = {p.name for p in export.rglob("*.csv.gz")}
    assert len(list(export.rglob("*.csv.gz"))) == 2 * len(names)  # the same names twice
    store = tmp_path / "s.duckdb"
    for month in (MONTH, earlier, MONTH):  # and again, across runs
        code = main(
            [
                "cost",
                "report",
                "--reports",
                str(export),
                "--store",
                str(store),
                "--month",
                month.label,
                "--format",
                "json",
            ]
        )
        data = json.loads(capsys.readouterr().out)
        assert code == 0
        assert _by_center(data) == pytest.approx(_truth(month), abs=0.011)


def test_a_copy_under_another_name_is_counted_once_with_a_note(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    shutil.copytree(files / "reports", folder)
    first = sorted(folder.glob("*.csv.gz"))[0]
    copy = folder / "copy-of-report.csv.gz"
    shutil.copy(first, copy)
    code, data, _ = report(capsys, "--reports", folder, "--store", tmp_path / "s.duckdb")
    assert code == 0
    assert _by_center(data) == pytest.approx(_truth(MONTH), abs=0.011)
    assert f"{copy}: the same content as {first.resolve()}, counted once" in data["notes"]


def test_an_edited_copy_with_the_same_line_references_is_refused(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    shutil.copytree(files / "reports", folder)
    first = sorted(folder.glob("*.csv.gz"))[0]
    with gzip.open(first, "rt", newline="") as handle:
        rows = list(csv.reader(handle))
    cost = rows[0].index("cost/myCost")
    rows[1][cost] = str(float(rows[1][cost]) + 1)
    edited = folder / "edited.csv.gz"
    with gzip.open(edited, "wt", newline="") as handle:
        csv.writer(handle).writerows(rows)
    store = tmp_path / "s.duckdb"
    code, _, err = report(capsys, "--reports", folder, "--store", store)
    assert code == 2
    assert f"line(s) repeat the line references of {first.resolve()}" in err
    assert str(edited.resolve()) in err or str(first.resolve()) in err
    assert "its spend would count twice" in err
    assert not store.exists()


def test_a_redelivered_file_replaces_its_old_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    small = full_month(
        today_utc(),
        daily={"CC-101": 10.0},
        aws_daily={},
        untagged_daily=0,
        unknown_daily=0,
        spikes=(),
    )
    bigger = full_month(
        today_utc(),
        daily={"CC-101": 25.0},
        aws_daily={},
        untagged_daily=0,
        unknown_daily=0,
        spikes=(),
    )
    folder = tmp_path / "reports"
    _part_files(small, folder)
    store = tmp_path / "s.duckdb"
    code, data, _ = report(capsys, "--reports", folder, "--store", store)
    assert _by_center(data) == pytest.approx(_truth(small), abs=0.011)
    shutil.rmtree(folder)
    _part_files(bigger, folder)  # the exporter wrote the period again, same names
    code, data, _ = report(capsys, "--reports", folder, "--store", store)
    assert code == 0
    assert _by_center(data) == pytest.approx(_truth(bigger), abs=0.011)


def test_files_of_earlier_runs_are_left_out_and_said(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    store = tmp_path / "s.duckdb"
    code, data, _ = report(
        capsys, "--reports", files / "reports", "--focus", files / "aws.csv", "--store", store
    )
    assert code == 0 and _by_center(data, "aws")
    code, data, _ = report(capsys, "--reports", files / "reports", "--store", store)
    assert code == 0
    assert _by_center(data, "aws") == {}  # the header says reports: no AWS rows of run one
    assert any(
        n.startswith("the store holds 1 more file(s) this run did not name; left out")
        and str((files / "aws.csv").resolve()) in n
        for n in data["notes"]
    ), data["notes"]


def test_oci_lines_of_a_focus_file_beside_the_reports_are_said_to_be_left_out(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    oci_focus = write_focus(MONTH, tmp_path / "oci-focus.csv", fmt="csv")
    code, data, _ = report(
        capsys,
        "--reports",
        files / "reports",
        "--focus",
        oci_focus,
        "--store",
        tmp_path / "s.duckdb",
    )
    assert code == 0
    assert _by_center(data) == pytest.approx(_truth(MONTH), abs=0.011)  # not doubled
    assert (
        f"{oci_focus.resolve()}: its OCI lines are left out (OCI spend comes from the cost "
        "reports this run: one source per provider)"
    ) in data["notes"]


# --- what exporters really write -------------------------------------------------------------

FOCUS_HEADER = [
    "BillingAccountId",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ProviderName",
    "ServiceName",
    "BilledCost",
    "EffectiveCost",
    "BillingCurrency",
    "Tags",
    "x_Discounts",
]


def _focus_rows(count: int = 30) -> list[dict[str, Any]]:
    """AWS lines of the month: cost centers in Tags, some untagged as `NULL`, as the FinOps
    Foundation's sample writes them."""
    rows = []
    for i in range(count):
        day = MONTH.first_day.replace(day=1 + i % 28)
        center = ("CC-101", "CC-202", None)[i % 3]
        rows.append(
            {
                "BillingAccountId": "123456789012",
                "ChargePeriodStart": f"{day.isoformat()}T00:00:00Z",
                "ChargePeriodEnd": f"{day.isoformat()}T01:00:00Z",
                "ProviderName": "AWS",
                "ServiceName": "Amazon Elastic Compute Cloud",
                "BilledCost": round(1.25 + i * 0.37, 6),
                "EffectiveCost": round(1.0 + i * 0.3, 6),
                "BillingCurrency": "USD",
                "Tags": "NULL" if center is None else json.dumps({"cost_center": center}),
                "x_Discounts": "NULL",
            }
        )
    return rows


def _expected(rows: list[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for row in rows:
        tags = row["Tags"]
        center = "(untagged)"
        if isinstance(tags, str) and tags not in ("NULL", ""):
            center = json.loads(tags).get("cost_center", "(untagged)")
        elif isinstance(tags, dict) and tags:
            center = tags.get("cost_center", "(untagged)")
        totals[center] = totals.get(center, 0.0) + float(row["BilledCost"])
    return {k: round(v, 2) for k, v in totals.items()}


def _write_csv(path: Path, rows: list[dict[str, Any]], *, bom: bool = False, header=None) -> Path:
    columns = header or FOCUS_HEADER
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _aws(capsys: pytest.CaptureFixture[str], focus: Path, tmp_path: Path) -> tuple[int, Any, str]:
    return report(capsys, "--focus", focus, "--store", tmp_path / "s.duckdb")


def test_focus_nulls_written_as_null_are_no_value(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = _focus_rows()
    code, data, err = _aws(capsys, _write_csv(tmp_path / "focus.csv", rows), tmp_path)
    assert code == 0, err
    assert _by_center(data, "aws") == pytest.approx(_expected(rows), abs=0.011)


def test_a_byte_order_mark_is_not_part_of_the_first_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = _focus_rows()
    code, data, err = _aws(capsys, _write_csv(tmp_path / "f.csv", rows, bom=True), tmp_path)
    assert code == 0, err
    assert _by_center(data, "aws") == pytest.approx(_expected(rows), abs=0.011)


def test_a_focus_file_without_tags_is_all_untagged_said_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = _focus_rows()
    header = [c for c in FOCUS_HEADER if c != "Tags"]
    focus = _write_csv(tmp_path / "f.csv", rows, header=header)
    code, data, err = _aws(capsys, focus, tmp_path)
    assert code == 0, err
    total = round(sum(float(r["BilledCost"]) for r in rows), 2)
    assert _by_center(data, "aws") == {"(untagged)": pytest.approx(total, abs=0.011)}
    assert data["notes"].count(f"{focus}: no Tags column: every line of it is untagged") == 1


@pytest.mark.parametrize("kind", ["map", "struct"])
def test_parquet_tags_as_a_map_or_struct(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    import duckdb

    rows = _focus_rows()
    source = _write_csv(tmp_path / "f.csv", rows)
    parquet = tmp_path / "f.parquet"
    tags = (
        "CASE WHEN Tags = 'NULL' THEN NULL ELSE "
        + (
            "MAP {'cost_center': json_extract_string(Tags, '$.cost_center')}"
            if kind == "map"
            else "{'cost_center': json_extract_string(Tags, '$.cost_center')}"
        )
        + " END"
    )
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE ({tags} AS Tags) FROM read_csv('{source}', all_varchar = true)) "
        f"TO '{parquet}' (FORMAT parquet)"
    )
    con.close()
    code, data, err = _aws(capsys, parquet, tmp_path)
    assert code == 0, err
    assert _by_center(data, "aws") == pytest.approx(_expected(rows), abs=0.011)


@pytest.mark.parametrize("bad", ["{not json", "[1,2,3]", '"just text"'])
def test_a_tags_value_that_is_not_an_object_is_refused_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bad: str
) -> None:
    rows = _focus_rows()
    rows[6]["Tags"] = bad
    focus = _write_csv(tmp_path / "f.csv", rows)
    store = tmp_path / "s.duckdb"
    code, _, err = report(capsys, "--focus", focus, "--store", store)
    assert code == 2
    assert err.strip() == (
        f"error: {focus}: line 8: Tags {bad!r} is not a JSON object of tag keys and values"
    )
    assert not store.exists()


@pytest.mark.parametrize(
    ("bad", "column"),
    [
        ("NaN", "BilledCost"),
        ("Infinity", "BilledCost"),
        ("1e308", "EffectiveCost"),
        ("-1e13", "BilledCost"),
    ],
)
def test_amounts_no_real_line_has_are_refused_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bad: str, column: str
) -> None:
    rows = _focus_rows()
    rows[3][column] = bad
    focus = _write_csv(tmp_path / "f.csv", rows)
    store = tmp_path / "s.duckdb"
    code, _, err = report(capsys, "--focus", focus, "--store", store)
    assert code == 2
    assert err.strip() == (
        f"error: {focus}: line 5: {column} {bad!r} is not a cost a line can have "
        "(a finite number of at most 1e+12)"
    )
    assert not store.exists()


def test_a_classic_report_with_a_nan_cost_is_refused_and_the_store_kept(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    store = tmp_path / "s.duckdb"
    assert report(capsys, "--focus", files / "aws.csv", "--store", store)[0] == 0
    before = _digest(store)
    first = sorted((files / "reports").glob("*.csv.gz"))[0]
    with gzip.open(first, "rt", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[10][rows[0].index("cost/myCost")] = "NaN"
    broken = tmp_path / "broken.csv.gz"
    with gzip.open(broken, "wt", newline="") as handle:
        csv.writer(handle).writerows(rows)
    code, _, err = report(capsys, "--reports", broken, "--store", store)
    assert code == 2
    assert f"{broken}: line 11: cost/myCost 'NaN' is not a cost a line can have" in err
    assert _digest(store) == before


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("2026-10-01,abc", "column BilledCost: 'abc' is not a number"),
        ("only,three,fields", "3 fields where the header has 10 columns"),
    ],
    ids=["not-a-number", "short-line"],
)
def test_csv_errors_name_file_line_and_column_in_our_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, line: str, words: str
) -> None:
    rows = _focus_rows(5)
    focus = _write_csv(tmp_path / "f.csv", rows)
    text = focus.read_text().splitlines()
    if line.startswith("2026"):
        cells = text[3].split(",")
        cells[FOCUS_HEADER.index("BilledCost")] = "abc"
        text[3] = ",".join(cells)
    else:
        text[3] = line
    focus.write_text("\n".join(text) + "\n")
    store = tmp_path / "s.duckdb"
    code, _, err = report(capsys, "--focus", focus, "--store", store)
    assert code == 2
    assert err.strip() == f"error: cannot load cost data: {focus}: line 4: {words}"
    assert not store.exists()


# --- amounts and names ------------------------------------------------------------------------


def test_json_and_csv_carry_full_precision_and_the_table_two_decimals(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = _focus_rows(3)
    for row, cost in zip(rows, (0.123456, 0.2, 0.21), strict=True):
        row["BilledCost"] = cost
        row["Tags"] = json.dumps({"cost_center": "CC-101"})
    focus = _write_csv(tmp_path / "f.csv", rows)
    code, data, _ = _aws(capsys, focus, tmp_path)
    assert code == 0
    (row,) = data["rows"]
    assert row["monthToDate"] == 0.533456
    assert (row["tagKey"], row["tagValue"]) == ("governance.cost_center", "CC-101")
    code, text, _ = report(capsys, "--focus", focus, "--store", tmp_path / "s.duckdb", fmt="csv")
    header, line = text.splitlines()[:2]
    assert header.startswith("tagKey,tagValue,provider,costCenter,currency,monthToDate")
    assert line.startswith("governance.cost_center,CC-101,aws,CC-101,USD,0.533456")
    code, table, _ = report(capsys, "--focus", focus, "--store", tmp_path / "s.duckdb", fmt="table")
    assert "0.53" in table and "0.533456" not in table


def test_a_total_per_tag_value_and_currency_across_providers(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    aws_in_eur = write_focus(
        MONTH, tmp_path / "aws-eur.csv", provider="aws", fmt="csv", currency="EUR"
    )
    code, data, _ = report(
        capsys,
        "--reports",
        files / "reports",
        "--focus",
        aws_in_eur,
        "--store",
        tmp_path / "s.duckdb",
    )
    assert code == 0
    oci, aws = _truth(MONTH), _truth(MONTH, "aws")
    totals = {(t["tagValue"], t["currency"]): t for t in data["totals"]}
    for center in ("CC-101", "CC-202"):
        total = totals[(center, "EUR")]
        assert total["providers"] == ["aws", "oci"]
        assert total["monthToDate"] == pytest.approx(oci[center] + aws[center], abs=0.02)
    assert totals[("CC-303", "EUR")]["providers"] == ["oci"]


def test_amounts_in_two_currencies_are_never_added(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    code, data, _ = report(
        capsys,
        "--reports",
        files / "reports",
        "--focus",
        files / "aws.csv",
        "--store",
        tmp_path / "s.duckdb",
    )
    assert code == 0
    totals = {(t["tagValue"], t["currency"]): t["providers"] for t in data["totals"]}
    assert totals[("CC-101", "EUR")] == ["oci"] and totals[("CC-101", "USD")] == ["aws"]


# --- no silent empties, no foreign data -------------------------------------------------------


def test_reports_of_another_tenancy_are_refused_unless_asked_for(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    other = "ocid1.tenancy.oc1..aaaaaaaaother" + "0" * 47
    project = write_project(tmp_path / "p", tenancy=other)
    store = tmp_path / "s.duckdb"
    args = ("--program", project, "--stack", "prod", "--reports", files / "reports")
    code, _, err = report(capsys, *args, "--store", store)
    assert code == 2
    first = sorted((files / "reports").glob("*.csv.gz"))[0].resolve()
    assert err.startswith(
        f"error: {first}: OCI lines of tenancy {TENANCY}, not the stack's {other}"
    )
    assert err.rstrip().endswith(
        "give the stack's own cost files, or --any-tenancy to use them anyway"
    )
    assert not store.exists()
    code, data, _ = report(capsys, *args, "--store", store, "--any-tenancy")
    assert code == 0 and data["rows"]


def test_a_month_without_data_says_what_the_data_covers(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path
) -> None:
    code = main(
        [
            "cost",
            "report",
            "--reports",
            str(files / "reports"),
            "--store",
            str(tmp_path / "s.duckdb"),
            "--month",
            "2020-01",
            "--format",
            "json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    days = f"{MONTH.first_day.isoformat()} to {MONTH.first_day.replace(day=MONTH.days).isoformat()}"
    note = f"no cost data for 2020-01: the data of this run covers {days}"
    assert json.loads(captured.out)["notes"] == [note]
    assert f"note: {note}" in captured.err


def test_a_header_only_file_is_said(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    focus = _write_csv(tmp_path / "empty.csv", [])
    code, data, err = _aws(capsys, focus, tmp_path)
    assert code == 0, err
    assert f"{focus}: no cost lines (a header only)" in data["notes"]
    assert any(n.startswith(f"no cost data for {MONTH.label}") for n in data["notes"])


# --- `guardrails cost store` ------------------------------------------------------------------


def store_cmd(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["cost", "store", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def filled(capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path) -> Path:
    store = tmp_path / "s.duckdb"
    code, _, err = report(
        capsys, "--reports", files / "reports", "--focus", files / "aws.csv", "--store", store
    )
    assert code == 0, err
    return store


def test_store_list_shows_files_months_sources_and_lines(
    capsys: pytest.CaptureFixture[str], files: Path, filled: Path
) -> None:
    code, out, _ = store_cmd(capsys, "list", "--store", filled, "--format", "json")
    assert code == 0
    listed = {f["file"]: f for f in json.loads(out)["files"]}
    aws = listed[str((files / "aws.csv").resolve())]
    assert (aws["kind"], aws["months"], aws["tenancy"]) == ("focus", MONTH.label, "")
    reports = [f for f in listed.values() if f["kind"] == "classic"]
    assert {f["tenancy"] for f in reports} == {TENANCY}
    with gzip.open(sorted((files / "reports").glob("*.csv.gz"))[0], "rt") as handle:
        assert reports[0]["lines"] == sum(1 for _ in handle) - 1


def test_store_check_passes_a_sound_store_and_names_what_does_not_add_up(
    capsys: pytest.CaptureFixture[str], filled: Path
) -> None:
    import duckdb

    code, out, _ = store_cmd(capsys, "check", "--store", filled)
    assert code == 0 and out.strip().endswith("adds up")
    con = duckdb.connect(str(filled))
    con.execute("UPDATE sums SET billed = billed + 5 WHERE key = (SELECT min(key) FROM sums)")
    (name,) = con.execute(
        "SELECT name FROM files WHERE file_id = (SELECT file_id FROM sums WHERE key = "
        "(SELECT min(key) FROM sums))"
    ).fetchone()
    con.close()
    code, out, _ = store_cmd(capsys, "check", "--store", filled)
    assert code == 1
    assert f"problem: {name}: its summed cost" in out and "does not add up" in out


def test_store_forget_is_a_dry_run_until_apply_and_then_the_next_run_reads_again(
    capsys: pytest.CaptureFixture[str], files: Path, filled: Path
) -> None:
    aws = str((files / "aws.csv").resolve())
    before = _digest(filled)
    code, out, _ = store_cmd(capsys, "forget", "--file", aws, "--store", filled)
    assert code == 0 and "would be forgotten (dry run; --apply to forget)" in out
    assert _digest(filled) == before
    code, out, _ = store_cmd(capsys, "forget", "--file", aws, "--store", filled, "--apply")
    assert code == 0 and f"{aws}: " in out and "forgotten" in out
    code, out, _ = store_cmd(capsys, "list", "--store", filled, "--format", "json")
    assert aws not in {f["file"] for f in json.loads(out)["files"]}
    code, data, _ = report(capsys, "--focus", files / "aws.csv", "--store", filled)
    assert data["loaded"] == [aws]


def test_store_forget_a_month_and_bad_requests(
    capsys: pytest.CaptureFixture[str], filled: Path
) -> None:
    code, out, _ = store_cmd(capsys, "forget", "--month", MONTH.label, "--store", filled, "--apply")
    assert code == 0
    code, out, _ = store_cmd(capsys, "list", "--store", filled, "--format", "json")
    assert json.loads(out)["files"] == []
    before = _digest(filled)
    code, _, err = store_cmd(capsys, "forget", "--month", "2020-01", "--store", filled, "--apply")
    assert code == 2 and "the store holds no lines of 2020-01" in err
    code, _, err = store_cmd(capsys, "forget", "--file", "nope.csv", "--store", filled, "--apply")
    assert code == 2 and "nope.csv: not in the store" in err
    assert _digest(filled) == before
    code, _, err = store_cmd(capsys, "list", "--store", filled.with_name("none.duckdb"))
    assert code == 2 and "no such store" in err


def test_a_store_of_the_earlier_schema_keeps_its_files_under_their_paths(
    capsys: pytest.CaptureFixture[str], files: Path, filled: Path
) -> None:
    import duckdb

    con = duckdb.connect(str(filled))  # as the earlier version wrote it: base names, no meta
    con.execute("UPDATE files SET name = regexp_extract(name, '[^/]+$')")
    con.execute("DROP TABLE meta")
    con.close()
    code, data, _ = report(
        capsys, "--reports", files / "reports", "--focus", files / "aws.csv", "--store", filled
    )
    assert code == 0
    assert data["loaded"] == []  # nothing read twice, nothing counted twice
    assert _by_center(data) == pytest.approx(_truth(MONTH), abs=0.011)
