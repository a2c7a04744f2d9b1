"""A local fake of the OCI API for the real ``oci`` SDK (one for the whole project).

One ThreadingHTTPServer per test worker on 127.0.0.1 (free port), started once per session;
every test gets a fresh state. Real SDK clients reach it through ``service_endpoint``; every
request's HTTP signature is verified with the public key of a generated API key (401
NotAuthenticated as OCI answers otherwise), errors are OCI-shaped (``{"code", "message"}`` and
``opc-request-id``), lists page with ``page``/``limit`` and ``opc-next-page``. It implements
exactly the operations guardrails calls and enforces their documented request rules.

Use it
------
The ``fake_oci`` fixture (``tests/fake_oci/fixture.py``, imported in tests/conftest.py) gives a
``FakeOci`` handle::

    def test_x(fake_oci):
        wr = fake_oci.client(oci.work_requests.WorkRequestClient)   # real client, signed
        config = fake_oci.config        # user, tenancy, fingerprint, key_content, region
        endpoint = fake_oci.url         # pass as service_endpoint to the code under test
        fake_oci.state.calls            # every authenticated call: operation, path, query, body
        fake_oci.state.inject_fault("StopAutonomousDatabase", 500, "InternalError", "boom")

``client(cls, fake)`` / ``fake.client(cls)`` builds ``cls(config, service_endpoint=fake.url)``
with retries and the circuit breaker off (override with kwargs); the SDK adds each client's
base path itself (``/20200107`` Usage API, ``/20160918`` Database, Compute, Work Requests;
none for Object Storage). ``oci_config(fake, key=None)`` is the config dict alone.

A request to a path the fake has no route for answers 404 ``NotImplementedInFake`` and fails
the test at teardown: add the route.

Add a service
-------------
Write ``tests/fake_oci/<service>.py`` with a state class (``__init__(self, state:
FakeOciState)``, seed methods) and ``register(router)`` that adds routes::

    router.add("GET", "/20160918/things/{thingId}", "GetThing", get_thing)

(the full path the SDK sends; ``{name+}`` as the last segment takes the rest of the path; the
name is the SDK operation name, used by the call log and ``inject_fault``). A handler takes a
``server.FakeRequest`` (``params``, ``arg(name)``, ``json_object()``, ``state``) and returns a
``server.FakeResponse`` or a JSON value; it raises ``server.OciError`` (or
``invalid_parameter``, ``not_found``, ``conflict``) for an error answer; ``server.page_of``
pages a list. Its data lives in ``request.state.service(YourState)``. Then add
``<service>.register`` to ``fixture.SERVICES`` and a property to ``FakeOci`` for seeding.
"""
