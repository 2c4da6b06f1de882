//! Container instances coming, going and draining (ecs-semantics.md §3.1, §3.8, §6.2):
//! DRAINING moves service tasks within the deployment bounds, DAEMON services follow the
//! instances, and AZ rebalancing evens zones out when a zone's instances return.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use crate::deployments::{completed_on, has_event};
use crate::support::invariants::InvariantWatch;
use crate::support::{
    TestCluster, TestNamespace, ZONES, ensure_operator, live_task_pods, node_of, poll_until,
    wait_for_object, wait_for_tasks,
};

const WAIT: Duration = Duration::from_secs(90);

/// The task definition and service every test here uses (revision 1 runs nginx:1.27).
fn manifests(cluster: &str, service_spec: &str) -> String {
    crate::deployments::manifests(cluster, "nginx:1.27", service_spec)
}

async fn cordon(ns: &TestNamespace, node: &str, on: bool) {
    let api: Api<Node> = Api::all(ns.client.clone());
    api.patch(
        node,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"unschedulable": on}})),
    )
    .await
    .expect("cordon");
}

fn zone_counts(pods: &[Pod], nodes: &BTreeMap<String, String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for p in pods {
        if let Some(z) = nodes.get(&node_of(p)) {
            *counts.entry(z.clone()).or_insert(0) += 1;
        }
    }
    counts
}

async fn node_zones(ns: &TestNamespace, cluster: &TestCluster) -> BTreeMap<String, String> {
    let api: Api<Node> = Api::all(ns.client.clone());
    let mut out = BTreeMap::new();
    for n in &cluster.nodes {
        if let Ok(node) = api.get(n).await {
            let zone =
                node.metadata.labels.unwrap_or_default()["topology.kubernetes.io/zone"].clone();
            out.insert(n.clone(), zone);
        }
    }
    out
}

