//! The workload the faults hit: one namespace, one cluster of kwok instances, one task
//! definition and three REPLICA services that exercise every invariant —
//! `web` (100/200), `db` (distinctInstance, 50/100: stops before it starts) and `api`
//! (memberOf outside zone-c, 100/150). Every apply goes through a `Ledger`, and a `Watch`
//! checks the invariants from the first apply on.

use std::sync::Arc;
use std::time::Duration;

use kube::ResourceExt;
use serde_json::{Value, json};

use super::checks::{Ledger, orphans, wait_steady};
use super::rng::Rng;
use super::support::{TestCluster, TestNamespace, live_task_pods};
use super::watch::{Record, Watch};

pub const SERVICES: [&str; 3] = ["web", "db", "api"];

pub struct Workload {
    pub ns: TestNamespace,
    pub cluster: TestCluster,
    pub ledger: Ledger,
    pub watch: Watch,
    pub revision: u32,
    pub desired: [u64; 3],
}

fn service(name: &str, cluster: &str, desired: u64) -> Value {
    let mut spec = json!({"cluster": cluster, "taskDefinition": "app", "desiredCount": desired});
    match name {
        "db" => {
            spec["placementConstraints"] = json!([{"type": "distinctInstance"}]);
            spec["deploymentConfiguration"] =
                json!({"minimumHealthyPercent": 50, "maximumPercent": 100});
        }
        "api" => {
            spec["placementConstraints"] = json!([{"type": "memberOf",
                "expression": "attribute:ecs.availability-zone != zone-c"}]);
            spec["deploymentConfiguration"] =
                json!({"minimumHealthyPercent": 100, "maximumPercent": 150});
        }
        _ => {}
    }
    json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsService",
           "metadata": {"name": name}, "spec": spec})
}

fn task_definition(revision: u32) -> Value {
    json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "TaskDefinition",
           "metadata": {"name": "app"},
           "spec": {"containerDefinitions": [{"name": "app", "image": format!("nginx:1.{revision}"),
                                              "cpu": 128, "memory": 128}]}})
}

impl Workload {
    /// A namespace with `nodes` instances and the three services at 6 / 3 / 4 tasks.
    pub async fn new(prefix: &str, nodes: usize) -> Self {
        let ns = TestNamespace::new(prefix).await;
        let cluster = TestCluster::new(&ns, nodes).await;
        let watch = Watch::start(ns.client.clone(), &ns.name, &cluster.name).await;
        watch.constrain(
            "api",
            Arc::new(|labels| {
                labels
                    .get("topology.kubernetes.io/zone")
                    .map(String::as_str)
                    != Some("zone-c")
            }),
        );
        let mut w = Self {
            ns,
            cluster,
            ledger: Ledger::default(),
            watch,
            revision: 1,
            desired: [6, 3, 4],
        };
        w.ledger.apply(&w.ns, task_definition(1)).await;
        for (i, name) in SERVICES.iter().enumerate() {
            let manifest = service(name, &w.cluster.name, w.desired[i]);
            w.ledger.apply(&w.ns, manifest).await;
        }
        w
    }

    pub async fn scale(&mut self, name: &str, desired: u64) {
        let i = SERVICES.iter().position(|s| *s == name).expect("service");
        self.desired[i] = desired;
        let manifest = service(name, &self.cluster.name, desired);
        self.ledger.apply(&self.ns, manifest).await;
    }

    /// A new task definition revision: every service starts a rolling deployment.
    pub async fn roll(&mut self) {
        self.revision += 1;
        self.ledger
            .apply(&self.ns, task_definition(self.revision))
            .await;
    }

    /// Scales `web` and `api` up or down, or rolls everything: one of the three at random.
    pub async fn random_change(&mut self, rng: &mut Rng) -> &'static str {
        match rng.below(3) {
            0 => {
                self.scale("web", 6 + rng.below(10) as u64).await;
                self.scale("api", 4 + rng.below(4) as u64).await;
                "scale-up"
            }
            1 => {
                self.scale("web", 1 + rng.below(5) as u64).await;
                // Not below 2: at D=1, 100/150 rounds to min 1 = max 1 and a rollout can
                // never proceed (ECS's deadlock, ecs-semantics.md §3.3).
                self.scale("api", 2 + rng.below(2) as u64).await;
                "scale-down"
            }
            _ => {
                self.roll().await;
                "rollout"
            }
        }
    }

    /// Waits until a task of the newest revision exists (a rollout is under way).
    pub async fn rollout_started(&self) {
        let revision = self.revision.to_string();
        let started = super::support::poll_until(Duration::from_secs(60), || async {
            live_task_pods(&self.ns, "web")
                .await
                .iter()
                .any(|p| p.labels().get("ecs.operator.dev/revision") == Some(&revision))
        })
        .await;
        assert!(started, "revision {revision} began to roll out");
    }

    pub async fn steady(&self, bound: Duration) -> Duration {
        wait_steady(&self.ns, &SERVICES, bound).await
    }

    /// The end-of-scenario checks; panics with every problem found. Returns the watch record.
    pub async fn finish(self, scenario: &str) -> Record {
        let record = self.watch.finish();
        let orphans = orphans(&self.ns).await;
        let ledger = self.ledger.check(&self.ns).await;
        super::mode::report(scenario, "watch_events", record.events);
        super::mode::report(scenario, "placements_checked", record.placements_checked);
        super::mode::report(
            scenario,
            "healthy_stops_checked",
            record.healthy_stops_checked,
        );
        super::mode::report(scenario, "relists", record.relists);
        super::mode::report(scenario, "violations", record.violation_count);
        super::mode::report(scenario, "max_live", format!("{:?}", record.max_live));
        super::mode::report(scenario, "orphans", orphans.len());
        super::mode::report(scenario, "objects_checked", self.ledger.len());
        assert!(
            record.violations.is_empty(),
            "{scenario}: invariant violations: {:#?}",
            record.violations
        );
        assert!(
            orphans.is_empty(),
            "{scenario}: Pods without an owner: {orphans:?}"
        );
        assert!(
            ledger.is_empty(),
            "{scenario}: objects lost or changed: {ledger:#?}"
        );
        self.ns.cleanup().await;
        self.cluster.cleanup().await;
        record
    }
}
