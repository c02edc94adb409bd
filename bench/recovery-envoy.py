"""Recovery times of the Envoy filter's key cache (issue 19), for `make bench-recovery`.

The scenarios of bench/recovery-node.mjs, in a real Envoy (two workers, the azlens filter) with
the harness of tests/hosts/envoy: a real key server on 127.0.0.1 (its cluster), a client sending
a token signed with the new key every 50 ms on a fresh connection, and the time from the event
to the first 200. A fresh Envoy and key server per run. Writes a JSON result file.

    python bench/recovery-envoy.py RESULT.json WASM
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "hosts", "envoy"))

from harness import (  # noqa: E402
    AUDIENCE, ISSUER, Envoy, KeyServer, SigningKey, Upstream, claims, envoy_config)

RUNS = int(os.environ.get("BENCH_RECOVERY_RUNS", "7"))
STEP = 0.05
OUTAGE = 2.0


def policy(url: str) -> dict:
    # The defaults of the key cache, as the JS shim's run uses them; loopback HTTP allowed.
    return {
        "algorithms": ["ES256"],
        "issuers": [{"issuer": ISSUER, "audience": AUDIENCE, "jwks_uri": url}],
        "key_cache": {"allow_loopback_http": True},
        "envoy": {"clusters": {url: "azlens_keys"}},
    }


def until_accepted(envoy: Envoy, token: str) -> tuple[float, int]:
    started = time.monotonic()
    refused = 0
    while True:
        if envoy.request("/api", token).status == 200:
            return (time.monotonic() - started) * 1000, refused
        refused += 1
        if time.monotonic() - started > 60:
            raise RuntimeError("no recovery within 60 s")
        time.sleep(STEP)


def run(scenario: str, wasm: str, upstream: Upstream) -> tuple[float, int]:
    a, b = SigningKey("A", "ES256"), SigningKey("B", "ES256")
    ks = KeyServer([a])
    envoy = Envoy(envoy_config(wasm, policy(ks.url), upstream.port, ks.port))
    try:
        deadline = time.monotonic() + 10
        while envoy.request("/api", a.sign(claims())).status != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("key A never accepted:\n" + envoy.logs()[-2000:])
            time.sleep(STEP)
        token_b = b.sign(claims())
        if scenario == "new key":
            ks.keys = [a, b]
        else:
            ks.status = 503
            ks.keys = [a, b]
            end = time.monotonic() + OUTAGE
            while time.monotonic() < end:
                envoy.request("/api", token_b)
                time.sleep(STEP)
            ks.status = 200
        return until_accepted(envoy, token_b)
    finally:
        envoy.stop()
        ks.close()


def main() -> None:
    out, wasm = sys.argv[1], sys.argv[2]
    upstream = Upstream()
    load_start = os.getloadavg()[0]
    rows = []
    try:
        for scenario in ("new key", "outage"):
            ms, refused = [], []
            for _ in range(RUNS):
                t, n = run(scenario, wasm, upstream)
                ms.append(t)
                refused.append(n)
            row = {"scenario": scenario,
                   "ms": {"median": statistics.median(ms), "min": min(ms), "max": max(ms), "n": len(ms)},
                   "refused": {"median": statistics.median(refused)}}
            print(scenario, json.dumps(row["ms"]))
            rows.append(row)
    finally:
        upstream.close()
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"bench": "recovery-envoy", "host": "Envoy (azlens filter, 2 workers)",
                   "load": {"start": load_start, "end": os.getloadavg()[0]}, "rows": rows}, f, indent=2)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
