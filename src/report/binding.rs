//! What the inspector says about sender-constrained tokens: a DPoP proof pasted alone (RFC 9449)
//! explained claim by claim, a token's `cnf` binding (a DPoP key or a client certificate, RFC
//! 8705) and how a server checks it, and the RFC 7638 thumbprint of a JWK pasted alone.

use super::findings::{Finding, Severity};
use crate::dpop::thumbprint::jwk_thumbprint;
use crate::token::header::typ_matches;
use serde_json::{Map, Value};

/// Is this header a DPoP proof's?
pub fn is_proof(header: &Map<String, Value>) -> bool {
    header
        .get("typ")
        .and_then(Value::as_str)
        .is_some_and(|t| typ_matches(t, "dpop+jwt"))
}

fn text<'a>(m: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    m.get(name).and_then(Value::as_str)
}

/// Findings on a DPoP proof and on a token's binding.
pub fn explain(header: &Map<String, Value>, claims: &Map<String, Value>, out: &mut Vec<Finding>) {
    if is_proof(header) {
        proof(header, claims, out);
    }
    if let Some(Value::Object(cnf)) = claims.get("cnf") {
        if let Some(jkt) = text(cnf, "jkt") {
            out.push(Finding::new(
                Severity::Info,
                "bound_to_dpop_key",
                Some("cnf.jkt"),
                format!("The token is bound to a DPoP key (RFC 9449 §6): it is good only with the DPoP authorization scheme and, on each request, a fresh DPoP proof signed by the key whose RFC 7638 thumbprint is {jkt}. A server checks the proof (method, URL, time, single use, \"ath\" = hash of this token) and that its key's thumbprint equals cnf.jkt; sent as a plain Bearer token it must be refused."),
            ));
        }
        if let Some(x5t) = text(cnf, "x5t#S256") {
            out.push(Finding::new(
                Severity::Info,
                "bound_to_certificate",
                Some("cnf.x5t#S256"),
                format!("The token is bound to a client certificate (RFC 8705 §3): it is good only over a mutual-TLS connection whose client certificate has the SHA-256 thumbprint {x5t} (base64url). A server (or the TLS-terminating proxy in front of it) compares the connection's certificate with cnf.x5t#S256 and refuses the token on any other connection."),
            ));
        }
    }
}

fn proof(header: &Map<String, Value>, claims: &Map<String, Value>, out: &mut Vec<Finding>) {
    let jwk = match header.get("jwk") {
        Some(Value::Object(j)) => Some(j),
        _ => None,
    };
    let jkt = jwk.and_then(|j| jwk_thumbprint(j).ok());
    let method = text(claims, "htm").unwrap_or("(no htm)");
    let url = text(claims, "htu").unwrap_or("(no htu)");
    let mut what = format!("A DPoP proof (RFC 9449): the client proves it holds the private key of the \"jwk\" in the header, for one {method} request to {url} (\"htm\", \"htu\"; the query and fragment do not count).");
    match &jkt {
        Some(t) => what.push_str(&format!(" The key's RFC 7638 thumbprint is {t}: a token bound to this key carries \"cnf\": {{\"jkt\": \"{t}\"}}.")),
        None => what.push_str(" The header has no usable \"jwk\", so no server can check it."),
    }
    if let Some(ath) = text(claims, "ath") {
        what.push_str(&format!(" \"ath\" ({ath}) is the base64url SHA-256 of the access token it goes with: the proof is good with that token only."));
    }
    what.push_str(" A server accepts a proof once (\"jti\"), shortly after \"iat\".");
    out.push(Finding::new(Severity::Info, "dpop_proof", None, what));
    if let Some(j) = jwk {
        if j.get("kty").and_then(Value::as_str) == Some("oct") {
            out.push(Finding::new(Severity::Error, "dpop_symmetric_key", Some("header.jwk"), "The proof's \"jwk\" is a symmetric key: a DPoP proof must be signed with a private key whose public half is in the header."));
        } else if let Some(m) = ["d", "p", "q", "dp", "dq", "qi", "oth"]
            .iter()
            .find(|m| j.contains_key(**m))
        {
            out.push(Finding::new(Severity::Error, "dpop_private_key", Some("header.jwk"), format!("The proof's \"jwk\" holds private key material (\"{m}\"): the client has published its private key and must replace it.")));
        }
    }
    for name in ["htm", "htu", "iat", "jti"] {
        if !claims.contains_key(name) {
            out.push(Finding::new(
                Severity::Error,
                "dpop_claim_missing",
                Some(name),
                format!("The proof has no \"{name}\", which RFC 9449 §4.2 requires."),
            ));
        }
    }
}

