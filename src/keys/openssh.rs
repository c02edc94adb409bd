//! OpenSSH public-key lines (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4):
//! `ssh-rsa AAAA… comment`, `ecdsa-sha2-nistp256 AAAA…`, `ssh-ed25519 AAAA…`.

use super::{Key, KeyOrigin};
use crate::alg::KeyMaterial;
use base64::Engine;

/// The key types this reader knows, for detecting a line.
pub const TYPES: &[&str] = &[
    "ssh-rsa",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
];

/// Read one line. A trailing comment is free text and is ignored: such keys carry no `kid`.
pub fn from_line(line: &str) -> Result<Key, String> {
    let mut parts = line.split_whitespace();
    let kind = parts.next().ok_or("the OpenSSH line is empty")?;
    let blob_b64 = parts.next().ok_or("the OpenSSH line has no key data")?;
    if !TYPES.contains(&kind) {
        return Err(format!("the OpenSSH key type \"{kind}\" is not supported"));
    }
    let blob = base64::engine::general_purpose::STANDARD
        .decode(blob_b64)
        .map_err(|_| "the OpenSSH key data is not valid base64".to_owned())?;
    let mut r = Wire(&blob);
    let inner_kind = r.string()?;
    if inner_kind != kind.as_bytes() {
        return Err("the OpenSSH key data names a different key type than the line".into());
    }
    let material = match kind {
        "ssh-rsa" => {
            let e = r.string()?;
            let n = r.string()?;
            KeyMaterial::rsa(n, e)?
        }
        "ssh-ed25519" => KeyMaterial::ed25519(r.string()?)?,
        _ => {
            let curve = r.string()?;
            let point = r.string()?;
            // RFC 5656 §3.1: the curve name is exactly the key type's suffix.
            match (kind, curve) {
                ("ecdsa-sha2-nistp256", b"nistp256") => KeyMaterial::p256_sec1(point)?,
                ("ecdsa-sha2-nistp384", b"nistp384") => KeyMaterial::p384_sec1(point)?,
                ("ecdsa-sha2-nistp521", b"nistp521") => KeyMaterial::p521_sec1(point)?,
                _ => return Err("the OpenSSH ECDSA key names two different curves".into()),
            }
        }
    };
    if !r.0.is_empty() {
        return Err("the OpenSSH key data has trailing bytes".into());
    }
    Ok(Key::bare(material, KeyOrigin::OpenSsh))
}

/// Length-prefixed strings of the SSH wire format.
struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
    fn string(&mut self) -> Result<&'a [u8], String> {
        let short = || "the OpenSSH key data is truncated".to_owned();
        if self.0.len() < 4 {
            return Err(short());
        }
        let (len, rest) = self.0.split_at(4);
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if rest.len() < len {
            return Err(short());
        }
        let (s, rest) = rest.split_at(len);
        self.0 = rest;
        Ok(s)
    }
}
