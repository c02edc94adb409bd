//! The gate in front of an API: every decision the edge worker and the Envoy filter make about a
//! request, made here once so the two cannot disagree.
//!
//! Hosts reach it through the one gate protocol ([`crate::gate`]): `begin` decides what can be
//! decided without keys (an open route, no token, a request that cannot be read one way) or
//! keeps the token for `finish`, which decides with the keys the host fetched. A host applies
//! the [`Decision`] as it stands: status, challenge, body, headers, and the upstream target,
//! which is the canonical form the decision was made on ([`canonical`]).

pub mod canonical;
pub mod challenge;
pub mod fhir;
pub mod forward;
pub mod introspection;
pub mod iua_rules;
pub mod request;
pub mod route;
mod sender;
pub mod token_source;

pub use challenge::BearerError;
pub use request::Request;
pub use token_source::{Found, TokenLookup};

use crate::cache::{TokenKey, VerdictCache};
use crate::error::{ErrorCode, Problem};
use crate::keys::KeySet;
use crate::limits::{clip, MAX_ECHO_BYTES};
use crate::plan::{key_plan, key_plan_parsed, KeyPlan};
use crate::policy::hosts::{HeaderRule, Route};
use crate::profiles::smart::{self, FhirAccess};
use crate::verify::{Verdict, Verifier};
use canonical::{Canonical, LineLimits};
use fhir::FhirTarget;
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::rc::Rc;

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub allow: bool,
    /// 200 when allowed (the host forwards the request), else 400, 401 or 403.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub www_authenticate: Option<String>,
    /// The JSON body of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Headers to add to the upstream request (after removing `remove_headers`).
    pub set_headers: Vec<(String, String)>,
    /// Headers to remove from the upstream request, lower-case.
    pub remove_headers: Vec<String>,
    /// Headers to add to the response the client gets (e.g. a deprecation notice).
    pub response_headers: Vec<(String, String)>,
    /// When allowed: the path and query to send upstream, exactly the canonical form that was
    /// decided (dot segments removed, escapes canonical, a query-string token removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_path: Option<String>,
    /// One structured log line: no token, no secrets.
    pub log: LogLine,
    /// Allowed only by an emergency purpose of use on a route that lets it break the glass.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub break_glass: bool,
    /// What the audit record of this decision says ([`crate::audit::balp::event`] builds it).
    pub audit: crate::audit::Facts,
}

/// The facts of a decision, for logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogLine {
    pub decision: &'static str,
    pub status: u16,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    pub reason: String,
    /// The rule that refused the request (`path.empty-segment`, `fhir.not-confined`…), or
    /// `iua.break-glass` for one only an emergency purpose of use let through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// The FHIR interaction the guard read (`read`, `search-type`, `transaction`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction: Option<&'static str>,
    /// The scope that granted the request, or the one it would have needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<ErrorCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// How many bytes of the body the guard must read to decide on `req` (a form-encoded FHIR
/// `_search`, or a batch/transaction Bundle posted to a FHIR base), or `None` when it decides
/// from the headers alone or the host has passed the body already. Hosts pass at most this many
/// bytes plus one in [`Request::body`]; more is refused.
pub fn body_limit(verifier: &Verifier, req: &Request) -> Option<usize> {
    if req.body.is_some() {
        return None;
    }
    let policy = verifier.policy();
    let canon = canonical_of(verifier, req).ok()?;
    if canon.method != "POST" {
        return None;
    }
    let probe = canonical_request(&canon, req);
    let route = route::route_for(&policy.routes, &probe)?;
    if !route.fhir || route.open {
        return None;
    }
    let base = route.path_prefix.trim_end_matches('/');
    let rest = canon.path.strip_prefix(base).unwrap_or("");
    (rest.is_empty() || rest == "/" || rest.ends_with("/_search"))
        .then_some(policy.request.max_body_bytes)
}

/// A request whose token the policy found, on its route (if any).
#[derive(Debug, Clone)]
struct Located {
    /// The route's index in the policy's `routes`: an index, not a borrow, so a host can keep a
    /// [`Ticket`] while it fetches keys.
    route: Option<usize>,
    token: String,
    from: Found,
    deprecated_scheme: bool,
    /// The request in canonical form: what is decided and forwarded.
    request: Request,
}

fn canonical_of(verifier: &Verifier, req: &Request) -> Result<Canonical, canonical::Refusal> {
    let rules = &verifier.policy().request;
    canonical::canonical(
        &req.method,
        &req.path,
        &req.query,
        LineLimits {
            max_target_bytes: rules.max_target_bytes,
            max_query_params: rules.max_query_params,
        },
    )
}

