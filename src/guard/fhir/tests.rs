use super::*;
use crate::policy::hosts::RequestRules;

fn rules() -> RequestRules {
    RequestRules::default()
}

fn classify_with(req: &Request, ops: &[FhirOperation]) -> FhirTarget {
    let rules = rules();
    classify(
        "/fhir",
        req,
        Context {
            rules: &rules,
            operations: ops,
            max_json_depth: 32,
        },
    )
}

fn target(m: &str, p: &str) -> FhirTarget {
    classify_with(&Request::new(m, p, vec![]), &[])
}

fn read(m: &str, p: &str) -> FhirRequest {
    match target(m, p) {
        FhirTarget::Access(r) => r,
        other => panic!("{m} {p}: {other:?}"),
    }
}

/// (permission letter, resource type, confined patient) of one check.
type CheckSummary = (char, String, Option<String>);

fn summary(r: &FhirRequest) -> (&'static str, Vec<CheckSummary>) {
    (
        r.interaction,
        r.checks
            .iter()
            .map(|c| {
                (
                    c.interaction.letter(),
                    c.resource_type.clone(),
                    c.patient.clone(),
                )
            })
            .collect(),
    )
}

fn one(letter: char, t: &str, p: Option<&str>) -> (char, String, Option<String>) {
    (letter, t.to_owned(), p.map(str::to_owned))
}

#[test]
fn every_interaction_is_named() {
    for (m, p, name) in [
        ("GET", "/fhir/Patient/A", "read"),
        ("HEAD", "/fhir/Patient/A", "read"),
        ("GET", "/fhir/Patient/A/_history/2", "vread"),
        ("GET", "/fhir/Patient/A/_history", "history-instance"),
        ("GET", "/fhir/Patient/_history", "history-type"),
        ("GET", "/fhir/_history", "history-system"),
        ("GET", "/fhir/Observation?patient=A", "search-type"),
        ("POST", "/fhir/Observation/_search", "search-type"),
        ("GET", "/fhir/Patient/A/Observation", "search-compartment"),
        ("GET", "/fhir?_id=x", "search-system"),
        ("POST", "/fhir/Observation", "create"),
        ("PUT", "/fhir/Observation/1", "update"),
        ("PATCH", "/fhir/Observation/1", "patch"),
        ("DELETE", "/fhir/Observation/1", "delete"),
        (
            "PUT",
            "/fhir/Observation?identifier=x",
            "conditional-update",
        ),
        (
            "PATCH",
            "/fhir/Observation?identifier=x",
            "conditional-patch",
        ),
        (
            "DELETE",
            "/fhir/Observation?identifier=x",
            "conditional-delete",
        ),
    ] {
        assert_eq!(read(m, p).interaction, name, "{m} {p}");
    }
    assert_eq!(target("GET", "/fhir/metadata"), FhirTarget::Public);
    assert_eq!(
        target("GET", "/fhir/.well-known/smart-configuration"),
        FhirTarget::Public
    );
}

#[test]
fn history_at_type_level_names_no_patient_whatever_its_parameters() {
    for p in [
        "/fhir/Observation/_history?patient=A",
        "/fhir/Patient/_history?_id=A",
        "/fhir/_history?patient=A",
    ] {
        let r = read("GET", p);
        assert!(r.checks.iter().all(|c| c.patient.is_none()), "{p}");
        assert!(r.checks[0].note.is_some(), "{p}");
    }
    assert_eq!(
        summary(&read("GET", "/fhir/Patient/A/_history")).1,
        vec![one('r', "Patient", Some("A"))]
    );
}

