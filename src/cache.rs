//! A bounded cache of valid verdicts, so the usual client that repeats one access token pays for
//! the signature once. Hosts (edge worker, Envoy filter) hold one per isolate or VM.
//!
//! Entries are keyed by the token itself (compared in full, so a hit can never be another
//! token's verdict; a keyed 64-bit hash only finds the slot) and by the host's key-set
//! generation (a key rotation or revocation invalidates everything verified before it). A
//! verdict is served only until the first moment it could change: `exp` (plus leeway) or the end
//! of `max_token_age`. Only valid verdicts are kept: a rejection is cheap to recompute and must
//! never be sticky. An entry may also keep the token's [`KeyPlan`], so that a repeated token's
//! key sources are known without decoding it again.

use crate::keys::KeySet;
use crate::plan::KeyPlan;
use crate::verify::{Verdict, Verifier};
use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::rc::Rc;

/// Where a token's entry lives: a hash of the token under the cache's own random seed, worked
/// out once per request ([`VerdictCache::key`]) and used for every look-up of that request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenKey(u64);

struct Entry {
    token: Box<str>,
    verdict: Rc<Verdict>,
    plan: Option<Rc<KeyPlan>>,
    generation: u64,
    valid_until: i64,
    last_used: u64,
}

/// The most token bytes one [`VerdictCache`] keeps, whatever its capacity in entries. An entry
/// costs its token plus the decoded header and claims, which in memory take up to about ten
/// times the token's length (measured: a 13 KB token of many small claims, 143 KB), so the
/// cache's memory stays near 11 × this (≈ 45 MB) even when every entry is a maximal token,
/// while a thousand tokens of 4 KB still fit.
pub const MAX_CACHED_TOKEN_BYTES: usize = 4 << 20;

/// A least-recently-used map from token to verdict.
pub struct VerdictCache {
    capacity: usize,
    /// The sum of the kept tokens' lengths (bounded by [`MAX_CACHED_TOKEN_BYTES`]).
    token_bytes: usize,
    seed: RandomState,
    entries: HashMap<u64, Entry>,
    by_use: BTreeMap<u64, u64>,
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
            token_bytes: 0,
            seed: RandomState::new(),
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

    /// The slot of `token` in this cache.
    pub fn key(&self, token: &str) -> TokenKey {
        TokenKey(self.seed.hash_one(token))
    }

    /// The key plan kept with `token`'s entry, whatever its generation: which key sources the
    /// token names does not depend on the keys.
    pub fn plan(&self, key: TokenKey, token: &str) -> Option<Rc<KeyPlan>> {
        self.entries
            .get(&key.0)
            .filter(|e| *e.token == *token)
            .and_then(|e| e.plan.clone())
    }

    /// Verify through the cache: a fresh valid verdict for this token and key generation is
    /// returned as is; otherwise `verifier` runs and a valid outcome is remembered.
    pub fn verify(
        &mut self,
        verifier: &Verifier,
        token: &str,
        keys: &KeySet,
        generation: u64,
        now: i64,
    ) -> Verdict {
        let key = self.key(token);
        let keys = || Cow::Borrowed(keys);
        Verdict::clone(&self.verify_keyed(verifier, key, token, None, keys, generation, now))
    }

