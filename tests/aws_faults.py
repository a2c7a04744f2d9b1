"""A fault-injecting HTTP proxy in front of the real moto server (127.0.0.1 only).

boto3 clients pointed at `FaultProxy.url` talk to moto through it. It names each request's
AWS operation from botocore's own service models (Lambda's REST paths, CloudWatch's RPC
paths), counts the calls of each operation, and, by rule, on the n-th call of one:

- answers with an error instead of forwarding (`fail`: a 500, a 409, a 429 storm),
- forwards it and then withholds the answer (`withhold`: the change happened, the client
  sees the connection close),
- never answers (`hang`: the client's read timeout is all that ends the wait),
- kills a process with SIGKILL before forwarding or after the change (`kill`).

Every call is logged with whether it reached moto and what moto answered, so that a test
can assert that no change was made twice and that every change has its intent record.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import botocore.session

READS = ("Get", "List", "Describe")


def _operation_table() -> list[tuple[str, re.Pattern[str], str]]:
    """(HTTP method, path regex, operation) for Lambda's REST API, most specific first."""
    model = botocore.session.get_session().get_service_model("lambda")
    table = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path, _, query = http["requestUri"].partition("?")
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path.rstrip("/")))
        table.append((http["method"], re.compile(f"^{pattern}/?$"), name, query))
    # A path with a query marker (`/layers?find=LayerVersion`) must beat the bare path.
    table.sort(key=lambda row: (not row[3], -len(row[1].pattern)))
    return [(method, regex, name) for method, regex, name, _ in table]


_LAMBDA = _operation_table()
_RPC = re.compile(r"^/service/[^/]+/operation/(?P<op>\w+)$")


def operation_of(method: str, raw_path: str, headers: dict[str, str], body: bytes) -> str:
    """The AWS operation a request calls (`Unknown` when it is none we know)."""
    parts = urlsplit(raw_path)
    if rpc := _RPC.match(parts.path):  # CloudWatch over smithy RPC v2 (CBOR)
        return rpc["op"]
    if target := headers.get("x-amz-target"):  # JSON protocol
        return target.rsplit(".", 1)[-1]
    if body.startswith(b"Action="):  # query protocol
        return body.split(b"&", 1)[0].split(b"=", 1)[1].decode()
    for verb, regex, name in _LAMBDA:
        if verb == method and regex.match(parts.path):
            query_marker = "find=" in parts.query
            if name == "GetLayerVersionByArn" and not query_marker:
                continue
            return name
    return "Unknown"


def is_change(operation: str) -> bool:
    return not operation.startswith(READS) and operation != "Unknown"


@dataclass
class Call:
    """One request as the proxy saw it."""

    operation: str
    method: str
    path: str
    body: bytes
    fault: str = ""
    forwarded: bool = False
    status: int | None = None
    """What moto answered (None: not forwarded, or no answer)."""
    answered: bool = False
    """Whether the client got an answer."""
    audit_lines: int = 0
    """Lines in the audit trail when the call arrived (its intent must be among them)."""

    @property
    def changed(self) -> bool:
        """A change moto carried out."""
        return is_change(self.operation) and self.status is not None and self.status < 300

    @property
    def target(self) -> str:
        return unquote(urlsplit(self.path).path)


@dataclass
class Rule:
    operation: str
    """An operation name, or `*` for every call."""
    calls: range
    """Which calls of the operation (1-based) the rule applies to."""
    action: str
    """`fail`, `withhold`, `hang`, `kill-before`, `kill-after`."""
    status: int = 500
    code: str = "ServiceException"
    message: str = "injected fault"
    retry_after: str | None = None


