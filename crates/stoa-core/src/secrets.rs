//! Internal secrets: the data master key and what is derived from it.
//!
//! The master key wraps other secrets at rest (AES-256-GCM) and keys the hashes we store
//! (API keys, pseudonymous users). It never leaves memory except into its own 0600 file or the
//! operator's secret store, and prints as `[redacted]`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::Error;

type HmacSha256 = Hmac<Sha256>;

/// Fills a buffer from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| Error::internal(format!("OS random source failed: {e}")))?;
    Ok(b)
}

#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

const NONCE_LEN: usize = 12;

impl MasterKey {
    pub fn generate() -> Result<Self, Error> {
        Ok(Self(Zeroizing::new(random_bytes::<32>()?)))
    }
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(arr)))
    }
    /// The raw key, for writing it to its own file at bootstrap only.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A sub-key for one purpose (`label`), so one key never serves two uses.
    pub fn derive(&self, label: &str) -> Zeroizing<[u8; 32]> {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.0.as_slice())
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(b"stoa/v1/");
        mac.update(label.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    /// Encrypts `plaintext` bound to `aad` (e.g. the row it belongs to): `nonce || ciphertext`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, Error> {
        let key = self.derive("seal");
        let cipher = Aes256Gcm::new_from_slice(key.as_slice()).map_err(Error::internal)?;
        let nonce = random_bytes::<NONCE_LEN>()?;
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            .map_err(|_| Error::internal("encryption failed"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(Error::internal("sealed value too short"));
        }
        let key = self.derive("seal");
        let cipher = Aes256Gcm::new_from_slice(key.as_slice()).map_err(Error::internal)?;
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
            .map(Zeroizing::new)
            .map_err(|_| Error::internal("decryption failed: wrong master key or tampered value"))
    }
}

/// A keyed hash for values we must recognise but never store: API keys, user subjects.
#[derive(Clone)]
pub struct Keyed(HmacSha256);

impl Keyed {
    pub fn new(key: &[u8; 32]) -> Self {
        Self(<HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable_hmac()))
    }
    pub fn hash(&self, value: &[u8]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(value);
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for Keyed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyed([redacted])")
    }
}

/// HMAC accepts keys of any length, so construction cannot fail.
#[cold]
fn unreachable_hmac() -> ! {
    unreachable!("HMAC-SHA256 accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_aad_binding() {
        let k = MasterKey::generate().unwrap();
        let sealed = k.seal(b"signing key", b"row-1").unwrap();
        assert_eq!(k.open(&sealed, b"row-1").unwrap().as_slice(), b"signing key");
        assert!(k.open(&sealed, b"row-2").is_err());
        let other = MasterKey::generate().unwrap();
        assert!(other.open(&sealed, b"row-1").is_err());
        let mut tampered = sealed;
        *tampered.last_mut().unwrap() ^= 1;
        assert!(k.open(&tampered, b"row-1").is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let k = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        let shown = format!("{k:?}");
        assert!(!shown.contains('7'), "{shown}");
    }

    #[test]
    fn derived_keys_differ_by_label() {
        let k = MasterKey::generate().unwrap();
        assert_ne!(*k.derive("a"), *k.derive("b"));
        assert_eq!(*k.derive("a"), *k.derive("a"));
    }
}
