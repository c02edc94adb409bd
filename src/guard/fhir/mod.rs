//! A canonical HTTP request below a FHIR base, read as a FHIR R4 REST interaction (R4 §3.1.0
//! "RESTful API"), or refused. Every interaction is named: read, vread, instance/type/system
//! history, type/compartment/system search (GET or a form-encoded POST), create, update, patch,
//! delete, their conditional forms, batch and transaction Bundles (each entry its own request)
//! and operations (only those the route allow-lists).
//!
//! The reading yields [`Check`]s: what SMART scopes must grant, all of them. A check names a
//! patient only when the guard understood every part of the request that could widen it; an
//! unknown parameter, a repeated compartment parameter or an `_include` that may leave the
//! compartment leaves the check without a patient (with a note saying why), which no
//! `patient/` scope grants. `user/` and `system/` scopes are not limited to a patient, so such
//! requests stay theirs to make.

mod bundle;
mod search;

use super::canonical::Refusal;
use super::request::{parse_form, percent_decode, Request};
use crate::fhir;
use crate::policy::hosts::{FhirOperation, RequestRules};
use crate::profiles::smart::Interaction;

/// What a request under a FHIR route is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FhirTarget {
    /// Needs a valid token but no scope: `metadata` (CapabilityStatement), SMART configuration.
    Public,
    /// An interaction the token's scopes must grant.
    Access(FhirRequest),
    /// Understood and refused, or not understood: never forwarded.
    Refused(Refused),
}

/// A request the guard refuses before asking the scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The interaction as far as it was read (`"unknown"` when none).
    pub interaction: &'static str,
    pub rule: &'static str,
    pub message: String,
    /// 400 (a request the guard cannot read one way) or 403 (an interaction it will not grant).
    pub status: u16,
}

/// A FHIR interaction and what the scopes must grant for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FhirRequest {
    /// The interaction's name in FHIR R4 (`read`, `search-type`, `history-type`, `transaction`…).
    pub interaction: &'static str,
    pub resource_type: Option<String>,
    pub id: Option<String>,
    /// Everything the token must grant.
    pub checks: Vec<Check>,
}

/// One grant the token must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub interaction: Interaction,
    /// A resource type, or `*` for any.
    pub resource_type: String,
    /// The one patient the check is confined to, when the guard can prove it.
    pub patient: Option<String>,
    /// Search parameters (decoded), for scopes with `?query` restrictions.
    pub params: Vec<(String, String)>,
    /// What the check is for, or why it names no patient, in words.
    pub note: Option<String>,
}

impl Check {
    fn new(interaction: Interaction, resource_type: &str, patient: Option<String>) -> Check {
        Check {
            interaction,
            resource_type: resource_type.to_owned(),
            patient,
            params: Vec::new(),
            note: None,
        }
    }

    fn with_note(mut self, note: impl Into<String>) -> Check {
        self.note = Some(note.into());
        self
    }
}

/// What the FHIR reading needs from the policy.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub rules: &'a RequestRules,
    pub operations: &'a [FhirOperation],
    pub max_json_depth: usize,
}

/// Read `req` (canonical) as a FHIR interaction on the server whose base path is `base`.
pub fn classify(base: &str, req: &Request, cx: Context<'_>) -> FhirTarget {
    let rest = req.path.strip_prefix(base).unwrap_or("");
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let params: Vec<(String, String)> = req
        .query_params()
        .into_iter()
        .filter(|(n, _)| n != "access_token")
        .collect();
    let method = req.method.as_str();
    if has_body(req) && matches!(method, "GET" | "HEAD" | "DELETE") {
        return refused(
            "unknown",
            "fhir.unexpected-body",
            format!("A {method} request with a body is not a FHIR interaction the guard reads."),
            400,
        );
    }
    let mut parts = Parts {
        method,
        seg: &seg,
        params,
        if_none_exist: req.header_values("if-none-exist").next().map(str::to_owned),
        cx,
    };
    match (method, seg.as_slice()) {
        ("POST", []) => bundle::read(req, cx),
        ("POST", [.., "_search"]) => match search_body(req) {
            Ok(body) => {
                parts.params.extend(body);
                parts.read()
            }
            Err(r) => r,
        },
        _ => parts.read(),
    }
}

/// The parts of one request (an HTTP request or a Bundle entry), ready to be read.
struct Parts<'a> {
    method: &'a str,
    seg: &'a [&'a str],
    params: Vec<(String, String)>,
    if_none_exist: Option<String>,
    cx: Context<'a>,
}

