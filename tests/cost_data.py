"""Synthetic cost data: one month of daily costs, written as every source guardrails reads.

A `CostMonth` is the truth: a cost per day, cost center and service (OCI and AWS), with a
weekday rhythm, a slow trend, seeded noise, untagged lines and an unknown cost center, a
planted spike and corrections. From it:

- `write_classic_reports` writes OCI's classic cost reports (`reports/cost-csv/*.csv.gz`,
  hourly lines, split at `rows_per_file` as OCI does), each truth cell spread over many
  lines; some lines are written wrong and corrected by a later line
  (`lineItem/isCorrection`, `lineItem/backreferenceNo`);
- `write_focus` writes FOCUS 1.0 files in OCI's flavour (pre-1.0 `Provider`/`Region`, `oci_`
  extension columns, corrections by `oci_BackReferenceNumber`) or AWS's (`ProviderName`,
  `user:` tag keys), as CSV, CSV.gz or Parquet;
- `usage_lines` gives the month as daily lines to seed the fake OCI Usage API.

It lives in `tests/` (not in the package): it is test and benchmark support, the benchmark
imports it from here, and the fake OCI server it seeds lives here too. Files are written by
DuckDB's COPY, so ten million lines take seconds, not minutes.
"""

from __future__ import annotations

import calendar
import json
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from guardrails.tooling.cost.month import Month

TENANCY = "ocid1.tenancy.oc1..aaaaaaaaprodtenancy00000000000000000000000000000000000000000"
"""The prod stack's tenancy: its reports are the stack's own."""
NAMESPACE = "governance"
UNTAGGED = ""
"""The cost center of lines without the tag."""

OCI_SERVICES = {
    "Database": 0.45,
    "Compute": 0.25,
    "Object Storage": 0.12,
    "Block Storage": 0.08,
    "Streaming": 0.06,
    "Networking": 0.04,
}
AWS_SERVICES = {"Amazon Elastic Compute Cloud": 0.6, "Amazon Simple Storage Service": 0.4}
WEEKDAY = (1.05, 1.1, 1.1, 1.08, 1.0, 0.78, 0.74)
"""Monday..Sunday: weekends are cheaper (stopped dev databases, batch jobs)."""


@dataclass(frozen=True)
class Spike:
    cost_center: str
    day: int
    factor: float


@dataclass
class CostMonth:
    """The truth of one month: `cells[(day, cost_center, service)] = cost`, per provider."""

    year: int
    month: int
    days: int
    """Days of data (the report's month to date), 1..days."""
    daily: dict[str, float] = field(
        default_factory=lambda: {"CC-101": 700.0, "CC-202": 520.0, "CC-303": 380.0}
    )
    aws_daily: dict[str, float] = field(default_factory=lambda: {"CC-101": 110.0, "CC-202": 60.0})
    untagged_daily: float = 45.0
    unknown_daily: float = 20.0
    unknown_cost_center: str = "CC-999"
    spikes: tuple[Spike, ...] = (Spike("CC-202", 18, 4.0),)
    trend: float = 0.004
    """Relative growth per day."""
    noise: float = 0.06
    currency: str = "EUR"
    aws_currency: str = "USD"
    tenancy: str = TENANCY
    """Whose reports these are (`lineItem/tenantId`, OCI's FOCUS `BillingAccountId`)."""
    seed: int = 7
    corrections_every: int = 37
    """One truth cell in this many gets a wrong line and its correction."""
    extra_tags: dict[str, str] = field(
        default_factory=lambda: {
            "CC-101": "payments",
            "CC-202": "search",
            "CC-303": "analytics",
            "CC-999": "legacy",
            UNTAGGED: "",
        }
    )
    """`application` free-form tag per cost center (for `--tag application`)."""

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.oci: dict[tuple[int, str, str], float] = {}
        self.aws: dict[tuple[int, str, str], float] = {}
        centers = {**self.daily, UNTAGGED: self.untagged_daily}
        centers[self.unknown_cost_center] = self.unknown_daily
        centers = {c: base for c, base in centers.items() if base}
        for day in range(1, self.days + 1):
            when = date(self.year, self.month, day)
            rhythm = WEEKDAY[when.weekday()] * (1 + self.trend * day)
            for center, base in centers.items():
                spike = math.prod(
                    s.factor for s in self.spikes if s.cost_center == center and s.day == day
                )
                for service, share in OCI_SERVICES.items():
                    value = (
                        base * share * rhythm * spike * rng.uniform(1 - self.noise, 1 + self.noise)
                    )
                    self.oci[(day, center, service)] = round(value, 4)
            for center, base in self.aws_daily.items():
                for service, share in AWS_SERVICES.items():
                    value = base * share * rhythm * rng.uniform(1 - self.noise, 1 + self.noise)
                    self.aws[(day, center, service)] = round(value, 4)

    @property
    def period(self) -> Month:
        return Month(self.year, self.month)

    @property
    def first_day(self) -> date:
        return self.period.first

    @property
    def month_days(self) -> int:
        return self.period.days

    @property
    def label(self) -> str:
        return str(self.period)

    def month_to_date(self, provider: str = "oci") -> dict[str, float]:
        """Cost per cost center (UNTAGGED for lines without the tag)."""
        totals: dict[str, float] = defaultdict(float)
        for (_, center, _), cost in (self.oci if provider == "oci" else self.aws).items():
            totals[center] += cost
        return dict(totals)

    def daily_totals(self, cost_center: str) -> list[float]:
        by_day: dict[int, float] = defaultdict(float)
        for (day, center, _), cost in self.oci.items():
            if center == cost_center:
                by_day[day] += cost
        return [by_day[d] for d in range(1, self.days + 1)]


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = false")
    return con


