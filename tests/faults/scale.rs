//! Many objects: `scale_services` services × `scale_tasks` tasks on `scale_nodes` instances
//! (200 × 10 on 100 in the long mode). Measured: time until every service is steady, the
//! operator's peak resident memory, and the reconcile latency of a desiredCount change with
//! everything else in place (from the patch to status.runningCount reflecting it).

use std::time::{Duration, Instant};

use serde_json::json;

use super::checks::{is_steady, orphans};
use super::mode::{counts, report};
use super::operator::{Operators, Options};
use super::support::{TestCluster, TestNamespace};

/// Bounds this suite holds the operator to (docs/reliability.md).
const MAX_PEAK_RSS_MIB: u64 = 512;
const MAX_LATENCY: Duration = Duration::from_secs(30);

pub async fn many_objects() {
    let scenario = "scale";
    let c = counts();
    let ns = TestNamespace::new(scenario).await;
    let cluster = TestCluster::new(&ns, 0).await;
    // Nodes straight from the API: waiting for each to be Ready one by one (as add_node does)
    // is slow at 100; placement waits for readiness anyway.
    let mut cluster = cluster;
    for i in 0..c.scale_nodes {
        cluster.add_node(super::support::ZONES[i % 3], &[]).await;
    }
    ns.apply(&json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "TaskDefinition",
        "metadata": {"name": "tiny"},
        "spec": {"containerDefinitions": [{"name": "c", "image": "busybox", "cpu": 16, "memory": 16}]}}))
        .await
        .expect("task definition");
    let ops = Operators::start(Options::one(scenario));
    let start = Instant::now();
    let names: Vec<String> = (0..c.scale_services).map(|i| format!("s{i:03}")).collect();
    for name in &names {
        ns.apply(&json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsService",
            "metadata": {"name": name},
            "spec": {"cluster": cluster.name, "taskDefinition": "tiny", "desiredCount": c.scale_tasks}}))
            .await
            .expect("service");
    }
    let bound = Duration::from_secs(60 + 2 * c.scale_services as u64);
    let mut pending: Vec<&String> = names.iter().collect();
    while !pending.is_empty() {
        assert!(
            start.elapsed() < bound,
            "{} services not steady within {bound:?}: {:?}",
            pending.len(),
            &pending[..pending.len().min(10)]
        );
        let mut still = Vec::new();
        for n in pending {
            if !is_steady(&ns, n).await {
                still.push(n);
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    let to_steady = start.elapsed();
    let rss_steady = ops.peak_rss_kib(0).unwrap_or(0) / 1024;
    // Reconcile latency: one change at a time, everything else steady.
    let services = ns.api_for("EcsService");
    let mut latencies = Vec::new();
    for name in names.iter().take(20) {
        let t = Instant::now();
        services
            .patch(
                name,
                &kube::api::PatchParams::default(),
                &kube::api::Patch::Merge(json!({"spec": {"desiredCount": c.scale_tasks + 1}})),
            )
            .await
            .expect("scale one");
        let want = (c.scale_tasks + 1) as u64;
        let done = super::support::wait_for_object(&services, name, MAX_LATENCY, |o| {
            o.data["status"]["runningCount"].as_u64() == Some(want)
        })
        .await;
        done.expect("the change is reconciled");
        latencies.push(t.elapsed());
    }
    latencies.sort();
    let rss_peak = ops.peak_rss_kib(0).unwrap_or(0) / 1024;
    let orphans = orphans(&ns).await;
    let panics = ops.panics();
    drop(ops);
    report(scenario, "services", c.scale_services);
    report(scenario, "tasks", c.scale_services * c.scale_tasks);
    report(scenario, "nodes", c.scale_nodes);
    report(scenario, "seconds_to_all_steady", to_steady.as_secs_f64());
    report(scenario, "peak_rss_mib_at_steady", rss_steady);
    report(scenario, "peak_rss_mib", rss_peak);
    let pct = |q: usize| latencies[(latencies.len() - 1) * q / 100].as_secs_f64();
    report(scenario, "scale_latency_p50_seconds", pct(50));
    report(scenario, "scale_latency_max_seconds", pct(100));
    assert!(panics.is_empty(), "operator panicked: {panics:#?}");
    assert!(orphans.is_empty(), "Pods without an owner: {orphans:?}");
    assert!(
        rss_peak <= MAX_PEAK_RSS_MIB,
        "peak RSS {rss_peak} MiB > {MAX_PEAK_RSS_MIB} MiB"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}