fn canonical_request(canon: &Canonical, req: &Request) -> Request {
    Request {
        method: canon.method.clone(),
        path: canon.path.clone(),
        query: canon.query.clone(),
        headers: req.headers.clone(),
        body: req.body.clone(),
        origin: req.origin.clone(),
        client_cert_sha256: req.client_cert_sha256.clone(),
    }
}

/// Headers that make servers (or frameworks in front of them) act on another method or URL
/// than the one on the request line.
const OVERRIDE_HEADERS: [&str; 6] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-original-url",
    "x-rewrite-url",
    "x-original-method",
];

/// The route of `req` and its token; a request that cannot be read one way, on an open route,
/// or without a token that can be read, is decided here and then.
fn locate(verifier: &Verifier, req: &Request) -> Result<Located, Box<Decision>> {
    let policy = verifier.policy();
    let canon = match canonical_of(verifier, req) {
        Ok(c) => c,
        Err(r) => {
            return Err(Box::new(
                Gate::new(verifier, req, None, None).refuse_request(r.rule, &r.message, None),
            ))
        }
    };
    let request = canonical_request(&canon, req);
    let route = route::route_for(&policy.routes, &request);
    let mut gate = Gate::new(verifier, &request, route, None);
    if let Some(refusal) = gate.header_rules() {
        return Err(Box::new(refusal));
    }
    if route.is_some_and(|r| r.open) {
        return Err(Box::new(gate.open()));
    }
    match token_source::extract(&policy.token, &request) {
        TokenLookup::Found {
            token,
            from,
            deprecated_scheme,
        } => Ok(Located {
            route: route.and_then(|r| policy.routes.iter().position(|p| std::ptr::eq(p, r))),
            token,
            from,
            deprecated_scheme,
            request,
        }),
        lookup => Err(Box::new(decide_without_token(gate, lookup))),
    }
}

/// A request whose token [`begin`] found: its route, the token and the token's key plan, kept
/// so that [`finish`] neither looks for the token nor decodes it again.
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    found: Box<Located>,
    key: TokenKey,
    /// Which key sources to fetch for the token.
    pub plan: Rc<KeyPlan>,
    /// The token as decoded for its plan, for the signature check (absent when the plan came
    /// from the cache: the verdict usually does too).
    parsed: Option<Rc<crate::token::ParsedToken>>,
}

#[cfg(test)]
impl Ticket {
    /// Whether the token was decoded for this ticket (and will not be again in `finish`).
    pub(crate) fn carries_decoded_token(&self) -> bool {
        self.parsed.is_some()
    }
}

/// The first step: decided already, or a token to decide once its keys are there.
#[derive(Debug, Clone)]
pub(crate) enum Ready {
    Done(Box<Decision>),
    Fetch(Ticket),
}

/// Decide what can be decided without keys; otherwise find the token and its key plan. A token
/// `cache` has verified before gets the key plan kept with its verdict, so a repeated token is
/// not decoded to learn its key sources.
pub(crate) fn begin(verifier: &Verifier, req: &Request, cache: &VerdictCache) -> Ready {
    let found = match locate(verifier, req) {
        Ok(found) => found,
        Err(decision) => return Ready::Done(decision),
    };
    let key = cache.key(&found.token);
    let policy = verifier.policy();
    // Decoded once: for the plan here, and for the signature check in `finish`.
    let (plan, parsed) = match cache.plan(key, &found.token) {
        Some(plan) => (plan, None),
        None => match crate::token::parse(&found.token, &policy.limits) {
            Ok(parsed) => (
                Rc::new(key_plan_parsed(&parsed, policy)),
                Some(Rc::new(parsed)),
            ),
            Err(_) => (Rc::new(key_plan(&found.token, policy)), None),
        },
    };
    Ready::Fetch(Ticket {
        found: Box::new(found),
        key,
        plan,
        parsed,
    })
}

/// The decision on the request `ticket` came from, with the keys of its plan's sources, through
/// `cache`: a token verified before under the same key-set `generation` skips the signature
/// check while its verdict stays valid. `keys` is called only on a cache miss. A verdict the
/// cache keeps keeps the ticket's key plan with it.
pub(crate) fn finish<'k>(
    verifier: &Verifier,
    ticket: &Ticket,
    keys: impl FnOnce() -> Cow<'k, KeySet>,
    generation: u64,
    cache: &mut VerdictCache,
    now: i64,
) -> Decision {
    let verdict = cache.verify_decoded(
        verifier,
        ticket.key,
        &ticket.found.token,
        ticket.parsed.as_deref(),
        Some(&ticket.plan),
        keys,
        generation,
        now,
    );
    decide_found(verifier, &ticket.found, &verdict, now)
}

