//! The Pod cache: every Pod in the cluster as one shared `SlimPod`, by `namespace/name`, with
//! an index by controller owner so that a reconcile finds its service's Pods without scanning
//! every Pod (a scan per reconcile made a scale-up of N tasks cost O(N²)).
//!
//! kube's reflector `Store` would copy each object it is given (a second `SlimPod` per Pod
//! beside the one sent to the controllers) and key it by an `ObjectRef` of four strings; with
//! the owner index beside it, each Pod had three keys. Here one `Arc<str>` key serves both
//! maps and the cached `Arc<SlimPod>` is the one the controllers are sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use futures::{Stream, StreamExt, future};
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::watch;

use super::backoff;
use super::fanout::Fanout;
use crate::slim_pod::SlimPod;

/// `namespace/name`.
fn key_of(pod: &SlimPod) -> String {
    let meta = &pod.metadata;
    format!(
        "{}/{}",
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default()
    )
}

fn controller_uid(pod: &SlimPod) -> Option<&str> {
    pod.metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map(|o| o.uid.as_str())
}

#[derive(Default)]
struct State {
    pods: HashMap<Arc<str>, Arc<SlimPod>>,
    /// Controller-owner UID → the Pods it controls, by key. The Pods themselves, not their
    /// keys: a service reconcile reads all of its Pods, and looking each key up again in
    /// `pods` was a tenth of that reconcile's CPU while kwok marked 1,000 Pods Running (perf).
    by_owner: HashMap<Arc<str>, HashMap<Arc<str>, Arc<SlimPod>>>,
}

impl State {
    fn insert(&mut self, pod: Arc<SlimPod>) {
        let key = key_of(&pod);
        let (key, old) = match self.pods.remove_entry(key.as_str()) {
            Some((key, old)) => (key, Some(old)),
            None => (Arc::from(key), None),
        };
        let old_owner = old.as_deref().and_then(controller_uid);
        let new_owner = controller_uid(&pod);
        if old_owner != new_owner
            && let Some(owner) = old_owner
        {
            self.unindex(owner, &key);
        }
        if let Some(owner) = new_owner {
            let owned = match self.by_owner.get_mut(owner) {
                Some(owned) => owned,
                None => self
                    .by_owner
                    .entry(crate::interned::intern(owner))
                    .or_default(),
            };
            owned.insert(key.clone(), pod.clone());
        }
        self.pods.insert(key, pod);
    }

    fn remove(&mut self, key: &str) {
        if let Some((key, old)) = self.pods.remove_entry(key)
            && let Some(owner) = controller_uid(&old)
        {
            self.unindex(owner, &key);
        }
    }

    fn unindex(&mut self, owner: &str, key: &str) {
        if let Some(owned) = self.by_owner.get_mut(owner) {
            owned.remove(key);
            if owned.is_empty() {
                self.by_owner.remove(owner);
            }
        }
    }
}

/// Read side of the Pod watch, shared by every controller.
pub struct PodCache {
    state: RwLock<State>,
    /// A relist in progress: it replaces `state` when complete, so Pods deleted while the
    /// watch was down leave the cache too.
    relisting: Mutex<Option<State>>,
    ready: watch::Sender<bool>,
}

