//! `kycmedia keys rotate` and `kycmedia keys encrypt-existing`: moving what
//! is stored under a new master key, and sealing an installation that
//! predates encryption. Both work a batch at a time and only ever change a
//! row from one readable state to another, so an interrupted run is resumed
//! by running it again.

use anyhow::{Context as _, ensure};
use futures::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{
    blobs::{BlobError, Blobs},
    keys::{KeyRing, object},
    objects,
    store::{KeyCensus, ObjectKey, Store},
};

const BATCH: i64 = 200;

/// What `keys rotate` did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotateReport {
    pub master_key_id: String,
    pub data_keys_rewrapped: u64,
    pub secrets_resealed: u64,
    pub census: Census,
}

/// A `KeyCensus` as JSON.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Census {
    pub objects_by_master_key: std::collections::BTreeMap<String, i64>,
    pub plaintext_objects: i64,
    pub secrets_by_master_key: std::collections::BTreeMap<String, i64>,
    pub plaintext_secrets: i64,
}

impl From<KeyCensus> for Census {
    fn from(c: KeyCensus) -> Self {
        Census {
            objects_by_master_key: c.objects_by_master,
            plaintext_objects: c.plaintext_objects,
            secrets_by_master_key: c.secrets_by_master,
            plaintext_secrets: c.plaintext_secrets,
        }
    }
}

/// Re-wraps every data key, and re-seals every shared secret, under the
/// ring's first master key; the objects are not touched. The ring must hold
/// the old keys too, after the new one. A server given the same ring reads
/// everything throughout, so servers may keep running.
pub async fn rotate(store: &dyn Store, keys: &KeyRing) -> anyhow::Result<RotateReport> {
    let current = keys.current().id().to_owned();
    let mut rewrapped = 0;
    loop {
        let batch = store.object_keys_not_under(&current, BATCH).await?;
        if batch.is_empty() {
            break;
        }
        for old in &batch {
            let identity = objects::identity(&old.integration_id, &old.media_id);
            let data_key = keys
                .unwrap(&old.wrapped, &identity)
                .with_context(|| format!("the data key of media {}", old.media_id))?;
            let new = ObjectKey {
                wrapped: keys.wrap(&data_key, &identity),
                master_key_id: current.clone(),
                ..old.clone()
            };
            if store.rewrap(old, &new).await? {
                rewrapped += 1;
            }
        }
    }
    let secrets_resealed = store.reseal_secrets().await?;
    Ok(RotateReport {
        master_key_id: current,
        data_keys_rewrapped: rewrapped,
        secrets_resealed,
        census: store.key_census().await?.into(),
    })
}

/// What `keys encrypt-existing` did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptReport {
    pub objects_sealed: u64,
    pub bytes_sealed: u64,
    /// Media whose object was missing before the run: left as they are, for
    /// the operator to look at (their downloads answer 500).
    pub objects_missing: Vec<String>,
    pub secrets_sealed: u64,
    pub census: Census,
}

