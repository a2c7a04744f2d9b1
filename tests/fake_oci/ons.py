"""``oci.ons``: the topics guardrails looks up by name and publishes to.

Seed a topic, publish with the real clients, read what was sent::

    topic = fake_oci.ons.add_topic("guardrails-dev-alarms", compartment_id=COMPARTMENT)
    fake_oci.ons.messages        # [(topic id, title, body), ...]

Routes (base path /20181201): ListTopics ``GET /topics`` (``compartmentId`` required,
``name``, ``id``, ``lifecycleState``, paging), GetTopic ``GET /topics/{topicId}`` and
UpdateTopic ``PUT /topics/{topicId}`` (a ``TopicAttributesDetails`` body: ``description``
required, as the API documents; ``freeformTags`` at most 64 tags, keys up to 100 and values up
to 256 characters; ``definedTags``; ``if-match`` checked, 412 on a stale etag) on the control
plane; PublishMessage ``POST
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
    OciError,
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
    description: str = ""
    freeform_tags: dict[str, str] = field(default_factory=dict)
    defined_tags: dict[str, dict[str, object]] = field(default_factory=dict)
    version: int = 1

    @property
    def etag(self) -> str:
        return f"{self.topic_id[-8:]}-{self.version}"


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
        "etag": record.etag,
        "description": record.description,
        "freeformTags": record.freeform_tags,
        "definedTags": record.defined_tags,
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


def _topic(request: FakeRequest) -> TopicRecord:
    topic = request.state.service(OnsState).topics.get(request.params["topicId"])
    if topic is None:
        raise not_found()
    return topic


def get_topic(request: FakeRequest) -> FakeResponse:
    topic = _topic(request)
    return FakeResponse(_topic_json(topic, request), headers={"etag": topic.etag})


MAX_FREEFORM_TAGS = 64


def update_topic(request: FakeRequest) -> FakeResponse:
    topic = _topic(request)
    match = request.header("if-match")
    if match is not None and match != topic.etag:
        raise OciError(412, "PreconditionFailed", "The resource has been changed (etag).")
    body = request.json_object()
    if not isinstance(body.get("description"), str):
        raise invalid_parameter("description is required.")
    tags = body.get("freeformTags")
    if tags is not None:
        if not isinstance(tags, dict) or len(tags) > MAX_FREEFORM_TAGS:
            raise invalid_parameter(f"freeformTags: at most {MAX_FREEFORM_TAGS} tags.")
        for key, value in tags.items():
            if not 1 <= len(key) <= 100 or not isinstance(value, str) or len(value) > 256:
                raise invalid_parameter(f"freeformTags: invalid tag {key!r}.")
        topic.freeform_tags = dict(tags)
    if isinstance(body.get("definedTags"), dict):
        topic.defined_tags = body["definedTags"]
    topic.description = body["description"]
    topic.version += 1
    return FakeResponse(_topic_json(topic, request), headers={"etag": topic.etag})


def register(router: Router) -> None:
    router.add("GET", f"{BASE}/topics", "ListTopics", list_topics)
    router.add("GET", f"{BASE}/topics/{{topicId}}", "GetTopic", get_topic)
    router.add("PUT", f"{BASE}/topics/{{topicId}}", "UpdateTopic", update_topic)
    router.add("POST", f"{BASE}/topics/{{topicId}}/messages", "PublishMessage", publish_message)
