//! A bounded cache of valid verdicts, so the usual client that repeats one access token pays for
//! the signature once. Hosts (edge worker, Envoy filter) hold one per isolate or VM.
//!
//! Entries are keyed by the SHA-256 of the token and by the host's key-set generation (a key
//! rotation or revocation invalidates everything verified before it). A verdict is served only
//! until the first moment it could change: `exp` (plus leeway) or the end of `max_token_age`.
//! Only valid verdicts are kept: a rejection is cheap to recompute and must never be sticky.

use crate::verify::{Verdict, Verifier};
use std::collections::{BTreeMap, HashMap};

type TokenHash = [u8; 32];

struct Entry {
    verdict: Verdict,
    generation: u64,
    valid_until: i64,
    last_used: u64,
}

/// A least-recently-used map from token to verdict.
pub struct VerdictCache {
    capacity: usize,
    entries: HashMap<TokenHash, Entry>,
    by_use: BTreeMap<u64, TokenHash>,
    tick: u64,
    hits: u64,
    misses: u64,
}

impl std::fmt::Debug for VerdictCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerdictCache")
            .field("capacity", &self.capacity)
            .field("len", &self.entries.len())
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .finish()
    }
}

impl VerdictCache {
    /// A cache holding at most `capacity` verdicts (at least one).
    pub fn new(capacity: usize) -> VerdictCache {
        VerdictCache {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
            tick: 0,
            hits: 0,
            misses: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// (hits, misses) since creation.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    /// Verify through the cache: a fresh valid verdict for this token and key generation is
    /// returned as is; otherwise `verifier` runs and a valid outcome is remembered.
    pub fn verify(
        &mut self,
        verifier: &Verifier,
        token: &str,
        keys: &crate::KeySet,
        generation: u64,
        now: i64,
    ) -> Verdict {
        let key = hash(token);
        if let Some(v) = self.lookup(&key, generation, now) {
            self.hits += 1;
            return v;
        }
        self.misses += 1;
        let verdict = verifier.verify(token, keys, now);
        if let Some(until) = verifier.valid_until(&verdict) {
            if until > now {
                self.insert(key, verdict.clone(), generation, until);
            }
        }
        verdict
    }

    fn lookup(&mut self, key: &TokenHash, generation: u64, now: i64) -> Option<Verdict> {
        let fresh = match self.entries.get(key) {
            Some(e) => e.generation == generation && now < e.valid_until,
            None => return None,
        };
        if !fresh {
            self.remove(key);
            return None;
        }
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.get_mut(key)?;
        self.by_use.remove(&entry.last_used);
        entry.last_used = tick;
        self.by_use.insert(tick, *key);
        Some(entry.verdict.clone())
    }

    fn insert(&mut self, key: TokenHash, verdict: Verdict, generation: u64, valid_until: i64) {
        self.remove(&key);
        while self.entries.len() >= self.capacity {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        self.tick += 1;
        self.by_use.insert(self.tick, key);
        self.entries.insert(
            key,
            Entry {
                verdict,
                generation,
                valid_until,
                last_used: self.tick,
            },
        );
    }

    fn remove(&mut self, key: &TokenHash) {
        if let Some(e) = self.entries.remove(key) {
            self.by_use.remove(&e.last_used);
        }
    }
}

fn hash(token: &str) -> TokenHash {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::base64url::encode;
    use crate::KeySet;
    use hmac::{KeyInit, Mac};
    use serde_json::json;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn sign(claims: serde_json::Value) -> String {
        let head = encode(br#"{"alg":"HS256"}"#);
        let body = encode(claims.to_string().as_bytes());
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(format!("{head}.{body}").as_bytes());
        format!("{head}.{body}.{}", encode(&mac.finalize().into_bytes()))
    }

    fn verifier(extra: serde_json::Value) -> Verifier {
        let mut p = json!({"algorithms": ["HS256"], "leeway": 10,
                           "keys": {"kty": "oct", "k": encode(SECRET)}});
        if let (Some(p), Some(e)) = (p.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        Verifier::from_json(&p.to_string()).unwrap()
    }

    #[test]
    fn serves_a_valid_verdict_until_exp_and_per_generation() {
        let v = verifier(json!({}));
        let t = sign(json!({"exp": 1000, "iat": 900}));
        let mut c = VerdictCache::new(8);
        let none = KeySet::new();
        assert!(c.verify(&v, &t, &none, 1, 950).valid);
        assert!(c.verify(&v, &t, &none, 1, 960).valid);
        assert_eq!(c.stats(), (1, 1));
        // A new key generation verifies afresh.
        assert!(c.verify(&v, &t, &none, 2, 960).valid);
        assert_eq!(c.stats(), (1, 2));
        // Past exp + leeway the cached entry is not served; the fresh verdict is "expired".
        let late = c.verify(&v, &t, &none, 2, 1011);
        assert!(!late.valid && late.errors[0].code.as_str() == "expired");
        assert!(
            c.is_empty(),
            "the stale entry was dropped and the rejection not cached"
        );
    }

    #[test]
    fn max_token_age_bounds_the_entry() {
        let v = verifier(json!({"max_token_age": 60}));
        let t = sign(json!({"exp": 10_000, "iat": 1000}));
        let mut c = VerdictCache::new(8);
        assert!(c.verify(&v, &t, &KeySet::new(), 1, 1050).valid);
        assert!(!c.verify(&v, &t, &KeySet::new(), 1, 1071).valid);
    }

    #[test]
    fn rejections_are_never_cached_and_capacity_is_bounded() {
        let v = verifier(json!({}));
        let mut c = VerdictCache::new(2);
        let bad = format!("{}x", sign(json!({"exp": 1000})));
        assert!(!c.verify(&v, &bad, &KeySet::new(), 1, 900).valid);
        assert!(c.is_empty());
        let tokens: Vec<String> = (0..3).map(|i| sign(json!({"exp": 1000, "n": i}))).collect();
        for t in &tokens {
            c.verify(&v, t, &KeySet::new(), 1, 900);
        }
        assert_eq!(c.len(), 2);
        // The least recently used (the first) was evicted.
        c.verify(&v, &tokens[0], &KeySet::new(), 1, 900);
        assert_eq!(c.stats().0, 0);
    }
}
