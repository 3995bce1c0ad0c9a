//! Stored objects as the layers above see them: plaintext in, plaintext
//! out. At rest each is sealed under a data key of its own (`keys`), whose
//! wrapped form the caller stores with the object's row; with
//! `--insecure-plaintext` the bytes are stored as they came.
//!
//! A media's thumbnail and preview are stored beside it (`derived_key`),
//! sealed under the media's own data key: they need no key row of their
//! own, become unreadable when the media's key row is deleted, and `keys
//! rotate` (which re-wraps data keys) carries them along for nothing.

use std::ops::Range;

use bytes::Bytes;
use futures::{StreamExt, stream::BoxStream};

use crate::{
    blobs::{BlobError, Blobs},
    ids::{IntegrationId, MediaId},
    keys::{DataKey, KeyError, KeyRing, object},
    state::Core,
    store::{Media, ObjectKey},
};

/// What a media object's data key and chunks are bound to: its tenant and
/// its id, so that an object or a wrapped key moved to another row fails.
pub fn identity(integration: &IntegrationId, media: &MediaId) -> Vec<u8> {
    format!("{integration}\0{media}").into_bytes()
}

/// Seals `plain` for a media object under a fresh data key; the sealed
/// bytes and the key's row. Sealing runs off the async runtime (32 MiB of
/// XChaCha20-Poly1305 is tens of milliseconds).
pub async fn seal(
    keys: &KeyRing,
    integration: &IntegrationId,
    media: &MediaId,
    plain: Vec<u8>,
) -> (Vec<u8>, ObjectKey) {
    let id = identity(integration, media);
    let key = DataKey::random();
    let wrapped = keys.wrap(&key, &id);
    let row = ObjectKey {
        media_id: media.clone(),
        integration_id: integration.clone(),
        master_key_id: keys.current().id().to_owned(),
        wrapped,
    };
    let sealed = tokio::task::spawn_blocking(move || object::seal(&key, &id, &plain)).await;
    // A panic in the sealing task is a bug, not an outcome: resume it.
    let sealed = sealed.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    (sealed, row)
}

/// Stores a new media object's bytes, sealed when the installation has a
/// master key; the wrapped data key its row must be stored with.
pub async fn put(
    core: &Core,
    integration: &IntegrationId,
    media: &MediaId,
    blob_key: &str,
    plain: Vec<u8>,
) -> Result<Option<ObjectKey>, BlobError> {
    match &core.keys {
        Some(keys) => {
            let (sealed, row) = seal(keys, integration, media, plain).await;
            core.blobs.put(blob_key, sealed.into()).await?;
            Ok(Some(row))
        }
        None => {
            core.blobs.put(blob_key, plain.into()).await?;
            Ok(None)
        }
    }
}

/// A media object's plaintext, as a stream that opens it chunk by chunk;
/// `key` is its row's data key (none for a plaintext object).
pub async fn open(
    core: &Core,
    media: &Media,
    key: Option<&ObjectKey>,
) -> Result<BoxStream<'static, Result<Bytes, BlobError>>, BlobError> {
    let stored = core.blobs.get(&media.blob_key).await?;
    let Some(key) = key else { return Ok(stored) };
    let id = identity(&media.integration_id, &media.id);
    let data_key = data_key(core.keys.as_deref(), key, &id)?;
    Ok(object::open_stream(&data_key, &id, stored))
}

/// The data key a media's key row wraps, bound to `id` (its identity).
fn data_key(keys: Option<&KeyRing>, key: &ObjectKey, id: &[u8]) -> Result<DataKey, BlobError> {
    let keys = keys.ok_or(KeyError::NoMasterKey)?;
    Ok(keys.unwrap(&key.wrapped, id)?)
}

/// The plaintext bytes `range` of a media object (`media.size` long), for
/// a ranged download or a video's seek: a plaintext object is read there
/// directly; a sealed one reads its header and the 64 KiB chunks that cover
/// the range, and opens only those. `OutOfRange` when the range is not
/// within the media; a stored object cut short or altered fails.
pub async fn open_range(
    core: &Core,
    media: &Media,
    key: Option<&ObjectKey>,
    range: Range<u64>,
) -> Result<Bytes, BlobError> {
    read_range(&core.blobs, core.keys.as_deref(), media, key, range).await
}

