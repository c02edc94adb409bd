use super::*;
use crate::keycache::test_support::{completion, jwks, URL};

fn ok(body: Vec<u8>, headers: &[(&str, &str)]) -> Completion {
    completion(200, headers, body)
}

fn check_at(c: &Completion) -> Result<Good, String> {
    check(
        URL,
        c,
        0,
        &Timing::of(&Default::default()),
        &Limits::default(),
    )
}

#[test]
fn a_200_with_keys_is_good_and_fresh_from_its_headers() {
    let good = check_at(&ok(
        jwks(&["a", "b"]),
        &[("cache-control", "max-age=300"), ("age", "100")],
    ))
    .unwrap();
    assert_eq!(good.keys.keys().len(), 2);
    assert_eq!(good.fresh.fresh_for, 200_000);
    assert_eq!(good.fresh.digest, digest(&jwks(&["a", "b"])));
    assert_eq!(good.fresh.digest.len(), 64);
    assert_ne!(good.fresh.digest, digest(&jwks(&["a"])));
}

#[test]
fn error_pages_empty_sets_and_garbage_are_problems() {
    let e = check_at(&ok(b"<html>oops</html>".to_vec(), &[])).unwrap_err();
    assert!(e.contains("no usable key set"), "{e}");
    let e = check_at(&ok(br#"{"keys":[]}"#.to_vec(), &[])).unwrap_err();
    assert!(e.contains("no usable key"), "{e}");
    let e = check_at(&Completion::Response {
        status: 503,
        headers: Vec::new(),
        body: jwks(&["a"]),
    })
    .unwrap_err();
    assert!(e.contains("HTTP 503"), "{e}");
    assert_eq!(
        check_at(&Completion::Failed("refused".into())).unwrap_err(),
        "refused"
    );
}

#[test]
fn any_bytes_and_headers_never_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for len in 0..300 {
        let body: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let header = String::from_utf8_lossy(&body).into_owned();
        let c = ok(
            body.clone(),
            &[
                ("cache-control", &header),
                ("age", &header),
                ("expires", &header),
                ("date", &header),
            ],
        );
        let _ = check_at(&c);
    }
}
