//! The one protocol every host drives to answer a request: [`begin`], then, when keys are needed,
//! [`finish`]. The guard ([`crate::guard`]) and the introspection endpoint
//! ([`crate::guard::introspection`]) are two kinds of [`Step`] behind it, so a host never routes
//! requests itself, never reads an error code to decide what to do, and every host answers the
//! same request the same way.
//!
//! ```text
//! host                                  core
//!  │ begin(request, body?) ───────────► │ introspection endpoint? body needed? decided now?
//!  │ ◄── Reply(answer)                  │   (open route, no token, refused request, bad call)
//!  │ ◄── ReadBody { max_bytes }         │   read at most max_bytes + 1, then begin again
//!  │ ◄── Fetch(ticket: plan + token)    │   the token is parsed once, here
//!  │ fetch the plan's key sets          │
//!  │ finish(ticket, key sets, now) ───► │ verify (through the verdict cache) and decide
//!  │ ◄── Outcome { answer, keys }       │   keys: what the key cache must do next
//! ```

use crate::cache::{TokenKey, VerdictCache};
use crate::error::ErrorCode;
use crate::guard::introspection::{self, Call, Reply};
use crate::guard::{self, Decision, LogLine, Request};
use crate::keys::KeySet;
use crate::plan::{key_plan, KeyPlan, KeySource};
use crate::verify::Verifier;
use serde::Serialize;
use std::rc::Rc;

/// What the host does with a request next.
#[derive(Debug, Clone)]
pub enum Step {
    /// Answer now, as it stands.
    Reply(Box<Answer>),
    /// The core needs the request body: read at most `max_bytes + 1` bytes of it (one more
    /// than allowed tells the core it is too large), call [`begin`] again with them, and
    /// forward exactly those bytes if the request is allowed.
    ReadBody { max_bytes: usize },
    /// Fetch the key sets of the ticket's [`Ticket::plan`], then call [`finish`].
    Fetch(Ticket),
}

/// What the host sends: the guard's decision on a request to forward, or the introspection
/// endpoint's reply.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Decision(Box<Decision>),
    Introspection(Box<Reply>),
}

impl Answer {
    /// The guard's decision, when this answers a request to forward.
    pub fn decision(&self) -> Option<&Decision> {
        match self {
            Answer::Decision(d) => Some(d),
            Answer::Introspection(_) => None,
        }
    }

    /// [`Answer::decision`], owned.
    pub fn into_decision(self) -> Option<Decision> {
        match self {
            Answer::Decision(d) => Some(*d),
            Answer::Introspection(_) => None,
        }
    }

    /// The answer's structured log line.
    pub fn log(&self) -> &LogLine {
        match self {
            Answer::Decision(d) => &d.log,
            Answer::Introspection(r) => &r.log,
        }
    }
}

/// A request waiting for keys: the parsed token travels with it, so [`finish`] neither looks
/// for the token nor decodes it again.
#[derive(Debug, Clone)]
pub struct Ticket {
    pending: Pending,
}

#[derive(Debug, Clone)]
enum Pending {
    Guard(guard::Ticket),
    Introspection {
        request: Box<Request>,
        call: Call,
        key: TokenKey,
        plan: Rc<KeyPlan>,
    },
}

impl Ticket {
    /// Which key sources to fetch for the token (none when only inline keys apply, or when
    /// the token cannot name any: the plan's errors say why).
    pub fn plan(&self) -> &KeyPlan {
        match &self.pending {
            Pending::Guard(t) => &t.plan,
            Pending::Introspection { plan, .. } => plan,
        }
    }
}

/// The end of a request: what to send, and what the host's key cache must do.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub answer: Answer,
    pub keys: KeyAction,
}

impl KeyAction {
    /// What the key cache must do after an answer carrying `codes`, for a token whose plan
    /// named `sources`: refetch them when none of their keys matched the token's `kid`.
    pub fn after(sources: &[KeySource], codes: &[ErrorCode]) -> KeyAction {
        if !sources.is_empty() && codes.contains(&ErrorCode::KeyNotFound) {
            KeyAction::RefetchUnknownKid(sources.to_vec())
        } else {
            KeyAction::Keep
        }
    }
}