impl Parts<'_> {
    fn read(self) -> FhirTarget {
        let method = self.method;
        let read_like = matches!(method, "GET" | "HEAD");
        match self.seg {
            ["metadata"] | [".well-known", "smart-configuration"] if read_like => {
                FhirTarget::Public
            }
            [] if read_like => self.search("search-system", "*", None),
            ["_search"] if method == "POST" => self.search("search-system", "*", None),
            ["_history"] if read_like => self.history("history-system", "*"),
            [op] if op.starts_with('$') => self.operation(op, None, None),
            [] => refused(
                "unknown",
                "fhir.base-method",
                format!("{method} on the FHIR base is not a FHIR interaction."),
                403,
            ),
            [t, ..] if !fhir::is_resource_type(t) => refused(
                "unknown",
                "fhir.unknown-type",
                format!("\"{t}\" is not a FHIR R4 resource type."),
                403,
            ),
            [t] if read_like => self.search("search-type", t, None),
            [t, "_search"] if method == "POST" => self.search("search-type", t, None),
            [t, "_history"] if read_like => self.history("history-type", t),
            [t] if method == "POST" => self.create(t),
            [t] if matches!(method, "PUT" | "PATCH" | "DELETE") => self.conditional(t),
            [t, op] if op.starts_with('$') => self.operation(op, Some(t), None),
            [t, id, ..] if !valid_id(id) => refused(
                "unknown",
                "fhir.invalid-id",
                format!("\"{id}\" is not a FHIR id (1-64 letters, digits, \"-\" and \".\"): {t}/{id} names no resource."),
                400,
            ),
            [t, id] if read_like => self.by_id("read", Interaction::Read, t, id),
            [t, id] if method == "PUT" => self.by_id("update", Interaction::Update, t, id),
            [t, id] if method == "PATCH" => self.by_id("patch", Interaction::Update, t, id),
            [t, id] if method == "DELETE" => self.by_id("delete", Interaction::Delete, t, id),
            [t, id, "_history"] if read_like => {
                self.by_id("history-instance", Interaction::Read, t, id)
            }
            [t, id, "_history", vid] if read_like && valid_id(vid) => {
                self.by_id("vread", Interaction::Read, t, id)
            }
            [t, id, op] if op.starts_with('$') => self.operation(op, Some(t), Some(id)),
            ["Patient", id, t] if read_like && (*t == "*" || fhir::is_resource_type(t)) => {
                self.search("search-compartment", t, Some(id))
            }
            ["Patient", id, t, "_search"] if method == "POST" && fhir::is_resource_type(t) => {
                self.search("search-compartment", t, Some(id))
            }
            [owner, id, t] if read_like && fhir::is_resource_type(t) => {
                let note = format!(
                    "{owner}/{id} is not a patient compartment, so the search names no patient."
                );
                let mut target = self.search("search-compartment", t, None);
                if let FhirTarget::Access(r) = &mut target {
                    if let Some(first) = r.checks.first_mut() {
                        first.patient = None;
                        first.note.get_or_insert(note);
                    }
                }
                target
            }
            _ => refused(
                "unknown",
                "fhir.unknown-interaction",
                format!(
                    "{method} {} is not a FHIR R4 interaction the guard knows.",
                    self.seg.join("/")
                ),
                403,
            ),
        }
    }

    fn search(self, interaction: &'static str, t: &str, patient: Option<&str>) -> FhirTarget {
        let reading = search::read(t, patient, &self.params);
        let mut main = Check::new(Interaction::Search, t, reading.patient);
        main.params = self.params;
        main.note = reading.note;
        let mut checks = vec![main];
        checks.extend(reading.pulled);
        access(interaction, Some(t), None, checks)
    }

    fn history(self, interaction: &'static str, t: &str) -> FhirTarget {
        let note = if t == "*" {
            "System-level history lists every version of every resource; it names no patient."
                .to_owned()
        } else {
            format!("Type-level history lists every version of every {t}; search parameters do not limit it, so it names no patient.")
        };
        let check = Check::new(Interaction::Search, t, None).with_note(note);
        access(interaction, Some(t), None, vec![check])
    }

    fn by_id(self, interaction: &'static str, i: Interaction, t: &str, id: &str) -> FhirTarget {
        let mut check = Check::new(i, t, (t == "Patient").then(|| id.to_owned()));
        if let Some(name) = search::first_unread_on_instance(&self.params) {
            check.patient = None;
            check.note = Some(format!(
                "The guard does not read \"{name}\" on a {interaction}, so it names no patient."
            ));
        }
        access(interaction, Some(t), Some(id), vec![check])
    }

    fn create(self, t: &str) -> FhirTarget {
        let create = Check::new(Interaction::Create, t, None)
            .with_note("A create names no patient the guard can check.");
        match self.if_none_exist.clone() {
            None => access("create", Some(t), None, vec![create]),
            Some(condition) => {
                let condition_params = match condition_params(&condition) {
                    Ok(p) => p,
                    Err(r) => return refused("conditional-create", r.rule, r.message, 400),
                };
                let mut checks = vec![create];
                checks.extend(self.condition_checks(t, condition_params));
                access("conditional-create", Some(t), None, checks)
            }
        }
    }

    fn conditional(self, t: &str) -> FhirTarget {
        let (interaction, i) = match self.method {
            "PUT" => ("conditional-update", Interaction::Update),
            "PATCH" => ("conditional-patch", Interaction::Update),
            _ => ("conditional-delete", Interaction::Delete),
        };
        let condition: Vec<(String, String)> = self
            .params
            .iter()
            .filter(|(n, _)| !search::is_format_param(n))
            .cloned()
            .collect();
        if condition.is_empty() {
            return refused(
                interaction,
                "fhir.missing-id",
                format!(
                    "{} {t} without an id or search parameters names no resource.",
                    self.method
                ),
                400,
            );
        }
        let write = Check::new(i, t, None).with_note(format!(
            "A {interaction} acts on whatever its search finds, so it names no patient the guard can check."
        ));
        let mut checks = vec![write];
        checks.extend(self.condition_checks(t, condition));
        access(interaction, Some(t), None, checks)
    }

    /// The search a conditional interaction runs, which the token must also be allowed.
    fn condition_checks(&self, t: &str, params: Vec<(String, String)>) -> Vec<Check> {
        let reading = search::read(t, None, &params);
        let mut check = Check::new(Interaction::Search, t, reading.patient);
        check.params = params;
        check.note = Some(
            reading
                .note
                .unwrap_or_else(|| "the search the condition runs".to_owned()),
        );
        let mut checks = vec![check];
        checks.extend(reading.pulled);
        checks
    }

    fn operation(self, op: &str, t: Option<&str>, id: Option<&str>) -> FhirTarget {
        let allowed = self.cx.operations.iter().find(|o| {
            o.name == op && o.resource_type.as_deref() == t && o.instance == id.is_some()
        });
        let Some(rule) = allowed else {
            let at = match (t, id) {
                (None, _) => "system".to_owned(),
                (Some(t), None) => t.to_owned(),
                (Some(t), Some(_)) => format!("{t}/[id]"),
            };
            return refused(
                "operation",
                "fhir.operation-not-allowed",
                format!("The operation {op} on {at} is not on this route's allow-list (\"operations\"), so it cannot be authorised from SMART scopes."),
                403,
            );
        };
        let patient = match (t, id) {
            (Some("Patient"), Some(id)) => Some(id.to_owned()),
            _ => None,
        };
        let mut check = Check::new(rule.interaction, &rule.grant_type, patient);
        if let Some((name, _)) = self
            .params
            .iter()
            .find(|(n, _)| !search::is_format_param(n) && !rule.params.contains(n))
        {
            check.patient = None;
            check.note = Some(format!(
                "The operation's allow-list does not name the parameter \"{name}\", so the request names no patient."
            ));
        }
        check.params = self.params;
        access("operation", t, id, vec![check])
    }
}