/// The decision on a request whose token got `verdict`.
fn decide_found(verifier: &Verifier, found: &Located, verdict: &Verdict, now: i64) -> Decision {
    let route = found.route.and_then(|i| verifier.policy().routes.get(i));
    let mut gate = Gate::new(verifier, &found.request, route, Some(&found.from));
    if found.deprecated_scheme {
        gate.response_headers.push((
            "x-azlens-deprecated".into(),
            "The IHE-JWT authorization scheme is deprecated (IUA 2013); send the token as Bearer (RFC 6750).".into(),
        ));
    }
    if found.from == Found::Query {
        gate.upstream_query = without_access_token(&found.request.query);
    }
    if let Some(refusal) = gate.header_rules() {
        return refusal;
    }
    gate.after_verification(verdict, &found.token, now)
}

fn decide_without_token(gate: Gate<'_>, lookup: TokenLookup) -> Decision {
    match lookup {
        TokenLookup::Missing => {
            gate.deny(BearerError::None, "A bearer token is required.", &[], None)
        }
        TokenLookup::InvalidRequest(why) => gate.deny(BearerError::InvalidRequest, &why, &[], None),
        TokenLookup::Unsupported(why) => gate.deny(
            BearerError::InvalidToken,
            &why,
            &[Problem::new(ErrorCode::UnsupportedToken, why.clone())],
            None,
        ),
        TokenLookup::Found { .. } => gate.deny(
            BearerError::InvalidRequest,
            "The token could not be read.",
            &[],
            None,
        ),
    }
}

/// The request being decided, and what the decision will carry.
struct Gate<'a> {
    verifier: &'a Verifier,
    req: &'a Request,
    route: Option<&'a Route>,
    token_from: Option<&'a Found>,
    response_headers: Vec<(String, String)>,
    /// The query to forward (canonical; without a query-string token).
    upstream_query: String,
    /// Headers the policy says to drop rather than refuse.
    drop_headers: Vec<String>,
    log: LogLine,
    /// What the audit record says beyond the log line (user, purpose, patient, break-glass).
    audit: crate::audit::Facts,
}

