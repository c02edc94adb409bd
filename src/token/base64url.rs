//! Strict base64url (RFC 7515 §2, RFC 4648 §5): no padding, no `+` or `/`, no whitespace, and no
//! non-zero trailing bits, so each byte string has exactly one accepted encoding.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

const STRICT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Decode strictly; the error says what is wrong in words.
pub fn decode(segment: &str) -> Result<Vec<u8>, String> {
    STRICT.decode(segment).map_err(|e| match e {
        base64::DecodeError::InvalidByte(at, b) => {
            let what = match b {
                b'+' | b'/' => "a standard-base64 character (base64url uses - and _)".to_owned(),
                b'=' => "padding (=), which base64url in JOSE omits".to_owned(),
                b if b.is_ascii_whitespace() => "white space".to_owned(),
                b if b.is_ascii_graphic() => format!("the character '{}'", b as char),
                b => format!("the byte 0x{b:02x}"),
            };
            format!("has {what} at position {at}")
        }
        base64::DecodeError::InvalidLength(_) => "has an impossible length".to_owned(),
        base64::DecodeError::InvalidLastSymbol(at, _) => {
            format!("has non-zero unused bits in its last character (position {at})")
        }
        base64::DecodeError::InvalidPadding => {
            "has padding (=), which base64url in JOSE omits".to_owned()
        }
    })
}

/// Encode without padding.
pub fn encode(bytes: &[u8]) -> String {
    STRICT.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(decode(&encode(&data)).unwrap(), data);
        }
    }

    #[test]
    fn rejects_non_canonical_forms() {
        assert!(decode("eyJ=").is_err());
        assert!(decode("a+b/").is_err());
        assert!(decode("ab cd").is_err());
        assert!(decode("a").is_err());
        // "QQ" is 'A'; "QR" decodes to 'A' only if trailing bits are ignored.
        assert_eq!(decode("QQ").unwrap(), b"A");
        assert!(decode("QR").is_err());
    }
}
