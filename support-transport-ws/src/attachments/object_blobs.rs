//! [`ObjectBlobStore`]: the [`BlobStore`] over the `object_store` crate.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, WriteMultipart};
use support_core::{BlobKey, BlobStore, BlobStream, Error, Result};

/// Parts sent at once per upload (besides the one being filled): with the part size, what
/// one upload holds in memory.
const PARTS_IN_FLIGHT: usize = 1;

/// A [`BlobStore`] over any `object_store` backend: a local folder
/// ([`ObjectBlobStore::local`]) or an S3-compatible bucket ([`ObjectBlobStore::from_url`]).
/// Writes are multipart uploads of fixed-size parts, so an upload holds about two parts in
/// memory whatever its size (one being sent, one being filled): 64 KiB parts on a folder,
/// 5 MiB (S3's smallest) on S3.
#[derive(Debug, Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    part_size: usize,
}

fn from_object(e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { .. } => Error::NotFound,
        object_store::Error::Generic { .. } => Error::Unavailable(e.to_string()),
        other => Error::backend(other.to_string()),
    }
}

impl ObjectBlobStore {
    /// Over a store of your own, writing parts of `part_size` bytes.
    pub fn new(store: Arc<dyn ObjectStore>, part_size: usize) -> Self {
        ObjectBlobStore { store, part_size }
    }

    /// Files under `dir`, created if missing.
    pub fn local(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::backend(format!(
                "cannot create the attachments folder {}: {e}",
                dir.display()
            ))
        })?;
        let fs = LocalFileSystem::new_with_prefix(dir).map_err(from_object)?;
        Ok(Self::new(Arc::new(fs), 64 * 1024))
    }

    /// A store named by URL: `s3://bucket/prefix` (credentials, region and endpoint from the
    /// usual `AWS_*` environment variables: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, `AWS_ENDPOINT_URL` or `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`), or `file:///dir`
    /// (or a plain path) for a local folder.
    pub fn from_url(url: &str) -> Result<Self> {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(Error::invalid("attachments_url", "The bucket is missing."));
            }
            let s3 = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(from_object)?;
            let prefix = prefix.trim_matches('/');
            let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(s3, prefix))
            };
            return Ok(Self::new(store, 5 * 1024 * 1024));
        }
        let dir = url.strip_prefix("file://").unwrap_or(url);
        Self::local(Path::new(dir))
    }

    fn path(key: &BlobKey) -> ObjectPath {
        ObjectPath::from(key.as_str())
    }
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn put(&self, key: &BlobKey, mut body: BlobStream) -> Result<u64> {
        let upload = self
            .store
            .put_multipart(&Self::path(key))
            .await
            .map_err(from_object)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_size);
        let mut written = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    // Nothing stays behind: the parts written so far are discarded.
                    let _ = writer.abort().await;
                    return Err(Error::Unavailable(e.to_string()));
                }
            };
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(from_object(e));
            }
            written += chunk.len() as u64;
            // Copied into the part being filled, not kept as it came: a chunk may be a slice
            // of a much larger read buffer, which it would keep alive until the part is sent.
            writer.write(&chunk);
        }
        writer.finish().await.map_err(from_object)?;
        Ok(written)
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<BlobStream>> {
        match self.store.get(&Self::path(key)).await {
            Ok(found) => Ok(Some(Box::pin(
                found.into_stream().map_err(std::io::Error::other),
            ))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(from_object(e)),
        }
    }

    async fn rename(&self, from: &BlobKey, to: &BlobKey) -> Result<()> {
        self.store
            .rename(&Self::path(from), &Self::path(to))
            .await
            .map_err(from_object)
    }

    async fn delete(&self, key: &BlobKey) -> Result<()> {
        match self.store.delete(&Self::path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(from_object(e)),
        }
    }

    async fn exists(&self, key: &BlobKey) -> Result<bool> {
        match self.store.head(&Self::path(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(from_object(e)),
        }
    }
}
