"""Reading an OCI tenancy for the audit: Resource Search for the inventory, then each
service's read for the properties the rules need.

    Resource Search "query all resources" (paged, 1,000 a page)    -> every resource, its tags
    compartments under the ones given (from the same search)        -> the scope
    per resource of a governed type, in a bounded pool:
        Get<Type> (ADB, bucket, stream pool, security list, subnet, route table, OKE
        cluster, alarm, subscription, policy), NSG rules, an instance's primary VNIC,
        a tag namespace's tags
    per scope: ListBudgets + ListAlertRules, ListSchedules per compartment

Search summaries carry the display name and the defined and freeform tags, so a type whose
rules read only tags costs no call beyond its share of a search page. Every call goes through
the one retry policy (`acting.retry.Budget`) and is counted in `Reading.calls`. A read the
tenancy refuses (404/401 for one resource, a service not subscribed) is a note, and the
properties it would have given are unknown to the rules, never assumed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.validation import is_ocid
from guardrails.tooling.acting.retry import Budget, retryable
from guardrails.tooling.audit.live import LiveResource, Reading
from guardrails.tooling.audit.oci_models import Summary, flat_defined_tags, model_inputs
from guardrails.tooling.audit.oci_types import TYPE_FOR_SEARCH
from guardrails.tooling.oci_auth import (
    OciAuth,
    OciCredentials,
    credentials,
    make_client,
    with_signer,
)

Progress = Callable[[str, int, int], None]
"""(phase, done, total)."""

LIVE_STATES_QUERY = (
    "query all resources where lifecycleState != 'TERMINATED' && lifecycleState != 'DELETED'"
)
SEARCH_PAGE = 1000


class OciClients:
    """The clients one worker thread uses (the SDK's HTTP session is per client); one signer
    for all of them."""

    def __init__(self, auth: OciAuth, creds: OciCredentials, budget: Budget) -> None:
        self.auth, self.creds, self.budget = auth, creds, budget
        self._local = threading.local()

    def get(self, name: str) -> Any:
        clients = getattr(self._local, "clients", None)
        if clients is None:
            clients = self._local.clients = {}
        if name not in clients:
            clients[name] = make_client(_client_class(name), self.auth, self.creds, self.budget)
        return clients[name]


def _client_class(name: str) -> Any:
    import oci

    return {
        "search": oci.resource_search.ResourceSearchClient,
        "database": oci.database.DatabaseClient,
        "objects": oci.object_storage.ObjectStorageClient,
        "network": oci.core.VirtualNetworkClient,
        "compute": oci.core.ComputeClient,
        "streams": oci.streaming.StreamAdminClient,
        "oke": oci.container_engine.ContainerEngineClient,
        "monitoring": oci.monitoring.MonitoringClient,
        "ons": oci.ons.NotificationDataPlaneClient,
        "identity": oci.identity.IdentityClient,
        "budget": oci.budget.BudgetClient,
        "scheduler": oci.resource_scheduler.ScheduleClient,
    }[name]


class Reader:
    """One audit's reads of one tenancy."""

    def __init__(
        self,
        clients: OciClients,
        budget: Budget,
        reading: Reading,
        region: str,
    ) -> None:
        self.clients, self.budget, self.reading, self.region = clients, budget, reading, region
        self._namespace: str | None = None
        self._lock = threading.Lock()

    def call(self, client: str, operation: str, method: str, *args: Any, **kwargs: Any) -> Any:
        self.reading.called(operation)
        fn = getattr(self.clients.get(client), method)
        return self.budget.call(fn, *args, what=operation, **kwargs).data

    def pages(
        self, client: str, operation: str, method: str, *args: Any, **kwargs: Any
    ) -> list[Any]:
        fn = getattr(self.clients.get(client), method)
        return self.budget.pages(
            fn, *args, what=operation, on_page=lambda: self.reading.called(operation), **kwargs
        )

    @property
    def namespace(self) -> str:
        with self._lock:
            if self._namespace is None:
                self._namespace = str(self.call("objects", "GetNamespace", "get_namespace"))
            return self._namespace

    def base(self, summary: Summary, token: str, **inputs: Any) -> LiveResource:
        """The resource as the search knows it: name, compartment and tags."""
        return LiveResource(
            type=token,
            id=summary.id,
            name=summary.name,
            inputs={
                "compartmentId": summary.compartment_id,
                "definedTags": flat_defined_tags(summary.defined_tags),
                "freeformTags": dict(summary.freeform_tags),
                **inputs,
            },
            region=self.region,
            scope=summary.compartment_id,
        )

    def search(self) -> list[Summary]:
        import oci

        details = oci.resource_search.models.StructuredSearchDetails(
            type="Structured", query=LIVE_STATES_QUERY, matching_context_type="NONE"
        )
        found = self.pages(
            "search", "SearchResources", "search_resources", details, limit=SEARCH_PAGE
        )
        return [
            Summary(
                search_type=str(r.resource_type),
                id=str(r.identifier),
                compartment_id=str(r.compartment_id or ""),
                name=str(r.display_name or ""),
                defined_tags=dict(r.defined_tags or {}),
                freeform_tags=dict(r.freeform_tags or {}),
                lifecycle_state=str(r.lifecycle_state or ""),
            )
            for r in found
        ]


def scope_compartments(
    summaries: Sequence[Summary], tenancy: str, roots: Sequence[str]
) -> set[str]:
    """The compartments under `roots` (themselves included); the whole tenancy when no
    root is given."""
    children: dict[str, list[str]] = {}
    for s in summaries:
        if s.search_type == "Compartment":
            children.setdefault(s.compartment_id, []).append(s.id)
    todo = list(roots) if roots else [tenancy]
    scope: set[str] = set()
    while todo:
        current = todo.pop()
        if current not in scope:
            scope.add(current)
            todo += children.get(current, [])
    return scope


def _refused(exc: Exception) -> str | None:
    """A one-line reason when `exc` is the service refusing this read (which the audit notes
    and goes on from); None for anything else."""
    import oci

    if isinstance(exc, oci.exceptions.ServiceError) and retryable(exc) is None:
        return f"{exc.status} {exc.code}: {exc.message}"
    return None


def read_one(reader: Reader, summary: Summary) -> list[LiveResource]:
    """The live resources one search hit stands for (the hit, plus its rules or tags)."""
    spec = TYPE_FOR_SEARCH.get(summary.search_type)
    if spec is None:
        return []
    base = reader.base(summary, spec.token)
    if spec.read is None:
        return [base]
    try:
        return spec.read(reader, summary, base)
    except Exception as exc:
        reason = _refused(exc)
        if reason is None:
            raise
        reader.reading.note(
            f"{summary.search_type} {summary.name or summary.id} ({summary.id}): could not be "
            f"read ({reason}); rules that read its properties report unknown"
        )
        base.unknown = list(spec.properties)
        return [base]


def read_oci(
    auth: OciAuth,
    compartments: Sequence[str],
    budget: Budget,
    reading: Reading,
    progress: Progress | None = None,
    workers: int = 8,
    regions: Sequence[str] = (),
) -> None:
    """Read every resource of the catalog's OCI types under `compartments` (none: the whole
    tenancy) in `regions` (none: the profile's) into `reading`. GuardrailsError (exit 2) when
    the tenancy cannot be read at all."""
    for compartment in compartments:
        if not is_ocid(compartment, "compartment", "tenancy"):
            raise GuardrailsError(
                f"--compartment {compartment!r}: not a compartment or tenancy OCID"
            )
    creds = with_signer(credentials(auth), auth)
    reading.scope = reading.scope or (compartments[0] if len(compartments) == 1 else creds.tenancy)
    reading.regions = list(regions) or [str(creds.config.get("region", ""))]
    for index, region in enumerate(reading.regions):
        regional = OciCredentials({**creds.config, "region": region}, creds.signer, creds.tenancy)
        reader = Reader(OciClients(auth, regional, budget), budget, reading, region)
        scope = _read_region(reader, creds.tenancy, compartments, progress, workers)
        if index == 0:  # budgets are global: read once
            for resource in _budgets(reader, creds.tenancy, scope):
                reading.add(resource)
        for resource in _schedules(reader, sorted(scope)):
            reading.add(resource)


def _read_region(
    reader: Reader,
    tenancy: str,
    compartments: Sequence[str],
    progress: Progress | None,
    workers: int,
) -> set[str]:
    """Search one region and read its resources; the compartments in scope."""
    reading = reader.reading
    say = progress or (lambda *_: None)
    say(f"searching {reader.region}", 0, 0)
    try:
        summaries = reader.search()
    except Exception as exc:
        reason = _refused(exc)
        if reason is None:
            raise
        raise GuardrailsError(
            f"Resource Search in {reader.region} refused the inventory: {reason}"
        ) from None
    scope = scope_compartments(summaries, tenancy, compartments)
    missing = [c for c in compartments if c != tenancy and not _known(c, summaries)]
    if missing:
        raise GuardrailsError(
            f"--compartment {missing[0]}: not found in the tenancy (or not visible to this "
            "user); check the OCID and the audit's read policy"
        )
    hits = [s for s in summaries if s.compartment_id in scope or s.id in scope]
    unmapped: dict[str, int] = {}
    for s in hits:
        if s.search_type not in TYPE_FOR_SEARCH:
            unmapped[s.search_type] = unmapped.get(s.search_type, 0) + 1
    for search_type, count in sorted(unmapped.items()):
        reading.aside(
            f"{count} {search_type} resource(s) in {reader.region} have no Pulumi type in the "
            "catalog's table; no rule judged them"
        )
    phase = f"reading {reader.region}"
    say(phase, 0, len(hits))
    done = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="audit-oci") as pool:
        for resources in pool.map(lambda s: read_one(reader, s), hits):
            for resource in resources:
                reading.add(resource)
            done += 1
            say(phase, done, len(hits))
    return scope


