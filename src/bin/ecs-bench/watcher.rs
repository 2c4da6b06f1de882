//! The one pod watch that decides "bound" and "Running" for every arm: started (and synced)
//! before t0, it stamps each Pod with the instant it was first seen with `spec.nodeName`
//! and first seen `Running`. Every arm is judged by this same code on the same clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher;
use kube::{Api, Client};

#[derive(Clone, Debug)]
pub struct PodRec {
    pub node: Option<String>,
    pub first_seen: Instant,
    pub bound_at: Option<Instant>,
    pub running_at: Option<Instant>,
    pub terminating: bool,
}

impl PodRec {
    fn live(&self) -> bool {
        !self.terminating
    }
}

#[derive(Default)]
struct State {
    pods: HashMap<String, PodRec>,
    synced: bool,
    error: Option<String>,
}

pub struct PodWatch {
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub live: usize,
    pub bound: usize,
    pub running: usize,
}

impl PodWatch {
    /// Watches the Pods of `namespace`; returns once the initial list is in.
    pub async fn start(client: Client, namespace: &str) -> Result<Self> {
        let state = Arc::new(Mutex::new(State::default()));
        let api: Api<Pod> = Api::namespaced(client, namespace);
        let st = state.clone();
        let task = tokio::spawn(async move {
            let mut stream = watcher(api, watcher::Config::default()).boxed();
            while let Some(ev) = stream.next().await {
                let now = Instant::now();
                let mut s = st.lock().expect("watch state");
                match ev {
                    Ok(watcher::Event::Apply(p) | watcher::Event::InitApply(p)) => {
                        upsert(&mut s, &p, now)
                    }
                    Ok(watcher::Event::Delete(p)) => {
                        s.pods.remove(&p.metadata.name.unwrap_or_default());
                    }
                    Ok(watcher::Event::InitDone) => s.synced = true,
                    Ok(watcher::Event::Init) => {}
                    // The watcher retries by itself; remember the last error for a report.
                    Err(e) => s.error = Some(e.to_string()),
                }
            }
        });
        let w = Self { state, task };
        let start = Instant::now();
        while !w.state.lock().expect("watch state").synced {
            if start.elapsed() > Duration::from_secs(30) {
                bail!("pod watch did not sync within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(w)
    }

    pub fn counts(&self) -> Counts {
        let s = self.state.lock().expect("watch state");
        let mut c = Counts::default();
        for p in s.pods.values().filter(|p| p.live()) {
            c.live += 1;
            c.bound += usize::from(p.bound_at.is_some());
            c.running += usize::from(p.running_at.is_some());
        }
        c
    }

    /// The live Pods (a copy).
    pub fn live_pods(&self) -> Vec<(String, PodRec)> {
        let s = self.state.lock().expect("watch state");
        s.pods
            .iter()
            .filter(|(_, p)| p.live())
            .map(|(n, p)| (n.clone(), p.clone()))
            .collect()
    }

    /// Every Pod seen so far, deleted ones excluded.
    pub fn len(&self) -> usize {
        self.state.lock().expect("watch state").pods.len()
    }

    pub fn last_error(&self) -> Option<String> {
        self.state.lock().expect("watch state").error.clone()
    }
}

impl Drop for PodWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn upsert(s: &mut State, p: &Pod, now: Instant) {
    let name = p.metadata.name.clone().unwrap_or_default();
    let node = p
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .filter(|n| !n.is_empty());
    let running = p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
    let terminating = p.metadata.deletion_timestamp.is_some();
    let rec = s.pods.entry(name).or_insert(PodRec {
        node: None,
        first_seen: now,
        bound_at: None,
        running_at: None,
        terminating,
    });
    if node.is_some() && rec.bound_at.is_none() {
        rec.bound_at = Some(now);
    }
    if running && rec.running_at.is_none() {
        rec.running_at = Some(now);
    }
    rec.node = node.or(rec.node.take());
    rec.terminating = terminating;
}

/// Seconds from `t0` at which the k-th of `instants` happened, sorted.
pub fn offsets(t0: Instant, instants: impl Iterator<Item = Instant>) -> Vec<f64> {
    let mut v: Vec<f64> = instants
        .map(|i| i.saturating_duration_since(t0).as_secs_f64())
        .collect();
    v.sort_by(f64::total_cmp);
    v
}
