//! Search parameters, read as the FHIR server will read them: which ones the guard understands,
//! which patient (if exactly one) they confine the search to, and which other resources
//! `_include` / `_revinclude` pull in.
//!
//! The patient compartment comes from HL7's CompartmentDefinition for Patient (`crate::fhir`):
//! a search is confined to patient P when one of its type's compartment links names `Patient/P`
//! (bare `P` for `patient`, `_id` on Patient, or a `:Patient` modifier), exactly once, with no
//! comma list. An `_include` stays in P's compartment only when it follows that same
//! single-valued link (so it can only reach P); a `_revinclude` only from Patient P through a
//! link of the source type's compartment definition.

use super::Check;
use crate::fhir::{self, TypeDef};
use crate::profiles::smart::Interaction;

/// What the guard made of a search's parameters.
#[derive(Debug, Default)]
pub struct Reading {
    /// The one patient the search is confined to, when every parameter is understood.
    pub patient: Option<String>,
    /// Why the search names no patient although it may look as if it did.
    pub note: Option<String>,
    /// Other resources the search returns, each its own check.
    pub pulled: Vec<Check>,
}

/// Parameters that shape the result, not the match; each may appear once.
const RESULT_PARAMS: [&str; 10] = [
    "_count",
    "_sort",
    "_elements",
    "_summary",
    "_total",
    "_contained",
    "_containedType",
    "_format",
    "_pretty",
    "_offset",
];

/// Modifiers (R4 §3.1.1.5.5) that filter within a parameter's own matches.
const MODIFIERS: [&str; 12] = [
    "missing",
    "exact",
    "contains",
    "text",
    "not",
    "above",
    "below",
    "in",
    "not-in",
    "of-type",
    "identifier",
    "code-text",
];

/// `_format` and `_pretty`: how the answer is written, nothing else.
pub fn is_format_param(name: &str) -> bool {
    name == "_format" || name == "_pretty"
}

/// The first parameter on a read, update, delete or history by id that changes what comes back
/// beyond the resource's own representation.
pub fn first_unread_on_instance(params: &[(String, String)]) -> Option<&str> {
    params.iter().map(|(n, _)| n.as_str()).find(|n| {
        !matches!(
            *n,
            "_format" | "_pretty" | "_summary" | "_elements" | "_count" | "_since" | "_at"
        )
    })
}

