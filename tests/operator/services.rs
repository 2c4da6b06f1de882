//! EcsService on a real control plane with kwok container instances in three zones: the
//! operator places, spreads, replaces and scales tasks as ECS does.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde_json::json;

use crate::support::{
    TestCluster, TestNamespace, ensure_operator, node_of, wait_for_object, wait_for_tasks,
};

const WAIT: Duration = Duration::from_secs(60);

fn manifests(cluster: &str, service_spec: &str) -> String {
    format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata: {{name: web}}
spec:
  family: web
  containerDefinitions: [{{name: web, image: "nginx:1.27", cpu: 256, memory: 512}}]
---
apiVersion: ecs.operator.dev/v1alpha1
kind: EcsService
metadata: {{name: web}}
spec:
  cluster: {cluster}
  taskDefinition: web
{service_spec}
"#
    )
}

fn per_zone(pods: &[Pod], cluster: &TestCluster) -> Vec<usize> {
    let mut counts = vec![0; 3];
    for p in pods {
        let node = node_of(p);
        let i = cluster.nodes.iter().position(|n| *n == node).map(|i| i % 3);
        if let Some(i) = i {
            counts[i] += 1;
        }
    }
    counts.sort_unstable_by(|a, b| b.cmp(a));
    counts
}

fn per_node_max(pods: &[Pod]) -> usize {
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for p in pods {
        *m.entry(node_of(p)).or_default() += 1;
    }
    m.values().copied().max().unwrap_or(0)
}

async fn scale(ns: &TestNamespace, n: i64) {
    let api = ns.api_for("EcsService");
    api.patch(
        "web",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"desiredCount": n}})),
    )
    .await
    .expect("scale");
}

