"""POST /introspect (RFC 7662) in a real Envoy 1.40, answered by the filter through the gate's
introspection step as the edge worker answers it (tests/hosts/worker/introspection.test.mjs):
client credentials from the policy, the SMART launch context of a verified token, nothing about
one that does not verify, and the upstream never asked. Run by `make test-envoy`."""

from __future__ import annotations

import base64
import time
from urllib.parse import quote, urlencode

import pytest

from harness import ISSUER, Envoy, KeyServer, SigningKey, Upstream, claims, envoy_config, policy
from test_filter import WASM

SECRET = "resource-server-secret-0123456789"
FORM = "application/x-www-form-urlencoded"
SCOPE = "launch openid fhirUser patient/Observation.rs patient/Patient.r"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{quote(client_id)}:{quote(secret)}".encode()).decode()


def launch_claims(**extra) -> dict:
    return claims(SCOPE, client_id="growth-chart", patient="A", encounter="enc-7",
                  fhirUser="Practitioner/p-1", **extra)


@pytest.fixture(scope="module")
def api():
    """One Envoy with an introspection endpoint, its key server and upstream."""
    key = SigningKey("k1", "ES256")
    keys = KeyServer([key])
    upstream = Upstream()
    doc = policy(keys.url)
    doc["introspection"] = {"path": "/introspect",
                            "clients": [{"client_id": "rs-1", "secret": SECRET}]}
    envoy = Envoy(envoy_config(WASM, doc, upstream.port, keys.port))

    class Api:
        pass

    a = Api()
    a.key, a.keys, a.upstream, a.envoy = key, keys, upstream, envoy
    yield a
    envoy.stop()
    logs = envoy.logs()
    keys.close()
    upstream.close()
    assert "panicked at" not in logs, logs[-4000:]


def introspect(api, token: str, auth: str | None = basic("rs-1", SECRET), body: str | None = None,
               method: str = "POST"):
    headers = {"content-type": FORM}
    if auth:
        headers["authorization"] = auth
    if body is None:
        body = urlencode({"token": token, "token_type_hint": "access_token"})
    return api.envoy.request("/introspect", method=method, headers=headers,
                             body=None if method == "GET" else body.encode())


def test_a_verified_token_is_active_with_its_smart_launch_context(api):
    before = len(api.upstream.seen) if hasattr(api.upstream, "seen") else None
    r = introspect(api, api.key.sign(launch_claims()))
    assert r.status == 200, r
    assert r.headers.get("cache-control") == "no-store"
    v = r.json()
    assert v["active"] is True
    assert (v["patient"], v["encounter"], v["fhirUser"]) == ("A", "enc-7", "Practitioner/p-1")
    assert (v["sub"], v["client_id"], v["scope"]) == ("dr-who", "growth-chart", SCOPE)
    assert v["iss"] == ISSUER
    assert v["token_type"] == "Bearer"
    # The filter answers introspection itself: the upstream echo would have answered otherwise.
    assert "headers" not in v
    if before is not None:
        assert len(api.upstream.seen) == before


def test_client_secret_post_authenticates_too(api):
    token = api.key.sign(launch_claims())
    body = urlencode({"token": token, "client_id": "rs-1", "client_secret": SECRET})
    r = introspect(api, token, auth=None, body=body)
    assert r.status == 200, r
    assert r.json()["patient"] == "A"


def test_a_token_that_does_not_verify_is_inactive_and_nothing_more(api):
    now = int(time.time())
    for token in [
        api.key.sign(launch_claims(iat=now - 7200, exp=now - 3600)),
        api.key.sign(launch_claims(aud="https://elsewhere.example")),
        SigningKey("k1", "ES256").sign(launch_claims()),
        "an-opaque-token",
    ]:
        r = introspect(api, token)
        assert r.status == 200, r
        assert r.json() == {"active": False}


def test_callers_without_valid_client_credentials_are_refused_without_an_answer(api):
    token = api.key.sign(launch_claims())
    for auth in [None, basic("rs-1", "wrong-secret-wrong-secret"), basic("nobody", SECRET),
                 f"Bearer {token}"]:
        r = introspect(api, token, auth=auth)
        assert r.status == 401, (auth, r)
        assert r.headers.get("www-authenticate") == 'Basic realm="fhir-test", charset="UTF-8"'
        body = r.json()
        assert body["error"] == "invalid_client"
        assert "active" not in body
        assert token not in r.body.decode()
    get = introspect(api, token, method="GET")
    assert get.status == 405, get
    assert get.headers.get("allow") == "POST"
    huge = introspect(api, token, body="token=" + "a" * 40_000)
    assert huge.status == 413, huge
