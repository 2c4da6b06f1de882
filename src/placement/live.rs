//! One placement snapshot per cluster, kept current from Node and Pod changes, so that a
//! reconcile places on it instead of building one from every cached Pod. Building per round
//! was the operator's main cost while it replaced 1,000 of 10,000 tasks (every round read
//! all 10,000 Pods: 41% of its CPU, perf) and two rounds in flight held two copies (~7 MB of
//! its peak heap, heaptrack).
//!
//! The snapshot mirrors what the caches say; a round's own view differs only by its creates
//! the cache has not shown yet and the tasks it has just stopped. [`LiveClusters::with_overlay`]
//! applies those, runs the engine, and puts the mirror back (recomputing the touched
//! instances exactly, so nothing drifts).
//!
//! Pure: the Kubernetes side (Node → [`NodeFacts`], Pod → [`PodUse`]) is in `kube_adapter`,
//! the watch wiring in the controllers' cache.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::model::{ContainerInstance, ExistingTask, HostPort, Resources};
use super::snapshot::Snapshot;

/// What one non-terminal Pod bound to a node holds there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodUse {
    pub node: Arc<str>,
    pub reservation: Resources,
    pub host_ports: Vec<HostPort>,
    /// Set when the Pod counts as an ECS task (one of ours, not being deleted).
    pub task: Option<TaskTag>,
}

/// The group and family of a Pod that counts as a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskTag {
    pub group: Arc<str>,
    pub family: Option<Arc<str>>,
}

impl PodUse {
    /// The Pod as an existing task with id `key`, if it counts as one.
    pub fn task(&self, key: &Arc<str>) -> Option<ExistingTask> {
        let tag = self.task.as_ref()?;
        Some(ExistingTask {
            id: key.clone(),
            instance: self.node.clone(),
            group: tag.group.clone(),
            family: tag.family.clone(),
            reservation: self.reservation,
            host_ports: self.host_ports.clone(),
        })
    }
}

/// A Node that is a container instance of `cluster`, as its own object describes it: `base`
/// has `remaining` = `registered` and `ports_in_use` = the reserved ports, before any Pod.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeFacts {
    pub cluster: Arc<str>,
    pub base: ContainerInstance,
}

/// What the Pods bound to one node (container instance or not) hold there.
#[derive(Default)]
struct Usage {
    used: Resources,
    /// Host ports with the number of Pods binding each.
    ports: HashMap<HostPort, u32>,
    pods: HashSet<Arc<str>>,
}

/// Tasks removed from a snapshot stay as holes until this many (or as many as it holds).
const MIN_HOLES_BEFORE_COMPACTING: usize = 1024;

/// Every cluster's snapshot, with the Node and Pod facts it is derived from.
#[derive(Default)]
pub struct LiveClusters {
    nodes: HashMap<Arc<str>, NodeFacts>,
    pods: HashMap<Arc<str>, PodUse>,
    usage: HashMap<Arc<str>, Usage>,
    clusters: HashMap<Arc<str>, Snapshot>,
}

impl LiveClusters {
    /// Follows one Pod: `None` when it holds nothing (gone, unbound or terminal).
    pub fn set_pod(&mut self, key: &str, pod: Option<PodUse>) {
        let (key, old) = match self.pods.remove_entry(key) {
            Some((key, old)) => (key, Some(old)),
            None => (Arc::from(key), None),
        };
        // Status updates (most Pod events) change nothing placement reads.
        if old == pod {
            if let Some(old) = old {
                self.pods.insert(key, old);
            }
            return;
        }
        let mut touched = Vec::with_capacity(2);
        if let Some(old) = old {
            self.release(&key, &old);
            touched.push(old.node.clone());
        }
        if let Some(pod) = pod {
            self.occupy(&key, &pod);
            touched.push(pod.node.clone());
            self.pods.insert(key, pod);
        }
        for node in touched {
            self.refresh(&node);
        }
        self.compact_where(|_| true);
    }

