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
//!
//! A byte range opens without the rest (`range_plan`, `open_range`): chunk
//! `i`'s place is known from the plaintext length alone, and STREAM's
//! nonce for it is the prefix, `i` and the last-chunk flag, so the chunks
//! that cover the range are fetched and opened where they stand.

use std::ops::Range;

use aead_stream::{
    DecryptorBE32, EncryptorBE32, NewStream, Nonce, StreamBE32, StreamPrimitive,
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

/// The STREAM primitive of the object whose first `HEADER_LEN` bytes are
/// `header`: it opens any chunk given its index and whether it is the last.
fn primitive(cipher: XChaCha20Poly1305, header: &[u8]) -> Result<StreamBE32<XChaCha20Poly1305>, KeyError> {
    if header.len() != HEADER_LEN || !is_sealed(header) {
        return Err(forged());
    }
    let prefix = Prefix::try_from(&header[MAGIC.len()..]).map_err(|_| forged())?;
    Ok(StreamBE32::from_aead(cipher, &prefix))
}

/// The decryptor of the object whose first `HEADER_LEN` bytes are `header`.
fn decryptor(cipher: XChaCha20Poly1305, header: &[u8]) -> Result<DecryptorBE32<XChaCha20Poly1305>, KeyError> {
    Ok(DecryptorBE32::from_stream_primitive(primitive(cipher, header)?))
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

/// Which stored bytes hold a plaintext byte range, from `range_plan`: the
/// header (for the nonce prefix) and the chunks that cover the range,
/// whole, since a chunk authenticates only whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangePlan {
    /// The plaintext bytes asked for.
    plain: Range<u64>,
    /// The index of the first chunk that covers them.
    first: u32,
    /// The index of the object's last chunk, the one sealed with STREAM's
    /// last-chunk flag.
    last: u32,
    /// The stored bytes of the covering chunks; empty for an empty range.
    chunks: Range<u64>,
}

impl RangePlan {
    /// The stored bytes to fetch for the nonce prefix.
    pub fn header(&self) -> Range<u64> {
        0..HEADER_LEN as u64
    }

    /// The stored bytes to fetch for the chunks: they begin right after the
    /// header when the range begins in the first chunk, so a caller may
    /// fetch `0..chunks().end` in one read and split it.
    pub fn chunks(&self) -> Range<u64> {
        self.chunks.clone()
    }
}

/// Where the plaintext bytes `range` of an object of `plain_len` plaintext
/// bytes are stored; `None` when the range is not within the object (or the
/// object is longer than STREAM's 2^32 chunks could seal).
pub fn range_plan(plain_len: u64, range: Range<u64>) -> Option<RangePlan> {
    if range.start > range.end || range.end > plain_len {
        return None;
    }
    let (chunk, sealed) = (CHUNK as u64, SEALED_CHUNK as u64);
    let last = u32::try_from(plain_len / chunk).ok()?;
    let first = u32::try_from(range.start / chunk).ok()?;
    let chunks = if range.is_empty() {
        let at = HEADER_LEN as u64 + u64::from(first) * sealed;
        at..at
    } else {
        // Chunks `first..past` cover the range; all are whole but the
        // object's last, which holds what is left of the plaintext.
        let past = (range.end - 1) / chunk + 1;
        let start = HEADER_LEN as u64 + u64::from(first) * sealed;
        let end = HEADER_LEN as u64 + (past * chunk).min(plain_len) + past * TAG_LEN as u64;
        start..end
    };
    Some(RangePlan {
        plain: range,
        first,
        last,
        chunks,
    })
}

/// Opens the chunks `plan` names and returns exactly the plaintext bytes
/// it was made for. `header` is the stored bytes at `plan.header()` and
/// `stored` those at `plan.chunks()`. Each chunk is opened at its own
/// index, and the object's last chunk with the last-chunk flag, so bytes
/// moved from another place in the object, or from another object, fail to
/// open, and so do bytes cut short or altered.
pub fn open_range(
    key: &DataKey,
    identity: &[u8],
    plan: &RangePlan,
    header: &[u8],
    stored: &[u8],
) -> Result<Bytes, KeyError> {
    let stream = primitive(key.cipher(), header)?;
    if stored.len() as u64 != plan.chunks.end - plan.chunks.start {
        return Err(forged());
    }
    if plan.plain.is_empty() {
        return Ok(Bytes::new());
    }
    let mut out = Vec::with_capacity(stored.len());
    let mut rest = stored;
    let mut index = plan.first;
    while !rest.is_empty() {
        let is_last = index == plan.last;
        // Every chunk but the object's last is whole; the lengths were
        // checked above, so the last one is what remains.
        let take = if is_last {
            rest.len()
        } else {
            SEALED_CHUNK.min(rest.len())
        };
        let (chunk, after) = rest.split_at(take);
        stream
            .decrypt_in_place(index, is_last, identity, &mut Tail::after(&mut out, chunk))
            .map_err(|_| forged())?;
        rest = after;
        if !rest.is_empty() {
            // A chunk past the object's last one cannot be.
            index = index.checked_add(1).filter(|_| !is_last).ok_or_else(forged)?;
        }
    }
    let offset = u64::from(plan.first) * CHUNK as u64;
    let from = usize::try_from(plan.plain.start - offset).map_err(|_| forged())?;
    let to = usize::try_from(plan.plain.end - offset).map_err(|_| forged())?;
    if to > out.len() {
        return Err(forged());
    }
    Ok(Bytes::from(out).slice(from..to))
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

    /// The plaintext range `range` of `sealed` (of `len` plaintext bytes),
    /// fetched as a caller of `range_plan` would.
    fn ranged(key: &DataKey, sealed: &[u8], len: usize, range: Range<u64>) -> Result<Bytes, KeyError> {
        let plan = range_plan(len as u64, range).expect("within the object");
        let at = |r: Range<u64>| &sealed[r.start as usize..r.end as usize];
        open_range(key, b"id", &plan, at(plan.header()), at(plan.chunks()))
    }

    #[test]
    fn ranges_around_chunk_boundaries_open_to_their_plaintext_slice() {
        let key = DataKey::random();
        let c = CHUNK as u64;
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 7] {
            let plain = sample(len);
            let sealed = seal(&key, b"id", &plain);
            let l = len as u64;
            let ranges = [0..0, 0..l, 0..l.min(1), l.saturating_sub(1)..l, l..l]
                .into_iter()
                .chain(
                    [c - 1..c + 1, c..2 * c, c + 1..2 * c + 1, 2 * c..l]
                        .into_iter()
                        .filter(|r| r.end <= l && r.start <= r.end),
                );
            for range in ranges {
                let got = ranged(&key, &sealed, len, range.clone()).unwrap();
                assert_eq!(
                    &got[..],
                    &plain[range.start as usize..range.end as usize],
                    "len {len}, {range:?}"
                );
            }
        }
    }

    #[test]
    fn a_range_plan_names_only_the_chunks_that_cover_the_range() {
        let c = CHUNK as u64;
        let (h, s, t) = (HEADER_LEN as u64, SEALED_CHUNK as u64, TAG_LEN as u64);
        let len = 3 * c + 7;
        // Inside the second chunk: that chunk alone, whole.
        assert_eq!(range_plan(len, c + 5..c + 9).unwrap().chunks(), h + s..h + 2 * s);
        // Into the last chunk: it is shorter, and ends the stored object.
        let tail = range_plan(len, 2 * c..len).unwrap();
        assert_eq!(tail.chunks(), h + 2 * s..h + 3 * s + 7 + t);
        assert_eq!(tail.chunks().end, sealed_len(len as usize) as u64);
        // From the first byte: the chunks begin right after the header.
        assert_eq!(range_plan(len, 0..1).unwrap().chunks(), h..h + s);
        assert_eq!(range_plan(len, 0..1).unwrap().header(), 0..h);
        // Outside the object, or backwards: no plan.
        assert_eq!(range_plan(len, 0..len + 1), None);
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 9..3;
        assert_eq!(range_plan(len, backwards), None);
        assert_eq!(range_plan(u64::MAX, 0..1), None, "past 2^32 chunks");
    }

    #[test]
    fn a_range_cut_short_altered_or_moved_fails_to_open() {
        let key = DataKey::random();
        let len = 3 * CHUNK + 7;
        let sealed = seal(&key, b"id", &sample(len));
        let at = |r: Range<u64>| &sealed[r.start as usize..r.end as usize];
        for range in [
            10..20,
            CHUNK as u64 + 3..2 * CHUNK as u64 + 3,
            3 * CHUNK as u64..len as u64,
        ] {
            let plan = range_plan(len as u64, range.clone()).unwrap();
            let (header, chunks) = (at(plan.header()), at(plan.chunks()));
            assert!(open_range(&key, b"id", &plan, header, chunks).is_ok(), "{range:?}");
            // Cut short by a byte, or by a whole tag.
            assert!(open_range(&key, b"id", &plan, header, &chunks[..chunks.len() - 1]).is_err());
            assert!(open_range(&key, b"id", &plan, header, &chunks[..chunks.len() - TAG_LEN]).is_err());
            // One bit flipped, in the chunk or in the header's nonce prefix.
            let mut flipped = chunks.to_vec();
            flipped[chunks.len() / 2] ^= 0x01;
            assert!(open_range(&key, b"id", &plan, header, &flipped).is_err(), "{range:?}");
            let mut prefix = header.to_vec();
            prefix[HEADER_LEN - 1] ^= 0x01;
            assert!(open_range(&key, b"id", &plan, &prefix, chunks).is_err(), "{range:?}");
            // Another identity or another key.
            assert!(open_range(&key, b"other", &plan, header, chunks).is_err());
            assert!(open_range(&DataKey::random(), b"id", &plan, header, chunks).is_err());
        }
        // The second chunk's bytes handed over as the first's.
        let plan = range_plan(len as u64, 0..10).unwrap();
        let second = range_plan(len as u64, CHUNK as u64..CHUNK as u64 + 10).unwrap();
        assert!(open_range(&key, b"id", &plan, at(plan.header()), at(second.chunks())).is_err());
        // Another object's header.
        let other = seal(&key, b"id", &sample(len));
        assert!(open_range(&key, b"id", &plan, &other[..HEADER_LEN], at(plan.chunks())).is_err());
    }

    #[test]
    fn only_the_objects_last_chunk_opens_with_the_last_chunk_flag() {
        let key = DataKey::random();
        let len = 3 * CHUNK + 7;
        let sealed = seal(&key, b"id", &sample(len));
        let at = |r: Range<u64>| &sealed[r.start as usize..r.end as usize];
        // The last chunk opened as if another followed it.
        let tail = range_plan(len as u64, 3 * CHUNK as u64..len as u64).unwrap();
        let not_last = RangePlan {
            last: 4,
            ..tail.clone()
        };
        assert!(open_range(&key, b"id", &tail, at(tail.header()), at(tail.chunks())).is_ok());
        assert!(open_range(&key, b"id", &not_last, at(tail.header()), at(tail.chunks())).is_err());
        // A middle chunk opened as if it ended the object.
        let middle = range_plan(len as u64, CHUNK as u64..CHUNK as u64 + 1).unwrap();
        let as_last = RangePlan {
            last: 1,
            ..middle.clone()
        };
        assert!(open_range(&key, b"id", &middle, at(middle.header()), at(middle.chunks())).is_ok());
        assert!(open_range(&key, b"id", &as_last, at(middle.header()), at(middle.chunks())).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// For any length and any range within it, the range opens to the
        /// plaintext's slice.
        #[test]
        fn any_range_of_any_object_opens_to_its_plaintext_slice(
            len in 0usize..4 * CHUNK + 100,
            a in 0.0f64..=1.0,
            b in 0.0f64..=1.0,
        ) {
            let key = DataKey::random();
            let plain = sample(len);
            let sealed = seal(&key, b"id", &plain);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let range = (lo * len as f64) as u64..(hi * len as f64) as u64;
            let got = ranged(&key, &sealed, len, range.clone()).unwrap();
            proptest::prop_assert_eq!(&got[..], &plain[range.start as usize..range.end as usize]);
        }
    }
}
