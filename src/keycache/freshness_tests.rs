use super::*;
use crate::keycache::test_support::completion;

fn response(headers: &[(&str, &str)]) -> Completion {
    completion(200, headers, Vec::new())
}

fn timing(refresh_interval: Option<u64>) -> Timing {
    Timing::new(
        &KeyCache::default(),
        &EnvoySettings {
            refresh_interval,
            ..EnvoySettings::default()
        },
    )
}

/// Sun, 06 Nov 1994 08:49:37 GMT, in milliseconds.
const DATE_MS: u64 = 784_111_777_000;

#[test]
fn freshness_stays_within_the_policy() {
    let t = timing(None);
    assert_eq!(t.fresh_for(None, None), 600_000);
    assert_eq!(t.fresh_for(Some("max-age=3600"), None), 3_600_000);
    assert_eq!(t.fresh_for(Some("max-age=3600"), Some("600")), 3_000_000);
    assert_eq!(t.fresh_for(Some("max-age=1"), None), 30_000, "min_max_age");
    assert_eq!(
        t.fresh_for(Some("max-age=9999999"), None),
        86_400_000,
        "max_max_age"
    );
    assert_eq!(
        t.fresh_for(Some("no-store"), None),
        30_000,
        "as short as allowed"
    );
    let capped = timing(Some(60));
    assert_eq!(capped.fresh_for(Some("max-age=3600"), None), 60_000);
    assert_eq!(capped.fresh_for(None, None), 60_000);
}

#[test]
fn freshness_from_response_headers() {
    let t = timing(None);
    let now = DATE_MS + 10_000;
    let fresh = |h: &[(&str, &str)]| t.fresh_for_response(&response(h), now);
    assert_eq!(fresh(&[]), 600_000, "no header: the default");
    assert_eq!(
        fresh(&[("Cache-Control", "max-age=3600"), ("Age", "600")]),
        3_000_000
    );
    // Expires counts from the response's Date…
    let date = ("Date", "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(
        fresh(&[date, ("Expires", "Sun, 06 Nov 1994 09:49:37 GMT")]),
        3_600_000
    );
    // …or from now without one.
    assert_eq!(
        fresh(&[("Expires", "Sun, 06 Nov 1994 09:49:37 GMT")]),
        3_590_000
    );
    // max-age wins over Expires; no-cache too.
    assert_eq!(
        fresh(&[
            ("cache-control", "max-age=120"),
            ("expires", "Sun, 06 Nov 1994 09:49:37 GMT")
        ]),
        120_000
    );
    assert_eq!(
        fresh(&[
            ("cache-control", "no-cache"),
            ("expires", "Sun, 06 Nov 1994 09:49:37 GMT")
        ]),
        30_000
    );
    // An Expires in the past, or unreadable ("0"), is stale at once: the shortest allowed.
    assert_eq!(
        fresh(&[date, ("Expires", "Sun, 06 Nov 1994 07:49:37 GMT")]),
        30_000
    );
    assert_eq!(fresh(&[("Expires", "0")]), 30_000);
    // Bounded like max-age.
    assert_eq!(
        fresh(&[date, ("Expires", "Sun, 06 Nov 2094 09:49:37 GMT")]),
        86_400_000
    );
    assert_eq!(
        timing(Some(60)).fresh_for_response(
            &response(&[("Expires", "Sun, 06 Nov 2094 09:49:37 GMT")]),
            now
        ),
        60_000
    );
}
