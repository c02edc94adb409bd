//! RFC 8693 §4.1 delegation: the `act` claim names the party acting for the subject, and a
//! nested `act` inside it the party that acted before, and so on. The chain is read here once
//! for the verdict (`context.act_chain`) and for hosts (`forward.headers` source `act_chain`).

use serde_json::{Map, Value};

/// Most actors read from one token (the payload's depth is bounded anyway).
pub const MAX_ACTORS: usize = 16;

/// The actors, the current one first, each as the object the token gives (without its own
/// nested `act`). `Err` when an `act` is not a JSON object.
pub fn chain(payload: &Map<String, Value>) -> Result<Vec<Map<String, Value>>, String> {
    let mut out = Vec::new();
    let mut cur = payload.get("act");
    while let Some(act) = cur {
        let Value::Object(obj) = act else {
            return Err(format!(
                "\"act\" at depth {} is not a JSON object (RFC 8693 §4.1)",
                out.len() + 1
            ));
        };
        if out.len() == MAX_ACTORS {
            return Err(format!("\"act\" nests more than {MAX_ACTORS} actors"));
        }
        let mut actor = obj.clone();
        actor.remove("act");
        out.push(actor);
        cur = obj.get("act");
    }
    Ok(out)
}

/// The chain as one header value: each actor's `sub` (else `client_id`, else `?`), the current
/// actor first, separated by `, ` (a comma inside a name is written `%2C`).
pub fn header_value(payload: &Map<String, Value>) -> Option<String> {
    let actors = chain(payload).ok()?;
    if actors.is_empty() {
        return None;
    }
    let names: Vec<String> = actors
        .iter()
        .map(|a| {
            a.get("sub")
                .or_else(|| a.get("client_id"))
                .and_then(Value::as_str)
                .unwrap_or("?")
                .replace(',', "%2C")
        })
        .collect();
    Some(names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn nested_actors_come_out_current_first() {
        let p = obj(
            json!({"sub": "user", "act": {"sub": "svc-b", "act": {"sub": "svc,a", "iss": "https://a"}}}),
        );
        let c = chain(&p).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0]["sub"], "svc-b");
        assert!(!c[0].contains_key("act"));
        assert_eq!(c[1]["iss"], "https://a");
        assert_eq!(header_value(&p).unwrap(), "svc-b, svc%2Ca");
        assert_eq!(header_value(&obj(json!({"sub": "u"}))), None);
        assert!(chain(&obj(json!({"act": "svc"}))).is_err());
        assert!(chain(&obj(json!({"act": {"act": 1}}))).is_err());
    }
}