@dataclass
class FaultProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    victim: int | None = None
    """The pid a `kill-*` rule kills."""
    audit: Path | None = None
    """The audit trail of the command under test, counted at each changing call."""
    killed: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    """Set to let hanging requests go (at teardown)."""
    _counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    # --- rules ----------------------------------------------------------------------------

    def fail(
        self,
        operation: str,
        nth: int = 1,
        *,
        times: int = 1,
        status: int = 500,
        code: str = "ServiceException",
        message: str = "injected fault",
    ) -> None:
        """Answer calls nth..nth+times-1 of `operation` with an error, without forwarding."""
        self.rules.append(Rule(operation, range(nth, nth + times), "fail", status, code, message))

    def storm(self, operation: str = "*", nth: int = 1, *, times: int = 5) -> None:
        """A 429 throttling storm: `times` calls answered TooManyRequestsException."""
        self.fail(
            operation,
            nth,
            times=times,
            status=429,
            code="TooManyRequestsException",
            message="Rate exceeded",
        )

    def withhold(self, operation: str, nth: int = 1) -> None:
        """Forward the n-th call (the change happens), then close without an answer."""
        self.rules.append(Rule(operation, range(nth, nth + 1), "withhold"))

    def hang(self, operation: str, nth: int = 1, *, times: int = 1_000_000) -> None:
        """Never answer calls nth.. of `operation` (not forwarded)."""
        self.rules.append(Rule(operation, range(nth, nth + times), "hang"))

    def kill(self, operation: str, nth: int = 1, *, after: bool) -> None:
        """SIGKILL `victim` at the n-th call: before forwarding it, or after moto made it."""
        action = "kill-after" if after else "kill-before"
        self.rules.append(Rule(operation, range(nth, nth + 1), action))

    def reset(self) -> None:
        with self._lock:
            self.rules.clear()
            self.calls.clear()
            self._counts.clear()
            self.victim = None
            self.killed.clear()

    # --- what happened --------------------------------------------------------------------

    def changes(self) -> list[Call]:
        """Changes moto carried out, in order."""
        return [c for c in self.calls if c.changed]

    def of(self, operation: str) -> list[Call]:
        return [c for c in self.calls if c.operation == operation]

    # --- serving --------------------------------------------------------------------------

    def _rule_for(self, operation: str) -> tuple[Rule | None, int]:
        with self._lock:
            count = self._counts[operation] = self._counts.get(operation, 0) + 1
            every = self._counts["*"] = self._counts.get("*", 0) + 1
            for rule in self.rules:
                if rule.operation == operation and count in rule.calls:
                    return rule, count
                if rule.operation == "*" and every in rule.calls:
                    return rule, count
        return None, count

    def _kill(self) -> None:
        if self.victim is not None:
            os.kill(self.victim, signal.SIGKILL)
            self.killed.set()

    def forward(
        self, call: Call, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        upstream = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            connection.request(call.method, call.path, body=call.body, headers=sent)
            response = connection.getresponse()
            body = response.read()
            call.forwarded, call.status = True, response.status
            return response.status, response.getheaders(), body
        finally:
            connection.close()


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # no delayed-ACK stall between headers and body

        def log_message(self, *_: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            operation = operation_of(self.command, self.path, headers, body)
            call = Call(operation, self.command, self.path, body)
            if proxy.audit is not None and is_change(operation) and proxy.audit.exists():
                call.audit_lines = len(proxy.audit.read_bytes().splitlines())
            with proxy._lock:
                proxy.calls.append(call)
            rule, _ = proxy._rule_for(operation)
            action = rule.action if rule else ""
            call.fault = action
            if action == "fail" and rule is not None:
                self._error(rule, query=body.startswith(b"Action="))
                call.answered = True
                return
            if action == "hang":
                proxy.release.wait(300)
                self.close_connection = True
                return
            if action == "kill-before":
                proxy._kill()
                self.close_connection = True
                return
            status, response_headers, response_body = proxy.forward(call, headers)
            if action in ("withhold", "kill-after"):
                if action == "kill-after":
                    proxy._kill()
                self.close_connection = True
                return
            self.send_response(status)
            for key, value in response_headers:
                if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(response_body)))
            self.end_headers()
            self.wfile.write(response_body)
            call.answered = True

        def _error(self, rule: Rule, *, query: bool = False) -> None:
            if query:  # the query protocol (SNS, EC2, RDS...) answers errors in XML
                self._xml_error(rule)
                return
            payload = json.dumps(
                {
                    "__type": rule.code,
                    "Type": "User",
                    "message": rule.message,
                    "Message": rule.message,
                }
            ).encode()
            self.send_response(rule.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("x-amzn-ErrorType", rule.code)
            self.send_header("x-amzn-query-error", f"{rule.code};Sender")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _xml_error(self, rule: Rule) -> None:
            error = (
                f"<Error><Type>Sender</Type><Code>{rule.code}</Code>"
                f"<Message>{rule.message}</Message></Error>"
            )
            # EC2 wraps errors in Response/Errors; the other query services in ErrorResponse
            payload = (
                f"<Response><Errors>{error}</Errors><RequestID>fault</RequestID></Response>"
                if "ec2" in (self.headers.get("Authorization") or "")
                else f"<ErrorResponse>{error}<RequestId>fault</RequestId></ErrorResponse>"
            ).encode()
            self.send_response(rule.status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    return Handler


P = TypeVar("P", bound=FaultProxy)


@contextmanager
def serving(upstream: str, kind: type[P] = FaultProxy) -> Iterator[P]:
    """A fault proxy (`kind`: FaultProxy or a subclass that answers some calls itself) on
    127.0.0.1 in front of `upstream` while the block runs."""
    proxy = kind(upstream)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.release.set()  # hanging handlers end
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
