//! An independent watcher of one test namespace: its EcsServices, their task Pods and the
//! cluster's Nodes, checked at every event against ECS's rules (ecs-semantics.md §3.3, §2.3,
//! §6.2). It reads the objects only; the operator's bookkeeping is what it checks, never what
//! it trusts.
//!
//! - live tasks of a service ≤ floor(D × max% / 100), D and max% the largest of the last
//!   `WINDOW` (a scale-down needs a moment to act on);
//! - a service task stopped while healthy (RUNNING for the settle time, as ECS counts a task
//!   without health checks, §3.3) leaves ≥ ceil(D × min% / 100) RUNNING ones, D the smallest
//!   of the last `WINDOW` — unless its instance was disturbed by the test (`exempt`: a lost
//!   instance's tasks are gone whatever the operator does, "while capacity allows");
//! - no two live tasks of a `distinctInstance` service on one instance;
//! - a new task is never placed on an instance that was DRAINING (cordoned or labeled) or
//!   outside its `memberOf` expression (`constrain`) or outside the cluster, for longer than
//!   `GRACE` before the task was created (the operator's cache may lag that much).
//!
//! Live = not being deleted and not terminal; RUNNING = live, phase Running and every
//! container running. Not the Pod's Ready condition: the workload has no health checks, so
//! ECS health is time RUNNING; and when a node misses its heartbeats (kube-apiserver or etcd
//! down long enough) the node lifecycle controller sets Ready=False on every Pod of the node —
//! ECS's "agent disconnected", which keeps the tasks' last known health (§4.5) — and kwok,
//! unlike a kubelet, never sets it back. Counting Ready tasks then flagged the operator's
//! correct stops (the long-mode plane run: `db: … leaving 1 healthy < minimum 2`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures::{StreamExt, stream::BoxStream};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DynamicObject};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};

const WINDOW: Duration = Duration::from_secs(30);
const GRACE_SECONDS: i64 = 3;
const SETTLE_SECONDS: i64 = 3;
const SERVICE_LABEL: &str = "ecs.operator.dev/service";
const CLUSTER_LABEL: &str = "ecs.operator.dev/cluster";

/// A predicate over a node's labels: where a service's tasks may go.
pub type Allowed = Arc<dyn Fn(&BTreeMap<String, String>) -> bool + Send + Sync>;

/// What the watcher saw.
#[derive(Clone, Debug, Default)]
pub struct Record {
    pub events: usize,
    /// New task Pods whose placement was checked.
    pub placements_checked: usize,
    /// Healthy tasks that stopped (checked against the minimum).
    pub healthy_stops_checked: usize,
    pub max_live: BTreeMap<String, usize>,
    /// Every violation (the first 200 kept verbatim).
    pub violation_count: usize,
    pub violations: Vec<String>,
    pub relists: usize,
}

#[derive(Default)]
struct ServiceView {
    /// (when, desired, min%, max%) — the settings seen, newest last.
    history: Vec<(Instant, usize, usize, usize)>,
    distinct: bool,
    daemon: bool,
    gone: bool,
}

impl ServiceView {
    fn recent(&self) -> impl Iterator<Item = &(Instant, usize, usize, usize)> {
        let last = self.history.len().saturating_sub(1);
        self.history
            .iter()
            .enumerate()
            .filter(move |(i, h)| *i == last || h.0.elapsed() < WINDOW)
            .map(|(_, h)| h)
    }
    fn max_live(&self) -> usize {
        self.recent().map(|h| h.1 * h.3 / 100).max().unwrap_or(0)
    }
    fn min_healthy(&self) -> usize {
        self.recent()
            .map(|h| (h.1 * h.2).div_ceil(100))
            .min()
            .unwrap_or(0)
    }
}

struct NodeView {
    labels: BTreeMap<String, String>,
    /// Unix seconds since when the node is DRAINING (cordoned or labeled), as first seen.
    draining_since: Option<i64>,
    labels_since: i64,
}

#[derive(Default)]
struct State {
    record: Record,
    services: BTreeMap<String, ServiceView>,
    pods: BTreeMap<String, Pod>,
    nodes: BTreeMap<String, NodeView>,
    /// Nodes deleted while watched: unix seconds of the deletion.
    deleted_nodes: BTreeMap<String, i64>,
    exempt: HashSet<String>,
    allowed: HashMap<String, Allowed>,
    reported: HashSet<String>,
    ready: bool,
    cluster: String,
}