    /// Follows one Node: `None` when it is gone or not a container instance.
    pub fn set_node(&mut self, name: Arc<str>, facts: Option<NodeFacts>) {
        let old = self.nodes.remove(&name);
        match (old, facts) {
            (Some(old), Some(new)) if old.cluster == new.cluster => {
                // Heartbeats change nothing placement reads: most updates stop here.
                if old != new {
                    if let Some(info) = self
                        .clusters
                        .get_mut(&new.cluster)
                        .and_then(|s| s.instance_mut(&name))
                    {
                        *info = new.base.clone();
                    }
                    self.nodes.insert(name.clone(), new);
                    self.refresh(&name);
                } else {
                    self.nodes.insert(name, new);
                }
            }
            (old, new) => {
                let clusters: Vec<Arc<str>> = old
                    .iter()
                    .chain(new.iter())
                    .map(|f| f.cluster.clone())
                    .collect();
                if let Some(new) = new {
                    self.nodes.insert(name, new);
                }
                for cluster in clusters {
                    self.rebuild(&cluster);
                }
            }
        }
    }

    /// Replaces every Pod (the watch listed them again).
    pub fn replace_pods(&mut self, pods: impl IntoIterator<Item = (Arc<str>, PodUse)>) {
        self.pods.clear();
        self.usage.clear();
        for (key, pod) in pods {
            self.add_usage(&key, &pod);
            self.pods.insert(key, pod);
        }
        self.rebuild_all();
    }

    /// Replaces every Node (the watch listed them again).
    pub fn replace_nodes(&mut self, nodes: impl IntoIterator<Item = (Arc<str>, NodeFacts)>) {
        self.nodes = nodes.into_iter().collect();
        self.rebuild_all();
    }

    /// The snapshot of `cluster` as the caches show it.
    pub fn snapshot(&self, cluster: &str) -> Option<&Snapshot> {
        self.clusters.get(cluster)
    }

    /// Runs `f` on the snapshot of `cluster` with `unseen` added (a round's creates the
    /// caches have not shown; ones they do show are skipped) and the tasks `without` removed
    /// (its stops, whose resources are free for its starts), then restores the mirror.
    pub fn with_overlay<R>(
        &mut self,
        cluster: &str,
        unseen: impl IntoIterator<Item = ExistingTask>,
        without: &[Arc<str>],
        f: impl FnOnce(&Snapshot) -> R,
    ) -> R {
        let Self {
            pods,
            clusters,
            nodes,
            usage,
        } = self;
        let Some(snapshot) = clusters.get_mut(cluster) else {
            return f(&Snapshot::default());
        };
        let mut added = Vec::new();
        for task in unseen {
            let id = task.id.clone();
            if !pods.contains_key(&id) && snapshot.add_task(task) {
                added.push(id);
            }
        }
        let mut removed = Vec::new();
        for id in without {
            if let Some(task) = snapshot.remove_task(id) {
                removed.push(task);
            }
        }
        let out = f(snapshot);

        // Back to the mirror: stopped tasks return first, so one both added and removed
        // ends up absent, as the mirror has it.
        let mut touched: HashSet<Arc<str>> = HashSet::new();
        for task in removed {
            touched.insert(task.instance.clone());
            if pods.get(&task.id).is_some_and(|p| p.task.is_some()) {
                snapshot.insert_task(task);
            }
        }
        for id in added {
            if let Some(task) = snapshot.remove_task(&id) {
                touched.insert(task.instance);
            }
        }
        for node in touched {
            refresh_instance(snapshot, nodes, usage, &node);
        }
        self.compact_where(|c| &**c == cluster);
        out
    }

    fn add_usage(&mut self, key: &Arc<str>, pod: &PodUse) {
        let usage = self.usage.entry(pod.node.clone()).or_default();
        usage.used = usage.used.saturating_add(&pod.reservation);
        for port in &pod.host_ports {
            *usage.ports.entry(*port).or_default() += 1;
        }
        usage.pods.insert(key.clone());
    }

    fn occupy(&mut self, key: &Arc<str>, pod: &PodUse) {
        self.add_usage(key, pod);
        if let Some(snapshot) = self.cluster_of_mut(&pod.node)
            && let Some(task) = pod.task(key)
        {
            snapshot.insert_task(task);
        }
    }

    fn release(&mut self, key: &Arc<str>, pod: &PodUse) {
        if let Some(usage) = self.usage.get_mut(&pod.node) {
            // Exact: `used` is a sum of these reservations (no term ever saturates it).
            usage.used = usage.used.saturating_sub(&pod.reservation);
            for port in &pod.host_ports {
                if let Some(n) = usage.ports.get_mut(port) {
                    *n -= 1;
                    if *n == 0 {
                        usage.ports.remove(port);
                    }
                }
            }
            usage.pods.remove(key);
            if usage.pods.is_empty() {
                self.usage.remove(&pod.node);
            }
        }
        if pod.task.is_some()
            && let Some(snapshot) = self.cluster_of_mut(&pod.node)
        {
            snapshot.remove_task(key);
        }
    }

