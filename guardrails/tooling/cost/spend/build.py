"""`build_report`: load the requested source into the store, then compose the report.

This is the report API other commands call (`cost enforce` reads its spend here):

    report = build_report(SpendRequest(stack="prod", config=load_stack_config(ROOT, "prod"),
                                       source=SpendSource(kind="reports", reports=[DIR])))
    row = report.row("CC-101")          # month_to_date, budget, forecast, currency, ...

Sources (one for OCI per run, never two: they hold the same spend):
- `usage-api`: the Usage API (credentials from `~/.oci/config` or principals);
- `reports`: classic cost reports from local files or folders, or, with none given,
  downloaded incrementally from `bling`;
- `focus`: FOCUS files; AWS (or other providers') FOCUS files may come with either of the
  others, for the `awsMonthly` budgets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.stack_schema import StackConfig
from guardrails.tooling.cost import DEFAULT_STORE
from guardrails.tooling.cost.lines import Progress
from guardrails.tooling.cost.month import Month, data_through, today_utc
from guardrails.tooling.cost.sources.classic_reports import classic_shape
from guardrails.tooling.cost.sources.focus import focus_shape
from guardrails.tooling.cost.sources.inputs import FOCUS_SUFFIXES, REPORT_SUFFIXES, expand, is_uri
from guardrails.tooling.cost.spark.session import SparkOptions
from guardrails.tooling.cost.spend.forecast import HISTORY_DAYS
from guardrails.tooling.cost.spend.report import (
    DEFAULT_NAMESPACE,
    CostBasis,
    CostReport,
    Grouping,
    ReportOptions,
    compose_report,
    grouping,
)
from guardrails.tooling.cost.store import CostStore, store_session
from guardrails.tooling.oci_auth import OciAuth

SourceKind = Literal["usage-api", "reports", "focus"]
Engine = Literal["duckdb", "spark"]


@dataclass(frozen=True)
class SpendSource:
    kind: SourceKind = "usage-api"
    reports: Sequence[Path | str] = ()
    """Classic report files or folders (or, on Spark, object-storage URIs); empty with kind
    'reports': download from bling (DuckDB) or read the tenancy's bling bucket (Spark)."""
    focus: Sequence[Path | str] = ()
    """FOCUS files or folders (OCI's, when kind is 'focus', and/or AWS's), or URIs."""
    auth: OciAuth = field(default_factory=OciAuth)
    api_forecast: bool = False
    """Also ask the Usage API for its own forecast (usage-api only)."""
    download_dir: Path | None = None
    any_tenancy: bool = False
    """Use cost files whose OCI lines belong to another tenancy than the stack's."""


@dataclass(frozen=True)
class SpendRequest:
    stack: str | None
    config: StackConfig | None
    source: SpendSource
    month: Month | None = None
    tag_key: str | None = None
    basis: CostBasis = "billed"
    store: Path = DEFAULT_STORE
    today: date | None = None
    engine: Engine = "duckdb"
    spark: SparkOptions = field(default_factory=SparkOptions)
    table: str | None = None
    """Spark: a Parquet table of normalised lines (`cost load --into`) read with the files."""


def _coverage(store: CostStore, scope: Sequence[int], month: Month) -> str:
    first, last = store.days_covered(scope)
    covered = (
        f"the data of this run covers {first.isoformat()} to {last.isoformat()}"
        if first and last
        else "this run has no cost lines at all"
    )
    return f"no cost data for {month}: {covered}"


