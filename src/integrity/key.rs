//! The secret of a keyed chain, and the two hash functions a chain link can use.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The secret of a keyed hash chain: links become HMAC-SHA-256 under it, so whoever can write
/// the database but does not hold the key cannot recompute them.
///
/// Keep it where the database is not: an environment variable or a file of the processes that
/// write and verify the log. The database stores only an identifier derived from it, which
/// tells a wrong key from a right one and reveals nothing of the key.
///
/// ```
/// use loggable::integrity::ChainKey;
///
/// let key = ChainKey::new("a secret of at least thirty-two bytes!")?;
/// assert!(ChainKey::new("too short").is_err());
/// assert_eq!(format!("{key:?}"), "ChainKey(..)"); // never printed
/// # Ok::<(), loggable::Error>(())
/// ```
#[derive(Clone)]
pub struct ChainKey {
    secret: Arc<[u8]>,
    /// What the database stores to name the key, computed once.
    id: Arc<str>,
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(..)")
    }
}

impl ChainKey {
    /// The least key length accepted, in bytes (as much as the hash: 256 bits).
    pub const MIN_LEN: usize = 32;

    /// A key from its bytes: at least [`ChainKey::MIN_LEN`] of them (e.g. the output of
    /// `openssl rand -hex 32`).
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self> {
        let secret = secret.as_ref();
        if secret.len() < Self::MIN_LEN {
            return Err(Error::ChainKeyTooShort {
                len: secret.len(),
                min: Self::MIN_LEN,
            });
        }
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(b"loggable chain key id");
        let id = hex(&mac.finalize().into_bytes()[..16]).into();
        Ok(Self {
            secret: secret.into(),
            id,
        })
    }

    /// The key held by the environment variable `name`.
    pub fn from_env(name: &str) -> Result<Self> {
        let value = std::env::var_os(name).ok_or_else(|| Error::ChainKeyUnreadable {
            source_name: format!("${name}"),
            reason: "the variable is not set".to_owned(),
        })?;
        Self::new(value.as_encoded_bytes())
    }

    /// The key held by the file at `path` (one trailing line break is not part of it).
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let mut bytes = std::fs::read(path).map_err(|e| Error::ChainKeyUnreadable {
            source_name: path.display().to_string(),
            reason: e.to_string(),
        })?;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        Self::new(bytes)
    }

    /// What the database stores to name this key: the first 16 bytes (hex) of
    /// HMAC(key, "loggable chain key id").
    pub(super) fn id(&self) -> &str {
        &self.id
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length: this cannot fail.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).unwrap_or_else(|_| unreachable!())
    }
}

/// How a chain's links are computed: plain SHA-256, or HMAC-SHA-256 under a key.
pub(super) fn link_hash(key: Option<&ChainKey>, previous: &str, content_hash: &str) -> String {
    match key {
        None => {
            let mut hasher = Sha256::new();
            hasher.update(previous.as_bytes());
            hasher.update(content_hash.as_bytes());
            hex(&hasher.finalize())
        }
        Some(key) => {
            let mut mac = key.mac();
            mac.update(previous.as_bytes());
            mac.update(content_hash.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}