    fn cluster_of_mut(&mut self, node: &str) -> Option<&mut Snapshot> {
        let cluster = &self.nodes.get(node)?.cluster;
        self.clusters.get_mut(cluster)
    }

    /// Sets the instance's `remaining` and `ports_in_use` from its Node and Pods.
    fn refresh(&mut self, node: &str) {
        let Some(facts) = self.nodes.get(node) else {
            return;
        };
        if let Some(snapshot) = self.clusters.get_mut(&facts.cluster) {
            refresh_instance(snapshot, &self.nodes, &self.usage, node);
        }
    }

    /// Rebuilds `cluster`'s snapshot from the facts (its instances changed).
    fn rebuild(&mut self, cluster: &Arc<str>) {
        let instances: Vec<ContainerInstance> = self
            .nodes
            .iter()
            .filter(|(_, f)| f.cluster == *cluster)
            .map(|(name, f)| with_usage(&f.base, self.usage.get(name)))
            .collect();
        if instances.is_empty() {
            self.clusters.remove(cluster);
            return;
        }
        let mut tasks: Vec<ExistingTask> = instances
            .iter()
            .filter_map(|i| self.usage.get(i.id.as_str()))
            .flat_map(|u| u.pods.iter())
            .filter_map(|key| self.pods.get(key)?.task(key))
            .collect();
        // Reproducible order (HashMap iteration is not).
        tasks.sort_by(|a, b| a.id.cmp(&b.id));
        let mut instances = instances;
        instances.sort_by(|a, b| a.id.cmp(&b.id));
        self.clusters
            .insert(cluster.clone(), Snapshot::new(instances, tasks));
    }

    fn rebuild_all(&mut self) {
        let clusters: HashSet<Arc<str>> = self.nodes.values().map(|f| f.cluster.clone()).collect();
        self.clusters.retain(|c, _| clusters.contains(c));
        for cluster in clusters {
            self.rebuild(&cluster);
        }
    }

    /// Rebuilds the snapshots (of the clusters `which` selects) whose removed-task holes
    /// outnumber their tasks: positions stay valid between rebuilds, memory stays bounded.
    fn compact_where(&mut self, which: impl Fn(&Arc<str>) -> bool) {
        let sparse: Vec<Arc<str>> = self
            .clusters
            .iter()
            .filter(|(c, _)| which(c))
            .filter(|(_, s)| {
                let holes = s.removed_slots();
                holes > MIN_HOLES_BEFORE_COMPACTING && holes > s.task_count()
            })
            .map(|(c, _)| c.clone())
            .collect();
        for cluster in sparse {
            self.rebuild(&cluster);
        }
    }
}

/// `base` with what the node's Pods hold subtracted.
fn with_usage(base: &ContainerInstance, usage: Option<&Usage>) -> ContainerInstance {
    let mut info = base.clone();
    set_usage(&mut info, base, usage);
    info
}

/// Sets the instance's `remaining` and `ports_in_use` from its Node and Pods (in place: a Pod
/// event should not copy the instance's attributes).
fn refresh_instance(
    snapshot: &mut Snapshot,
    nodes: &HashMap<Arc<str>, NodeFacts>,
    usage: &HashMap<Arc<str>, Usage>,
    node: &str,
) {
    if let (Some(facts), Some(info)) = (nodes.get(node), snapshot.instance_mut(node)) {
        set_usage(info, &facts.base, usage.get(node));
    }
}

fn set_usage(info: &mut ContainerInstance, base: &ContainerInstance, usage: Option<&Usage>) {
    info.remaining = base
        .registered
        .saturating_sub(&usage.map(|u| u.used).unwrap_or_default());
    let pod_ports = usage.map_or(0, |u| u.ports.len());
    if pod_ports > 0 || info.ports_in_use != base.ports_in_use {
        info.ports_in_use.clone_from(&base.ports_in_use);
        for port in usage.iter().flat_map(|u| u.ports.keys()) {
            info.ports_in_use.insert(*port);
        }
    }
}

#[cfg(test)]
mod tests;
