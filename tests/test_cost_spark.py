"""`cost report --engine spark` gives the numbers the DuckDB engine gives (issue 22): the
same generated months (corrections, two currencies, tags as columns, as JSON and as a
Parquet map) and FOCUS files run through both engines, every JSON row compared; the table
of normalised lines (`cost load --into`, `--from-table`); and the engine's bad inputs
(no Java, no PySpark, bad URLs, Spark options without Spark), each one line and exit 2.

Spark runs in local mode, one session per test worker (the JVM starts once). Without Java
the Spark tests are skipped, saying so; the error tests need no JVM.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guardrails.tooling.cli import main
from guardrails.tooling.cost.month import today_utc
from guardrails.tooling.cost.spark import session as spark_session_module
from tests.cost_data import full_month, write_classic_reports, write_focus

MONTH = full_month(today_utc())
JAVA = os.environ.get("JAVA_HOME") or shutil.which("java")
needs_java = pytest.mark.skipif(
    JAVA is None,
    reason="no Java on this machine (JAVA_HOME unset, no java on PATH): Spark cannot run",
)
spark_test = [pytest.mark.spark, pytest.mark.slow, pytest.mark.subprocess, needs_java]


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The worker's one local Spark (2 cores): every Spark test shares it."""
    session = spark_session_module.spark_session(spark_session_module.SparkOptions("local[2]"))
    yield session
    session.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark")
    write_classic_reports(MONTH, root / "reports", lines_per_cell=2, rows_per_file=3000)
    write_focus(MONTH, root / "aws.csv", provider="aws", fmt="csv")
    write_focus(MONTH, root / "oci-focus" / "oci.csv.gz")
    _parquet_with_map_tags(
        write_focus(MONTH, root / "aws-src.csv", provider="aws", fmt="csv"),
        root / "aws-map" / "aws.parquet",
    )
    return root


def _parquet_with_map_tags(source: Path, target: Path) -> None:
    """An AWS FOCUS file whose Tags column is a Parquet map (as some exporters write it)."""
    import duckdb

    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * REPLACE (CASE WHEN Tags IS NULL OR Tags = '{}' THEN NULL ELSE "
        "MAP {'user:cost_center': json_extract_string(Tags, '$.\"user:cost_center\"')} END "
        f"AS Tags) FROM read_csv('{source}', all_varchar = true)) TO '{target}' (FORMAT parquet)"
    )
    con.close()


def report(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, Any, str]:
    code = main(["cost", "report", "--month", MONTH.label, "--format", "json", *map(str, args)])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else captured.out), captured.err


def _same_numbers(duck: Any, spark: Any) -> None:
    """Everything the report says, numbers to the cent; what was loaded is named per engine."""

    def numbers(value: Any) -> Any:
        if isinstance(value, float):
            return pytest.approx(value, abs=0.005)
        if isinstance(value, dict):
            return {k: numbers(v) for k, v in value.items() if k not in ("loaded", "notes")}
        if isinstance(value, list):
            return [numbers(v) for v in value]
        return value

    assert duck["rows"], "the comparison needs rows"
    assert {k: v for k, v in spark.items() if k not in ("loaded", "notes")} == numbers(duck)


