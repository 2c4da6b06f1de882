//! The operator's caches: one watch per resource type, shared by every controller, with a
//! reflector store for reads (Pods: `PodCache`, with an index by owner), and a fan-out of
//! every changed object to each subscribed controller.

mod fanout;
mod live_feed;
mod pod_cache;

use futures::{Stream, StreamExt, future};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use std::sync::Arc;

pub use live_feed::LiveFeed;
pub use pod_cache::PodCache;
pub(crate) use pod_cache::PodWatch;

use super::backoff;
use fanout::Fanout;

/// One watch, shared by every controller: a reflector store, state that follows it, and the
/// controllers' triggers (see `Fanout`).
pub(crate) struct SharedWatch<K: Resource<DynamicType = ()> + Clone + 'static> {
    pub store: Store<K>,
    writer: Option<reflector::store::Writer<K>>,
    fanout: Fanout<K>,
    /// Derived state kept beside the store, updated from the same events (after the store).
    followers: Vec<Follower<K>>,
}

pub(crate) type Follower<K> = Box<dyn Fn(&watcher::Event<K>) + Send + Sync>;

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
            fanout: Fanout::default(),
            followers: Vec::new(),
        }
    }

    /// Calls `f` with every watch event, after the store has applied it.
    pub fn follow(&mut self, f: impl Fn(&watcher::Event<K>) + Send + Sync + 'static) {
        self.followers.push(Box::new(f));
    }

    /// A trigger stream for one controller (see `Fanout`).
    pub fn subscribe(
        &mut self,
        controller: &'static str,
    ) -> impl Stream<Item = Arc<K>> + Send + 'static {
        self.fanout.subscribe(controller)
    }

    /// Spawns the watch; `trim` runs on every object before it is cached (memory).
    pub fn spawn(&mut self, api: Api<K>, config: watcher::Config, trim: fn(&mut K)) {
        let writer = self.writer.take().expect("spawned once");
        let fanout = std::mem::take(&mut self.fanout);
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
                            fanout.send(Arc::new(obj));
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
