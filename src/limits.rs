//! Bounds on untrusted input, checked before any work is spent on it.

use serde::Deserialize;

/// Size and depth limits. Every field has a safe default; a policy may tighten or relax them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Longest accepted compact token, in bytes (default 16 KiB).
    pub max_token_bytes: usize,
    /// Deepest nesting of arrays and objects in a header or claim set (default 32).
    pub max_json_depth: usize,
    /// Largest key-set document, in bytes (default 64 KiB).
    pub max_key_set_bytes: usize,
    /// Most keys read from one key set (default 64).
    pub max_keys: usize,
    /// How deep claims that are themselves signed tokens are unpacked (default 3).
    pub max_nested_depth: usize,
    /// Most certificates in an `x5c` chain, leaf included (default 5).
    pub max_chain_length: usize,
    /// Largest certificate (DER) in `x5c` or `trust_anchors` (default 8 KiB).
    pub max_certificate_bytes: usize,
    /// Largest CRL (DER) in the policy's `crls` (default 1 MiB).
    pub max_crl_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_token_bytes: 16 * 1024,
            max_json_depth: 32,
            max_key_set_bytes: 64 * 1024,
            max_keys: 64,
            max_nested_depth: 3,
            max_chain_length: 5,
            max_certificate_bytes: 8 * 1024,
            max_crl_bytes: 1024 * 1024,
        }
    }
}
