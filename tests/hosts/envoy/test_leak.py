"""The leak test through the Envoy filter: a real Envoy 1.40 running the azlens filter in front of
a real FHIR engine (Medplum's fhir-router, tests/hosts/fhir/server.mjs, a node subprocess) that
holds patients A and B. Patient A's app sends the crafted requests of
tests/hosts/fhir/leak-suite.mjs (run by tests/hosts/fhir/leak-run.mjs, raw HTTP over sockets);
no response may carry B's data, and A's legitimate requests must still get A's data.
Needs `npm ci` in tests/hosts/fhir (mk/40-envoy.mk does it)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile

import pytest

from harness import Envoy, KeyServer, SigningKey, claims, envoy_config, policy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FHIR = os.path.join(ROOT, "tests", "hosts", "fhir")
WASM = os.environ.get("AZLENS_ENVOY_WASM") or os.path.join(
    ROOT, "target", "wasm32-wasip1", "release", "azlens-envoy.wasm")

SUITE = json.loads(subprocess.run(["node", "leak-run.mjs", "--scopes"], cwd=FHIR, check=True,
                                  capture_output=True, text=True).stdout)


@pytest.fixture(scope="module")
def leak_run():
    if not os.path.isfile(WASM):
        pytest.fail(f"{WASM} is missing: run `make build-envoy` (or set AZLENS_ENVOY_WASM)")
    if not os.path.isdir(os.path.join(FHIR, "node_modules", "@medplum", "fhir-router")):
        pytest.fail(f"run `npm ci --ignore-scripts` in {FHIR} (make test-envoy does)")
    key = SigningKey("leak-1", "ES256")
    keys = KeyServer([key])
    server = subprocess.Popen(["node", "server.mjs"], cwd=FHIR, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    envoy = None
    tmp = tempfile.mkdtemp(prefix="azlens-leak-")
    try:
        line = server.stdout.readline()
        if not line:
            raise RuntimeError(f"the FHIR server did not start:\n{server.stderr.read()}")
        fhir_port = json.loads(line)["port"]
        doc = policy(keys.url)
        doc["routes"] = [
            {"path_prefix": "/fhir", "fhir": True},
            {"path_prefix": "/health", "open": True},
            {"path_prefix": "/.well-known", "open": True},
        ]
        envoy = Envoy(envoy_config(WASM, doc, fhir_port, keys.port))
        tokens = {name: key.sign(claims(scope=scope, patient=SUITE["patient"]))
                  for name, scope in SUITE["scopes"].items()}
        token_file = os.path.join(tmp, "tokens.json")
        out_file = os.path.join(tmp, "results.json")
        with open(token_file, "w") as f:
            json.dump(tokens, f)
        run = subprocess.run(
            ["node", "leak-run.mjs", "--gateway", f"http://127.0.0.1:{envoy.port}",
             "--upstream", f"http://127.0.0.1:{fhir_port}", "--token-file", token_file,
             "--out", out_file],
            cwd=FHIR, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"leak-run failed:\n{run.stdout}\n{run.stderr}"
        print(f"\nenvoy: {run.stdout.strip().splitlines()[-1]}")
        with open(out_file) as f:
            results = json.load(f)
        if os.environ.get("AZLENS_LEAK_RESULTS"):
            with open(os.environ["AZLENS_LEAK_RESULTS"], "w") as f:
                json.dump(results, f, indent=1)
        yield results
    finally:
        if envoy is not None:
            envoy.stop()
        os.killpg(server.pid, 15)
        server.wait(10)
        keys.close()
        for name in os.listdir(tmp):
            os.remove(os.path.join(tmp, name))
        os.rmdir(tmp)


def describe(r: dict) -> str:
    return f"{r['name']} -> {r['status']}{' (' + r['error'] + ')' if r.get('error') else ''}: {'; '.join(r['leaks'])}"


@pytest.mark.parametrize("cls", SUITE["classes"])
def test_no_response_carries_patient_b_data(leak_run, cls):
    mine = [r for r in leak_run["results"] if r["cls"] == cls]
    assert mine, f"the suite has requests of class {cls}"
    leaked = [describe(r) for r in mine if r["leaks"]]
    assert leaked == [], f"{len(leaked)} of {len(mine)} {cls} requests leaked"


def test_patient_a_still_gets_a_data(leak_run):
    legit = [r for r in leak_run["results"] if r["cls"] == "legitimate" and not r.get("optional")]
    assert len(legit) >= 20
    failed = [f"{r['name']} -> {r['status']}, missing {r.get('missing')}, leaked {r['leaks']}"
              for r in legit if not r.get("legitOk")]
    assert failed == []


def test_the_suite_is_big_enough(leak_run):
    assert sum(1 for r in leak_run["results"] if r["cls"] != "legitimate") >= 200
