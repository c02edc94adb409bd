use super::*;
use crate::keycache::complete::check;
use crate::keycache::response::Completion;
use crate::keycache::test_support::{timing, T0};
use crate::limits::Limits;

/// A slot holding one good fetch at `T0`, fresh for an hour.
fn holding() -> Slot {
    let body = br#"{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}]}"#;
    let c = Completion::Response {
        status: 200,
        headers: vec![("cache-control".into(), "max-age=3600".into())],
        body: body.to_vec(),
    };
    let good = check(
        "https://as.example/jwks",
        &c,
        T0,
        &timing(),
        &Limits::default(),
    );
    let mut s = Slot::default();
    s.record(view(&good), None, T0, &timing());
    s
}

#[test]
fn missing_then_scheduled_then_nothing_inside_the_back_off() {
    let t = timing();
    assert_eq!(Slot::default().due(T0, false, &t), Some(FetchWhy::Missing));
    let mut s = holding();
    assert_eq!(s.due(T0 + 1, false, &t), None, "fresh");
    assert_eq!(s.due(T0 + 3_600_000, false, &t), Some(FetchWhy::Scheduled));
    s.record(view(&Err("down".into())), None, T0 + 3_600_000, &t);
    assert_eq!(s.due(T0 + 3_600_999, false, &t), None, "back-off 1 s");
    assert_eq!(s.due(T0 + 3_601_000, false, &t), Some(FetchWhy::Scheduled));
}

#[test]
fn unknown_kid_refetches_keep_their_cooldown() {
    let t = timing();
    let mut s = holding();
    // A kid published just after the first (scheduled) fetch is fetched on first use.
    assert_eq!(s.due(T0 + 1000, true, &t), Some(FetchWhy::UnknownKid));
    s.record(view(&Ok(good_again())), Some(T0 + 1000), T0 + 1010, &t);
    // The next waits 1 s from that refetch's start, then 2 s.
    assert!(!s.kid_refetch_allowed(T0 + 1999, &t));
    assert_eq!(s.due(T0 + 1999, true, &t), None);
    assert_eq!(s.due(T0 + 2000, true, &t), Some(FetchWhy::UnknownKid));
    s.record(view(&Ok(good_again())), Some(T0 + 2000), T0 + 2010, &t);
    assert_eq!(s.due(T0 + 3999, true, &t), None);
    assert_eq!(s.due(T0 + 4000, true, &t), Some(FetchWhy::UnknownKid));
    // A flood of unknown kids: the wait grows to one refetch per cooldown, no more often.
    let mut at = T0 + 4000;
    let mut gaps = Vec::new();
    for _ in 0..6 {
        s.record(view(&Ok(good_again())), Some(at), at, &t);
        let next = t.cache.kid_refetch_at(s.kid_refetches);
        assert_eq!(s.due(next - 1, true, &t), None);
        assert_eq!(s.due(next, true, &t), Some(FetchWhy::UnknownKid));
        gaps.push(next - at);
        at = next;
    }
    assert_eq!(gaps, [4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    // Inside the failure back-off, no unknown-kid refetch either.
    let mut down = holding();
    down.record(view(&Err("down".into())), Some(T0 + 10), T0 + 10, &t);
    assert!(!down.kid_refetch_allowed(T0 + 500, &t));
    assert_eq!(down.due(T0 + 1010, true, &t), Some(FetchWhy::UnknownKid));
}

fn good_again() -> crate::keycache::Good {
    let body = br#"{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}]}"#;
    let c = Completion::Response {
        status: 200,
        headers: vec![("cache-control".into(), "max-age=3600".into())],
        body: body.to_vec(),
    };
    check(
        "https://as.example/jwks",
        &c,
        T0,
        &timing(),
        &Limits::default(),
    )
    .unwrap()
}

/// A fetch's result as the slot takes it.
fn view(r: &Result<crate::keycache::Good, String>) -> Result<&crate::keycache::Fresh, &str> {
    r.as_ref().map(|g| &g.fresh).map_err(String::as_str)
}
