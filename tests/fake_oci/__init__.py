"""A local fake of the OCI API for the real ``oci`` SDK (one for the whole project).

One ThreadingHTTPServer per test worker on 127.0.0.1 (free port), started on first use and
kept for the session; every test gets a fresh state. Real SDK clients reach it through
``service_endpoint``. Every request's HTTP signature is verified with the public key of a
generated API key, as OCI does (401 NotAuthenticated otherwise); errors are OCI-shaped
(``{"code", "message"}`` and ``opc-request-id``); lists page with ``page``/``limit`` and
``opc-next-page``; a POST repeated with the same ``opc-retry-token`` gets the first answer
(another body with the token: 409 RetryTokenReused). It implements exactly the operations
guardrails calls and enforces their documented request rules (each service module's
docstring lists them).

Use it
------
The ``fake_oci`` fixture (``fixture.py``, imported in tests/conftest.py) gives a ``FakeOci``::

    def test_x(fake_oci: FakeOci) -> None:
        usage = fake_oci.client(oci.usage_api.UsageapiClient)  # real client, signed requests
        fake_oci.config      # {"user", "tenancy", "fingerprint", "key_content", "region"}
        fake_oci.url         # http://127.0.0.1:<port>: pass as service_endpoint to the code
        fake_oci.tenancy     # the tenancy OCID the fake answers for (tests/conftest TENANCY)

``fixture.client(cls, fake, **kwargs)`` (same as ``fake.client``) builds
``cls(oci_config(fake), service_endpoint=fake.url)`` with retries and the circuit breaker
off; the SDK appends each client's base path itself (``/20200107`` Usage API, ``/20160918``
Database, Compute, Work Requests; none for Object Storage). ``fixture.oci_config(fake,
key=None)`` is the config dict alone (``key``: another ``signing.generate_api_key(...)`` to
sign with a key the fake does not know). Code under test that builds its own clients gets
the SDK defaults: retries on 409/429/5xx with back-off and the circuit breaker, so inject
4xx faults, or let the code take a retry strategy.

Seed state (each service's docstring has the details):

- Usage API: ``fake_oci.usage.add([{"day": "2026-11-03", "service": "Database",
  "cost": 12.5, "compartment_id": ..., "compartment_name": ..., "resource_id": ...,
  "tags": {"Governance.cost_center": "cc-1"}, "currency": "USD"}, ...])`` (dicts or
  ``usage_api.UsageLine``); ``fake_oci.usage.page_size = 10`` to force paging.
- Object Storage: ``fake_oci.objects.put_report("reports/cost-csv/0001.csv.gz", data,
  time_created=...)`` (namespace ``bling``, bucket = tenancy), or ``objects.put(ns, bucket,
  name, data)``.
- Autonomous Databases: ``adb = fake_oci.database.add_autonomous_database(compartment_id=...,
  display_name="orders", compute_count=4, defined_tags={"Governance": {...}})`` (any
  ``database.AutonomousDatabaseRecord`` field); ``database.transition_polls`` (reads until a
  stop/start ends, default 2; ``10**6`` never ends); ``database.fail_next(adb.id, code, msg)``
  (the work request ends FAILED); ``database.add_backup(adb.id, time_ended=...)``,
  ``database.fail_next_backup(code, msg)``, ``database.fail_next_clone(code, msg)``.
- Metrics: ``fake_oci.monitoring.set_pattern(adb.id, CpuUtilization="busy",
  StorageUtilization="growing", Sessions=40)`` (patterns: busy, steady, low, idle, nightly,
  growing, flat, full, or a constant).
- Instances: ``fake_oci.compute.add_instance(compartment_id=..., display_name="web-1")``.

Observe and break:

- ``fake_oci.state.calls``: every authenticated call (``operation`` = SDK operation name,
  ``method``, ``path``, ``query``, parsed ``body``, ``status``); ``state.calls_of("...")``.
  ``calls == []`` proves "no call made".
- ``fake_oci.state.inject_fault("StopAutonomousDatabase", 500, "InternalError", "boom",
  times=1)``: the next call(s) of an operation get this error (``times=-1``: always).
- ``fake_oci.state.auth_failures``: why a request got 401 (OCI's answer stays generic).
- A request the fake has no route for answers 404 ``NotImplementedInFake`` and fails the
  test at teardown: the fake implements what we call, so a new call needs a new route.

Lifecycle operations answer at once in the transitional state; the resource reaches its final
state after ``transition_polls`` reads of it or of its work request (lifecycle.py). The SDK
waiter sleeps 1 s before its first re-read, so a wait costs about a second; pass
``waiter_kwargs={"max_interval_seconds": 0}`` to keep it there.

Add a service
-------------
1. ``tests/fake_oci/<service>.py``: a state class (``__init__(self, state: FakeOciState)``,
   seed methods taking ``state.lock``) and ``register(router)`` adding routes::

       router.add("GET", "/20160918/things/{thingId}", "GetThing", get_thing)

   with the full path the SDK sends (read the client in site-packages/oci for
   ``resource_path`` and the base path); ``{name+}`` as the last segment takes the rest of the
   path; the name is the SDK operation name (call log, ``inject_fault``).
2. Handlers take a ``server.FakeRequest`` (``params``, ``arg(name)``, ``header(name)``,
   ``json_object()``, ``state``) and return a ``server.FakeResponse`` (JSON value or bytes,
   status, headers) or a JSON value; they raise ``server.OciError`` (or ``invalid_parameter``,
   ``not_found``, ``conflict``) for an error answer. ``server.page_of`` pages a list,
   ``server.oci_time`` writes times as the SDK parses them, bodies are camelCase as the
   model's ``attribute_map``. Their data: ``request.state.service(YourState)``.
   Resources with a lifecycle subclass ``lifecycle.TrackedResource`` and use
   ``list_in_compartment``, ``read``, ``check_if_match``, ``begin`` (see database.py).
3. Add ``<service>.register`` to ``fixture.SERVICES`` and a property for the state on
   ``fixture.FakeOci``; test it through the real SDK client in ``tests/test_fake_oci_*.py``.
"""
