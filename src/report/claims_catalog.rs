//! What each header parameter and claim means, and where it is defined.

use crate::profiles::xua;

/// One known name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The parameter or claim name; nested claims use dotted paths (`extensions.ihe_iua.subject_name`).
    pub name: &'static str,
    pub meaning: &'static str,
    pub defined_by: &'static str,
}

const fn e(name: &'static str, meaning: &'static str, defined_by: &'static str) -> Entry {
    Entry {
        name,
        meaning,
        defined_by,
    }
}

/// JOSE header parameters.
pub const HEADER: &[Entry] = &[
    e(
        "alg",
        "the algorithm that signed (or, in a JWE, encrypted the key of) the token",
        "RFC 7515 §4.1.1",
    ),
    e(
        "jku",
        "URL of a JWK Set holding the signing key; trusted only if allow-listed for the issuer",
        "RFC 7515 §4.1.2",
    ),
    e(
        "jwk",
        "the signing public key itself; a token cannot vouch for its own key",
        "RFC 7515 §4.1.3",
    ),
    e(
        "kid",
        "which key signed the token (JWS) or encrypted its key (JWE)",
        "RFC 7515 §4.1.4; RFC 7516 §4.1.6",
    ),
    e(
        "x5u",
        "URL of the signer's X.509 certificate chain",
        "RFC 7515 §4.1.5",
    ),
    e(
        "x5c",
        "the signer's X.509 certificate chain",
        "RFC 7515 §4.1.6",
    ),
    e(
        "x5t",
        "SHA-1 thumbprint of the signer's certificate",
        "RFC 7515 §4.1.7",
    ),
    e(
        "x5t#S256",
        "SHA-256 thumbprint of the signer's certificate",
        "RFC 7515 §4.1.8",
    ),
    e(
        "typ",
        "the token's media type: JWT, at+jwt for access tokens",
        "RFC 7515 §4.1.9; RFC 9068 §2.1",
    ),
    e(
        "cty",
        "the payload's content type; JWT when the payload is itself a token",
        "RFC 7515 §4.1.10",
    ),
    e(
        "crit",
        "header extensions the recipient must understand or reject the token",
        "RFC 7515 §4.1.11",
    ),
    e(
        "b64",
        "whether the payload is base64url-encoded (false is not allowed in a JWT)",
        "RFC 7797 §3",
    ),
    e(
        "enc",
        "the content encryption algorithm of a JWE",
        "RFC 7516 §4.1.2",
    ),
    e(
        "zip",
        "compression applied before encryption",
        "RFC 7516 §4.1.3",
    ),
    e(
        "epk",
        "the sender's ephemeral public key for ECDH-ES",
        "RFC 7518 §4.6.1.1",
    ),
    e(
        "apu",
        "agreement PartyUInfo for ECDH-ES",
        "RFC 7518 §4.6.1.2",
    ),
    e(
        "apv",
        "agreement PartyVInfo for ECDH-ES",
        "RFC 7518 §4.6.1.3",
    ),
    e(
        "iv",
        "initialization vector for AES-GCM key wrapping",
        "RFC 7518 §4.7.1.1",
    ),
    e(
        "tag",
        "authentication tag for AES-GCM key wrapping",
        "RFC 7518 §4.7.1.2",
    ),
    e("p2s", "PBES2 salt", "RFC 7518 §4.8.1.1"),
    e("p2c", "PBES2 iteration count", "RFC 7518 §4.8.1.2"),
];