#[test]
fn searches_are_confined_only_by_one_understood_compartment_link() {
    let patient = |p: &str| read("GET", p).checks[0].patient.clone();
    assert_eq!(patient("/fhir/Observation?patient=A"), Some("A".into()));
    assert_eq!(
        patient("/fhir/Observation?patient=Patient/A"),
        Some("A".into())
    );
    assert_eq!(
        patient("/fhir/Observation?subject=Patient/A"),
        Some("A".into())
    );
    assert_eq!(
        patient("/fhir/Observation?subject:Patient=A"),
        Some("A".into())
    );
    assert_eq!(patient("/fhir/Patient?_id=A"), Some("A".into()));
    assert_eq!(
        patient("/fhir/Observation?patient=A&subject=Patient/A&category=laboratory&_count=10"),
        Some("A".into())
    );
    assert_eq!(
        patient("/fhir/Patient/A/Observation?code=x"),
        Some("A".into())
    );
    for p in [
        "/fhir/Observation?patient=A&patient=B",
        "/fhir/Observation?patient=A&patient=A",
        "/fhir/Observation?patient=A,B",
        "/fhir/Observation?patient=A%2CB",
        "/fhir/Observation?patient=A&subject=Patient/B",
        "/fhir/Observation?subject=A",
        "/fhir/Observation?patient=http://x/fhir/Patient/A",
        "/fhir/Observation?patient:missing=false",
        "/fhir/Observation?patient=A&_filter=subject%20eq%20B",
        "/fhir/Observation?patient=A&_query=everything",
        "/fhir/Observation?patient=A&_has:Group:member:_id=g",
        "/fhir/Observation?patient=A&subject.name=x",
        "/fhir/Observation?patient=A&_cascade=delete",
        "/fhir/Observation?patient=A&unknown=1",
        "/fhir/Observation?patient=A&code:weird=1",
        "/fhir/Observation?patient=A&_count=1&_count=1000",
        "/fhir/Practitioner?patient=A",
        "/fhir/Patient?patient=A",
        "/fhir/Patient/A/Observation?patient=B",
        "/fhir/Encounter/e1/Observation",
    ] {
        assert_eq!(patient(p), None, "{p}");
    }
}

#[test]
fn includes_stay_in_the_compartment_only_through_the_confining_single_link() {
    let pulled = |p: &str| summary(&read("GET", p)).1[1..].to_vec();
    assert_eq!(
        pulled("/fhir/Observation?patient=A&_include=Observation:patient"),
        vec![one('s', "Patient", Some("A"))]
    );
    assert_eq!(
        pulled("/fhir/Observation?patient=A&_include=Observation:subject:Patient"),
        vec![one('s', "Patient", Some("A"))]
    );
    assert_eq!(
        pulled("/fhir/Patient?_id=A&_revinclude=Observation:subject"),
        vec![one('s', "Observation", Some("A"))]
    );
    // `patient` follows the same element as the compartment parameter `subject`.
    assert_eq!(
        pulled("/fhir/Patient?_id=A&_revinclude=Observation:patient"),
        vec![one('s', "Observation", Some("A"))]
    );
    for (p, t) in [
        (
            "/fhir/Observation?patient=A&_include=Observation:focus",
            "*",
        ),
        (
            "/fhir/Observation?patient=A&_include=Observation:performer",
            "*",
        ),
        ("/fhir/Observation?patient=A&_include=*", "*"),
        (
            "/fhir/Observation?patient=A&_include:iterate=Patient:link",
            "*",
        ),
        (
            "/fhir/Observation?patient=A&_include:iterate=Observation:patient",
            "*",
        ),
        (
            "/fhir/Patient?_id=A&_include=Patient:link:Patient",
            "Patient",
        ),
        (
            "/fhir/Patient?_id=A&_revinclude=Observation:focus",
            "Observation",
        ),
        ("/fhir/Patient?_id=A&_revinclude=Patient:_id", "Patient"),
        (
            "/fhir/Patient?_id=A&_revinclude:iterate=Observation:subject",
            "Observation",
        ),
        (
            "/fhir/Encounter?patient=A&_revinclude=Observation:encounter",
            "Observation",
        ),
    ] {
        assert_eq!(pulled(p), vec![one('s', t, None)], "{p}");
    }
}

