//! Native verification: azlens (policy and key set prepared once, as hosts use it) against
//! `ring`, on the tokens and keys of target/bench/fixtures/fixtures.json.
//!
//! `ring` is the practical limit: it checks the signature only (split the token, decode the
//! signature, verify), with no JSON and no claims, and it has no P-521 (ES512). azlens does the
//! whole verification (header rules, key selection, signature, claims).
//!
//! Like the Node benchmarks: contenders interleaved round by round, each round a time box of
//! chunks of about a millisecond; medians over rounds, min–max, and ratios within a round, from
//! wall-clock time and from the thread's CPU time.
//!
//! Usage: azlens-bench-native FIXTURES OUT.json [ROUNDS] [ROUND_MS]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::{hmac, signature};
use serde_json::{json, Map, Value};
use std::hint::black_box;
use std::time::{Duration, Instant};

type Op<'a> = Box<dyn Fn() -> bool + 'a>;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: azlens-bench-native FIXTURES OUT.json [ROUNDS] [ROUND_MS]".into());
    }
    let rounds: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(31);
    let round_ms: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(25);
    let text = std::fs::read_to_string(&args[1]).map_err(|e| format!("{}: {e}", args[1]))?;
    let fx: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let only: Option<Vec<String>> = std::env::var("BENCH_ALGS")
        .ok()
        .map(|s| s.split(',').map(str::to_owned).collect());

    let now = fx["now"].as_i64().ok_or("fixtures: no now")?;
    let issuer = fx["issuer"].as_str().ok_or("fixtures: no issuer")?;
    let audience = fx["audience"].as_str().ok_or("fixtures: no audience")?;
    let algs = fx["algorithms"]
        .as_object()
        .ok_or("fixtures: no algorithms")?;

    let load_start = load_average();
    let mut out = Map::new();
    for (alg, f) in algs {
        if only.as_ref().is_some_and(|o| !o.contains(alg)) {
            continue;
        }
        let token = f["token"].as_str().ok_or("fixture without token")?;
        let policy =
            json!({"algorithms": [alg], "issuers": [{"issuer": issuer, "audience": audience}]});
        let verifier =
            azlens::Verifier::from_json(&policy.to_string()).map_err(|e| e.to_string())?;
        let keys =
            azlens::KeySet::parse(f["jwks"].to_string().as_bytes(), &azlens::Limits::default())
                .map_err(|p| p.message)?;
        let verdict = verifier.verify(token, &keys, now);
        if !verdict.valid {
            return Err(format!(
                "{alg}: azlens rejected the fixture: {:?}",
                verdict.errors
            ));
        }

        let mut contenders: Vec<(&str, Op)> = vec![(
            "azlens-native",
            Box::new(|| verifier.verify(black_box(token), &keys, now).valid),
        )];
        if let Some(op) = ring_verifier(alg, &f["jwk"], token)? {
            if !op() {
                return Err(format!("{alg}: ring rejected the fixture"));
            }
            contenders.push(("ring", op));
        }

        let (results, ratio) = interleaved(&contenders, rounds, Duration::from_millis(round_ms))?;
        let mut entry = json!({"contenders": results});
        if let Some(r) = ratio {
            entry["ratios"] = json!({"azlens-native/ring": r});
        }
        eprintln!(
            "{alg}: {}",
            contenders
                .iter()
                .map(|(n, _)| format!(
                    "{n} {:.0}/s",
                    entry["contenders"][n]["ops_per_s"]["median"]
                        .as_f64()
                        .unwrap_or(0.0)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
        out.insert(alg.clone(), entry);
    }

    let result = json!({
        "bench": "verify-native",
        "load": { "start": load_start, "end": load_average() },
        "rounds": rounds,
        "batch_ms": round_ms,
        "versions": { "ring": "0.17.14" },
        "notes": {
            "ring": "signature only: split, base64url-decode the signature, verify; keys parsed per call as ring's API does; no P-521"
        },
        "algorithms": out,
    });
    std::fs::write(&args[2], format!("{result:#}\n")).map_err(|e| format!("{}: {e}", args[2]))?;
    eprintln!("wrote {}", args[2]);
    Ok(())
}

fn b64(v: &Value) -> Result<Vec<u8>, String> {
    let s = v.as_str().ok_or("JWK member missing")?;
    URL_SAFE_NO_PAD.decode(s).map_err(|e| e.to_string())
}

/// ring's check of the token's signature, or None where ring has no such algorithm.
fn ring_verifier<'a>(alg: &str, jwk: &Value, token: &'a str) -> Result<Option<Op<'a>>, String> {
    let (input, sig) = token.rsplit_once('.').ok_or("token without signature")?;
    let split = move || -> Option<Vec<u8>> { URL_SAFE_NO_PAD.decode(black_box(sig)).ok() };
    let input = input.as_bytes();
    let op: Op = match alg {
        "RS256" | "PS256" => {
            let params: &'static signature::RsaParameters = if alg == "RS256" {
                &signature::RSA_PKCS1_2048_8192_SHA256
            } else {
                &signature::RSA_PSS_2048_8192_SHA256
            };
            let key = signature::RsaPublicKeyComponents {
                n: b64(&jwk["n"])?,
                e: b64(&jwk["e"])?,
            };
            Box::new(move || split().is_some_and(|s| key.verify(params, input, &s).is_ok()))
        }
        "ES256" | "ES384" => {
            let params: &'static signature::EcdsaVerificationAlgorithm = if alg == "ES256" {
                &signature::ECDSA_P256_SHA256_FIXED
            } else {
                &signature::ECDSA_P384_SHA384_FIXED
            };
            let mut point = vec![4u8];
            point.extend(b64(&jwk["x"])?);
            point.extend(b64(&jwk["y"])?);
            Box::new(move || {
                split().is_some_and(|s| {
                    signature::UnparsedPublicKey::new(params, &point)
                        .verify(input, &s)
                        .is_ok()
                })
            })
        }
        "EdDSA" => {
            let x = b64(&jwk["x"])?;
            Box::new(move || {
                split().is_some_and(|s| {
                    signature::UnparsedPublicKey::new(&signature::ED25519, &x)
                        .verify(input, &s)
                        .is_ok()
                })
            })
        }
        "HS256" => {
            let key = hmac::Key::new(hmac::HMAC_SHA256, &b64(&jwk["k"])?);
            Box::new(move || split().is_some_and(|s| hmac::verify(&key, input, &s).is_ok()))
        }
        _ => return Ok(None),
    };
    Ok(Some(op))
}