fn access(
    interaction: &'static str,
    t: Option<&str>,
    id: Option<&str>,
    checks: Vec<Check>,
) -> FhirTarget {
    FhirTarget::Access(FhirRequest {
        interaction,
        resource_type: t.map(str::to_owned),
        id: id.map(str::to_owned),
        checks,
    })
}

fn refused(
    interaction: &'static str,
    rule: &'static str,
    message: impl Into<String>,
    status: u16,
) -> FhirTarget {
    FhirTarget::Refused(Refused {
        interaction,
        rule,
        message: message.into(),
        status,
    })
}

/// Whether the request carries a body (a host passed one, or its headers announce one).
fn has_body(req: &Request) -> bool {
    req.body.as_deref().is_some_and(|b| !b.is_empty())
        || req.header_values("transfer-encoding").next().is_some()
        || req.header_values("content-length").any(|v| v.trim() != "0")
}

/// The parameters of a form-encoded `_search` body, read as strictly as a query string.
fn search_body(req: &Request) -> Result<Vec<(String, String)>, FhirTarget> {
    let content_type = req.header_values("content-type").next().unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    let body = req.body.as_deref().unwrap_or("");
    if body.is_empty() && media.is_empty() {
        return Ok(Vec::new());
    }
    if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(refused(
            "search-type",
            "fhir.search-body-type",
            format!(
                "A POST _search body must be application/x-www-form-urlencoded, not \"{media}\"."
            ),
            400,
        ));
    }
    let Some(body) = req.body.as_deref() else {
        return Err(refused(
            "search-type",
            "fhir.body-unread",
            "The host did not pass the _search body to the guard, so the search cannot be read.",
            400,
        ));
    };
    for part in body.split('&').filter(|p| !p.is_empty()) {
        if let Err(r) = super::canonical::canonical_query_part(part) {
            return Err(refused(
                "search-type",
                r.rule,
                format!("The _search body: {}", r.message),
                400,
            ));
        }
    }
    Ok(parse_form(body)
        .into_iter()
        .filter(|(n, _)| n != "access_token")
        .collect())
}

/// The parameters of an `If-None-Exist` condition (`name=value&…`, RFC 3986 query syntax).
fn condition_params(condition: &str) -> Result<Vec<(String, String)>, Refusal> {
    let condition = condition.trim().trim_start_matches('?');
    for part in condition.split('&').filter(|p| !p.is_empty()) {
        super::canonical::canonical_query_part(part)?;
    }
    Ok(parse_form(condition))
}

/// FHIR R4 `id`: `[A-Za-z0-9\-\.]{1,64}`.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests;
