//! The layering rules of src/, read from the source itself so they stay true: no circle between
//! modules that must stack (alg below keys; smart's scopes below its authorize), verification
//! never importing from inspection (`report`), which only the inspection exports of the wasm
//! host and the CLI may use, and the gateways (built without feature `report`) never reaching it.
//!
//! A module here is a file (`src/alg/ecdsa.rs` is `alg::ecdsa`, `src/alg/mod.rs` is `alg`); an
//! edge is any `crate::…` or `super::…` path in it, resolved to the longest module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Pairs that must not reach each other both ways (directly or through other modules).
const NO_CIRCLE: &[(&str, &str)] = &[
    ("alg", "keys"),
    ("profiles::smart::scopes", "profiles::smart::authorize"),
    // The key-set lifecycle reads the policy; the policy checks its URLs with the rule of
    // which URLs may be fetched (fetch_url), which stays below both.
    ("policy", "keycache"),
];

/// Verification: what decides. None of it may reach inspection, even through another module.
const VERIFICATION: &[&str] = &[
    "verify", "profiles", "guard", "claims", "keys", "alg", "token",
];
const INSPECTION: &str = "report";

/// Who may import `crate::report` besides report itself: the wasm host's inspection exports and
/// the CLI, both compiled only with feature `report`.
const REPORT_USERS: &[&str] = &["wasm::inspect", "bin"];

/// Hosts built without feature `report`: src/wasm/ as the edge worker's gate build (all of it
/// but `wasm::inspect`) and the Envoy filter. If they reached inspection they would not build.
const GATEWAYS: &[(&str, &str)] = &[("wasm", "wasm::inspect"), ("envoy", "")];

struct Source {
    /// module path → its file
    modules: BTreeMap<String, PathBuf>,
}

impl Source {
    fn read() -> Source {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut modules = BTreeMap::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                    continue;
                }
                let rel = path.strip_prefix(&root).unwrap().with_extension("");
                let mut parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    parts.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    parts.pop();
                }
                modules.insert(parts.join("::"), path);
            }
        }
        Source { modules }
    }

    /// The longest known module a path names, from the module `from`.
    fn resolve(&self, from: &str, path: &[&str]) -> Option<String> {
        let mut base: Vec<&str> = if path[0] == "crate" {
            Vec::new()
        } else {
            from.split("::").filter(|s| !s.is_empty()).collect()
        };
        let mut rest = &path[1..];
        if path[0] == "super" {
            base.pop();
            while rest.first() == Some(&"super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        base.extend_from_slice(rest);
        (1..=base.len())
            .rev()
            .map(|n| base[..n].join("::"))
            .find(|m| self.modules.contains_key(m))
    }

    /// Every module → the modules it names.
    fn edges(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, file) in &self.modules {
            let text = std::fs::read_to_string(file).unwrap();
            let targets = out.entry(module.clone()).or_default();
            for path in paths(&text) {
                let parts: Vec<&str> = path.split("::").collect();
                if let Some(t) = self.resolve(module, &parts) {
                    if &t != module {
                        targets.insert(t);
                    }
                }
            }
        }
        out
    }
}

/// The `crate::a::b` and `super::a` paths in a file's code (not its comments, not its tests),
/// with `use crate::{a, b::c}` groups spread out.
fn paths(text: &str) -> Vec<String> {
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap_or("")
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            spread(&code[at..], "", &mut out);
        }
    }
    out
}

/// The path at the start of `code`, prefixed, or each path of the `{…}` group it opens.
fn spread(code: &str, prefix: &str, out: &mut Vec<String>) {
    let path: String = code
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let rest = &code[path.len()..];
    let path = format!("{prefix}{path}");
    if path.ends_with("::") && rest.starts_with('{') {
        let mut depth = 0;
        let mut item = 1;
        for (i, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 1 => {
                    spread(rest[item..].trim_start(), &path, out);
                    item = i + 1;
                    continue;
                }
                _ => continue,
            }
            if depth == 0 {
                spread(rest[item..i].trim_start(), &path, out);
                return;
            }
        }
        return;
    }
    let path = path.trim_end_matches(':');
    // `self` in a group names the group's own path.
    let path = path.strip_suffix("::self").unwrap_or(path);
    out.push(path.to_owned());
}

fn within(module: &str, group: &str) -> bool {
    module == group || module.starts_with(&format!("{group}::"))
}

/// Can a module in `from` reach a module in `to`? Returns the path found, for the message.
fn reach(
    edges: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
    avoid: &str,
) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<Vec<String>> = edges
        .keys()
        .filter(|m| within(m, from) && !within(m, avoid))
        .map(|m| vec![m.clone()])
        .collect();
    while let Some(trail) = queue.pop() {
        let here = trail.last().unwrap();
        for next in edges.get(here).into_iter().flatten() {
            if within(next, to) {
                let mut t = trail.clone();
                t.push(next.clone());
                return Some(t);
            }
            if within(next, avoid) || within(next, from) || !seen.insert(next.clone()) {
                continue;
            }
            let mut t = trail.clone();
            t.push(next.clone());
            queue.push(t);
        }
    }
    None
}

#[test]
fn the_module_reader_sees_the_layout() {
    let src = Source::read();
    let edges = src.edges();
    // A few edges that exist, so a reader that sees nothing cannot pass the rules below.
    assert!(edges["keys"].contains("alg"), "keys uses alg::Algorithm");
    assert!(edges["profiles::smart::authorize"].contains("profiles::smart::scopes"));
    assert!(edges["report"].contains("profiles::introspection"));
    assert!(edges["keys::spki"].contains("der"));
}

#[test]
fn no_circle_between_layers() {
    let edges = Source::read().edges();
    for (low, high) in NO_CIRCLE {
        let up = reach(&edges, low, high, "");
        let down = reach(&edges, high, low, "");
        if let (Some(up), Some(down)) = (up, down) {
            panic!(
                "{low} and {high} depend on each other: {} and {}; move what both need into \
                 a module below both",
                up.join(" → "),
                down.join(" → ")
            );
        }
    }
}

#[test]
fn verification_never_imports_inspection() {
    let edges = Source::read().edges();
    for (module, targets) in &edges {
        let allowed = within(module, INSPECTION) || REPORT_USERS.iter().any(|u| within(module, u));
        if allowed {
            continue;
        }
        for t in targets {
            assert!(
                !within(t, INSPECTION),
                "{module} imports {t}: only report/ itself, src/wasm/inspect.rs and the CLI may \
                 use inspection; move what both need into a core module"
            );
        }
    }
    for v in VERIFICATION {
        if let Some(trail) = reach(&edges, v, INSPECTION, "") {
            panic!(
                "verification reaches inspection: {}; move what both need into a core module",
                trail.join(" → ")
            );
        }
    }
}

#[test]
fn gateways_never_reach_inspection() {
    let edges = Source::read().edges();
    assert!(
        edges["wasm::inspect"].contains("report"),
        "the reader sees the inspection exports use report"
    );
    for (host, built_with_report) in GATEWAYS {
        if let Some(trail) = reach(&edges, host, INSPECTION, built_with_report) {
            panic!(
                "{host} is built without feature `report` but reaches inspection: {}; keep \
                 what needs the report in src/wasm/inspect.rs (or behind the feature)",
                trail.join(" → ")
            );
        }
    }
}