#[test]
fn conditional_interactions_also_need_the_search_they_run() {
    let r = read("PUT", "/fhir/Observation?patient=A&identifier=x");
    assert_eq!(
        summary(&r).1,
        vec![
            one('u', "Observation", None),
            one('s', "Observation", Some("A"))
        ]
    );
    let r = read("DELETE", "/fhir/Observation?identifier=x");
    assert_eq!(
        summary(&r).1,
        vec![one('d', "Observation", None), one('s', "Observation", None)]
    );
    let req = Request::new(
        "POST",
        "/fhir/Observation",
        vec![("If-None-Exist".into(), "identifier=x".into())],
    );
    let FhirTarget::Access(r) = classify_with(&req, &[]) else {
        panic!()
    };
    assert_eq!(r.interaction, "conditional-create");
    assert_eq!(
        summary(&r).1,
        vec![one('c', "Observation", None), one('s', "Observation", None)]
    );
    assert!(matches!(
        target("PUT", "/fhir/Observation"),
        FhirTarget::Refused(Refused {
            rule: "fhir.missing-id",
            ..
        })
    ));
}

fn with_body(method: &str, path: &str, content_type: &str, body: &str) -> FhirTarget {
    let mut req = Request::new(
        method,
        path,
        vec![("content-type".into(), content_type.into())],
    );
    req.body = Some(body.to_owned());
    classify_with(&req, &[])
}