/// What the key cache must do after a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAction {
    /// Nothing.
    Keep,
    /// No key matched the token's `kid` in the fetched sets: the issuer may have rotated its
    /// keys. Refetch these sources (within the policy's unknown-`kid` cooldown) and, if any
    /// changed, call [`finish`] again with the same ticket.
    RefetchUnknownKid(Vec<KeySource>),
}

/// The first step for a request. `body` is the request body once a [`Step::ReadBody`] asked
/// for it (`None` before). `cache` supplies the key plan of a token it has verified before.
pub fn begin(
    verifier: &Verifier,
    cache: &VerdictCache,
    request: Request,
    body: Option<String>,
) -> Step {
    if body.is_none() {
        if let Some(max_bytes) = body_wanted(verifier, &request) {
            return Step::ReadBody { max_bytes };
        }
    }
    match ready(verifier, cache, request, body) {
        Ready::Reply(answer) => Step::Reply(answer),
        Ready::Fetch(ticket) => Step::Fetch(ticket),
    }
}

/// How many bytes of the body the core reads to answer `request`, when it reads any.
fn body_wanted(verifier: &Verifier, request: &Request) -> Option<usize> {
    let policy = verifier.policy();
    if introspection::is_endpoint(policy, request) {
        return Some(introspection::max_body_bytes(policy));
    }
    guard::body_limit(verifier, request)
}

/// A step that needs no more of the body.
enum Ready {
    Reply(Box<Answer>),
    Fetch(Ticket),
}

fn ready(
    verifier: &Verifier,
    cache: &VerdictCache,
    mut request: Request,
    body: Option<String>,
) -> Ready {
    let policy = verifier.policy();
    if introspection::is_endpoint(policy, &request) {
        let body = body.unwrap_or_default();
        return match introspection::read_call(policy, &request, &body) {
            Err(reply) => Ready::Reply(Box::new(Answer::Introspection(reply))),
            Ok(call) => {
                let key = cache.key(&call.token);
                let plan = cache
                    .plan(key, &call.token)
                    .unwrap_or_else(|| Rc::new(key_plan(&call.token, policy)));
                Ready::Fetch(Ticket {
                    pending: Pending::Introspection {
                        request: Box::new(request),
                        call,
                        key,
                        plan,
                    },
                })
            }
        };
    }
    if body.is_some() {
        request.body = body;
    }
    match guard::begin(verifier, &request, cache) {
        guard::Ready::Done(decision) => Ready::Reply(Box::new(Answer::Decision(decision))),
        guard::Ready::Fetch(ticket) => Ready::Fetch(Ticket {
            pending: Pending::Guard(ticket),
        }),
    }
}

/// The answer to the request `ticket` came from, with the key sets the host fetched for its
/// plan (merged here, only when the signature must be checked). `generation` must change
/// whenever those sets change: it keys `cache`.
pub fn finish(
    verifier: &Verifier,
    cache: &mut VerdictCache,
    ticket: &Ticket,
    sets: &[&KeySet],
    generation: u64,
    now: i64,
) -> Outcome {
    let keys = || crate::keycache::union(sets);
    let answer = match &ticket.pending {
        Pending::Guard(t) => Answer::Decision(Box::new(guard::finish(
            verifier, t, keys, generation, cache, now,
        ))),
        Pending::Introspection {
            request,
            call,
            key,
            plan,
        } => {
            let verdict = cache.verify_keyed(
                verifier,
                *key,
                &call.token,
                Some(plan),
                keys,
                generation,
                now,
            );
            Answer::Introspection(Box::new(introspection::reply_for(request, call, &verdict)))
        }
    };
    let keys = KeyAction::after(&ticket.plan().sources, &answer.log().codes);
    Outcome { answer, keys }
}

/// The answer to `request` for a caller that holds every key already (the CLI, tests,
/// fuzzing): [`begin`] (with an empty body when the core wants one the request lacks), then
/// [`finish`] with `keys`. Nothing stays cached; no refetch is possible.
pub fn decide(verifier: &Verifier, mut request: Request, keys: &KeySet, now: i64) -> Answer {
    let mut cache = VerdictCache::new(1);
    let body = request
        .body
        .take()
        .or_else(|| body_wanted(verifier, &request).map(|_| String::new()));
    match ready(verifier, &cache, request, body) {
        Ready::Reply(answer) => *answer,
        Ready::Fetch(ticket) => finish(verifier, &mut cache, &ticket, &[keys], 0, now).answer,
    }
}

#[cfg(test)]
mod tests;
