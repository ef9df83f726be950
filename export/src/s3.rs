//! Snapshots in S3 (or an S3-compatible store) through `object_store`.
//!
//! A snapshot is written to a local hidden folder first, then uploaded object by object (large
//! files as multipart uploads, streamed from disk), README.md and manifest.json after the data
//! files, and `latest` last: readers who start from `latest` (or a manifest) never see a partial
//! snapshot. S3 has no rename, so the objects of an unfinished upload are under
//! `snapshots/<id>/` without a manifest until they are complete; a failed upload deletes them.
//! Credentials and endpoint come from the usual AWS environment variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`).

use crate::error::ExportError;
use crate::local::{LATEST, SNAPSHOTS};
use crate::manifest::Manifest;
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path as StorePath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// Multipart part size: S3 wants at least 5 MiB for every part but the last.
const PART_BYTES: usize = 8 * 1024 * 1024;

/// rustls with ring is the one TLS stack: installed once, before any HTTP client is built.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A bucket and key prefix.
pub struct S3Target {
    store: Arc<dyn ObjectStore>,
    location: String,
}

fn store_error(e: object_store::Error) -> ExportError {
    ExportError::Store(Box::new(e))
}

impl S3Target {
    pub fn open(bucket: &str, prefix: &str) -> Result<Self, ExportError> {
        install_crypto_provider();
        let s3 = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(store_error)?;
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            let prefix = StorePath::parse(prefix)
                .map_err(|e| ExportError::Destination(format!("s3://{bucket}/{prefix}: {e}")))?;
            Arc::new(PrefixStore::new(s3, prefix))
        };
        Ok(Self {
            store,
            location: format!("s3://{bucket}/{}", prefix.trim_end_matches('/')),
        })
    }

    /// The ids under `snapshots/` (complete or not), oldest first.
    pub async fn snapshot_ids(&self) -> Result<Vec<String>, ExportError> {
        let listing = self
            .store
            .list_with_delimiter(Some(&StorePath::from(SNAPSHOTS)))
            .await
            .map_err(store_error)?;
        let mut ids: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_owned))
            .collect();
        ids.sort_by_key(|id| crate::local::id_order(id));
        Ok(ids)
    }

    /// A free snapshot id for `base` (`-2`, `-3`… when taken).
    pub async fn allocate_id(&self, base: String) -> Result<String, ExportError> {
        let taken: BTreeSet<String> = self.snapshot_ids().await?.into_iter().collect();
        if !taken.contains(&base) {
            return Ok(base);
        }
        Ok((2..)
            .map(|n| format!("{base}-{n}"))
            .find(|id| !taken.contains(id))
            .unwrap_or(base))
    }

    /// Uploads the snapshot written to `dir`, then points `latest` at it.
    pub async fn publish(&self, dir: &Path, id: &str) -> Result<String, ExportError> {
        let mut files = Vec::new();
        collect_files(dir, dir, &mut files)?;
        // The data first, then README.md and manifest.json, whose presence marks it complete.
        files.sort_by_key(|rel| (rel == "README.md", rel == "manifest.json", rel.clone()));
        for rel in &files {
            let key = StorePath::from(format!("{SNAPSHOTS}/{id}/{rel}"));
            if let Err(e) = self.upload(&dir.join(rel), &key).await {
                self.delete_snapshot(id).await.ok();
                return Err(e);
            }
        }
        self.store
            .put(
                &StorePath::from(LATEST),
                PutPayload::from(id.as_bytes().to_vec()),
            )
            .await
            .map_err(store_error)?;
        Ok(format!("{}/{SNAPSHOTS}/{id}", self.location))
    }

    async fn upload(&self, file: &Path, key: &StorePath) -> Result<(), ExportError> {
        let mut source = tokio::fs::File::open(file)
            .await
            .map_err(ExportError::io(file))?;
        let mut upload = BufWriter::with_capacity(Arc::clone(&self.store), key.clone(), PART_BYTES);
        let copied = tokio::io::copy(&mut source, &mut upload).await;
        let finished = match copied {
            Ok(_) => upload.shutdown().await,
            Err(e) => Err(e),
        };
        if let Err(e) = finished {
            upload.abort().await.ok();
            return Err(ExportError::Upload {
                key: key.to_string(),
                source: e,
            });
        }
        Ok(())
    }

    /// The id `latest` names, if any.
    pub async fn latest(&self) -> Result<Option<String>, ExportError> {
        match self.store.get(&StorePath::from(LATEST)).await {
            Ok(got) => {
                let bytes = got.bytes().await.map_err(store_error)?;
                Ok(Some(String::from_utf8_lossy(&bytes).trim().to_owned()))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }

    /// The manifest of a snapshot, `None` while it has none (an upload not finished).
    async fn manifest(&self, id: &str) -> Result<Option<Manifest>, ExportError> {
        let key = StorePath::from(format!("{SNAPSHOTS}/{id}/manifest.json"));
        match self.store.get(&key).await {
            Ok(got) => {
                let bytes = got.bytes().await.map_err(store_error)?;
                Ok(serde_json::from_slice::<Manifest>(&bytes).ok())
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }

    /// Deletes every object of a snapshot.
    pub async fn delete_snapshot(&self, id: &str) -> Result<(), ExportError> {
        let prefix = StorePath::from(format!("{SNAPSHOTS}/{id}"));
        let objects: Vec<_> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(store_error)?;
        for object in objects {
            self.store
                .delete(&object.location)
                .await
                .map_err(store_error)?;
        }
        Ok(())
    }

    /// Removes all but the newest `keep` complete snapshots (never the one `latest` names, never
    /// an upload without its manifest: it may be another exporter's, still running).
    pub async fn prune(&self, keep: usize) -> Result<Vec<String>, ExportError> {
        let mut ids = Vec::new();
        for id in self.snapshot_ids().await? {
            if self.manifest(&id).await?.is_some() {
                ids.push(id);
            }
        }
        let latest = self.latest().await?;
        let excess = ids.len().saturating_sub(keep.max(1));
        let mut removed = Vec::new();
        for id in ids.into_iter().take(excess) {
            if Some(&id) != latest.as_ref() {
                self.delete_snapshot(&id).await?;
                removed.push(id);
            }
        }
        Ok(removed)
    }

    /// The complete snapshots (those with a manifest), newest first, with whether `latest`
    /// names each.
    pub async fn snapshots(&self) -> Result<Vec<(Manifest, bool)>, ExportError> {
        let latest = self.latest().await?;
        let mut found = Vec::new();
        for id in self.snapshot_ids().await? {
            if let Some(m) = self.manifest(&id).await? {
                let is_latest = latest.as_deref() == Some(m.snapshot_id.as_str());
                found.push((m, is_latest));
            }
        }
        found.reverse();
        Ok(found)
    }
}

/// Every file under `dir`, as `/`-separated paths relative to `root`.
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), ExportError> {
    for entry in std::fs::read_dir(dir).map_err(ExportError::io(dir))? {
        let entry = entry.map_err(ExportError::io(dir))?;
        let path = entry.path();
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}
