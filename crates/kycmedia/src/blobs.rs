//! Media bytes, through `object_store`, so that a local directory and an
//! S3-compatible bucket are one configuration switch apart.

use std::{ops::Range, path::PathBuf, sync::Arc};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::{
    ObjectStore, ObjectStoreExt, PutPayload,
    aws::{AmazonS3Builder, AmazonS3ConfigKey},
    local::LocalFileSystem,
    path::Path,
    prefix::PrefixStore,
};

/// Errors of the blob layer.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("no object stored under this key")]
    NotFound,
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("storage I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A byte range asked for that is not within the object: the caller's
    /// mistake (an HTTP range past the end), not the storage's.
    #[error("the byte range asked for is not within the object")]
    OutOfRange,
    /// The stored object ends before a byte range within its recorded size
    /// does: it was cut short.
    #[error("the stored object ends before the byte range does")]
    ShortRead,
    #[error("unsupported storage URL {0:?}: use file://PATH or s3://BUCKET/PREFIX")]
    UnsupportedUrl(String),
    /// A sealed object that does not open: tampered with, cut short, or
    /// its key is missing.
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
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
    /// Opens the store a storage URL names: `file://PATH` (relative or
    /// absolute), or `s3://BUCKET/PREFIX` configured by the `AWS_*`
    /// environment variables, then `endpoint`, then `options` (S3 settings
    /// by their `object_store` names, e.g. `access_key_id`, for programs that
    /// embed the server and have no environment of their own to give).
    pub fn open(url: &str, endpoint: Option<&str>, options: &[(String, String)]) -> Result<Self, BlobError> {
        if let Some(rest) = url.strip_prefix("s3://") {
            return Self::open_s3(url, rest, endpoint, options);
        }
        let Some(path) = url.strip_prefix("file://") else {
            return Err(BlobError::UnsupportedUrl(url.to_owned()));
        };
        crate::fsmode::create_dir_all(std::path::Path::new(path))?;
        let root = std::fs::canonicalize(path)?;
        let store = LocalFileSystem::new_with_prefix(&root)?;
        Ok(Blobs {
            store: Arc::new(store),
            local_root: Some(root),
        })
    }

    fn open_s3(url: &str, rest: &str, endpoint: Option<&str>, options: &[(String, String)]) -> Result<Self, BlobError> {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(BlobError::UnsupportedUrl(url.to_owned()));
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(endpoint) = endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        for (key, value) in options {
            builder = builder.with_config(key.parse::<AmazonS3ConfigKey>()?, value);
        }
        let s3 = builder.build()?;
        let prefix = prefix.trim_matches('/');
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(PrefixStore::new(s3, prefix))
        };
        Ok(Blobs {
            store,
            local_root: None,
        })
    }

    /// Stores `bytes` under `key` and returns once they are durable.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.store.put(&Path::from(key), PutPayload::from_bytes(bytes)).await?;
        if let Some(root) = &self.local_root {
            // The local store renames a finished temporary file into place but
            // does not fsync; do it here, file then directory, so that an
            // acknowledged upload survives a power cut. It also creates them
            // with the umask's modes: make them private (the root is 0700
            // already, so nobody else could reach them meanwhile).
            let file = root.join(key);
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                use std::{fs::Permissions, os::unix::fs::PermissionsExt};
                std::fs::set_permissions(&file, Permissions::from_mode(crate::fsmode::FILE_MODE))?;
                std::fs::File::open(&file)?.sync_all()?;
                if let Some(dir) = file.parent() {
                    std::fs::set_permissions(dir, Permissions::from_mode(crate::fsmode::DIR_MODE))?;
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

    /// The object's bytes `range`, in one read (one GET with a `Range`
    /// header on S3). An empty range reads nothing, and does not look; a
    /// backwards one is `OutOfRange`. Fewer bytes than asked for (the store
    /// stops at the object's end) are `ShortRead`, so a caller never takes
    /// a short answer for the whole range.
    pub async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, BlobError> {
        if range.start > range.end {
            return Err(BlobError::OutOfRange);
        }
        if range.is_empty() {
            // `object_store` refuses an empty range as inconsistent.
            return Ok(Bytes::new());
        }
        let wanted = range.end - range.start;
        match self.store.get_range(&Path::from(key), range).await {
            Ok(bytes) if bytes.len() as u64 == wanted => Ok(bytes),
            Ok(_) => Err(BlobError::ShortRead),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Answers when the storage does, with the configured credentials: a
    /// listing under a prefix that is never written, so an empty answer is
    /// the healthy one, and a missing bucket or refused credentials are
    /// errors (a HEAD could not tell a missing bucket from a missing key).
    pub async fn check(&self) -> Result<(), BlobError> {
        let probe = Path::from(".kycmedia-readiness-probe");
        match self.store.list(Some(&probe)).next().await {
            Some(Err(e)) => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// The object's size in bytes; `None` when nothing is stored under `key`.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, BlobError> {
        match self.store.head(&Path::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> (tempfile::TempDir, Blobs) {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(&format!("file://{}", dir.path().display()), None, &[]).unwrap();
        (dir, blobs)
    }

    #[tokio::test]
    async fn a_range_of_a_stored_object_reads_exactly_those_bytes() {
        let (_dir, blobs) = local();
        let bytes: Vec<u8> = (0..=255).collect();
        blobs.put("i/m", Bytes::from(bytes.clone())).await.unwrap();
        assert_eq!(blobs.get_range("i/m", 0..256).await.unwrap(), bytes);
        assert_eq!(blobs.get_range("i/m", 10..20).await.unwrap(), bytes[10..20]);
        assert_eq!(blobs.get_range("i/m", 255..256).await.unwrap(), bytes[255..]);
        assert!(blobs.get_range("i/m", 7..7).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_range_past_the_end_a_backwards_range_or_a_missing_object_is_an_error() {
        let (_dir, blobs) = local();
        blobs.put("i/m", Bytes::from_static(b"0123456789")).await.unwrap();
        assert!(matches!(blobs.get_range("i/m", 5..11).await, Err(BlobError::ShortRead)));
        assert!(blobs.get_range("i/m", 10..12).await.is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 6..5;
        assert!(matches!(
            blobs.get_range("i/m", backwards).await,
            Err(BlobError::OutOfRange)
        ));
        assert!(matches!(
            blobs.get_range("i/gone", 0..1).await,
            Err(BlobError::NotFound)
        ));
    }

    #[tokio::test]
    async fn deleting_what_was_never_stored_succeeds() {
        let (_dir, blobs) = local();
        blobs.delete("i/never").await.unwrap();
        blobs.delete("never/under/a/folder.thumb").await.unwrap();
        blobs.put("i/m", Bytes::from_static(b"x")).await.unwrap();
        blobs.delete("i/m").await.unwrap();
        blobs.delete("i/m").await.unwrap();
        assert_eq!(blobs.size("i/m").await.unwrap(), None);
    }
}
