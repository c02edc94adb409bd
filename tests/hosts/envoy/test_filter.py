"""The azlens proxy-wasm filter in a real Envoy 1.40 (V8, two workers): token checks, the
guard's decisions, and the process-wide key-set cache. Run by `make test-envoy`."""

from __future__ import annotations

import json
import os
import re
import threading
import time

import pytest

from harness import (Envoy, KeyServer, SigningKey, Upstream, claims, envoy_config, free_port,
                     policy)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
WASM = os.environ.get("AZLENS_ENVOY_WASM") or os.path.join(
    ROOT, "target", "wasm32-wasip1", "release", "azlens-envoy.wasm")


@pytest.fixture(scope="module", autouse=True)
def wasm_exists():
    if not os.path.isfile(WASM):
        pytest.fail(f"{WASM} is missing: run `make build-envoy` (or set AZLENS_ENVOY_WASM)")


@pytest.fixture(scope="module")
def upstream():
    up = Upstream()
    yield up
    up.close()


@pytest.fixture
def stack(upstream):
    """Start key servers and Envoys for one test; stop them all at its end."""
    started = []

    class Stack:
        def key_server(self, keys, **kw) -> KeyServer:
            ks = KeyServer(keys, **kw)
            started.append(ks)
            return ks

        def envoy(self, key_url: str, key_port: int, policy_doc=None, **key_cache) -> Envoy:
            doc = policy_doc if policy_doc is not None else policy(key_url, **key_cache)
            e = Envoy(envoy_config(WASM, doc, upstream.port, key_port), wait_ready=False)
            started.append(e)
            if policy_doc is None:
                e._wait_ready()
            return e

    yield Stack()
    crashed = []
    for thing in reversed(started):
        if isinstance(thing, Envoy):
            thing.stop()
            if "panicked at" in thing.logs() or "Function: proxy_on" in thing.logs():
                crashed.append(thing.logs()[-4000:])
        else:
            thing.close()
    assert not crashed, f"the filter crashed in Envoy:\n{crashed[0]}"


@pytest.fixture
def running(stack):
    """A key server with one RSA key and an Envoy whose filter has fetched it."""
    key = SigningKey("rsa-1")
    ks = stack.key_server([key])
    e = stack.envoy(ks.url, ks.port)
    wait_for(lambda: ks.count() >= 1, "the first key-set fetch")
    return key, ks, e