impl<'a> Gate<'a> {
    fn new(
        verifier: &'a Verifier,
        req: &'a Request,
        route: Option<&'a Route>,
        token_from: Option<&'a Found>,
    ) -> Gate<'a> {
        Gate {
            verifier,
            req,
            route,
            token_from,
            response_headers: Vec::new(),
            upstream_query: req.query.clone(),
            drop_headers: Vec::new(),
            log: LogLine {
                method: clip(&req.method, MAX_ECHO_BYTES).into_owned(),
                path: clip(&req.path, MAX_ECHO_BYTES).into_owned(),
                route: route.map(|r| r.path_prefix.clone()),
                ..LogLine::default()
            },
            audit: crate::audit::Facts::default(),
        }
    }

    /// Headers that would make the upstream read the request another way: refused, or noted
    /// for removal, as the policy says.
    fn header_rules(&mut self) -> Option<Decision> {
        let rules = &self.verifier.policy().request;
        let present = |name: &str| self.req.header_values(name).next().is_some();
        if let Some(name) = OVERRIDE_HEADERS.iter().find(|h| present(h)) {
            match rules.override_headers {
                HeaderRule::Refuse => {
                    return Some(self.take().refuse_request(
                        "header.override",
                        &format!("The request carries {name}, which makes some servers act on another method or URL than the one decided."),
                        None,
                    ))
                }
                HeaderRule::Remove => self.drop_headers.extend(
                    OVERRIDE_HEADERS.iter().filter(|h| present(h)).map(|h| h.to_string()),
                ),
            }
        }
        let fhir_route = self.route.is_some_and(|r| r.fhir && !r.open);
        let lenient = self
            .req
            .header_values("prefer")
            .flat_map(|v| v.split([',', ';']))
            .any(|p| {
                let p: String = p.chars().filter(|c| !c.is_whitespace()).collect();
                p.eq_ignore_ascii_case("handling=lenient")
            });
        if fhir_route && lenient {
            match rules.lenient_handling {
                HeaderRule::Refuse => {
                    return Some(self.take().refuse_request(
                        "header.prefer-lenient",
                        "The request asks the FHIR server to ignore parameters it does not know (Prefer: handling=lenient), so the guard cannot tell what the search returns.",
                        None,
                    ))
                }
                HeaderRule::Remove => self.drop_headers.push("prefer".into()),
            }
        }
        let limit = rules.max_body_bytes;
        if let Some(len) = self
            .req
            .body
            .as_ref()
            .map(String::len)
            .filter(|l| *l > limit)
        {
            return Some(self.take().refuse_request(
                "body.too-large",
                &format!("The body is {len} bytes or more; the guard reads at most {limit}."),
                None,
            ));
        }
        None
    }

    fn remove_headers(&self) -> Vec<String> {
        let mut remove =
            forward::headers_to_remove(&self.verifier.policy().forward, self.token_from);
        remove.extend(self.drop_headers.iter().cloned());
        remove
    }

    fn open(mut self) -> Decision {
        self.log.reason = "open route".into();
        self.allow(Vec::new())
    }

    fn allow(mut self, mut set_headers: Vec<(String, String)>) -> Decision {
        self.log.decision = "allow";
        self.log.status = 200;
        let mut remove_headers = self.remove_headers();
        // A token that came in a cookie leaves with the Cookie header rewritten without it.
        if let Some(Found::Cookie { name }) = self.token_from {
            if !self.verifier.policy().forward.keep_token {
                remove_headers.push("cookie".into());
                let rest = forward::cookies_without(self.req, name);
                if !rest.is_empty() {
                    set_headers.push(("cookie".into(), rest));
                }
            }
        }
        Decision {
            allow: true,
            status: 200,
            www_authenticate: None,
            body: None,
            set_headers,
            remove_headers,
            response_headers: self.response_headers,
            upstream_path: Some(canonical::target(&self.req.path, &self.upstream_query)),
            break_glass: self.audit.break_glass,
            audit: self.audit.complete(&self.log, &self.upstream_query),
            log: self.log,
        }
    }

    /// 400 for a request the guard cannot read one way.
    fn refuse_request(
        mut self,
        rule: &'static str,
        message: &str,
        interaction: Option<&'static str>,
    ) -> Decision {
        self.log.rule = Some(rule);
        self.log.interaction = interaction;
        let p = Problem::new(ErrorCode::RequestRefused, message);
        self.deny(BearerError::InvalidRequest, message, &[p], None)
    }

    fn deny(
        mut self,
        error: BearerError,
        description: &str,
        problems: &[Problem],
        scope: Option<&str>,
    ) -> Decision {
        let policy = self.verifier.policy();
        let realm = &policy.token.realm;
        // IUA resource servers answer 401 where RFC 6750 says 403 (the rule is in profiles::iua).
        let issuer = self.log.iss.as_deref().and_then(|i| policy.issuer(i));
        let status =
            crate::profiles::iua::refusal_status(policy.profile_for(issuer), error.status());
        self.log.decision = "deny";
        self.log.status = status;
        self.log.reason = clip(description, MAX_ECHO_BYTES).into_owned();
        // Each code once: a log line does not grow with the number of problems.
        let mut codes: Vec<ErrorCode> = Vec::new();
        for p in problems {
            if !codes.contains(&p.code) {
                codes.push(p.code);
            }
        }
        self.log.codes = codes;
        if self.log.scope.is_none() {
            self.log.scope = scope.map(str::to_owned);
        }
        Decision {
            allow: false,
            status,
            www_authenticate: Some(sender::challenge(
                self.verifier,
                self.req,
                error,
                challenge::www_authenticate(realm, error, description, scope),
            )),
            body: Some(challenge::body(
                error,
                description,
                problems,
                scope,
                self.log.rule,
            )),
            set_headers: Vec::new(),
            remove_headers: Vec::new(),
            response_headers: self.response_headers,
            upstream_path: None,
            break_glass: false,
            audit: self.audit.complete(&self.log, &self.upstream_query),
            log: self.log,
        }
    }

    fn after_verification(mut self, verdict: &Verdict, token: &str, now: i64) -> Decision {
        let empty = Map::new();
        let payload = verdict.payload.as_ref().unwrap_or(&empty);
        let text = |name: &str| {
            payload
                .get(name)
                .and_then(Value::as_str)
                .map(|s| clip(s, MAX_ECHO_BYTES).into_owned())
        };
        self.log.iss = text("iss");
        self.log.sub = text("sub");
        self.log.client_id = text("client_id");
        self.log.kid = verdict
            .header
            .as_ref()
            .and_then(|h| h.get("kid"))
            .and_then(Value::as_str)
            .map(|s| clip(s, MAX_ECHO_BYTES).into_owned());

        if !verdict.valid {
            let description = verdict
                .errors
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| "The token is not valid.".into());
            return self.deny(
                BearerError::InvalidToken,
                &description,
                &verdict.errors,
                None,
            );
        }
        let atna = crate::profiles::atna::user_name(payload);
        let attrs = iua_rules::Attributes::read(payload);
        self.audit.token(payload, atna.as_deref(), &attrs);
        if let Some(refusal) = self.sender_refusal(token, payload, now) {
            return refusal;
        }
        if let Some(route) = self.route {
            if let Some(refusal) = self.route_refusal(route, payload, &attrs) {
                return refusal;
            }
        }
        let mut set =
            forward::headers_to_set(&self.verifier.policy().forward, payload, atna.as_deref());
        iua_rules::flag_headers(
            &self.verifier.policy().forward,
            self.audit.break_glass,
            &mut set,
        );
        self.log.reason = "valid token".into();
        self.allow(set)
    }

    /// The route's own demands on a valid token: issuer, scopes, the FHIR/SMART decision.
    fn route_refusal(
        &mut self,
        route: &Route,
        payload: &Map<String, Value>,
        attrs: &iua_rules::Attributes,
    ) -> Option<Decision> {
        let iss = payload.get("iss").and_then(Value::as_str).unwrap_or("");
        if !route.issuers.is_empty() && !route.issuers.iter().any(|i| i == iss) {
            let msg = format!("Tokens from \"{iss}\" are not accepted on this path.");
            let p = Problem::at(ErrorCode::IssuerMismatch, "iss", msg.clone());
            self.log.rule = Some("route.issuer");
            return Some(
                self.take()
                    .deny(BearerError::InvalidToken, &msg, &[p], None),
            );
        }
        let scopes: Vec<&str> = payload
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| s.split(' ').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        if !route.any_scope.is_empty()
            && !route.any_scope.iter().any(|s| scopes.contains(&s.as_str()))
        {
            let needed = route.any_scope.join(" ");
            let msg = format!("This path needs one of these scopes: {needed}.");
            let p = Problem::at(ErrorCode::InsufficientScope, "scope", msg.clone());
            self.log.rule = Some("route.any-scope");
            return Some(self.take().deny(
                BearerError::InsufficientScope,
                &msg,
                &[p],
                Some(&needed),
            ));
        }
        if route.fhir {
            if let Some(refusal) = self.fhir_refusal(route, payload) {
                return Some(refusal);
            }
        }
        let rules = route.iua.as_ref()?;
        if route.fhir && self.log.interaction.is_none() {
            return None; // metadata, SMART configuration: no patient data, no IUA rules
        }
        let smart_patient = payload.get("patient").and_then(Value::as_str);
        let reach = match &self.audit.patient {
            Some(p) => iua_rules::Reach::One(p),
            None => iua_rules::Reach::NotOne,
        };
        let settings = &self.verifier.policy().iua_rules;
        match iua_rules::decide(rules, settings, attrs, smart_patient, reach) {
            Ok(pass) => {
                self.audit.break_glass = pass.break_glass;
                if pass.break_glass {
                    self.log.rule = Some("iua.break-glass");
                }
                None
            }
            Err(r) => {
                self.log.rule = Some(r.rule);
                let p = Problem::new(ErrorCode::InsufficientScope, r.message.clone());
                Some(
                    self.take()
                        .deny(BearerError::InsufficientScope, &r.message, &[p], None),
                )
            }
        }
    }

    /// The FHIR reading of the request and the SMART decision on each of its checks.
    fn fhir_refusal(&mut self, route: &Route, payload: &Map<String, Value>) -> Option<Decision> {
        let policy = self.verifier.policy();
        let cx = fhir::Context {
            rules: &policy.request,
            operations: &route.operations,
            max_json_depth: policy.limits.max_json_depth,
        };
        let base = route.path_prefix.trim_end_matches('/');
        let request = match fhir::classify(base, self.req, cx) {
            FhirTarget::Public => return None,
            FhirTarget::Refused(r) => {
                self.log.rule = Some(r.rule);
                self.log.interaction = Some(r.interaction);
                let msg = r.message;
                if r.status == 400 {
                    return Some(
                        self.take()
                            .refuse_request(r.rule, &msg, Some(r.interaction)),
                    );
                }
                let p = Problem::new(ErrorCode::InsufficientScope, msg.clone());
                return Some(
                    self.take()
                        .deny(BearerError::InsufficientScope, &msg, &[p], None),
                );
            }
            FhirTarget::Access(r) => r,
        };
        self.log.interaction = Some(request.interaction);
        self.audit.fhir(&request);
        let mut granted: Vec<String> = Vec::new();
        for check in &request.checks {
            let access = FhirAccess {
                interaction: check.interaction,
                resource_type: &check.resource_type,
                patient: check.patient.as_deref(),
                params: &check.params,
                compartment_given: true,
            };
            let auth = smart::authorize(payload, &access);
            if !auth.allowed {
                let unconfined = check.patient.is_none() && check.note.is_some();
                self.log.rule = Some(if unconfined {
                    "fhir.not-confined"
                } else {
                    "smart.not-granted"
                });
                self.log.scope = Some(auth.required_scope.clone());
                let msg = match &check.note {
                    Some(note) => format!("{note} — {}", auth.reason),
                    None => auth.reason.clone(),
                };
                let p = Problem::at(ErrorCode::InsufficientScope, "scope", msg.clone());
                return Some(self.take().deny(
                    BearerError::InsufficientScope,
                    &msg,
                    &[p],
                    Some(&auth.required_scope),
                ));
            }
            if let Some(g) = auth.granted_by {
                if !granted.contains(&g) {
                    granted.push(g);
                }
            }
        }
        if !granted.is_empty() {
            self.log.scope = Some(granted.join(" "));
        }
        None
    }

    /// Move out of `&mut self` to finish with a refusal.
    fn take(&mut self) -> Gate<'a> {
        Gate {
            verifier: self.verifier,
            req: self.req,
            route: self.route,
            token_from: self.token_from,
            response_headers: std::mem::take(&mut self.response_headers),
            upstream_query: std::mem::take(&mut self.upstream_query),
            drop_headers: std::mem::take(&mut self.drop_headers),
            log: std::mem::take(&mut self.log),
            audit: std::mem::take(&mut self.audit),
        }
    }
}

