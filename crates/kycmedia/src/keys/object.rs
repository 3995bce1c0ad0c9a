//! A sealed object's bytes: the STREAM construction (Hoang, Reyhanitabar,
//! Rogaway, Vizár) over XChaCha20-Poly1305, in 64 KiB chunks.
//!
//! ```text
//! "kycmseal" | version 1 | 19-byte nonce prefix | chunk 0 | chunk 1 | … | last chunk
//! ```
//!
//! Every chunk is 64 KiB of plaintext and its 16-byte tag, the last one
//! shorter (possibly empty) and sealed with STREAM's last-chunk flag: a
//! stream cut at a chunk boundary fails to open, so its end is proved by
//! the ciphertext itself, never by a size kept elsewhere. Each chunk's
//! associated data is the object's identity (integration and media id),
//! so an object swapped between rows fails too. Opening runs chunk by
//! chunk (`Opener`): memory stays flat however large the object.

use aead_stream::{
    DecryptorBE32, EncryptorBE32, Nonce, StreamBE32,
    aead::{self, Buffer},
};
use bytes::Bytes;
use chacha20poly1305::{XChaCha20Poly1305, aead::Generate};
use futures::{Stream, StreamExt, stream::BoxStream};

use super::{DataKey, KeyError, TAG_LEN};

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
const SEALED_CHUNK: usize = CHUNK + TAG_LEN;
const MAGIC: &[u8; 9] = b"kycmseal\x01";
const NONCE_PREFIX_LEN: usize = 19;
/// Bytes before the first chunk.
pub const HEADER_LEN: usize = MAGIC.len() + NONCE_PREFIX_LEN;

type Prefix = Nonce<XChaCha20Poly1305, StreamBE32<XChaCha20Poly1305>>;

fn forged() -> KeyError {
    KeyError::Forged("a stored object")
}

/// Whether stored bytes begin as a sealed object does. No accepted upload
/// can: each starts with its own format's signature.
pub fn is_sealed(stored: &[u8]) -> bool {
    stored.starts_with(MAGIC)
}

/// The stored size of `plain` bytes once sealed.
pub fn sealed_len(plain: usize) -> usize {
    HEADER_LEN + plain + (plain / CHUNK + 1) * TAG_LEN
}

/// The decryptor of the object whose first `HEADER_LEN` bytes are `header`.
fn decryptor(cipher: XChaCha20Poly1305, header: &[u8]) -> Result<DecryptorBE32<XChaCha20Poly1305>, KeyError> {
    if !is_sealed(header) {
        return Err(forged());
    }
    let prefix = Prefix::try_from(header.get(MAGIC.len()..HEADER_LEN).ok_or_else(forged)?).map_err(|_| forged())?;
    Ok(DecryptorBE32::from_aead(cipher, &prefix))
}

/// The end of a buffer, from where `Tail::after` left it, as one AEAD
/// message: a chunk is sealed or opened in its place in the output, never
/// in a buffer of its own that is then copied there.
struct Tail<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
}

impl<'a> Tail<'a> {
    /// Appends `bytes` to `buf`; the tail is those bytes.
    fn after(buf: &'a mut Vec<u8>, bytes: &[u8]) -> Tail<'a> {
        let start = buf.len();
        buf.extend_from_slice(bytes);
        Tail { buf, start }
    }
}

impl AsRef<[u8]> for Tail<'_> {
    fn as_ref(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

impl AsMut<[u8]> for Tail<'_> {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..]
    }
}

impl Buffer for Tail<'_> {
    fn extend_from_slice(&mut self, other: &[u8]) -> aead::Result<()> {
        self.buf.extend_from_slice(other);
        Ok(())
    }

    fn truncate(&mut self, len: usize) {
        self.buf.truncate(self.start + len);
    }
}

