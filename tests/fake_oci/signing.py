"""OCI request signing, server side: the test API key and the signature check.

OCI signs every request with the draft-cavage HTTP signature scheme (version 1):

    Authorization: Signature version="1",keyId="<tenancy>/<user>/<fingerprint>",
        algorithm="rsa-sha256",headers="date (request-target) host ...",signature="<base64>"

The signing string is one ``name: value`` line per listed header, in the listed order, with
``(request-target)`` written as ``<lower-case method> <path?query>``. GET, HEAD and DELETE must
sign ``date`` (or ``x-date``), ``(request-target)`` and ``host``; PUT, POST and PATCH also
``content-length``, ``content-type`` and ``x-content-sha256`` (the base64 SHA-256 of the body),
except the few operations that stream bodies (Object Storage PutObject/UploadPart), which a
route marks with ``sign_body=False``. A request whose date is more than five minutes off is
refused, as OCI does.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLOCK_SKEW = timedelta(minutes=5)
GENERIC_HEADERS = ("(request-target)", "host")
BODY_HEADERS = ("content-length", "content-type", "x-content-sha256")
BODY_METHODS = frozenset({"PUT", "POST", "PATCH"})
_PARAM = re.compile(r'(\w+)="([^"]*)"')


class SignatureError(Exception):
    """Why a request failed authentication (kept by the fake; OCI's answer stays generic)."""


@dataclass(frozen=True)
class ApiKey:
    """An API signing key of one user: what ``~/.oci/config`` names and what IAM stores."""

    tenancy: str
    user: str
    private_pem: str
    public_key: rsa.RSAPublicKey

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.public_key)

    @property
    def key_id(self) -> str:
        return f"{self.tenancy}/{self.user}/{self.fingerprint}"


def generate_api_key(tenancy: str, user: str) -> ApiKey:
    """A fresh 2048-bit RSA API key for ``user`` (PEM, unencrypted, as ``key_content``)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return ApiKey(tenancy=tenancy, user=user, private_pem=pem, public_key=private.public_key())


def fingerprint_of(public_key: rsa.RSAPublicKey) -> str:
    """OCI's key fingerprint: MD5 of the DER public key, as colon-separated hex pairs."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def body_sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def parse_authorization(value: str) -> dict[str, str]:
    """The parameters of a ``Signature`` Authorization header."""
    scheme, _, rest = value.partition(" ")
    if scheme != "Signature":
        raise SignatureError(f"authorization scheme is {scheme!r}, not 'Signature'")
    params = dict(_PARAM.findall(rest))
    for name in ("keyId", "algorithm", "signature", "headers", "version"):
        if name not in params:
            raise SignatureError(f"authorization header has no {name}")
    return params


def required_headers(method: str, sign_body: bool) -> tuple[str, ...]:
    """The headers a request of this method must sign (besides date or x-date)."""
    if method in BODY_METHODS and sign_body:
        return GENERIC_HEADERS + BODY_HEADERS
    return GENERIC_HEADERS


def verify_request(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: Mapping[str, rsa.RSAPublicKey],
    *,
    sign_body: bool = True,
    now: datetime | None = None,
) -> str:
    """Check one request's signature exactly as OCI does; returns the key id that signed it.

    ``headers`` must be looked up case-insensitively (``http.server`` message headers are).
    Raises SignatureError with the reason when the request must get 401 NotAuthenticated.
    """
    authorization = headers.get("authorization")
    if not authorization:
        raise SignatureError("no authorization header")
    params = parse_authorization(authorization)
    if params["version"] != "1":
        raise SignatureError(f"signature version {params['version']!r} is not supported")
    if params["algorithm"] != "rsa-sha256":
        raise SignatureError(f"algorithm {params['algorithm']!r} is not rsa-sha256")
    key = keys.get(params["keyId"])
    if key is None:
        raise SignatureError(f"unknown keyId {params['keyId']!r}")
    signed = params["headers"].lower().split()
    if "date" not in signed and "x-date" not in signed:
        raise SignatureError("neither date nor x-date is signed")
    missing = [h for h in required_headers(method, sign_body) if h not in signed]
    if missing:
        raise SignatureError(f"required headers not signed: {', '.join(missing)}")
    lines = []
    for name in signed:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
            continue
        value = headers.get(name)
        if value is None:
            raise SignatureError(f"signed header {name!r} is not in the request")
        lines.append(f"{name}: {value}")
    _check_date(headers.get("x-date") or headers.get("date") or "", now or datetime.now(UTC))
    if "x-content-sha256" in signed:
        if headers.get("x-content-sha256") != body_sha256(body):
            raise SignatureError("x-content-sha256 does not match the body")
        if headers.get("content-length") != str(len(body)):
            raise SignatureError("content-length does not match the body")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
        key.verify(signature, "\n".join(lines).encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError) as error:
        raise SignatureError("signature does not verify with the key's public key") from error
    return params["keyId"]


def _check_date(value: str, now: datetime) -> None:
    try:
        sent = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise SignatureError(f"date header {value!r} is not an HTTP date") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    if abs(now - sent) > CLOCK_SKEW:
        raise SignatureError(f"date {value!r} is more than 5 minutes from the server's clock")
