//! RSASSA-PKCS1-v1_5 (RS*) and RSASSA-PSS (PS*, salt length = hash length, RFC 7518 §3.5).

use super::{Hash, SignatureError};
use ::rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};

pub(super) fn verify_pkcs1(
    hash: Hash,
    key: &RsaPublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    check_length(key, signature)?;
    let digest = hash.digest(message);
    let scheme = match hash {
        Hash::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
        Hash::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
        Hash::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
    };
    key.verify(scheme, &digest, signature)
        .map_err(|_| SignatureError::Invalid("the RSA PKCS#1 v1.5 signature does not match".into()))
}

pub(super) fn verify_pss(
    hash: Hash,
    key: &RsaPublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    check_length(key, signature)?;
    let digest = hash.digest(message);
    let result = match hash {
        Hash::Sha256 => key.verify(Pss::<sha2::Sha256>::new(), &digest, signature),
        Hash::Sha384 => key.verify(Pss::<sha2::Sha384>::new(), &digest, signature),
        Hash::Sha512 => key.verify(Pss::<sha2::Sha512>::new(), &digest, signature),
    };
    result.map_err(|_| SignatureError::Invalid("the RSA-PSS signature does not match".into()))
}

fn check_length(key: &RsaPublicKey, signature: &[u8]) -> Result<(), SignatureError> {
    use ::rsa::traits::PublicKeyParts;
    if signature.len() != key.size() {
        return Err(SignatureError::Invalid(format!(
            "an RSA signature for this {}-bit key is {} bytes, this one is {}",
            key.size() * 8,
            key.size(),
            signature.len()
        )));
    }
    Ok(())
}
