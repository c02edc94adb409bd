//! The azlens command line: a thin host over the core, for terminals and CI pipelines. It reads
//! files and arguments, asks the core, and prints what the core said (as text for people, or as
//! the core's JSON with `--json`). Run `azlens --help` for the commands.

use azlens::gate::{self, Answer};
use azlens::guard::{self, Request};
use azlens::report::{inspect, kind, InspectOptions, Report};
use azlens::{key_plan, time, KeySet, KeySource, Limits, Verdict, Verifier};
use serde_json::{json, Map, Value};
use std::io::Read;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

const USAGE: &str = "usage:
  azlens verify  [POLICY] [--keys FILE]... [--now TIME] [--json] TOKEN|-
  azlens inspect [POLICY] [--keys FILE]... [--now TIME] [--json] TOKEN|-
  azlens decide  [POLICY] [--keys FILE]... [--now TIME] [--json] [-H 'NAME: VALUE']...
                 [-d BODY] METHOD PATH[?QUERY] [TOKEN|-]
  azlens plan    [POLICY] [--json] TOKEN|-
  azlens keys    [--json] FILE|-
  azlens --help | --version

POLICY is a policy file, --policy FILE, or flags that make one:
  --alg ALG          an accepted algorithm (repeat, or RS256,ES256); default: every
                     public-key algorithm (HS* only when named)
  --iss ISSUER       the expected issuer (repeat for several)
  --aud AUDIENCE     the expected audience (repeat for several)
  --profile NAME     auto (default), none, iua, smart, smart-backend, cds-hooks or oidc;
                     auto applies the rules of the profile the token looks like
  Example policies, one per profile, are in examples/policies/.

  verify   checks a token: exit 0 valid, 1 rejected.
  inspect  explains any token (kind, claims, profiles, findings, nested statements) and,
           given keys, verifies it; it always exits 0.
  decide   asks the gate what it would answer to an HTTP request (the policy's routes and
           token sections, SMART scopes on FHIR routes): exit 0 allowed, 1 refused. A TOKEN
           given is sent as 'Authorization: Bearer TOKEN'; -d gives the body (a form-encoded
           _search, a batch or transaction Bundle). The method is case-sensitive (RFC 9110).
  plan     which key sources the policy lets a host fetch for the token.
  keys     what a key file holds (kid, type, restrictions).

  --now takes seconds since 1970 or a UTC date and time (2026-11-02T09:30:00Z).
  '-' reads a TOKEN, a key file or the policy from standard input (one of them).
  Key files may hold a JWK Set, a JWK, PEM (PUBLIC KEY, RSA PUBLIC KEY, CERTIFICATE),
  DER (.cer) or OpenSSH public-key lines.
  Output is text for people; --json prints the core's JSON for programs.
  Exit status: 0 valid/allowed, 1 rejected/refused, 2 usage error or unreadable input.";

