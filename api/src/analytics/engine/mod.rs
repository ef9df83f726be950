//! The figure engine: the counted records' figure columns in memory, loaded at start and kept
//! current from the change feed, and the one aggregation every figure is made by
//! ([`scan::scan`]). It knows nothing of GraphQL: `analytics::impact`, `progress`, `funder`,
//! `returns` and `published` put the rules of DESIGN.md on top of it.
//!
//! Readers take the current [`Store`] (an `Arc`) and answer from it without locks; a change
//! builds the next store beside it and swaps it in. A process's own writes are applied before
//! the write's response returns (`catch_up`), other processes' when the feed wakes the engine.

mod load;
pub mod scan;
pub mod store;

pub use scan::{Cell, LeftOut, Scan, TooManyGroups, scan};
pub use store::{Day, Store, date_of, day_of};

use crate::changes::Feed;
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::{Arc, RwLock};
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("cannot read the records: {0}")]
    Read(#[from] b2h_export::ExportError),
    #[error("unexpected data: {0}")]
    Shape(String),
    #[error("the figures are not loaded yet: try again shortly")]
    NotLoaded,
}

/// The engine, shared by the server's requests.
#[derive(Clone)]
pub struct Figures {
    db: DatabaseConnection,
    current: Arc<RwLock<Option<Arc<Store>>>>,
    /// One catch-up at a time.
    applying: Arc<tokio::sync::Mutex<()>>,
}

impl Figures {
    /// An engine with nothing loaded yet.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            current: Arc::default(),
            applying: Arc::default(),
        }
    }

    /// An engine loaded now (the CLI's figures and tests).
    pub async fn loaded(db: DatabaseConnection) -> Result<Self, EngineError> {
        let figures = Self::new(db);
        figures.load().await?;
        Ok(figures)
    }

    /// Loads everything.
    pub async fn load(&self) -> Result<(), EngineError> {
        let _one = self.applying.lock().await;
        self.load_now().await
    }

    /// Loads everything (the caller holds `applying`).
    async fn load_now(&self) -> Result<(), EngineError> {
        let started = Instant::now();
        let store = load::everything(&self.db).await?;
        tracing::info!(
            records = store.records(),
            projects = store.projects.len(),
            sequence = store.sequence,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "figures loaded"
        );
        self.swap(store);
        Ok(())
    }

    fn swap(&self, store: Store) {
        if let Ok(mut current) = self.current.write() {
            *current = Some(Arc::new(store));
        }
    }

    /// The current store; `None` before the first load.
    pub fn current(&self) -> Option<Arc<Store>> {
        self.current.read().ok().and_then(|c| c.clone())
    }

    /// The current store, or why there is none.
    pub fn store(&self) -> Result<Arc<Store>, EngineError> {
        self.current().ok_or(EngineError::NotLoaded)
    }

    pub fn is_loaded(&self) -> bool {
        self.current().is_some()
    }

    /// Applies every change committed so far; returns the sequence the store now reflects.
    pub async fn catch_up(&self) -> Result<i64, EngineError> {
        let _one = self.applying.lock().await;
        let Some(store) = self.current() else {
            self.load_now().await?;
            return Ok(self.current().map_or(0, |s| s.sequence));
        };
        match load::changes(&self.db, &store).await? {
            Some(next) => {
                let sequence = next.sequence;
                self.swap(next);
                Ok(sequence)
            }
            None => Ok(store.sequence),
        }
    }

    /// Loads in the background if not loaded yet, then follows the feed: whenever a newer
    /// sequence is known, catches up.
    pub fn follow(&self, feed: &Feed) {
        let figures = self.clone();
        let mut latest = feed.subscribe();
        tokio::spawn(async move {
            while !figures.is_loaded() {
                if let Err(e) = figures.catch_up().await {
                    tracing::warn!(error = %e, "cannot load the figures; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
            }
            loop {
                let wanted = *latest.borrow_and_update();
                if figures.current().is_some_and(|s| s.sequence < wanted)
                    && let Err(e) = figures.catch_up().await
                {
                    tracing::warn!(error = %e, "cannot apply changes to the figures; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
                if latest.changed().await.is_err() {
                    return;
                }
            }
        });
    }
}
