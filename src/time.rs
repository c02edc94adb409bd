//! Time for people: UTC dates and "in 4 min" / "3 h ago", without a clock of our own.

/// Latest NumericDate accepted: 9999-12-31T23:59:59Z. Anything later is an error, not a date.
pub const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// `2026-11-22T21:47:49Z` for seconds since the epoch (proleptic Gregorian, UTC).
pub fn utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A span in the largest sensible unit: "45 s", "4 min", "3 h", "2 days", "5 years".
pub fn span(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    match s {
        0..=89 => format!("{s} s"),
        90..=5399 => format!("{} min", (s + 30) / 60),
        5400..=129_599 => format!("{} h", (s + 1800) / 3600),
        129_600..=63_071_999 => format!("{} days", (s + 43_200) / 86_400),
        _ => format!("{} years", (s + 15_768_000) / 31_536_000),
    }
}

/// "in 4 min" or "3 h ago", relative to `now`.
pub fn relative(at: i64, now: i64) -> String {
    let d = at.saturating_sub(now);
    if d == 0 {
        "now".to_owned()
    } else if d > 0 {
        format!("in {}", span(d))
    } else {
        format!("{} ago", span(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_795_391_269), "2026-11-22T23:47:49Z");
        assert_eq!(utc(MAX_NUMERIC_DATE), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn formats_spans() {
        assert_eq!(relative(1240, 1000), "in 4 min");
        assert_eq!(relative(1000, 1000 + 3 * 3600), "3 h ago");
        assert_eq!(relative(1000, 1030), "30 s ago");
        assert_eq!(span(2 * 86_400), "2 days");
    }
}