def _few(names: Sequence[str], shown: int = 3) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def build_report(
    request: SpendRequest,
    progress: Progress | None = None,
    deliver: Callable[[CostReport], None] | None = None,
) -> CostReport:
    """Load what is new of the source into the store and report the month.

    All or nothing: the store keeps what this run loaded only if the report was composed
    and `deliver` (which writes it out) returned; otherwise it is left as it was."""
    today = request.today or today_utc()
    month = request.month or Month(today.year, today.month)
    through = data_through(month, today)
    source = request.source
    config = request.config
    if request.stack is not None and config is not None and config.budgets is None:
        raise GuardrailsError(
            f"stack {request.stack!r} has no guardrails:budgets block: nothing to compare "
            "spend with (run without --stack for spend only)"
        )
    namespace = config.governance.namespace if config is not None else DEFAULT_NAMESPACE
    group = grouping(request.tag_key, namespace)
    if source.api_forecast and source.kind != "usage-api":
        raise GuardrailsError("--api-forecast needs --source usage-api")
    if request.engine == "spark":
        return _build_on_spark(request, month, through, group, deliver)
    uris = [str(p) for p in (*source.reports, *source.focus) if is_uri(str(p))]
    if uris:
        raise GuardrailsError(
            f"{uris[0]}: object storage is read by --engine spark; the DuckDB engine reads "
            "local files (and downloads bling's reports with --reports alone)"
        )
    report_files = expand([Path(p) for p in source.reports], REPORT_SUFFIXES, "cost report")
    focus_files = expand([Path(p) for p in source.focus], FOCUS_SUFFIXES, "FOCUS")
    if source.kind == "focus" and not focus_files:
        raise GuardrailsError("--focus needs at least one FOCUS file or folder")
    loaded: list[str] = []
    notes: list[str] = []
    scope: list[int] = []
    api_forecast: dict[str, float] | None = None
    oci_kind: str = source.kind if source.kind != "reports" else "classic"
    # Everything that can be checked without writing is checked before the store opens.
    creds = None
    if source.kind == "usage-api" or (source.kind == "reports" and not report_files):
        # the SDK takes a second to import: only runs that call OCI import it
        import oci

        from guardrails.tooling.cost.sources import report_downloads, usage_api
        from guardrails.tooling.oci_auth import credentials, make_client

        creds = credentials(source.auth)
    with store_session(request.store) as store:
        if source.kind == "reports":
            if not report_files:
                assert creds is not None
                tenancy = config.tenancyOcid if config is not None else creds.tenancy
                client = make_client(oci.object_storage.ObjectStorageClient, source.auth, creds)
                remote = report_downloads.list_reports(client, tenancy)
                fresh = report_downloads.new_reports(remote, store.remote_times("classic"))
                cache = (
                    source.download_dir or report_downloads.DEFAULT_CACHE
                ).expanduser() / tenancy
                paths = report_downloads.download(client, tenancy, fresh, cache, progress)
                result = store.load_files(
                    "classic",
                    paths,
                    classic_shape,
                    progress=progress,
                    remote_times={r.name: r.created for r in fresh},
                )
                # the bucket is the source: every report downloaded, this run or before
                scope += store.file_ids("classic", list(store.remote_times("classic")))
            else:
                result = store.load_files("classic", report_files, classic_shape, progress=progress)
                scope += store.file_ids("classic", result.scope)
            loaded += result.loaded
            notes += result.notes
        if focus_files:
            result = store.load_files("focus", focus_files, focus_shape, progress=progress)
            loaded += result.loaded
            notes += result.notes
            focus_ids = store.file_ids("focus", result.scope)
            scope += focus_ids
            if source.kind != "focus":
                notes += [
                    f"{name}: its OCI lines are left out (OCI spend comes from "
                    f"{'the Usage API' if source.kind == 'usage-api' else 'the cost reports'} "
                    "this run: one source per provider)"
                    for name in store.oci_lines_in(focus_ids)
                ]
        if source.kind == "usage-api":
            assert creds is not None
            tenancy = config.tenancyOcid if config is not None else creds.tenancy
            client = make_client(oci.usage_api.UsageapiClient, source.auth, creds)
            fetch = usage_api.fetch_month(
                client,
                tenancy,
                month,
                through,
                group.usage_api_tag,
                history_days=HISTORY_DAYS,
                forecast=source.api_forecast,
                progress=progress,
            )
            oci_kind = f"usage-api:{group.label}"
            store.replace_lines(oci_kind, tenancy, fetch.lines)
            scope += store.file_ids(oci_kind, [tenancy])
            loaded.append(f"Usage API: {len(fetch.lines)} daily items in {fetch.pages} page(s)")
            api_forecast = fetch.forecast if source.api_forecast else None
        costs = store.daily_costs(
            month.first - timedelta(days=HISTORY_DAYS),
            min(through, month.last) + timedelta(days=1),
            oci_kind=oci_kind,
            oci_keys=group.oci_keys,
            other_keys=group.other_keys,
            files=scope,
        )
        if config is not None and not source.any_tenancy:
            foreign = store.foreign_tenancies(scope, config.tenancyOcid)
            if foreign:
                raise GuardrailsError(
                    f"{foreign[0][0]}: OCI lines of tenancy {foreign[0][1]}, not the stack's "
                    f"{config.tenancyOcid}"
                    + (f" (and {len(foreign) - 1} more file(s))" if len(foreign) > 1 else "")
                    + "; give the stack's own cost files, or --any-tenancy to use them anyway"
                )
        month_days = [c for c in costs if c.day >= month.first]
        if not month_days:
            notes.append(_coverage(store, scope, month))
        unused = store.other_files(("classic", "focus"), scope)
        if unused:
            notes.append(
                f"the store holds {len(unused)} more file(s) this run did not name; left out "
                f"(`guardrails cost store list` shows them): {_few(unused)}"
            )
        report = compose_report(
            costs,
            config,
            ReportOptions(month, through, request.basis),
            stack=request.stack,
            source=source.kind,
            group=group,
            api_forecast=api_forecast,
            loaded=loaded,
            notes=notes,
        )
        if deliver is not None:
            deliver(report)
    return report