/// One sentence for a DPoP proof.
pub fn proof_summary(header: &Map<String, Value>, claims: Option<&Map<String, Value>>) -> String {
    let alg = text(header, "alg").unwrap_or("?");
    let (method, url) = claims
        .map(|c| (text(c, "htm").unwrap_or("?"), text(c, "htu").unwrap_or("?")))
        .unwrap_or(("?", "?"));
    format!("A DPoP proof ({alg}) for {method} {url}.")
}

/// The finding for a JWK pasted alone: its RFC 7638 thumbprint.
pub fn jwk_alone(input: &str, max_depth: usize) -> Option<Finding> {
    let jwk = crate::json::parse_object(input.as_bytes(), max_depth).ok()?;
    jwk.get("kty")?;
    Some(match jwk_thumbprint(&jwk) {
        Ok(t) => Finding::new(
            Severity::Info,
            "jwk_thumbprint",
            None,
            format!("This is a JSON Web Key. Its RFC 7638 SHA-256 thumbprint is {t} (what \"cnf.jkt\" holds in a token bound to it)."),
        ),
        Err(why) => Finding::new(
            Severity::Warning,
            "jwk_thumbprint",
            None,
            format!("This looks like a JSON Web Key, but it has no RFC 7638 thumbprint: {why}."),
        ),
    })
}

#[cfg(test)]
mod tests {
    use crate::report::{inspect, InspectOptions};
    use crate::token::base64url::encode;
    use serde_json::json;

    fn jws(header: serde_json::Value, claims: serde_json::Value) -> String {
        format!(
            "{}.{}.{}",
            encode(header.to_string().as_bytes()),
            encode(claims.to_string().as_bytes()),
            encode(b"sig")
        )
    }

    const RFC7638_KEY: &str = r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB"}"#;

    #[test]
    fn a_proof_pasted_alone_is_explained() {
        let jwk: serde_json::Value = serde_json::from_str(RFC7638_KEY).unwrap();
        let proof = jws(
            json!({"typ": "dpop+jwt", "alg": "RS256", "jwk": jwk}),
            json!({"htm": "POST", "htu": "https://api.example/token", "iat": 1, "jti": "x", "ath": "abc"}),
        );
        let r = inspect(&proof, 10, &InspectOptions::default());
        assert_eq!(
            r.summary,
            "A DPoP proof (RS256) for POST https://api.example/token."
        );
        let f = r.findings.iter().find(|f| f.code == "dpop_proof").unwrap();
        assert!(
            f.message
                .contains("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"),
            "{}",
            f.message
        );
        assert!(f.message.contains("\"ath\" (abc)"));
        assert!(r
            .claims
            .iter()
            .any(|c| c.name == "htu" && c.meaning.is_some()));
        let mut private = jwk.clone();
        private["d"] = json!("AAAA");
        let leaked = jws(
            json!({"typ": "dpop+jwt", "alg": "RS256", "jwk": private}),
            json!({}),
        );
        let r = inspect(&leaked, 10, &InspectOptions::default());
        assert!(r.findings.iter().any(|f| f.code == "dpop_private_key"));
        assert!(r.findings.iter().any(|f| f.code == "dpop_claim_missing"));
    }

    #[test]
    fn a_bound_token_says_what_it_is_bound_to() {
        let t = jws(
            json!({"alg": "ES256", "typ": "at+jwt"}),
            json!({"iss": "https://as", "cnf": {"jkt": "THUMB", "x5t#S256": "CERT"}}),
        );
        let r = inspect(&t, 10, &InspectOptions::default());
        let key = r
            .findings
            .iter()
            .find(|f| f.code == "bound_to_dpop_key")
            .unwrap();
        assert!(key.message.contains("THUMB") && key.message.contains("Bearer"));
        let cert = r
            .findings
            .iter()
            .find(|f| f.code == "bound_to_certificate")
            .unwrap();
        assert!(cert.message.contains("CERT"));
    }

    #[test]
    fn a_jwk_pasted_alone_gets_its_thumbprint() {
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(RFC7638_KEY).unwrap(),
        )
        .unwrap();
        let r = inspect(&pretty, 10, &InspectOptions::default());
        let f = r
            .findings
            .iter()
            .find(|f| f.code == "jwk_thumbprint")
            .unwrap();
        assert!(
            f.message
                .contains("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"),
            "{}",
            f.message
        );
    }
}
