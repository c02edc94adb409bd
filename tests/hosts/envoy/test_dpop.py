"""Sender-constrained tokens in a real Envoy 1.40 (V8, two workers): DPoP proofs (RFC 9449)
checked against the URL Envoy was called at, replays refused across worker VMs through shared
data, and certificate-bound tokens (RFC 8705) on a TLS listener that asks for a client
certificate, with a test CA made here. Run by `make test-envoy`."""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.client
import json
import os
import re
import ssl
import tempfile
import time
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from harness import Envoy, KeyServer, SigningKey, Upstream, b64url, claims, envoy_config, policy, uint
from test_filter import WASM, wait_for

PATH = "/api/records"


class ProofKey:
    """A client's P-256 DPoP key."""

    def __init__(self):
        self.private = ec.generate_private_key(ec.SECP256R1())

    def jwk(self) -> dict:
        pub = self.private.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": b64url(uint(pub.x, 32)), "y": b64url(uint(pub.y, 32))}

    def thumbprint(self) -> str:
        j = self.jwk()
        canonical = json.dumps({k: j[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
        return b64url(hashlib.sha256(canonical.encode()).digest())

    def sign(self, header: dict, payload: dict, signer=None) -> str:
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
        r, s = decode_dss_signature((signer or self.private).sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{b64url(uint(r, 32) + uint(s, 32))}"

    def proof(self, token: str, url: str, method: str = "GET", header: dict | None = None,
              signer=None, **overrides) -> str:
        payload = {"htm": method, "htu": url, "iat": int(time.time()), "jti": str(uuid.uuid4()),
                   "ath": b64url(hashlib.sha256(token.encode()).digest()), **overrides}
        head = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk(), **(header or {})}
        return self.sign(head, payload, signer)


def hmac_proof(token: str, url: str) -> str:
    secret = os.urandom(32)
    head = {"typ": "dpop+jwt", "alg": "HS256", "jwk": {"kty": "oct", "k": b64url(secret)}}
    payload = {"htm": "GET", "htu": url, "iat": int(time.time()), "jti": "h",
               "ath": b64url(hashlib.sha256(token.encode()).digest())}
    signing_input = f"{b64url(json.dumps(head).encode())}.{b64url(json.dumps(payload).encode())}"
    mac = hmac.HMAC(secret, hashes.SHA256())
    mac.update(signing_input.encode())
    return f"{signing_input}.{b64url(mac.finalize())}"


def send(port: int, token: str, proofs: list[str], scheme: str = "DPoP", method: str = "GET",
         path: str = PATH):
    """One request on a fresh connection; `proofs` as separate DPoP header lines."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path)
        conn.putheader("authorization", f"{scheme} {token}")
        for p in proofs:
            conn.putheader("dpop", p)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def refused(result, rule: str, code: str) -> str:
    status, headers, body = result
    assert status == 401, result
    doc = json.loads(body)
    assert doc["rule"] == rule, doc
    assert doc["errors"][0]["code"] == code, doc
    return headers.get("www-authenticate", "")


@pytest.fixture(scope="module")
def dpop_envoy():
    up = Upstream()
    key = SigningKey("es-1", "ES256")
    ks = KeyServer([key])
    e = Envoy(envoy_config(WASM, policy(ks.url), up.port, ks.port))
    wait_for(lambda: ks.count() >= 1, "the first key-set fetch")
    yield key, e
    e.stop()
    assert "panicked at" not in e.logs(), e.logs()[-4000:]
    ks.close()
    up.close()


def test_a_good_proof_passes_once_across_all_workers(dpop_envoy):
    key, e = dpop_envoy
    client = ProofKey()
    token = key.sign(claims(sub="replay-probe", cnf={"jkt": client.thumbprint()}))
    url = f"http://127.0.0.1:{e.port}{PATH}"
    p = client.proof(token, url)
    results = [send(e.port, token, [p]) for _ in range(20)]
    assert results[0][0] == 200, results[0]
    seen = {k for k, _ in json.loads(results[0][2])["headers"]}
    assert "dpop" not in seen and "authorization" not in seen
    # Fresh connections spread over both workers: the proof is a replay in every VM.
    for r in results[1:]:
        challenge = refused(r, "dpop.replay", "dpop_proof_invalid")
        assert challenge.startswith('DPoP realm="fhir-test", error="invalid_dpop_proof"'), challenge
        assert 'algs="' in challenge

    # Envoy's log names the thread of each decision: a replay was refused by another worker's VM
    # than the one that accepted the proof.
    def threads(decision: str) -> set[str]:
        found = set()
        for m in re.finditer(r"\]\[(\d+)\]\[\w+\]\[wasm\].*decision (\{.*\})", e.logs()):
            line = json.loads(m.group(2))
            if line.get("sub") == "replay-probe" and line["decision"] == decision:
                found.add(m.group(1))
        return found

    wait_for(lambda: threads("deny") - threads("allow"), "a replay refused on another worker", 10)


def test_attacks_on_the_proof_are_refused(dpop_envoy):
    key, e = dpop_envoy
    client = ProofKey()
    token = key.sign(claims(cnf={"jkt": client.thumbprint()}))
    url = f"http://127.0.0.1:{e.port}{PATH}"
    now = int(time.time())
    stranger = ec.generate_private_key(ec.SECP256R1())
    private_jwk = {**client.jwk(), "d": b64url(uint(client.private.private_numbers().private_value, 32))}
    cases = [
        (client.proof(token, f"http://127.0.0.1:{e.port}/api/other"), "dpop.htu"),
        (client.proof(token, f"https://127.0.0.1:{e.port}{PATH}"), "dpop.htu"),
        (client.proof(token, url, method="POST"), "dpop.htm"),
        (client.proof(token, url, iat=now - 3600), "dpop.iat-stale"),
        (client.proof(token, url, iat=now + 3600), "dpop.iat-future"),
        (client.proof(token, url, ath=b64url(hashlib.sha256(b"other").digest())), "dpop.ath"),
        (client.proof(token, url, signer=stranger), "dpop.signature"),
        (client.proof(token, url, header={"jwk": private_jwk}), "dpop.jwk-private"),
        (hmac_proof(token, url), "dpop.alg"),
        (client.proof(token, url) + "A" * 9000, "dpop.too-large"),
    ]
    for proof, rule in cases:
        refused(send(e.port, token, [proof]), rule, "dpop_proof_invalid")
    two = [client.proof(token, url), client.proof(token, url)]
    refused(send(e.port, token, two), "dpop.header-count", "dpop_proof_invalid")


def test_tokens_bound_elsewhere_or_sent_as_bearer_are_refused(dpop_envoy):
    key, e = dpop_envoy
    client = ProofKey()
    url = f"http://127.0.0.1:{e.port}{PATH}"
    elsewhere = key.sign(claims(cnf={"jkt": ProofKey().thumbprint()}))
    refused(send(e.port, elsewhere, [client.proof(elsewhere, url)]), "dpop.jkt", "token_binding_mismatch")
    bound = key.sign(claims(cnf={"jkt": client.thumbprint()}))
    challenge = refused(send(e.port, bound, [client.proof(bound, url)], scheme="Bearer"),
                        "dpop.bearer-downgrade", "token_binding_mismatch")
    assert challenge.startswith("DPoP ") and 'error="invalid_token"' in challenge


class ClientCa:
    """A CA, a server certificate for 127.0.0.1 and two client certificates, made for the run."""

    def __init__(self, directory: str):
        self.dir = directory
        now = datetime.datetime.now(datetime.timezone.utc)
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "azlens test CA")])
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(minutes=5))
                     .not_valid_after(now + datetime.timedelta(hours=1))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.ca_path = self._write("ca.pem", self.cert.public_bytes(serialization.Encoding.PEM))
        self.server = self.issue("server", server=True)
        self.client = self.issue("client")
        self.other = self.issue("other")

    def _write(self, name: str, data: bytes) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def issue(self, cn: str, server: bool = False) -> dict:
        now = datetime.datetime.now(datetime.timezone.utc)
        key = ec.generate_private_key(ec.SECP256R1())
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(self.cert.subject).public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5))
             .not_valid_after(now + datetime.timedelta(hours=1)))
        if server:
            import ipaddress
            b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        cert = b.sign(self.key, hashes.SHA256())
        der = cert.public_bytes(serialization.Encoding.DER)
        return {
            "cert": self._write(f"{cn}.crt", cert.public_bytes(serialization.Encoding.PEM)),
            "key": self._write(f"{cn}.key", key.private_bytes(serialization.Encoding.PEM,
                                                             serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption())),
            "x5t": b64url(hashlib.sha256(der).digest()),
        }


def tls_config(config: dict, ca: ClientCa) -> dict:
    """Make the listener TLS, asking for (and verifying) a client certificate."""
    chain = config["static_resources"]["listeners"][0]["filter_chains"][0]
    chain["transport_socket"] = {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
            "require_client_certificate": False,
            "common_tls_context": {
                "tls_certificates": [{"certificate_chain": {"filename": ca.server["cert"]},
                                      "private_key": {"filename": ca.server["key"]}}],
                "validation_context": {"trusted_ca": {"filename": ca.ca_path}},
            },
        },
    }
    return config


def tls_send(port: int, ca: ClientCa, token: str, client: dict | None):
    ctx = ssl.create_default_context(cafile=ca.ca_path)
    if client:
        ctx.load_cert_chain(client["cert"], client["key"])
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    try:
        conn.request("GET", PATH, headers={"authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_certificate_bound_tokens_need_their_client_certificate():
    work = tempfile.mkdtemp(prefix="azlens-mtls-")
    ca = ClientCa(work)
    up = Upstream()
    key = SigningKey("es-1", "ES256")
    ks = KeyServer([key])
    e = Envoy(tls_config(envoy_config(WASM, policy(ks.url), up.port, ks.port), ca))
    try:
        wait_for(lambda: ks.count() >= 1, "the first key-set fetch")
        token = key.sign(claims(cnf={"x5t#S256": ca.client["x5t"]}))
        status, _, body = tls_send(e.port, ca, token, ca.client)
        assert status == 200, body
        challenge = refused(tls_send(e.port, ca, token, ca.other), "mtls.x5t", "token_binding_mismatch")
        assert challenge.startswith('Bearer realm="fhir-test", error="invalid_token"'), challenge
        refused(tls_send(e.port, ca, token, None), "mtls.no-certificate", "token_binding_mismatch")
        # An unbound token still passes over the same listener.
        assert tls_send(e.port, ca, key.sign(claims()), None)[0] == 200
    finally:
        e.stop()
        assert "panicked at" not in e.logs(), e.logs()[-4000:]
        ks.close()
        up.close()


def test_server_nonces_are_asked_for_then_accepted():
    up = Upstream()
    key = SigningKey("es-1", "ES256")
    ks = KeyServer([key])
    doc = policy(ks.url)
    doc["token"]["dpop_nonce_secret"] = b64url(os.urandom(32))
    e = Envoy(envoy_config(WASM, doc, up.port, ks.port))
    try:
        wait_for(lambda: ks.count() >= 1, "the first key-set fetch")
        client = ProofKey()
        token = key.sign(claims(cnf={"jkt": client.thumbprint()}))
        url = f"http://127.0.0.1:{e.port}{PATH}"
        first = send(e.port, token, [client.proof(token, url)])
        assert 'error="use_dpop_nonce"' in refused(first, "dpop.nonce", "dpop_proof_invalid")
        nonce = first[1]["dpop-nonce"]
        # Every worker VM derives the same nonce from the policy's secret.
        for _ in range(4):
            ok = send(e.port, token, [client.proof(token, url, nonce=nonce)])
            assert ok[0] == 200, ok
            assert ok[1].get("dpop-nonce"), ok[1]
    finally:
        e.stop()
        assert "panicked at" not in e.logs(), e.logs()[-4000:]
        ks.close()
        up.close()


def test_public_origin_pins_the_url_proofs_must_name():
    """Behind a TLS-terminating proxy Envoy sees http and its own address; the policy names the
    origin clients really call, and only proofs for it pass."""
    up = Upstream()
    key = SigningKey("es-1", "ES256")
    ks = KeyServer([key])
    doc = policy(ks.url)
    doc["token"]["public_origin"] = "https://api.example"
    e = Envoy(envoy_config(WASM, doc, up.port, ks.port))
    try:
        wait_for(lambda: ks.count() >= 1, "the first key-set fetch")
        client = ProofKey()
        token = key.sign(claims(cnf={"jkt": client.thumbprint()}))
        seen_by_envoy = f"http://127.0.0.1:{e.port}{PATH}"
        refused(send(e.port, token, [client.proof(token, seen_by_envoy)]), "dpop.htu", "dpop_proof_invalid")
        ok = send(e.port, token, [client.proof(token, f"https://api.example{PATH}")])
        assert ok[0] == 200, ok
    finally:
        e.stop()
        assert "panicked at" not in e.logs(), e.logs()[-4000:]
        ks.close()
        up.close()