/// Seals every plaintext object and shared secret. Each object is sealed
/// into a new key beside the old one, read back and opened, and compared
/// with the original by SHA-256; only then does its row move to the sealed
/// copy (with its data key, in one transaction), and only then is the
/// plaintext erased, with its thumbnail. An interruption leaves every row
/// readable; a plaintext copy orphaned by one is erased by the next
/// `sweep`.
pub async fn encrypt_existing(store: &dyn Store, blobs: &Blobs, keys: &KeyRing) -> anyhow::Result<EncryptReport> {
    let mut after = String::new();
    let (mut sealed_count, mut bytes, mut missing) = (0, 0, Vec::new());
    loop {
        let batch = store.plaintext_media(&after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.id.to_string();
        for media in batch {
            let plain = match read_all(blobs, &media.blob_key).await {
                Ok(plain) => plain,
                Err(BlobError::NotFound) => {
                    missing.push(media.id.to_string());
                    continue;
                }
                Err(e) => return Err(e).with_context(|| format!("reading media {}", media.id)),
            };
            ensure!(
                !object::is_sealed(&plain),
                "media {} has no data key but its object is sealed: restore the database row's key, or delete the session",
                media.id
            );
            let digest = Sha256::digest(&plain);
            let size = plain.len() as u64;
            let (sealed, key) = objects::seal(keys, &media.integration_id, &media.id, plain).await;
            let sealed_key = format!("{}.sealed", media.blob_key);
            blobs.put(&sealed_key, sealed.into()).await?;
            let identity = objects::identity(&media.integration_id, &media.id);
            let data_key = keys.unwrap(&key.wrapped, &identity)?;
            let back = object::open(&data_key, &identity, &read_all(blobs, &sealed_key).await?)
                .with_context(|| format!("verifying the sealed copy of media {}", media.id))?;
            ensure!(
                Sha256::digest(&back) == digest,
                "verification failed for media {}: the sealed copy opens to other bytes",
                media.id
            );
            if store.seal_media(&key, &sealed_key).await? {
                blobs.delete(&media.blob_key).await?;
                // Its thumbnail and preview are plaintext and beside the old
                // key: the sealed copy gets its own when they are asked for.
                for derived in objects::derived_keys(&media.blob_key) {
                    blobs.delete(&derived).await?;
                }
                sealed_count += 1;
                bytes += size;
            } else {
                // Its session was deleted meanwhile.
                blobs.delete(&sealed_key).await?;
            }
        }
    }
    let secrets_sealed = store.reseal_secrets().await?;
    Ok(EncryptReport {
        objects_sealed: sealed_count,
        bytes_sealed: bytes,
        objects_missing: missing,
        secrets_sealed,
        census: store.key_census().await?.into(),
    })
}

async fn read_all(blobs: &Blobs, key: &str) -> Result<Vec<u8>, BlobError> {
    let mut stream = blobs.get(key).await?;
    let mut all = Vec::new();
    while let Some(chunk) = stream.next().await {
        all.extend_from_slice(&chunk?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::*;
    use crate::ids::AttemptId;

    #[tokio::test]
    async fn sealing_an_existing_object_erases_its_plaintext_thumbnail_too() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("master.key");
        std::fs::write(&key_file, crate::keys::generate_line()).unwrap();
        let keys = Arc::new(KeyRing::load(&key_file).unwrap());
        let url = format!("sqlite://{}", dir.path().join("k.db").display());
        let store = crate::store::connect(&url, 1, Some(keys.clone())).await.unwrap();
        let blobs = Blobs::open(&format!("file://{}", dir.path().join("media").display()), None, &[]).unwrap();
        let integration = crate::admin::create_integration(store.as_ref(), "t")
            .await
            .unwrap()
            .integration;
        let session = crate::store::fixtures::session_row(&integration.id);
        store.create_session(&session).await.unwrap();
        let media = crate::store::fixtures::media_row(&session, &format!("{}/m", integration.id), 3);
        store
            .insert_media(&media, None, "{}", &AttemptId::random())
            .await
            .unwrap();
        blobs.put(&media.blob_key, Bytes::from_static(b"abc")).await.unwrap();
        let thumbnail = objects::derived_key(&media.blob_key, objects::Derived::Thumbnail);
        blobs
            .put(&thumbnail, Bytes::from_static(b"\xFF\xD8thumb"))
            .await
            .unwrap();

        let report = encrypt_existing(store.as_ref(), &blobs, &keys).await.unwrap();
        assert_eq!(report.objects_sealed, 1);
        assert_eq!(blobs.size(&media.blob_key).await.unwrap(), None);
        assert_eq!(
            blobs.size(&thumbnail).await.unwrap(),
            None,
            "the plaintext thumbnail is erased"
        );
        let moved = store.media(&integration.id, &media.id).await.unwrap().unwrap();
        assert!(blobs.size(&moved.blob_key).await.unwrap().is_some());
    }
}