def wait_for(cond, what: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def challenge(resp) -> str:
    return resp.headers.get("www-authenticate", "")


def test_no_token_gets_401_with_a_bearer_challenge(running):
    _, _, e = running
    r = e.request("/api/things")
    assert r.status == 401, r
    assert challenge(r) == 'Bearer realm="fhir-test"'
    assert r.headers["content-type"] == "application/json"
    assert r.json()["errors"] == []


def test_a_valid_token_is_forwarded_with_claims_and_without_spoofed_headers(running):
    key, _, e = running
    r = e.request("/api/things?x=1", key.sign(claims("openid fhirUser")),
                  headers={"x-azlens-sub": "mallory", "x-audit-user": "forged"})
    assert r.status == 200, r
    seen = r.upstream_headers()
    assert seen["x-azlens-sub"] == "dr-who", "the client's copy is replaced"
    assert seen["x-azlens-scope"] == "openid fhirUser"
    assert seen["x-audit-user"] == "https://fhir.test<dr-who@https://as.test>"
    assert "authorization" not in seen, "the token is stripped by default"
    assert r.json()["path"] == "/api/things?x=1"


def test_a_tampered_token_gets_401_invalid_token(running):
    key, _, e = running
    head, body, sig = key.sign(claims("openid")).split(".")
    forged_claims = json.dumps({**claims("openid"), "sub": "admin"}).encode()
    import base64
    forged = base64.urlsafe_b64encode(forged_claims).rstrip(b"=").decode()
    for token in (f"{head}.{forged}.{sig}", f"{head}.{body}.{sig[:-4]}AAAA"):
        r = e.request("/api/things", token)
        assert r.status == 401, r
        assert 'error="invalid_token"' in challenge(r)
        assert "signature_invalid" in [p["code"] for p in r.json()["errors"]]
    r = e.request("/api/things", "not-a-token")
    assert r.status == 401 and "malformed" in r.body.decode()


def test_a_token_without_the_scope_gets_403(running):
    key, _, e = running
    r = e.request("/admin/users", key.sign(claims("openid")))
    assert r.status == 403, r
    assert 'error="insufficient_scope"' in challenge(r) and 'scope="admin"' in challenge(r)
    assert e.request("/admin/users", key.sign(claims("openid admin"))).status == 200


def test_the_smart_on_fhir_decision_is_the_guards(running):
    key, _, e = running
    patient = claims("launch/patient patient/Observation.rs", patient="123")
    ok = e.request("/fhir/Observation?patient=123", key.sign(patient))
    assert ok.status == 200, ok
    assert ok.upstream_headers()["x-azlens-scope"] == "launch/patient patient/Observation.rs"
    other = e.request("/fhir/Observation?patient=456", key.sign(patient))
    assert other.status == 403, other
    assert "insufficient_scope" in challenge(other)
    assert e.request("/fhir/Condition?patient=123", key.sign(patient)).status == 403


def test_open_routes_and_legacy_schemes(running):
    key, _, e = running
    r = e.request("/public/logo.png", headers={"x-azlens-sub": "mallory"})
    assert r.status == 200
    assert "x-azlens-sub" not in r.upstream_headers()
    legacy = e.request("/api", headers={"authorization": f"IHE-JWT {key.sign(claims())}"})
    assert legacy.status == 200
    assert "deprecated" in legacy.headers.get("x-azlens-deprecated", "")


def test_rotation_to_a_new_kid_is_accepted_after_one_refetch(stack):
    old, new, newer = SigningKey("rsa-1"), SigningKey("ec-2", "ES256"), SigningKey("rsa-3")
    ks = stack.key_server([old])
    e = stack.envoy(ks.url, ks.port, refetch_cooldown=3)
    wait_for(lambda: ks.count() == 1, "the first fetch")
    assert e.request("/api", old.sign(claims())).status == 200

    ks.keys = [old, new]  # the issuer rotates in a new key
    token = new.sign(claims())
    results = []

    def call():
        results.append(e.request("/api", token).status)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8, results
    assert ks.count() == 2, "one refetch for all workers"

    # Another unknown kid inside the cooldown: refused at once, no fetch.
    ks.keys = [old, new, newer]
    started = time.monotonic()
    r = e.request("/api", newer.sign(claims()))
    assert r.status == 401 and "key_not_found" in r.body.decode(), r
    assert time.monotonic() - started < 1.0
    assert ks.count() == 2
    # After the cooldown it is fetched.
    time.sleep(3.1)
    assert e.request("/api", newer.sign(claims())).status == 200
    assert ks.count() == 3

    # A kid nobody publishes: one refetch after the cooldown, then a 401, and the filter
    # carries on.
    time.sleep(3.1)
    stranger = SigningKey("rsa-unpublished")
    r = e.request("/api", stranger.sign(claims()))
    assert r.status == 401 and "key_not_found" in r.body.decode(), r
    assert ks.count() == 4
    assert e.request("/api", old.sign(claims())).status == 200


def test_key_server_down_at_start_requests_wait_then_fail_closed(stack):
    key = SigningKey("rsa-1")
    port = free_port()
    url = f"http://127.0.0.1:{port}/jwks"
    e = stack.envoy(url, port, max_wait_ms=1500)
    # A client that gives up while its request is paused leaves nothing behind.
    with pytest.raises(OSError):
        e.request("/api", key.sign(claims()), timeout=0.3)
    started = time.monotonic()
    r = e.request("/api", key.sign(claims()))
    waited = time.monotonic() - started
    assert r.status == 401, r
    body = json.loads(r.body)
    assert [e["code"] for e in body["errors"]] == ["key_set_unavailable"], body
    assert url in body["errors"][0]["message"] and "no keys were given" not in r.body.decode()
    assert 1.4 <= waited < 4.0, f"waited {waited:.2f} s for a 1.5 s bound"
    logs = e.logs()
    assert "fetch failed" in logs
    assert "panicked" not in logs and "Function: proxy_on" not in logs, logs[-3000:]


def test_a_request_paused_before_the_first_fetch_resumes_when_keys_arrive(stack):
    key = SigningKey("rsa-1")
    port = free_port()
    url = f"http://127.0.0.1:{port}/jwks"
    e = stack.envoy(url, port, max_wait_ms=5000)
    wait_for(lambda: "fetch failed" in e.logs(), "the first failed fetch")
    out = {}

    def call():
        t0 = time.monotonic()
        out["resp"] = e.request("/api/upload", key.sign(claims()), method="POST",
                                body=b'{"hello":"world"}',
                                headers={"content-type": "application/json"})
        out["took"] = time.monotonic() - t0

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.3)
    ks = stack.key_server([key], port=port)  # the key server comes up
    t.join(15)
    r = out["resp"]
    assert r.status == 200, r
    assert r.json()["body"] == '{"hello":"world"}', "the body waited with the headers"
    assert r.upstream_headers()["x-azlens-sub"] == "dr-who"
    assert 0.3 <= out["took"] < 5.0
    assert ks.count() == 1


