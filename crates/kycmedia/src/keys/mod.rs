//! The keys that keep stored media and shared secrets unreadable to whoever
//! holds the disk, the bucket, a backup or the database file alone.
//!
//! Envelope encryption: every stored object has its own random data key
//! (`object`), and only that key, wrapped by a master key, is kept in the
//! database, beside the object's row. Deleting the row destroys the key, so
//! the object is unreadable from then on wherever copies of it remain
//! (crypto-shredding). The master key is the operator's: a file outside the
//! data directory (`--master-key-file`), never stored by kycmedia.
//!
//! A key file may hold several master keys, one per line: the first wraps
//! everything new, the others are only read. Rotating is adding a new key
//! at the top and re-wrapping the data keys (`kycmedia keys rotate`); the
//! objects themselves are never rewritten.
//!
//! Shared secrets are sealed under the master key directly: HMAC needs them
//! back, so they cannot be hashed.

pub mod object;

use std::path::{Path, PathBuf};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, Generate, Key, KeyInit, Payload},
};
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};

/// Bytes of every key: master keys and data keys alike.
pub const KEY_LEN: usize = 32;
/// How a master key starts in its file; the version is that of the format.
const KEY_LINE_PREFIX: &str = "kycmedia-master-key-v1:";
/// How a sealed shared secret starts in the database.
const SEALED_SECRET_PREFIX: &str = "sealed-v1:";
/// The version byte of a wrapped data key.
const WRAPPED_VERSION: u8 = 1;
/// Bytes of a master key id.
const ID_LEN: usize = 8;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// A wrapped data key: version, master key id, nonce, sealed key.
pub const WRAPPED_LEN: usize = 1 + ID_LEN + NONCE_LEN + KEY_LEN + TAG_LEN;

/// Errors of the key layer.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("master key file {0}: {1}")]
    File(PathBuf, std::io::Error),
    #[error("master key file {path}, line {line}: {what}")]
    Malformed {
        path: PathBuf,
        line: usize,
        what: &'static str,
    },
    #[error("master key file {0} holds no key; make one with `kycmedia keys generate`")]
    Empty(PathBuf),
    #[error(
        "sealed under master key {0}, which the master key file does not hold; give the file that holds it (`kycmedia keys rotate` moves everything to the first key of a file)"
    )]
    UnknownMaster(String),
    #[error("{0} does not authenticate: altered, moved between rows, or not sealed by kycmedia")]
    Forged(&'static str),
    #[error("shared secrets are sealed in this database; give --master-key-file")]
    NoMasterKey,
}

/// One master key. `Debug` shows its id only.
pub struct MasterKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