def _cells_table(con: duckdb.DuckDBPyConnection, cells: dict[tuple[int, str, str], float]) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cells "
        "(cell INTEGER, day INTEGER, center VARCHAR, service VARCHAR, cost DOUBLE)"
    )
    con.executemany(
        "INSERT INTO cells VALUES (?, ?, ?, ?, ?)",
        [(i, d, c, s, v) for i, ((d, c, s), v) in enumerate(sorted(cells.items()))],
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lines_sql(month: CostMonth, lines_per_cell: int, *, corrections: bool = True) -> str:
    """Every line of the month; with `corrections`, some originals are wrong (cost x1.5 + 3)
    and a correction line with the right cost references them."""
    start = month.first_day.isoformat()
    k = lines_per_cell
    every = month.corrections_every if corrections else 0
    if not every:
        return f"""
            SELECT c.cell * {k} + r.i AS seq,
                   (DATE '{start}' + (c.day - 1) * INTERVAL 1 DAY) + (r.i % 24) * INTERVAL 1 HOUR
                       AS started,
                   c.center, c.service, c.day, c.cost / {k} AS cost,
                   false AS is_correction, NULL::BIGINT AS back
            FROM cells c, range({k}) r(i)
        """
    return f"""
        WITH base AS (
            SELECT c.*, r.i,
                   c.cell * {k} + r.i AS seq,
                   (DATE '{start}' + (c.day - 1) * INTERVAL 1 DAY) + (r.i % 24) * INTERVAL 1 HOUR
                       AS started,
                   c.cost / {k} AS line_cost
            FROM cells c, range({k}) r(i)
        )
        SELECT seq, started, center, service, day,
               CASE WHEN i = 0 AND cell % {every} = 0 THEN line_cost * 1.5 + 3 ELSE line_cost END
                   AS cost,
               false AS is_correction, NULL::BIGINT AS back
        FROM base
        UNION ALL
        SELECT {10**12} + seq, started, center, service, day, line_cost, true, seq
        FROM base WHERE i = 0 AND cell % {every} = 0
    """


def _ref(column: str, month: CostMonth) -> str:
    """OCI line references: unique across the tenancy's reports (so per month here too)."""
    return f"printf('{TENANCY[-12:]}-{month.year}{month.month:02d}-%012d', {column})"


def write_classic_reports(
    month: CostMonth,
    directory: Path,
    *,
    lines_per_cell: int = 4,
    rows_per_file: int = 1_000_000,
    extra_columns: bool = True,
) -> list[Path]:
    """OCI classic cost reports of the month in `directory`; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    con = _connect()
    _cells_table(con, month.oci)
    con.execute(f"CREATE TEMP TABLE lines AS {_lines_sql(month, lines_per_cell)}")
    total = con.execute("SELECT count(*) FROM lines").fetchone()[0]  # type: ignore[index]
    app = " ".join(f"WHEN '{c}' THEN '{a}'" for c, a in month.extra_tags.items())
    extra = (
        """,
            'oci_' || lower(replace(service, ' ', '')) AS "product/resource",
            'ocid1.compartment.oc1..aaaaaaaacostdata' AS "product/compartmentId",
            'workloads' AS "product/compartmentName",
            'eu-frankfurt-1' AS "product/region",
            'EU-FRANKFURT-1-AD-1' AS "product/availabilityDomain",
            printf('ocid1.autonomousdatabase.oc1.eu-frankfurt-1.%08d', seq % 977) AS "product/resourceId",
            1.0 AS "usage/billedQuantity",
            NULL AS "usage/billedQuantityOverage",
            '12345' AS "cost/subscriptionId",
            'B95702' AS "cost/productSku",
            service || ' - ECPU' AS "product/Description",
            cost AS "cost/unitPrice",
            NULL AS "cost/unitPriceOverage"
        """
        if extra_columns
        else ""
    )
    query = f"""
        SELECT {_ref("seq", month)} AS "lineItem/referenceNo",
            '{month.tenancy}' AS "lineItem/tenantId",
            strftime(started, '%Y-%m-%dT%H:%MZ') AS "lineItem/intervalUsageStart",
            strftime(started + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%MZ') AS "lineItem/intervalUsageEnd",
            service AS "product/service"{extra},
            round(cost, 8) AS "cost/myCost",
            NULL AS "cost/myCostOverage",
            '{month.currency}' AS "cost/currencyCode",
            'ONE HOUR' AS "cost/billingUnitReadable",
            is_correction AS "lineItem/isCorrection",
            CASE WHEN back IS NULL THEN NULL ELSE {_ref("back", month)} END AS "lineItem/backreferenceNo",
            NULLIF(center, '') AS "tags/{NAMESPACE}.cost_center",
            CASE WHEN center = '' THEN NULL ELSE 'prod' END AS "tags/{NAMESPACE}.environment",
            NULLIF(CASE center {app} END, '') AS "tags/application",
            'oracleidentitycloudservice/ops' AS "tags/Oracle-Tags.CreatedBy"
        FROM lines
    """
    # Lines in time order, corrections last (a later file), numbered into files once.
    con.execute(
        f"CREATE TEMP TABLE numbered AS SELECT *, (row_number() OVER "
        f"(ORDER BY is_correction, started, seq) - 1) // {rows_per_file} AS file_no FROM lines"
    )
    con.execute("DROP TABLE lines")
    con.execute("ALTER TABLE numbered RENAME TO lines")
    files: list[Path] = []
    for n in range(max(1, math.ceil(total / rows_per_file))):
        path = directory / f"{month.year:04d}{month.month:02d}{n + 1:08d}.csv.gz"
        con.execute(
            f"COPY ({query} WHERE file_no = {n} ORDER BY is_correction, started, seq) "
            f"TO '{path}' (HEADER, DELIMITER ',', COMPRESSION gzip)"
        )
        files.append(path)
    con.close()
    return files


def _tags_json_sql(keys: dict[str, str]) -> str:
    """SQL for a FOCUS `Tags` JSON object from named expressions (NULL values left out)."""
    parts = [
        f"CASE WHEN {expr} IS NULL THEN NULL ELSE {{{_sql_str(k)}: {expr}}} END"
        for k, expr in keys.items()
    ]
    merged = " , ".join(parts)
    return f"to_json(json_merge_patch('{{}}', {merged}))" if parts else "'{}'"


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_focus(
    month: CostMonth,
    path: Path,
    *,
    provider: str = "oci",
    lines_per_cell: int = 2,
    fmt: str = "csv.gz",
    drop_columns: Iterable[str] = (),
    currency: str | None = None,
) -> Path:
    """One FOCUS file of the month, for `provider` 'oci' (OCI's flavour) or 'aws'."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect()
    _cells_table(con, month.oci if provider == "oci" else month.aws)
    # AWS corrects by adjustment lines, not back references: its lines are written right.
    lines = _lines_sql(month, lines_per_cell, corrections=provider == "oci")
    con.execute(f"CREATE TEMP TABLE lines AS {lines}")
    money = currency or (month.currency if provider == "oci" else month.aws_currency)
    app = " ".join(f"WHEN '{c}' THEN '{a}'" for c, a in month.extra_tags.items())
    if provider == "oci":
        tags = _tags_json_sql(
            {
                f"{NAMESPACE}.cost_center": "NULLIF(center, '')",
                f"{NAMESPACE}.environment": "CASE WHEN center = '' THEN NULL ELSE 'prod' END",
                "application": f"NULLIF(CASE center {app} END, '')",
            }
        )
        # OCI's FOCUS report keeps pre-1.0 names (Provider, Region) and oci_ extensions.
        columns = f"""
            'OCI' AS "Provider", 'Oracle' AS "Publisher", 'eu-frankfurt-1' AS "Region",
            '{month.tenancy}' AS "BillingAccountId",
            'ocid1.compartment.oc1..aaaaaaaacostdata' AS "SubAccountId",
            {_ref("seq", month)} AS "oci_ReferenceNumber",
            CASE WHEN back IS NULL THEN NULL ELSE {_ref("back", month)} END AS "oci_BackReferenceNumber",
            'ocid1.compartment.oc1..aaaaaaaacostdata' AS "oci_CompartmentId",
            'workloads' AS "oci_CompartmentName"
        """
    else:
        tags = _tags_json_sql(
            {
                "user:cost_center": "NULLIF(center, '')",
                "user:application": f"NULLIF(CASE center {app} END, '')",
            }
        )
        columns = """
            'AWS' AS "ProviderName", 'AWS' AS "PublisherName", 'AWS' AS "InvoiceIssuerName",
            'eu-central-1' AS "RegionId", 'Europe (Frankfurt)' AS "RegionName",
            '123456789012' AS "BillingAccountId", '123456789012' AS "SubAccountId"
        """
    query = f"""
        SELECT strftime(started, '%Y-%m-%dT%H:%M:%SZ') AS "ChargePeriodStart",
            strftime(started + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%SZ') AS "ChargePeriodEnd",
            strftime(DATE '{month.first_day}', '%Y-%m-%dT00:00:00Z') AS "BillingPeriodStart",
            'Usage' AS "ChargeCategory",
            service AS "ServiceName",
            round(cost, 8) AS "BilledCost",
            round(cost, 8) AS "EffectiveCost",
            round(cost * 1.25, 8) AS "ListCost",
            '{money}' AS "BillingCurrency",
            printf('res-%08d', seq % 977) AS "ResourceId",
            {tags} AS "Tags",
            {columns}
        FROM lines
    """
    dropped = list(drop_columns)
    if dropped:
        query = f"SELECT * EXCLUDE ({', '.join(_quote(c) for c in dropped)}) FROM ({query})"
    options = {
        "csv": "(HEADER, DELIMITER ',')",
        "csv.gz": "(HEADER, DELIMITER ',', COMPRESSION gzip)",
        "parquet": "(FORMAT parquet)",
    }[fmt]
    con.execute(f"COPY ({query}) TO '{path}' {options}")
    con.close()
    return path


def usage_lines(month: CostMonth) -> list[dict[str, object]]:
    """The month's OCI truth as daily lines for the fake Usage API (`fake_oci.usage.add`):
    one per day, cost center and service, tagged as the cost reports are."""
    lines: list[dict[str, object]] = []
    for (day, center, service), cost in sorted(month.oci.items()):
        tags = {f"{NAMESPACE}.cost_center": center, f"{NAMESPACE}.environment": "prod"}
        if not center:
            tags = {}
        if month.extra_tags.get(center):
            tags["application"] = month.extra_tags[center]
        lines.append(
            {
                "day": (month.first_day + timedelta(days=day - 1)).isoformat(),
                "service": service,
                "cost": cost,
                "currency": month.currency,
                "tags": tags,
            }
        )
    return lines


def tags_json(pairs: dict[str, str]) -> str:
    return json.dumps(pairs, sort_keys=True)


def previous_month(today: date) -> tuple[int, int]:
    """The month before `today`'s (a complete month whatever day the tests run)."""
    first = today.replace(day=1) - timedelta(days=1)
    return first.year, first.month


def full_month(today: date, **kwargs: object) -> CostMonth:
    """The previous month, every day of it."""
    year, month = previous_month(today)
    days = calendar.monthrange(year, month)[1]
    return CostMonth(year, month, days, **kwargs)  # type: ignore[arg-type]


def write_project(
    root: Path, *, tenancy: str, budgets: bool = True, source: Path | None = None
) -> Path:
    """A copy of the guardrails project's prod stack under `root` (Pulumi.yaml + stacks/),
    with another tenancy and, optionally, no `guardrails:budgets` block."""
    import yaml

    repo = Path(__file__).resolve().parents[1]
    doc = yaml.safe_load((source or repo / "stacks" / "Pulumi.prod.yaml").read_text())
    config = doc["config"]
    config["guardrails:tenancyOcid"] = tenancy
    if not budgets:
        del config["guardrails:budgets"]
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(
        "name: guardrails\nruntime: python\nmain: stacks/\nstackConfigDir: stacks\n"
    )
    (root / "stacks" / "__main__.py").write_text("")
    (root / "stacks" / "Pulumi.prod.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return root
