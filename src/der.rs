//! A minimal, bounded DER reader: just enough ASN.1 to find a public key in SPKI, PKCS#1 and
//! X.509 structures and an ECDSA signature. Definite lengths only, minimal length encodings only, never reads past the
//! slice it was given.

pub const SEQUENCE: u8 = 0x30;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OID: u8 = 0x06;
/// `[0] EXPLICIT` (the X.509 version field).
pub const CONTEXT_0: u8 = 0xa0;
pub const BOOLEAN: u8 = 0x01;
pub const OCTET_STRING: u8 = 0x04;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
/// `[3] EXPLICIT` (the X.509 extensions).
pub const CONTEXT_3: u8 = 0xa3;

/// A cursor over DER-encoded bytes.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element's tag, without consuming it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Read one element of any tag: `(tag, contents)`.
    pub fn any(&mut self) -> Result<(u8, &'a [u8]), String> {
        let (&tag, after_tag) = self.rest.split_first().ok_or("the DER data ends early")?;
        if tag & 0x1f == 0x1f {
            return Err("the DER data uses a multi-byte tag, which no key structure needs".into());
        }
        let (&first, mut after_len) = after_tag.split_first().ok_or("the DER data ends early")?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 {
                return Err("the DER data uses an indefinite length".into());
            }
            if n > 4 || after_len.len() < n {
                return Err("the DER data has an impossible length".into());
            }
            let mut len = 0usize;
            for &b in &after_len[..n] {
                len = (len << 8) | usize::from(b);
            }
            if len < 0x80 || after_len[0] == 0 {
                return Err("the DER data has a non-minimal length encoding".into());
            }
            after_len = &after_len[n..];
            len
        };
        if after_len.len() < len {
            return Err("the DER data is truncated".into());
        }
        let (contents, rest) = after_len.split_at(len);
        self.rest = rest;
        Ok((tag, contents))
    }

    /// Read one element and also return its whole encoding (tag and length included), as the
    /// bytes a signature covers.
    pub fn any_with_encoding(&mut self) -> Result<(u8, &'a [u8], &'a [u8]), String> {
        let start = self.rest;
        let (tag, contents) = self.any()?;
        let used = start.len() - self.rest.len();
        Ok((tag, contents, &start[..used]))
    }

    /// Read one element that must carry `tag`.
    pub fn element(&mut self, tag: u8, what: &str) -> Result<&'a [u8], String> {
        let (t, contents) = self.any()?;
        if t != tag {
            return Err(format!("expected {what} in the DER data"));
        }
        Ok(contents)
    }

    /// A positive INTEGER's magnitude, big-endian, without leading zero bytes.
    pub fn unsigned_integer(&mut self, what: &str) -> Result<&'a [u8], String> {
        let bytes = self.element(INTEGER, what)?;
        match bytes {
            [] => Err(format!("{what} is an empty INTEGER")),
            [b, ..] if b & 0x80 != 0 => Err(format!("{what} is negative")),
            [0, rest @ ..] => Ok(rest),
            _ => Ok(bytes),
        }
    }

    /// A BIT STRING with no unused bits.
    pub fn bit_string(&mut self, what: &str) -> Result<&'a [u8], String> {
        match self.element(BIT_STRING, what)? {
            [0, rest @ ..] => Ok(rest),
            _ => Err(format!("{what} is not a whole number of bytes")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let mut r = Reader::new(&[0x02, 0x01, 0x05, 0x04, 0x81, 0x80]);
        assert_eq!(r.unsigned_integer("x").unwrap(), &[5]);
        assert!(r.any().is_err(), "declared 128 bytes, none present");
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([0u8; 128]);
        assert_eq!(Reader::new(&long).any().unwrap().1.len(), 128);
    }

    #[test]
    fn rejects_non_der_lengths() {
        assert!(Reader::new(&[0x30, 0x80, 0, 0]).any().is_err());
        assert!(Reader::new(&[0x30, 0x81, 0x05, 0, 0, 0, 0, 0])
            .any()
            .is_err());
        assert!(Reader::new(&[0x30, 0x85, 1, 1, 1, 1, 1]).any().is_err());
        assert!(Reader::new(&[0x30]).any().is_err());
    }
}