/// Claims.
pub const CLAIMS: &[Entry] = &[
    // RFC 7519 registered claims
    e("iss", "who issued the token", "RFC 7519 §4.1.1"),
    e(
        "sub",
        "whom the token is about: the user, or the client itself",
        "RFC 7519 §4.1.2",
    ),
    e(
        "aud",
        "who the token is for; a recipient must find itself here",
        "RFC 7519 §4.1.3",
    ),
    e("exp", "when the token expires", "RFC 7519 §4.1.4"),
    e("nbf", "when the token becomes valid", "RFC 7519 §4.1.5"),
    e("iat", "when the token was issued", "RFC 7519 §4.1.6"),
    e(
        "jti",
        "a unique id for this token, for replay detection",
        "RFC 7519 §4.1.7",
    ),
    // OAuth
    e(
        "client_id",
        "the OAuth client the token was issued to",
        "RFC 8693 §4.3; RFC 9068 §2.2",
    ),
    e(
        "scope",
        "the granted scopes, space-separated",
        "RFC 8693 §4.2; RFC 9068 §2.2.3",
    ),
    e(
        "scp",
        "granted scopes as an array (a non-standard spelling of scope used by some servers)",
        "non-standard",
    ),
    e(
        "act",
        "the party acting on behalf of the subject (delegation)",
        "RFC 8693 §4.1",
    ),
    e(
        "may_act",
        "who may act on behalf of the subject",
        "RFC 8693 §4.4",
    ),
    e(
        "cnf",
        "the key the presenter must prove possession of",
        "RFC 7800 §3.1",
    ),
    e(
        "cnf.jkt",
        "SHA-256 thumbprint of the DPoP key the token is bound to",
        "RFC 9449 §6.1",
    ),
    e(
        "htm",
        "DPoP proof: the HTTP method of the request it is for",
        "RFC 9449 §4.2",
    ),
    e(
        "htu",
        "DPoP proof: the URL of the request it is for, without query and fragment",
        "RFC 9449 §4.2",
    ),
    e(
        "ath",
        "DPoP proof: base64url SHA-256 of the access token it goes with",
        "RFC 9449 §4.2",
    ),
    e(
        "cnf.x5t#S256",
        "SHA-256 thumbprint of the client certificate the token is bound to",
        "RFC 8705 §3.1",
    ),
    e(
        "roles",
        "the subject's roles",
        "RFC 9068 §2.2.3.1; RFC 7643 §4.1.2",
    ),
    e(
        "groups",
        "the subject's groups",
        "RFC 9068 §2.2.3.1; RFC 7643 §4.1.2",
    ),
    e(
        "entitlements",
        "the subject's entitlements",
        "RFC 9068 §2.2.3.1; RFC 7643 §4.1.2",
    ),
    // OpenID Connect
    e(
        "nonce",
        "the value the client sent in its authentication request, against replay",
        "OpenID Connect Core 1.0 §2",
    ),
    e(
        "auth_time",
        "when the user last authenticated",
        "OpenID Connect Core 1.0 §2",
    ),
    e(
        "acr",
        "the authentication context class the authentication satisfied",
        "OpenID Connect Core 1.0 §2",
    ),
    e(
        "amr",
        "the authentication methods used (pwd, otp, hwk, …)",
        "OpenID Connect Core 1.0 §2; RFC 8176",
    ),
    e(
        "azp",
        "the client the ID token was issued to, when there are several audiences",
        "OpenID Connect Core 1.0 §2",
    ),
    e(
        "at_hash",
        "hash of the access token issued with this ID token",
        "OpenID Connect Core 1.0 §3.1.3.6",
    ),
    e(
        "c_hash",
        "hash of the authorization code issued with this ID token",
        "OpenID Connect Core 1.0 §3.3.2.11",
    ),
    e(
        "s_hash",
        "hash of the state value",
        "FAPI 1.0 Advanced §5.1",
    ),
    e(
        "sid",
        "the login session id",
        "OpenID Connect Front-Channel Logout 1.0 §3",
    ),
    e(
        "name",
        "the user's full name",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "given_name",
        "the user's given name",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "family_name",
        "the user's family name",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "middle_name",
        "the user's middle name",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "nickname",
        "the user's casual name",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "preferred_username",
        "the name the user prefers to be called (not unique)",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "profile",
        "URL of the user's profile page",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "picture",
        "URL of the user's picture",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "website",
        "URL of the user's web page",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "email",
        "the user's e-mail address",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "email_verified",
        "whether the e-mail address was verified",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "gender",
        "the user's gender",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "birthdate",
        "the user's birthday",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "zoneinfo",
        "the user's time zone",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "locale",
        "the user's locale",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "phone_number",
        "the user's phone number",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "phone_number_verified",
        "whether the phone number was verified",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "address",
        "the user's postal address",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "updated_at",
        "when the user's information was last updated",
        "OpenID Connect Core 1.0 §5.1",
    ),
    e(
        "_claim_names",
        "claims provided by other sources (aggregated or distributed)",
        "OpenID Connect Core 1.0 §5.6.2",
    ),
    e(
        "_claim_sources",
        "the sources of aggregated or distributed claims; a JWT value is a signed statement",
        "OpenID Connect Core 1.0 §5.6.2",
    ),
    e(
        "verified_claims",
        "claims verified under a trust framework, with the evidence",
        "OpenID Connect for Identity Assurance 1.0 §5",
    ),
    // SMART App Launch
    e(
        "patient",
        "the patient in context; every patient/ scope is limited to this id",
        "SMART App Launch 2.x, launch context",
    ),
    e(
        "encounter",
        "the encounter in context",
        "SMART App Launch 2.x, launch context",
    ),
    e(
        "fhirContext",
        "other FHIR resources in context",
        "SMART App Launch 2.x, launch context",
    ),
    e(
        "fhirUser",
        "URL of the FHIR resource for the current user (Practitioner, Patient, …)",
        "SMART App Launch 2.x, identity scopes",
    ),
    e(
        "need_patient_banner",
        "whether the app must show a patient banner",
        "SMART App Launch 2.x, launch context",
    ),
    e(
        "smart_style_url",
        "URL of the EHR's style settings for the app",
        "SMART App Launch 2.x, launch context",
    ),
    e(
        "intent",
        "which user interface the app should open",
        "SMART App Launch 2.x, launch context",
    ),
    e(
        "tenant",
        "the healthcare organization that launched the app or invoked the hook",
        "SMART App Launch 2.x, launch context; CDS Hooks 2.0",
    ),
    // IHE IUA Rev 2.x
    e(
        "extensions",
        "profile-specific claims (IUA: ihe_iua, ihe_bppc)",
        "IHE ITI TF-2 3.71.4.2.2.1",
    ),
    e(
        "extensions.ihe_iua",
        "the IUA extension: who is asking, from where, and why",
        "IHE ITI TF-2 3.71.4.2.2.1",
    ),
    e(
        "extensions.ihe_iua.subject_name",
        "the user's name",
        "IHE ITI TF-2 3.71.4.2.2.1 (XUA subject-id)",
    ),
    e(
        "extensions.ihe_iua.subject_organization",
        "the user's organization",
        "IHE ITI TF-2 3.71.4.2.2.1 (XUA organization)",
    ),
    e(
        "extensions.ihe_iua.subject_organization_id",
        "the identifier of the user's organization (a URI)",
        "IHE ITI TF-2 3.71.4.2.2.1 (XUA organization-id)",
    ),
    e(
        "extensions.ihe_iua.subject_role",
        "the user's role, as FHIR Codings",
        "IHE ITI TF-2 3.71.4.2.2.1 (XACML subject:role)",
    ),
    e(
        "extensions.ihe_iua.purpose_of_use",
        "why the data is requested, as FHIR Codings",
        "IHE ITI TF-2 3.71.4.2.2.1 (XSPA purposeofuse)",
    ),
    e(
        "extensions.ihe_iua.home_community_id",
        "the home community where the request originated (urn:oid:)",
        "IHE ITI TF-2 3.71.4.2.2.1 (XCA homeCommunityId)",
    ),
    e(
        "extensions.ihe_iua.national_provider_identifier",
        "the provider's national identifier",
        "IHE ITI TF-2 3.71.4.2.2.1 (XSPA npi)",
    ),
    e(
        "extensions.ihe_iua.person_id",
        "a patient, citizen or similar public identifier",
        "IHE ITI TF-2 3.71.4.2.2.1",
    ),
    e(
        "extensions.ihe_bppc",
        "the BPPC extension: the patient's privacy consent",
        "IHE ITI TF-2 3.71.4.2.2.2",
    ),
    e(
        "extensions.ihe_bppc.patient_id",
        "the patient the privacy policy applies to",
        "IHE ITI TF-2 3.71.4.2.2.2 (XACML resource-id)",
    ),
    e(
        "extensions.ihe_bppc.doc_id",
        "the patient's privacy policy acknowledgement document",
        "IHE ITI TF-2 3.71.4.2.2.2 (BPPC docid)",
    ),
    e(
        "extensions.ihe_bppc.acp",
        "the patient privacy policy identifier",
        "IHE ITI TF-2 3.71.4.2.2.2 (XUA acp)",
    ),
    // High-assurance AZ token (IDESG / Kantara draft): nested signed statements
    e(
        "software",
        "a signed statement identifying the software that created the acr statement",
        "IDESG High Assurance AZ Token (draft)",
    ),
    e(
        "instance",
        "a signed proof-of-presence statement made by that software",
        "IDESG High Assurance AZ Token (draft)",
    ),
    e(
        "identity",
        "a signed identity-proofing statement",
        "IDESG High Assurance AZ Token (draft)",
    ),
    e(
        "consent",
        "the user's signed stipulations on the use of the data",
        "IDESG High Assurance AZ Token (draft)",
    ),
    e(
        "uniqueID",
        "a message identifier used in place of nonce",
        "IDESG High Assurance AZ Token (draft)",
    ),
    e(
        "trust_framework",
        "the trust framework the assurances are made under",
        "IDESG High Assurance AZ Token (draft)",
    ),
    e(
        "trust_federation",
        "the federation whose assurance rules apply",
        "IDESG High Assurance AZ Token (draft)",
    ),
    // Security Event Tokens
    e(
        "events",
        "the security events this token reports",
        "RFC 8417 §2.2",
    ),
    e(
        "txn",
        "a transaction id correlating events",
        "RFC 8417 §2.2",
    ),
    e("toe", "when the event occurred", "RFC 8417 §2.2"),
];