/// Read the parameters of a search on type `t` (`*` for any type), whose path may already
/// confine it to `path_patient` (`Patient/[id]/[type]`).
pub fn read(t: &str, path_patient: Option<&str>, params: &[(String, String)]) -> Reading {
    let def = fhir::type_def(t);
    let mut note: Option<String> = None;
    let mut unconfine = |why: String| {
        note.get_or_insert(why);
    };

    // Every parameter understood; result parameters at most once.
    let mut seen_result: Vec<&str> = Vec::new();
    for (name, _) in params {
        if let Err(why) = understood(def, t, name) {
            unconfine(why);
        }
        if RESULT_PARAMS.contains(&name.as_str()) {
            if seen_result.contains(&name.as_str()) {
                unconfine(format!("\"{name}\" appears twice."));
            }
            seen_result.push(name);
        }
    }

    // The patient the links name.
    let mut named: Vec<(&str, &'static str, String)> = Vec::new(); // (param, element, id)
    if let Some(def) = def {
        for (name, value) in params {
            let (base, modifier) = split_name(name);
            let Some(link) = def.links.iter().find(|l| l.param == base) else {
                continue;
            };
            let id = match (modifier, value.strip_prefix("Patient/")) {
                (None | Some("Patient"), Some(id)) => id,
                (Some("Patient"), None) => value.as_str(),
                (None, None) if base == "patient" || base == "_id" => value.as_str(),
                _ => continue, // a filter that names no patient (subject=X, patient:missing)
            };
            if id.contains(',') {
                unconfine(format!(
                    "\"{name}={value}\" is a list (an OR), not one patient."
                ));
                continue;
            }
            if !super::valid_id(id) {
                unconfine(format!("\"{name}={value}\" does not name a patient by id."));
                continue;
            }
            if named.iter().any(|(p, _, _)| *p == name.as_str()) {
                unconfine(format!(
                    "\"{name}\" appears twice; servers read a repeated patient parameter differently."
                ));
            }
            named.push((name, link.element, id.to_owned()));
        }
    }
    let mut ids: Vec<&str> = named.iter().map(|(_, _, id)| id.as_str()).collect();
    if let Some(p) = path_patient {
        ids.push(p);
    }
    ids.dedup();
    if ids.len() > 1 {
        unconfine("The search names more than one patient.".to_owned());
    }
    let patient = match ids.as_slice() {
        [one] => Some((*one).to_owned()),
        _ => None,
    };
    let elements: Vec<&str> = named.iter().map(|(_, e, _)| *e).collect();

    // What includes pull in.
    let mut pulled = Vec::new();
    for (name, value) in params {
        let (base, modifier) = split_name(name);
        let iterate = matches!(modifier, Some("iterate" | "recurse"));
        let pull = match base {
            "_include" => include(def, t, value, iterate, patient.as_deref(), &elements),
            "_revinclude" => revinclude(t, value, iterate, patient.as_deref()),
            _ => continue,
        };
        pulled.push(pull.with_note(format!("{name}={value}")));
    }
    let patient = if note.is_some() { None } else { patient };
    Reading {
        patient,
        note,
        pulled,
    }
}

/// Whether the guard understands parameter `name` on a search of `t`, or why not.
fn understood(def: Option<&TypeDef>, t: &str, name: &str) -> Result<(), String> {
    let (base, modifier) = split_name(name);
    if RESULT_PARAMS.contains(&name) {
        return Ok(());
    }
    match base {
        "_include" | "_revinclude" => {
            return match modifier {
                None | Some("iterate") | Some("recurse") => Ok(()),
                Some(m) => Err(format!("The guard does not read \"{base}:{m}\".")),
            }
        }
        "_query" | "_filter" | "_has" | "_list" | "_text" | "_content" | "_type" | "_cascade"
        | "_getpages" | "_method" => {
            return Err(format!(
                "The guard does not read \"{base}\" (a named query, a filter language, a reverse chain or a server-specific parameter), so it cannot tell whose records the search returns."
            ))
        }
        _ => {}
    }
    if base.contains('.') {
        return Err(format!(
            "The guard does not follow chained parameters (\"{name}\")."
        ));
    }
    let known = def.is_some_and(|d| d.params.contains(&base));
    if !known {
        return Err(if t == "*" {
            format!("The guard does not read \"{name}\" on a search across types.")
        } else {
            format!("\"{base}\" is not a search parameter of {t} in FHIR R4; a server could ignore it and answer unfiltered.")
        });
    }
    match modifier {
        None => Ok(()),
        Some(m) if MODIFIERS.contains(&m) || fhir::is_resource_type(m) => Ok(()),
        Some(m) => Err(format!("The guard does not read the modifier \":{m}\".")),
    }
}

/// `_include=Source:param[:Target]`: stays in the compartment only through the confining
/// single-valued link.
fn include(
    def: Option<&TypeDef>,
    t: &str,
    value: &str,
    iterate: bool,
    patient: Option<&str>,
    elements: &[&str],
) -> Check {
    let parts: Vec<&str> = value.split(':').collect();
    let (source, param, target) = match parts.as_slice() {
        [s, p] => (*s, *p, None),
        [s, p, target] => (*s, *p, Some(*target)),
        _ => ("*", "*", None),
    };
    if source == "*" || param == "*" {
        return Check::new(Interaction::Search, "*", None);
    }
    let target_type = match target {
        Some(x) if fhir::is_resource_type(x) => x,
        _ => "*",
    };
    if let (Some(def), Some(p), false) = (def, patient, iterate) {
        let same_link = def
            .links
            .iter()
            .find(|l| l.param == param)
            .is_some_and(|l| l.single && elements.contains(&l.element));
        if source == t && same_link && (target_type == "Patient" || target.is_none()) {
            return Check::new(Interaction::Search, "Patient", Some(p.to_owned()));
        }
    }
    Check::new(Interaction::Search, target_type, None)
}

/// `_revinclude=Source:param`: in the compartment only from Patient P, through a compartment
/// link of the source type.
fn revinclude(t: &str, value: &str, iterate: bool, patient: Option<&str>) -> Check {
    let mut parts = value.split(':');
    let source = parts.next().unwrap_or("");
    let param = parts.next().unwrap_or("");
    let Some(source_def) = fhir::type_def(source) else {
        return Check::new(Interaction::Search, "*", None);
    };
    // Any link of the source type (a compartment parameter, or one that follows the same
    // element, such as Observation `patient` beside `subject`) returns only resources in P's
    // compartment; `_id` is no reference.
    let in_compartment =
        t == "Patient" && !iterate && param != "_id" && source_def.link(param).is_some();
    match patient {
        Some(p) if in_compartment => {
            Check::new(Interaction::Search, source_def.name, Some(p.to_owned()))
        }
        _ => Check::new(Interaction::Search, source_def.name, None),
    }
}

/// `name:modifier` → (`name`, `modifier`).
fn split_name(name: &str) -> (&str, Option<&str>) {
    match name.split_once(':') {
        Some((b, m)) => (b, Some(m)),
        None => (name, None),
    }
}