async fn read_range(
    blobs: &Blobs,
    keys: Option<&KeyRing>,
    media: &Media,
    key: Option<&ObjectKey>,
    range: Range<u64>,
) -> Result<Bytes, BlobError> {
    let len = u64::try_from(media.size).map_err(|_| BlobError::OutOfRange)?;
    if range.start > range.end || range.end > len {
        return Err(BlobError::OutOfRange);
    }
    let Some(key) = key else {
        return blobs.get_range(&media.blob_key, range).await;
    };
    let id = identity(&media.integration_id, &media.id);
    let data_key = data_key(keys, key, &id)?;
    if range.is_empty() {
        return Ok(Bytes::new());
    }
    let plan = object::range_plan(len, range).ok_or(BlobError::OutOfRange)?;
    let (header, chunks) = if plan.chunks().start == plan.header().end {
        // The range begins in the first chunk: header and chunks are one read.
        let both = blobs.get_range(&media.blob_key, 0..plan.chunks().end).await?;
        (both.slice(..object::HEADER_LEN), both.slice(object::HEADER_LEN..))
    } else {
        futures::try_join!(
            blobs.get_range(&media.blob_key, plan.header()),
            blobs.get_range(&media.blob_key, plan.chunks()),
        )?
    };
    // Opening runs off the async runtime, as sealing does: a range may be
    // the whole object.
    let opened = tokio::task::spawn_blocking(move || object::open_range(&data_key, &id, &plan, &header, &chunks)).await;
    // A panic in the opening task is a bug, not an outcome: resume it.
    Ok(opened.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?)
}

/// An image the console shows instead of a media's original, made from it
/// by the server on first use (`kycmedia_media::thumbnail`) and stored
/// beside it: a thumbnail for the lists, a screen-sized preview for the
/// viewer (the original is 2 MiB or more for a phone's photo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    Thumbnail,
    Preview,
}

impl Derived {
    pub const ALL: [Derived; 2] = [Derived::Thumbnail, Derived::Preview];

    /// What its blob key adds to its media's.
    pub fn suffix(self) -> &'static str {
        match self {
            Derived::Thumbnail => ".thumb",
            Derived::Preview => ".preview",
        }
    }

    /// Its long side, in pixels.
    pub fn max_side(self) -> u32 {
        match self {
            Derived::Thumbnail => 320,
            Derived::Preview => 1600,
        }
    }

    /// What its chunks are bound to beside its media's identity.
    fn tag(self) -> &'static [u8] {
        match self {
            Derived::Thumbnail => b"\0thumbnail",
            Derived::Preview => b"\0preview",
        }
    }
}

/// Where a media's derived image is stored: beside its object, so that the
/// orphan sweep can tell whose it is (`sweep`).
pub fn derived_key(blob_key: &str, which: Derived) -> String {
    format!("{blob_key}{}", which.suffix())
}

/// Every key that may be stored beside `blob_key`, to erase with it.
pub fn derived_keys(blob_key: &str) -> impl Iterator<Item = String> + '_ {
    Derived::ALL.into_iter().map(move |which| derived_key(blob_key, which))
}

/// The blob key whose media row decides whether `key` is kept: a derived
/// image's media's, any other's own.
pub fn owner_of(key: &str) -> &str {
    Derived::ALL
        .into_iter()
        .find_map(|which| key.strip_suffix(which.suffix()))
        .unwrap_or(key)
}

/// What a derived image's chunks are bound to: its media's identity and
/// what it is, so an image and its media's object, sealed under the same
/// data key, cannot be swapped for each other.
fn derived_identity(media: &Media, which: Derived) -> Vec<u8> {
    let mut id = identity(&media.integration_id, &media.id);
    id.extend_from_slice(which.tag());
    id
}

/// Stores a media's derived image (`jpeg`, from `kycmedia_media::thumbnail`),
/// replacing any before it. It is sealed when the media is (`key` is the
/// media's key row), under the media's own data key, and stored as it
/// came when the media is plaintext: it is never kept more openly than its
/// media.
pub async fn put_derived(
    core: &Core,
    media: &Media,
    key: Option<&ObjectKey>,
    which: Derived,
    jpeg: Vec<u8>,
) -> Result<(), BlobError> {
    store_derived(&core.blobs, core.keys.as_deref(), media, key, which, jpeg).await
}

async fn store_derived(
    blobs: &Blobs,
    keys: Option<&KeyRing>,
    media: &Media,
    key: Option<&ObjectKey>,
    which: Derived,
    jpeg: Vec<u8>,
) -> Result<(), BlobError> {
    let stored = match key {
        Some(key) => {
            let data_key = data_key(keys, key, &identity(&media.integration_id, &media.id))?;
            // A derived image is tens or hundreds of KiB: sealing it is
            // microseconds.
            object::seal(&data_key, &derived_identity(media, which), &jpeg)
        }
        None => jpeg,
    };
    blobs.put(&derived_key(&media.blob_key, which), stored.into()).await
}

