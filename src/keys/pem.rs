//! PEM (RFC 7468) blocks holding public keys: `PUBLIC KEY`, `RSA PUBLIC KEY`, `CERTIFICATE`.

use super::spki;
use super::{Key, KeyOrigin};
use base64::Engine;

/// One PEM block: its label and DER body.
pub struct Block {
    pub label: String,
    pub der: Vec<u8>,
}

/// Find every PEM block in `text`. Text outside blocks is ignored (certificate bundles often
/// carry a subject line before each block).
pub fn blocks(text: &str) -> Result<Vec<Block>, String> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = line
            .trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for inner in lines.by_ref() {
            let inner = inner.trim();
            if inner == end {
                closed = true;
                break;
            }
            if inner.contains(':') {
                return Err(format!("the PEM block \"{label}\" has headers (encrypted?), which public keys never need"));
            }
            body.push_str(inner);
        }
        if !closed {
            return Err(format!("the PEM block \"{label}\" has no END line"));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| format!("the PEM block \"{label}\" is not valid base64"))?;
        out.push(Block {
            label: label.to_owned(),
            der,
        });
    }
    Ok(out)
}

/// The key in one PEM block.
pub fn key_from_block(block: &Block) -> Result<Key, String> {
    let (material, origin) = match block.label.as_str() {
        "PUBLIC KEY" => (spki::from_spki(&block.der)?, KeyOrigin::Spki),
        "RSA PUBLIC KEY" => (spki::from_pkcs1(&block.der)?, KeyOrigin::Pkcs1),
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
            (spki::from_certificate(&block.der)?, KeyOrigin::Certificate)
        }
        l if l.contains("PRIVATE KEY") => {
            return Err(format!(
                "this is a private key (\"{l}\"); give azlens the public key or certificate instead"
            ))
        }
        l => {
            return Err(format!(
                "a PEM \"{l}\" block holds no public key azlens reads"
            ))
        }
    };
    Ok(Key::bare(material, origin))
}
