//! Policy sections that hosts act on: where the token comes from, how remote key sets are
//! cached, which routes need what, and which verified facts are forwarded upstream. The
//! decisions themselves are made by the core ([`crate::guard`]); hosts only move bytes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How hosts fetch and cache remote key sets. Serialisable so a host can read back the
/// settings with their defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeyCache {
    /// Freshness when the response has no usable `Cache-Control: max-age` (seconds).
    pub default_max_age: u64,
    /// Lower bound on a server-given max-age (seconds).
    pub min_max_age: u64,
    /// Upper bound on a server-given max-age (seconds).
    pub max_max_age: u64,
    /// An unknown `kid` triggers at most one refetch per this many seconds.
    pub refetch_cooldown: u64,
    /// After a failed refresh, keep serving the last good set this long (seconds).
    pub stale_for: u64,
    /// Give up on one fetch after this long (milliseconds).
    pub fetch_timeout_ms: u64,
    /// A request arriving before the first key set waits at most this long (milliseconds).
    pub max_wait_ms: u64,
    /// Allow `http:` key-set URLs on loopback addresses (tests and local development only).
    pub allow_loopback_http: bool,
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache {
            default_max_age: 600,
            min_max_age: 30,
            max_max_age: 86_400,
            refetch_cooldown: 30,
            stale_for: 3600,
            fetch_timeout_ms: 5000,
            max_wait_ms: 3000,
            allow_loopback_http: false,
        }
    }
}

/// Where a host looks for the token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenSources {
    /// Headers to read, in order, each with the scheme word before the token
    /// (`authorization` with `Bearer` by default; the scheme is matched case-insensitively).
    pub from_headers: Vec<HeaderSource>,
    /// Cookies holding a bare token.
    pub from_cookies: Vec<String>,
    /// Accept `?access_token=` (RFC 6750 §2.3 discourages it; off by default).
    pub allow_query: bool,
    /// Accept the legacy IHE IUA `IHE-JWT` Authorization scheme (reported as deprecated).
    pub allow_ihe_jwt: bool,
    /// The `realm` of the `WWW-Authenticate` challenge.
    pub realm: String,
    /// DPoP (RFC 9449): `off`, `allowed` (checked when presented or bound) or `required`.
    pub dpop: crate::dpop::Mode,
    /// Seconds after its `iat` a DPoP proof is accepted (plus `leeway`).
    pub dpop_max_age: u64,
    /// Algorithms DPoP proofs may be signed with (asymmetric only).
    pub dpop_algorithms: Vec<crate::Algorithm>,
    /// Proofs remembered against replay, per replay memory.
    pub dpop_replay_entries: usize,
    /// With a secret, proofs must carry a server nonce (RFC 9449 §9) derived from it.
    pub dpop_nonce_secret: Option<String>,
    /// The external `scheme://host[:port]` clients call (for the proof's `htu`), when the host
    /// cannot tell it (a TLS-terminating proxy in front).
    pub public_origin: Option<String>,
}

impl Default for TokenSources {
    fn default() -> Self {
        TokenSources {
            from_headers: vec![HeaderSource {
                name: "authorization".into(),
                scheme: Some("Bearer".into()),
            }],
            from_cookies: Vec::new(),
            allow_query: false,
            allow_ihe_jwt: true,
            realm: "azlens".into(),
            dpop: crate::dpop::Mode::default(),
            dpop_max_age: crate::dpop::DEFAULT_MAX_AGE,
            dpop_algorithms: crate::dpop::default_algorithms(),
            dpop_replay_entries: crate::dpop::DEFAULT_REPLAY_ENTRIES,
            dpop_nonce_secret: None,
            public_origin: None,
        }
    }
}

/// One header a token may arrive in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderSource {
    pub name: String,
    /// The scheme word before the token; none for a header holding the bare token.
    #[serde(default)]
    pub scheme: Option<String>,
}

/// What a request path needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The route applies to paths starting with this prefix (the longest match wins).
    pub path_prefix: String,
    /// HTTP methods it applies to; all when absent.
    #[serde(default)]
    pub methods: Option<Vec<String>>,
    /// No token needed.
    #[serde(default)]
    pub open: bool,
    /// Only tokens from these issuers (default: any trusted issuer).
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Scopes of which the token must hold at least one (plain string match).
    #[serde(default)]
    pub any_scope: Vec<String>,
    /// Treat the path below the prefix as a FHIR REST API and require a SMART scope that grants
    /// the interaction, resource type and patient compartment.
    #[serde(default)]
    pub fhir: bool,
    /// FHIR operations this route lets through (default: none), each granted like the
    /// interaction it names.
    #[serde(default)]
    pub operations: Vec<FhirOperation>,
    /// What an IHE IUA token must say on this route (purpose of use, role, organisation,
    /// consent for the patient reached, break-the-glass): [`crate::guard::iua_rules`].
    #[serde(default)]
    pub iua: Option<crate::guard::iua_rules::RouteIua>,
}