/// Draining one of 6 instances (cordon) moves its tasks elsewhere with min 100 / max 200,
/// never dipping below D healthy; un-draining moves nothing back.
#[tokio::test]
async fn draining_an_instance_moves_its_tasks_without_dipping_below_desired() {
    ensure_operator().await;
    let ns = TestNamespace::new("drain").await;
    let cluster = TestCluster::new(&ns, 6).await;
    ns.apply_yaml(&manifests(&cluster.name, "  desiredCount: 6"))
        .await
        .expect("apply");
    let services = ns.api_for("EcsService");
    wait_for_object(&services, "web", WAIT, |o| completed_on(o, 1, 6))
        .await
        .expect("steady");
    let pods = live_task_pods(&ns, "web").await;
    let drained = node_of(&pods[0]);
    let on_it = pods.iter().filter(|p| node_of(p) == drained).count();
    assert!(on_it >= 1);
    let watch = InvariantWatch::start(ns.client.clone(), &ns.name, "web", 12, 6).await;
    cordon(&ns, &drained, true).await;
    let moved = wait_for_tasks(&ns, "web", WAIT, |p| {
        p.len() == 6 && p.iter().all(|x| node_of(x) != drained)
    })
    .await;
    wait_for_object(&services, "web", WAIT, |o| completed_on(o, 1, 6))
        .await
        .expect("steady again");
    let record = watch.finish();
    assert!(record.violations.is_empty(), "{:?}", record.violations);
    assert!(
        record.max_live > 6,
        "replacements started before the drained tasks stopped"
    );

    // Un-draining makes the instance eligible without moving anything.
    let names = |p: &[Pod]| {
        let mut v: Vec<String> = p.iter().filter_map(|p| p.metadata.name.clone()).collect();
        v.sort();
        v
    };
    let watch = InvariantWatch::start(ns.client.clone(), &ns.name, "web", 6, 6).await;
    cordon(&ns, &drained, false).await;
    // The operator sees the node change (its fingerprint) and reconciles: once the service
    // has been looked at again with nothing to do, nothing may have moved.
    let stable = poll_until(Duration::from_secs(5), || async {
        names(&live_task_pods(&ns, "web").await) != names(&moved)
    })
    .await;
    assert!(!stable, "no task moved back to the un-drained instance");
    let record = watch.finish();
    assert!(record.violations.is_empty(), "{:?}", record.violations);
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// DAEMON: one task per instance; a new instance gets one, a removed one loses it, a
/// DRAINING one stops it; desiredCount follows the qualifying instances.
#[tokio::test]
async fn a_daemon_service_follows_its_instances() {
    ensure_operator().await;
    let ns = TestNamespace::new("daemon").await;
    let mut cluster = TestCluster::new(&ns, 3).await;
    ns.apply_yaml(&manifests(&cluster.name, "  schedulingStrategy: DAEMON"))
        .await
        .expect("apply");
    let one_each = |p: &[Pod], nodes: &[String]| {
        p.len() == nodes.len()
            && nodes
                .iter()
                .all(|n| p.iter().filter(|x| node_of(x) == *n).count() == 1)
    };
    let nodes = cluster.nodes.clone();
    wait_for_tasks(&ns, "web", WAIT, |p| one_each(p, &nodes)).await;
    let services = ns.api_for("EcsService");
    wait_for_object(&services, "web", WAIT, |o| completed_on(o, 1, 3))
        .await
        .expect("steady with 3");

    let added = cluster.add_node(ZONES[0], &[]).await;
    let nodes = cluster.nodes.clone();
    wait_for_tasks(&ns, "web", WAIT, |p| one_each(p, &nodes)).await;
    wait_for_object(&services, "web", WAIT, |o| {
        o.data["status"]["desiredCount"] == 4
    })
    .await
    .expect("desiredCount 4");

    cluster.delete_node(&added).await;
    let nodes = cluster.nodes.clone();
    wait_for_tasks(&ns, "web", WAIT, |p| one_each(p, &nodes)).await;

    let drained = cluster.nodes[0].clone();
    cordon(&ns, &drained, true).await;
    let rest: Vec<String> = cluster.nodes[1..].to_vec();
    wait_for_tasks(&ns, "web", WAIT, |p| one_each(p, &rest)).await;
    wait_for_object(&services, "web", WAIT, |o| completed_on(o, 1, 2))
        .await
        .expect("steady with 2 qualifying instances");
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// A DAEMON service rolls to a new revision instance by instance (min 0 / max 100).
#[tokio::test]
async fn a_daemon_service_rolls_out_a_new_revision() {
    ensure_operator().await;
    let ns = TestNamespace::new("daemon-roll").await;
    let cluster = TestCluster::new(&ns, 3).await;
    ns.apply_yaml(&manifests(&cluster.name, "  schedulingStrategy: DAEMON"))
        .await
        .expect("apply");
    let services = ns.api_for("EcsService");
    wait_for_object(&services, "web", WAIT, |o| completed_on(o, 1, 3))
        .await
        .expect("steady");
    let watch = InvariantWatch::start(ns.client.clone(), &ns.name, "web", 3, 0).await;
    ns.api_for("TaskDefinition")
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"containerDefinitions": [{"name": "web", "image": "nginx:1.28", "cpu": 256, "memory": 256}]}})),
        )
        .await
        .expect("revision 2");
    wait_for_object(&services, "web", WAIT, |o| completed_on(o, 2, 3))
        .await
        .expect("revision 2 on every instance");
    let record = watch.finish();
    assert!(
        record.violations.is_empty(),
        "never two tasks on one instance: {:?}",
        record.violations
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// availabilityZoneRebalancing: ENABLED — when a zone's instances return after an outage,
/// tasks move (start-first, within max %) until the zones are even again.
#[tokio::test]
async fn zones_are_rebalanced_when_a_zones_instances_return() {
    ensure_operator().await;
    let ns = TestNamespace::new("azrebalance").await;
    let mut cluster = TestCluster::new(&ns, 6).await;
    ns.apply_yaml(&manifests(
        &cluster.name,
        "  desiredCount: 6\n  availabilityZoneRebalancing: ENABLED",
    ))
    .await
    .expect("apply");
    let services = ns.api_for("EcsService");
    wait_for_object(&services, "web", WAIT, |o| completed_on(o, 1, 6))
        .await
        .expect("steady");
    // Zone c's instances go (outage): its tasks are replaced in a and b.
    let zone_c: Vec<String> = node_zones(&ns, &cluster)
        .await
        .into_iter()
        .filter(|(_, z)| z == ZONES[2])
        .map(|(n, _)| n)
        .collect();
    for n in &zone_c {
        cluster.delete_node(n).await;
    }
    let zones = node_zones(&ns, &cluster).await;
    wait_for_tasks(&ns, "web", WAIT, |p| {
        p.len() == 6 && zone_counts(p, &zones).values().all(|c| *c == 3)
    })
    .await;
    wait_for_object(&services, "web", WAIT, |o| completed_on(o, 1, 6))
        .await
        .expect("steady in two zones");
    // They return.
    let watch = InvariantWatch::start(ns.client.clone(), &ns.name, "web", 12, 6).await;
    cluster.add_node(ZONES[2], &[]).await;
    cluster.add_node(ZONES[2], &[]).await;
    let zones = node_zones(&ns, &cluster).await;
    wait_for_tasks(&ns, "web", WAIT, |p| {
        let c = zone_counts(p, &zones);
        p.len() == 6 && c.len() == 3 && c.values().all(|n| *n == 2)
    })
    .await;
    let svc = wait_for_object(&services, "web", WAIT, |o| {
        has_event(o, "is AZ balanced with") && completed_on(o, 1, 6)
    })
    .await
    .expect("balanced event");
    assert!(has_event(&svc, "is not AZ balanced with"));
    let record = watch.finish();
    assert!(record.violations.is_empty(), "{:?}", record.violations);
    ns.cleanup().await;
    cluster.cleanup().await;
}
