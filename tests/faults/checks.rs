//! End-of-fault checks: every service steady again within a bound, no Pod without its owner,
//! no EcsService / EcsTask lost or changed behind the user's back.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use serde_json::Value;

use super::support::{TestNamespace, live_task_pods};

/// ECS steady state (§3.2): one deployment, COMPLETED, running == desired, nothing pending,
/// and exactly `desired` live task Pods.
pub async fn is_steady(ns: &TestNamespace, service: &str) -> bool {
    let Ok(Some(svc)) = ns.api_for("EcsService").get_opt(service).await else {
        return false;
    };
    let desired = svc.data["spec"]["desiredCount"].as_u64().unwrap_or(0);
    let status = &svc.data["status"];
    let deployments = status["deployments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    deployments.len() == 1
        && deployments[0]["rolloutState"] == "COMPLETED"
        && status["runningCount"].as_u64() == Some(desired)
        && status["pendingCount"].as_u64().unwrap_or(0) == 0
        && status["observedGeneration"]
            == svc.metadata.generation.map(Value::from).unwrap_or_default()
        && live_task_pods(ns, service).await.len() as u64 == desired
}

/// Waits until every service is steady; returns how long that took, or panics naming the
/// ones that were not within `bound`.
pub async fn wait_steady(ns: &TestNamespace, services: &[&str], bound: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let mut pending = Vec::new();
        for s in services {
            if !is_steady(ns, s).await {
                pending.push(*s);
            }
        }
        if pending.is_empty() {
            return start.elapsed();
        }
        if start.elapsed() > bound {
            let mut detail = Vec::new();
            for s in &pending {
                let svc = ns.api_for("EcsService").get_opt(s).await.ok().flatten();
                let status = svc.map(|o| o.data["status"].clone()).unwrap_or_default();
                detail.push(format!(
                    "{s}: live={} runningCount={} pendingCount={} deployments={}",
                    live_task_pods(ns, s).await.len(),
                    status["runningCount"],
                    status["pendingCount"],
                    status["deployments"]
                        .as_array()
                        .map(|d| d
                            .iter()
                            .map(|d| format!("{}:{}", d["taskDefinition"], d["rolloutState"]))
                            .collect::<Vec<_>>()
                            .join(","))
                        .unwrap_or_default()
                ));
            }
            panic!("not steady within {bound:?}: {detail:#?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Pods of the namespace (ours: with the managed-by label) whose controller owner is not an
/// existing EcsService / EcsTask.
pub async fn orphans(ns: &TestNamespace) -> Vec<String> {
    let pods: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    let list = pods
        .list(&ListParams::default().labels("app.kubernetes.io/managed-by=ecs-operator"))
        .await
        .expect("list pods");
    let mut owners = BTreeSet::new();
    for kind in ["EcsService", "EcsTask"] {
        for o in ns
            .api_for(kind)
            .list(&ListParams::default())
            .await
            .expect("list")
            .items
        {
            owners.insert(o.metadata.uid.clone().unwrap_or_default());
        }
    }
    list.items
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            !p.owner_references()
                .iter()
                .any(|o| o.controller == Some(true) && owners.contains(&o.uid))
        })
        .map(|p| p.name_any())
        .collect()
}

/// Objects the test applied, checked at the end: still there, the same uid, and every field
/// the test set still has the value it set.
#[derive(Default)]
pub struct Ledger {
    entries: Vec<(String, String, String, Value)>,
}

/// Whether every field of `want` is in `have` with the same value.
fn contains(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| h.get(k).is_some_and(|hv| contains(hv, v))),
        (h, w) => h == w,
    }
}

impl Ledger {
    /// Applies `manifest` and records what it set.
    pub async fn apply(&mut self, ns: &TestNamespace, manifest: Value) {
        let obj = ns
            .apply(&manifest)
            .await
            .unwrap_or_else(|e| panic!("apply {manifest}: {e}"));
        let kind = manifest["kind"].as_str().unwrap_or_default().to_owned();
        let name = obj.name_any();
        let uid = obj.metadata.uid.clone().unwrap_or_default();
        self.entries
            .retain(|(k, n, _, _)| !(k == &kind && n == &name));
        self.entries
            .push((kind, name, uid, manifest["spec"].clone()));
    }

    /// Problems found (empty when every object is intact).
    pub async fn check(&self, ns: &TestNamespace) -> Vec<String> {
        let mut problems = Vec::new();
        for (kind, name, uid, spec) in &self.entries {
            match ns.api_for(kind).get_opt(name).await {
                Ok(Some(o)) if o.metadata.uid.as_deref() != Some(uid) => {
                    problems.push(format!("{kind}/{name} was replaced (uid changed)"))
                }
                Ok(Some(o)) if !contains(&o.data["spec"], spec) => problems.push(format!(
                    "{kind}/{name} spec changed: {} (applied {spec})",
                    o.data["spec"]
                )),
                Ok(Some(_)) => {}
                Ok(None) => problems.push(format!("{kind}/{name} lost")),
                Err(e) => problems.push(format!("{kind}/{name}: {e}")),
            }
        }
        problems
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}
