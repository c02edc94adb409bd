//! The azlens command line: a thin host over the core, for terminals and CI pipelines.
//!
//!   azlens verify --policy POLICY.json [--keys FILE]... [--now SECONDS] TOKEN|-
//!   azlens inspect [--policy POLICY.json] [--keys FILE]... [--now SECONDS] TOKEN|-
//!   azlens plan   --policy POLICY.json TOKEN|-
//!   azlens keys   FILE
//!
//! Output is JSON on stdout. Exit status: 0 valid, 1 rejected, 2 usage or unreadable input.

use azlens::report::{inspect, InspectOptions};
use azlens::{key_plan, KeySet, Limits, Verifier};
use std::io::Read;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

const USAGE: &str = "usage:
  azlens verify --policy POLICY.json [--keys FILE]... [--now SECONDS] TOKEN|-
  azlens inspect [--policy POLICY.json] [--keys FILE]... [--now SECONDS] TOKEN|-
  azlens plan   --policy POLICY.json TOKEN|-
  azlens keys   FILE

  inspect explains any token (kind, claims, profiles, findings, nested statements) and,
  given keys, verifies it and each nested statement on its own; it always exits 0.
  TOKEN may be '-' to read it from standard input. Key files may hold a JWK Set, a JWK,
  PEM (PUBLIC KEY, RSA PUBLIC KEY, CERTIFICATE), DER (.cer) or OpenSSH public-key lines.
  Exit status: 0 valid, 1 rejected, 2 usage or unreadable input.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("azlens: {msg}");
            if msg.starts_with("usage") || msg.contains("unknown") || msg.contains("missing") {
                eprintln!("{USAGE}");
            }
            ExitCode::from(2)
        }
    }
}

struct Options {
    policy: Option<String>,
    keys: Vec<String>,
    now: Option<i64>,
    positional: Vec<String>,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        policy: None,
        keys: Vec::new(),
        now: None,
        positional: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or(format!("missing value for {name}"))
        };
        match a.as_str() {
            "--policy" => o.policy = Some(value("--policy")?),
            "--keys" => o.keys.push(value("--keys")?),
            "--now" => {
                let v = value("--now")?;
                o.now =
                    Some(v.parse().map_err(|_| {
                        format!("--now takes whole seconds since 1970, not \"{v}\"")
                    })?);
            }
            "-h" | "--help" => return Err("usage".into()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => o.positional.push(s.to_owned()),
        }
    }
    Ok(o)
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let (command, rest) = args.split_first().ok_or("usage")?;
    let o = parse_options(rest)?;
    match command.as_str() {
        "verify" => {
            let verifier = load_verifier(&o)?;
            let keys = load_keys(&o, &verifier.policy().limits)?;
            let token = token_arg(&o)?;
            let now = o.now.unwrap_or_else(now_seconds);
            let verdict = verifier.verify(&token, &keys, now);
            print_json(&verdict)?;
            Ok(if verdict.valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        "inspect" => {
            let verifier = match o.policy {
                Some(_) => Some(load_verifier(&o)?),
                None => None,
            };
            let limits = verifier
                .as_ref()
                .map(|v| v.policy().limits.clone())
                .unwrap_or_default();
            let keys = load_keys(&o, &limits)?;
            let token = token_arg(&o)?;
            let opts = InspectOptions {
                limits,
                keys: (!o.keys.is_empty()).then_some(&keys),
                verifier: verifier.as_ref(),
            };
            let report = inspect(&token, o.now.unwrap_or_else(now_seconds), &opts);
            print_json(&report)?;
            Ok(ExitCode::SUCCESS)
        }
        "plan" => {
            let verifier = load_verifier(&o)?;
            let token = token_arg(&o)?;
            let plan = key_plan(&token, verifier.policy());
            print_json(&plan)?;
            Ok(if plan.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        "keys" => {
            let [file] = o.positional.as_slice() else {
                return Err("usage: azlens keys FILE".into());
            };
            let set = KeySet::parse(&read_file(file)?, &Limits::default())
                .map_err(|e| format!("{file}: {}", e.message))?;
            let keys: Vec<serde_json::Value> = set
                .keys()
                .iter()
                .map(|k| {
                    serde_json::json!({
                        "kid": k.kid, "kty": k.material.kty(), "description": k.material.describe(),
                        "alg": k.alg, "use": k.use_, "key_ops": k.key_ops, "origin": format!("{:?}", k.origin),
                    })
                })
                .collect();
            let skipped: Vec<serde_json::Value> = set
                .skipped()
                .iter()
                .map(|s| serde_json::json!({"kid": s.kid, "reason": s.reason}))
                .collect();
            print_json(&serde_json::json!({"keys": keys, "skipped": skipped}))?;
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command \"{other}\"")),
    }
}

fn load_keys(o: &Options, limits: &Limits) -> Result<KeySet, String> {
    let mut keys = KeySet::new();
    for file in &o.keys {
        let set = KeySet::parse(&read_file(file)?, limits)
            .map_err(|e| format!("{file}: {}", e.message))?;
        keys.extend(set);
    }
    Ok(keys)
}

fn load_verifier(o: &Options) -> Result<Verifier, String> {
    let file = o.policy.as_ref().ok_or("missing --policy POLICY.json")?;
    let text = String::from_utf8(read_file(file)?).map_err(|_| format!("{file}: not UTF-8"))?;
    Verifier::from_json(&text).map_err(|e| format!("{file}: {e}"))
}

fn token_arg(o: &Options) -> Result<String, String> {
    match o.positional.as_slice() {
        [t] if t == "-" => {
            let mut s = String::new();
            std::io::stdin()
                .take(1 << 20)
                .read_to_string(&mut s)
                .map_err(|e| format!("reading the token from standard input: {e}"))?;
            Ok(s.trim().to_owned())
        }
        [t] => Ok(t.trim().to_owned()),
        [] => Err("missing TOKEN (or - for standard input)".into()),
        _ => Err("usage: give exactly one TOKEN".into()),
    }
}

fn read_file(path: &str) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{path}: {e}"))?;
    if meta.len() > 4 << 20 {
        return Err(format!("{path}: larger than 4 MiB"));
    }
    std::fs::read(path).map_err(|e| format!("{path}: {e}"))
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