CASES = {
    "classic reports, AWS FOCUS in USD": (
        "--stack",
        "prod",
        "--reports",
        "{reports}",
        "--focus",
        "{aws}",
    ),
    "OCI FOCUS with corrections": ("--source", "focus", "--focus", "{oci_focus}", "--any-tenancy"),
    "tags as a Parquet map, by application": (
        "--reports",
        "{reports}",
        "--focus",
        "{aws_map}",
        "--tag",
        "application",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.subprocess
@needs_java
def test_both_engines_give_the_same_report(
    capsys: pytest.CaptureFixture[str], spark: Any, files: Path, tmp_path: Path, case: str
) -> None:
    places = {
        "reports": files / "reports",
        "aws": files / "aws.csv",
        "oci_focus": files / "oci-focus",
        "aws_map": files / "aws-map",
    }
    args = [a.format(**places) for a in CASES[case]]
    code, duck, err = report(capsys, *args, "--store", tmp_path / "s.duckdb")
    assert code == 0, err
    code, on_spark, err = report(capsys, *args, "--engine", "spark", "--spark-master", "local[2]")
    assert code == 0, err
    _same_numbers(duck, on_spark)
    assert not (tmp_path / "spark.duckdb").exists()


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.subprocess
@needs_java
def test_the_sums_per_provider_tag_day_and_service_are_the_store_s(
    spark: Any, files: Path, tmp_path: Path
) -> None:
    """Below the report: every daily row (provider, tag value, day, service, currency)."""
    from datetime import timedelta

    from guardrails.tooling.cost.sources.classic_reports import classic_shape
    from guardrails.tooling.cost.sources.focus import focus_shape
    from guardrails.tooling.cost.spark import engine
    from guardrails.tooling.cost.spark.inputs import file_key, spark_inputs
    from guardrails.tooling.cost.store import store_session

    reports = sorted((files / "reports").glob("*.csv.gz"))
    start, end = MONTH.first_day - timedelta(days=40), MONTH.first_day + timedelta(days=40)
    keys = {"oci_keys": ("governance.cost_center",), "other_keys": ("user:cost_center",)}
    with store_session(tmp_path / "s.duckdb", keep=False) as store:
        store.load_files("classic", reports, classic_shape)
        store.load_files("focus", [files / "aws.csv"], focus_shape)
        duck = store.daily_costs(start, end, oci_kind="classic", **keys)
    found = spark_inputs(spark, [files / "reports"], [files / "aws.csv"])
    spend = engine.spark_spend(
        spark,
        engine.file_sources(spark, found),
        {file_key(f.uri): f.name for f in found},
        start=start,
        end=end,
        oci_kind="classic",
        **keys,
    )
    assert len(spend.costs) == len(duck) > 1000
    assert {c.provider for c in duck} == {"oci", "aws"}
    for mine, theirs in zip(spend.costs, duck, strict=True):
        assert mine.provider == theirs.provider and mine.group == theirs.group
        assert mine.day == theirs.day and mine.service == theirs.service
        assert mine.currency == theirs.currency
        assert mine.billed == pytest.approx(theirs.billed, abs=1e-6)
    assert sorted(n for _, n, _ in spend.files) == sorted(
        str(p.resolve()) for p in [*reports, files / "aws.csv"]
    )


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.subprocess
@needs_java
def test_a_loaded_table_gives_the_files_report_and_a_second_load_adds_nothing(
    capsys: pytest.CaptureFixture[str], spark: Any, files: Path, tmp_path: Path
) -> None:
    table = tmp_path / "lines"
    load = [
        "cost",
        "load",
        "--engine",
        "spark",
        "--spark-master",
        "local[2]",
        "--into",
        str(table),
        "--reports",
        str(files / "reports"),
        "--focus",
        str(files / "aws.csv"),
    ]
    assert main(load) == 0
    out = capsys.readouterr().out
    assert "loaded " in out and f"into {table}" in out
    assert sorted(p.name for p in table.iterdir() if p.name.startswith("month="))
    assert main(load) == 0
    captured = capsys.readouterr()
    assert "loaded 0 file(s), 0 line(s)" in captured.out
    assert "the table holds already" in captured.err
    args = ("--stack", "prod", "--reports", files / "reports", "--focus", files / "aws.csv")
    code, duck, err = report(capsys, *args, "--store", tmp_path / "s.duckdb")
    assert code == 0, err
    code, from_table, err = report(
        capsys, "--stack", "prod", "--engine", "spark", "--from-table", table
    )
    assert code == 0, err
    _same_numbers(duck, from_table)


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.subprocess
@needs_java
def test_a_copy_of_a_report_is_refused_on_spark_too(
    capsys: pytest.CaptureFixture[str], spark: Any, files: Path, tmp_path: Path
) -> None:
    first = sorted((files / "reports").glob("*.csv.gz"))[0]
    copy = tmp_path / "copy" / "again.csv.gz"
    copy.parent.mkdir()
    shutil.copy(first, copy)
    code, out, err = report(capsys, "--reports", files / "reports", copy, "--engine", "spark")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "repeat the line references of" in err and "(name only one of them)" in err


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.subprocess
@needs_java
def test_a_cost_that_is_not_a_number_is_named_with_file_and_line(
    capsys: pytest.CaptureFixture[str], spark: Any, tmp_path: Path
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "ChargePeriodStart,ServiceName,BilledCost,BillingCurrency,ProviderName\n"
        "2026-10-01T00:00:00Z,EC2,1.5,USD,AWS\n"
        "2026-10-01T01:00:00Z,EC2,abc,USD,AWS\n"
    )
    code, _, err = report(capsys, "--focus", path, "--engine", "spark")
    assert code == 2
    assert (
        err.strip()
        == f"error: cannot load cost data: {path}: line 3: column BilledCost: 'abc' is not a number"
    )


# --- bad engine options: one line, exit 2, no JVM started ---------------------------------


def _error(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    code, out, err = report(capsys, *args)
    assert code == 2 and out == "", err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture
def no_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a fresh process: no Spark session yet (a test worker may have one)."""
    from pyspark.sql import SparkSession

    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))


def test_a_wrong_java_home_is_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    no_session: None,
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    err = _error(capsys, "--focus", tmp_path, "--engine", "spark")
    assert err == (
        f"error: JAVA_HOME={tmp_path / 'no-jdk'} has no bin/java: the Spark engine needs Java 17 "
        "or later; set JAVA_HOME to a JDK or unset it to use the java on PATH"
    )


def test_no_java_at_all_is_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    no_session: None,
) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    err = _error(capsys, "--focus", tmp_path, "--engine", "spark")
    assert err == (
        "error: no Java: the Spark engine needs Java 17 or later (install a JDK or set "
        "JAVA_HOME), or use --engine duckdb"
    )


@pytest.mark.subprocess
def test_a_java_too_old_is_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    no_session: None,
) -> None:
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    err = _error(capsys, "--focus", tmp_path, "--engine", "spark")
    assert err == f"error: {java} is Java 11: the Spark engine needs Java 17 or later"


def test_pyspark_missing_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    err = _error(capsys, "--focus", tmp_path, "--engine", "spark")
    assert err == "error: the Spark engine needs PySpark: pip install 'guardrails[spark]'"


@pytest.mark.parametrize(
    "master", ["local[0]", "local[x]", "spark://", "spark://host", "http://host:7077", "local[*"]
)
def test_a_bad_master_url_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, master: str
) -> None:
    err = _error(capsys, "--focus", tmp_path, "--engine", "spark", "--spark-master", master)
    assert err == (
        f"error: --spark-master {master!r}: not a Spark master URL (local, local[N], local[*], "
        "spark://HOST:PORT, yarn, k8s://https://HOST:PORT)"
    )


@pytest.mark.parametrize(
    "master",
    [
        "local",
        "local[1]",
        "local[*]",
        "local[4,2]",
        "spark://a:7077",
        "spark://a:7077,b.example:7077",
        "yarn",
        "k8s://https://k:6443",
    ],
)
def test_good_master_urls_pass_the_check(master: str) -> None:
    spark_session_module.check_options(spark_session_module.SparkOptions(master=master))


def test_a_bad_remote_url_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = _error(
        capsys, "--focus", tmp_path, "--engine", "spark", "--spark-remote", "http://x:15002"
    )
    assert err == "error: --spark-remote 'http://x:15002': not a Spark Connect URL (sc://HOST:PORT)"


@pytest.mark.parametrize(
    ("option", "value"),
    [("--spark-master", "local[2]"), ("--spark-remote", "sc://h:15002"), ("--from-table", "/t")],
)
def test_spark_options_with_the_duckdb_engine_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, value: str
) -> None:
    store = tmp_path / "s.duckdb"
    (tmp_path / "in").mkdir()
    err = _error(capsys, "--focus", tmp_path / "in", "--store", store, option, value)
    assert err == f"error: {option} needs --engine spark (the DuckDB engine is local)"
    assert not store.exists()


def test_object_storage_with_the_duckdb_engine_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = tmp_path / "s.duckdb"
    err = _error(capsys, "--focus", "oci://costs@ns/focus/", "--store", store)
    assert err == (
        "error: oci://costs@ns/focus/: object storage is read by --engine spark; the DuckDB "
        "engine reads local files (and downloads bling's reports with --reports alone)"
    )
    assert not store.exists()


def test_the_usage_api_is_not_a_spark_source(capsys: pytest.CaptureFixture[str]) -> None:
    err = _error(capsys, "--engine", "spark")
    assert err == (
        "error: --engine spark reads cost files (--reports, --focus) or a table (--from-table); "
        "the Usage API is one call: use --engine duckdb for it"
    )


@pytest.mark.parametrize("case", ["OCI FOCUS with corrections"])
@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.subprocess
@needs_java
def test_the_application_file_under_spark_submit_gives_the_same_report(
    capsys: pytest.CaptureFixture[str], files: Path, tmp_path: Path, case: str
) -> None:
    """What Data Flow runs: `spark-submit guardrails/tooling/spark_job.py cost report ...`,
    its own driver and session (no --spark-master: the platform's), the same rows."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    args = [a.format(oci_focus=files / "oci-focus") for a in CASES[case]]
    code, duck, err = report(capsys, *args, "--store", tmp_path / "s.duckdb")
    assert code == 0, err
    submit = Path(sys.executable).parent / "spark-submit"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    done = subprocess.run(
        [str(submit), "--master", "local[1]", str(ROOT / "guardrails/tooling/spark_job.py"),
         "cost", "report", "--month", MONTH.label, "--format", "json", "--engine", "spark",
         *args],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    _same_numbers(duck, json.loads(done.stdout))
