use super::*;
use crate::limits::Limits;

fn set(kids: &[&str]) -> KeySet {
    let keys: Vec<String> = kids
        .iter()
        .map(|k| format!(r#"{{"kty":"oct","kid":"{k}","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}}"#))
        .collect();
    KeySet::parse(
        format!(r#"{{"keys":[{}]}}"#, keys.join(",")).as_bytes(),
        &Limits::default(),
    )
    .unwrap()
}

fn kids(s: &KeySet) -> Vec<String> {
    s.keys().iter().filter_map(|k| k.kid.clone()).collect()
}

#[test]
fn two_sets_of_one_issuer_are_offered_as_one() {
    let (a, b) = (set(&["a1", "a2"]), set(&["b1"]));
    let down = KeySet::unavailable("https://c/jwks", "refused");
    let all = union(&[&a, &b, &down]);
    assert_eq!(kids(&all), ["a1", "a2", "b1"], "in plan order");
    assert_eq!(
        all.unavailable_sources().len(),
        1,
        "the failed source is still named"
    );
    assert!(matches!(union(&[&a]), Cow::Borrowed(_)), "one set: no copy");
    assert!(union(&[]).is_empty());
}
