//! One interface for a local folder (the default) and an S3-compatible store
//! (`MEDIA_DIR=s3://bucket/prefix`, credentials and endpoint from the usual
//! `AWS_*` variables, e.g. `AWS_ENDPOINT` for MinIO).

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};

/// The bytes of a stored file as they are read, chunk by chunk.
pub type ByteStream = BoxStream<'static, Result<Bytes, object_store::Error>>;

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

impl Storage {
    pub fn from_config(media_dir: &str) -> anyhow::Result<Storage> {
        let store: Arc<dyn ObjectStore> = if media_dir.starts_with("s3://") {
            Arc::new(AmazonS3Builder::from_env().with_url(media_dir).build()?)
        } else {
            std::fs::create_dir_all(media_dir)
                .map_err(|e| anyhow::anyhow!("media_dir {media_dir:?}: {e}"))?;
            Arc::new(LocalFileSystem::new_with_prefix(media_dir)?)
        };
        Ok(Storage { store })
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.store
            .put(&Path::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> anyhow::Result<Bytes> {
        Ok(self.store.get(&Path::from(key)).await?.bytes().await?)
    }

    /// Reads the file, or the bytes `range` of it (end exclusive), as a
    /// stream: nothing is held in memory beyond the chunk being sent.
    pub async fn stream(
        &self,
        key: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> anyhow::Result<ByteStream> {
        let mut options = GetOptions::new();
        options.range = range.map(GetRange::Bounded);
        Ok(self
            .store
            .get_opts(&Path::from(key), options)
            .await?
            .into_stream())
    }

    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
