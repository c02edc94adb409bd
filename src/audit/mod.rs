//! The audit record of every gateway decision: the facts the core gathers while deciding
//! ([`Facts`], carried in the `Decision`), and the IHE BALP FHIR R4 `AuditEvent` built from them
//! ([`balp`]) at the host's clock. Hosts only move the event (a log line, an audit repository).

pub mod balp;

use crate::guard::iua_rules::Code;
use serde::{Deserialize, Serialize};

/// What an audit record says about one decision: who asked, for what, and what was decided.
/// Time-free, so the same request decided twice carries the same facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub allow: bool,
    pub status: u16,
    /// The rule that refused the request, or the one that let it through by breaking the glass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default)]
    pub reason: String,
    pub method: String,
    /// The canonical path and query decided on.
    pub path: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// The FHIR interaction (`read`, `search-type`…), when the route is a FHIR API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// The one patient the request reaches, when the guard can prove it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    /// The ATNA user name `aud<sub@iss>` of a verified token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The token's `jti`, so the record names the authorization it rests on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purpose_of_use: Vec<Code>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_role: Vec<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_doc: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub break_glass: bool,
}

/// How the gateway names itself in audit records, and where hosts send them (`audit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    /// The gateway's name as the audit source and the destination agent.
    pub source: String,
    /// A FHIR server's base URL (worker) to POST AuditEvents to, as batch Bundles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The Envoy cluster of the audit repository (Envoy filter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The path of the repository's FHIR base within the cluster (Envoy filter).
    pub cluster_path: String,
    /// Events sent in one Bundle at most.
    pub batch: usize,
    /// Events waiting to be sent at most; more are dropped and counted.
    pub queue: usize,
    /// Write each AuditEvent to the host's log.
    pub log: bool,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            source: "azlens-gateway".into(),
            repository: None,
            cluster: None,
            cluster_path: "/fhir".into(),
            batch: 20,
            queue: 1000,
            log: true,
        }
    }
}

impl AuditSettings {
    pub fn validate(&self) -> Result<(), String> {
        if self.batch == 0 || self.batch > 500 {
            return Err("\"audit.batch\" must be between 1 and 500".into());
        }
        if self.queue < self.batch || self.queue > 100_000 {
            return Err(
                "\"audit.queue\" must be at least \"audit.batch\" and at most 100000".into(),
            );
        }
        if self.source.is_empty() {
            return Err(
                "\"audit.source\" is empty: name the gateway as audit records should".into(),
            );
        }
        Ok(())
    }
}

impl Facts {
    /// These facts with the decision's own: outcome, rule, reason, request line (from its log).
    pub fn complete(mut self, log: &crate::guard::LogLine, query: &str) -> Facts {
        self.allow = log.decision == "allow";
        self.status = log.status;
        self.rule = log.rule.map(str::to_owned);
        self.reason = log.reason.clone();
        self.method = log.method.clone();
        self.path = log.path.clone();
        self.query = crate::limits::clip(query, crate::limits::MAX_ECHO_BYTES).into_owned();
        if self.interaction.is_none() {
            self.interaction = log.interaction.map(str::to_owned);
        }
        if self.client_id.is_none() {
            self.client_id = log.client_id.clone();
        }
        self
    }
}

impl Facts {
    /// The verified token's facts: user, client, token id, and its IUA `attrs` (read once by
    /// the guard, which also decides the route's IUA rules on them).
    pub fn token(
        &mut self,
        payload: &serde_json::Map<String, serde_json::Value>,
        atna: Option<&str>,
        attrs: &crate::guard::iua_rules::Attributes,
    ) {
        use crate::limits::{clip, MAX_ECHO_BYTES};
        let text = |name: &str| {
            payload
                .get(name)
                .and_then(serde_json::Value::as_str)
                .map(|s| clip(s, MAX_ECHO_BYTES).into_owned())
        };
        self.user = atna.map(|a| clip(a, 3 * MAX_ECHO_BYTES).into_owned());
        self.client_id = text("client_id");
        self.token_id = text("jti");
        self.purpose_of_use = attrs.purpose_of_use.clone();
        self.subject_role = attrs.subject_role.clone();
        self.subject_name = attrs.subject_name.clone();
        self.consent_doc = attrs.consent_doc.clone();
    }

    /// What the FHIR reading of the request found: interaction, resource, the one patient.
    pub fn fhir(&mut self, request: &crate::guard::fhir::FhirRequest) {
        self.interaction = Some(request.interaction.to_owned());
        self.resource_type = request.resource_type.clone();
        self.resource_id = request.id.clone();
        let mut patients = request.checks.iter().map(|c| c.patient.as_deref());
        let first = patients.next().flatten();
        self.patient = first
            .filter(|p| patients.all(|q| q == Some(*p)))
            .map(str::to_owned);
    }
}