impl MasterKey {
    fn from_bytes(bytes: &[u8; KEY_LEN]) -> MasterKey {
        // The id names the key without revealing it: a hash of it under a
        // label of its own, so that a wrong key file is recognised as such.
        let mut hash = Sha256::new();
        hash.update(b"kycmedia master key id\0");
        hash.update(bytes);
        MasterKey {
            id: hex::encode(&hash.finalize()[..ID_LEN]),
            cipher: XChaCha20Poly1305::new(&Key::<XChaCha20Poly1305>::from(*bytes)),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A data key: one object's. `Debug` shows nothing of it.
pub struct DataKey(SecretBox<[u8; KEY_LEN]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey([REDACTED])")
    }
}

impl DataKey {
    /// A fresh random key from the operating system's generator.
    pub fn random() -> DataKey {
        let key = Key::<XChaCha20Poly1305>::generate();
        DataKey(SecretBox::new(Box::new(key.into())))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&Key::<XChaCha20Poly1305>::from(*self.0.expose_secret()))
    }
}

/// A new master key as the line its file holds.
pub fn generate_line() -> String {
    let key = Key::<XChaCha20Poly1305>::generate();
    format!("{KEY_LINE_PREFIX}{}", URL_SAFE_NO_PAD.encode(key))
}

/// The master keys of one key file: the first wraps, all unwrap.
#[derive(Debug)]
pub struct KeyRing {
    keys: Vec<MasterKey>,
}

impl KeyRing {
    /// Reads a key file: one `kycmedia-master-key-v1:` line per key, the
    /// current one first; blank lines and `#` comments are skipped.
    pub fn load(path: &Path) -> Result<KeyRing, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|e| KeyError::File(path.to_owned(), e))?;
        #[cfg(unix)]
        if let Ok(meta) = std::fs::metadata(path) {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    "the master key file is readable by others than its owner; chmod 600 it"
                );
            }
        }
        KeyRing::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<KeyRing, KeyError> {
        let malformed = |line: usize, what| KeyError::Malformed {
            path: path.to_owned(),
            line,
            what,
        };
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let encoded = line
                .strip_prefix(KEY_LINE_PREFIX)
                .ok_or_else(|| malformed(n + 1, "not a kycmedia master key (`kycmedia keys generate` makes one)"))?;
            let bytes = URL_SAFE_NO_PAD
                .decode(encoded)
                .map_err(|_| malformed(n + 1, "the key is not base64url"))?;
            let bytes: [u8; KEY_LEN] = bytes
                .try_into()
                .map_err(|_| malformed(n + 1, "the key is not 32 bytes"))?;
            keys.push(MasterKey::from_bytes(&bytes));
        }
        if keys.is_empty() {
            return Err(KeyError::Empty(path.to_owned()));
        }
        Ok(KeyRing { keys })
    }

    /// The key everything new is wrapped and sealed under.
    pub fn current(&self) -> &MasterKey {
        &self.keys[0]
    }

    pub fn holds(&self, id: &str) -> bool {
        self.keys.iter().any(|k| k.id == id)
    }

    fn by_id(&self, id: &str) -> Result<&MasterKey, KeyError> {
        self.keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| KeyError::UnknownMaster(id.to_owned()))
    }

    /// Wraps an object's data key under the current master key, bound to
    /// the object's identity: a wrapped key copied to another row fails.
    pub fn wrap(&self, key: &DataKey, identity: &[u8]) -> Vec<u8> {
        let master = self.current();
        let nonce = XNonce::generate();
        let mut out = Vec::with_capacity(WRAPPED_LEN);
        out.push(WRAPPED_VERSION);
        out.extend_from_slice(&id_bytes(&master.id));
        out.extend_from_slice(&nonce);
        let aad = label(b"kycmedia data key\0", identity);
        let sealed = master
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: key.0.expose_secret(),
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any 32 bytes");
        out.extend_from_slice(&sealed);
        out
    }

    /// The id of the master key a wrapped key names (it is in the bytes).
    pub fn wrapped_under(wrapped: &[u8]) -> Result<String, KeyError> {
        if wrapped.len() != WRAPPED_LEN || wrapped[0] != WRAPPED_VERSION {
            return Err(KeyError::Forged("a wrapped data key"));
        }
        Ok(hex::encode(&wrapped[1..1 + ID_LEN]))
    }

    pub fn unwrap(&self, wrapped: &[u8], identity: &[u8]) -> Result<DataKey, KeyError> {
        let master = self.by_id(&KeyRing::wrapped_under(wrapped)?)?;
        let nonce = XNonce::try_from(&wrapped[1 + ID_LEN..1 + ID_LEN + NONCE_LEN])
            .map_err(|_| KeyError::Forged("a wrapped data key"))?;
        let aad = label(b"kycmedia data key\0", identity);
        let plain = master
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &wrapped[1 + ID_LEN + NONCE_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| KeyError::Forged("a wrapped data key"))?;
        let bytes: [u8; KEY_LEN] = plain
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Forged("a wrapped data key"))?;
        Ok(DataKey(SecretBox::new(Box::new(bytes))))
    }

    /// Seals a shared secret for the database, bound to its integration.
    pub fn seal_secret(&self, secret: &str, integration: &str) -> String {
        let master = self.current();
        let nonce = XNonce::generate();
        let aad = label(b"kycmedia shared secret\0", integration.as_bytes());
        let sealed = master
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.as_bytes(),
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any secret");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        format!("{SEALED_SECRET_PREFIX}{}:{}", master.id, URL_SAFE_NO_PAD.encode(blob))
    }

    pub fn open_secret(&self, stored: &str, integration: &str) -> Result<String, KeyError> {
        let forged = || KeyError::Forged("a sealed shared secret");
        let (id, encoded) = sealed_parts(stored).ok_or_else(forged)?;
        let master = self.by_id(id)?;
        let blob = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| forged())?;
        if blob.len() < NONCE_LEN + TAG_LEN {
            return Err(forged());
        }
        let nonce = XNonce::try_from(&blob[..NONCE_LEN]).map_err(|_| forged())?;
        let aad = label(b"kycmedia shared secret\0", integration.as_bytes());
        let plain = master
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &blob[NONCE_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| forged())?;
        String::from_utf8(plain).map_err(|_| forged())
    }
}

