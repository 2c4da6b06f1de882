//! Feeds the Pod and Node watches into the live placement snapshots (`placement::live`),
//! with the reflector's relist semantics: a relist is collected on the side and replaces
//! the old state when complete, so objects deleted while the watch was down leave too.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::slim_node::SlimNode;
use kube::ResourceExt;
use kube::runtime::watcher;

use crate::placement::kube_adapter::{AdapterOptions, node_facts, pod_key, pod_use};
use crate::placement::live::{LiveClusters, NodeFacts, PodUse};
use crate::placement::{ExistingTask, Snapshot};
use crate::slim_pod::SlimPod;

/// A relist in progress: what it has listed so far.
type Relisting<T> = Mutex<Option<Vec<(Arc<str>, T)>>>;

#[derive(Default)]
pub struct LiveFeed {
    live: Mutex<LiveClusters>,
    relisting_pods: Relisting<PodUse>,
    relisting_nodes: Relisting<NodeFacts>,
    options: AdapterOptions,
}

impl LiveFeed {
    /// Follows one Pod watch event (after the store has applied it).
    pub fn pod_event(&self, event: &watcher::Event<SlimPod>) {
        match event {
            watcher::Event::Apply(pod) => self.live().set_pod(&pod_key(pod), pod_use(pod)),
            watcher::Event::Delete(pod) => self.live().set_pod(&pod_key(pod), None),
            watcher::Event::Init => *lock(&self.relisting_pods) = Some(Vec::new()),
            watcher::Event::InitApply(pod) => {
                if let (Some(list), Some(used)) =
                    (lock(&self.relisting_pods).as_mut(), pod_use(pod))
                {
                    list.push((pod_key(pod).into(), used));
                }
            }
            watcher::Event::InitDone => {
                if let Some(list) = lock(&self.relisting_pods).take() {
                    self.live().replace_pods(list);
                }
            }
        }
    }

    /// Follows one Node watch event (the watch selects container instances by label).
    pub fn node_event(&self, event: &watcher::Event<SlimNode>) {
        match event {
            watcher::Event::Apply(node) => {
                let facts = node_facts(node, &self.options);
                self.live().set_node(node.name_any().into(), facts);
            }
            watcher::Event::Delete(node) => self.live().set_node(node.name_any().into(), None),
            watcher::Event::Init => *lock(&self.relisting_nodes) = Some(Vec::new()),
            watcher::Event::InitApply(node) => {
                if let (Some(list), Some(facts)) = (
                    lock(&self.relisting_nodes).as_mut(),
                    node_facts(node, &self.options),
                ) {
                    list.push((node.name_any().into(), facts));
                }
            }
            watcher::Event::InitDone => {
                if let Some(list) = lock(&self.relisting_nodes).take() {
                    self.live().replace_nodes(list);
                }
            }
        }
    }

    /// Runs `f` on the cluster's snapshot with a round's unseen creates added and its stops
    /// removed (see `LiveClusters::with_overlay`). Holds the lock while `f` runs: keep it to
    /// the engine call.
    pub fn with_overlay<R>(
        &self,
        cluster: &str,
        unseen: impl IntoIterator<Item = ExistingTask>,
        without: &[Arc<str>],
        f: impl FnOnce(&Snapshot) -> R,
    ) -> R {
        self.live().with_overlay(cluster, unseen, without, f)
    }

    fn live(&self) -> MutexGuard<'_, LiveClusters> {
        lock(&self.live)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
