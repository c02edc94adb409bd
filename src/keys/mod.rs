//! Trusted keys: every format the healthcare specs hand out (JWK, JWK Set, PEM SPKI, PEM PKCS#1,
//! X.509 certificates in PEM or DER, OpenSSH lines) read into one [`KeySet`], and the rules for
//! choosing a key for a token (`kid`, key type, the JWK's `alg`, `use` and `key_ops`).
//!
//! Keys come from the caller, never from the token being verified.

pub(crate) mod jwk;
mod openssh;
pub(crate) mod pem;
pub(crate) mod spki;

pub use crate::alg::{KeyMaterial, MIN_RSA_BITS};

use crate::alg::{Algorithm, Family};
use crate::error::{ErrorCode, Problem};
use crate::json;
use crate::limits::Limits;
use serde_json::Value;

/// Where a key came from, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    Jwk,
    Spki,
    Pkcs1,
    Certificate,
    OpenSsh,
}

/// One trusted key with the restrictions its publisher put on it.
#[derive(Debug, Clone)]
pub struct Key {
    pub material: KeyMaterial,
    pub kid: Option<String>,
    /// The JWK `alg`, kept as written: a key restricted to an algorithm azlens does not know
    /// serves no token.
    pub alg: Option<String>,
    pub use_: Option<String>,
    pub key_ops: Option<Vec<String>>,
    pub origin: KeyOrigin,
}

impl Key {
    /// A key with no metadata (PEM, certificate, OpenSSH).
    pub fn bare(material: KeyMaterial, origin: KeyOrigin) -> Key {
        Key {
            material,
            kid: None,
            alg: None,
            use_: None,
            key_ops: None,
            origin,
        }
    }

    /// Give a metadata-less key the `kid` it is known by.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Key {
        self.kid = Some(kid.into());
        self
    }

    /// Can this key's type serve `alg` at all?
    pub fn fits(&self, alg: Algorithm) -> bool {
        matches!(
            (alg.family(), &self.material, alg),
            (Family::RsaPkcs1 | Family::RsaPss, KeyMaterial::Rsa(_), _)
                | (Family::RsaPss, KeyMaterial::RsaPss(_), _)
                | (Family::EdDsa, KeyMaterial::Ed25519(_), _)
                | (Family::Hmac, KeyMaterial::Oct(_), _)
                | (_, KeyMaterial::P256(_), Algorithm::ES256)
                | (_, KeyMaterial::P384(_), Algorithm::ES384)
                | (_, KeyMaterial::P521(_), Algorithm::ES512)
        )
    }

    /// Does the key's own metadata allow verifying `alg`? `Err` says why not.
    pub fn permits(&self, alg: Algorithm) -> Result<(), String> {
        if let Some(a) = &self.alg {
            if a != alg.name() {
                return Err(format!("is restricted to \"alg\": \"{a}\", not {alg}"));
            }
        }
        if let Some(u) = &self.use_ {
            if u != "sig" {
                return Err(format!("is published for \"use\": \"{u}\", not signatures"));
            }
        }
        if let Some(ops) = &self.key_ops {
            if !ops.iter().any(|o| o == "verify") {
                return Err("has \"key_ops\" without \"verify\"".into());
            }
        }
        Ok(())
    }

    fn label(&self) -> String {
        match &self.kid {
            Some(kid) => format!("key \"{kid}\""),
            None => "the key".to_owned(),
        }
    }
}

/// A key that could not be read, kept so a token naming it gets a precise answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    pub kid: Option<String>,
    pub reason: String,
}

/// A key source the host could not fetch (an unreachable `jwks_uri`, an error status, a body
/// over the limit): kept so a token that finds no key is told why there were none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnavailableSource {
    pub url: String,
    pub reason: String,
}

