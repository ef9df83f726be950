//! Deterministic batching of related-row loads within one request.
//!
//! Resolvers ask for related rows with [`Batched::load_one`]; nothing is queried then. The request
//! runs inside [`run_batched`], which polls the GraphQL execution until every resolver is waiting,
//! and only then sends one query per relation for all the keys asked for, a wave at a time. So a
//! page of 5 or 500 nodes takes the same statements, with no timers and no race between threads.

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use futures_util::task::AtomicWaker;
use sea_orm::DbErr;
use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::hash::Hash;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use tokio::sync::oneshot;

/// Loads many keys in one query.
pub trait BatchLoad: Send + Sync + 'static {
    type Key: Send + Sync + Hash + Eq + Clone + 'static;
    type Value: Send + Sync + Clone + 'static;

    fn load(
        &self,
        keys: &[Self::Key],
    ) -> impl Future<Output = Result<HashMap<Self::Key, Self::Value>, Arc<DbErr>>> + Send;
}

type Outcome<V> = Result<Option<V>, Arc<DbErr>>;

/// Keys asked for since the last dispatch, with who is waiting for each.
type Waiting<L> =
    HashMap<<L as BatchLoad>::Key, Vec<oneshot::Sender<Outcome<<L as BatchLoad>::Value>>>>;

/// A loader with its queue of keys.
pub struct Batched<L: BatchLoad> {
    loader: Arc<L>,
    queue: Mutex<Waiting<L>>,
    /// Values another query of this request already read (see [`Batched::prime`]).
    primed: Mutex<HashMap<L::Key, L::Value>>,
    /// Values known for the life of the process (reference data), shared by every request.
    known: Option<Arc<HashMap<L::Key, L::Value>>>,
}

impl<L: BatchLoad> Batched<L> {
    pub fn new(loader: L) -> Self {
        Self {
            loader: Arc::new(loader),
            queue: Mutex::new(HashMap::new()),
            primed: Mutex::new(HashMap::new()),
            known: None,
        }
    }

    /// A loader that answers the keys of `known` from it, querying only for others.
    pub fn with_known(loader: L, known: Arc<HashMap<L::Key, L::Value>>) -> Self {
        Self {
            known: Some(known),
            ..Self::new(loader)
        }
    }

    /// Records the value of `key`, read by a query that joined it in, so that asking for it
    /// costs no query.
    pub fn prime(&self, key: L::Key, value: L::Value) {
        self.primed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, value);
    }

    /// The value for `key`, loaded with every other key asked for meanwhile.
    pub async fn load_one(&self, key: L::Key) -> Outcome<L::Value> {
        if let Some(value) = self.known.as_ref().and_then(|known| known.get(&key)) {
            return Ok(Some(value.clone()));
        }
        if let Some(value) = self
            .primed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Some(value.clone()));
        }
        let receiver = {
            let (sender, receiver) = oneshot::channel();
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.entry(key).or_default().push(sender);
            receiver
        };
        receiver
            .await
            .unwrap_or_else(|_| Err(Arc::new(DbErr::Custom("a batched load was dropped".into()))))
    }

    /// The query for every key waiting now, if any.
    pub fn take(&self) -> Option<BoxFuture<'static, ()>> {
        let waiting =
            std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        if waiting.is_empty() {
            return None;
        }
        let loader = Arc::clone(&self.loader);
        Some(Box::pin(async move {
            let keys: Vec<L::Key> = waiting.keys().cloned().collect();
            let loaded = loader.load(&keys).await;
            for (key, senders) in waiting {
                let outcome = loaded
                    .as_ref()
                    .map(|found| found.get(&key).cloned())
                    .map_err(Arc::clone);
                for sender in senders {
                    let _ = sender.send(outcome.clone());
                }
            }
        }))
    }
}

/// Something holding batched loaders.
pub trait Batches {
    /// The queries for every key waiting now, one per loader with keys.
    fn take_all(&self) -> Vec<BoxFuture<'static, ()>>;
}

/// The waker the GraphQL execution is polled with: it notes that the execution was woken, so
/// that it is polled again only then (not whenever a batched query makes progress), and wakes
/// the request's task.
struct NotingWaker {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for NotingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.task.wake();
    }
}

/// Polls in a row before yielding to the runtime even if `work` keeps making progress.
const MAX_POLLS_PER_TURN: usize = 10_000;

/// Runs `work`, dispatching batched loads whenever it has nothing else to do.
pub async fn run_batched<F: Future>(work: F, batches: &impl Batches) -> F::Output {
    // Without tokio's cooperative budget, which would make resolvers yield midway through a page.
    let mut work = pin!(tokio::task::unconstrained(work));
    let mut in_flight: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
    let noting = Arc::new(NotingWaker {
        woken: AtomicBool::new(true),
        task: AtomicWaker::new(),
    });
    let waker = Waker::from(Arc::clone(&noting));
    poll_fn(|cx| {
        noting.task.register(cx.waker());
        for _ in 0..MAX_POLLS_PER_TURN {
            if noting.woken.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(output) = work.as_mut().poll(&mut Context::from_waker(&waker)) {
                    return Poll::Ready(output);
                }
                if noting.woken.load(Ordering::SeqCst) {
                    // It yielded or was woken meanwhile: some resolvers have not asked yet.
                    continue;
                }
            }
            // Every resolver is waiting: send what they asked for, in waves, so that keys that
            // become known while a wave runs join the next one instead of splitting it.
            if in_flight.is_empty() {
                in_flight.extend(batches.take_all());
            }
            let mut finished = false;
            while let Poll::Ready(Some(())) = in_flight.poll_next_unpin(cx) {
                finished = true;
            }
            if !finished && !noting.woken.load(Ordering::SeqCst) {
                // Waiting on the database; its answers wake this task.
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}
