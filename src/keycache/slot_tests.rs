use super::super::complete::{check, Good};
use super::super::response::Completion;
use super::*;
use crate::keycache::test_support::{jwks, timing, T0, URL};
use crate::limits::Limits;

fn fetched(body: Vec<u8>, max_age: u64, now: u64) -> Result<Good, String> {
    let c = Completion::Response {
        status: 200,
        headers: vec![("cache-control".into(), format!("max-age={max_age}"))],
        body,
    };
    check(URL, &c, now, &timing(), &Limits::default())
}

fn failed() -> Result<Good, String> {
    Err("connection refused".into())
}

#[test]
fn generation_changes_only_when_the_bytes_do() {
    let t = timing();
    let mut s = Slot::default();
    assert!(s.record(view(&fetched(jwks(&["a"]), 60, T0)), None, T0, &t));
    assert_eq!(s.generation, 1);
    assert!(
        !s.record(view(&fetched(jwks(&["a"]), 60, T0 + 1)), None, T0 + 1, &t),
        "same bytes"
    );
    assert_eq!(s.generation, 1);
    assert_eq!(s.fresh_until, T0 + 1 + 60_000, "but fresh again");
    assert!(
        !s.record(view(&failed()), None, T0 + 2, &t),
        "a failure keeps the generation"
    );
    assert_eq!(s.generation, 1);
    assert!(s.record(
        view(&fetched(jwks(&["a", "b"]), 60, T0 + 3)),
        None,
        T0 + 3,
        &t
    ));
    assert_eq!(s.generation, 2);
    assert_eq!(s.attempts, 4);
}

#[test]
fn failures_back_off_and_the_last_good_set_is_served_within_stale_for_only() {
    let t = timing();
    let mut s = Slot::default();
    assert_eq!(s.serving(T0), Serving::None, "never fetched");
    s.record(view(&fetched(jwks(&["k"]), 60, T0)), None, T0, &t);
    assert_eq!(s.serving(T0 + 59_999), Serving::Fresh);
    let due = T0 + 60_000;
    assert_eq!(s.serving(due), Serving::Stale);
    s.record(view(&failed()), None, due, &t);
    assert_eq!(
        (s.failures, s.next_attempt),
        (1, due + 1000),
        "back-off 1 s"
    );
    s.record(view(&failed()), None, due + 1000, &t);
    assert_eq!(
        (s.failures, s.next_attempt),
        (2, due + 3000),
        "back-off 2 s"
    );
    assert_eq!(s.last_error.as_deref(), Some("connection refused"));
    // 100 s of stale_for past freshness, and not a millisecond more.
    assert_eq!(s.serving(due + 99_999), Serving::Stale);
    assert_eq!(s.serving(due + 100_000), Serving::None);
    // A good fetch clears the failures.
    s.record(
        view(&fetched(jwks(&["k"]), 60, due + 3000)),
        None,
        due + 3000,
        &t,
    );
    assert_eq!(
        (s.failures, s.next_attempt, s.last_error.clone()),
        (0, 0, None)
    );
    assert_eq!(s.serving(due + 3000), Serving::Fresh);
}

#[test]
fn only_an_answered_unknown_kid_refetch_counts_for_its_schedule() {
    let t = timing();
    let mut s = Slot::default();
    s.record(view(&fetched(jwks(&["k"]), 3600, T0)), None, T0, &t);
    s.record(view(&failed()), Some(T0 + 5), T0 + 6, &t);
    assert_eq!(s.kid_refetches.streak, 0, "a failed refetch is not counted");
    s.record(
        view(&fetched(jwks(&["k"]), 3600, T0 + 2000)),
        Some(T0 + 1900),
        T0 + 2000,
        &t,
    );
    assert_eq!(
        (s.kid_refetches.streak, s.kid_refetches.last_ms),
        (1, T0 + 1900)
    );
}

#[test]
fn a_newer_copy_is_adopted_and_an_older_one_is_not() {
    let t = timing();
    let mut mine = Slot::default();
    mine.record(view(&fetched(jwks(&["a"]), 60, T0)), None, T0, &t);
    let mut theirs = mine.clone();
    theirs.record(
        view(&fetched(jwks(&["a", "b"]), 60, T0 + 10)),
        None,
        T0 + 10,
        &t,
    );
    let older = mine.clone();
    assert!(mine.adopt(&theirs));
    assert_eq!(mine.fetched_at, T0 + 10);
    assert!(
        mine.generation > older.generation,
        "new bytes: a new generation"
    );
    assert!(!mine.adopt(&older), "older bytes never replace newer ones");
    let same = Slot {
        fetched_at: T0 + 20,
        ..mine.clone()
    };
    let generation = mine.generation;
    assert!(mine.adopt(&same));
    assert_eq!(mine.generation, generation, "same bytes: same generation");
    assert!(!mine.adopt(&Slot::default()));
}

#[test]
fn a_slot_round_trips_as_json() {
    let t = timing();
    let mut s = Slot::default();
    s.record(view(&fetched(jwks(&["a"]), 60, T0)), Some(T0), T0, &t);
    s.record(view(&failed()), None, T0 + 1, &t);
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<Slot>(&json).unwrap(), s);
    assert_eq!(serde_json::from_str::<Slot>("{}").unwrap(), Slot::default());
}

/// A fetch's result as the slot takes it.
fn view(r: &Result<crate::keycache::Good, String>) -> Result<&crate::keycache::Fresh, &str> {
    r.as_ref().map(|g| &g.fresh).map_err(String::as_str)
}