#[tokio::test]
async fn tasks_spread_by_zone_survive_pod_loss_and_scale_in_from_crowded_zones() {
    ensure_operator().await;
    let ns = TestNamespace::new("svc-spread").await;
    let cluster = TestCluster::new(&ns, 6).await;
    ns.apply_yaml(&manifests(&cluster.name, "  desiredCount: 7"))
        .await
        .expect("apply");

    let pods = wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 7).await;
    assert_eq!(per_zone(&pods, &cluster), [3, 2, 2], "7 tasks over 3 zones");
    assert!(per_node_max(&pods) <= 2, "spread by instance within a zone");

    // Watch independently: the service never has more than 7 live tasks.
    let watcher_ns = ns.name.clone();
    let client = ns.client.clone();
    let max_seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let max = max_seen.clone();
    let watch = tokio::spawn(async move {
        use futures::StreamExt;
        let api: Api<Pod> = Api::namespaced(client, &watcher_ns);
        let mut live: BTreeMap<String, bool> = BTreeMap::new();
        let stream = kube::runtime::watcher(
            api,
            kube::runtime::watcher::Config::default().labels("ecs.operator.dev/service=web"),
        );
        let mut stream = std::pin::pin!(stream);
        while let Some(Ok(event)) = stream.next().await {
            match event {
                kube::runtime::watcher::Event::Apply(p)
                | kube::runtime::watcher::Event::InitApply(p) => {
                    let alive = p.metadata.deletion_timestamp.is_none();
                    live.insert(p.metadata.name.clone().unwrap_or_default(), alive);
                }
                kube::runtime::watcher::Event::Delete(p) => {
                    live.remove(&p.metadata.name.clone().unwrap_or_default());
                }
                _ => {}
            }
            let n = live.values().filter(|a| **a).count();
            max.fetch_max(n, std::sync::atomic::Ordering::SeqCst);
        }
    });

    let pod_api: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    for p in pods.iter().take(2) {
        pod_api
            .delete(
                p.metadata.name.as_deref().unwrap(),
                &DeleteParams::default(),
            )
            .await
            .expect("delete pod");
    }
    let replaced = wait_for_tasks(&ns, "web", WAIT, |p| {
        p.len() == 7
            && p.iter()
                .filter(|x| pods.iter().any(|o| o.metadata.name == x.metadata.name))
                .count()
                == 5
    })
    .await;
    assert_eq!(per_zone(&replaced, &cluster), [3, 2, 2]);
    tokio::time::sleep(Duration::from_millis(500)).await; // let the watch catch the last events
    watch.abort();
    assert!(
        max_seen.load(std::sync::atomic::Ordering::SeqCst) <= 7,
        "never more than 7 live tasks"
    );

    scale(&ns, 3).await;
    let three = wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 3).await;
    assert_eq!(
        per_zone(&three, &cluster),
        [1, 1, 1],
        "scale-in stops tasks from the most crowded zones"
    );

    scale(&ns, 0).await;
    wait_for_tasks(&ns, "web", WAIT, |p| p.is_empty()).await;
    scale(&ns, 4).await;
    wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 4).await;

    let svc = wait_for_object(&ns.api_for("EcsService"), "web", WAIT, |o| {
        o.data["status"]["runningCount"] == json!(4)
            && o.data["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
    })
    .await
    .unwrap();
    let events: Vec<String> = svc.data["status"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        events
            .iter()
            .any(|m| m.starts_with("service web has started 7 tasks: (task ")),
        "{events:?}"
    );
    // Stopped tasks are reported per reconcile; together they cover the two scale-ins.
    let stopped: usize = events
        .iter()
        .filter_map(|m| m.strip_prefix("service web has stopped "))
        .filter_map(|m| m.split(' ').next()?.parse::<usize>().ok())
        .sum();
    assert!(
        stopped >= 7,
        "scale-in 7 -> 3 -> 0 stops at least 7 tasks: {events:?}"
    );
    assert!(
        events
            .iter()
            .any(|m| m == "service web has reached a steady state."),
        "{events:?}"
    );
    assert_eq!(
        svc.data["status"]["selector"],
        "ecs.operator.dev/service=web"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

#[tokio::test]
async fn a_lost_node_is_replaced_and_a_new_node_moves_nothing() {
    ensure_operator().await;
    let ns = TestNamespace::new("svc-nodes").await;
    let mut cluster = TestCluster::new(&ns, 6).await;
    ns.apply_yaml(&manifests(&cluster.name, "  desiredCount: 6"))
        .await
        .expect("apply");
    let pods = wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 6).await;

    let victim = cluster.nodes[0].clone();
    cluster.delete_node(&victim).await;
    let after = wait_for_tasks(&ns, "web", WAIT, |p| {
        p.len() == 6 && p.iter().all(|x| node_of(x) != victim)
    })
    .await;
    let kept = after
        .iter()
        .filter(|x| pods.iter().any(|o| o.metadata.name == x.metadata.name))
        .count();
    assert_eq!(kept, 5, "only the lost node's task was replaced");

    let names: Vec<_> = after.iter().map(|p| p.metadata.name.clone()).collect();
    cluster.add_node("zone-a", &[]).await;
    // Give the operator time to (wrongly) react; the assertion is that nothing moved.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let still = crate::support::live_task_pods(&ns, "web").await;
    let mut now: Vec<_> = still.iter().map(|p| p.metadata.name.clone()).collect();
    let mut before = names;
    now.sort();
    before.sort();
    assert_eq!(
        now, before,
        "a new container instance does not move running tasks"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

#[tokio::test]
async fn unsatisfiable_member_of_reports_and_places_when_a_matching_node_appears() {
    ensure_operator().await;
    let ns = TestNamespace::new("svc-memberof").await;
    let mut cluster = TestCluster::new(&ns, 3).await;
    let spec = "  desiredCount: 2\n  placementConstraints: [{type: memberOf, expression: \"attribute:stack == prod\"}]";
    ns.apply_yaml(&manifests(&cluster.name, spec))
        .await
        .expect("apply");
    let svc = wait_for_object(&ns.api_for("EcsService"), "web", WAIT, |o| {
        o.data["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Degraded" && c["reason"] == "UnableToPlace")
        })
    })
    .await
    .unwrap();
    let events = svc.data["status"]["events"].to_string();
    assert!(events.contains("service web was unable to place a task because no container instance met all of its requirements."), "{events}");
    assert!(
        crate::support::live_task_pods(&ns, "web").await.is_empty(),
        "no Pod without a matching instance"
    );

    let prod = cluster
        .add_node("zone-b", &[("attribute.ecs.operator.dev/stack", "prod")])
        .await;
    let pods = wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 2).await;
    assert!(
        pods.iter().all(|p| node_of(p) == prod),
        "only the prod instance qualifies"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

#[tokio::test]
async fn distinct_instance_places_one_task_per_instance() {
    ensure_operator().await;
    let ns = TestNamespace::new("svc-distinct").await;
    let cluster = TestCluster::new(&ns, 6).await;
    let spec = "  desiredCount: 8\n  placementConstraints: [{type: distinctInstance}]";
    ns.apply_yaml(&manifests(&cluster.name, spec))
        .await
        .expect("apply");
    let pods = wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 6).await;
    assert_eq!(per_node_max(&pods), 1);
    let svc = wait_for_object(&ns.api_for("EcsService"), "web", WAIT, |o| {
        o.data["status"]["events"]
            .to_string()
            .contains("unable to place")
    })
    .await
    .unwrap();
    assert!(
        svc.data["status"]["events"]
            .to_string()
            .contains("DistinctInstance")
            || svc.data["status"]["events"]
                .to_string()
                .contains("unable to place a task")
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        crate::support::live_task_pods(&ns, "web").await.len(),
        6,
        "never a 7th on a used instance"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

#[tokio::test]
async fn services_share_a_cluster_across_namespaces_within_its_allow_list() {
    ensure_operator().await;
    let ns = TestNamespace::new("svc-allow").await;
    let other = TestNamespace::new("svc-allow-other").await;
    let outsider = TestNamespace::new("svc-allow-outsider").await;
    let cluster = TestCluster::new(&ns, 3).await;
    let allow = json!({
        "apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsCluster",
        "metadata": {"name": cluster.name},
        "spec": {"clusterName": cluster.name, "allowedNamespaces": [ns.name, other.name]}
    });
    ns.apply(&allow).await.expect("allow-list");
    for n in [&ns, &other, &outsider] {
        n.apply_yaml(&manifests(&cluster.name, "  desiredCount: 2"))
            .await
            .expect("apply");
    }
    // Two namespaces share the cluster's instances.
    wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 2).await;
    wait_for_tasks(&other, "web", WAIT, |p| p.len() == 2).await;
    // The third is refused, with a condition and no task.
    wait_for_object(&outsider.api_for("EcsService"), "web", WAIT, |o| {
        o.data["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter().any(|c| {
                c["type"] == "Degraded"
                    && c["reason"] == "NamespaceNotAllowed"
                    && c["status"] == "True"
            })
        })
    })
    .await
    .unwrap();
    assert!(
        crate::support::live_task_pods(&outsider, "web")
            .await
            .is_empty()
    );
    // Admitting it lets it run.
    let mut admitted = allow.clone();
    admitted["spec"]["allowedNamespaces"] = json!([ns.name, other.name, outsider.name]);
    ns.apply(&admitted).await.expect("admit");
    wait_for_tasks(&outsider, "web", WAIT, |p| p.len() == 2).await;
    for n in [ns, other, outsider] {
        n.cleanup().await;
    }
    cluster.cleanup().await;
}

