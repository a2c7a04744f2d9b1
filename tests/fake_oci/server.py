"""The fake OCI API server: one ThreadingHTTPServer, a route table, signatures, errors, paging.

Service modules register routes into a Router with ``router.add(method, template, name,
handler)``: ``template`` is the full path the SDK sends, base path included
(``/20200107/usage``, ``/20160918/autonomousDatabases/{autonomousDatabaseId}``); a last
parameter written ``{name+}`` takes the rest of the path (object names with slashes); ``name``
is the SDK operation name (``RequestSummarizedUsages``), used in the call log and for injected
faults. A handler takes a FakeRequest and returns a FakeResponse, or any JSON value (200),
or raises OciError for an OCI-shaped error answer.

Every request is authenticated first (signing.verify_request against the registered API
keys); failures answer 401 NotAuthenticated with OCI's generic message, the reason is kept in
``state.auth_failures``. A request that matches no route answers 404 ``NotImplementedInFake``
and is kept in ``state.unrouted`` (the fixture fails the test on it: the fake implements
exactly the operations we call, so a new call needs a new route); so is a handler that
raises (answered 400 ``FakeOciBug``).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fake_oci.signing import ApiKey, SignatureError, verify_request
from tests.fake_oci.state import Call, FakeOciState

T = TypeVar("T")

NOT_AUTHENTICATED = (
    "The required information to complete authentication was not provided or was incorrect."
)
NOT_FOUND = "Authorization failed or requested resource not found."
DEFAULT_PAGE_LIMIT = 100
MAX_PAGE_LIMIT = 1000
PAGE_PREFIX = "fakepage-"


class OciError(Exception):
    """An OCI error answer: HTTP status and the ``{"code", "message"}`` body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def invalid_parameter(message: str) -> OciError:
    return OciError(400, "InvalidParameter", message)


def not_found(message: str = NOT_FOUND) -> OciError:
    return OciError(404, "NotAuthorizedOrNotFound", message)


def conflict(message: str) -> OciError:
    return OciError(409, "IncorrectState", message)


@dataclass
class FakeResponse:
    """An answer: ``body`` is a JSON value, or bytes sent as they are with ``content_type``."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class FakeRequest:
    """One authenticated request, as a handler sees it."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    state: FakeOciState

    def json(self) -> Any:
        """The body as JSON; 400 InvalidParameter when it is not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise invalid_parameter("The request body is not valid JSON.") from None

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; 400 when it is missing or not an object."""
        body = self.json()
        if not isinstance(body, dict):
            raise invalid_parameter("The request body must be a JSON object.")
        return body

    def arg(self, name: str) -> str | None:
        """One query parameter (the last one when repeated), or None."""
        values = self.query.get(name)
        return values[-1] if values else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


Handler = Callable[[FakeRequest], Any]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    name: str
    handler: Handler
    sign_body: bool
    segments: tuple[str, ...]

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for index, part in enumerate(self.segments):
            if part.startswith("{") and part.endswith("+}"):
                rest = segments[index:]
                if not rest or not all(rest):
                    return None
                params[part[1:-2]] = "/".join(rest)
                return params
            if index >= len(segments):
                return None
            if part.startswith("{") and part.endswith("}"):
                if not segments[index]:
                    return None
                params[part[1:-1]] = segments[index]
            elif part != segments[index]:
                return None
        return params if len(segments) == len(self.segments) else None


