//! The operator's caches: one watch per resource type, shared by every controller, with a
//! reflector store for reads, an owner index for Pods, and a fan-out of every changed
//! object to each subscribed controller.

mod live_feed;
mod owner_index;

use futures::{Stream, StreamExt, future};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use tokio::sync::mpsc;

pub use live_feed::LiveFeed;
pub use owner_index::OwnerIndex;

use super::backoff;
use crate::operations::metrics::QueueDepth;

/// One watch, shared by every controller.
///
/// kube's own shared streams (`reflect_shared` + `ReflectHandle`) stall a subscriber when
/// an object is deleted before the subscriber reads its event (the handle then returns
/// Pending without a wake-up) and, once its buffer is full, the whole watch. This fan-out
/// forwards the objects themselves, deleted ones included, over unbounded channels — one
/// `Arc` per event shared by every subscriber, not a copy each.
pub(crate) struct SharedWatch<K: Resource<DynamicType = ()> + Clone + 'static> {
    pub store: Store<K>,
    writer: Option<reflector::store::Writer<K>>,
    subscribers: Vec<(mpsc::UnboundedSender<Arc<K>>, QueueDepth)>,
    /// Derived state kept beside the store, updated from the same events (after the store).
    followers: Vec<Follower<K>>,
}

type Follower<K> = Box<dyn Fn(&watcher::Event<K>) + Send + Sync>;

impl<K> SharedWatch<K>
where
    K: Resource<DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    pub fn new() -> Self {
        let (store, writer) = reflector::store();
        Self {
            store,
            writer: Some(writer),
            subscribers: Vec::new(),
            followers: Vec::new(),
        }
    }

    /// Keeps an index of the objects by their controller owner (see [`OwnerIndex`]).
    pub fn indexed_by_owner(&mut self) -> Arc<OwnerIndex<K>> {
        let index = OwnerIndex::new(self.store.clone());
        let follower = index.clone();
        self.follow(move |event| follower.apply(event));
        index
    }

    /// Calls `f` with every watch event, after the store has applied it.
    pub fn follow(&mut self, f: impl Fn(&watcher::Event<K>) + Send + Sync + 'static) {
        self.followers.push(Box::new(f));
    }

    /// A trigger stream for one controller. Objects forwarded and not yet taken count in
    /// the controller's `ecs_operator_workqueue_depth`.
    pub fn subscribe(
        &mut self,
        controller: &'static str,
    ) -> impl Stream<Item = Arc<K>> + Send + 'static {
        let (tx, rx) = mpsc::unbounded_channel();
        let depth = QueueDepth::of(controller);
        self.subscribers.push((tx, depth.clone()));
        futures::stream::unfold((rx, depth), |(mut rx, depth)| async move {
            let obj = rx.recv().await?;
            depth.taken();
            Some((obj, (rx, depth)))
        })
    }

    /// Spawns the watch; `trim` runs on every object before it is cached (memory).
    pub fn spawn(&mut self, api: Api<K>, config: watcher::Config, trim: fn(&mut K)) {
        let writer = self.writer.take().expect("spawned once");
        let subscribers = std::mem::take(&mut self.subscribers);
        let followers = std::mem::take(&mut self.followers);
        let stream = watcher(api, config)
            .backoff(backoff::WatchBackoff::default())
            .modify(move |o| {
                o.meta_mut().managed_fields = None;
                trim(o);
            })
            .reflect(writer)
            .for_each(move |event| {
                match event {
                    Ok(event) => {
                        for follow in &followers {
                            follow(&event);
                        }
                        if let watcher::Event::Apply(obj)
                        | watcher::Event::InitApply(obj)
                        | watcher::Event::Delete(obj) = event
                        {
                            let obj = Arc::new(obj);
                            for (tx, depth) in &subscribers {
                                if tx.send(obj.clone()).is_ok() {
                                    depth.pushed();
                                }
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, kind = %K::kind(&()), "watch error (retrying with backoff)")
                    }
                }
                future::ready(())
            });
        tokio::spawn(stream);
    }
}

/// For watches whose objects are cached whole.
pub fn keep_all<K>(_: &mut K) {}
