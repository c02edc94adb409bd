//! azlens: a strict verifier and inspector for the signed tokens that guard healthcare APIs.
//!
//! The core is pure: it never fetches, never reads a clock, never panics on input. Hosts pass a
//! token, the trusted keys (bytes they fetched) and `now`, and get a [`Verdict`] back.
//!
//! ```
//! use azlens::{KeySet, Limits, Verifier};
//!
//! let verifier = Verifier::from_json(r#"{
//!     "algorithms": ["HS256"],
//!     "issuers": [{ "issuer": "https://as.example", "audience": "https://fhir.example" }]
//! }"#).expect("a valid policy");
//! let keys = KeySet::parse(
//!     br#"{"keys":[{"kty":"oct","kid":"k1","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}]}"#,
//!     &Limits::default(),
//! ).expect("a key set");
//! let verdict = verifier.verify("not.a.token", &keys, 1_795_000_000);
//! assert!(!verdict.valid);
//! assert_eq!(verdict.errors[0].code.as_str(), "malformed");
//! ```

#![forbid(unsafe_code)]

pub mod alg;
pub mod audit;
pub mod cache;
pub mod claims;
pub(crate) mod der;
pub mod discovery;
pub mod dpop;
#[cfg(feature = "envoy")]
pub mod envoy;
pub mod error;
pub mod fetch_url;
pub mod fhir;
pub mod freshness;
pub mod gate;
pub mod guard;
pub mod json;
pub mod keycache;
pub mod keys;
pub mod limits;
pub mod plan;
pub mod policy;
pub mod profiles;
#[cfg(feature = "report")]
pub mod report;
pub mod time;
pub mod token;
pub mod trust;
pub mod verify;
pub mod vocabulary;
#[cfg(feature = "web")]
pub mod wasm;

pub use alg::Algorithm;
pub use error::{ErrorCode, Problem, Warning};
pub use keys::{Key, KeySet};
pub use limits::Limits;
pub use plan::{key_plan, KeyPlan, KeySource};
pub use policy::{IssuerPolicy, Policy, PolicyError};
pub use profiles::{Profile, ProfileOptions};
pub use verify::{Verdict, Verifier};
