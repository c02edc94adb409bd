"""IUA route rules and the audit trail through the Envoy filter: purpose of use, role, consent
bound to the patient reached, break-the-glass, and the IHE BALP AuditEvent of every decision,
written to Envoy's log and POSTed in batch Bundles through a cluster to a real FHIR server
(Medplum's fhir-router, tests/hosts/fhir/server.mjs) as the audit repository — and, with the
repository down, requests still decided and the failed uploads counted."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request

import pytest

from harness import Envoy, KeyServer, SigningKey, Upstream, _cluster, claims, envoy_config, free_port, policy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FHIR = os.path.join(ROOT, "tests", "hosts", "fhir")
WASM = os.environ.get("AZLENS_ENVOY_WASM") or os.path.join(
    ROOT, "target", "wasm32-wasip1", "release", "azlens-envoy.wasm")
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
DOCTOR = "158965000"


def iua(break_glass: bool) -> dict:
    return {"purpose_of_use": [{"system": ACT_REASON, "code": "TREAT"}],
            "subject_role": [{"code": DOCTOR}], "consent": "patient", "break_glass": break_glass}


def audit_policy(key_url: str, **audit) -> dict:
    doc = policy(key_url)
    doc["routes"] = [{"path_prefix": "/fhir", "fhir": True, "iua": iua(True)},
                     {"path_prefix": "/strict", "fhir": True, "iua": iua(False)}]
    doc["forward"]["headers"]["x-break-glass"] = "break_glass"
    doc["audit"] = {"source": "envoy-gateway.test", "cluster": "audit_repo",
                    "cluster_path": "/fhir", "batch": 5, "queue": 8, **audit}
    return doc


def token(key: SigningKey, purpose: str = "TREAT", role: str = DOCTOR, consent: str = "A") -> str:
    return key.sign(claims(scope="user/*.rs", extensions={
        "ihe_iua": {"subject_role": [{"system": "http://snomed.info/sct", "code": role}],
                    "purpose_of_use": [{"system": ACT_REASON, "code": purpose}]},
        "ihe_bppc": {"patient_id": consent}}))


def validate(events: list[dict]) -> list[list[str]]:
    """The R4 validation errors of each event (@medplum/core, tests/hosts/fhir/validate.mjs)."""
    script = ("import { validateFhir } from './validate.mjs';"
              "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
              "console.log(JSON.stringify(JSON.parse(s).map(validateFhir))));")
    out = subprocess.run(["node", "--input-type=module", "-e", script], cwd=FHIR, check=True,
                         input=json.dumps(events), capture_output=True, text=True).stdout
    return json.loads(out)


def logged_events(envoy: Envoy) -> list[dict]:
    out = []
    for line in envoy.logs().splitlines():
        at = line.find("audit_event {")
        if at >= 0:
            out.append(json.loads(line[at + len("audit_event "):]))
    return out


def eventually(check, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = check()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture(scope="module")
def bench():
    if not os.path.isfile(WASM):
        pytest.fail(f"{WASM} is missing: run `make build-envoy` (or set AZLENS_ENVOY_WASM)")
    key = SigningKey("audit-1", "ES256")
    keys = KeyServer([key])
    upstream = Upstream()
    server = subprocess.Popen(["node", "server.mjs"], cwd=FHIR, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    envoys = []
    try:
        line = server.stdout.readline()
        if not line:
            raise RuntimeError(f"the FHIR server did not start:\n{server.stderr.read()}")
        fhir_port = json.loads(line)["port"]

        def start(repo_port: int) -> Envoy:
            config = envoy_config(WASM, audit_policy(keys.url), upstream.port, keys.port)
            config["static_resources"]["clusters"].append(_cluster("audit_repo", repo_port))
            e = Envoy(config)
            envoys.append(e)
            return e

        yield {"key": key, "start": start, "fhir_port": fhir_port}
    finally:
        for e in envoys:
            e.stop()
        server.terminate()
        server.wait(10)
        keys.close()
        upstream.close()


def test_rules_break_the_glass_and_an_audit_event_per_decision(bench):
    e = bench["start"](bench["fhir_port"])
    key = bench["key"]
    ok = e.request("/fhir/Observation?patient=A", token(key), headers={"x-break-glass": "spoofed"})
    assert ok.status == 200, ok
    assert "x-break-glass" not in ok.upstream_headers()
    for t, path, rule in [
        (token(key, purpose="HPAYMT"), "/fhir/Observation?patient=A", "iua.purpose-of-use"),
        (token(key, role="309343006"), "/fhir/Observation?patient=A", "iua.subject-role"),
        (token(key), "/fhir/Observation?patient=B", "iua.consent-patient"),
        (token(key, purpose="ETREAT"), "/strict/Observation?patient=B", "iua.break-glass-not-allowed"),
    ]:
        r = e.request(path, t)
        assert r.status == 403, (path, r)
        assert r.json()["rule"] == rule
    glass = e.request("/fhir/Observation?patient=B", token(key, purpose="ETREAT"))
    assert glass.status == 200, glass
    assert glass.upstream_headers()["x-break-glass"] == "true"

    events = eventually(lambda: (lambda ev: ev if len(ev) >= 6 else None)(logged_events(e)),
                        "six AuditEvents in the log")
    assert len(events) == 6
    assert validate(events) == [[]] * 6
    assert [ev["outcome"] for ev in events] == ["0", "4", "4", "4", "4", "0"]
    assert "break-the-glass" in events[5]["outcomeDesc"]

    def stored():
        with urllib.request.urlopen(f"http://127.0.0.1:{bench['fhir_port']}/fhir/AuditEvent?_count=100") as r:
            entries = json.load(r).get("entry", [])
        return entries if len(entries) >= 6 else None

    entries = eventually(stored, "six AuditEvents in the repository")
    assert sorted(x["resource"]["outcomeDesc"] for x in entries) == sorted(ev["outcomeDesc"] for ev in events)
    assert all(x["resource"]["source"]["observer"]["display"] == "envoy-gateway.test" for x in entries)


def test_a_repository_that_is_down_leaves_requests_decided_and_counts_failures(bench):
    e = bench["start"](free_port())
    key = bench["key"]
    assert e.request("/fhir/Observation?patient=A", token(key)).status == 200
    eventually(lambda: "audit repository unavailable" in e.logs(), "a failed upload logged")
    for _ in range(12):
        assert e.request("/fhir/Observation?patient=B", token(key)).status == 403
    # Refusals are logged at info with the audit counters of their VM.
    lines = [json.loads(l[l.find("decision {") + len("decision "):])
             for l in e.logs().splitlines() if "decision {" in l]
    counted = [l["audit"] for l in lines if "audit" in l]
    assert counted, e.logs()[-2000:]
    assert all(c["sent"] == 0 for c in counted)
    assert max(c["dropped"] for c in counted) + max(c["queued"] for c in counted) > 0
    assert len(logged_events(e)) == 13
