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

/// Read a moment as people and hosts write it: seconds since the epoch (`1795000000`), or an
/// ISO 8601 / RFC 3339 UTC date and time (`2026-11-02T09:30:00Z`, `2026-11-02T10:30:00+01:00`,
/// `2026-11-02 09:30`, `2026-11-02`); without a zone it is UTC. Fractions of a second are
/// dropped. `None` for anything else, or a year outside 1970–9999.
pub fn parse_moment(text: &str) -> Option<i64> {
    let t = text.trim();
    if !t.is_empty() && t.len() <= 12 && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok();
    }
    let b = t.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = t.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let mut at = 10;
    let (mut hh, mut mm, mut ss) = (0, 0, 0);
    if matches!(b.get(at), Some(b'T' | b't' | b' ')) {
        hh = num(at + 1, 2)?;
        if b.get(at + 3) != Some(&b':') {
            return None;
        }
        mm = num(at + 4, 2)?;
        at += 6;
        if b.get(at) == Some(&b':') {
            ss = num(at + 1, 2)?;
            at += 3;
            if b.get(at) == Some(&b'.') {
                at += 1;
                while b.get(at).is_some_and(u8::is_ascii_digit) {
                    at += 1;
                }
            }
        }
    }
    let offset = match &t[at..] {
        "" | "Z" | "z" => 0,
        zone => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let (oh, om): (i64, i64) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if !(1970..=9999).contains(&y) || d < 1 || d > days_in_month || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let seconds = days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss.min(59) - offset;
    (0..=MAX_NUMERIC_DATE).contains(&seconds).then_some(seconds)
}

/// Howard Hinnant's civil-to-days algorithm (the inverse of [`civil_from_days`]).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_moments() {
        assert_eq!(parse_moment("1795000000"), Some(1_795_000_000));
        assert_eq!(parse_moment("2026-11-22T23:47:49Z"), Some(1_795_391_269));
        assert_eq!(
            parse_moment("2026-11-22T23:47:49.250Z"),
            Some(1_795_391_269)
        );
        assert_eq!(
            parse_moment("2026-11-23T00:47:49+01:00"),
            Some(1_795_391_269)
        );
        assert_eq!(
            parse_moment("2026-11-22T18:47:49-0500"),
            Some(1_795_391_269)
        );
        assert_eq!(parse_moment("2026-11-22 23:47:49"), Some(1_795_391_269));
        assert_eq!(parse_moment("2026-11-22T23:47"), Some(1_795_391_220));
        assert_eq!(parse_moment("2000-02-29"), Some(951_782_400));
        assert_eq!(parse_moment("9999-12-31T23:59:59Z"), Some(MAX_NUMERIC_DATE));
        for bad in [
            "",
            "yesterday",
            "2026-02-30",
            "2026-13-01",
            "2026-11-22T24:00",
            "2026-11-22T23",
            "2026-11-22Tx",
            "2026/11/22",
            "2026-11-22T23:47:49+25:00",
            "1969-12-31",
            "-5",
            "2026-11-22T23:47:49ZZ",
            "١٩٧٠-01-01",
        ] {
            assert_eq!(parse_moment(bad), None, "{bad}");
        }
    }

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