/// Deleting an EcsService drains it (DRAINING, tasks stopped, then gone); the EcsCluster is
/// not deleted while a service still uses it (ClusterContainsServicesException).
#[tokio::test]
async fn deleting_drains_the_service_and_the_cluster_waits_for_its_services() {
    ensure_operator().await;
    let ns = TestNamespace::new("svc-delete").await;
    let cluster = TestCluster::new(&ns, 3).await;
    ns.apply_yaml(&manifests(&cluster.name, "  desiredCount: 3"))
        .await
        .expect("apply");
    wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 3).await;

    // The cluster refuses to go while the service exists.
    let clusters = ns.api_for("EcsCluster");
    clusters
        .delete(&cluster.name, &DeleteParams::default())
        .await
        .expect("delete cluster");
    let blocked = wait_for_object(&clusters, &cluster.name, WAIT, |o| {
        o.data["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "DeletionBlocked" && c["status"] == "True")
        })
    })
    .await
    .unwrap();
    let message = blocked.data["status"]["conditions"].to_string();
    assert!(
        message.contains("ClusterContainsServicesException")
            && message.contains(&format!("{}/web", ns.name)),
        "{message}"
    );

    // Deleting the service stops its tasks, then the service and the cluster go.
    let services = ns.api_for("EcsService");
    services
        .delete("web", &DeleteParams::default())
        .await
        .expect("delete service");
    wait_for_tasks(&ns, "web", WAIT, |p| p.is_empty()).await;
    let service_gone = crate::support::poll_until(WAIT, || async {
        services.get_opt("web").await.ok().flatten().is_none()
    })
    .await;
    assert!(service_gone, "the drained service is released");
    let cluster_gone = crate::support::poll_until(WAIT, || async {
        clusters
            .get_opt(&cluster.name)
            .await
            .ok()
            .flatten()
            .is_none()
    })
    .await;
    assert!(
        cluster_gone,
        "the cluster is deleted once it has no services"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// Capacity providers are groups of instances (`ecs.operator.dev/capacity-provider`):
/// `base` tasks go first to the provider with a base, the rest by weight (ECS §6.3); a
/// provider not associated with the cluster is refused.
#[tokio::test]
async fn capacity_provider_strategy_splits_tasks_by_base_and_weight() {
    ensure_operator().await;
    let ns = TestNamespace::new("svc-capacity").await;
    let mut cluster = TestCluster::new(&ns, 0).await;
    let mut on_demand = Vec::new();
    for zone in crate::support::ZONES {
        on_demand.push(
            cluster
                .add_node(zone, &[("ecs.operator.dev/capacity-provider", "on-demand")])
                .await,
        );
        cluster
            .add_node(zone, &[("ecs.operator.dev/capacity-provider", "spot")])
            .await;
    }
    let with_providers = json!({
        "apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": cluster.name},
        "spec": {"clusterName": cluster.name, "capacityProviders": ["on-demand", "spot"]}
    });
    ns.apply(&with_providers).await.expect("cluster providers");
    let spec = "  desiredCount: 6\n  capacityProviderStrategy:\n    - {capacityProvider: on-demand, base: 2, weight: 1}\n    - {capacityProvider: spot, weight: 1}";
    ns.apply_yaml(&manifests(&cluster.name, spec))
        .await
        .expect("apply");
    let pods = wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 6).await;
    let on_demand_tasks = pods
        .iter()
        .filter(|p| on_demand.contains(&node_of(p)))
        .count();
    assert_eq!(
        (on_demand_tasks, 6 - on_demand_tasks),
        (4, 2),
        "base 2 on on-demand, then 1:1"
    );

    // A provider the cluster does not have is an InvalidParameter, and nothing is placed.
    let bad = "  desiredCount: 2\n  capacityProviderStrategy: [{capacityProvider: gpu, weight: 1}]";
    ns.apply_yaml(
        &manifests(&cluster.name, bad)
            .replace("name: web}", "name: gpu}")
            .replace(
                "kind: TaskDefinition\nmetadata: {name: gpu}",
                "kind: TaskDefinition\nmetadata: {name: web}",
            ),
    )
    .await
    .expect("apply");
    let svc = wait_for_object(&ns.api_for("EcsService"), "gpu", WAIT, |o| {
        o.data["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Degraded" && c["reason"] == "InvalidParameter")
        })
    })
    .await
    .unwrap();
    assert!(
        svc.data["status"]["conditions"]
            .to_string()
            .contains("is not associated with the cluster")
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// A service task whose essential container exits is stopped (EssentialContainerExited)
/// and replaced.
#[tokio::test]
async fn an_essential_container_exit_replaces_the_task() {
    ensure_operator().await;
    let ns = TestNamespace::new("svc-exit").await;
    let cluster = TestCluster::new(&ns, 3).await;
    ns.apply_yaml(&manifests(&cluster.name, "  desiredCount: 2"))
        .await
        .expect("apply");
    // Running first: kwok rewrites the status of a Pod that is still Pending.
    let running = |p: &Pod| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
    let pods = wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 2 && p.iter().all(running)).await;
    let victim = pods[0].metadata.name.clone().unwrap();
    let api: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    let exited = json!({"status": {"containerStatuses": [{"name": "web", "image": "nginx:1.27", "imageID": "",
        "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}});
    api.patch_status(&victim, &PatchParams::default(), &Patch::Merge(exited))
        .await
        .expect("container exits");
    wait_for_tasks(&ns, "web", WAIT, |p| {
        p.len() == 2
            && p.iter()
                .all(|x| x.metadata.name.as_deref() != Some(victim.as_str()))
    })
    .await;
    let svc = wait_for_object(&ns.api_for("EcsService"), "web", WAIT, |o| {
        o.data["status"]["events"]
            .to_string()
            .contains("Essential container in task exited")
    })
    .await
    .unwrap();
    assert!(
        svc.data["status"]["events"]
            .to_string()
            .contains("EssentialContainerExited")
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// A container instance whose agent disconnects (node NotReady) gets no new tasks, and once
/// the grace period passes (3 s in tests, `--node-lost-after-seconds`) its service tasks are
/// replaced on the other instances.
#[tokio::test]
async fn tasks_on_a_node_not_ready_past_the_grace_period_are_replaced() {
    ensure_operator().await;
    let ns = TestNamespace::new("svc-notready").await;
    let cluster = TestCluster::new(&ns, 6).await;
    ns.apply_yaml(&manifests(&cluster.name, "  desiredCount: 6"))
        .await
        .expect("apply");
    let pods = wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 6).await;
    let victim = node_of(&pods[0]);
    cluster.disconnect_node(&victim).await;
    let after = wait_for_tasks(&ns, "web", WAIT, |p| {
        p.len() == 6 && p.iter().all(|x| node_of(x) != victim)
    })
    .await;
    let kept = after
        .iter()
        .filter(|x| pods.iter().any(|o| o.metadata.name == x.metadata.name))
        .count();
    assert_eq!(
        kept,
        6 - pods.iter().filter(|p| node_of(p) == victim).count(),
        "only the lost instance's tasks moved"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// A ResourceQuota that admits two Pods: the service runs two of its four tasks and says why
/// it has no more (an ECS "failed to launch a task" event with the apiserver's reason), and
/// starts the other two once the quota allows them.
#[tokio::test]
async fn a_quota_refusal_shows_as_a_failed_launch_and_the_rest_start_once_allowed() {
    ensure_operator().await;
    let ns = TestNamespace::new("svc-quota").await;
    let cluster = TestCluster::new(&ns, 3).await;
    ns.limit_pods(2).await;
    ns.apply_yaml(&manifests(&cluster.name, "  desiredCount: 4"))
        .await
        .expect("apply");
    let svc = wait_for_object(&ns.api_for("EcsService"), "web", WAIT, |o| {
        o.data["status"]["events"]
            .to_string()
            .contains("failed to launch a task")
    })
    .await
    .unwrap();
    let events = svc.data["status"]["events"].to_string();
    assert!(
        events.contains("service web failed to launch a task with (error pods")
            && events.contains("exceeded quota"),
        "{events}"
    );
    wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 2).await;
    ns.limit_pods(4).await;
    wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 4).await;
    ns.cleanup().await;
    cluster.cleanup().await;
}
