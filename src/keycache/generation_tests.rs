use super::*;

#[test]
fn nothing_served_is_zero_and_any_change_moves_it() {
    assert_eq!(combine([]), 0);
    assert_eq!(combine([("https://a/jwks", 0)]), 0);
    let one = combine([("https://a/jwks", 1)]);
    assert_ne!(one, 0);
    assert_eq!(one, combine([("https://a/jwks", 1)]), "stable");
    assert_ne!(one, combine([("https://a/jwks", 2)]), "a new generation");
    assert_ne!(one, combine([("https://b/jwks", 1)]), "another set");
    let both = combine([("https://a/jwks", 1), ("https://b/jwks", 1)]);
    assert_ne!(both, one);
    assert_ne!(
        both,
        combine([("https://a/jwks", 1), ("https://b/jwks", 2)])
    );
    assert_ne!(
        both,
        combine([("https://a/jwks", 1), ("https://b/jwks", 0)]),
        "one not served"
    );
    // Names are delimited: ("ab", 1) is not ("a", …) followed by "b".
    assert_ne!(combine([("ab", 1)]), combine([("a", 1), ("b", 1)]));
    assert!(both < 1 << 53, "exact in a JS number");
}