// One event at a time, matched as soon as it arrives: boxing would save nothing.
#[allow(clippy::large_enum_variant)]
enum Ev {
    Service(watcher::Event<DynamicObject>),
    Pod(watcher::Event<Pod>),
    Node(watcher::Event<Node>),
}

pub struct Watch {
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn is_live(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none()
        && !matches!(
            p.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        )
}

/// ECS RUNNING: live, phase Running, every container running.
fn is_running(p: &Pod) -> bool {
    is_live(p)
        && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
        && running_for(p).is_some()
}

/// Healthy as ECS counts a task without health checks: RUNNING for the settle time.
fn is_healthy(p: &Pod) -> bool {
    is_running(p) && running_for(p).is_some_and(|s| s >= SETTLE_SECONDS)
}

/// Seconds every container has been running (since the latest start), if all are.
fn running_for(p: &Pod) -> Option<i64> {
    let statuses = p.status.as_ref()?.container_statuses.as_ref()?;
    if statuses.is_empty() {
        return None;
    }
    let mut latest = i64::MIN;
    for s in statuses {
        let started = s.state.as_ref()?.running.as_ref()?.started_at.as_ref()?;
        latest = latest.max(started.0.as_second());
    }
    Some(now_secs() - latest)
}

fn node_of(p: &Pod) -> Option<String> {
    p.spec.as_ref().and_then(|s| s.node_name.clone())
}

fn service_of(p: &Pod) -> Option<String> {
    p.labels().get(SERVICE_LABEL).cloned()
}

fn is_draining(n: &Node) -> bool {
    n.spec.as_ref().and_then(|s| s.unschedulable) == Some(true)
        || n.labels()
            .get("ecs.operator.dev/instance-status")
            .map(String::as_str)
            == Some("DRAINING")
}

impl State {
    fn violation(&mut self, key: String, message: String) {
        if !self.reported.insert(key) {
            return;
        }
        self.record.violation_count += 1;
        if self.record.violations.len() < 200 {
            self.record.violations.push(message);
        }
    }

    fn service(&mut self, obj: &DynamicObject) {
        let name = obj.name_any();
        let spec = &obj.data["spec"];
        let config = &spec["deploymentConfiguration"];
        let daemon = spec["schedulingStrategy"] == "DAEMON";
        let desired = spec["desiredCount"].as_u64().unwrap_or(0) as usize;
        let min = config["minimumHealthyPercent"]
            .as_u64()
            .unwrap_or(if daemon { 0 } else { 100 }) as usize;
        let max = config["maximumPercent"]
            .as_u64()
            .unwrap_or(if daemon { 100 } else { 200 }) as usize;
        let distinct = spec["placementConstraints"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["type"] == "distinctInstance"));
        let view = self.services.entry(name).or_default();
        if view.history.last().map(|h| (h.1, h.2, h.3)) != Some((desired, min, max)) {
            view.history.push((Instant::now(), desired, min, max));
        }
        view.distinct = distinct;
        view.daemon = daemon;
        view.gone = obj.metadata.deletion_timestamp.is_some();
    }

    fn node(&mut self, n: &Node) {
        let labels: BTreeMap<String, String> = n.labels().clone();
        let now = now_secs();
        let draining = is_draining(n);
        let entry = self.nodes.entry(n.name_any()).or_insert(NodeView {
            labels: labels.clone(),
            draining_since: None,
            labels_since: now,
        });
        if entry.labels != labels {
            entry.labels = labels;
            entry.labels_since = now;
        }
        entry.draining_since = match (draining, entry.draining_since) {
            (true, Some(t)) => Some(t),
            (true, None) => Some(now),
            (false, _) => None,
        };
    }