/// The keys trusted for one verification.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<Key>,
    skipped: Vec<SkippedKey>,
    unavailable: Vec<UnavailableSource>,
    /// Certificate revocation lists fetched like key sets (the key plan's `crl` sources), for
    /// `x5c` chains: used beside the policy's `crls`.
    crls: Vec<crate::trust::Crl>,
}

/// A CRL from a key-set document, within `limits.max_crl_bytes`.
fn crl(der: &[u8], limits: &Limits) -> Result<crate::trust::Crl, Problem> {
    if der.len() > limits.max_crl_bytes {
        return Err(invalid(format!(
            "A CRL is {} bytes, over limits.max_crl_bytes ({}).",
            der.len(),
            limits.max_crl_bytes
        )));
    }
    crate::trust::Crl::parse(der, limits.max_crl_bytes / 16)
        .map_err(|e| invalid(format!("A CRL cannot be read: {e}.")))
}

impl KeySet {
    pub fn new() -> KeySet {
        KeySet::default()
    }

    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Keys a key-set document held but azlens could not use (RFC 7517 §5: a set member with an
    /// unknown or unusable key type is ignored, not fatal).
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The CRLs this set carries (a fetched `X509 CRL`, PEM or DER).
    pub fn crls(&self) -> &[crate::trust::Crl] {
        &self.crls
    }

    /// An empty set standing for the key source at `url` that the host could not fetch
    /// (`reason`: what went wrong, in words). A token that then finds no key gets
    /// `key_set_unavailable`, not `key_not_found`.
    pub fn unavailable(url: &str, reason: &str) -> KeySet {
        KeySet {
            unavailable: vec![UnavailableSource {
                url: crate::limits::clip(url, crate::limits::MAX_ECHO_BYTES).into_owned(),
                reason: crate::limits::clip(reason, crate::limits::MAX_ECHO_BYTES).into_owned(),
            }],
            ..KeySet::default()
        }
    }

    /// The key sources the host could not fetch.
    pub fn unavailable_sources(&self) -> &[UnavailableSource] {
        &self.unavailable
    }

    pub fn push(&mut self, key: Key) {
        self.keys.push(key);
    }

    /// Add every key of `other`.
    pub fn extend(&mut self, other: KeySet) {
        self.keys.extend(other.keys);
        self.skipped.extend(other.skipped);
        self.crls.extend(other.crls);
        self.unavailable.extend(other.unavailable);
    }

    /// Read keys from bytes in any supported format: a JWK Set, a single JWK, a JSON array of
    /// JWKs, PEM blocks and OpenSSH lines (mixed freely), a bare base64 DER body, or binary DER
    /// (a `.cer` file, an SPKI or PKCS#1 structure).
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<KeySet, Problem> {
        if bytes.len() > limits.max_key_set_bytes {
            return Err(invalid(format!(
                "The key set is {} bytes; the limit is {} bytes.",
                bytes.len(),
                limits.max_key_set_bytes
            )));
        }
        let set = match std::str::from_utf8(bytes) {
            Ok(text) => KeySet::parse_text(text, limits)?,
            Err(_) => KeySet::parse_der(bytes, limits)?,
        };
        // The same refusal as a JSON set over the limit: silently dropping keys would turn a
        // token signed by a dropped one into a puzzling `key_not_found`.
        if set.keys.len() > limits.max_keys {
            return Err(invalid(format!(
                "The key set has {} keys; the limit is {}.",
                set.keys.len(),
                limits.max_keys
            )));
        }
        Ok(set)
    }

    /// Read keys from a JSON value: a JWK Set, a JWK, or an array of JWKs.
    pub fn from_json(value: &Value, limits: &Limits) -> Result<KeySet, Problem> {
        let members: Vec<&Value> = match value {
            Value::Object(m) => match m.get("keys") {
                Some(Value::Array(keys)) => keys.iter().collect(),
                Some(_) => return Err(invalid("The JWK Set's \"keys\" must be an array.")),
                None => vec![value],
            },
            Value::Array(keys) => keys.iter().collect(),
            _ => {
                return Err(invalid(
                    "A key set in JSON is a JWK Set, a JWK or an array of JWKs.",
                ))
            }
        };
        if members.len() > limits.max_keys {
            return Err(invalid(format!(
                "The key set has {} keys; the limit is {}.",
                members.len(),
                limits.max_keys
            )));
        }
        let single =
            !matches!(value, Value::Object(m) if m.contains_key("keys")) && members.len() == 1;
        let mut set = KeySet::new();
        // (kid, kty, the key's own members) of each key read, to find ambiguous kids.
        let mut named: Vec<(String, &'static str, String)> = Vec::new();
        for member in members {
            let Value::Object(obj) = member else {
                set.skipped.push(SkippedKey {
                    kid: None,
                    reason: "a member of the key set is not a JSON object".into(),
                });
                continue;
            };
            match jwk::from_jwk(obj) {
                Ok(key) => {
                    if let Some(kid) = &key.kid {
                        named.push((kid.clone(), key.material.kty(), thumbprint_input(obj)));
                    }
                    set.keys.push(key)
                }
                // A lone JWK that fails is an error; inside a set it is skipped.
                Err(reason) if single => {
                    return Err(invalid(format!("The JWK is unusable: {reason}.")))
                }
                Err(reason) => set.skipped.push(SkippedKey {
                    kid: obj.get("kid").and_then(Value::as_str).map(str::to_owned),
                    reason,
                }),
            }
        }
        set.drop_ambiguous(&named);
        Ok(set)
    }

    /// A `kid` that names two different keys of one type cannot say which key signed: none of
    /// them serves (SMART App Launch: `kid` and `kty` must match exactly one key). The same
    /// key listed twice is no ambiguity and stays. `named` lists the keys read from a JSON set.
    fn drop_ambiguous(&mut self, named: &[(String, &'static str, String)]) {
        let mut by_name: std::collections::HashMap<(&str, &str), (&str, bool)> =
            std::collections::HashMap::with_capacity(named.len());
        for (kid, kty, members) in named {
            let entry = by_name
                .entry((kid.as_str(), kty))
                .or_insert((members.as_str(), false));
            if entry.0 != members.as_str() {
                entry.1 = true;
            }
        }
        let ambiguous: Vec<(&str, &str)> = by_name
            .into_iter()
            .filter(|(_, (_, differ))| *differ)
            .map(|(name, _)| name)
            .collect();
        if ambiguous.is_empty() {
            return;
        }
        self.keys.retain(|k| {
            !ambiguous
                .iter()
                .any(|(kid, kty)| k.kid.as_deref() == Some(*kid) && k.material.kty() == *kty)
        });
        for (kid, kty) in ambiguous {
            self.skipped.push(SkippedKey {
                kid: Some(kid.to_owned()),
                reason: format!(
                    "the key set lists more than one {kty} key under this kid, so which one \
                     signs is ambiguous (kid and kty must name exactly one key)"
                ),
            });
        }
    }

    fn parse_text(text: &str, limits: &Limits) -> Result<KeySet, Problem> {
        let trimmed = text.trim();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let value = json::parse_value(trimmed.as_bytes(), limits.max_json_depth)
                .map_err(|e| invalid(format!("The key set {e}.")))?;
            return KeySet::from_json(&value, limits);
        }
        let mut set = KeySet::new();
        if trimmed.contains("-----BEGIN ") {
            for block in pem::blocks(trimmed).map_err(|e| invalid(sentence(&e)))? {
                if block.label == "X509 CRL" {
                    set.crls.push(crl(&block.der, limits)?);
                    continue;
                }
                set.keys
                    .push(pem::key_from_block(&block).map_err(|e| invalid(sentence(&e)))?);
            }
        }
        for line in trimmed.lines().map(str::trim) {
            if openssh::TYPES
                .iter()
                .any(|t| line.starts_with(&format!("{t} ")))
            {
                set.keys
                    .push(openssh::from_line(line).map_err(|e| invalid(sentence(&e)))?);
            }
        }
        if set.keys.is_empty() && set.crls.is_empty() {
            // A certificate or SPKI as bare base64 (as in a JWK's x5c, or a .cer saved as text).
            use base64::Engine;
            let compact: String = trimmed.split_whitespace().collect();
            if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                if der.first() == Some(&0x30) {
                    return KeySet::parse_der(&der, limits);
                }
            }
            return Err(invalid(
                "No key found: expected a JWK Set, a JWK, PEM (PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE), an OpenSSH public-key line, or DER.",
            ));
        }
        Ok(set)
    }

    fn parse_der(der: &[u8], limits: &Limits) -> Result<KeySet, Problem> {
        let attempts = [
            (spki::from_certificate(der), KeyOrigin::Certificate),
            (spki::from_spki(der), KeyOrigin::Spki),
            (spki::from_pkcs1(der), KeyOrigin::Pkcs1),
        ];
        let mut first_error = None;
        for (result, origin) in attempts {
            match result {
                Ok(material) => {
                    let mut set = KeySet::new();
                    set.keys.push(Key::bare(material, origin));
                    return Ok(set);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        // A CRL fetched for an x5c chain (application/pkix-crl is DER).
        if let Ok(list) = crate::trust::Crl::parse(der, limits.max_crl_bytes / 16) {
            let mut set = KeySet::new();
            set.crls.push(list);
            return Ok(set);
        }
        Err(invalid(format!(
            "The binary data is not a DER certificate, SubjectPublicKeyInfo, RSAPublicKey or CRL ({}).",
            first_error.unwrap_or_default()
        )))
    }

    /// The keys that may verify a token with this `alg` and `kid`, best first. A key without
    /// a `kid` (PEM, certificate, SSH) stands for any `kid` when no key claims it by name.
    pub fn select(&self, alg: Algorithm, kid: Option<&str>) -> Result<Vec<&Key>, Problem> {
        KeySet::select_from(&[self], alg, kid)
    }

    /// [`KeySet::select`] over several sets at once, in order, without copying keys.
    pub fn select_from<'a>(
        sets: &[&'a KeySet],
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<Vec<&'a Key>, Problem> {
        let all = || sets.iter().flat_map(|s| s.keys.iter());
        let named: Vec<&Key> = match kid {
            Some(kid) => all().filter(|k| k.kid.as_deref() == Some(kid)).collect(),
            None => all().collect(),
        };
        if let (true, Some(kid)) = (named.is_empty(), kid) {
            // A key set member that claims the kid but could not be read (or is ambiguous)
            // answers for it: keys without a kid do not stand in for it.
            let skipped = sets.iter().flat_map(|s| s.skipped.iter());
            if let Some(s) = skipped.clone().find(|s| s.kid.as_deref() == Some(kid)) {
                return Err(Problem::at(
                    ErrorCode::KeyInvalid,
                    "header.kid",
                    format!("The trusted key \"{kid}\" could not be used: {}.", s.reason),
                ));
            }
        }
        let candidates: Vec<&Key> = if named.is_empty() && kid.is_some() {
            all().filter(|k| k.kid.is_none()).collect()
        } else {
            named
        };
        if candidates.is_empty() {
            return Err(not_found(sets, alg, kid));
        }
        let mut refusals = Vec::new();
        let usable: Vec<&Key> = candidates
            .into_iter()
            .filter(|k| {
                if !k.fits(alg) {
                    refusals.push(format!(
                        "{} is {}, which cannot verify {alg}",
                        k.label(),
                        k.material.describe()
                    ));
                    return false;
                }
                match k.permits(alg) {
                    Ok(()) => true,
                    Err(why) => {
                        refusals.push(format!("{} {why}", k.label()));
                        false
                    }
                }
            })
            .collect();
        if usable.is_empty() {
            // A key that the token names by kid but cannot serve is a key problem; otherwise
            // there is simply no key for this algorithm.
            let named_key_exists =
                kid.is_some_and(|kid| all().any(|k| k.kid.as_deref() == Some(kid)));
            let code = if named_key_exists {
                ErrorCode::KeyInvalid
            } else {
                ErrorCode::KeyNotFound
            };
            let claim = if kid.is_some() {
                "header.kid"
            } else {
                "header.alg"
            };
            return Err(Problem::at(
                code,
                claim,
                format!(
                    "No trusted key can verify this {alg} token: {}.",
                    refusals.join("; ")
                ),
            ));
        }
        Ok(usable)
    }
}

fn not_found(sets: &[&KeySet], alg: Algorithm, kid: Option<&str>) -> Problem {
    // A source that could not be fetched is the cause, whatever the other sets held: the key
    // may well be in it.
    let unavailable: Vec<&UnavailableSource> =
        sets.iter().flat_map(|s| s.unavailable.iter()).collect();
    if let Some(first) = unavailable.first() {
        let others = match unavailable.len() {
            1 => String::new(),
            2 => " (and 1 other key set)".to_owned(),
            n => format!(" (and {} other key sets)", n - 1),
        };
        let token = match kid {
            Some(kid) => format!("the key \"{kid}\" could not be looked up"),
            None => format!("no {alg} key could be looked up"),
        };
        let reason = first.reason.trim_end_matches('.');
        // Hosts' reasons often name the URL already ("https://… could not be fetched: …").
        let failed = if reason.contains(first.url.as_str()) {
            format!("The key set is unavailable{others}: {reason}")
        } else {
            format!(
                "The key set at {}{others} could not be fetched: {reason}",
                first.url
            )
        };
        return Problem::at(
            ErrorCode::KeySetUnavailable,
            "header.kid",
            format!(
                "{failed}. So {token}; check that the issuer's key server is reachable from here, or give the keys inline."
            ),
        );
    }
    let total: usize = sets.iter().map(|s| s.keys.len()).sum();
    let known: Vec<String> = sets
        .iter()
        .flat_map(|s| s.keys.iter())
        .filter_map(|k| k.kid.as_ref().map(|kid| format!("\"{kid}\"")))
        .collect();
    let unusable: usize = sets.iter().map(|s| s.skipped.len()).sum();
    let have = if total == 0 && unusable == 0 {
        "no keys were given".to_owned()
    } else if total == 0 {
        match unusable {
            1 => "1 unusable key was given".to_owned(),
            n => format!("{n} unusable keys were given"),
        }
    } else if known.is_empty() {
        format!("the {total} trusted key(s) have no kid")
    } else {
        format!("the trusted kids are {}", known.join(", "))
    };
    match kid {
        Some(kid) => Problem::at(
            ErrorCode::KeyNotFound,
            "header.kid",
            format!(
                "No trusted key has kid \"{kid}\" ({have}); the issuer may have rotated its keys."
            ),
        ),
        None => Problem::at(
            ErrorCode::KeyNotFound,
            "header.kid",
            format!("No trusted key for {alg} ({have})."),
        ),
    }
}

/// The members that make a JWK's key (RFC 7638 §3.2), as written: two JWKs with the same
/// text here hold the same key.
fn thumbprint_input(obj: &serde_json::Map<String, Value>) -> String {
    ["crv", "e", "k", "n", "x", "y"]
        .iter()
        .map(|m| obj.get(*m).and_then(Value::as_str).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(".")
}

fn invalid(message: impl Into<String>) -> Problem {
    Problem::new(ErrorCode::KeyInvalid, message)
}

/// The PEM and OpenSSH readers' messages begin with an ASCII letter: ASCII case mapping is
/// enough, and keeps core's Unicode case tables (about 24 KB) out of the wasm build.
fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_ascii_uppercase(), c.as_str()),
        None => String::new(),
    }
}