impl PodCache {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            state: RwLock::default(),
            relisting: Mutex::default(),
            ready: watch::Sender::new(false),
        })
    }

    /// Follows one watch event; returns the cached Pod to forward to the controllers.
    fn apply(&self, event: watcher::Event<SlimPod>) -> Option<Arc<SlimPod>> {
        match event {
            watcher::Event::Apply(pod) => {
                let pod = Arc::new(pod);
                self.write().insert(pod.clone());
                Some(pod)
            }
            watcher::Event::Delete(pod) => {
                self.write().remove(&key_of(&pod));
                Some(Arc::new(pod))
            }
            watcher::Event::Init => {
                *self.relisting() = Some(State::default());
                None
            }
            watcher::Event::InitApply(pod) => {
                let pod = Arc::new(pod);
                if let Some(state) = self.relisting().as_mut() {
                    state.insert(pod.clone());
                }
                Some(pod)
            }
            watcher::Event::InitDone => {
                if let Some(state) = self.relisting().take() {
                    *self.write() = state;
                }
                self.ready.send_replace(true);
                None
            }
        }
    }

    /// Resolves once the first list is complete; an error when the watch stopped before.
    pub async fn wait_until_ready(&self) -> Result<(), watch::error::RecvError> {
        self.ready
            .subscribe()
            .wait_for(|ready| *ready)
            .await
            .map(|_| ())
    }

    pub fn contains(&self, namespace: &str, name: &str) -> bool {
        self.read()
            .pods
            .contains_key(format!("{namespace}/{name}").as_str())
    }

    pub fn len(&self) -> usize {
        self.read().pods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every cached Pod.
    pub fn state(&self) -> Vec<Arc<SlimPod>> {
        self.read().pods.values().cloned().collect()
    }

    /// The cached Pods in `namespace` controlled by the owner with `uid`.
    pub fn owned(&self, namespace: &str, uid: &str) -> Vec<Arc<SlimPod>> {
        let state = self.read();
        let Some(owned) = state.by_owner.get(uid) else {
            return Vec::new();
        };
        owned
            .values()
            .filter(|p| p.metadata.namespace.as_deref() == Some(namespace))
            .cloned()
            .collect()
    }

    /// How many cached Pods the owner with `uid` controls (O(1)).
    pub fn count(&self, uid: &str) -> usize {
        self.read().by_owner.get(uid).map_or(0, HashMap::len)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    fn relisting(&self) -> std::sync::MutexGuard<'_, Option<State>> {
        self.relisting.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The one Pod watch: the cache, derived state that follows it, and the controllers' triggers.
pub(crate) struct PodWatch {
    pub cache: Arc<PodCache>,
    fanout: Fanout<SlimPod>,
    followers: Vec<super::Follower<SlimPod>>,
}

impl PodWatch {
    pub fn new() -> Self {
        Self {
            cache: PodCache::new(),
            fanout: Fanout::default(),
            followers: Vec::new(),
        }
    }

    /// A trigger stream for one controller (see `Fanout`).
    pub fn subscribe(
        &mut self,
        controller: &'static str,
    ) -> impl Stream<Item = Arc<SlimPod>> + Send + 'static {
        self.fanout.subscribe(controller)
    }

    /// Calls `f` with every watch event, before the cache applies it.
    pub fn follow(&mut self, f: impl Fn(&watcher::Event<SlimPod>) + Send + Sync + 'static) {
        self.followers.push(Box::new(f));
    }

    /// Spawns the watch (every Pod: placement subtracts everyone's requests).
    pub fn spawn(&mut self, api: Api<SlimPod>, config: watcher::Config) {
        let cache = self.cache.clone();
        let fanout = std::mem::take(&mut self.fanout);
        let followers = std::mem::take(&mut self.followers);
        let stream = watcher(api, config)
            .backoff(backoff::WatchBackoff::default())
            .for_each(move |event| {
                match event {
                    Ok(event) => {
                        for follow in &followers {
                            follow(&event);
                        }
                        if let Some(pod) = cache.apply(event) {
                            fanout.send(pod);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, kind = "Pod", "watch error (retrying with backoff)")
                    }
                }
                future::ready(())
            });
        tokio::spawn(stream);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, owner: Option<&str>) -> SlimPod {
        let owners = owner.map(|uid| {
            json!([{"apiVersion": "v1", "kind": "X", "name": "o", "uid": uid, "controller": true}])
        });
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "ns", "ownerReferences": owners}
        }))
        .unwrap()
    }

    fn follow(events: Vec<watcher::Event<SlimPod>>) -> Arc<PodCache> {
        let cache = PodCache::new();
        for e in events {
            cache.apply(e);
        }
        cache
    }

    fn names(pods: Vec<Arc<SlimPod>>) -> Vec<String> {
        let mut n: Vec<String> = pods
            .iter()
            .map(|p| p.metadata.name.clone().unwrap())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn finds_only_the_owners_pods() {
        use watcher::Event::Apply;
        let cache = follow(vec![
            Apply(pod("a", Some("u1"))),
            Apply(pod("b", Some("u2"))),
            Apply(pod("c", Some("u1"))),
            Apply(pod("d", None)),
        ]);
        assert_eq!(names(cache.owned("ns", "u1")), ["a", "c"]);
        assert_eq!(names(cache.owned("ns", "u2")), ["b"]);
        assert!(cache.owned("other", "u1").is_empty());
        assert_eq!((cache.count("u1"), cache.len()), (2, 4));
        assert!(cache.contains("ns", "d") && !cache.contains("ns", "e"));
    }

    #[test]
    fn follows_deletes_and_orphaning() {
        use watcher::Event::{Apply, Delete};
        let cache = follow(vec![
            Apply(pod("a", Some("u1"))),
            Apply(pod("b", Some("u1"))),
            Delete(pod("a", Some("u1"))),
            Apply(pod("b", None)),
        ]);
        assert!(cache.owned("ns", "u1").is_empty());
        assert_eq!(cache.count("u1"), 0);
        assert_eq!(names(cache.state()), ["b"]);
    }

    #[test]
    fn an_owners_pods_are_their_latest_versions() {
        use watcher::Event::Apply;
        let mut moved = pod("a", Some("u2"));
        moved.metadata.resource_version = Some("2".into());
        let mut updated = pod("b", Some("u1"));
        updated.metadata.resource_version = Some("2".into());
        let cache = follow(vec![
            Apply(pod("a", Some("u1"))),
            Apply(pod("b", Some("u1"))),
            Apply(moved),
            Apply(updated),
        ]);
        let version = |pods: Vec<Arc<SlimPod>>| -> Vec<Option<String>> {
            pods.iter()
                .map(|p| p.metadata.resource_version.clone())
                .collect()
        };
        assert_eq!(version(cache.owned("ns", "u1")), [Some("2".to_string())]);
        assert_eq!(version(cache.owned("ns", "u2")), [Some("2".to_string())]);
        assert_eq!((cache.count("u1"), cache.count("u2")), (1, 1));
    }

    #[test]
    fn a_relist_drops_pods_deleted_while_the_watch_was_down() {
        use watcher::Event::{Apply, Init, InitApply, InitDone};
        let cache = follow(vec![
            Apply(pod("a", Some("u1"))),
            Apply(pod("b", Some("u1"))),
            Init,
            InitApply(pod("b", Some("u1"))),
            InitApply(pod("c", Some("u1"))),
        ]);
        assert_eq!(names(cache.state()), ["a", "b"], "the old state until done");
        cache.apply(InitDone);
        assert_eq!(names(cache.owned("ns", "u1")), ["b", "c"]);
        assert_eq!(names(cache.state()), ["b", "c"]);
    }

    #[tokio::test]
    async fn ready_after_the_first_list() {
        let cache = PodCache::new();
        let waiting = tokio::spawn({
            let cache = cache.clone();
            async move { cache.wait_until_ready().await }
        });
        cache.apply(watcher::Event::Init);
        assert!(!waiting.is_finished());
        cache.apply(watcher::Event::InitDone);
        assert!(waiting.await.unwrap().is_ok());
    }
}