/// The most standard input azlens reads. More is refused, never cut: a token with something
/// appended must not verify as the token alone.
const MAX_STDIN_BYTES: u64 = 1 << 20;
/// The largest key or policy file azlens reads.
const MAX_FILE_BYTES: u64 = 4 << 20;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(Failure::Usage(msg)) => {
            eprintln!("azlens: {msg}");
            eprintln!("Run `azlens --help` for how to use it.");
            ExitCode::from(2)
        }
        Err(Failure::Input(msg)) => {
            eprintln!("azlens: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Why a command could not run (both exit 2).
#[derive(Debug)]
enum Failure {
    /// The command line is wrong: the message, then a pointer to `--help`.
    Usage(String),
    /// An input cannot be read or used.
    Input(String),
}

fn usage(msg: impl Into<String>) -> Failure {
    Failure::Usage(msg.into())
}

fn input(msg: impl Into<String>) -> Failure {
    Failure::Input(msg.into())
}

#[derive(Default)]
struct Options {
    policy: Option<String>,
    keys: Vec<String>,
    now: Option<i64>,
    algorithms: Vec<String>,
    issuers: Vec<String>,
    audiences: Vec<String>,
    profile: Option<String>,
    headers: Vec<(String, String)>,
    /// `decide`: the request body (a form-encoded `_search`, a Bundle).
    data: Option<String>,
    json: bool,
    positional: Vec<String>,
}

impl Options {
    fn policy_flags(&self) -> bool {
        !self.algorithms.is_empty()
            || !self.issuers.is_empty()
            || !self.audiences.is_empty()
            || self.profile.is_some()
    }
}

fn parse_options(args: &[String]) -> Result<Options, Failure> {
    let mut o = Options::default();
    let mut it = args.iter();
    let mut only_positional = false;
    while let Some(a) = it.next() {
        if only_positional {
            o.positional.push(a.clone());
            continue;
        }
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| usage(format!("{name} needs a value")))
        };
        match a.as_str() {
            "--policy" => o.policy = Some(value("--policy")?),
            "--keys" => o.keys.push(value("--keys")?),
            "--now" => {
                let v = value("--now")?;
                o.now = Some(time::parse_moment(&v).ok_or_else(|| {
                    usage(format!(
                        "--now takes seconds since 1970 or a UTC date and time such as 2026-11-02T09:30:00Z, not \"{v}\""
                    ))
                })?);
            }
            "--alg" => {
                for alg in value("--alg")?.split(',').filter(|s| !s.is_empty()) {
                    o.algorithms.push(alg.trim().to_owned());
                }
            }
            "--iss" => o.issuers.push(value("--iss")?),
            "--aud" => o.audiences.push(value("--aud")?),
            "--profile" => o.profile = Some(value("--profile")?),
            "-H" | "--header" => {
                let h = value("--header")?;
                let (name, v) = h
                    .split_once(':')
                    .ok_or_else(|| usage(format!("--header takes 'NAME: VALUE', not \"{h}\"")))?;
                o.headers
                    .push((name.trim().to_owned(), v.trim().to_owned()));
            }
            "-d" | "--data" => o.data = Some(value("--data")?),
            "--json" => o.json = true,
            "--" => only_positional = true,
            "-" => o.positional.push(a.clone()),
            s if s.starts_with('-') && !looks_like_a_token(s) => {
                return Err(usage(format!("unknown option {s}")))
            }
            s => o.positional.push(s.to_owned()),
        }
    }
    let stdin_users = o.positional.iter().filter(|p| *p == "-").count()
        + o.keys.iter().filter(|k| *k == "-").count()
        + usize::from(o.policy.as_deref() == Some("-"));
    if stdin_users > 1 {
        return Err(usage(
            "only one input can come from standard input ('-'); give the others as files",
        ));
    }
    Ok(o)
}

/// A token may start with `-` (base64url has it), but never with `--`.
fn looks_like_a_token(s: &str) -> bool {
    !s.starts_with("--") && s.len() > 16 && s.contains('.')
}