def _known(compartment: str, summaries: Iterable[Summary]) -> bool:
    return any(compartment in (s.id, s.compartment_id) for s in summaries)


def _budgets(reader: Reader, tenancy: str, scope: set[str]) -> list[LiveResource]:
    """Budgets live in the root compartment; those targeting the scope (all of them when the
    scope is the tenancy), each with its alert rules."""
    from guardrails.tooling.audit.oci_types import BUDGET, BUDGET_RULE

    try:
        budgets = reader.pages("budget", "ListBudgets", "list_budgets", tenancy, target_type="ALL")
    except Exception as exc:
        reason = _refused(exc)
        if reason is None:
            raise
        reader.reading.note(f"budgets could not be listed ({reason}); budget rules not judged")
        return []
    out: list[LiveResource] = []
    for budget in budgets:
        targets = [str(t) for t in budget.targets or []]
        if tenancy not in scope and not (set(targets) & scope):
            continue
        inputs = model_inputs(budget)
        out.append(
            LiveResource(
                BUDGET, budget.id, budget.display_name or budget.id, inputs,
                region=reader.region, scope=tenancy,
            )
        )  # fmt: skip
        for rule in reader.pages("budget", "ListAlertRules", "list_alert_rules", budget.id):
            out.append(
                LiveResource(
                    BUDGET_RULE, rule.id, rule.display_name or rule.id,
                    {**model_inputs(rule), "budgetId": budget.id},
                    references=[budget.id], region=reader.region, scope=tenancy,
                    parent_id=budget.id,
                )
            )  # fmt: skip
    return out


def _schedules(reader: Reader, compartments: Sequence[str]) -> list[LiveResource]:
    from guardrails.tooling.audit.oci_types import SCHEDULE

    out: list[LiveResource] = []
    for compartment in compartments:
        try:
            found = reader.pages(
                "scheduler", "ListSchedules", "list_schedules", compartment_id=compartment
            )
        except Exception as exc:
            reason = _refused(exc)
            if reason is None:
                raise
            reader.reading.note(
                f"Resource Scheduler schedules in {compartment} could not be listed ({reason}); "
                "the off-hours rule did not see them"
            )
            continue
        for schedule in found:
            inputs = model_inputs(schedule)
            # the API's filter `value` list is the provider's `values`
            inputs["resourceFilters"] = [
                {("values" if k == "value" and isinstance(v, list) else k): v for k, v in f.items()}
                for f in inputs.get("resourceFilters", [])
            ]
            out.append(
                LiveResource(
                    SCHEDULE, schedule.id, schedule.display_name or schedule.id, inputs,
                    region=reader.region, scope=compartment,
                )
            )  # fmt: skip
    return out
