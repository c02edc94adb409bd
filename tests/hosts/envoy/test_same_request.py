"""The same-request table (tests/hosts/same-request.json) through the filter in a real Envoy
1.40: the status and error code decide() (js/test/) and the edge worker (tests/hosts/worker/)
give for the same cases. Run by `make test-envoy`."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid

from harness import Envoy, KeyServer, SigningKey, Upstream, envoy_config
from test_filter import WASM

TABLE = json.load(open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                    "same-request.json")))
CLIENT = TABLE["policy"]["introspection"]["clients"][0]
BASIC = "Basic " + base64.b64encode(f"{CLIENT['client_id']}:{CLIENT['secret']}".encode()).decode()


def token(spec: dict, keys: dict) -> str:
    now = int(time.time())
    claims = {"iss": "https://as.test", "aud": "https://fhir.test", "sub": "dr-who",
              "client_id": "app", "scope": TABLE["scope"], "patient": "A", "iat": now - 5,
              "exp": now + 600, "jti": str(uuid.uuid4())}
    for name, value in spec.get("claims", {}).items():
        claims[name] = now + value if name == "iat" else value
    if "exp_in" in spec:
        claims["exp"] = now + spec["exp_in"]
    if "cnf_jkt" in spec:
        claims["cnf"] = {"jkt": spec["cnf_jkt"]}
    return keys[spec["key"]].sign(claims)


def seen(case: dict, status: int, body: bytes) -> dict:
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    doc = doc if isinstance(doc, dict) else {}
    got = {"status": status, "error": doc["error"] if isinstance(doc.get("error"), str) else None}
    errors = doc.get("errors")
    got["codes"] = [e.get("code") for e in errors] if isinstance(errors, list) else []
    if "active" in case["expect"]:
        got["active"] = doc.get("active")
    return got


def test_every_case_of_the_same_request_table_as_the_other_hosts_answer_it():
    keys = {"k1": SigningKey("k1", "ES256"), "k2": SigningKey("k2", "ES256"),
            "stranger": SigningKey("k1", "ES256"), "k9": SigningKey("k9", "ES256")}
    server = KeyServer([keys["k1"]])
    upstream = Upstream()
    doc = json.loads(json.dumps(TABLE["policy"]).replace("$JWKS", server.url))
    doc["envoy"] = {"clusters": {server.url: "azlens_keys"}}
    envoy = Envoy(envoy_config(WASM, doc, upstream.port, server.port))
    try:
        for case in TABLE["cases"]:
            if "serve" in case:
                server.keys = [keys[k] for k in case["serve"]]
            t = token(case["token"], keys) if "token" in case else ""
            fill = lambda s: s.replace("$TOKEN", t).replace("$BASIC", BASIC)  # noqa: E731
            req = case["request"]
            body = req.get("body")
            r = envoy.request(fill(req["path"]), method=req["method"],
                              headers={k: fill(v) for k, v in req.get("headers", {}).items()},
                              body=None if body is None else fill(body).encode())
            assert seen(case, r.status, r.body) == case["expect"], (case["name"], r)
    finally:
        envoy.stop()
        logs = envoy.logs()
        server.close()
        upstream.close()
    assert "panicked at" not in logs, logs[-4000:]