class Router:
    """The route table that service modules register into."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self, method: str, template: str, name: str, handler: Handler, *, sign_body: bool = True
    ) -> None:
        segments = tuple(template.strip("/").split("/"))
        for route in self.routes:
            if route.method == method and route.template == template:
                raise ValueError(f"route {method} {template} registered twice")
        self.routes.append(Route(method, template, name, handler, sign_body, segments))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        segments = [urllib.parse.unquote(s) for s in path.strip("/").split("/")]
        for route in self.routes:
            if route.method != method:
                continue
            params = route.match(segments)
            if params is not None:
                return route, params
        return None


def oci_time(value: datetime) -> str:
    """A time as OCI writes it in JSON (UTC, milliseconds, ``Z``), which the SDK parses."""
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def parse_oci_time(value: Any, field_name: str) -> datetime:
    """An RFC 3339 time from a request body; 400 InvalidParameter when malformed."""
    if not isinstance(value, str):
        raise invalid_parameter(f"{field_name} must be an RFC 3339 date-time string.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_parameter(f"{field_name} is not a valid date-time: {value!r}.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def page_of(
    request: FakeRequest,
    items: Sequence[T],
    *,
    default_limit: int = DEFAULT_PAGE_LIMIT,
    max_limit: int = MAX_PAGE_LIMIT,
) -> tuple[list[T], dict[str, str]]:
    """One page of ``items`` per the ``page``/``limit`` query, and the ``opc-next-page`` header.

    Page tokens are opaque to clients (here ``fakepage-<offset>``); a token the fake did not
    issue is 400 InvalidParameter, a limit outside 1..max_limit too.
    """
    limit_text = request.arg("limit")
    limit = default_limit
    if limit_text is not None:
        try:
            limit = int(limit_text)
        except ValueError:
            raise invalid_parameter(f"limit must be an integer, got {limit_text!r}.") from None
        if not 1 <= limit <= max_limit:
            raise invalid_parameter(f"limit must be between 1 and {max_limit}, got {limit}.")
    offset = 0
    token = request.arg("page")
    if token is not None:
        digits = token.removeprefix(PAGE_PREFIX)
        if not token.startswith(PAGE_PREFIX) or not digits.isdigit() or int(digits) > len(items):
            raise invalid_parameter(f"Invalid page token {token!r}.")
        offset = int(digits)
    chunk = list(items[offset : offset + limit])
    headers = {}
    if offset + limit < len(items):
        headers["opc-next-page"] = f"{PAGE_PREFIX}{offset + limit}"
    return chunk, headers


class _Handler(BaseHTTPRequestHandler):
    server: FakeOciHttpServer
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: with Nagle's algorithm on, each answer on a
    # kept-alive connection waited for the client's delayed ACK (about 40 ms a call)
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        fake = self.server.fake
        state = fake.state
        request_id = self.headers.get("opc-request-id") or state.next_request_id()
        try:
            response = fake.dispatch(self.command, self.path, self.headers, body)
        except OciError as error:
            response = FakeResponse({"code": error.code, "message": error.message}, error.status)
        except Exception as error:
            # a bug in the fake: a 4xx the SDK does not retry (a 5xx would be retried for
            # minutes), and the reason kept so the fixture fails the test
            state.unrouted.append(f"{self.command} {self.path}: handler raised {error!r}")
            response = FakeResponse({"code": "FakeOciBug", "message": repr(error)}, 400)
        self._send(response, request_id)

    def _send(self, response: FakeResponse, request_id: str) -> None:
        if isinstance(response.body, bytes):
            payload = response.body
            content_type = response.content_type
        elif response.body is None:
            payload = b""
            content_type = "application/json"
        else:
            payload = json.dumps(response.body).encode()
            content_type = "application/json"
        self.send_response(response.status)
        self.send_header("opc-request-id", request_id)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


class FakeOciHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeOciServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class FakeOciServer:
    """The running fake: its URL, the API keys it trusts, the routes and the current state."""

    def __init__(self, api_key: ApiKey, services: Sequence[Callable[[Router], None]]) -> None:
        self.api_key = api_key
        self.keys: dict[str, rsa.RSAPublicKey] = {api_key.key_id: api_key.public_key}
        self.router = Router()
        for register in services:
            register(self.router)
        self.state = self.fresh_state()
        self._http = FakeOciHttpServer(self)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def fresh_state(self) -> FakeOciState:
        return FakeOciState(tenancy=self.api_key.tenancy, user=self.api_key.user)

    def reset(self) -> FakeOciState:
        self.state = self.fresh_state()
        return self.state

    def start(self) -> FakeOciServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=10)

    def dispatch(self, method: str, target: str, headers: Any, body: bytes) -> FakeResponse:
        """Authenticate, route, apply injected faults, run the handler, log the call."""
        state = self.state
        split = urllib.parse.urlsplit(target)
        matched = self.router.match(method, split.path)
        sign_body = matched[0].sign_body if matched else True
        try:
            verify_request(method, target, headers, body, self.keys, sign_body=sign_body)
        except SignatureError as error:
            with state.lock:
                state.auth_failures.append(f"{method} {target}: {error}")
            raise OciError(401, "NotAuthenticated", NOT_AUTHENTICATED) from None
        if matched is None:
            with state.lock:
                state.unrouted.append(f"{method} {split.path}")
            raise OciError(
                404, "NotImplementedInFake", f"The fake OCI API has no route {method} {split.path}"
            )
        route, params = matched
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        request = FakeRequest(
            method=method,
            path=split.path,
            params=params,
            query=query,
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
            state=state,
        )
        call = Call(route.name, method, split.path, query, _loggable(body))
        token = request.header("opc-retry-token") if method == "POST" else None
        with state.lock:
            state.calls.append(call)
            try:
                fault = state.take_fault(route.name)
                if fault is not None:
                    raise OciError(fault.status, fault.code, fault.message)
                done = state.retried.get((route.name, token)) if token else None
                if done is not None:  # OCI: the same retry token gets the first answer
                    if done[0] != body:
                        raise OciError(
                            409, "RetryTokenReused", "The retry token was used for another request."
                        )
                    call.status = done[1].status
                    return done[1]
                if (before := state.take_hook(route.name, "before")) is not None:
                    before()  # e.g. the client killed before its request arrived:
                    raise OciError(503, "NotCarriedOut", "the request never reached the service")
                result = route.handler(request)
                response = result if isinstance(result, FakeResponse) else FakeResponse(result)
                if token and 200 <= response.status < 300:
                    state.retried[(route.name, token)] = (body, response)
                if (after := state.take_hook(route.name, "after")) is not None:
                    after()
            except OciError as error:
                call.status = error.status
                raise
            call.status = response.status
            return response


def _loggable(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body
