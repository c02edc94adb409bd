//! What the upstream sees: configured facts from the verified token as headers, client-sent
//! copies of those headers removed first, the token itself stripped unless kept.

use super::request::Request;
use super::token_source::Found;
use crate::policy::hosts::Forward;
use serde_json::{Map, Value};

/// Header names to remove upstream before anything is added: every configured forward header
/// (so a client cannot spoof them) and, unless kept, the header or cookie the token came in.
pub fn headers_to_remove(forward: &Forward, token_from: Option<&Found>) -> Vec<String> {
    let mut names: Vec<String> = forward
        .headers
        .keys()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if !forward.keep_token {
        if let Some(Found::Header { name }) = token_from {
            names.push(name.to_ascii_lowercase());
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Upstream header values for a verified token. A claim that is absent yields no header.
pub fn headers_to_set(
    forward: &Forward,
    payload: &Map<String, Value>,
    atna_user: Option<&str>,
) -> Vec<(String, String)> {
    forward
        .headers
        .iter()
        .filter_map(|(header, source)| {
            let value = if source == "atna_user" {
                atna_user.map(str::to_owned)?
            } else if source == super::iua_rules::BREAK_GLASS_SOURCE {
                return None; // set by iua_rules::flag_headers, never read from the token
            } else if source == "act_chain" {
                crate::claims::act::header_value(payload)?
            } else {
                render(claim_at(payload, source)?)?
            };
            Some((header.to_ascii_lowercase(), header_safe(&value)))
        })
        .collect()
}

/// The request's cookies without `name`, as one `Cookie` header value.
pub fn cookies_without(req: &Request, name: &str) -> String {
    req.header_values("cookie")
        .flat_map(|h| h.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty() && pair.split('=').next().map(str::trim) != Some(name))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A claim by name or dotted path (`extensions.ihe_iua.subject_name`). An exact top-level
/// name wins over a path, since claim names may contain dots.
pub fn claim_at<'a>(payload: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = payload.get(path) {
        return Some(v);
    }
    let mut parts = path.split('.');
    let mut cur = payload.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_object()?.get(p)?;
    }
    Some(cur)
}

fn render(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        Value::Array(items) if items.iter().all(Value::is_string) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        other => Some(other.to_string()),
    }
}

/// Header values are visible ASCII: other bytes (UTF-8 names, control characters) are
/// percent-encoded so nothing can split or forge a header.
fn header_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (0x20..0x7f).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn forward() -> Forward {
        let mut f = Forward::default();
        for (h, c) in [
            ("X-Sub", "sub"),
            ("x-patient", "patient"),
            ("x-name", "extensions.ihe_iua.subject_name"),
            ("x-audit", "atna_user"),
            ("x-none", "nope"),
        ] {
            f.headers.insert(h.into(), c.into());
        }
        f
    }

    #[test]
    fn sets_and_removes() {
        let payload = json!({"sub": "u1", "patient": "p\r\nx: y", "extensions": {"ihe_iua": {"subject_name": "José"}}});
        let set = headers_to_set(&forward(), payload.as_object().unwrap(), Some("a<u1@i>"));
        assert!(set.contains(&("x-sub".into(), "u1".into())));
        assert!(set.contains(&("x-patient".into(), "p%0D%0Ax: y".into())));
        assert!(set.contains(&("x-name".into(), "Jos%C3%A9".into())));
        assert!(set.contains(&("x-audit".into(), "a<u1@i>".into())));
        assert!(!set.iter().any(|(h, _)| h == "x-none"));
        let rm = headers_to_remove(
            &forward(),
            Some(&Found::Header {
                name: "Authorization".into(),
            }),
        );
        assert!(rm.contains(&"authorization".to_string()) && rm.contains(&"x-sub".to_string()));
        let keep = Forward {
            keep_token: true,
            ..forward()
        };
        assert!(!headers_to_remove(
            &keep,
            Some(&Found::Header {
                name: "authorization".into()
            })
        )
        .contains(&"authorization".to_string()));
    }
}