BLING_REPORTS = "oci://{tenancy}@bling/reports/cost-csv/"
"""Where OCI keeps a tenancy's classic cost reports (the bucket is the tenancy OCID)."""


def _build_on_spark(
    request: SpendRequest,
    month: Month,
    through: date,
    group: Grouping,
    deliver: Callable[[CostReport], None] | None,
) -> CostReport:
    """The same report computed by Spark where the data is: no local store, every run
    reads its inputs (and the normalised table, if one is named)."""
    from guardrails.tooling.cost.spark import engine, session, table
    from guardrails.tooling.cost.spark.inputs import file_key, spark_inputs

    source, config = request.source, request.config
    if source.kind == "usage-api" and request.table is None:
        raise GuardrailsError(
            "--engine spark reads cost files (--reports, --focus) or a table (--from-table); "
            "the Usage API is one call: use --engine duckdb for it"
        )
    if source.api_forecast:
        raise GuardrailsError("--api-forecast needs --source usage-api (--engine duckdb)")
    if source.kind == "usage-api":  # a table alone: OCI lines from the reports it holds
        source = replace(source, kind="reports")
    reports: list[Path | str] = list(source.reports)
    if source.kind == "reports" and not reports and request.table is None:
        if config is None:
            raise GuardrailsError(
                "--reports without a location on Spark reads the stack's bling bucket: give "
                "--stack, or the reports' location (oci://TENANCY@bling/reports/cost-csv/)"
            )
        reports = [BLING_REPORTS.format(tenancy=config.tenancyOcid)]
    spark = session.spark_session(request.spark)
    files = spark_inputs(spark, reports, list(source.focus))
    sources = engine.file_sources(spark, files)
    if request.table is not None:
        sources += table.table_sources(spark, request.table)
    if not sources:
        raise GuardrailsError("nothing to read: name cost files, folders or --from-table")
    oci_kind = "focus" if source.kind == "focus" else "classic"
    spend = engine.spark_spend(
        spark,
        sources,
        {file_key(f.uri): f.name for f in files},
        start=month.first - timedelta(days=HISTORY_DAYS),
        end=min(through, month.last) + timedelta(days=1),
        oci_kind=oci_kind,
        oci_keys=group.oci_keys,
        other_keys=group.other_keys,
        tenancy=config.tenancyOcid if config is not None and not source.any_tenancy else None,
    )
    if spend.foreign:
        name, tenancy = spend.foreign[0]
        raise GuardrailsError(
            f"{name}: OCI lines of tenancy {tenancy}, not the stack's "
            f"{config.tenancyOcid if config is not None else ''}"
            + (f" (and {len(spend.foreign) - 1} more file(s))" if len(spend.foreign) > 1 else "")
            + "; give the stack's own cost files, or --any-tenancy to use them anyway"
        )
    notes: list[str] = []
    if source.kind != "focus":
        notes += [
            f"{name}: its OCI lines are left out (OCI spend comes from the cost reports "
            "this run: one source per provider)"
            for name in spend.oci_in_focus
        ]
    notes += [f"{f.name}: {f.shape.note}" for f in files if f.shape.note]
    counted = {name for _, name, _ in spend.files}
    notes += [f"{f.name}: no cost lines (a header only)" for f in files if f.name not in counted]
    if not [c for c in spend.costs if c.day >= month.first]:
        covered = (
            f"the data of this run covers {spend.first_day.isoformat()} to "
            f"{spend.last_day.isoformat()}"
            if spend.first_day and spend.last_day
            else "this run has no cost lines at all"
        )
        notes.append(f"no cost data for {month}: {covered}")
    report = compose_report(
        spend.costs,
        config,
        ReportOptions(month, through, request.basis),
        stack=request.stack,
        source=source.kind,
        group=group,
        api_forecast=None,
        loaded=[name for _, name, _ in spend.files],
        notes=notes,
    )
    if deliver is not None:
        deliver(report)
    return report
