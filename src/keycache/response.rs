//! What a host's fetch came back with: a response (status, headers, body bytes), or no response
//! at all. The host copies these as they arrived; the core decides what they mean.

/// The end of one fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    Response {
        status: u16,
        /// Header names in any case; only a few are read (`cache-control`, `age`, `expires`,
        /// `date`).
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// No response: timeout, connection failure, unknown cluster, oversized body — in words.
    Failed(String),
}

impl Completion {
    /// A response's header (the first one of that name, compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        match self {
            Completion::Response { headers, .. } => headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str()),
            Completion::Failed(_) => None,
        }
    }

    /// The body of a 200 response, or why there is none worth reading.
    pub fn ok_body(&self, url: &str) -> Result<&[u8], String> {
        match self {
            Completion::Failed(why) => Err(why.clone()),
            Completion::Response {
                status: 200, body, ..
            } => Ok(body),
            Completion::Response { status, body, .. } => Err(not_ok(url, *status, body)),
        }
    }
}

/// Why a response other than 200 is no document. Envoy answers a call itself (a local reply,
/// not the server) when it cannot reach the server or the call times out; its bodies say so,
/// and the problem should too. Redirects are never followed.
fn not_ok(url: &str, status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let local = [
        (
            "upstream request timeout",
            "the call timed out (key_cache.fetch_timeout_ms)",
        ),
        (
            "upstream connect error",
            "it could not connect to the key server",
        ),
        ("no healthy upstream", "the cluster has no healthy host"),
        ("upstream reset", "the key server reset the connection"),
    ];
    if let Some((_, why)) = local.iter().find(|(prefix, _)| text.starts_with(prefix)) {
        return format!("no answer from the key server: Envoy replied {status} itself, {why}");
    }
    let redirect = if (300..400).contains(&status) {
        " (redirects are not followed)"
    } else {
        ""
    };
    format!("the key server answered HTTP {status}{redirect} ({url})")
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