def test_one_fetch_per_refresh_across_vms(stack):
    key = SigningKey("rsa-1")
    ks = stack.key_server([key], cache_control="max-age=1")
    e = stack.envoy(ks.url, ks.port)
    wait_for(lambda: ks.count() >= 1, "the first fetch")
    time.sleep(0.5)
    assert ks.count() == 1, "one VM fetched for the whole process"

    stop = time.monotonic() + 5.0
    statuses = []

    def load():
        while time.monotonic() < stop:
            statuses.append(e.request("/api", key.sign(claims())).status)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses and set(statuses) == {200}, set(statuses)
    fetches = list(ks.fetches)
    gaps = [b - a for a, b in zip(fetches, fetches[1:])]
    # max-age=1 s: a refresh every 1–2 s (whole-second ticks), never two at once.
    assert 3 <= len(fetches) <= 8, fetches
    assert min(gaps) >= 0.8, gaps
    # Both workers' VMs served requests.
    threads_seen = set(re.findall(r"\]\[(\d+)\]\[debug\]\[wasm\][^\n]*decision", e.logs()))
    assert len(threads_seen) >= 2, threads_seen


def test_an_invalid_configuration_stops_the_plugin_with_a_clear_log_line(stack):
    bad = {"algorithms": ["RS256"], "issuers": [{"issuer": "x", "jwks_uri": "https://as.test/jwks"}]}
    e = stack.envoy("https://as.test/jwks", free_port(), policy_doc=bad)
    code = e.wait_exit(30)
    assert code not in (None, 0), "envoy must refuse to start"
    logs = e.logs()
    assert "invalid plugin configuration, the filter will not start" in logs
    assert "has no cluster" in logs


def test_the_example_configuration_runs_as_is():
    """examples/envoy/envoy.yaml with only its ports and the filter's path changed."""
    with open(os.path.join(ROOT, "examples", "envoy", "envoy.yaml")) as f:
        text = f.read()
    keys_port = free_port()
    text = (text.replace("port_value: 9901", "port_value: 0")
                .replace("port_value: 10000", "port_value: 0")
                .replace("10001", str(keys_port))
                .replace("target/wasm32-wasip1/release/azlens-envoy.wasm", WASM))
    e = Envoy(text)
    try:
        token = open(os.path.join(ROOT, "examples", "envoy", "demo-token.jwt")).read().strip()
        admin = open(os.path.join(ROOT, "examples", "envoy", "demo-admin-token.jwt")).read().strip()
        assert e.request("/api").status == 401
        wait_for(lambda: e.request("/api", token).status == 200, "the demo key set")
        r = e.request("/api", token)
        assert r.headers["x-seen-user"] == "demo-user"
        assert r.headers["x-seen-audit-user"] == "https://demo-api.azlens.test<demo-user@https://demo-as.azlens.test>"
        assert "x-seen-authorization" not in r.headers
        assert e.request("/admin", token).status == 403
        assert e.request("/admin", admin).status == 200
        assert e.request("/public/x").status == 200
        # the FHIR demo tokens: an allowed read, a 403 (another patient) and a 401 (expired)
        fhir = open(os.path.join(ROOT, "examples", "envoy", "demo-fhir-token.jwt")).read().strip()
        expired = open(os.path.join(ROOT, "examples", "envoy", "demo-expired-token.jwt")).read().strip()
        assert e.request("/fhir/Observation?patient=123", fhir).status == 200
        assert e.request("/fhir/Patient/123", fhir).status == 200
        r = e.request("/fhir/Observation?patient=456", fhir)
        assert r.status == 403
        assert 'error="insufficient_scope"' in r.headers["www-authenticate"]
        r = e.request("/fhir/Observation?patient=123", expired)
        assert r.status == 401
        assert 'error="invalid_token"' in r.headers["www-authenticate"]
    finally:
        e.stop()