/// Seals a whole object (uploads are bounded, and in memory already). Each
/// chunk is copied once, to its place in the output, and sealed there.
pub fn seal(key: &DataKey, identity: &[u8], plain: &[u8]) -> Vec<u8> {
    let prefix = Prefix::generate();
    let mut out = Vec::with_capacity(sealed_len(plain.len()));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&prefix);
    let mut encryptor = EncryptorBE32::from_aead(key.cipher(), &prefix);
    let mut chunks = plain.chunks_exact(CHUNK);
    for chunk in chunks.by_ref() {
        encryptor
            .encrypt_next_in_place(identity, &mut Tail::after(&mut out, chunk))
            .expect("a 64 KiB chunk seals; 2^32 chunks is 256 TiB, far past any upload");
    }
    encryptor
        .encrypt_last_in_place(identity, &mut Tail::after(&mut out, chunks.remainder()))
        .expect("the last chunk seals");
    out
}

/// Opens a sealed object pushed to it in pieces of any size.
pub struct Opener {
    cipher: Option<XChaCha20Poly1305>,
    decryptor: Option<DecryptorBE32<XChaCha20Poly1305>>,
    identity: Vec<u8>,
    /// The header until it is whole, then the chunk being gathered: never
    /// more than one sealed chunk, so each stored byte is copied once, to
    /// here, and opened in place; the chunk's buffer becomes the `Bytes`
    /// handed on.
    pending: Vec<u8>,
}

impl Opener {
    pub fn new(key: &DataKey, identity: &[u8]) -> Opener {
        Opener {
            cipher: Some(key.cipher()),
            decryptor: None,
            identity: identity.to_vec(),
            pending: Vec::with_capacity(HEADER_LEN),
        }
    }

    /// Takes the next stored bytes; returns the plaintext chunks they
    /// complete. A chunk is opened only once more bytes follow it, since
    /// only the end of the stream tells the last chunk from the others.
    pub fn push(&mut self, mut stored: &[u8]) -> Result<Vec<Bytes>, KeyError> {
        if self.decryptor.is_none() {
            let take = (HEADER_LEN - self.pending.len()).min(stored.len());
            self.pending.extend_from_slice(&stored[..take]);
            stored = &stored[take..];
            if self.pending.len() < HEADER_LEN {
                return Ok(Vec::new());
            }
            let cipher = self.cipher.take().ok_or_else(forged)?;
            self.decryptor = Some(decryptor(cipher, &self.pending)?);
            self.pending = Vec::with_capacity(SEALED_CHUNK);
        }
        let decryptor = self.decryptor.as_mut().ok_or_else(forged)?;
        let mut out = Vec::new();
        while !stored.is_empty() {
            if self.pending.len() == SEALED_CHUNK {
                // More bytes follow, so this chunk is not the last.
                let mut chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(SEALED_CHUNK));
                decryptor
                    .decrypt_next_in_place(&self.identity, &mut chunk)
                    .map_err(|_| forged())?;
                out.push(Bytes::from(chunk));
            }
            let take = (SEALED_CHUNK - self.pending.len()).min(stored.len());
            self.pending.extend_from_slice(&stored[..take]);
            stored = &stored[take..];
        }
        Ok(out)
    }

    /// The stored bytes ended: opens the last chunk, which proves the end.
    pub fn finish(mut self) -> Result<Bytes, KeyError> {
        let decryptor = self.decryptor.take().ok_or_else(forged)?;
        decryptor
            .decrypt_last_in_place(&self.identity, &mut self.pending)
            .map_err(|_| forged())?;
        Ok(Bytes::from(std::mem::take(&mut self.pending)))
    }
}

/// Opens a whole sealed object held in memory, each chunk copied once, to
/// its place in the output, and opened there.
pub fn open(key: &DataKey, identity: &[u8], stored: &[u8]) -> Result<Vec<u8>, KeyError> {
    let header = stored.get(..HEADER_LEN).ok_or_else(forged)?;
    let mut decryptor = decryptor(key.cipher(), header)?;
    let mut rest = &stored[HEADER_LEN..];
    let mut out = Vec::with_capacity(rest.len());
    // A chunk is the last one when no bytes follow it, as in `Opener`.
    while rest.len() > SEALED_CHUNK {
        let (chunk, after) = rest.split_at(SEALED_CHUNK);
        decryptor
            .decrypt_next_in_place(identity, &mut Tail::after(&mut out, chunk))
            .map_err(|_| forged())?;
        rest = after;
    }
    decryptor
        .decrypt_last_in_place(identity, &mut Tail::after(&mut out, rest))
        .map_err(|_| forged())?;
    Ok(out)
}