/// An operation a FHIR route allows (`$everything` on `Patient/[id]`, say), and the grant it
/// needs: `interaction` on `grant_type` (a resource type or `*`), confined to the patient when
/// it runs on a `Patient` instance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FhirOperation {
    /// With the `$`: `"$everything"`.
    pub name: String,
    /// The type it runs on; absent for a system-level operation.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// Runs on an instance (`Patient/[id]/$everything`) rather than the type.
    #[serde(default)]
    pub instance: bool,
    /// The SMART permission it needs.
    pub interaction: crate::profiles::smart::Interaction,
    /// The resource type whose scope grants it (`*` for any).
    pub grant_type: String,
    /// Parameters the operation may carry (others leave it confined to no patient).
    #[serde(default)]
    pub params: Vec<String>,
}

/// How the guard reads a request before deciding on it: bounds, and what it does with headers
/// that would make the upstream read the request another way.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestRules {
    /// Longest request target (path and query), in bytes.
    pub max_target_bytes: usize,
    /// Most query parameters.
    pub max_query_params: usize,
    /// Largest body the guard reads (a form-encoded `_search`, a batch or transaction Bundle).
    pub max_body_bytes: usize,
    /// Most entries in a batch or transaction Bundle.
    pub max_bundle_entries: usize,
    /// Method-override and URL-override headers (`X-HTTP-Method-Override`, `X-Original-URL`…).
    pub override_headers: HeaderRule,
    /// `Prefer: handling=lenient` on FHIR routes (the server would ignore unknown parameters).
    pub lenient_handling: HeaderRule,
}

impl Default for RequestRules {
    fn default() -> Self {
        RequestRules {
            max_target_bytes: crate::guard::canonical::DEFAULT_MAX_TARGET_BYTES,
            max_query_params: crate::guard::canonical::DEFAULT_MAX_QUERY_PARAMS,
            max_body_bytes: 256 * 1024,
            max_bundle_entries: 100,
            override_headers: HeaderRule::Refuse,
            lenient_handling: HeaderRule::Refuse,
        }
    }
}

/// What to do with a header that would change how the upstream reads the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderRule {
    /// Answer 400 `invalid_request`.
    Refuse,
    /// Decide without it and remove it from the upstream request.
    Remove,
}

/// Which verified facts go upstream, and how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Forward {
    /// Upstream header name → what it carries: a claim name (`sub`, `client_id`, `patient`,
    /// `scope`, or a dotted path like `extensions.ihe_iua.subject_name`), or `atna_user` for
    /// the IUA audit user name `aud<sub@iss>`, or `act_chain` for the RFC 8693 actors (current
    /// first). Client-sent copies are always removed first.
    pub headers: BTreeMap<String, String>,
    /// Keep the incoming token on the upstream request (default: strip it).
    pub keep_token: bool,
}

impl Forward {
    /// Every forwarded header name must be an HTTP token and not one a host may not set: a
    /// pseudo-header, a framing header, or the headers the token itself arrives in.
    pub fn validate(&self) -> Result<(), String> {
        const RESERVED: [&str; 8] = [
            "host",
            "content-length",
            "transfer-encoding",
            "connection",
            "te",
            "upgrade",
            "authorization",
            "cookie",
        ];
        for name in self.headers.keys() {
            let lower = name.to_ascii_lowercase();
            let token = !lower.is_empty()
                && lower
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token || RESERVED.contains(&lower.as_str()) {
                return Err(format!(
                    "\"forward.headers\" names \"{name}\", which hosts may not set (a header name is a token, \
                     and not a pseudo-header, a framing header, Authorization or Cookie)"
                ));
            }
        }
        Ok(())
    }
}

/// Envoy-only settings: Envoy fetches through named clusters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnvoySettings {
    /// Key-set URL (a `jwks_uri` or allow-listed `jku`) → the Envoy cluster that reaches it.
    pub clusters: BTreeMap<String, String>,
    /// Refresh key sets at least this often (seconds); default: the key cache's max-age logic.
    pub refresh_interval: Option<u64>,
}

/// The RFC 7662 introspection endpoint a host serves for the JWTs it can verify itself.
///
/// Secrets: each client has either `secret` or `secret_sha256` (the hex SHA-256 of the secret,
/// so the policy document need not hold the secret). Hosts with a secret store substitute
/// references before the policy reaches the core: the edge worker replaces a value
/// `"env:NAME"` with its binding `NAME`. An `env:` value that arrives here unsubstituted is a
/// policy error, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Introspection {
    /// The exact path the endpoint answers on (e.g. `/introspect`); POST only.
    pub path: String,
    /// The callers (protected resources) allowed to introspect, by client credentials.
    pub clients: Vec<IntrospectionClient>,
}

/// One caller of the introspection endpoint (RFC 7662 §2.1), authenticated by HTTP Basic or
/// `client_secret_post` (RFC 6749 §2.3.1).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionClient {
    pub client_id: String,
    /// The shared secret (at least 16 characters).
    #[serde(default)]
    pub secret: Option<String>,
    /// The SHA-256 of the shared secret, as 64 hex digits.
    #[serde(default)]
    pub secret_sha256: Option<String>,
}

