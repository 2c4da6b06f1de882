//! An independent watcher of a service's task Pods that checks ECS's deployment bounds at
//! every event (ecs-semantics.md §3.3): never more than `floor(D × max% / 100)` live tasks,
//! never fewer than `ceil(D × min% / 100)` healthy RUNNING ones. It reads Pods only — the
//! operator's own bookkeeping is what it checks, not what it trusts.
//!
//! Live = not being deleted and not terminal. Healthy = phase Running and Ready (the
//! operator's own rule is stricter — it also waits the settle time — so a correct operator
//! keeps this count at or above the bound).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::Api;
use kube::runtime::watcher;

/// What the watcher saw.
#[derive(Clone, Debug, Default)]
pub struct Record {
    pub events: usize,
    pub max_live: usize,
    pub min_healthy: Option<usize>,
    pub violations: Vec<String>,
    /// Pod names in the order they were first seen.
    pub created: Vec<String>,
    /// Pod names in the order they began to stop (deletion or terminal).
    pub stopped: Vec<String>,
}

pub struct InvariantWatch {
    record: Arc<Mutex<Record>>,
    task: tokio::task::JoinHandle<()>,
}

fn is_live(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none()
        && !matches!(
            p.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        )
}

fn is_healthy(p: &Pod) -> bool {
    let status = p.status.as_ref();
    is_live(p)
        && status.and_then(|s| s.phase.as_deref()) == Some("Running")
        && status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

impl InvariantWatch {
    /// Starts watching the tasks of `service` in `namespace`; `max_live` and `min_healthy`
    /// are the bounds (checked from the end of the initial list on).
    pub async fn start(
        client: Client,
        namespace: &str,
        service: &str,
        max_live: usize,
        min_healthy: usize,
    ) -> Self {
        let record = Arc::new(Mutex::new(Record::default()));
        let shared = record.clone();
        let api: Api<Pod> = Api::namespaced(client, namespace);
        let selector = format!("ecs.operator.dev/service={service}");
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            let mut pods: BTreeMap<String, Pod> = BTreeMap::new();
            let mut initialised = false;
            let mut stream =
                std::pin::pin!(watcher(api, watcher::Config::default().labels(&selector)));
            while let Some(event) = stream.next().await {
                let Ok(event) = event else { continue };
                let mut r = shared.lock().unwrap();
                match event {
                    watcher::Event::Apply(p) | watcher::Event::InitApply(p) => {
                        let name = p.metadata.name.clone().unwrap_or_default();
                        let was_live = pods.get(&name).map(is_live);
                        if was_live.is_none() {
                            r.created.push(name.clone());
                        }
                        if was_live == Some(true) && !is_live(&p) {
                            r.stopped.push(name.clone());
                        }
                        pods.insert(name, p);
                    }
                    watcher::Event::Delete(p) => {
                        let name = p.metadata.name.clone().unwrap_or_default();
                        if pods.remove(&name).is_some_and(|p| is_live(&p)) {
                            r.stopped.push(name);
                        }
                    }
                    watcher::Event::InitDone => {
                        initialised = true;
                        if let Some(tx) = ready.take() {
                            let _ = tx.send(());
                        }
                    }
                    watcher::Event::Init => {}
                }
                if !initialised {
                    continue;
                }
                let live = pods.values().filter(|p| is_live(p)).count();
                let healthy = pods.values().filter(|p| is_healthy(p)).count();
                r.events += 1;
                r.max_live = r.max_live.max(live);
                r.min_healthy = Some(r.min_healthy.map_or(healthy, |m| m.min(healthy)));
                if live > max_live {
                    let v = format!("{live} live tasks > maximum {max_live}");
                    r.violations.push(v);
                }
                if healthy < min_healthy {
                    let v = format!("{healthy} healthy running tasks < minimum {min_healthy}");
                    r.violations.push(v);
                }
            }
        });
        let _ = ready_rx.await;
        Self { record, task }
    }

    /// What was seen so far.
    pub fn snapshot(&self) -> Record {
        self.record.lock().unwrap().clone()
    }

    /// Stops watching and returns the record.
    pub fn finish(self) -> Record {
        self.task.abort();
        self.record.lock().unwrap().clone()
    }
}

/// `ceil(D × min% / 100)` and `floor(D × max% / 100)` as the watcher's bounds.
pub fn ecs_bounds(desired: usize, min_percent: usize, max_percent: usize) -> (usize, usize) {
    (
        (desired * min_percent).div_ceil(100),
        desired * max_percent / 100,
    )
}