#[test]
fn form_search_bodies_are_read_like_queries() {
    let FhirTarget::Access(r) = with_body(
        "POST",
        "/fhir/Observation/_search",
        "application/x-www-form-urlencoded",
        "patient=A&_include=Observation:focus",
    ) else {
        panic!()
    };
    assert_eq!(r.checks[0].patient.as_deref(), Some("A"));
    assert_eq!(r.checks[1].resource_type, "*");
    let FhirTarget::Access(r) = with_body(
        "POST",
        "/fhir/Observation/_search?patient=A",
        "application/x-www-form-urlencoded",
        "patient=B",
    ) else {
        panic!()
    };
    assert_eq!(
        r.checks[0].patient, None,
        "query and body together name two patients"
    );
    for (ct, body, rule) in [
        ("application/json", "{}", "fhir.search-body-type"),
        (
            "application/x-www-form-urlencoded",
            "a=1;b=2",
            "query.semicolon",
        ),
        (
            "application/x-www-form-urlencoded",
            "a=%zz",
            "query.bad-escape",
        ),
    ] {
        match with_body("POST", "/fhir/Observation/_search", ct, body) {
            FhirTarget::Refused(r) => assert_eq!(r.rule, rule, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    let mut unread = Request::new(
        "POST",
        "/fhir/Observation/_search",
        vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
    );
    unread.body = None;
    assert!(matches!(
        classify_with(&unread, &[]),
        FhirTarget::Refused(Refused {
            rule: "fhir.body-unread",
            ..
        })
    ));
}

#[test]
fn bodies_on_reads_are_refused() {
    let req = Request::new(
        "GET",
        "/fhir/Patient/A",
        vec![("content-length".into(), "12".into())],
    );
    assert!(matches!(
        classify_with(&req, &[]),
        FhirTarget::Refused(Refused {
            rule: "fhir.unexpected-body",
            ..
        })
    ));
}

#[test]
fn bundles_are_read_entry_by_entry() {
    let bundle = r#"{"resourceType":"Bundle","type":"batch","entry":[
        {"request":{"method":"GET","url":"Patient/A"}},
        {"request":{"method":"GET","url":"Observation?patient=B"}},
        {"request":{"method":"POST","url":"Observation","ifNoneExist":"identifier=x"}}]}"#;
    let FhirTarget::Access(r) = with_body("POST", "/fhir", "application/fhir+json", bundle) else {
        panic!()
    };
    assert_eq!(r.interaction, "batch");
    assert_eq!(
        summary(&r).1,
        vec![
            one('r', "Patient", Some("A")),
            one('s', "Observation", Some("B")),
            one('c', "Observation", None),
            one('s', "Observation", None),
        ]
    );
    assert!(r.checks[1]
        .note
        .as_deref()
        .is_some_and(|n| n.starts_with("Bundle entry 2 (GET Observation?patient=B)")));
    for (body, rule) in [
        (
            r#"{"resourceType":"Bundle","type":"searchset"}"#,
            "fhir.bundle-type",
        ),
        (r#"{"resourceType":"Patient"}"#, "fhir.base-post"),
        (
            r#"{"resourceType":"Bundle","type":"batch","type":"transaction"}"#,
            "fhir.bundle-json",
        ),
        (
            r#"{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/B/../A"}}]}"#,
            "fhir.bundle-entry-url",
        ),
        (
            r#"{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"/Patient/A"}}]}"#,
            "fhir.bundle-entry-url",
        ),
        (
            r#"{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"http://x/Patient/A"}}]}"#,
            "fhir.bundle-entry-url",
        ),
        (
            r#"{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"$export"}}]}"#,
            "fhir.operation-not-allowed",
        ),
        (
            r#"{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET"}}]}"#,
            "fhir.bundle-entry",
        ),
        (
            r#"{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"POST","url":"Observation/_search"}}]}"#,
            "fhir.bundle-entry",
        ),
    ] {
        match with_body("POST", "/fhir", "application/fhir+json", body) {
            FhirTarget::Refused(r) => assert_eq!(r.rule, rule, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    match with_body("POST", "/fhir", "application/fhir+xml", "<Bundle/>") {
        FhirTarget::Refused(r) => assert_eq!(r.rule, "fhir.bundle-format"),
        other => panic!("{other:?}"),
    }
    let many = format!(
        r#"{{"resourceType":"Bundle","type":"batch","entry":[{}]}}"#,
        vec![r#"{"request":{"method":"GET","url":"Patient/A"}}"#; 101].join(",")
    );
    match with_body("POST", "/fhir", "application/fhir+json", &many) {
        FhirTarget::Refused(r) => assert_eq!(r.rule, "fhir.bundle-too-large"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn operations_need_the_allow_list() {
    assert!(matches!(
        target("GET", "/fhir/Patient/A/$everything"),
        FhirTarget::Refused(Refused {
            rule: "fhir.operation-not-allowed",
            ..
        })
    ));
    assert!(matches!(
        target("GET", "/fhir/$export"),
        FhirTarget::Refused(Refused {
            rule: "fhir.operation-not-allowed",
            ..
        })
    ));
    let ops = [FhirOperation {
        name: "$everything".into(),
        resource_type: Some("Patient".into()),
        instance: true,
        interaction: Interaction::Search,
        grant_type: "*".into(),
        params: vec!["_since".into()],
    }];
    let FhirTarget::Access(r) = classify_with(
        &Request::new("GET", "/fhir/Patient/A/$everything?_since=2020", vec![]),
        &ops,
    ) else {
        panic!()
    };
    assert_eq!(summary(&r), ("operation", vec![one('s', "*", Some("A"))]));
    let FhirTarget::Access(r) = classify_with(
        &Request::new("GET", "/fhir/Patient/A/$everything?_type=Group", vec![]),
        &ops,
    ) else {
        panic!()
    };
    assert_eq!(r.checks[0].patient, None);
}

#[test]
fn what_is_not_fhir_is_refused() {
    for (m, p, rule) in [
        ("POST", "/fhir/Patient/A", "fhir.unknown-interaction"),
        ("GET", "/fhir/patient/1", "fhir.unknown-type"),
        ("GET", "/fhir/Observation/_search", "fhir.invalid-id"),
        ("GET", "/fhir/Patient/A%3Bx", "fhir.invalid-id"),
        ("PUT", "/fhir", "fhir.base-method"),
        ("OPTIONS", "/fhir/Patient/A", "fhir.unknown-interaction"),
    ] {
        match target(m, p) {
            FhirTarget::Refused(r) => assert_eq!(r.rule, rule, "{m} {p}"),
            other => panic!("{m} {p}: {other:?}"),
        }
    }
}

#[test]
fn paging_links_keep_the_search_they_page() {
    // A next link repeats the search with `_count` and `_offset`: as confined as the search.
    let r = read("GET", "/fhir/Observation?patient=A&_count=10&_offset=10");
    assert_eq!(summary(&r).1, vec![one('s', "Observation", Some("A"))]);
    // A server's own paging token names no search the guard can read.
    for p in [
        "/fhir?_getpages=abc&_getpagesoffset=10",
        "/fhir/Observation?patient=A&_getpages=abc",
        "/fhir/Observation?patient=A&_offset=1&_offset=2",
    ] {
        let r = read("GET", p);
        assert!(r.checks[0].patient.is_none(), "{p}");
    }
}
