"""The cloud calls of `guardrails cost enforce`: the official `oci` SDK clients (Resource
Search, Database, Compute, Notifications, Quotas, Secrets), boto3 for AWS SNS and a plain
HTTPS POST for a Slack incoming webhook.

`OciInventory` reads (the planner's `Inventory`); `CloudRemediator` changes (the executor's
`Remediator`). Clients come from `guardrails.tooling.oci_auth` (config profile or
instance/resource principals, and `--endpoint-url` for a local fake OCI server).
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import oci

from guardrails.runtime.limits import HTTPS_URL
from guardrails.runtime.validation import SNS_TOPIC_ARN, is_ocid, matches
from guardrails.tooling.acting.retry import Budget, BudgetExhausted
from guardrails.tooling.cost.enforce.records import MARK_VALUE_LIMIT, marked
from guardrails.tooling.cost.enforce.steps import ADB, INSTANCE, CostResource
from guardrails.tooling.oci_auth import OciAuth, OciCredentials, make_client

_LOOPBACK_URL = r"^http://127\.0\.0\.1:\d+(/\S*)?$"
"""A local relay (tests); any other webhook must be https."""


def describe_error(exc: Exception) -> str | None:
    """One line for an error a service returned; None for anything else (a bug)."""
    if isinstance(exc, BudgetExhausted):
        return str(exc)
    if isinstance(exc, oci.exceptions.ServiceError):
        return f"{exc.status} {exc.code}: {exc.message}"
    if isinstance(exc, oci.exceptions.RequestException | oci.exceptions.ConnectTimeout):
        return f"OCI request failed: {exc}"
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"AWS {error.get('Code', 'error')}: {error.get('Message', exc)}"
    if isinstance(exc, BotoCoreError):
        return f"AWS: {exc}"
    if isinstance(exc, urllib.error.URLError | ActionError):
        return str(exc.reason if isinstance(exc, urllib.error.HTTPError) else exc)
    return None


class ActionError(Exception):
    """A call that returned but did not do what was asked (e.g. Slack said no)."""


def _resource(summary: Any) -> CostResource:
    return CostResource(
        id=summary.identifier,
        type=summary.resource_type,
        name=summary.display_name or "",
        compartment_id=summary.compartment_id or "",
        state=(summary.lifecycle_state or "").upper(),
        defined_tags=summary.defined_tags or {},
    )


def search_query(namespace: str, key: str, value: str) -> str:
    """A Resource Search structured query for every resource with one defined tag value."""
    return (
        f"query all resources where (definedTags.namespace = '{namespace}' && "
        f"definedTags.key = '{key}' && definedTags.value = '{value}')"
    )


class OciInventory:
    """Resource Search and the quota list: the reads of planning."""

    def __init__(
        self, auth: OciAuth, creds: OciCredentials, tenancy: str, budget: Budget | None = None
    ) -> None:
        self._budget = budget or Budget()
        self._search = make_client(
            oci.resource_search.ResourceSearchClient, auth, creds, self._budget
        )
        self._quotas = make_client(oci.limits.QuotasClient, auth, creds, self._budget)
        self._tenancy = tenancy

    def resources(self, namespace: str, cost_center: str) -> list[CostResource]:
        from guardrails.runtime.tag_keys import COST_CENTER_KEY

        details = oci.resource_search.models.StructuredSearchDetails(
            type="Structured",
            query=search_query(namespace, COST_CENTER_KEY, cost_center),
            matching_context_type="NONE",
        )
        items = self._budget.pages(
            self._search.search_resources,
            details,
            what="Resource Search",
            endpoint=self._search.base_client.endpoint,
            limit=1000,
        )
        found = {}
        for summary in items:
            if (summary.lifecycle_state or "").upper() in ("TERMINATED", "DELETED"):
                continue
            found[summary.identifier] = _resource(summary)
        return list(found.values())

    def quota(self, name: str) -> str | None:
        quotas = self._budget.pages(
            self._quotas.list_quotas,
            self._tenancy,
            what="list quotas",
            endpoint=self._quotas.base_client.endpoint,
            name=name,
        )
        live = [q for q in quotas if (q.lifecycle_state or "ACTIVE") == "ACTIVE"]
        return str(live[0].id) if live else None


def _if_match(resource: CostResource) -> dict[str, str]:
    return {"if_match": resource.etag} if resource.etag else {}


class CloudRemediator:
    """The changing calls: notifications, tag updates, stops and quota policies."""

    def __init__(
        self,
        auth: OciAuth,
        creds: OciCredentials,
        *,
        tenancy: str,
        compartment: str,
        slack_secret: str | None = None,
        aws_client: Callable[[], Any] | None = None,
        budget: Budget | None = None,
    ) -> None:
        self._auth, self._creds = auth, creds
        self._budget = budget or Budget()
        self._tenancy = tenancy
        self._compartment = compartment
        self._slack_secret = slack_secret
        self._aws_client = aws_client
        self._clients: dict[Any, Any] = {}
        self._topic_ids: dict[str, str] = {}

    def _client(self, cls: Any) -> Any:
        if cls not in self._clients:
            self._clients[cls] = make_client(cls, self._auth, self._creds, self._budget)
        return self._clients[cls]

    # notify ------------------------------------------------------------------------------

    def notify(self, channel: str, title: str, body: str) -> str:
        kind, _, target = channel.partition(":")
        if kind == "ons":
            topic_id = self._topic_id(target)
            details = oci.ons.models.MessageDetails(title=title, body=body)
            response = self._client(oci.ons.NotificationDataPlaneClient).publish_message(
                topic_id, details
            )
            return f"published to {topic_id} (message {response.data.message_id})"
        if kind == "sns":
            if not matches(SNS_TOPIC_ARN, target):
                raise ActionError(f"not an SNS topic ARN: {target!r}")
            if self._aws_client is None:
                raise ActionError("no AWS client")
            answer = self._aws_client().publish(TopicArn=target, Subject=title[:100], Message=body)
            return f"published to {target} (message {answer['MessageId']})"
        if kind == "slack":
            return self._slack(title, body)
        raise ActionError(f"unknown notification channel {channel!r}")

    def marks(self, topic: str, key: str) -> set[str]:
        client = self._client(oci.ons.NotificationControlPlaneClient)
        topic_id = self._topic_id(topic)
        found = self._budget.call(
            client.get_topic, topic_id, what="read ONS topic", endpoint=client.base_client.endpoint
        ).data
        return marked((found.freeform_tags or {}).get(key))

    def mark(self, topic: str, key: str, entry: str, stale_prefix: str) -> str:
        client = self._client(oci.ons.NotificationControlPlaneClient)
        topic_id = self._topic_id(topic)
        response = self._budget.call(
            client.get_topic, topic_id, what="read ONS topic", endpoint=client.base_client.endpoint
        )
        found = response.data
        # this stack's marks of other months go (the topic keeps at most 64 freeform tags)
        month = key[len(stale_prefix) : len(stale_prefix) + len("YYYY-MM-")]
        tags = {
            k: v
            for k, v in (found.freeform_tags or {}).items()
            if not k.startswith(stale_prefix) or k[len(stale_prefix) :].startswith(month)
        }
        entries = marked(tags.get(key)) | {entry}
        value = ";".join(sorted(entries))
        if len(value) > MARK_VALUE_LIMIT:
            raise ActionError(
                f"the notification mark {key} on topic {topic_id} would exceed "
                f"{MARK_VALUE_LIMIT} characters; not sent (at most once)"
            )
        tags[key] = value
        details = oci.ons.models.TopicAttributesDetails(
            description=found.description or "",
            freeform_tags=tags,
            defined_tags=found.defined_tags,
        )
        # the same tags written twice are the same tags: safe to retry
        self._budget.call(
            client.update_topic,
            topic_id,
            details,
            what="mark the notification on the ONS topic",
            endpoint=client.base_client.endpoint,
            if_match=response.headers.get("etag"),
        )
        return f"marked {entry} on {topic_id} ({key})"

    def _topic_id(self, topic: str) -> str:
        if is_ocid(topic, "onstopic"):
            return topic
        if topic not in self._topic_ids:
            client = self._client(oci.ons.NotificationControlPlaneClient)
            topics = self._budget.pages(
                client.list_topics,
                self._compartment,
                what="list ONS topics",
                endpoint=client.base_client.endpoint,
                name=topic,
            )
            if not topics:
                raise ActionError(
                    f"no ONS topic named {topic!r} in compartment {self._compartment}; "
                    "set costEnforcement.topicOcid or deploy the stack"
                )
            self._topic_ids[topic] = topics[0].topic_id
        return self._topic_ids[topic]

    def _slack(self, title: str, body: str) -> str:
        assert self._slack_secret is not None
        bundle = self._read(oci.secrets.SecretsClient, "get_secret_bundle", self._slack_secret)
        content = bundle.data.secret_bundle_content.content
        url = base64.b64decode(content).decode().strip()
        if not (HTTPS_URL.matches(url) or matches(_LOOPBACK_URL, url)):
            raise ActionError(f"secret {self._slack_secret} does not hold an https:// URL")
        payload = json.dumps({"text": f"*{title}*\n```{body}```"}).encode()
        request = urllib.request.Request(
            url, payload, {"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=20) as answer:
            status = answer.status
        if status != 200:
            raise ActionError(f"Slack webhook answered HTTP {status}")
        return "posted to the Slack webhook"  # never the URL: it is a credential

    # tag and stop ------------------------------------------------------------------------

    def refresh(self, resource: CostResource) -> CostResource:
        if resource.type == ADB:
            data = self._read(oci.database.DatabaseClient, "get_autonomous_database", resource.id)
        elif resource.type == INSTANCE:
            data = self._read(oci.core.ComputeClient, "get_instance", resource.id)
        else:
            return resource
        return replace(
            resource,
            state=(data.data.lifecycle_state or "").upper(),
            defined_tags=data.data.defined_tags or {},
            name=data.data.display_name or resource.name,
            etag=data.headers.get("etag"),
        )

    def tag(self, resource: CostResource, namespace: str, key: str, value: str) -> str:
        tags = {ns: dict(values) for ns, values in resource.defined_tags.items()}
        tags.setdefault(namespace, {})[key] = value
        if resource.type == ADB:
            self._client(oci.database.DatabaseClient).update_autonomous_database(
                resource.id,
                oci.database.models.UpdateAutonomousDatabaseDetails(defined_tags=tags),
                **_if_match(resource),
            )
        elif resource.type == INSTANCE:
            self._client(oci.core.ComputeClient).update_instance(
                resource.id,
                oci.core.models.UpdateInstanceDetails(defined_tags=tags),
                **_if_match(resource),
            )
        else:
            raise ActionError(f"no tag update for {resource.type}")
        return f"{namespace}.{key} = {value}"

    def stop(self, resource: CostResource) -> str:
        if resource.type == ADB:
            answer = self._client(oci.database.DatabaseClient).stop_autonomous_database(
                resource.id, **_if_match(resource)
            )
            work_request = (answer.headers or {}).get("opc-work-request-id")
            if work_request:
                return self._follow(work_request, "stop")
        elif resource.type == INSTANCE:
            answer = self._client(oci.core.ComputeClient).instance_action(
                resource.id, "STOP", **_if_match(resource)
            )
            return self._follow_instance(resource.id, str(answer.data.lifecycle_state))
        else:
            raise ActionError(f"cannot stop {resource.type}")
        return f"stop requested, now {answer.data.lifecycle_state}"

    def _follow_instance(self, instance_id: str, state: str) -> str:
        """An instance action has no work request: read the instance until it is STOPPED
        (done), or back to RUNNING (the stop failed), within the run's budget."""
        delay = 0.5
        while state != "STOPPED":
            if state == "RUNNING":
                raise ActionError(f"stop: instance {instance_id} is RUNNING again: it did not stop")
            if delay >= self._budget.remaining:
                raise ActionError(
                    f"stop: instance {instance_id} still {state} when the "
                    f"{self._budget.seconds:g} s budget ran out; it may yet stop"
                )
            self._budget.sleep(delay)
            delay = min(delay * 2, 5.0)
            state = str(
                self._read(oci.core.ComputeClient, "get_instance", instance_id).data.lifecycle_state
            )
        return "stop done (the instance is STOPPED)"

    def _follow(self, work_request_id: str, what: str) -> str:
        """Poll a work request to its end state within the run's budget: SUCCEEDED is the
        outcome; FAILED or CANCELED raise ActionError with OCI's first error; still running
        when the budget ends is reported as such (the change may yet finish)."""
        client = self._client(oci.work_requests.WorkRequestClient)
        delay = 0.5
        while True:
            request = self._read(
                oci.work_requests.WorkRequestClient, "get_work_request", work_request_id
            ).data
            status = str(request.status or "")
            if status == "SUCCEEDED":
                return f"{what} done (work request {work_request_id} SUCCEEDED)"
            if status in ("FAILED", "CANCELED"):
                errors = self._budget.call(
                    client.list_work_request_errors,
                    work_request_id,
                    what="list work request errors",
                    endpoint=client.base_client.endpoint,
                ).data
                first = errors[0] if errors else None
                reason = f"{first.code}: {first.message}" if first else "no error given"
                raise ActionError(f"{what}: work request {work_request_id} {status}: {reason}")
            if delay >= self._budget.remaining:
                raise ActionError(
                    f"{what}: work request {work_request_id} still {status} when the "
                    f"{self._budget.seconds:g} s budget ran out; it may yet finish"
                )
            self._budget.sleep(delay)
            delay = min(delay * 2, 5.0)

    # freeze ------------------------------------------------------------------------------

    def freeze(self, name: str, statements: Sequence[str]) -> str:
        details = oci.limits.models.CreateQuotaDetails(
            compartment_id=self._tenancy,
            name=name,
            description="guardrails cost enforce: budget crossed; lift: guardrails cost unfreeze",
            statements=list(statements),
        )
        client = self._client(oci.limits.QuotasClient)
        # the retry token makes a repeated create (an answer lost on the way) the same quota
        quota = self._budget.call(
            client.create_quota,
            details,
            what=f"create quota {name}",
            endpoint=client.base_client.endpoint,
            opc_retry_token=name[:64],
        ).data
        return f"quota {quota.id} created"

    def unfreeze(self, quota_id: str) -> str:
        client = self._client(oci.limits.QuotasClient)
        self._budget.call(
            client.delete_quota,
            quota_id,
            what=f"delete quota {quota_id}",
            endpoint=client.base_client.endpoint,
        )
        return f"quota {quota_id} deleted"

    def _read(self, cls: Any, operation: str, *args: Any) -> Any:
        """A get call, retried within the run's budget."""
        client = self._client(cls)
        return self._budget.call(
            getattr(client, operation),
            *args,
            what=operation.replace("_", " "),
            endpoint=client.base_client.endpoint,
        )