/// The plaintext of a stream of stored bytes, chunk by chunk; the stream
/// fails at the first chunk that does not authenticate, and at its end if
/// the object was cut short.
pub fn open_stream<E>(
    key: &DataKey,
    identity: &[u8],
    stored: impl Stream<Item = Result<Bytes, E>> + Send + 'static,
) -> BoxStream<'static, Result<Bytes, E>>
where
    E: From<KeyError> + Send + 'static,
{
    struct State<S> {
        stored: S,
        opener: Option<Opener>,
        ready: std::collections::VecDeque<Bytes>,
    }
    let state = State {
        stored: stored.boxed(),
        opener: Some(Opener::new(key, identity)),
        ready: Default::default(),
    };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(chunk) = state.ready.pop_front() {
                return Some((Ok(chunk), state));
            }
            let opener = state.opener.as_mut()?;
            match state.stored.next().await {
                Some(Ok(bytes)) => match opener.push(&bytes) {
                    Ok(chunks) => state.ready.extend(chunks),
                    Err(e) => {
                        state.opener = None;
                        return Some((Err(E::from(e)), state));
                    }
                },
                Some(Err(e)) => {
                    state.opener = None;
                    return Some((Err(e), state));
                }
                None => {
                    let last = state.opener.take()?.finish();
                    match last {
                        Ok(chunk) if chunk.is_empty() => return None,
                        Ok(chunk) => return Some((Ok(chunk), state)),
                        Err(e) => return Some((Err(E::from(e)), state)),
                    }
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn every_size_around_a_chunk_boundary_seals_and_opens_back() {
        let key = DataKey::random();
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7] {
            let plain = sample(len);
            let sealed = seal(&key, b"id", &plain);
            assert_eq!(sealed.len(), sealed_len(len), "len {len}");
            assert!(is_sealed(&sealed));
            assert_eq!(open(&key, b"id", &sealed).unwrap(), plain, "len {len}");
        }
    }

    #[test]
    fn an_object_cut_at_a_chunk_boundary_or_anywhere_fails_to_open() {
        let key = DataKey::random();
        let sealed = seal(&key, b"id", &sample(3 * CHUNK + 5));
        for cut in [
            HEADER_LEN,
            HEADER_LEN + SEALED_CHUNK,
            HEADER_LEN + 2 * SEALED_CHUNK,
            sealed.len() - 1,
        ] {
            assert!(open(&key, b"id", &sealed[..cut]).is_err(), "cut at {cut}");
        }
        let exact = seal(&key, b"id", &sample(2 * CHUNK));
        // Two full chunks and an empty last one: dropping the last is caught.
        assert!(open(&key, b"id", &exact[..exact.len() - TAG_LEN]).is_err());
    }

    #[test]
    fn an_object_under_another_identity_key_or_with_one_bit_flipped_fails_to_open() {
        let key = DataKey::random();
        let sealed = seal(&key, b"integration/media-1", &sample(1000));
        assert!(open(&key, b"integration/media-2", &sealed).is_err());
        assert!(open(&DataKey::random(), b"integration/media-1", &sealed).is_err());
        let mut flipped = sealed.clone();
        flipped[HEADER_LEN + 10] ^= 0x40;
        assert!(open(&key, b"integration/media-1", &flipped).is_err());
        assert!(open(&key, b"integration/media-1", &sample(1000)).is_err());
    }

    #[tokio::test]
    async fn a_stream_opens_whatever_sizes_its_pieces_come_in() {
        let key = DataKey::random();
        let plain = sample(2 * CHUNK + 999);
        let sealed = seal(&key, b"id", &plain);
        for piece in [1, 7, 4096, SEALED_CHUNK, sealed.len()] {
            let pieces: Vec<Result<Bytes, KeyError>> =
                sealed.chunks(piece).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
            let opened: Vec<Bytes> = open_stream(&key, b"id", futures::stream::iter(pieces))
                .map(|r| r.unwrap())
                .collect()
                .await;
            assert_eq!(opened.concat(), plain, "pieces of {piece}");
            assert!(opened.iter().all(|c| c.len() <= CHUNK));
        }
    }
}