    /// A pod seen for the first time since the watch began: check where it was placed.
    fn placed(&mut self, p: &Pod) {
        let (Some(service), Some(node)) = (service_of(p), node_of(p)) else {
            return;
        };
        self.record.placements_checked += 1;
        let pod = p.name_any();
        let created = p
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_second())
            .unwrap_or_else(now_secs);
        let Some((labels, draining_since, labels_since)) = self
            .nodes
            .get(&node)
            .map(|v| (v.labels.clone(), v.draining_since, v.labels_since))
        else {
            // Deleted just before: the operator's cache may not have shown it yet.
            if self
                .deleted_nodes
                .get(&node)
                .is_some_and(|gone| created < gone + GRACE_SECONDS)
            {
                return;
            }
            self.violation(
                format!("outside/{pod}"),
                format!(
                    "task {pod} of {service} placed on {node}, not an instance of cluster {}",
                    self.cluster
                ),
            );
            return;
        };
        if labels.get(CLUSTER_LABEL) != Some(&self.cluster) {
            self.violation(
                format!("outside/{pod}"),
                format!("task {pod} of {service} placed on {node} of another cluster"),
            );
        }
        if let Some(since) = draining_since
            && created >= since + GRACE_SECONDS
        {
            self.violation(
                format!("draining/{pod}"),
                format!(
                    "task {pod} of {service} placed on {node}, DRAINING since {} s before",
                    created - since
                ),
            );
        }
        let labels_settled = created >= labels_since + GRACE_SECONDS;
        if let Some(allowed) = self.allowed.get(&service).cloned()
            && labels_settled
            && !allowed(&labels)
        {
            self.violation(
                format!("memberOf/{pod}"),
                format!(
                    "task {pod} of {service} placed on {node}, outside its memberOf expression"
                ),
            );
        }
    }

    /// A pod that was healthy has stopped: check the service's minimum.
    fn stopped_healthy(&mut self, p: &Pod, via: &str) {
        let Some(service) = service_of(p) else { return };
        if node_of(p).is_some_and(|n| self.exempt.contains(&n)) {
            return;
        }
        let Some(view) = self.services.get(&service) else {
            return;
        };
        if view.gone || view.daemon {
            return;
        }
        let floor = view.min_healthy();
        self.record.healthy_stops_checked += 1;
        let healthy = self.count(&service, is_running);
        if healthy < floor {
            let tasks = self.describe(&service);
            self.violation(
                format!("min/{}", p.name_any()),
                format!(
                    "{service}: task {} stopped while healthy, leaving {healthy} healthy < minimum {floor} (seen {via} at {}; tasks: {tasks})",
                    p.name_any(),
                    k8s_openapi::jiff::Timestamp::now()
                ),
            );
        }
    }

    /// The service's task Pods as the watcher sees them, for a violation's message.
    fn describe(&self, service: &str) -> String {
        self.pods
            .values()
            .filter(|p| service_of(p).as_deref() == Some(service))
            .map(|p| {
                let revision = p.labels().get("ecs.operator.dev/revision").cloned();
                let phase = p.status.as_ref().and_then(|s| s.phase.clone());
                let ready = p
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
                    .map(|c| c.status.clone());
                format!(
                    "{} rev {} {}{} Ready={} running_for={:?}",
                    p.name_any(),
                    revision.unwrap_or_default(),
                    phase.unwrap_or_default(),
                    if is_live(p) { "" } else { " stopping" },
                    ready.unwrap_or_default(),
                    running_for(p),
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn count(&self, service: &str, f: fn(&Pod) -> bool) -> usize {
        self.pods
            .values()
            .filter(|p| service_of(p).as_deref() == Some(service) && f(p))
            .count()
    }

    fn check_counts(&mut self, service: &str) {
        let Some(view) = self.services.get(service) else {
            return;
        };
        if view.daemon || view.gone {
            return;
        }
        let (bound, distinct) = (view.max_live(), view.distinct);
        let live = self.count(service, is_live);
        let max = self.record.max_live.entry(service.to_owned()).or_default();
        *max = (*max).max(live);
        if live > bound {
            self.violation(
                format!("max/{service}/{live}"),
                format!("{service}: {live} live tasks > maximum {bound}"),
            );
        }
        if distinct {
            let mut per_node: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for p in self
                .pods
                .values()
                .filter(|p| is_live(p) && service_of(p).as_deref() == Some(service))
            {
                if let Some(n) = node_of(p) {
                    per_node.entry(n).or_default().insert(p.name_any());
                }
            }
            for (node, pods) in per_node.into_iter().filter(|(_, p)| p.len() > 1) {
                self.violation(
                    format!("distinct/{service}/{pods:?}"),
                    format!("{service} (distinctInstance): {pods:?} live on {node}"),
                );
            }
        }
    }

    /// A (re-)list: the watch was lost for a while and this is the state now. What
    /// happened in between is unknown; the checks run once, against the new state as a
    /// whole (checking pod by pod would count a half-updated map).
    fn relisted(&mut self, fresh: BTreeMap<String, Pod>) {
        let before = std::mem::replace(&mut self.pods, fresh);
        if !self.ready {
            return;
        }
        self.record.relists += 1;
        let now: Vec<Pod> = self
            .pods
            .iter()
            .filter(|(name, _)| !before.contains_key(*name))
            .map(|(_, p)| p.clone())
            .collect();
        for p in &now {
            self.placed(p);
        }
        for (name, old) in &before {
            let new = self.pods.get(name).cloned();
            if is_healthy(old) && new.as_ref().is_none_or(|p| !is_live(p)) {
                self.stopped_healthy(new.as_ref().unwrap_or(old), "re-list");
            }
        }
        let services: Vec<String> = self.services.keys().cloned().collect();
        for service in services {
            self.check_counts(&service);
        }
    }

    /// A pod changed (or appeared, or went).
    fn pod(&mut self, new: Option<Pod>, name: &str) {
        let old = match &new {
            Some(p) => self.pods.insert(name.to_owned(), p.clone()),
            None => self.pods.remove(name),
        };
        if !self.ready {
            return;
        }
        if old.is_none()
            && let Some(p) = &new
        {
            self.placed(p);
        }
        // Healthy in ECS's sense: RUNNING for the settle time (the operator's
        // --healthy-after-seconds 2, one more for the timestamps' whole seconds). A task
        // stopped sooner is a pending one, which ECS stops first (§3.4); the count it
        // leaves is taken with the laxer rule (RUNNING, for any time), so a correct operator
        // is never flagged.
        if let Some(old) = &old
            && is_healthy(old)
            && new.as_ref().is_none_or(|p| !is_live(p))
        {
            self.stopped_healthy(new.as_ref().unwrap_or(old), "event");
        }
        if let Some(service) = new.as_ref().or(old.as_ref()).and_then(service_of) {
            self.check_counts(&service);
        }
    }
}

impl Watch {
    /// Starts watching `namespace` and the Nodes of `cluster`; returns once the initial lists
    /// are in.
    pub async fn start(client: Client, namespace: &str, cluster: &str) -> Self {
        let services: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            namespace,
            &super::support::api_resource("EcsService"),
        );
        let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
        let nodes: Api<Node> = Api::all(client);
        let config = watcher::Config::default;
        let streams: Vec<BoxStream<'static, Ev>> = vec![
            watcher(services, config())
                .default_backoff()
                .filter_map(|e| async move { e.ok().map(Ev::Service) })
                .boxed(),
            watcher(pods, config().labels(SERVICE_LABEL))
                .default_backoff()
                .filter_map(|e| async move { e.ok().map(Ev::Pod) })
                .boxed(),
            watcher(nodes, config())
                .default_backoff()
                .filter_map(|e| async move { e.ok().map(Ev::Node) })
                .boxed(),
        ];
        let state = Arc::new(Mutex::new(State {
            cluster: cluster.to_owned(),
            ..Default::default()
        }));
        let shared = state.clone();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let mut ready_tx = Some(ready_tx);
            let mut lists_done = BTreeSet::new();
            let mut pod_buffer: Option<BTreeMap<String, Pod>> = None;
            let mut all = futures::stream::select_all(streams);
            while let Some(ev) = all.next().await {
                let init_done = match &ev {
                    Ev::Service(watcher::Event::InitDone) => Some(0),
                    Ev::Pod(watcher::Event::InitDone) => Some(1),
                    Ev::Node(watcher::Event::InitDone) => Some(2),
                    _ => None,
                };
                let mut s = shared.lock().unwrap();
                s.record.events += 1;
                match ev {
                    Ev::Service(watcher::Event::Apply(o) | watcher::Event::InitApply(o)) => {
                        s.service(&o)
                    }
                    Ev::Service(watcher::Event::Delete(o)) => {
                        if let Some(v) = s.services.get_mut(&o.name_any()) {
                            v.gone = true;
                        }
                    }
                    Ev::Node(watcher::Event::Apply(n) | watcher::Event::InitApply(n)) => s.node(&n),
                    Ev::Node(watcher::Event::Delete(n)) => {
                        s.nodes.remove(&n.name_any());
                        s.deleted_nodes.insert(n.name_any(), now_secs());
                    }
                    Ev::Pod(watcher::Event::Init) => pod_buffer = Some(BTreeMap::new()),
                    Ev::Pod(watcher::Event::InitApply(p)) => {
                        if let Some(b) = pod_buffer.as_mut() {
                            b.insert(p.name_any(), p);
                        }
                    }
                    Ev::Pod(watcher::Event::InitDone) => {
                        let fresh = pod_buffer.take().unwrap_or_default();
                        s.relisted(fresh);
                    }
                    Ev::Pod(watcher::Event::Apply(p)) => {
                        let name = p.name_any();
                        s.pod(Some(p), &name);
                    }
                    Ev::Pod(watcher::Event::Delete(p)) => s.pod(None, &p.name_any()),
                    _ => {}
                }
                if let Some(stream) = init_done {
                    lists_done.insert(stream);
                    if lists_done.len() == 3 && !s.ready {
                        s.ready = true;
                        if let Some(tx) = ready_tx.take() {
                            let _ = tx.send(());
                        }
                    }
                }
            }
        });
        let _ = ready_rx.await;
        Self { state, task }
    }

    /// Tasks on `node` may stop without counting against the minimum: the test disturbs it.
    pub fn exempt(&self, node: &str) {
        self.state.lock().unwrap().exempt.insert(node.to_owned());
    }

    /// `service`'s tasks may only go to instances whose labels satisfy `allowed` (its
    /// memberOf expression, restated independently by the test).
    pub fn constrain(&self, service: &str, allowed: Allowed) {
        self.state
            .lock()
            .unwrap()
            .allowed
            .insert(service.to_owned(), allowed);
    }

    pub fn snapshot(&self) -> Record {
        self.state.lock().unwrap().record.clone()
    }

    pub fn finish(self) -> Record {
        self.task.abort();
        self.snapshot()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn state_with_db() -> State {
        let mut s = State {
            ready: true,
            ..Default::default()
        };
        let svc: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsService",
            "metadata": {"name": "db"},
            "spec": {"desiredCount": 3,
                     "deploymentConfiguration": {"minimumHealthyPercent": 50, "maximumPercent": 100}}
        }))
        .unwrap();
        s.service(&svc);
        s
    }

    /// A task Pod of `db` (placement is not what these tests check: no node); containers
    /// running since `ran` seconds ago
    /// (None: still pending); `ready` its Ready condition.
    fn task(name: &str, ran: Option<i64>, ready: bool, deleting: bool) -> Pod {
        let started = ran.map(|r| {
            k8s_openapi::jiff::Timestamp::from_second(now_secs() - r)
                .unwrap()
                .to_string()
        });
        let state = match &started {
            Some(t) => json!({"running": {"startedAt": t}}),
            None => json!({"waiting": {"reason": "ContainerCreating"}}),
        };
        let mut pod = json!({
            "metadata": {"name": name, "labels": {SERVICE_LABEL: "db"}},
            "spec": {"containers": [{"name": "app"}]},
            "status": {
                "phase": if ran.is_some() { "Running" } else { "Pending" },
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
                "containerStatuses": [{"name": "app", "ready": ready, "restartCount": 0,
                                       "image": "nginx", "imageID": "", "state": state}]
            }
        });
        if deleting {
            pod["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        serde_json::from_value(pod).unwrap()
    }

    fn apply(s: &mut State, p: Pod) {
        let name = p.name_any();
        s.pod(Some(p), &name);
    }

    #[test]
    fn a_stop_below_the_minimum_is_flagged() {
        // db: D = 3, 50/100: at least 2 RUNNING while old tasks stop.
        let mut s = state_with_db();
        apply(&mut s, task("a", Some(30), true, false));
        apply(&mut s, task("b", Some(30), true, false));
        apply(&mut s, task("c", Some(30), true, false));
        apply(&mut s, task("a", Some(30), true, true));
        apply(&mut s, task("new", None, false, false));
        assert_eq!(s.record.violation_count, 0, "{:?}", s.record.violations);
        // A pending task does not count: stopping b leaves one RUNNING.
        apply(&mut s, task("b", Some(30), true, true));
        assert_eq!(s.record.violation_count, 1);
        assert!(s.record.violations[0].contains("leaving 1 healthy < minimum 2"));
    }

    #[test]
    fn tasks_a_node_disconnect_marked_not_ready_still_count() {
        // The node lifecycle controller set Ready=False on b and c (their nodes missed
        // heartbeats): ECS keeps their last known health, so stopping a leaves 2.
        let mut s = state_with_db();
        apply(&mut s, task("a", Some(30), true, false));
        apply(&mut s, task("b", Some(30), false, false));
        apply(&mut s, task("c", Some(30), false, false));
        apply(&mut s, task("a", Some(30), true, true));
        assert_eq!(s.record.violation_count, 0, "{:?}", s.record.violations);
        assert_eq!(s.record.healthy_stops_checked, 1);
    }

    #[test]
    fn a_task_stopped_inside_the_settle_time_is_not_checked() {
        let mut s = state_with_db();
        apply(&mut s, task("a", Some(1), true, false));
        apply(&mut s, task("a", Some(1), true, true));
        assert_eq!(s.record.healthy_stops_checked, 0);
    }
}
