"""``oci.ons``: the topics guardrails looks up by name and publishes to.

Seed a topic, publish with the real clients, read what was sent::

    topic = fake_oci.ons.add_topic("guardrails-dev-alarms", compartment_id=COMPARTMENT)
    fake_oci.ons.messages        # [(topic id, title, body), ...]

Routes (base path /20181201): ListTopics ``GET /topics`` (``compartmentId`` required,
``name``, ``id``, ``lifecycleState``, paging) on the control plane; PublishMessage ``POST
/topics/{topicId}/messages`` on the data plane, whose ``MessageDetails`` body needs a
``body`` (64 KB at most) and takes a ``title`` (255 characters at most); an unknown topic is
404. The answer is a ``PublishResult`` (messageId, timeStamp).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.fake_oci.server import (
    FakeRequest,
    FakeResponse,
    Router,
    invalid_parameter,
    not_found,
    oci_time,
    page_of,
)
from tests.fake_oci.state import FakeOciState, new_ocid

BASE = "/20181201"
MAX_BODY = 64 * 1024


@dataclass
class TopicRecord:
    topic_id: str
    name: str
    compartment_id: str
    lifecycle_state: str = "ACTIVE"
    time_created: datetime = field(default_factory=lambda: datetime.now(UTC))


class OnsState:
    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.topics: dict[str, TopicRecord] = {}
        self.messages: list[tuple[str, str | None, str]] = []

    def add_topic(self, name: str, *, compartment_id: str) -> TopicRecord:
        record = TopicRecord(new_ocid("onstopic", self.state.region), name, compartment_id)
        with self.state.lock:
            self.topics[record.topic_id] = record
        return record


def _topic_json(record: TopicRecord, request: FakeRequest) -> dict[str, object]:
    return {
        "name": record.name,
        "topicId": record.topic_id,
        "shortTopicId": record.topic_id[-10:],
        "compartmentId": record.compartment_id,
        "lifecycleState": record.lifecycle_state,
        "timeCreated": oci_time(record.time_created),
        "etag": record.topic_id[-8:],
        "apiEndpoint": f"http://{request.header('host')}",
    }


def list_topics(request: FakeRequest) -> FakeResponse:
    compartment = request.arg("compartmentId")
    if not compartment:
        raise invalid_parameter("compartmentId is required.")
    name, topic_id = request.arg("name"), request.arg("id")
    rows = [
        t
        for t in request.state.service(OnsState).topics.values()
        if t.compartment_id == compartment
        and (name is None or t.name == name)
        and (topic_id is None or t.topic_id == topic_id)
    ]
    page, headers = page_of(request, sorted(rows, key=lambda t: t.name))
    return FakeResponse([_topic_json(t, request) for t in page], headers=headers)


def publish_message(request: FakeRequest) -> FakeResponse:
    ons = request.state.service(OnsState)
    topic = ons.topics.get(request.params["topicId"])
    if topic is None:
        raise not_found()
    body = request.json_object()
    text, title = body.get("body"), body.get("title")
    if not isinstance(text, str) or not text:
        raise invalid_parameter("body is required.")
    if len(text.encode()) > MAX_BODY:
        raise invalid_parameter("The message body exceeds 64 KB.")
    if title is not None and (not isinstance(title, str) or len(title) > 255):
        raise invalid_parameter("title must be a string of at most 255 characters.")
    ons.messages.append((topic.topic_id, title, text))
    result = {"messageId": new_ocid("onsmessage"), "timeStamp": oci_time(datetime.now(UTC))}
    return FakeResponse(result, status=202)


def register(router: Router) -> None:
    router.add("GET", f"{BASE}/topics", "ListTopics", list_topics)
    router.add("POST", f"{BASE}/topics/{{topicId}}/messages", "PublishMessage", publish_message)