pub fn header(name: &str) -> Option<Entry> {
    HEADER.iter().find(|e| e.name == name).copied()
}

/// A claim by dotted path; the IUA 2013 flat names are explained with their Rev 2.x place.
pub fn claim(path: &str) -> Option<Entry> {
    if let Some(e) = CLAIMS.iter().find(|e| e.name == path) {
        return Some(*e);
    }
    xua::flat_name(path).map(|f| Entry {
        name: f.name,
        meaning: f.meaning,
        defined_by: flat_defined_by(f),
    })
}

fn flat_defined_by(f: &xua::FlatName) -> &'static str {
    // one static sentence per name, so Entry stays Copy and allocation-free
    match f.name {
        "SubjectID" => "IHE IUA 2013 trial implementation; today extensions.ihe_iua.subject_name",
        "SubjectOrganization" => "IHE IUA 2013 trial implementation; today extensions.ihe_iua.subject_organization",
        "SubjectOrganizationID" => "IHE IUA 2013 trial implementation; today extensions.ihe_iua.subject_organization_id",
        "HomeCommunityID" => "IHE IUA 2013 trial implementation; today extensions.ihe_iua.home_community_id",
        "NationalProviderIdentifier" => "IHE IUA 2013 trial implementation; today extensions.ihe_iua.national_provider_identifier",
        "SubjectRole" => "IHE IUA 2013 trial implementation; today extensions.ihe_iua.subject_role",
        "docid" => "IHE IUA 2013 trial implementation; today extensions.ihe_bppc.doc_id",
        "acp" => "IHE IUA 2013 trial implementation; today extensions.ihe_bppc.acp",
        "PurposeOfUse" => "IHE IUA 2013 trial implementation; today extensions.ihe_iua.purpose_of_use",
        "resourceID" => "IHE IUA 2013 trial implementation; today extensions.ihe_bppc.patient_id",
        "personID" => "IHE IUA 2013 trial implementation; today extensions.ihe_iua.person_id",
        _ => "IHE IUA 2013 trial implementation",
    }
}

/// Is this a claim holding a NumericDate?
pub fn is_time(path: &str) -> bool {
    matches!(
        path,
        "exp" | "nbf" | "iat" | "auth_time" | "updated_at" | "toe"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for table in [HEADER, CLAIMS] {
            let mut seen = std::collections::HashSet::new();
            for e in table {
                assert!(seen.insert(e.name), "{}", e.name);
                assert!(!e.meaning.is_empty() && !e.defined_by.is_empty());
            }
        }
    }

    #[test]
    fn flat_names_say_where_they_went() {
        for f in xua::FLAT_NAMES {
            let e = claim(f.name).unwrap();
            assert!(e.defined_by.ends_with(f.today), "{}", f.name);
        }
        assert_eq!(claim("exp").unwrap().defined_by, "RFC 7519 §4.1.4");
        assert!(claim("extensions.ihe_iua.subject_role").is_some());
        assert!(claim("nope").is_none());
        assert_eq!(header("alg").unwrap().defined_by, "RFC 7515 §4.1.1");
    }
}