    /// [`Self::verify`] for a token whose [`TokenKey`] is known, sharing the cached verdict
    /// rather than copying it. `keys` is called only when the signature must be checked (a host
    /// may have to merge several key sets to make it). A verdict remembered now keeps `plan`
    /// with it.
    #[allow(clippy::too_many_arguments)]
    pub fn verify_keyed<'k>(
        &mut self,
        verifier: &Verifier,
        key: TokenKey,
        token: &str,
        plan: Option<&Rc<KeyPlan>>,
        keys: impl FnOnce() -> Cow<'k, KeySet>,
        generation: u64,
        now: i64,
    ) -> Rc<Verdict> {
        self.verify_decoded(verifier, key, token, None, plan, keys, generation, now)
    }

    /// [`Self::verify_keyed`] for a token the host decoded already (`parsed`, from `token`):
    /// a miss checks it without decoding it again.
    #[allow(clippy::too_many_arguments)]
    pub fn verify_decoded<'k>(
        &mut self,
        verifier: &Verifier,
        key: TokenKey,
        token: &str,
        parsed: Option<&crate::token::ParsedToken>,
        plan: Option<&Rc<KeyPlan>>,
        keys: impl FnOnce() -> Cow<'k, KeySet>,
        generation: u64,
        now: i64,
    ) -> Rc<Verdict> {
        if let Some(v) = self.lookup(key, token, plan, generation, now) {
            self.hits += 1;
            return v;
        }
        self.misses += 1;
        let verdict = Rc::new(match parsed {
            Some(parsed) => verifier.verify_parsed(parsed, &keys(), now),
            None => verifier.verify(token, &keys(), now),
        });
        if let Some(until) = verifier.valid_until(&verdict) {
            if until > now {
                self.insert(
                    key,
                    Entry {
                        token: token.into(),
                        verdict: Rc::clone(&verdict),
                        plan: plan.cloned(),
                        generation,
                        valid_until: until,
                        last_used: 0,
                    },
                );
            }
        }
        verdict
    }

    fn lookup(
        &mut self,
        key: TokenKey,
        token: &str,
        plan: Option<&Rc<KeyPlan>>,
        generation: u64,
        now: i64,
    ) -> Option<Rc<Verdict>> {
        let fresh = match self.entries.get(&key.0) {
            // Another token in the same slot: a miss, and this token's verdict will replace it.
            Some(e) if *e.token != *token => return None,
            Some(e) => e.generation == generation && now < e.valid_until,
            None => return None,
        };
        if !fresh {
            self.remove(key.0);
            return None;
        }
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.get_mut(&key.0)?;
        self.by_use.remove(&entry.last_used);
        entry.last_used = tick;
        if entry.plan.is_none() {
            entry.plan = plan.cloned();
        }
        self.by_use.insert(tick, key.0);
        Some(Rc::clone(&entry.verdict))
    }

    fn insert(&mut self, key: TokenKey, mut entry: Entry) {
        self.remove(key.0);
        let size = entry.token.len();
        if size > MAX_CACHED_TOKEN_BYTES {
            return;
        }
        while self.entries.len() >= self.capacity
            || self.token_bytes + size > MAX_CACHED_TOKEN_BYTES
        {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            if let Some(e) = self.entries.remove(&oldest) {
                self.token_bytes -= e.token.len();
            }
        }
        self.tick += 1;
        entry.last_used = self.tick;
        self.by_use.insert(self.tick, key.0);
        self.token_bytes += size;
        self.entries.insert(key.0, entry);
    }

    fn remove(&mut self, key: u64) {
        if let Some(e) = self.entries.remove(&key) {
            self.by_use.remove(&e.last_used);
            self.token_bytes -= e.token.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::base64url::encode;
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

    /// Issue 19: a cache of many entries filled with maximal tokens keeps at most
    /// `MAX_CACHED_TOKEN_BYTES` of them, oldest out first; small tokens fill it by count.
    #[test]
    fn large_tokens_are_bounded_by_bytes_not_only_by_count() {
        let v = verifier(json!({"limits": {"max_token_bytes": 256 << 10}}));
        let mut c = VerdictCache::new(1000);
        let none = KeySet::new();
        let pad = "x".repeat(180_000);
        let tokens: Vec<String> = (0..40)
            .map(|i| sign(json!({"exp": 1000, "i": i, "pad": pad})))
            .collect();
        for t in &tokens {
            assert!(c.verify(&v, t, &none, 1, 900).valid);
        }
        let per = tokens[0].len();
        assert!(c.token_bytes <= MAX_CACHED_TOKEN_BYTES);
        assert_eq!(c.len(), MAX_CACHED_TOKEN_BYTES / per);
        // The newest are kept.
        assert!(c.verify(&v, &tokens[39], &none, 1, 900).valid);
        assert_eq!(c.stats().0, 1);
        // (No token is larger than the whole budget: the policy's ceiling for max_token_bytes,
        // 256 KiB, is a sixteenth of it.)
        const _: () = assert!(crate::Limits::CEILING.max_token_bytes < MAX_CACHED_TOKEN_BYTES);
        // Small tokens: the count bounds.
        let mut small = VerdictCache::new(5);
        for i in 0..20 {
            small.verify(&v, &sign(json!({"exp": 1000, "i": i})), &none, 1, 900);
        }
        assert_eq!(small.len(), 5);
    }

    #[test]
    fn a_hit_is_the_same_token_not_only_the_same_slot() {
        let v = verifier(json!({}));
        let a = sign(json!({"exp": 1000, "sub": "a"}));
        let b = sign(json!({"exp": 1000, "sub": "b"}));
        let mut c = VerdictCache::new(8);
        let none = || Cow::Owned(KeySet::new());
        let slot = c.key(&a);
        assert!(c.verify_keyed(&v, slot, &a, None, none, 1, 900).valid);
        // `b` looked up in `a`'s slot (as a hash collision would): a miss, never `a`'s verdict.
        let got = c.verify_keyed(&v, slot, &b, None, none, 1, 900);
        assert_eq!(got.payload.as_ref().unwrap()["sub"], "b");
        assert_eq!(c.stats(), (0, 2));
        assert_eq!(c.len(), 1, "b replaced a in the shared slot");
        let again = c.verify_keyed(&v, slot, &b, None, none, 1, 901);
        assert_eq!(again.payload.as_ref().unwrap()["sub"], "b");
        assert_eq!(c.stats(), (1, 2));
    }

    #[test]
    fn the_key_plan_stays_with_the_verdict_across_generations() {
        let v = verifier(json!({}));
        let t = sign(json!({"exp": 1000}));
        let mut c = VerdictCache::new(8);
        let none = || Cow::Owned(KeySet::new());
        let key = c.key(&t);
        assert!(c.plan(key, &t).is_none());
        let plan = Rc::new(crate::plan::key_plan(&t, v.policy()));
        let first = c.verify_keyed(&v, key, &t, Some(&plan), none, 1, 900);
        let kept = c.plan(key, &t).expect("kept with the valid verdict");
        assert!(Rc::ptr_eq(&kept, &plan));
        assert!(c.plan(key, &sign(json!({"exp": 999}))).is_none());
        // A hit shares the cached verdict rather than copying it.
        let hit = c.verify_keyed(&v, key, &t, None, none, 1, 901);
        assert!(Rc::ptr_eq(&first, &hit));
        // Re-verified without a plan (a new generation): none is kept; a hit with one adds it.
        c.verify_keyed(&v, key, &t, None, none, 2, 902);
        assert!(c.plan(key, &t).is_none());
        c.verify_keyed(&v, key, &t, Some(&plan), none, 2, 903);
        assert!(Rc::ptr_eq(&c.plan(key, &t).unwrap(), &plan));
        assert_eq!(c.stats(), (2, 2));
    }

    #[test]
    fn keys_are_asked_for_only_when_a_signature_is_checked() {
        let v = verifier(json!({}));
        let t = sign(json!({"exp": 1000}));
        let mut c = VerdictCache::new(8);
        let key = c.key(&t);
        let asked = std::cell::Cell::new(0);
        let keys = || {
            asked.set(asked.get() + 1);
            Cow::Owned(KeySet::new())
        };
        assert!(c.verify_keyed(&v, key, &t, None, keys, 1, 900).valid);
        assert!(c.verify_keyed(&v, key, &t, None, keys, 1, 901).valid);
        assert_eq!(asked.get(), 1, "the hit needed no keys");
        assert!(c.verify_keyed(&v, key, &t, None, keys, 2, 902).valid);
        assert_eq!(asked.get(), 2);
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