/// A media's derived image, opened; `None` when none is stored, or the stored
/// one is not in the media's state (plaintext beside a sealed media, as
/// after `keys encrypt-existing`, or sealed beside a plaintext one): the
/// caller makes a new one. One that is sealed but does not open under the
/// media's data key is an error, like a media object that does not.
pub async fn open_derived(
    core: &Core,
    media: &Media,
    key: Option<&ObjectKey>,
    which: Derived,
) -> Result<Option<Vec<u8>>, BlobError> {
    read_derived(&core.blobs, core.keys.as_deref(), media, key, which).await
}

async fn read_derived(
    blobs: &Blobs,
    keys: Option<&KeyRing>,
    media: &Media,
    key: Option<&ObjectKey>,
    which: Derived,
) -> Result<Option<Vec<u8>>, BlobError> {
    let mut stream = match blobs.get(&derived_key(&media.blob_key, which)).await {
        Ok(stream) => stream,
        Err(BlobError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut stored = Vec::new();
    while let Some(piece) = stream.next().await {
        stored.extend_from_slice(&piece?);
    }
    match key {
        Some(_) if !object::is_sealed(&stored) => Ok(None),
        None if object::is_sealed(&stored) => Ok(None),
        None => Ok(Some(stored)),
        Some(key) => {
            let data_key = data_key(keys, key, &identity(&media.integration_id, &media.id))?;
            Ok(Some(object::open(&data_key, &derived_identity(media, which), &stored)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{self, object::CHUNK};

    struct Place {
        _dir: tempfile::TempDir,
        blobs: Blobs,
        keys: KeyRing,
    }

    fn place() -> Place {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("master.key");
        std::fs::write(&key_file, keys::generate_line()).unwrap();
        let keys = KeyRing::load(&key_file).unwrap();
        let blobs = Blobs::open(&format!("file://{}", dir.path().join("media").display()), None, &[]).unwrap();
        Place { _dir: dir, blobs, keys }
    }

    fn media(size: usize) -> Media {
        let session = crate::store::fixtures::session_row(&IntegrationId::random());
        let mut media = crate::store::fixtures::media_row(&session, "", size as i64);
        media.blob_key = format!("{}/{}", media.integration_id, media.id);
        media
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 253) as u8).collect()
    }

    async fn read_all(blobs: &Blobs, key: &str) -> Bytes {
        let mut all = Vec::new();
        let mut stream = blobs.get(key).await.unwrap();
        while let Some(piece) = stream.next().await {
            all.extend_from_slice(&piece.unwrap());
        }
        all.into()
    }

    /// Stores `plain` as `media`'s object, sealed: its key row.
    async fn sealed(place: &Place, media: &Media, plain: &[u8]) -> ObjectKey {
        let (bytes, key) = seal(&place.keys, &media.integration_id, &media.id, plain.to_vec()).await;
        place.blobs.put(&media.blob_key, bytes.into()).await.unwrap();
        key
    }

    #[tokio::test]
    async fn a_range_of_a_sealed_or_a_plaintext_object_is_its_plaintext_slice() {
        let place = place();
        let len = 2 * CHUNK + 100;
        let plain = sample(len);
        let sealed_media = media(len);
        let key = sealed(&place, &sealed_media, &plain).await;
        let plain_media = media(len);
        place
            .blobs
            .put(&plain_media.blob_key, plain.clone().into())
            .await
            .unwrap();
        let l = len as u64;
        for range in [0..l, 0..10, 5..CHUNK as u64 + 5, CHUNK as u64 + 1..l, l - 1..l, 3..3] {
            let slice = &plain[range.start as usize..range.end as usize];
            let got = read_range(
                &place.blobs,
                Some(&place.keys),
                &sealed_media,
                Some(&key),
                range.clone(),
            )
            .await;
            assert_eq!(&got.unwrap()[..], slice, "sealed, {range:?}");
            let got = read_range(&place.blobs, None, &plain_media, None, range.clone()).await;
            assert_eq!(&got.unwrap()[..], slice, "plaintext, {range:?}");
        }
    }

    #[tokio::test]
    async fn a_range_past_the_media_is_out_of_range_and_a_cut_object_fails() {
        let place = place();
        let len = CHUNK + 100;
        let media = media(len);
        let key = sealed(&place, &media, &sample(len)).await;
        let read = |range: Range<u64>| read_range(&place.blobs, Some(&place.keys), &media, Some(&key), range);
        assert!(matches!(read(0..len as u64 + 1).await, Err(BlobError::OutOfRange)));
        // The stored object cut short by its last tag.
        let stored = read_all(&place.blobs, &media.blob_key).await;
        let cut = stored.slice(..stored.len() - 16);
        place.blobs.put(&media.blob_key, cut).await.unwrap();
        assert!(read(0..10).await.is_ok(), "the first chunk is whole");
        assert!(read(CHUNK as u64..len as u64).await.is_err());
        // A row whose data key cannot be opened here.
        assert!(matches!(
            read_range(&place.blobs, None, &media, Some(&key), 0..1).await,
            Err(BlobError::Key(KeyError::NoMasterKey))
        ));
    }

    #[tokio::test]
    async fn a_thumbnail_is_sealed_under_its_medias_data_key_and_opens_back() {
        let place = place();
        let media = media(10);
        let key = sealed(&place, &media, b"0123456789").await;
        assert_eq!(
            read_derived(&place.blobs, Some(&place.keys), &media, Some(&key), Derived::Thumbnail)
                .await
                .unwrap(),
            None,
            "none stored yet"
        );
        let jpeg = b"\xFF\xD8 a small jpeg \xFF\xD9".to_vec();
        store_derived(
            &place.blobs,
            Some(&place.keys),
            &media,
            Some(&key),
            Derived::Thumbnail,
            jpeg.clone(),
        )
        .await
        .unwrap();
        let stored = read_all(&place.blobs, &derived_key(&media.blob_key, Derived::Thumbnail)).await;
        assert!(object::is_sealed(&stored), "sealed at rest");
        let back = read_derived(&place.blobs, Some(&place.keys), &media, Some(&key), Derived::Thumbnail).await;
        assert_eq!(back.unwrap(), Some(jpeg));
    }

    #[tokio::test]
    async fn a_thumbnail_swapped_with_its_media_or_another_medias_fails_to_open() {
        let place = place();
        let (one, two) = (media(10), media(10));
        let one_key = sealed(&place, &one, b"0123456789").await;
        let two_key = sealed(&place, &two, b"9876543210").await;
        // The media's own object put where its thumbnail goes: same data key,
        // other identity.
        let object = read_all(&place.blobs, &one.blob_key).await;
        place
            .blobs
            .put(&derived_key(&one.blob_key, Derived::Thumbnail), object)
            .await
            .unwrap();
        let read = read_derived(
            &place.blobs,
            Some(&place.keys),
            &one,
            Some(&one_key),
            Derived::Thumbnail,
        )
        .await;
        assert!(matches!(read, Err(BlobError::Key(KeyError::Forged(_)))));
        // Another media's thumbnail.
        store_derived(
            &place.blobs,
            Some(&place.keys),
            &two,
            Some(&two_key),
            Derived::Thumbnail,
            b"thumb".to_vec(),
        )
        .await
        .unwrap();
        let theirs = read_all(&place.blobs, &derived_key(&two.blob_key, Derived::Thumbnail)).await;
        place
            .blobs
            .put(&derived_key(&one.blob_key, Derived::Thumbnail), theirs)
            .await
            .unwrap();
        let read = read_derived(
            &place.blobs,
            Some(&place.keys),
            &one,
            Some(&one_key),
            Derived::Thumbnail,
        )
        .await;
        assert!(matches!(read, Err(BlobError::Key(KeyError::Forged(_)))));
    }

    #[tokio::test]
    async fn a_thumbnail_not_in_its_medias_state_counts_as_not_stored() {
        let place = place();
        let media = media(10);
        // Made while the media was plaintext, then the media was sealed.
        store_derived(
            &place.blobs,
            None,
            &media,
            None,
            Derived::Thumbnail,
            b"\xFF\xD8plain".to_vec(),
        )
        .await
        .unwrap();
        assert_eq!(
            read_derived(&place.blobs, None, &media, None, Derived::Thumbnail)
                .await
                .unwrap(),
            Some(b"\xFF\xD8plain".to_vec())
        );
        let key = sealed(&place, &media, b"0123456789").await;
        assert_eq!(
            read_derived(&place.blobs, Some(&place.keys), &media, Some(&key), Derived::Thumbnail)
                .await
                .unwrap(),
            None
        );
        // Sealed, beside a media whose key row is gone.
        store_derived(
            &place.blobs,
            Some(&place.keys),
            &media,
            Some(&key),
            Derived::Thumbnail,
            b"thumb".to_vec(),
        )
        .await
        .unwrap();
        assert_eq!(
            read_derived(&place.blobs, Some(&place.keys), &media, None, Derived::Thumbnail)
                .await
                .unwrap(),
            None
        );
    }

    #[test]
    fn a_thumbnail_is_stored_beside_its_media() {
        assert_eq!(derived_key("i/m", Derived::Thumbnail), "i/m.thumb");
        assert_eq!(derived_key("i/m", Derived::Preview), "i/m.preview");
        assert_eq!(owner_of("i/m.preview"), "i/m");
        assert_eq!(owner_of("i/m"), "i/m");
    }
}