fn run(args: &[String]) -> Result<ExitCode, Failure> {
    let Some((command, rest)) = args.split_first() else {
        return Err(usage("no command given"));
    };
    match command.as_str() {
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        "-V" | "--version" | "version" => {
            println!("azlens {}", env!("CARGO_PKG_VERSION"));
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    let o = parse_options(rest)?;
    match command.as_str() {
        "verify" => verify(&o),
        "inspect" => inspect_command(&o),
        "decide" => decide(&o),
        "plan" => {
            let token = token_arg(o.positional.as_slice())?;
            let verifier = load_verifier(&o, Some(&token))?;
            let plan = key_plan(&token, verifier.policy());
            if o.json {
                print_json(&plan)?;
            } else {
                let v = serde_json::to_value(&plan).map_err(|e| input(e.to_string()))?;
                print_plan(&v);
            }
            Ok(exit(plan.errors.is_empty()))
        }
        "keys" => keys(&o),
        other => Err(usage(format!("unknown command \"{other}\""))),
    }
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn verify(o: &Options) -> Result<ExitCode, Failure> {
    let token = token_arg(o.positional.as_slice())?;
    let verifier = load_verifier(o, Some(&token))?;
    let mut keys = load_keys(o, &verifier.policy().limits)?;
    not_fetched(o, &verifier, &token, &mut keys);
    let now = o.now.unwrap_or_else(now_seconds);
    let verdict = verifier.verify(&token, &keys, now);
    if o.json {
        print_json(&verdict)?;
    } else {
        print_verdict(&verdict, now);
    }
    if !verdict.valid && o.keys.is_empty() && verifier.policy().keys.is_none() {
        eprintln!("azlens: hint: no keys were given: add --keys FILE (a JWK Set, PEM, …) to check the signature");
    }
    Ok(exit(verdict.valid))
}

fn inspect_command(o: &Options) -> Result<ExitCode, Failure> {
    let token = token_arg(o.positional.as_slice())?;
    let verifier = if o.policy.is_some() || o.policy_flags() {
        Some(load_verifier(o, Some(&token))?)
    } else {
        None
    };
    let limits = verifier
        .as_ref()
        .map(|v| v.policy().limits.clone())
        .unwrap_or_default();
    let keys = load_keys(o, &limits)?;
    let opts = InspectOptions {
        limits,
        keys: (!o.keys.is_empty()).then_some(&keys),
        verifier: verifier.as_ref(),
    };
    let now = o.now.unwrap_or_else(now_seconds);
    let report = inspect(&token, now, &opts);
    if o.json {
        print_json(&report)?;
    } else {
        print_report(&report, now, verifier.is_some());
    }
    Ok(ExitCode::SUCCESS)
}

fn decide(o: &Options) -> Result<ExitCode, Failure> {
    let (method, target, token) = match o.positional.as_slice() {
        [m, t] => (m, t, None),
        [m, t, rest @ ..] => (m, t, Some(token_arg(rest)?)),
        _ => {
            return Err(usage(
                "decide needs METHOD and PATH[?QUERY] (and optionally the TOKEN), e.g. decide GET '/fhir/Observation?patient=123' TOKEN",
            ))
        }
    };
    if !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(usage(format!(
            "\"{method}\" is not an HTTP method (GET, POST, …)"
        )));
    }
    // a full URL is read for its path and query
    let path = match target.split_once("://") {
        Some((_, after)) => after.find('/').map_or("/", |i| &after[i..]),
        None => target.as_str(),
    };
    if !path.starts_with('/') {
        return Err(usage(format!(
            "\"{target}\" is not a path: give it as /fhir/Patient/123 (or a full URL)"
        )));
    }
    let mut headers = o.headers.clone();
    if let Some(t) = &token {
        headers.push(("authorization".into(), format!("Bearer {t}")));
    }
    let mut request = Request::new(method, path, headers);
    // a full URL also names the origin a DPoP proof's htu is checked against
    request.origin = target
        .split_once("://")
        .map(|(scheme, after)| format!("{scheme}://{}", after.split('/').next().unwrap_or("")));
    let verifier = load_verifier(o, token.as_deref())?;
    if guard::body_limit(&verifier, &request).is_some() {
        // The guard reads this body; without --data it is an empty one.
        request.body = Some(o.data.clone().unwrap_or_default());
    } else if let Some(data) = &o.data {
        request.body = Some(data.clone());
    }
    let mut keys = load_keys(o, &verifier.policy().limits)?;
    if let Some(t) = &token {
        not_fetched(o, &verifier, t, &mut keys);
    }
    let now = o.now.unwrap_or_else(now_seconds);
    let decision = match gate::decide(&verifier, request.clone(), &keys, now) {
        Answer::Decision(d) => *d,
        // The policy's introspection endpoint: its reply as the core wrote it.
        Answer::Introspection(reply) => {
            if o.json {
                print_json(&serde_json::to_value(&reply).map_err(|e| input(e.to_string()))?)?;
            } else {
                println!("{} {}", reply.status, reply.body);
            }
            return Ok(exit(reply.status == 200));
        }
    };
    let event = serde_json::to_value(azlens::audit::balp::event(
        &decision.audit,
        &verifier.policy().audit,
        now,
    ))
    .map_err(|e| input(e.to_string()))?;
    let rules = iua_rules_alone(&verifier, &decision, &request, &keys, now);
    if o.json {
        let mut out = serde_json::to_value(&decision).map_err(|e| input(e.to_string()))?;
        out["audit_event"] = event;
        if !rules.is_empty() {
            out["iua_rules"] = json!(rules);
        }
        print_json(&out)?;
    } else {
        print_decision(&decision);
        for (name, outcome) in &rules {
            println!("  iua rule {name}: {outcome}");
        }
        print_audit(&event);
    }
    Ok(exit(decision.allow))
}

/// Which of the IUA rules of the request's route the token meets, each decided alone (as the
/// page's request tester shows them): `met`, `not met: why`, or `not reached` when the request
/// is refused before that rule is tried.
fn iua_rules_alone(
    verifier: &Verifier,
    decision: &guard::Decision,
    request: &Request,
    keys: &azlens::KeySet,
    now: i64,
) -> Vec<(&'static str, String)> {
    let policy = verifier.policy();
    let Some(at) = decision
        .log
        .route
        .as_ref()
        .and_then(|prefix| policy.routes.iter().position(|r| &r.path_prefix == prefix))
    else {
        return Vec::new();
    };
    let Some(iua) = &policy.routes[at].iua else {
        return Vec::new();
    };
    iua.alone()
        .into_iter()
        .map(|(name, alone)| {
            let mut p = policy.clone();
            p.routes[at].iua = Some(alone);
            let outcome = match Verifier::new(p) {
                Ok(v) => {
                    let answer = gate::decide(&v, request.clone(), keys, now);
                    let Some(d) = answer.decision() else {
                        return (name, "not decided: the introspection endpoint".to_owned());
                    };
                    match d.log.rule {
                        _ if d.allow => "met".to_owned(),
                        Some(rule) if rule.starts_with("iua.") => {
                            format!("not met: {}", d.log.reason)
                        }
                        rule => format!(
                            "not reached: the request is refused before it ({})",
                            rule.unwrap_or(&d.log.reason)
                        ),
                    }
                }
                Err(e) => format!("not decided: {e}"),
            };
            (name, outcome)
        })
        .collect()
}

fn keys(o: &Options) -> Result<ExitCode, Failure> {
    let [file] = o.positional.as_slice() else {
        return Err(usage("keys needs one FILE (or - for standard input)"));
    };
    let set = KeySet::parse(&read_input(file, MAX_FILE_BYTES)?, &Limits::default())
        .map_err(|e| input(format!("{}: {}", name_of(file), e.message)))?;
    let keys: Vec<Value> = set
        .keys()
        .iter()
        .map(|k| {
            json!({
                "kid": k.kid, "kty": k.material.kty(), "description": k.material.describe(),
                "alg": k.alg, "use": k.use_, "key_ops": k.key_ops, "origin": format!("{:?}", k.origin),
            })
        })
        .collect();
    let skipped: Vec<Value> = set
        .skipped()
        .iter()
        .map(|s| json!({"kid": s.kid, "reason": s.reason}))
        .collect();
    if o.json {
        print_json(&json!({"keys": keys, "skipped": skipped}))?;
    } else {
        println!(
            "{} usable key{} in {}",
            keys.len(),
            plural(keys.len()),
            name_of(file)
        );
        for k in &keys {
            let mut line = format!("  {}", text(&k["description"]));
            if let Some(kid) = k["kid"].as_str() {
                line.push_str(&format!("  kid \"{kid}\""));
            }
            for restriction in ["alg", "use"] {
                if let Some(v) = k[restriction].as_str() {
                    line.push_str(&format!("  {restriction} {v}"));
                }
            }
            println!("{line}");
        }
        for s in &skipped {
            println!(
                "  skipped{}: {}",
                s["kid"]
                    .as_str()
                    .map(|k| format!(" \"{k}\""))
                    .unwrap_or_default(),
                text(&s["reason"])
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// The command line never fetches: without `--keys`, each key source the policy names for this
/// token stands as one that could not be fetched, so the verdict says `key_set_unavailable`
/// and how to fix it, as every other host does when its fetch fails.
fn not_fetched(o: &Options, verifier: &Verifier, token: &str, keys: &mut KeySet) {
    if !o.keys.is_empty() {
        return;
    }
    const WHY: &str =
        "the command line does not fetch key sets: save it to a file and pass --keys FILE";
    for source in key_plan(token, verifier.policy()).sources {
        let url = match source {
            KeySource::JwksUri { url } | KeySource::Jku { url } => url,
            // A CRL not given leaves revocation unknown, which the chain check reports itself.
            KeySource::Crl { .. } => continue,
            KeySource::Discovery { issuer } => {
                format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                )
            }
        };
        keys.extend(KeySet::unavailable(&url, WHY));
    }
}

fn load_keys(o: &Options, limits: &Limits) -> Result<KeySet, Failure> {
    let mut keys = KeySet::new();
    for file in &o.keys {
        let set = KeySet::parse(&read_input(file, MAX_FILE_BYTES)?, limits)
            .map_err(|e| input(format!("{}: {}", name_of(file), e.message)))?;
        keys.extend(set);
    }
    Ok(keys)
}

/// The policy: a file, or the one the flags describe. With `--profile auto` (the default for
/// flags) the profile is the one the core detects in `token`: `report::profile_match::detect`,
/// the function the inspector page's "auto-detect" asks too.
fn load_verifier(o: &Options, token: Option<&str>) -> Result<Verifier, Failure> {
    if let Some(file) = &o.policy {
        if o.policy_flags() {
            return Err(usage(
                "give the policy either as a file (--policy) or as flags (--alg, --iss, --aud, --profile), not both",
            ));
        }
        let text = String::from_utf8(read_input(file, MAX_FILE_BYTES)?)
            .map_err(|_| input(format!("{}: not UTF-8", name_of(file))))?;
        return Verifier::from_json(&text).map_err(|e| input(format!("{}: {e}", name_of(file))));
    }
    let mut policy = Map::new();
    let algorithms: Vec<String> = if o.algorithms.is_empty() {
        azlens::Algorithm::ALL
            .iter()
            .filter(|a| !a.is_symmetric())
            .map(|a| a.name().to_owned())
            .collect()
    } else {
        o.algorithms.clone()
    };
    policy.insert("algorithms".into(), json!(algorithms));
    if !o.issuers.is_empty() {
        let issuers: Vec<Value> = o.issuers.iter().map(|i| json!({"issuer": i})).collect();
        policy.insert("issuers".into(), Value::Array(issuers));
    }
    if !o.audiences.is_empty() {
        policy.insert("audience".into(), json!(o.audiences));
    }
    let choice = o.profile.as_deref().unwrap_or("auto");
    let profile = match choice {
        "none" => None,
        "auto" => token.and_then(detect_profile),
        name => Some(azlens::Profile::from_name(name).ok_or_else(|| {
            usage(format!(
                "--profile takes auto, none, iua, smart, smart-backend, cds-hooks or oidc, not \"{name}\""
            ))
        })?),
    };
    if let Some(p) = profile {
        policy.insert("profile".into(), json!(p.name()));
        if p.needs_audience() && o.audiences.is_empty() {
            let what = match p {
                azlens::Profile::Oidc => "the client_id the ID token was issued to",
                _ => "this CDS Service's endpoint URL",
            };
            let how = if choice == "auto" {
                format!(
                    "the token looks like {} (auto-detected); its rules compare aud with {what}: give it with --aud (or choose --profile none)",
                    p.title()
                )
            } else {
                format!(
                    "the {} profile compares aud with {what}: give it with --aud",
                    p.name()
                )
            };
            return Err(usage(how));
        }
        if p == azlens::Profile::SmartBackend && o.audiences.is_empty() {
            let how = if choice == "auto" {
                " (auto-detected)"
            } else {
                ""
            };
            return Err(usage(format!(
                "the token looks like {}{how}: give this server's token endpoint URL, which aud must name, with --aud",
                p.title()
            )));
        }
        if p == azlens::Profile::SmartBackend {
            policy.insert(
                "profile_options".into(),
                json!({"token_endpoint": o.audiences[0]}),
            );
        }
    }
    Verifier::from_json(&Value::Object(policy).to_string())
        .map_err(|e| usage(format!("the flags do not make a usable policy: {e}")))
}

/// The profile "auto" applies: the report marks it (`profiles[].detected`).
fn detect_profile(token: &str) -> Option<azlens::Profile> {
    inspect(token, 0, &InspectOptions::default())
        .profiles
        .into_iter()
        .find(|m| m.detected)
        .map(|m| m.name)
}

/// The token from the argument, or from standard input for `-`, with hints for the usual slips.
fn token_arg(given: &[String]) -> Result<String, Failure> {
    let raw = match given {
        [t] if t == "-" => {
            let bytes = read_stdin(MAX_STDIN_BYTES, "the token")?;
            String::from_utf8(bytes)
                .map_err(|_| input("the token on standard input is not UTF-8 text"))?
        }
        [t] => t.clone(),
        [] => {
            return Err(usage(
                "no TOKEN given (or - to read it from standard input)",
            ))
        }
        more => {
            return Err(usage(format!(
                "give exactly one TOKEN, not {} arguments (quote a token that holds spaces)",
                more.len()
            )))
        }
    };
    if looks_like_a_path(raw.trim()) {
        eprintln!(
            "azlens: hint: \"{0}\" looks like a file name, not a token; to read a token from a file, give - and the file on standard input (… - < {0})",
            raw.trim(),
        );
    }
    // the core's reading of pasted text: white space and an Authorization scheme word removed
    let detected = kind::detect(&raw, Limits::default().max_token_bytes);
    if let Some(f) = detected
        .findings
        .iter()
        .find(|f| f.code == "scheme_removed")
    {
        eprintln!("azlens: note: {}", f.message);
    }
    Ok(detected.token)
}

/// An existing file, or text that is no compact JWS/JWE (two or four dots) and reads as a path.
fn looks_like_a_path(s: &str) -> bool {
    if s.is_empty() || s.len() > 4096 {
        return false;
    }
    let dots = s.bytes().filter(|b| *b == b'.').count();
    std::path::Path::new(s).is_file()
        || (dots != 2
            && dots != 4
            && (s.contains('/')
                || [".jwt", ".txt", ".json", ".token", ".pem"]
                    .iter()
                    .any(|ext| s.to_ascii_lowercase().ends_with(ext))))
}

fn name_of(file: &str) -> &str {
    if file == "-" {
        "standard input"
    } else {
        file
    }
}

fn read_input(file: &str, max: u64) -> Result<Vec<u8>, Failure> {
    if file == "-" {
        return read_stdin(max, "standard input");
    }
    let meta = std::fs::metadata(file).map_err(|e| input(format!("{file}: {e}")))?;
    if meta.len() > max {
        return Err(input(format!("{file}: larger than {} MiB", max >> 20)));
    }
    std::fs::read(file).map_err(|e| input(format!("{file}: {e}")))
}

/// Read standard input to its end, refusing (not cutting) more than `max` bytes.
fn read_stdin(max: u64, what: &str) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| input(format!("reading {what} from standard input: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(input(format!(
            "standard input holds more than {max} bytes, the most azlens reads for {what}; nothing was checked"
        )));
    }
    Ok(bytes)
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Output

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(v).map_err(|e| input(e.to_string()))?;
    println!("{text}");
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A JSON value as a person reads it: strings without quotes.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn print_problem(mark: &str, code: &str, message: &str, claim: Option<&str>) {
    let claim = claim.map(|c| format!(" ({c})")).unwrap_or_default();
    println!("  {mark} {code}{claim}: {message}");
}

fn print_verdict(v: &Verdict, now: i64) {
    if v.valid {
        let mut line = String::from("VALID");
        if let Some(k) = &v.key {
            line.push_str(&format!(": signature checked with a {} key", k.kty));
            if let Some(kid) = &k.kid {
                line.push_str(&format!(" \"{kid}\""));
            }
            line.push_str(&format!(" ({})", k.alg.name()));
        }
        if let Some(p) = v.profile {
            line.push_str(&format!("; {} rules met", p.title()));
        }
        println!("{line}");
    } else {
        println!(
            "INVALID: {} problem{}",
            v.errors.len(),
            plural(v.errors.len())
        );
        for e in &v.errors {
            print_problem("✗", e.code.as_str(), &e.message, e.claim.as_deref());
        }
    }
    if !v.warnings.is_empty() {
        println!("Warnings:");
        for w in &v.warnings {
            print_problem("!", w.code, &w.message, w.claim.as_deref());
        }
    }
    if let Some(claims) = &v.payload {
        println!("Claims{}:", if v.valid { "" } else { " (not trusted)" });
        for (name, value) in claims {
            let mut line = format!("  {name}: {}", text(value));
            if ["exp", "nbf", "iat", "auth_time"].contains(&name.as_str()) {
                if let Some(t) = value.as_i64() {
                    line.push_str(&format!(
                        "  ({}, {})",
                        time::utc(t),
                        azlens::report::relative(name, t, now)
                    ));
                }
            }
            println!("{line}");
        }
    }
}

fn print_report(r: &Report, now: i64, with_policy: bool) {
    println!("{}", r.summary);
    if let Some(h) = &r.header {
        println!("Header: {}", Value::Object(h.clone()));
    }
    if !r.claims.is_empty() {
        println!("Claims:");
        for c in &r.claims {
            let mut line = format!("  {}: {}", c.name, text(&c.value));
            if let Some(rel) = &c.relative {
                line.push_str(&format!(
                    "  ({}, {rel})",
                    c.utc.as_deref().unwrap_or_default()
                ));
            }
            if let Some(m) = c.meaning {
                line.push_str(&format!("  — {m}"));
            }
            println!("{line}");
        }
    }
    if !r.findings.is_empty() {
        println!("Findings:");
        for f in &r.findings {
            let mark = match f.severity {
                azlens::report::Severity::Error => "✗",
                azlens::report::Severity::Warning => "!",
                azlens::report::Severity::Info => "·",
            };
            print_problem(mark, f.code, &f.message, f.claim.as_deref());
        }
    }
    let like: Vec<_> = r.profiles.iter().filter(|m| m.matches).collect();
    if !like.is_empty() {
        println!("Profiles it looks like:");
        for m in like {
            let detected = if m.detected {
                " (auto-detect applies this one)"
            } else {
                ""
            };
            println!("  {}{detected}: {}", m.name.title(), m.signals.join("; "));
            if !m.missing.is_empty() {
                println!("    lacks: {}", m.missing.join(", "));
            }
        }
    }
    for n in &r.nested {
        println!("Nested in {}: {}", n.claim, n.report.summary);
    }
    if let Some(v) = &r.verification {
        println!(
            "Verification ({}):",
            if with_policy {
                "under the policy"
            } else {
                "signature and times only; give a policy (--alg/--iss/--aud or --policy) for the rest"
            }
        );
        print_verdict(v, now);
    }
}

fn print_decision(d: &guard::Decision) {
    let verb = if d.allow { "ALLOWED" } else { "REFUSED" };
    println!("{verb} ({}): {}", d.status, d.log.reason);
    println!("  request: {} {}", d.log.method, d.log.path);
    println!(
        "  route: {}",
        d.log
            .route
            .as_deref()
            .unwrap_or("none (every path no route covers needs a valid token)")
    );
    if let Some(c) = &d.www_authenticate {
        println!("  WWW-Authenticate: {c}");
    }
    if let Some(body) = d
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
    {
        for e in body["errors"].as_array().into_iter().flatten() {
            print_problem(
                "✗",
                &text(&e["code"]),
                &text(&e["message"]),
                e["claim"].as_str(),
            );
        }
    }
    for (name, value) in &d.set_headers {
        println!("  upstream header {name}: {value}");
    }
    for (name, value) in &d.response_headers {
        println!("  response header {name}: {value}");
    }
    if d.break_glass {
        println!("  BREAK-THE-GLASS: allowed only by an emergency purpose of use");
    }
}

/// The audit record in a line or two; `--json` prints the whole AuditEvent.
fn print_audit(ev: &Value) {
    let profile = ev["meta"]["profile"][0]
        .as_str()
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or("AuditEvent");
    println!(
        "  audit: {profile} {} outcome {}: {}",
        text(&ev["subtype"][0]["code"]),
        text(&ev["outcome"]),
        text(&ev["outcomeDesc"])
    );
    for agent in ev["agent"].as_array().into_iter().flatten() {
        if agent["requestor"] == Value::Bool(true) {
            let purposes: Vec<String> = agent["purposeOfUse"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| text(&p["coding"][0]["code"]))
                .collect();
            println!(
                "  audit user: {}{}",
                text(&agent["who"]["identifier"]["value"]),
                if purposes.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", purposes.join(", "))
                }
            );
        }
    }
}

fn print_plan(v: &Value) {
    if let Some(iss) = v["issuer"].as_str() {
        println!("issuer: {iss}");
    }
    let sources = v["sources"].as_array().cloned().unwrap_or_default();
    if sources.is_empty() {
        println!("nothing to fetch: only inline keys apply");
    }
    for s in sources {
        println!("fetch: {s}");
    }
    for e in v["errors"].as_array().into_iter().flatten() {
        print_problem(
            "✗",
            &text(&e["code"]),
            &text(&e["message"]),
            e["claim"].as_str(),
        );
    }
}
