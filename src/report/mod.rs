//! Inspection: a report on any token, readable by people and programs alike.

pub mod atna;
