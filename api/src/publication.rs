//! Publications of the public figures: a snapshot of the counted records taken at start and on a
//! schedule (`b2h serve --publish-every`), which every public figure is computed from, so that no
//! single write shows as a change. A publication waits while fewer than three projects' counted
//! records of the target measures have changed since the last one: otherwise the change of the
//! exact headline would be one or two projects' figures.

use crate::analytics::disclosure::MIN_PROJECTS;
use crate::analytics::engine::{EngineError, Figures};
use crate::analytics::published::Snapshot;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The default time between publications.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(3600);

/// What a publication attempt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Published {
    /// A new publication: how many projects moved.
    New { projects_changed: usize },
    /// Kept the last one: too few projects have moved.
    Deferred { projects_changed: usize },
}

/// The current publication, shared by the server's requests.
#[derive(Clone)]
pub struct Publication {
    figures: Figures,
    current: Arc<RwLock<Option<Arc<Snapshot>>>>,
}

impl Publication {
    /// Publications of the engine's figures.
    pub fn new(figures: Figures) -> Self {
        Self {
            figures,
            current: Arc::default(),
        }
    }

    /// The current publication; `None` before the first.
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.current.read().ok().and_then(|c| c.clone())
    }

    /// Takes a publication now, unless too few projects have moved since the last.
    pub async fn publish(&self) -> Result<Published, EngineError> {
        self.figures.catch_up().await?;
        let next = Snapshot::new(self.figures.store()?);
        let changed = self
            .current()
            .map_or(usize::MAX, |last| next.projects_changed_since(&last));
        if changed > 0 && changed < MIN_PROJECTS as usize {
            return Ok(Published::Deferred {
                projects_changed: changed,
            });
        }
        if let Ok(mut current) = self.current.write() {
            *current = Some(Arc::new(next));
        }
        Ok(Published::New {
            projects_changed: changed,
        })
    }

    /// Publishes in the background: as soon as the figures are loaded, then every `every`.
    pub fn refresh_every(&self, every: Duration) {
        let publication = self.clone();
        tokio::spawn(async move {
            while publication.current().is_none() {
                match publication.publish().await {
                    Ok(_) => tracing::info!("published the public figures"),
                    Err(e) => {
                        tracing::debug!(error = %e, "cannot publish the public figures yet");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                match publication.publish().await {
                    Ok(Published::New { projects_changed }) => {
                        tracing::info!(projects_changed, "published the public figures")
                    }
                    Ok(Published::Deferred { projects_changed }) => tracing::info!(
                        projects_changed,
                        "publication deferred: fewer than three projects have changed"
                    ),
                    Err(e) => tracing::warn!(error = %e, "cannot publish the public figures"),
                }
            }
        });
    }
}
