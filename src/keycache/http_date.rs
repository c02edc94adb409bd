//! HTTP dates (RFC 9110 §5.6.7) as `Expires` and `Date` carry them: the IMF-fixdate form every
//! server sends today, `Sun, 06 Nov 1994 08:49:37 GMT`. The two obsolete forms are not read;
//! [`super::freshness`] takes an unreadable `Expires` as a time in the past, as RFC 9111 §5.3
//! asks.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the epoch, or `None` when `text` is not an IMF-fixdate.
pub fn parse(text: &str) -> Option<i64> {
    let t = text.trim();
    // "Sun, 06 Nov 1994 08:49:37 GMT": the day name is not checked against the date.
    let rest = t.get(5..)?;
    if t.as_bytes().get(3) != Some(&b',') || t.as_bytes().get(4) != Some(&b' ') {
        return None;
    }
    let mut parts = rest.split(' ');
    let (day, month, year, time, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || zone != "GMT" || day.len() != 2 || year.len() != 4 {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    // The core's reader of ISO 8601 moments checks the ranges (day of month, hour, …).
    crate::time::parse_moment(&format!("{year}-{month:02}-{day}T{time}Z"))
        .filter(|_| time.len() == 8)
}

#[cfg(test)]
#[path = "http_date_tests.rs"]
mod tests;
