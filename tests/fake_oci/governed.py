"""The resources of the catalog's types that no other fake service holds, and the read routes
the live audit (``guardrails audit --cloud oci``) calls on them.

Seed one with its OCI model's camelCase fields; the fake fills ``id``, ``compartmentId``,
``displayName`` (or ``name``), ``lifecycleState``, ``timeCreated`` and the tags::

    sl = fake_oci.governed.add("SecurityList", compartment_id=C, display_name="web",
                               ingressSecurityRules=[{"source": "0.0.0.0/0", "protocol": "6",
                                   "tcpOptions": {"destinationPortRange": {"min": 22, "max": 22}}}])
    fake_oci.governed.add("Bucket", compartment_id=C, display_name="logs",
                          publicAccessType="ObjectRead", versioning="Disabled")
    nsg = fake_oci.governed.add("NetworkSecurityGroup", compartment_id=C, display_name="db",
                                securityRules=[{"direction": "INGRESS", ...}])
    fake_oci.governed.add("Budget", compartment_id=TENANCY, display_name="cc-1",
                          amount=100, targets=[C], alertRules=[{"type": "ACTUAL", ...}])
    fake_oci.governed.attach_vnic(instance.id, compartment_id=C, public_ip="203.0.113.9")

Every kind except ``Budget``, ``Schedule``, ``Tag`` and ``Vnic`` is in the Resource Search
index under its search type (``resource_search.py``). Kinds, routes and the read they serve:

========================= ======================================================= ==========
kind (search type)        route                                                   operation
========================= ======================================================= ==========
SecurityList              GET /20160918/securityLists/{id}                        GetSecurityList
NetworkSecurityGroup      GET /20160918/networkSecurityGroups/{id}/securityRules  ListNetworkSecurityGroupSecurityRules
Subnet                    GET /20160918/subnets/{id}                              GetSubnet
RouteTable                GET /20160918/routeTables/{id}                          GetRouteTable
StreamPool                GET /20180418/streampools/{id}                          GetStreamPool
ClustersCluster           GET /20180222/clusters/{id}                             GetCluster
Alarm                     GET /20180401/alarms/{id}                               GetAlarm
OnsSubscription           GET /20181201/subscriptions/{id}                        GetSubscription
Policy                    GET /20160918/policies/{id}                             GetPolicy
TagNamespace              GET /20160918/tagNamespaces/{id}/tags                   ListTags
Tag                       GET /20160918/tagNamespaces/{id}/tags/{name}            GetTag
Bucket                    GET /n/{namespace}/b/{name}                             GetBucket
Budget                    GET /20190111/budgets (compartmentId, targetType)       ListBudgets
                          GET /20190111/budgets/{id}/alertRules                   ListAlertRules
Schedule                  GET /20240430/schedules (compartmentId)                 ListSchedules
Vnic                      GET /20160918/vnicAttachments (compartmentId, instanceId) ListVnicAttachments
                          GET /20160918/vnics/{id}                                GetVnic
Vcn, InternetGateway, Stream, OnsTopic, Compartment: in the search index only
========================= ======================================================= ==========

Request rules, as OCI: a path id that is not an OCID of the kind is 400 InvalidParameter; an
unknown one 404 NotAuthorizedOrNotFound; list calls need ``compartmentId`` (400 otherwise)
and page with ``limit`` (1..1000) and ``page``; ``ListBudgets`` takes ``targetType`` ALL,
COMPARTMENT or TAG (default COMPARTMENT, as the API documents); ``GetBucket`` answers 404
BucketNotFound for a name the namespace lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.fake_oci.object_storage import ObjectStorageState
from tests.fake_oci.server import (
    FakeRequest,
    FakeResponse,
    OciError,
    Router,
    invalid_parameter,
    not_found,
    oci_time,
    page_of,
)
from tests.fake_oci.state import FakeOciState, new_ocid


@dataclass(frozen=True)
class Kind:
    ocid_kind: str
    searchable: bool = True
    name_field: str = "displayName"


KINDS: dict[str, Kind] = {
    "SecurityList": Kind("securitylist"),
    "NetworkSecurityGroup": Kind("networksecuritygroup"),
    "Subnet": Kind("subnet"),
    "RouteTable": Kind("routetable"),
    "InternetGateway": Kind("internetgateway"),
    "Vcn": Kind("vcn"),
    "StreamPool": Kind("streampool", name_field="name"),
    "Stream": Kind("stream", name_field="name"),
    "ClustersCluster": Kind("cluster", name_field="name"),
    "Alarm": Kind("alarm"),
    "OnsTopic": Kind("onstopic", name_field="name"),
    "OnsSubscription": Kind("onssubscription", name_field="endpoint"),
    "Policy": Kind("policy", name_field="name"),
    "TagNamespace": Kind("tagnamespace", name_field="name"),
    "Tag": Kind("tagdefinition", searchable=False, name_field="name"),
    "Compartment": Kind("compartment", name_field="name"),
    "Bucket": Kind("bucket", name_field="name"),
    "Budget": Kind("budget", searchable=False),
    "Schedule": Kind("resourceschedule", searchable=False),
    "Vnic": Kind("vnic", searchable=False),
    "VnicAttachment": Kind("vnicattachment", searchable=False),
}
#: Model fields kept by the fake but not part of the resource's own GET body.
_CHILDREN = ("securityRules", "alertRules")


class GovernedState:
    """Records by kind, each a dict of the OCI model's camelCase fields."""

    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.records: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}

    def add(
        self,
        kind: str,
        *,
        compartment_id: str,
        display_name: str,
        defined_tags: dict[str, dict[str, Any]] | None = None,
        freeform_tags: dict[str, str] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A record of `kind` (a search type, or Budget, Schedule, Tag, Vnic); its dict."""
        spec = KINDS[kind]
        record: dict[str, Any] = {
            "id": fields.pop("id", None) or new_ocid(spec.ocid_kind, self.state.region),
            "compartmentId": compartment_id,
            spec.name_field: display_name,
            "lifecycleState": fields.pop("lifecycleState", "ACTIVE"),
            "timeCreated": oci_time(datetime.now(UTC)),
            "definedTags": defined_tags or {},
            "freeformTags": freeform_tags or {},
            **fields,
        }
        if kind == "Bucket":
            record.setdefault("namespace", self.state.service(ObjectStorageState).namespace)
            record.setdefault("publicAccessType", "NoPublicAccess")
            record.setdefault("versioning", "Disabled")
        with self.state.lock:
            self.records[kind][record["id"]] = record
        return record

    def attach_vnic(
        self, instance_id: str, *, compartment_id: str, public_ip: str | None = None
    ) -> dict[str, Any]:
        """A primary VNIC attached to the instance (public IP or none)."""
        vnic = self.add(
            "Vnic",
            compartment_id=compartment_id,
            display_name=f"{instance_id[-6:]}-vnic",
            publicIp=public_ip,
            privateIp="10.0.0.10",
            isPrimary=True,
        )
        self.add(
            "VnicAttachment",
            compartment_id=compartment_id,
            display_name="",
            instanceId=instance_id,
            vnicId=vnic["id"],
            lifecycleState="ATTACHED",
            availabilityDomain="AD-1",
        )
        return vnic

    def search_rows(self) -> list[tuple[str, dict[str, Any]]]:
        """(search type, record) of every searchable record, for the search index."""
        return [
            (kind, record)
            for kind, records in self.records.items()
            if KINDS[kind].searchable
            for record in records.values()
        ]


def display_name(kind: str, record: dict[str, Any]) -> str:
    return str(record.get(KINDS[kind].name_field) or "")


def _governed(request: FakeRequest) -> GovernedState:
    return request.state.service(GovernedState)


def _body(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in _CHILDREN}


def _read(request: FakeRequest, kind: str, param: str) -> dict[str, Any]:
    value = request.params[param]
    if not value.startswith(f"ocid1.{KINDS[kind].ocid_kind}."):
        raise invalid_parameter(f"Invalid {param}: {value!r} is not a {kind} OCID.")
    record = _governed(request).records[kind].get(value)
    if record is None:
        raise not_found()
    return record


def _getter(kind: str, param: str) -> Any:
    def get(request: FakeRequest) -> FakeResponse:
        record = _read(request, kind, param)
        return FakeResponse(_body(record), headers={"etag": f"etag-{record['id'][-8:]}"})

    return get


def _compartment(request: FakeRequest) -> str:
    compartment = request.arg("compartmentId")
    if not compartment:
        raise invalid_parameter("compartmentId is required.")
    if not compartment.startswith(("ocid1.compartment.", "ocid1.tenancy.")):
        raise invalid_parameter(f"Invalid compartmentId {compartment!r}.")
    return compartment


def list_nsg_rules(request: FakeRequest) -> FakeResponse:
    record = _read(request, "NetworkSecurityGroup", "networkSecurityGroupId")
    rules = [
        {"id": f"{index:06X}", "isValid": True, **rule}
        for index, rule in enumerate(record.get("securityRules", []), start=1)
    ]
    page, headers = page_of(request, rules)
    return FakeResponse(page, headers=headers)


def list_tags(request: FakeRequest) -> FakeResponse:
    namespace = _read(request, "TagNamespace", "tagNamespaceId")
    tags = [
        {k: v for k, v in t.items() if k != "validator"}
        for t in _governed(request).records["Tag"].values()
        if t.get("tagNamespaceId") == namespace["id"]
    ]
    page, headers = page_of(request, sorted(tags, key=lambda t: t["name"]))
    return FakeResponse(page, headers=headers)


def get_tag(request: FakeRequest) -> FakeResponse:
    namespace = _read(request, "TagNamespace", "tagNamespaceId")
    for tag in _governed(request).records["Tag"].values():
        if (
            tag.get("tagNamespaceId") == namespace["id"]
            and tag["name"] == request.params["tagName"]
        ):
            return FakeResponse({**tag, "tagNamespaceName": namespace["name"]})
    raise not_found()


def get_bucket(request: FakeRequest) -> FakeResponse:
    namespace, name = request.params["namespaceName"], request.params["bucketName"]
    for record in _governed(request).records["Bucket"].values():
        if record["namespace"] == namespace and record["name"] == name:
            return FakeResponse(_body(record), headers={"etag": f"etag-{record['id'][-8:]}"})
    raise OciError(
        404,
        "BucketNotFound",
        f"Either the bucket named '{name}' does not exist in the namespace '{namespace}' or "
        "you are not authorized to access it",
    )


def list_budgets(request: FakeRequest) -> FakeResponse:
    compartment = _compartment(request)
    target_type = request.arg("targetType") or "COMPARTMENT"
    if target_type not in ("ALL", "COMPARTMENT", "TAG"):
        raise invalid_parameter(f"Invalid targetType {target_type!r}.")
    budgets = [
        {**_body(b), "alertRuleCount": len(b.get("alertRules", []))}
        for b in _governed(request).records["Budget"].values()
        if b["compartmentId"] == compartment
        and (target_type == "ALL" or b.get("targetType", "COMPARTMENT") == target_type)
    ]
    page, headers = page_of(request, budgets)
    return FakeResponse(page, headers=headers)


def list_alert_rules(request: FakeRequest) -> FakeResponse:
    budget = _read(request, "Budget", "budgetId")
    rules = [
        {"id": f"ocid1.budgetalertrule.oc1..{budget['id'][-20:]}{index:04d}", "budgetId": budget["id"],
         "lifecycleState": "ACTIVE", **rule}
        for index, rule in enumerate(budget.get("alertRules", []), start=1)
    ]  # fmt: skip
    page, headers = page_of(request, rules)
    return FakeResponse(page, headers=headers)


def list_schedules(request: FakeRequest) -> FakeResponse:
    compartment = _compartment(request)
    schedules = [
        s
        for s in _governed(request).records["Schedule"].values()
        if s["compartmentId"] == compartment
    ]
    page, headers = page_of(request, schedules)
    return FakeResponse({"items": page}, headers=headers)


def list_vnic_attachments(request: FakeRequest) -> FakeResponse:
    compartment = _compartment(request)
    instance = request.arg("instanceId")
    rows = [
        a
        for a in _governed(request).records["VnicAttachment"].values()
        if a["compartmentId"] == compartment and (instance is None or a["instanceId"] == instance)
    ]
    page, headers = page_of(request, rows)
    return FakeResponse(page, headers=headers)


def register(router: Router) -> None:
    core = "/20160918"
    for kind, collection, param, operation in (
        ("SecurityList", "securityLists", "securityListId", "GetSecurityList"),
        ("Subnet", "subnets", "subnetId", "GetSubnet"),
        ("RouteTable", "routeTables", "rtId", "GetRouteTable"),
        ("Vnic", "vnics", "vnicId", "GetVnic"),
        ("Policy", "policies", "policyId", "GetPolicy"),
    ):
        router.add("GET", f"{core}/{collection}/{{{param}}}", operation, _getter(kind, param))
    router.add(
        "GET",
        f"{core}/networkSecurityGroups/{{networkSecurityGroupId}}/securityRules",
        "ListNetworkSecurityGroupSecurityRules",
        list_nsg_rules,
    )
    router.add("GET", f"{core}/tagNamespaces/{{tagNamespaceId}}/tags", "ListTags", list_tags)
    router.add(
        "GET", f"{core}/tagNamespaces/{{tagNamespaceId}}/tags/{{tagName}}", "GetTag", get_tag
    )
    router.add("GET", f"{core}/vnicAttachments", "ListVnicAttachments", list_vnic_attachments)
    router.add(
        "GET",
        "/20180418/streampools/{streamPoolId}",
        "GetStreamPool",
        _getter("StreamPool", "streamPoolId"),
    )
    router.add(
        "GET",
        "/20180222/clusters/{clusterId}",
        "GetCluster",
        _getter("ClustersCluster", "clusterId"),
    )
    router.add("GET", "/20180401/alarms/{alarmId}", "GetAlarm", _getter("Alarm", "alarmId"))
    router.add(
        "GET",
        "/20181201/subscriptions/{subscriptionId}",
        "GetSubscription",
        _getter("OnsSubscription", "subscriptionId"),
    )
    router.add("GET", "/n/{namespaceName}/b/{bucketName}", "GetBucket", get_bucket)
    router.add("GET", "/20190111/budgets", "ListBudgets", list_budgets)
    router.add("GET", "/20190111/budgets/{budgetId}/alertRules", "ListAlertRules", list_alert_rules)
    router.add("GET", "/20240430/schedules", "ListSchedules", list_schedules)
