//! A snapshot folder on the local file system: staged under a hidden name, published by rename,
//! `latest` replaced atomically only after the snapshot is complete.
//!
//! Readers look at `<out>/latest` and `<out>/snapshots/<id>/`; a name starting with `.` is never
//! theirs. One exporter at a time writes to an `<out>` (an exclusive lock on `<out>/.lock`, which
//! the system releases when the process dies), so hidden leftovers of a killed run can be removed.

use crate::error::ExportError;
use chrono::{DateTime, Utc};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const SNAPSHOTS: &str = "snapshots";
pub const LATEST: &str = "latest";
const STAGING_PREFIX: &str = ".partial-";
/// A pruned snapshot is renamed to this hidden name first, so no reader sees it half-deleted.
const DELETING_PREFIX: &str = ".deleting-";

/// An output folder, locked for this exporter while the value lives.
pub struct LocalTarget {
    root: PathBuf,
    _lock: File,
}

impl LocalTarget {
    /// Creates `root/snapshots` if needed, waits for the lock and removes leftovers of killed runs.
    /// Waits (cancellably: a stopping worker does not hang on it) while another exporter holds it.
    pub async fn open(root: &Path) -> Result<Self, ExportError> {
        let mut waited = false;
        loop {
            let attempt = root.to_owned();
            let opened = tokio::task::spawn_blocking(move || Self::try_open(attempt))
                .await
                .map_err(|_| ExportError::WriterStopped)??;
            if let Some(target) = opened {
                return Ok(target);
            }
            if !waited {
                tracing::info!(out = %root.display(), "another export is writing here; waiting for it");
                waited = true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }

    /// The target if its lock is free (leftovers of killed runs removed), `None` if it is held.
    fn try_open(root: PathBuf) -> Result<Option<Self>, ExportError> {
        let snapshots = root.join(SNAPSHOTS);
        fs::create_dir_all(&snapshots).map_err(ExportError::io(&snapshots))?;
        let lock_path = root.join(".lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(ExportError::io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(ExportError::io(&lock_path)(e)),
        }
        for entry in fs::read_dir(&snapshots).map_err(ExportError::io(&snapshots))? {
            let entry = entry.map_err(ExportError::io(&snapshots))?;
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(STAGING_PREFIX)
            {
                tracing::warn!(path = %entry.path().display(), "removing an unfinished snapshot of an earlier run");
                fs::remove_dir_all(entry.path()).map_err(ExportError::io(entry.path()))?;
            }
        }
        Ok(Some(Self { root, _lock: lock }))
    }

    /// A free snapshot id for `at`: `20261123T140000Z`, then `-2`, `-3`… if taken.
    pub fn allocate_id(&self, at: DateTime<Utc>) -> String {
        let base = base_id(at);
        let taken = |id: &str| self.root.join(SNAPSHOTS).join(id).exists();
        if !taken(&base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|id| !taken(id))
            .unwrap_or(base)
    }

    /// The hidden folder the snapshot is written into.
    pub fn stage(&self, id: &str) -> Result<PathBuf, ExportError> {
        let dir = self.staging_dir(id);
        fs::create_dir_all(&dir).map_err(ExportError::io(&dir))?;
        Ok(dir)
    }

    fn staging_dir(&self, id: &str) -> PathBuf {
        self.root
            .join(SNAPSHOTS)
            .join(format!("{STAGING_PREFIX}{id}"))
    }

    /// Removes a staged snapshot after a failure (best effort: the next run removes it anyway).
    pub fn discard(&self, id: &str) {
        let dir = self.staging_dir(id);
        if let Err(e) = fs::remove_dir_all(&dir) {
            tracing::warn!(path = %dir.display(), error = %e, "could not remove an unfinished snapshot");
        }
    }

    /// The published snapshots' ids, oldest first.
    pub fn snapshot_ids(&self) -> Result<Vec<String>, ExportError> {
        let snapshots = self.root.join(SNAPSHOTS);
        let mut ids = Vec::new();
        for entry in fs::read_dir(&snapshots).map_err(ExportError::io(&snapshots))? {
            let entry = entry.map_err(ExportError::io(&snapshots))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && entry.path().is_dir() {
                ids.push(name);
            }
        }
        ids.sort_by_key(|id| id_order(id));
        Ok(ids)
    }

    /// The id `latest` names, if any.
    pub fn latest(&self) -> Option<String> {
        fs::read_to_string(self.root.join(LATEST))
            .ok()
            .map(|s| s.trim().to_owned())
    }

    /// Removes all but the newest `keep` snapshots (never the one `latest` names); returns the
    /// removed ids.
    pub fn prune(&self, keep: usize) -> Result<Vec<String>, ExportError> {
        let ids = self.snapshot_ids()?;
        let latest = self.latest();
        let excess = ids.len().saturating_sub(keep.max(1));
        let mut removed = Vec::new();
        for id in ids.into_iter().take(excess) {
            if Some(&id) == latest.as_ref() {
                continue;
            }
            let snapshots = self.root.join(SNAPSHOTS);
            let hidden = snapshots.join(format!("{DELETING_PREFIX}{id}"));
            fs::rename(snapshots.join(&id), &hidden).map_err(ExportError::io(&hidden))?;
            fs::remove_dir_all(&hidden).map_err(ExportError::io(&hidden))?;
            removed.push(id);
        }
        Ok(removed)
    }

    /// Makes the staged snapshot visible, then points `latest` at it. Each step is a rename,
    /// made durable before the next.
    pub fn publish(&self, id: &str) -> Result<PathBuf, ExportError> {
        let staged = self.staging_dir(id);
        sync_tree(&staged)?;
        let snapshots = self.root.join(SNAPSHOTS);
        let published = snapshots.join(id);
        fs::rename(&staged, &published).map_err(ExportError::io(&published))?;
        sync_dir(&snapshots)?;
        write_atomically(&self.root, LATEST, id.as_bytes())?;
        Ok(published)
    }
}

/// A snapshot's id before any `-N`: its UTC time, `20261123T140000Z`.
pub(crate) fn base_id(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Sort key of an id: its time, then its `-N` suffix as a number (`-10` after `-9`).
pub(crate) fn id_order(id: &str) -> (String, u32) {
    match id.split_once('-') {
        Some((time, n)) => (time.to_owned(), n.parse().unwrap_or(u32::MAX)),
        None => (id.to_owned(), 1),
    }
}

/// Writes `root/name` by writing a hidden temporary file and renaming it over the old one.
pub fn write_atomically(root: &Path, name: &str, content: &[u8]) -> Result<(), ExportError> {
    let temp = root.join(format!(".{name}.{}", std::process::id()));
    let target = root.join(name);
    let mut file = File::create(&temp).map_err(ExportError::io(&temp))?;
    file.write_all(content).map_err(ExportError::io(&temp))?;
    file.sync_all().map_err(ExportError::io(&temp))?;
    fs::rename(&temp, &target).map_err(ExportError::io(&target))?;
    sync_dir(root)
}

/// Writes a whole file and makes it durable.
pub fn write_file(path: &Path, content: &[u8]) -> Result<(), ExportError> {
    let mut file = File::create(path).map_err(ExportError::io(path))?;
    file.write_all(content).map_err(ExportError::io(path))?;
    file.sync_all().map_err(ExportError::io(path))
}

/// Makes the folders of a tree durable (their files were synced when written).
fn sync_tree(dir: &Path) -> Result<(), ExportError> {
    for entry in fs::read_dir(dir).map_err(ExportError::io(dir))? {
        let entry = entry.map_err(ExportError::io(dir))?;
        if entry
            .file_type()
            .map_err(ExportError::io(entry.path()))?
            .is_dir()
        {
            sync_tree(&entry.path())?;
        }
    }
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<(), ExportError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(ExportError::io(dir))
}
