use super::*;
use crate::keycache::test_support::completion;

fn response(status: u16, body: &[u8]) -> Completion {
    completion(
        status,
        &[("Cache-Control", "max-age=60"), ("age", "5")],
        body.to_vec(),
    )
}

#[test]
fn headers_are_read_case_insensitively() {
    let r = response(200, b"{}");
    assert_eq!(r.header("cache-control"), Some("max-age=60"));
    assert_eq!(r.header("AGE"), Some("5"));
    assert_eq!(r.header("expires"), None);
    assert_eq!(Completion::Failed("x".into()).header("age"), None);
}

#[test]
fn only_a_200_has_a_body_worth_reading() {
    const URL: &str = "https://as.example/jwks";
    assert_eq!(response(200, b"{}").ok_body(URL), Ok(&b"{}"[..]));
    let e = response(503, b"").ok_body(URL).unwrap_err();
    assert!(e.contains("the key server answered HTTP 503"), "{e}");
    let e = response(302, b"").ok_body(URL).unwrap_err();
    assert!(e.contains("HTTP 302 (redirects are not followed)"), "{e}");
    let e = response(504, b"upstream request timeout")
        .ok_body(URL)
        .unwrap_err();
    assert!(
        e.contains("Envoy replied 504 itself, the call timed out"),
        "{e}"
    );
    let e = Completion::Failed("connection refused".into())
        .ok_body(URL)
        .unwrap_err();
    assert_eq!(e, "connection refused");
    // Any bytes: never a panic (a body cut inside a UTF-8 sequence included).
    let e = response(500, &[0xe2; 300]).ok_body(URL).unwrap_err();
    assert!(e.contains("500"));
}
