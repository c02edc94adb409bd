//! Strict JSON: RFC 8259 via serde_json, plus what JOSE needs and serde_json does not enforce.
//!
//! Duplicate member names are rejected (RFC 7515 §5.2 and RFC 8725 §3.6: two parsers picking
//! different duplicates is a known way to smuggle claims), and nesting depth is bounded before it
//! can cost stack or time.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// Why a JSON text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// Not valid JSON (the parser's own words, with line and column).
    Syntax(String),
    /// An object repeats a member name.
    DuplicateMember(String),
    /// Arrays and objects nest deeper than the limit.
    TooDeep(usize),
    /// Valid JSON, but not an object where one is required.
    NotAnObject,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax(s) => write!(f, "is not valid JSON ({s})"),
            JsonError::DuplicateMember(n) => write!(f, "repeats the member \"{n}\""),
            JsonError::TooDeep(d) => write!(f, "nests deeper than {d} levels"),
            JsonError::NotAnObject => f.write_str("is not a JSON object"),
        }
    }
}

/// Parse `bytes` as one JSON value, rejecting duplicates and nesting beyond `max_depth`.
pub fn parse_value(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    let failure = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Strict {
        depth: 0,
        max_depth,
        failure: &failure,
    };
    let result = seed.deserialize(&mut de).and_then(|v| de.end().map(|_| v));
    match result {
        Ok(v) => Ok(v),
        Err(e) => Err(failure
            .into_inner()
            .unwrap_or_else(|| JsonError::Syntax(e.to_string()))),
    }
}

/// Parse `bytes` as a JSON object (JOSE headers, JWT claim sets, JWKs).
pub fn parse_object(bytes: &[u8], max_depth: usize) -> Result<Map<String, Value>, JsonError> {
    match parse_value(bytes, max_depth)? {
        Value::Object(m) => Ok(m),
        _ => Err(JsonError::NotAnObject),
    }
}

struct Strict<'a> {
    depth: usize,
    max_depth: usize,
    failure: &'a RefCell<Option<JsonError>>,
}

impl<'a> Strict<'a> {
    fn child(&self) -> Strict<'a> {
        Strict {
            depth: self.depth + 1,
            max_depth: self.max_depth,
            failure: self.failure,
        }
    }

    fn fail<E: de::Error>(&self, why: JsonError) -> E {
        let msg = why.to_string();
        *self.failure.borrow_mut() = Some(why);
        E::custom(msg)
    }

    fn enter<E: de::Error>(&self) -> Result<(), E> {
        if self.depth >= self.max_depth {
            Err(self.fail(JsonError::TooDeep(self.max_depth)))
        } else {
            Ok(())
        }
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.enter()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self.child())? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.enter()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(self.fail(JsonError::DuplicateMember(key)));
            }
            let value = map.next_value_seed(self.child())?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_objects() {
        let m = parse_object(br#"{"a":1,"b":[true,null,"x"],"c":{"d":1.5}}"#, 8).unwrap();
        assert_eq!(m["b"][2], "x");
        assert_eq!(m["c"]["d"], 1.5);
    }

    #[test]
    fn rejects_duplicates_at_any_depth() {
        assert_eq!(
            parse_object(br#"{"a":1,"a":2}"#, 8),
            Err(JsonError::DuplicateMember("a".into()))
        );
        assert_eq!(
            parse_object(br#"{"x":{"k":1,"k":1}}"#, 8),
            Err(JsonError::DuplicateMember("k".into()))
        );
        // Escaped spellings of the same name are the same name.
        assert_eq!(
            parse_object(br#"{"alg":1,"\u0061lg":2}"#, 8),
            Err(JsonError::DuplicateMember("alg".into()))
        );
    }

    #[test]
    fn bounds_depth_without_recursing_far() {
        let deep = "[".repeat(100_000);
        assert_eq!(
            parse_value(deep.as_bytes(), 32),
            Err(JsonError::TooDeep(32))
        );
        assert!(parse_value(b"[[[1]]]", 3).is_ok());
        assert_eq!(parse_value(b"[[[[1]]]]", 3), Err(JsonError::TooDeep(3)));
    }

    #[test]
    fn rejects_non_objects_trailing_data_and_bad_text() {
        assert_eq!(parse_object(b"[1]", 8), Err(JsonError::NotAnObject));
        assert!(matches!(
            parse_object(b"{} {}", 8),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_object(b"{\"a\":1,}", 8),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_object(b"{\"a\":NaN}", 8),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_object(b"{\"a\":1e400}", 8),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_object(b"{\"a\":\"\xff\"}", 8),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_object(br#"{"a":"\ud800"}"#, 8),
            Err(JsonError::Syntax(_))
        ));
    }
}
