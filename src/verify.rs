//! One verification, start to finish: parse → header rules → key source → key selection →
//! signature → claims. Every problem found is reported, not just the first.

use crate::alg::{self, Algorithm, SignatureError};
use crate::claims::{self, ClaimRules};
use crate::error::{ErrorCode, Problem, Warning};
use crate::keys::{Key, KeySet};
use crate::limits;
use crate::policy::{IssuerPolicy, Policy, PolicyError};
use crate::profiles::{self, Profile, ProfileOptions};
use crate::token::{self, header, ParsedToken};
use crate::trust::{self, ChainReport, TrustStore};
use serde::Serialize;
use serde_json::{Map, Value};

/// The outcome of [`Verifier::verify`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verdict {
    pub valid: bool,
    /// The decoded header, when the token could be decoded.
    pub header: Option<Map<String, Value>>,
    /// The decoded claims, when the token could be decoded. Trust them only if `valid`.
    pub payload: Option<Map<String, Value>>,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Warning>,
    /// The key whose signature check passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<UsedKey>,
    /// The healthcare profile whose rules were applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Facts the profile surfaced for hosts: `tenant`, `patient` and the rest of the SMART
    /// launch context, parsed `grants`, `acr`/`amr`, the IUA extensions, `atna_user`…
    /// Trust them only if `valid`.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub context: Map<String, Value>,
    /// The `x5c` certificate chain as checked against the policy's trust anchors: each
    /// certificate's subject, issuer, validity, SANs and status, and where it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<ChainReport>,
}

/// Which trusted key verified the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsedKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    pub kty: &'static str,
    pub alg: Algorithm,
}

impl Verdict {
    /// The verdict of a token refused before it was read: this one problem.
    pub fn rejected(p: Problem) -> Verdict {
        Verdict {
            errors: vec![p],
            ..Verdict::default()
        }
    }

    /// Does the verdict carry this error code?
    pub fn has(&self, code: ErrorCode) -> bool {
        self.errors.iter().any(|e| e.code == code)
    }
}

/// A policy made ready to verify: inline keys parsed once, reused for every token.
#[derive(Debug, Clone)]
pub struct Verifier {
    policy: Policy,
    shared_keys: KeySet,
    issuer_keys: Vec<KeySet>,
    shared_trust: TrustStore,
    issuer_trust: Vec<Option<TrustStore>>,
    /// DPoP proofs already used (crate::dpop::replay), shared by clones of this verifier.
    replay: crate::dpop::replay::Ledger,
}

