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

impl Limits {
    /// The longest input inspection reads, in bytes: a token at `max_token_bytes` with room for
    /// what people paste around and inside it (a scheme word, white space, line breaks). Hosts
    /// check a string's length against it before copying the string into WebAssembly memory.
    /// It lives here, not in `report`, so builds without the report state it too.
    pub fn max_inspect_bytes(&self) -> usize {
        self.max_token_bytes.saturating_mul(2).saturating_add(1024)
    }

    /// The most a policy may raise each limit to. Work and memory grow with these: inspecting or
    /// verifying one token takes up to ~35 times its size in WebAssembly memory (measured: 9 MB
    /// for a 256 KiB token of small claims, 35 MB for 1 MiB), and wasm memory, once grown, is
    /// never given back. The ceilings keep one input's cost to a few megabytes.
    pub const CEILING: Limits = Limits {
        max_token_bytes: 256 * 1024,
        max_json_depth: 64,
        max_key_set_bytes: 1024 * 1024,
        max_keys: 256,
        max_nested_depth: 8,
        max_chain_length: 10,
        max_certificate_bytes: 64 * 1024,
        max_crl_bytes: 8 * 1024 * 1024,
    };

    /// Each limit with its policy name: `(name, value, ceiling)`.
    pub fn named(&self) -> [(&'static str, usize, usize); 8] {
        let c = &Limits::CEILING;
        [
            ("max_token_bytes", self.max_token_bytes, c.max_token_bytes),
            ("max_json_depth", self.max_json_depth, c.max_json_depth),
            (
                "max_key_set_bytes",
                self.max_key_set_bytes,
                c.max_key_set_bytes,
            ),
            ("max_keys", self.max_keys, c.max_keys),
            (
                "max_nested_depth",
                self.max_nested_depth,
                c.max_nested_depth,
            ),
            (
                "max_chain_length",
                self.max_chain_length,
                c.max_chain_length,
            ),
            (
                "max_certificate_bytes",
                self.max_certificate_bytes,
                c.max_certificate_bytes,
            ),
            ("max_crl_bytes", self.max_crl_bytes, c.max_crl_bytes),
        ]
    }

    /// Why these limits cannot be used, naming the field: zero, or over its ceiling
    /// ([`Limits::CEILING`]).
    pub fn check(&self) -> Result<(), String> {
        for (name, value, ceiling) in self.named() {
            let may_be_zero = matches!(
                name,
                "max_nested_depth" | "max_key_set_bytes" | "max_crl_bytes"
            );
            if value == 0 && !may_be_zero {
                return Err(format!("\"limits.{name}\" must be greater than zero"));
            }
            if value > ceiling {
                return Err(format!(
                    "\"limits.{name}\" is {value}; it may be at most {ceiling}, so that one input cannot make a verifier use unbounded memory"
                ));
            }
        }
        Ok(())
    }
}

/// Most names a token's `crit` header may list. RFC 7515 §4.1.11 extensions are rare; a long
/// list is only a way to make a verifier work (each name is checked) before any signature.
pub const MAX_CRIT_NAMES: usize = 16;

/// Longest name a token's `crit` header may list, in bytes.
pub const MAX_CRIT_NAME_BYTES: usize = 64;

/// Longest text a host puts in one error message of a refusal body, or in one field of a log
/// line (a reason, an `iss`, a `kid`…): attacker-chosen text is echoed at most this long.
pub const MAX_ECHO_BYTES: usize = 256;

/// Most problems a refusal body lists; the rest are counted, not listed.
pub const MAX_LISTED_PROBLEMS: usize = 8;

/// `text` cut to at most `max` bytes (`max` ≥ 3) on a character boundary, ending in "…" when
/// cut.
pub fn clip(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= max {
        return std::borrow::Cow::Borrowed(text);
    }
    const ELLIPSIS: &str = "…";
    let mut end = max.saturating_sub(ELLIPSIS.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}{ELLIPSIS}", &text[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_on_a_character_boundary_with_an_ellipsis() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("abcdefghij", 10), "abcdefghij");
        let cut = clip("abcdefghijk", 10);
        assert_eq!(cut, "abcdefg…");
        assert!(cut.len() <= 10);
        // "é" is two bytes: never split inside it.
        let cut = clip("éééééééé", 9);
        assert!(cut.len() <= 9 && cut.ends_with('…'), "{cut}");
    }
}
