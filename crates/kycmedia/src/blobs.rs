//! Media bytes, through `object_store`, so that a local directory and an
//! S3-compatible bucket are one configuration switch apart.

use std::{path::PathBuf, sync::Arc};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, local::LocalFileSystem, path::Path};

/// Errors of the blob layer.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("no object stored under this key")]
    NotFound,
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("storage I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("unsupported storage URL {0:?}: use file://PATH")]
    UnsupportedUrl(String),
}

/// One stored object as a listing reports it.
pub struct Listed {
    pub key: String,
    /// Seconds since the Unix epoch.
    pub last_modified: i64,
}

#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// The directory behind a `file://` store, kept so that a write can be
    /// flushed to disk before the upload is acknowledged.
    local_root: Option<PathBuf>,
}

impl Blobs {
    /// Opens the store a storage URL names: `file://PATH` (relative or absolute).
    pub fn open(url: &str) -> Result<Self, BlobError> {
        let Some(path) = url.strip_prefix("file://") else {
            return Err(BlobError::UnsupportedUrl(url.to_owned()));
        };
        std::fs::create_dir_all(path)?;
        let root = std::fs::canonicalize(path)?;
        let store = LocalFileSystem::new_with_prefix(&root)?;
        Ok(Blobs {
            store: Arc::new(store),
            local_root: Some(root),
        })
    }

    /// Stores `bytes` under `key` and returns once they are durable.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.store.put(&Path::from(key), PutPayload::from_bytes(bytes)).await?;
        if let Some(root) = &self.local_root {
            // The local store renames a finished temporary file into place but
            // does not fsync; do it here, file then directory, so that an
            // acknowledged upload survives a power cut.
            let file = root.join(key);
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::File::open(&file)?.sync_all()?;
                if let Some(dir) = file.parent() {
                    std::fs::File::open(dir)?.sync_all()?;
                }
                Ok(())
            })
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))??;
        }
        Ok(())
    }

    /// The object's bytes as a stream of chunks; memory does not grow with size.
    pub async fn get(&self, key: &str) -> Result<BoxStream<'static, Result<Bytes, BlobError>>, BlobError> {
        match self.store.get(&Path::from(key)).await {
            Ok(found) => Ok(found.into_stream().map_err(BlobError::from).boxed()),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the object; removing what is already gone succeeds, so a
    /// retried delete finishes the job.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored object, for the orphan sweep.
    pub fn list(&self) -> BoxStream<'static, Result<Listed, BlobError>> {
        self.store
            .list(None)
            .map(|item| {
                let meta = item?;
                let last_modified = meta.last_modified.timestamp();
                Ok(Listed {
                    key: meta.location.to_string(),
                    last_modified,
                })
            })
            .boxed()
    }
}
