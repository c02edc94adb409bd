//! Policy sections that hosts act on: where the token comes from, how remote key sets are
//! cached, which routes need what, and which verified facts are forwarded upstream. The
//! decisions themselves are made by the core ([`crate::guard`]); hosts only move bytes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How hosts fetch and cache remote key sets. Serialisable so a host can read back the
/// settings with their defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// Which verified facts go upstream, and how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Forward {
    /// Upstream header name → what it carries: a claim name (`sub`, `client_id`, `patient`,
    /// `scope`, or a dotted path like `extensions.ihe_iua.subject_name`), or `atna_user` for
    /// the IUA audit user name `aud<sub@iss>`. Client-sent copies are always removed first.
    pub headers: BTreeMap<String, String>,
    /// Keep the incoming token on the upstream request (default: strip it).
    pub keep_token: bool,
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
