//! Compact serialisation: split, decode and type a token before anything trusts it.

pub mod base64url;
pub mod header;

pub use header::Header;

use crate::error::{ErrorCode, Problem};
use crate::json;
use crate::limits::Limits;
use serde_json::{Map, Value};

/// A compact JWS whose segments decoded and whose header and payload are JSON objects.
/// Nothing in it is trusted yet.
#[derive(Debug, Clone)]
pub struct ParsedToken {
    pub header: Header,
    pub header_json: Map<String, Value>,
    pub payload: Map<String, Value>,
    /// `BASE64URL(header) '.' BASE64URL(payload)`: the bytes the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

/// The refusal of a token of `len` bytes when it is over `limits.max_token_bytes`. Hosts that
/// must copy a token before the core sees it (JavaScript into WebAssembly) ask this first,
/// with the length alone.
pub fn oversized(len: usize, limits: &Limits) -> Option<Problem> {
    (len > limits.max_token_bytes).then(|| {
        Problem::new(
            ErrorCode::Malformed,
            format!(
                "The token is {len} bytes long; the limit is {} bytes.",
                limits.max_token_bytes
            ),
        )
    })
}

/// Split and decode a compact JWS carrying a JWT claim set.
pub fn parse(token: &str, limits: &Limits) -> Result<ParsedToken, Problem> {
    if let Some(p) = oversized(token.len(), limits) {
        return Err(p);
    }
    if token.is_empty() {
        return Err(Problem::new(ErrorCode::Malformed, "The token is empty."));
    }
    let segments: Vec<&str> = token.split('.').collect();
    match segments.len() {
        3 => {}
        5 => {
            return Err(Problem::new(
                ErrorCode::UnsupportedToken,
                "This is an encrypted token (JWE, five segments); azlens verifies signed tokens (JWS) only.",
            ))
        }
        n => {
            return Err(Problem::new(
                ErrorCode::Malformed,
                format!(
                    "A compact JWS has three segments separated by '.', this has {n}."
                ),
            ))
        }
    }
    let header_bytes = decode_segment(segments[0], "header")?;
    let header_json = json::parse_object(&header_bytes, limits.max_json_depth)
        .map_err(|e| Problem::at(ErrorCode::Malformed, "header", format!("The header {e}.")))?;
    let header = Header::from_json(&header_json)?;
    if header.b64 == Some(false) {
        return Err(Problem::at(
            ErrorCode::Malformed,
            "header.b64",
            "The header sets \"b64\": false (RFC 7797 unencoded payload), which a JWT may not use.",
        ));
    }
    let payload_bytes = decode_segment(segments[1], "payload")?;
    let payload = json::parse_object(&payload_bytes, limits.max_json_depth).map_err(|e| {
        Problem::at(
            ErrorCode::Malformed,
            "payload",
            format!("The payload (JWT claim set) {e}."),
        )
    })?;
    let signature = decode_segment(segments[2], "signature")?;
    let signing_input_len = segments[0].len() + 1 + segments[1].len();
    Ok(ParsedToken {
        header,
        header_json,
        payload,
        signing_input: token[..signing_input_len].to_owned(),
        signature,
    })
}

fn decode_segment(segment: &str, name: &str) -> Result<Vec<u8>, Problem> {
    if segment.is_empty() && name != "signature" {
        return Err(Problem::at(
            ErrorCode::Malformed,
            name,
            format!("The {name} segment is empty."),
        ));
    }
    base64url::decode(segment).map_err(|why| {
        Problem::at(
            ErrorCode::Malformed,
            name,
            format!("The {name} segment is not strict base64url: it {why}."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64url::encode(s.as_bytes())
    }

    #[test]
    fn splits_a_good_token() {
        let t = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"HS256"}"#),
            b64(r#"{"sub":"a"}"#),
            b64("sig")
        );
        let p = parse(&t, &Limits::default()).unwrap();
        assert_eq!(p.header.alg, "HS256");
        assert_eq!(p.payload["sub"], "a");
        assert_eq!(p.signature, b"sig");
        assert!(t.starts_with(&p.signing_input));
    }

    #[test]
    fn names_jwe_as_unsupported() {
        let e = parse("a.b.c.d.e", &Limits::default()).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnsupportedToken);
    }

    #[test]
    fn rejects_structure_errors() {
        let l = Limits::default();
        for bad in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            &format!("{}..x", b64(r#"{"alg":"HS256"}"#)),
        ] {
            assert_eq!(
                parse(bad, &l).unwrap_err().code,
                ErrorCode::Malformed,
                "{bad}"
            );
        }
        let dup = format!("{}.{}.", b64(r#"{"alg":"HS256","alg":"none"}"#), b64("{}"));
        assert!(parse(&dup, &l).unwrap_err().message.contains("repeats"));
        let b64false = format!(
            "{}.{}.",
            b64(r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#),
            b64("{}")
        );
        assert_eq!(
            parse(&b64false, &l).unwrap_err().claim.as_deref(),
            Some("header.b64")
        );
        let big = "a".repeat(l.max_token_bytes + 1);
        assert!(parse(&big, &l).unwrap_err().message.contains("limit"));
    }
}
