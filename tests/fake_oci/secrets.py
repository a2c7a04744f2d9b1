"""``oci.secrets.SecretsClient``: secret bundles (the Slack webhook URL the enforcer posts to).

    secret_id = fake_oci.secrets.add_secret("https://hooks.slack.com/services/T/B/x")

Route (base path /20190301): GetSecretBundle ``GET /secretbundles/{secretId}`` answers the
current version's content base64-encoded (``contentType`` BASE64); an unknown id is 404.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from tests.fake_oci.server import FakeRequest, FakeResponse, Router, not_found, oci_time
from tests.fake_oci.state import FakeOciState, new_ocid

BASE = "/20190301"


class SecretsState:
    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.secrets: dict[str, str] = {}

    def add_secret(self, value: str) -> str:
        secret_id = new_ocid("vaultsecret", self.state.region)
        with self.state.lock:
            self.secrets[secret_id] = value
        return secret_id


def get_secret_bundle(request: FakeRequest) -> FakeResponse:
    secret_id = request.params["secretId"]
    value = request.state.service(SecretsState).secrets.get(secret_id)
    if value is None:
        raise not_found()
    return FakeResponse(
        {
            "secretId": secret_id,
            "versionNumber": 1,
            "timeCreated": oci_time(datetime.now(UTC)),
            "stages": ["CURRENT", "LATEST"],
            "secretBundleContent": {
                "contentType": "BASE64",
                "content": base64.b64encode(value.encode()).decode(),
            },
        }
    )


def register(router: Router) -> None:
    router.add("GET", f"{BASE}/secretbundles/{{secretId}}", "GetSecretBundle", get_secret_bundle)