impl Verifier {
    /// Check the policy and parse its inline keys.
    pub fn new(policy: Policy) -> Result<Verifier, PolicyError> {
        policy.validate()?;
        let shared_keys = inline_keys(policy.keys.as_ref(), &policy, "keys")?;
        let issuer_keys = policy
            .issuers
            .iter()
            .map(|i| {
                inline_keys(
                    i.keys.as_ref(),
                    &policy,
                    &format!("issuer \"{}\" keys", i.issuer),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let store = |anchors: Option<&Value>, what: &str| {
            TrustStore::from_policy(anchors, &policy.crls, policy.revocation, &policy.limits)
                .map_err(|e| PolicyError::from(format!("{what}: {e}")))
        };
        let shared_trust = store(policy.trust_anchors.as_ref(), "trust_anchors")?;
        let issuer_trust = policy
            .issuers
            .iter()
            .map(|i| {
                i.trust_anchors
                    .as_ref()
                    .map(|a| store(Some(a), &format!("issuer \"{}\" trust_anchors", i.issuer)))
                    .transpose()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let replay = crate::dpop::replay::Ledger::new(Box::new(
            crate::dpop::replay::MemoryReplay::new(policy.token.dpop_replay_entries),
        ));
        Ok(Verifier {
            policy,
            shared_keys,
            issuer_keys,
            shared_trust,
            issuer_trust,
            replay,
        })
    }

    /// Whether the policy holds any key of its own (shared or per issuer): without one, and
    /// without a fetched set, no signature can be checked.
    pub fn holds_keys(&self) -> bool {
        !self.shared_keys.is_empty() || self.issuer_keys.iter().any(|k| !k.is_empty())
    }

    /// Where this verifier remembers the DPoP proofs it accepted.
    pub fn replay(&self) -> &crate::dpop::replay::Ledger {
        &self.replay
    }

    /// Remember DPoP proofs in `store` instead of this process's memory (Envoy shares it
    /// across its worker VMs).
    pub fn set_replay_store(&mut self, store: Box<dyn crate::dpop::replay::ReplayStore>) {
        self.replay = crate::dpop::replay::Ledger::new(store);
    }

    /// Read a policy document and make it ready.
    pub fn from_json(text: &str) -> Result<Verifier, PolicyError> {
        Verifier::new(Policy::from_json(text)?)
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Verify `token` at time `now` (seconds since the epoch), with the policy's inline keys
    /// plus `keys` (typically the issuer's key set, fetched by the host).
    pub fn verify(&self, token: &str, keys: &KeySet, now: i64) -> Verdict {
        let parsed = match token::parse(token, &self.policy.limits) {
            Ok(p) => p,
            Err(p) => return Verdict::rejected(p),
        };
        self.verify_parsed(&parsed, keys, now)
    }

    /// Verify with per-call profile options (an OpenID Connect login's `nonce` and `max_age`)
    /// in place of the policy's `profile_options`.
    pub fn verify_with(
        &self,
        token: &str,
        keys: &KeySet,
        now: i64,
        options: &ProfileOptions,
    ) -> Verdict {
        let parsed = match token::parse(token, &self.policy.limits) {
            Ok(p) => p,
            Err(p) => return Verdict::rejected(p),
        };
        self.verify_parsed_with(&parsed, keys, now, options)
    }

    /// Verify an already parsed token.
    pub fn verify_parsed(&self, parsed: &ParsedToken, keys: &KeySet, now: i64) -> Verdict {
        self.verify_parsed_with(parsed, keys, now, &self.policy.profile_options)
    }

    fn verify_parsed_with(
        &self,
        parsed: &ParsedToken,
        keys: &KeySet,
        now: i64,
        options: &ProfileOptions,
    ) -> Verdict {
        let mut v = Verdict {
            header: Some(parsed.header_json.clone()),
            payload: Some(parsed.payload.clone()),
            ..Verdict::default()
        };
        let iss = parsed.payload.get("iss").and_then(Value::as_str);
        let issuer_index =
            iss.and_then(|iss| self.policy.issuers.iter().position(|i| i.issuer == iss));
        let issuer = issuer_index.map(|i| &self.policy.issuers[i]);

        let alg = self.check_alg(parsed, issuer, &mut v.errors);
        self.check_crit(parsed, &mut v.errors);
        self.check_typ(parsed, &mut v.errors);
        let trust = issuer_index
            .and_then(|i| self.issuer_trust[i].as_ref())
            .unwrap_or(&self.shared_trust);
        let chained = parsed.header.has_x5c && !trust.is_empty();
        check_key_sources(parsed, issuer, chained, &mut v.errors);

        if chained {
            v.chain = self.check_chain(parsed, trust, keys.crls(), alg, now, &mut v);
        } else if let Some(alg) = alg {
            let mut sets: Vec<&KeySet> = vec![keys];
            if let Some(i) = issuer_index {
                sets.push(&self.issuer_keys[i]);
            }
            sets.push(&self.shared_keys);
            match check_signature(parsed, alg, &sets) {
                Ok(key) => {
                    v.key = Some(UsedKey {
                        kid: key.kid.clone(),
                        kty: key.material.kty(),
                        alg,
                    })
                }
                Err(p) => v.errors.push(p),
            }
        }

        let mut issuers: Vec<&str> = self
            .policy
            .issuers
            .iter()
            .map(|i| i.issuer.as_str())
            .collect();
        issuers.dedup();
        let rules = ClaimRules {
            leeway: self.policy.leeway as i64,
            require_exp: self.policy.require_exp,
            issuers,
            audiences: self.policy.audiences_for(issuer),
            subject: self.policy.subject.as_deref(),
            required: &self.policy.required_claims,
            max_token_age: self.policy.max_token_age,
            max_lifetime: self.policy.max_lifetime,
        };
        claims::check(&parsed.payload, &rules, now, &mut v.errors, &mut v.warnings);
        // A token from an issuer the policy does not trust: that is the cause, and a key error a
        // consequence of it. Say the cause first (challenges and log lines lead with it).
        if let Some(i) = v
            .errors
            .iter()
            .position(|e| e.code == ErrorCode::IssuerMismatch)
        {
            let cause = v.errors.remove(i);
            v.errors.insert(0, cause);
        }
        if let Some(profile) = self.policy.profile_for(issuer) {
            let outcome = profiles::check(
                profile,
                &profiles::Context {
                    header: &parsed.header_json,
                    claims: &parsed.payload,
                    options,
                    audiences: rules.audiences,
                    leeway: rules.leeway,
                    now,
                    certificate_san_uris: v
                        .chain
                        .as_ref()
                        .filter(|c| c.valid)
                        .map(|c| c.leaf_san_uris.as_slice()),
                },
            );
            v.errors.extend(outcome.errors);
            v.warnings.extend(outcome.warnings);
            v.profile = Some(profile);
            v.context = outcome.context;
        }
        match claims::act::chain(&parsed.payload) {
            Ok(actors) if !actors.is_empty() => {
                let actors = actors.into_iter().map(Value::Object).collect();
                v.context.insert("act_chain".into(), Value::Array(actors));
            }
            Ok(_) => {}
            Err(why) => v.errors.push(Problem::at(
                ErrorCode::ClaimInvalid,
                "act",
                format!("The delegation claim is not usable: {why}."),
            )),
        }
        v.valid = v.errors.is_empty();
        v
    }

    /// Build and check the `x5c` chain, and verify the signature with its leaf's key.
    fn check_chain(
        &self,
        parsed: &ParsedToken,
        store: &TrustStore,
        fetched_crls: &[trust::Crl],
        alg: Option<Algorithm>,
        now: i64,
        v: &mut Verdict,
    ) -> Option<ChainReport> {
        let limits = &self.policy.limits;
        let x5c = parsed.header_json.get("x5c").unwrap_or(&Value::Null);
        let certs = match trust::x5c_certificates(x5c, limits) {
            Ok(c) => c,
            Err((_, why)) => {
                v.errors.push(Problem::at(
                    ErrorCode::ChainInvalid,
                    "header.x5c",
                    format!("The token's certificate chain (\"x5c\") cannot be read: {why}."),
                ));
                return None;
            }
        };
        let report = trust::validate(
            &certs,
            store,
            fetched_crls,
            now,
            self.policy.leeway as i64,
            limits.max_chain_length,
        );
        match (&report.leaf_key, &report.error) {
            (Some(key), _) => {
                if report.revocation == "not_checked" {
                    v.warnings.push(Warning::at(
                        "certificate_revocation_not_checked",
                        "header.x5c",
                        "The token's certificate chain was accepted without a current CRL for every certificate (the policy's \"revocation\" is best_effort).",
                    ));
                }
                if let Some(alg) = alg {
                    let outcome =
                        alg::verify(alg, key, parsed.signing_input.as_bytes(), &parsed.signature);
                    match outcome.map_err(|e| signature_problem(e, "")) {
                        Ok(()) => {
                            v.key = Some(UsedKey {
                                kid: parsed.header.kid.clone(),
                                kty: key.kty(),
                                alg,
                            })
                        }
                        Err(p) => v.errors.push(p),
                    }
                }
            }
            (None, why) => v.errors.push(Problem::at(
                ErrorCode::ChainInvalid,
                "header.x5c",
                format!(
                    "The token's certificate chain (\"x5c\") is not trusted: {}.",
                    why.as_deref()
                        .unwrap_or("it does not build to a trust anchor")
                ),
            )),
        }
        Some(report)
    }

    /// The last second at which a valid verdict could still be valid: `exp` plus the leeway,
    /// bounded by the end of `max_token_age`. `None` when the verdict is not valid or never
    /// ages (no `exp`): such a verdict is not worth caching.
    pub fn valid_until(&self, verdict: &Verdict) -> Option<i64> {
        if !verdict.valid {
            return None;
        }
        let payload = verdict.payload.as_ref()?;
        let date = |name: &str| {
            payload
                .get(name)
                .and_then(|v| claims::numeric_date::read(v).ok())
        };
        let leeway = self.policy.leeway as i64;
        let mut until = date("exp")?.saturating_add(leeway);
        if let (Some(max_age), Some(iat)) = (self.policy.max_token_age, date("iat")) {
            until = until.min(
                iat.saturating_add(max_age as i64)
                    .saturating_add(leeway)
                    .saturating_add(1),
            );
        }
        Some(until)
    }

    fn check_alg(
        &self,
        parsed: &ParsedToken,
        issuer: Option<&IssuerPolicy>,
        errors: &mut Vec<Problem>,
    ) -> Option<Algorithm> {
        let name = parsed.header.alg.as_str();
        let allowed = self.policy.algorithms_for(issuer);
        let list = allowed
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(", ");
        if name.eq_ignore_ascii_case("none") {
            errors.push(Problem::at(
                ErrorCode::AlgNotAllowed,
                "header.alg",
                format!("The token is unsigned (\"alg\": \"{name}\"); unsigned tokens are never accepted."),
            ));
            return None;
        }
        match Algorithm::from_name(name) {
            Some(a) if allowed.contains(&a) => Some(a),
            Some(a) => {
                let extra = if a.is_symmetric() && allowed.iter().any(|x| !x.is_symmetric()) {
                    " (a symmetric algorithm where public-key signatures are expected is the HS/RS confusion attack)"
                } else {
                    ""
                };
                errors.push(Problem::at(
                    ErrorCode::AlgNotAllowed,
                    "header.alg",
                    format!("The algorithm {a} is not allowed here (allowed: {list}){extra}."),
                ));
                None
            }
            None => {
                errors.push(Problem::at(
                    ErrorCode::AlgNotAllowed,
                    "header.alg",
                    format!(
                        "The algorithm \"{name}\" is unknown or unsupported (allowed: {list})."
                    ),
                ));
                None
            }
        }
    }

    /// One `crit_unsupported` error at most, however many names the list holds: the list is
    /// bounded (count and name length, `limits::MAX_CRIT_*`) before any name is looked at, and
    /// duplicates are found with a set, so a hostile list costs linear time and one sentence.
    fn check_crit(&self, parsed: &ParsedToken, errors: &mut Vec<Problem>) {
        let Some(crit) = &parsed.header.crit else {
            return;
        };
        let fail = |msg: String| Problem::at(ErrorCode::CritUnsupported, "header.crit", msg);
        if crit.is_empty() {
            errors.push(fail(
                "The header's \"crit\" is an empty list, which RFC 7515 §4.1.11 forbids.".into(),
            ));
            return;
        }
        if crit.len() > limits::MAX_CRIT_NAMES {
            errors.push(fail(format!(
                "The header's \"crit\" lists {} names; at most {} are accepted.",
                crit.len(),
                limits::MAX_CRIT_NAMES
            )));
            return;
        }
        if let Some(long) = crit.iter().find(|n| n.len() > limits::MAX_CRIT_NAME_BYTES) {
            errors.push(fail(format!(
                "The header's \"crit\" lists a name of {} bytes; names of at most {} bytes are accepted.",
                long.len(),
                limits::MAX_CRIT_NAME_BYTES
            )));
            return;
        }
        let mut seen = std::collections::HashSet::with_capacity(crit.len());
        let mut problems = Vec::new();
        for name in crit {
            if !seen.insert(name.as_str()) {
                problems.push(format!("lists \"{name}\" twice"));
            } else if header::REGISTERED.contains(&name.as_str()) {
                problems.push(format!(
                    "lists \"{name}\", a registered parameter, which crit may not name"
                ));
            } else if !parsed.header_json.contains_key(name) {
                problems.push(format!(
                    "lists \"{name}\", but the header has no such parameter"
                ));
            } else if !self.policy.crit.contains(name) {
                problems.push(format!(
                    "requires the extension \"{name}\" to be understood, and this verifier does not (add it to the policy's \"crit\" if your application handles it)"
                ));
            }
        }
        if !problems.is_empty() {
            errors.push(fail(format!(
                "The header's \"crit\" {}.",
                problems.join("; it ")
            )));
        }
    }

    fn check_typ(&self, parsed: &ParsedToken, errors: &mut Vec<Problem>) {
        let Some(expected) = &self.policy.typ else {
            return;
        };
        let typ = parsed.header.typ.as_deref();
        if typ.is_some_and(|t| header::typ_matches(t, expected)) {
            return;
        }
        let said = match typ {
            Some(t) => format!("The token's type is \"{t}\""),
            None => "The token has no \"typ\"".to_string(),
        };
        // RFC 9068 §2.1 / §4: an ID token must never pass as an access token.
        let id_claims: Vec<&str> = ["nonce", "at_hash", "c_hash", "auth_time"]
            .into_iter()
            .filter(|c| parsed.payload.contains_key(*c))
            .collect();
        let message = if header::typ_matches(expected, "at+jwt") && !id_claims.is_empty() {
            format!(
                "{said} and it carries {}: it is an OpenID Connect ID token, which tells a client who logged in and is not an access token. This service expects an RFC 9068 access token (\"typ\": \"{expected}\"); send the access token instead.",
                id_claims.join(", ")
            )
        } else {
            format!("{said}; this service expects \"{expected}\".")
        };
        errors.push(Problem::at(ErrorCode::TypMismatch, "header.typ", message));
    }
}

fn inline_keys(value: Option<&Value>, policy: &Policy, what: &str) -> Result<KeySet, PolicyError> {
    let Some(value) = value else {
        return Ok(KeySet::new());
    };
    let parsed = match value {
        Value::String(text) => KeySet::parse(text.as_bytes(), &policy.limits),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            let mut set = KeySet::new();
            for item in items.iter().filter_map(Value::as_str) {
                match KeySet::parse(item.as_bytes(), &policy.limits) {
                    Ok(s) => set.extend(s),
                    Err(e) => return Err(PolicyError::from(format!("{what}: {}", e.message))),
                }
            }
            Ok(set)
        }
        other => KeySet::from_json(other, &policy.limits),
    };
    parsed.map_err(|e| PolicyError::from(format!("{what}: {}", e.message)))
}

/// Key sources named by the token itself are never trusted blindly (RFC 8725 §3.10).
fn check_key_sources(
    parsed: &ParsedToken,
    issuer: Option<&IssuerPolicy>,
    chained: bool,
    errors: &mut Vec<Problem>,
) {
    let h = &parsed.header;
    if h.has_jwk {
        errors.push(Problem::at(
            ErrorCode::KeySourceNotAllowed,
            "header.jwk",
            "The token carries its own public key (\"jwk\"); a token cannot vouch for itself, so it is refused.",
        ));
    }
    if let Some(jku) = &h.jku {
        if !jku_allowed(jku, issuer) {
            errors.push(Problem::at(
                ErrorCode::KeySourceNotAllowed,
                "header.jku",
                format!("The token points to keys at \"{jku}\", which is not on this issuer's jku allow-list."),
            ));
        }
    }
    if let Some(x5u) = &h.x5u {
        errors.push(Problem::at(
            ErrorCode::KeySourceNotAllowed,
            "header.x5u",
            format!("The token points to a certificate at \"{x5u}\"; azlens never fetches x5u, configure the issuer's keys instead."),
        ));
    }
    // Without trust anchors nothing can say whether the certificates are trusted, and a key
    // the verifier also holds would make the token look as if its certificate were checked:
    // refused, like `jwk` (issue 17; the README's "Certificate chains" says why).
    if h.has_x5c && !chained {
        errors.push(Problem::at(
            ErrorCode::KeySourceNotAllowed,
            "header.x5c",
            "The token carries a certificate chain (\"x5c\") but the policy names no \"trust_anchors\" to check it against, so it is refused; add the community's trust anchors, or have the issuer sign without x5c.",
        ));
    }
}

/// Is `jku` on the allow-list of the token's (configured) issuer?
pub fn jku_allowed(jku: &str, issuer: Option<&IssuerPolicy>) -> bool {
    issuer.is_some_and(|i| i.jku.iter().any(|a| a == jku))
}

fn check_signature<'a>(
    parsed: &ParsedToken,
    alg: Algorithm,
    sets: &[&'a KeySet],
) -> Result<&'a Key, Problem> {
    let candidates = KeySet::select_from(sets, alg, parsed.header.kid.as_deref())?;
    let mut last = None;
    for key in &candidates {
        match alg::verify(
            alg,
            &key.material,
            parsed.signing_input.as_bytes(),
            &parsed.signature,
        ) {
            Ok(()) => return Ok(key),
            Err(e) => last = Some(e),
        }
    }
    let tried = if candidates.len() > 1 {
        format!(" ({} candidate keys tried)", candidates.len())
    } else {
        String::new()
    };
    Err(match last {
        Some(e) => signature_problem(e, &tried),
        None => Problem::new(ErrorCode::KeyNotFound, "No trusted key was available."),
    })
}

fn signature_problem(e: SignatureError, tried: &str) -> Problem {
    match e {
        SignatureError::KeyMismatch(why) => Problem::at(
            ErrorCode::KeyInvalid,
            "header.kid",
            format!("The key cannot be used: {why}{tried}."),
        ),
        SignatureError::Invalid(why) => Problem::new(
            ErrorCode::SignatureInvalid,
            format!("The signature is not valid: {why}{tried}. The token was altered or signed with another key."),
        ),
    }
}