fn without_access_token(query: &str) -> String {
    query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some("access_token"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::base64url::encode;
    use hmac::{KeyInit, Mac};
    use serde_json::json;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_800_000_000;

    fn sign(claims: Value) -> String {
        let head = encode(br#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#);
        let body = encode(claims.to_string().as_bytes());
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(format!("{head}.{body}").as_bytes());
        format!("{head}.{body}.{}", encode(&mac.finalize().into_bytes()))
    }

    fn claims(scope: &str) -> Value {
        json!({"iss": "https://as.example", "sub": "dr-who", "aud": "https://fhir.example",
               "client_id": "app", "scope": scope, "exp": NOW + 300, "iat": NOW - 10, "patient": "123"})
    }

    fn verifier() -> Verifier {
        Verifier::from_json(&json!({
            "algorithms": ["HS256"],
            "issuers": [{"issuer": "https://as.example", "audience": "https://fhir.example",
                         "keys": {"keys": [{"kty": "oct", "kid": "k1", "k": encode(SECRET)}]}},
                        {"issuer": "https://other.example", "audience": "https://fhir.example",
                         "keys": {"keys": [{"kty": "oct", "kid": "k1", "k": encode(SECRET)}]}}],
            "token": {"realm": "fhir"},
            "routes": [{"path_prefix": "/public", "open": true},
                       {"path_prefix": "/fhir", "fhir": true},
                       {"path_prefix": "/admin", "any_scope": ["system/*.cruds", "admin"],
                        "issuers": ["https://as.example"]}],
            "forward": {"headers": {"x-sub": "sub", "x-patient": "patient", "x-audit-user": "atna_user"}}
        }).to_string())
        .unwrap()
    }

    fn request(path: &str, auth: Option<&str>) -> Request {
        let mut headers = vec![("X-Sub".to_string(), "spoofed".to_string())];
        if let Some(a) = auth {
            headers.push(("Authorization".into(), a.into()));
        }
        Request::new("GET", path, headers)
    }

    /// The gate's decision with every key at hand (the one way in).
    fn decide(v: &Verifier, req: &Request, keys: &KeySet, now: i64) -> Decision {
        match crate::gate::decide(v, req.clone(), keys, now) {
            crate::gate::Answer::Decision(d) => *d,
            other => panic!("{other:?}"),
        }
    }

    /// The gate's first step, without a cache.
    fn prepare(v: &Verifier, req: &Request) -> crate::gate::Step {
        crate::gate::begin(v, &VerdictCache::new(1), req.clone(), None)
    }

    /// The gate's decision through `cache`: begin, then finish with `keys` under `generation`.
    fn decide_cached(
        v: &Verifier,
        req: &Request,
        keys: &KeySet,
        generation: u64,
        cache: &mut VerdictCache,
        now: i64,
    ) -> Decision {
        let answer = match crate::gate::begin(v, cache, req.clone(), None) {
            crate::gate::Step::Fetch(t) => {
                crate::gate::finish(v, cache, &t, &[keys], generation, now).answer
            }
            crate::gate::Step::Reply(a) => *a,
            other => panic!("{other:?}"),
        };
        match answer {
            crate::gate::Answer::Decision(d) => *d,
            other => panic!("{other:?}"),
        }
    }

    fn run(path: &str, auth: Option<&str>) -> Decision {
        decide(&verifier(), &request(path, auth), &KeySet::new(), NOW)
    }

    #[test]
    fn no_token_gets_a_bare_challenge() {
        let d = run("/api", None);
        assert_eq!((d.allow, d.status), (false, 401));
        assert_eq!(d.www_authenticate.as_deref(), Some("Bearer realm=\"fhir\""));
        assert!(matches!(
            prepare(&verifier(), &request("/api", None)),
            crate::gate::Step::Reply(_)
        ));
    }

    #[test]
    fn a_valid_token_is_forwarded_as_configured() {
        let token = sign(claims("openid"));
        let d = run("/api/x", Some(&format!("Bearer {token}")));
        assert!(d.allow, "{d:?}");
        assert!(d.set_headers.contains(&("x-sub".into(), "dr-who".into())));
        assert!(d.set_headers.contains(&(
            "x-audit-user".into(),
            "https://fhir.example<dr-who@https://as.example>".into()
        )));
        for h in ["authorization", "x-sub", "x-patient", "x-audit-user"] {
            assert!(d.remove_headers.contains(&h.to_string()), "{h}");
        }
        assert_eq!(d.log.sub.as_deref(), Some("dr-who"));
        let logged = serde_json::to_string(&d.log).unwrap();
        assert!(!logged.contains(&token), "the token is never logged");
        match prepare(
            &verifier(),
            &request("/api/x", Some(&format!("Bearer {token}"))),
        ) {
            crate::gate::Step::Fetch(t) => {
                assert_eq!(t.plan().issuer.as_deref(), Some("https://as.example"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_invalid_token_gets_invalid_token() {
        let mut c = claims("openid");
        c["exp"] = json!(NOW - 3600);
        let d = run("/api", Some(&format!("Bearer {}", sign(c))));
        assert_eq!(d.status, 401);
        let challenge = d.www_authenticate.unwrap();
        assert!(challenge.starts_with("Bearer realm=\"fhir\", error=\"invalid_token\", error_description=\"The token expired"), "{challenge}");
        let body: Value = serde_json::from_str(&d.body.unwrap()).unwrap();
        assert_eq!(body["errors"][0]["code"], "expired");
        assert!(d.set_headers.is_empty());
    }

    #[test]
    fn routes_demand_issuers_and_scopes() {
        let d = run(
            "/admin/x",
            Some(&format!("Bearer {}", sign(claims("openid")))),
        );
        assert_eq!(d.status, 403);
        assert!(d
            .www_authenticate
            .unwrap()
            .ends_with("scope=\"system/*.cruds admin\""));
        assert!(
            run(
                "/admin/x",
                Some(&format!("Bearer {}", sign(claims("openid admin"))))
            )
            .allow
        );
        let mut other = claims("admin");
        other["iss"] = json!("https://other.example");
        let d = run("/admin/x", Some(&format!("Bearer {}", sign(other))));
        assert_eq!(d.status, 401);
        assert!(d.body.unwrap().contains("issuer_mismatch"));
    }

    #[test]
    fn open_routes_need_no_token_but_still_drop_spoofed_headers() {
        let d = run("/public/logo.png", None);
        assert!(d.allow);
        assert!(d.remove_headers.contains(&"x-sub".to_string()));
        assert!(d.set_headers.is_empty());
    }

    #[test]
    fn the_cached_path_decides_the_same_and_skips_repeat_checks() {
        let v = verifier();
        let req = request("/api", Some(&format!("Bearer {}", sign(claims("openid")))));
        let mut cache = VerdictCache::new(16);
        let first = decide_cached(&v, &req, &KeySet::new(), 1, &mut cache, NOW);
        let second = decide_cached(&v, &req, &KeySet::new(), 1, &mut cache, NOW + 1);
        assert_eq!(first, decide(&v, &req, &KeySet::new(), NOW));
        assert_eq!(first, second);
        assert_eq!(cache.stats(), (1, 1));
        let later = decide_cached(&v, &req, &KeySet::new(), 1, &mut cache, NOW + 3600);
        assert_eq!(later.status, 401);
    }

    #[test]
    fn a_ticket_decides_like_decide_and_a_repeat_reuses_the_key_plan() {
        let v = verifier();
        let token = sign(claims("openid"));
        let mut expired = claims("openid");
        expired["exp"] = json!(NOW - 3600);
        let requests = [
            request("/api/x", Some(&format!("Bearer {token}"))),
            request("/admin/x", Some(&format!("Bearer {token}"))),
            request("/fhir/Patient/456", Some(&format!("Bearer {token}"))),
            request("/api", Some(&format!("IHE-JWT {token}"))),
            request("/api", Some(&format!("Bearer {}", sign(expired)))),
            request("/api", Some("Bearer not.a.token")),
            request("/api", None),
            request("/public/logo.png", None),
            request(&format!("/api?access_token={token}"), None),
        ];
        let mut cache = VerdictCache::new(16);
        for round in 0..2 {
            for req in &requests {
                let expected = decide(&v, req, &KeySet::new(), NOW);
                let got = match begin(&v, req, &cache) {
                    Ready::Done(d) => *d,
                    Ready::Fetch(ticket) => {
                        let keys = || Cow::Owned(KeySet::new());
                        finish(&v, &ticket, keys, 1, &mut cache, NOW)
                    }
                };
                assert_eq!(got, expected, "round {round}: {req:?}");
            }
        }
        // The valid token (4 requests a round) was verified once; the invalid ones every time.
        assert_eq!(cache.stats(), (7, 1 + 2 * 2));

        // The plan of a cached token comes from the cache, not from decoding the token again.
        let req = &requests[0];
        let (Ready::Fetch(a), Ready::Fetch(b)) = (begin(&v, req, &cache), begin(&v, req, &cache))
        else {
            panic!("a token to verify")
        };
        assert!(Rc::ptr_eq(&a.plan, &b.plan));
        assert_eq!(a.plan.issuer.as_deref(), Some("https://as.example"));
        assert_eq!(a.plan.kid.as_deref(), Some("k1"));
        let Ready::Fetch(fresh) = begin(&v, req, &VerdictCache::new(1)) else {
            panic!("a token to verify")
        };
        assert!(!Rc::ptr_eq(&a.plan, &fresh.plan));
        assert_eq!(a.plan.sources, fresh.plan.sources);
    }

    fn fhir(method: &str, path: &str, scope: &str) -> Decision {
        let token = sign(claims(scope));
        let req = Request::new(
            method,
            path,
            vec![("authorization".into(), format!("Bearer {token}"))],
        );
        decide(&verifier(), &req, &KeySet::new(), NOW)
    }

    #[test]
    fn fhir_routes_apply_the_smart_decision() {
        // The token's patient claim is 123.
        assert!(fhir("GET", "/fhir/Patient/123", "patient/Patient.rs").allow);
        let other = fhir("GET", "/fhir/Patient/456", "patient/Patient.rs");
        assert_eq!(other.status, 403);
        assert!(other
            .www_authenticate
            .as_deref()
            .unwrap()
            .contains("error=\"insufficient_scope\""));
        assert!(other
            .body
            .as_deref()
            .unwrap()
            .contains("insufficient_scope"));
        assert!(
            fhir(
                "GET",
                "/fhir/Observation?patient=123&category=laboratory",
                "patient/Observation.rs?category=laboratory"
            )
            .allow
        );
        let wrong_category = fhir(
            "GET",
            "/fhir/Observation?patient=123&category=vital-signs",
            "patient/Observation.rs?category=laboratory",
        );
        assert_eq!(wrong_category.status, 403);
        let needed = fhir("POST", "/fhir/Observation", "patient/Observation.rs");
        assert_eq!(needed.status, 403);
        assert!(
            needed.www_authenticate.unwrap().contains("scope=\""),
            "the challenge names the scope needed"
        );
        assert!(fhir("GET", "/fhir/metadata", "openid").allow);
        // A batch/transaction with no Bundle in the body cannot be read entry by entry.
        let empty_bundle = fhir("POST", "/fhir", "system/*.cruds");
        assert_eq!(empty_bundle.status, 400);
        assert!(empty_bundle.log.rule.is_some(), "{:?}", empty_bundle.log);
        assert!(
            fhir(
                "GET",
                "/fhir/Observation?patient=999",
                "user/Observation.rs"
            )
            .allow
        );
    }

    #[test]
    fn a_cookie_token_is_stripped_from_the_cookie_header() {
        let mut policy: Value = serde_json::from_str(
            &json!({
                "algorithms": ["HS256"],
                "keys": {"kty": "oct", "k": encode(SECRET)},
                "token": {"from_headers": [], "from_cookies": ["at"]}
            })
            .to_string(),
        )
        .unwrap();
        let v = Verifier::from_json(&policy.to_string()).unwrap();
        let token = sign(claims("openid"));
        let req = Request::new(
            "GET",
            "/x",
            vec![("cookie".into(), format!("theme=dark; at={token}; lang=en"))],
        );
        let d = decide(&v, &req, &KeySet::new(), NOW);
        assert!(d.allow, "{d:?}");
        assert!(d.remove_headers.contains(&"cookie".to_string()));
        assert!(d
            .set_headers
            .contains(&("cookie".into(), "theme=dark; lang=en".into())));
        policy["forward"] = json!({"keep_token": true});
        let keep = Verifier::from_json(&policy.to_string()).unwrap();
        let d = decide(&keep, &req, &KeySet::new(), NOW);
        assert!(!d.remove_headers.contains(&"cookie".to_string()));
    }

    #[test]
    fn legacy_scheme_and_query_tokens() {
        let token = sign(claims("openid"));
        let d = run("/api", Some(&format!("IHE-JWT {token}")));
        assert!(d.allow);
        assert_eq!(d.response_headers[0].0, "x-azlens-deprecated");
        let d = run(&format!("/api?a=1&access_token={token}"), None);
        assert_eq!(d.status, 400);
        assert!(d.www_authenticate.unwrap().contains("invalid_request"));
    }
}