/// Secrets never appear in debug output (a policy may be logged while debugging a host).
impl std::fmt::Debug for IntrospectionClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionClient")
            .field("client_id", &self.client_id)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field(
                "secret_sha256",
                &self.secret_sha256.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The shortest `secret` a policy may hold.
pub const MIN_SECRET_CHARS: usize = 16;

impl Introspection {
    /// Checks serde cannot express; the message names the field to fix.
    pub fn validate(&self) -> Result<(), String> {
        if !self.path.starts_with('/') || self.path.contains('?') {
            return Err(format!(
                "\"introspection.path\" is \"{}\"; it must be a path starting with \"/\", without a query",
                self.path
            ));
        }
        if self.clients.is_empty() {
            return Err(
                "\"introspection.clients\" is empty: name the clients allowed to introspect".into(),
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        for c in &self.clients {
            let who = format!("introspection client \"{}\"", c.client_id);
            if c.client_id.is_empty() {
                return Err("an introspection client has an empty \"client_id\"".into());
            }
            if seen.contains(&c.client_id.as_str()) {
                return Err(format!("{who} is listed twice"));
            }
            seen.push(&c.client_id);
            match (&c.secret, &c.secret_sha256) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(format!(
                        "{who} needs exactly one of \"secret\" and \"secret_sha256\""
                    ))
                }
                (Some(s), None) | (None, Some(s)) if s.starts_with("env:") => {
                    return Err(format!(
                        "{who} refers to \"{s}\", which the host did not replace: give the host a secret or variable of that name (the edge worker reads its env bindings)"
                    ))
                }
                (Some(s), None) if s.chars().count() < MIN_SECRET_CHARS => {
                    return Err(format!(
                        "{who} has a secret shorter than {MIN_SECRET_CHARS} characters; use a long random secret"
                    ))
                }
                (None, Some(h)) if sha256_hex(h).is_none() => {
                    return Err(format!(
                        "{who} has a \"secret_sha256\" that is not 64 hex digits"
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl IntrospectionClient {
    /// The SHA-256 of the expected secret (`None` only for a client that failed validation).
    pub fn secret_digest(&self) -> Option<[u8; 32]> {
        use sha2::Digest;
        match (&self.secret, &self.secret_sha256) {
            (Some(s), _) => Some(sha2::Sha256::digest(s.as_bytes()).into()),
            (None, Some(h)) => sha256_hex(h),
            (None, None) => None,
        }
    }
}

/// 64 hex digits (either case) as 32 bytes.
fn sha256_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = u8::try_from(hi << 4 | lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn section(clients: serde_json::Value) -> Result<Introspection, String> {
        let i: Introspection =
            serde_json::from_value(json!({"path": "/introspect", "clients": clients}))
                .map_err(|e| e.to_string())?;
        i.validate().map(|_| i)
    }

    #[test]
    fn introspection_clients_need_one_usable_secret() {
        let digest = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
        let ok = section(json!([{"client_id": "rs", "secret_sha256": digest},
                                {"client_id": "rs2", "secret": "0123456789abcdef"}]))
        .unwrap();
        assert_eq!(ok.clients[0].secret_digest().unwrap()[0], 0x9f);
        let cases = [
            (json!([]), "is empty"),
            (json!([{"client_id": "a"}]), "exactly one"),
            (
                json!([{"client_id": "a", "secret": "0123456789abcdef", "secret_sha256": digest}]),
                "exactly one",
            ),
            (json!([{"client_id": "a", "secret": "short"}]), "shorter"),
            (
                json!([{"client_id": "a", "secret": "env:RS_SECRET"}]),
                "did not replace",
            ),
            (
                json!([{"client_id": "a", "secret_sha256": "abc"}]),
                "64 hex",
            ),
            (
                json!([{"client_id": "a", "secret_sha256": &digest.replace('F', "G")}]),
                "64 hex",
            ),
            (
                json!([{"client_id": "", "secret": "0123456789abcdef"}]),
                "empty",
            ),
            (
                json!([{"client_id": "a", "secret": "0123456789abcdef"},
                       {"client_id": "a", "secret": "0123456789abcdef"}]),
                "twice",
            ),
            (
                json!([{"client_id": "a", "secret": "0123456789abcdef", "x": 1}]),
                "unknown field",
            ),
        ];
        for (clients, want) in cases {
            let err = section(clients.clone()).unwrap_err();
            assert!(err.contains(want), "{clients}: {err}");
        }
        let bad_path: Introspection = serde_json::from_value(
            json!({"path": "introspect", "clients": [{"client_id": "a", "secret": "0123456789abcdef"}]}),
        )
        .unwrap();
        assert!(bad_path.validate().unwrap_err().contains("path"));
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let i = section(json!([{"client_id": "rs", "secret": "s3cret-s3cret-s3cret"}])).unwrap();
        let shown = format!("{i:?}");
        assert!(shown.contains("rs") && !shown.contains("s3cret"), "{shown}");
    }
}