/// The one-minute load average (other tenants of a shared machine show here).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
}

/// The CPU time this thread has used, from the scheduler's own account (ns precision).
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

fn stats(values: &[f64]) -> Value {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    let mid = s.len() / 2;
    let median = if s.len() % 2 == 1 {
        s[mid]
    } else {
        (s[mid - 1] + s[mid]) / 2.0
    };
    json!({"median": median, "min": s[0], "max": s[s.len() - 1], "n": s.len()})
}

/// Operations per ~1 ms chunk, from the fastest of several single operations.
fn chunk_size(op: &Op) -> u64 {
    let best = (0..7)
        .map(|_| {
            let t = Instant::now();
            black_box(op());
            t.elapsed()
        })
        .min()
        .unwrap_or(Duration::from_millis(1));
    (1_000_000 / best.as_nanos().max(1)).max(1) as u64
}

fn interleaved(
    contenders: &[(&str, Op)],
    rounds: usize,
    round: Duration,
) -> Result<(Value, Option<Value>), String> {
    // Warm-up: caches, branch predictors, CPU frequency.
    for (_, op) in contenders {
        let end = Instant::now() + Duration::from_millis(200);
        while Instant::now() < end {
            black_box(op());
        }
    }
    let chunks: Vec<u64> = contenders.iter().map(|(_, op)| chunk_size(op)).collect();
    let mut wall = vec![Vec::new(); contenders.len()];
    let mut cpu = vec![Vec::new(); contenders.len()];
    let mut rejected = false;
    for r in 0..rounds {
        for i in 0..contenders.len() {
            let c = (i + r) % contenders.len();
            let op = &contenders[c].1;
            let (t0, c0) = (Instant::now(), cpu_time());
            let mut ops = 0u64;
            loop {
                for _ in 0..chunks[c] {
                    rejected |= !black_box(op());
                }
                ops += chunks[c];
                if t0.elapsed() >= round {
                    break;
                }
            }
            let (w, u) = (t0.elapsed(), cpu_time() - c0);
            wall[c].push(ops as f64 / w.as_secs_f64());
            cpu[c].push(ops as f64 / u.as_secs_f64().max(1e-9));
        }
    }
    if rejected {
        return Err("a contender rejected a token it had accepted before".into());
    }
    let mut results = Map::new();
    for (i, (name, _)) in contenders.iter().enumerate() {
        let us: Vec<f64> = wall[i].iter().map(|o| 1e6 / o).collect();
        results.insert(
            (*name).into(),
            json!({
                "chunk": chunks[i],
                "ops_per_s": stats(&wall[i]),
                "us_per_op": stats(&us),
                "ops_per_cpu_s": stats(&cpu[i]),
                "rounds": wall[i].iter().map(|o| o.round()).collect::<Vec<_>>(),
            }),
        );
    }
    let ratio = (contenders.len() > 1).then(|| {
        let w: Vec<f64> = wall[0].iter().zip(&wall[1]).map(|(a, b)| a / b).collect();
        let c: Vec<f64> = cpu[0].iter().zip(&cpu[1]).map(|(a, b)| a / b).collect();
        let mut r = stats(&w);
        r["cpu"] = stats(&c)["median"].clone();
        r
    });
    Ok((Value::Object(results), ratio))
}
