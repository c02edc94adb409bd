use super::*;

#[test]
fn https_is_fetched_and_split() {
    let p = check("HTTPS://[::1]:8443?x=1", false).unwrap();
    assert_eq!(
        (p.scheme.as_str(), p.host.as_str(), p.path.as_str()),
        ("https", "[::1]", "/?x=1")
    );
    let p = check("https://as.example/jwks?v=2", false).unwrap();
    assert_eq!(
        (p.authority.as_str(), p.path.as_str()),
        ("as.example", "/jwks?v=2")
    );
    assert_eq!(check("https://a.example", false).unwrap().path, "/");
}

#[test]
fn http_is_refused_unless_loopback_and_opted_in() {
    for url in [
        "http://127.0.0.1:9/k",
        "http://localhost/k",
        "http://[::1]:8/x",
        "http://127.1.2.3/k",
    ] {
        let e = check(url, false).unwrap_err();
        assert_eq!(e.code(), "key_set_url_plain_http", "{url}");
        assert!(e.to_string().contains("plain http"), "{e}");
        assert_eq!(check(url, true).unwrap().scheme, "http", "{url}");
    }
    for url in [
        "http://10.0.0.1/k",
        "http://example.com/jwks",
        "http://127.0.0.1.evil.example/k",
        "ftp://127.0.0.1/jwks",
    ] {
        let e = check(url, true).unwrap_err();
        assert_eq!(e.code(), "key_set_url_not_https", "{url}");
        assert!(e.to_string().contains("https"), "{e}");
    }
}

#[test]
fn malformed_urls_are_refused() {
    for bad in [
        "a.example/jwks",
        "not a url",
        "https:///jwks",
        "https://u:p@a/jwks",
        "https://a/jwks#x",
        "https://[::1/jwks",
        "https://a b/jwks",
        "https://a/j\nwks",
        "://a/jwks",
        "https://:443/jwks",
    ] {
        let e = check(bad, true).unwrap_err();
        assert_eq!(e.code(), "key_set_url_malformed", "{bad}");
    }
    assert!(is_loopback("127.0.0.1") && is_loopback("127.1.2.3") && is_loopback("[::1]"));
    assert!(!is_loopback("127.0.0.1.evil.example") && !is_loopback("128.0.0.1"));
    assert!(!is_loopback("127.0.0.256"));
}
