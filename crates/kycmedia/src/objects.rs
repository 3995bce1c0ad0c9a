//! Stored objects as the layers above see them: plaintext in, plaintext
//! out. At rest each is sealed under a data key of its own (`keys`), whose
//! wrapped form the caller stores with the object's row; with
//! `--insecure-plaintext` the bytes are stored as they came.

use bytes::Bytes;
use futures::stream::BoxStream;

use crate::{
    blobs::BlobError,
    ids::{IntegrationId, MediaId},
    keys::{DataKey, KeyRing, object},
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
    let keys = core.keys.as_ref().ok_or(crate::keys::KeyError::NoMasterKey)?;
    let id = identity(&media.integration_id, &media.id);
    let data_key = keys.unwrap(&key.wrapped, &id)?;
    Ok(object::open_stream(&data_key, &id, stored))
}