/// The master key id a stored secret is sealed under; `None` for a secret
/// stored in plaintext (an installation that predates encryption, or one
/// run with `--insecure-plaintext`).
pub fn sealed_secret_under(stored: &str) -> Option<&str> {
    sealed_parts(stored).map(|(id, _)| id)
}

fn sealed_parts(stored: &str) -> Option<(&str, &str)> {
    stored.strip_prefix(SEALED_SECRET_PREFIX)?.split_once(':')
}

fn id_bytes(id: &str) -> [u8; ID_LEN] {
    let mut out = [0; ID_LEN];
    // Ids are made by `MasterKey::from_bytes`: always 16 hex digits.
    let _ = hex::decode_to_slice(id, &mut out);
    out
}

/// Associated data: what is sealed, then whose it is. The label keeps a
/// wrapped key from ever passing for a sealed secret, or the reverse.
fn label(what: &[u8], identity: &[u8]) -> Vec<u8> {
    [what, identity].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(lines: &[String]) -> KeyRing {
        KeyRing::parse(&lines.join("\n"), Path::new("test.key")).unwrap()
    }

    #[test]
    fn a_wrapped_key_opens_only_for_its_own_object_and_under_its_own_master() {
        let (a, b) = (generate_line(), generate_line());
        let first = ring(std::slice::from_ref(&a));
        let key = DataKey::random();
        let wrapped = first.wrap(&key, b"int/media-1");
        assert_eq!(wrapped.len(), WRAPPED_LEN);
        assert_eq!(KeyRing::wrapped_under(&wrapped).unwrap(), first.current().id());
        let opened = first.unwrap(&wrapped, b"int/media-1").unwrap();
        assert_eq!(opened.0.expose_secret(), key.0.expose_secret());
        assert!(matches!(
            first.unwrap(&wrapped, b"int/media-2"),
            Err(KeyError::Forged(_))
        ));
        let other = ring(std::slice::from_ref(&b));
        assert!(matches!(
            other.unwrap(&wrapped, b"int/media-1"),
            Err(KeyError::UnknownMaster(_))
        ));
        // A ring holding both, the new one first, still opens it.
        let both = ring(&[b, a]);
        assert!(both.unwrap(&wrapped, b"int/media-1").is_ok());
        let mut flipped = wrapped.clone();
        flipped[WRAPPED_LEN - 1] ^= 1;
        assert!(matches!(
            both.unwrap(&flipped, b"int/media-1"),
            Err(KeyError::Forged(_))
        ));
    }

    #[test]
    fn a_sealed_secret_reveals_nothing_and_opens_only_for_its_integration() {
        let keys = ring(&[generate_line()]);
        let sealed = keys.seal_secret("the-shared-secret", "integration-a");
        assert!(!sealed.contains("the-shared-secret"));
        assert_eq!(sealed_secret_under(&sealed), Some(keys.current().id()));
        assert_eq!(sealed_secret_under("the-shared-secret"), None);
        assert_eq!(keys.open_secret(&sealed, "integration-a").unwrap(), "the-shared-secret");
        assert!(keys.open_secret(&sealed, "integration-b").is_err());
    }

    #[test]
    fn a_key_file_says_which_line_is_wrong() {
        let err = |text: &str| KeyRing::parse(text, Path::new("k")).unwrap_err().to_string();
        assert!(err("").contains("holds no key"));
        assert!(err("# only a comment\n").contains("holds no key"));
        assert!(err("\nnope").contains("line 2: not a kycmedia master key"));
        assert!(err("kycmedia-master-key-v1:***").contains("not base64url"));
        assert!(err("kycmedia-master-key-v1:AAAA").contains("not 32 bytes"));
        let two = format!("# new\n{}\n\n{}\n", generate_line(), generate_line());
        assert_eq!(KeyRing::parse(&two, Path::new("k")).unwrap().keys.len(), 2);
    }

    #[test]
    fn a_key_is_never_printed() {
        let keys = ring(&[generate_line()]);
        let shown = format!("{keys:?} {:?}", DataKey::random());
        assert!(shown.contains(keys.current().id()));
        assert!(shown.contains("REDACTED"));
        assert!(!shown.contains("cipher"));
    }
}
