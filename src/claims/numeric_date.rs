//! NumericDate (RFC 7519 §2): a JSON number of seconds since the epoch, fractions allowed.

use crate::time::MAX_NUMERIC_DATE;
use serde_json::Value;

/// Read a NumericDate as whole seconds (fractions truncated). The error completes the sentence
/// "The claim … ".
pub fn read(value: &Value) -> Result<i64, String> {
    let n = match value {
        Value::Number(n) => n,
        Value::String(_) => {
            return Err("is a string; a NumericDate is a JSON number of seconds since 1970".into())
        }
        _ => {
            return Err(
                "is not a number; a NumericDate is a JSON number of seconds since 1970".into(),
            )
        }
    };
    let seconds = if let Some(i) = n.as_i64() {
        i
    } else if let Some(f) = n.as_f64() {
        if f < 0.0 {
            return Err("is negative".into());
        }
        if !f.is_finite() || f > MAX_NUMERIC_DATE as f64 {
            i64::MAX // reported below as out of range
        } else {
            f.trunc() as i64
        }
    } else {
        i64::MAX
    };
    if seconds < 0 {
        return Err("is negative".into());
    }
    if seconds > MAX_NUMERIC_DATE {
        let hint = if (1_000_000_000_000..100_000_000_000_000).contains(&seconds)
            || n.as_f64().is_some_and(|f| (1e12..1e14).contains(&f))
        {
            " (it looks like milliseconds; NumericDate is in seconds)"
        } else {
            ""
        };
        return Err(format!("is beyond the year 9999{hint}"));
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_integers_and_fractions() {
        assert_eq!(read(&json!(1_700_000_000)), Ok(1_700_000_000));
        assert_eq!(read(&json!(1_700_000_000.75)), Ok(1_700_000_000));
        assert_eq!(read(&json!(0)), Ok(0));
    }

    #[test]
    fn rejects_the_rest() {
        assert!(read(&json!("1700000000")).unwrap_err().contains("string"));
        assert!(read(&json!(-1)).unwrap_err().contains("negative"));
        assert!(read(&json!(-0.5)).is_err());
        assert!(read(&json!(1e300)).unwrap_err().contains("9999"));
        assert!(read(&json!(u64::MAX)).is_err());
        assert!(read(&json!(1_700_000_000_000u64))
            .unwrap_err()
            .contains("milliseconds"));
        assert!(read(&json!(null)).is_err());
        assert!(read(&json!(true)).is_err());
    }
}
