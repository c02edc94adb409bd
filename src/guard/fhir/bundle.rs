//! Batch and transaction Bundles (`POST [base]`): each entry is its own request and must be
//! granted on its own (SMART App Launch 2.2); one entry the guard refuses or cannot read refuses
//! the whole Bundle. Entries' URLs must already be canonical, since the guard forwards the body
//! as it was sent.

use super::{refused, Check, Context, FhirTarget, Parts};
use crate::guard::canonical::{canonical, LineLimits};
use crate::guard::request::{parse_form, percent_decode, Request};
use serde_json::Value;

/// Read the Bundle in `req`'s body.
pub fn read(req: &Request, cx: Context<'_>) -> FhirTarget {
    let content_type = req.header_values("content-type").next().unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/fhir+json")
        && !media.eq_ignore_ascii_case("application/json")
    {
        return refused(
            "batch",
            "fhir.bundle-format",
            format!("A POST to the FHIR base must carry a JSON Bundle (application/fhir+json); the guard does not read \"{media}\"."),
            400,
        );
    }
    let Some(body) = req.body.as_deref() else {
        return refused(
            "batch",
            "fhir.body-unread",
            "The host did not pass the Bundle to the guard, so its entries cannot be read.",
            400,
        );
    };
    let bundle = match crate::json::parse_object(body.as_bytes(), cx.max_json_depth) {
        Ok(b) => b,
        Err(e) => {
            return refused(
                "batch",
                "fhir.bundle-json",
                format!("The Bundle is not JSON the guard reads one way: {e}."),
                400,
            )
        }
    };
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return refused(
            "batch",
            "fhir.base-post",
            "A POST to the FHIR base must carry a Bundle.",
            400,
        );
    }
    let interaction = match bundle.get("type").and_then(Value::as_str) {
        Some("batch") => "batch",
        Some("transaction") => "transaction",
        other => {
            return refused(
                "batch",
                "fhir.bundle-type",
                format!(
                    "A Bundle posted to the FHIR base must be a batch or a transaction, not {}.",
                    other.map_or("untyped".to_owned(), |t| format!("\"{t}\""))
                ),
                400,
            )
        }
    };
    let entries = match bundle.get("entry") {
        None => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            return refused(
                interaction,
                "fhir.bundle-entry",
                "The Bundle's entry is not an array.",
                400,
            )
        }
    };
    if entries.len() > cx.rules.max_bundle_entries {
        return refused(
            interaction,
            "fhir.bundle-too-large",
            format!(
                "The Bundle has {} entries; at most {} are read.",
                entries.len(),
                cx.rules.max_bundle_entries
            ),
            400,
        );
    }
    let mut checks: Vec<Check> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let n = i + 1;
        let fail = |rule: &'static str, why: String| {
            refused(interaction, rule, format!("Bundle entry {n}: {why}"), 400)
        };
        let Some(request) = entry.get("request").and_then(Value::as_object) else {
            return fail(
                "fhir.bundle-entry",
                "it has no request (method and url).".into(),
            );
        };
        let (Some(method), Some(url)) = (
            request.get("method").and_then(Value::as_str),
            request.get("url").and_then(Value::as_str),
        ) else {
            return fail(
                "fhir.bundle-entry",
                "its request needs a method and a url.".into(),
            );
        };
        if !matches!(method, "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE") {
            return fail(
                "fhir.bundle-entry",
                format!("\"{method}\" is not a Bundle request method."),
            );
        }
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        if path.is_empty() || path.starts_with('/') || path.contains("://") {
            return fail(
                "fhir.bundle-entry-url",
                format!("the url \"{url}\" must be relative to the FHIR base (\"Type/id\")."),
            );
        }
        let canon = match canonical(
            method,
            &format!("/{path}"),
            query,
            LineLimits {
                max_target_bytes: cx.rules.max_target_bytes,
                max_query_params: cx.rules.max_query_params,
            },
        ) {
            Ok(c) => c,
            Err(r) => return fail(r.rule, r.message),
        };
        if canon.path[1..] != *path || canon.query != query {
            return fail(
                "fhir.bundle-entry-url",
                format!("the url \"{url}\" is not in canonical form (the guard forwards the Bundle unchanged, so it reads each url as sent)."),
            );
        }
        let segments: Vec<String> = canon.path[1..]
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        if seg.is_empty() || seg.last() == Some(&"_search") {
            return fail(
                "fhir.bundle-entry",
                "an entry that posts to the base or to _search is not read inside a Bundle.".into(),
            );
        }
        let parts = Parts {
            method,
            seg: &seg,
            params: parse_form(&canon.query),
            if_none_exist: request
                .get("ifNoneExist")
                .and_then(Value::as_str)
                .map(str::to_owned),
            cx,
        };
        match parts.read() {
            FhirTarget::Public => {}
            FhirTarget::Refused(r) => {
                return fail(r.rule, format!("{method} {url}: {}", r.message));
            }
            FhirTarget::Access(r) => {
                for mut c in r.checks {
                    let what = format!("Bundle entry {n} ({method} {url})");
                    c.note = Some(match c.note {
                        Some(note) => format!("{what}: {note}"),
                        None => what,
                    });
                    checks.push(c);
                }
            }
        }
    }
    FhirTarget::Access(super::FhirRequest {
        interaction,
        resource_type: None,
        id: None,
        checks,
    })
}
