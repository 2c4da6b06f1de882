//! Adapter tests on Node/Pod objects written as JSON, as the API server would return them.

use serde_json::json;

use super::*;
use crate::placement::{FailureReason, PlacementRequest};

fn node(name: &str, extra: serde_json::Value) -> SlimNode {
    let mut base = json!({
        "metadata": {
            "name": name,
            "creationTimestamp": "2024-01-02T03:04:05Z",
            "labels": {
                "ecs.operator.dev/cluster": "prod",
                "topology.kubernetes.io/zone": "us-east-1a",
                "node.kubernetes.io/instance-type": "m5.large",
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "attribute.ecs.operator.dev/stack": "blue"
            }
        },
        "spec": {"providerID": "aws:///us-east-1a/i-0123456789abcdef0"},
        "status": {
            "allocatable": {"cpu": "3900m", "memory": "7Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}],
            "nodeInfo": {
                "architecture": "amd64", "bootID": "", "containerRuntimeVersion": "",
                "kernelVersion": "", "kubeProxyVersion": "", "kubeletVersion": "v1.33.1",
                "machineID": "", "operatingSystem": "linux", "osImage": "", "systemUUID": ""
            }
        }
    });
    merge(&mut base, extra);
    serde_json::from_value(base).expect("node json")
}

fn pod(name: &str, node: &str, extra: serde_json::Value) -> crate::slim_pod::SlimPod {
    let mut base = json!({
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "nodeName": node,
            "containers": [{
                "name": "app",
                "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}
            }]
        },
        "status": {"phase": "Running"}
    });
    merge(&mut base, extra);
    serde_json::from_value(base).expect("pod json")
}

fn merge(base: &mut serde_json::Value, extra: serde_json::Value) {
    match (base, extra) {
        (serde_json::Value::Object(b), serde_json::Value::Object(e)) => {
            for (k, v) in e {
                merge(b.entry(k).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, e) => *b = e,
    }
}

#[test]
fn node_maps_to_container_instance() {
    let n = node("node-1", json!({}));
    let instance = container_instance(&n, &[], &AdapterOptions::default());
    assert_eq!(instance.id, "node-1");
    assert_eq!(
        instance.ec2_instance_id.as_deref(),
        Some("i-0123456789abcdef0")
    );
    // 3900m → floor(3900 × 1024 / 1000) = 3993 units; 7 GiB = 7168 MiB.
    assert_eq!(instance.registered, Resources::new(3993, 7168));
    assert_eq!(instance.remaining, instance.registered);
    assert_eq!(instance.status, InstanceStatus::Active);
    assert!(instance.agent_connected);
    assert_eq!(instance.agent_version.as_deref(), Some("1.33.1"));
    assert_eq!(instance.registered_at, Some(1_704_164_645));
    let attrs = &instance.attributes;
    assert_eq!(attrs["ecs.availability-zone"], "us-east-1a");
    assert_eq!(attrs["ecs.instance-type"], "m5.large");
    assert_eq!(attrs["ecs.os-type"], "linux");
    assert_eq!(attrs["ecs.os-family"], "LINUX");
    assert_eq!(attrs["ecs.cpu-architecture"], "x86_64");
    assert_eq!(attrs["stack"], "blue");
    for port in ECS_DEFAULT_RESERVED_TCP_PORTS {
        assert!(instance.ports_in_use.contains(HostPort::tcp(port)));
    }
}

#[test]
fn status_from_cordon_label_and_readiness() {
    let cordoned = node("n", json!({"spec": {"unschedulable": true}}));
    let labeled = node(
        "n",
        json!({"metadata": {"labels": {"ecs.operator.dev/instance-status": "DRAINING"}}}),
    );
    let not_ready = node(
        "n",
        json!({"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}),
    );
    let opts = AdapterOptions::default();
    assert_eq!(
        container_instance(&cordoned, &[], &opts).status,
        InstanceStatus::Draining
    );
    assert_eq!(
        container_instance(&labeled, &[], &opts).status,
        InstanceStatus::Draining
    );
    let disconnected = container_instance(&not_ready, &[], &opts);
    assert_eq!(disconnected.status, InstanceStatus::Active);
    assert!(!disconnected.agent_connected);
}

#[test]
fn remaining_subtracts_every_non_terminal_pod_and_collects_ports() {
    let n = node("node-1", json!({}));
    let ours = pod(
        "web-1",
        "node-1",
        json!({
            "metadata": {"annotations": {"ecs.operator.dev/group": "service:web"},
                         "labels": {"ecs.operator.dev/family": "web"}},
            "spec": {"containers": [{
                "name": "app",
                "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}},
                "ports": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 53, "hostPort": 53, "protocol": "UDP"}]
            }]}
        }),
    );
    let foreign = pod(
        "kube-proxy",
        "node-1",
        json!({"spec": {"hostNetwork": true, "containers": [{
            "name": "proxy",
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
            "ports": [{"containerPort": 10256}]
        }]}}),
    );
    let finished = pod("job", "node-1", json!({"status": {"phase": "Succeeded"}}));
    let elsewhere = pod("other", "node-2", json!({}));
    let snapshot = snapshot_from_cluster(
        "prod",
        [&n],
        [&ours, &foreign, &finished, &elsewhere],
        &AdapterOptions::default(),
    );
    let instance = snapshot.instance("node-1").unwrap();
    // cpu: 100m → ceil(102.4) = 103 units; 1000m → 1024 units. memory: 100 + 1024 MiB.
    assert_eq!(
        instance.remaining,
        Resources::new(3993 - 103 - 1024, 7168 - 100 - 1024)
    );
    assert!(instance.ports_in_use.contains(HostPort::tcp(8080)));
    assert!(instance.ports_in_use.contains(HostPort::udp(53)));
    assert!(instance.ports_in_use.contains(HostPort::tcp(10256)));
    let tasks: Vec<_> = snapshot.tasks().collect();
    assert_eq!(tasks.len(), 1);
    assert_eq!(&*tasks[0].id, "default/web-1");
    assert_eq!(&*tasks[0].group, "service:web");
    assert_eq!(tasks[0].family.as_deref(), Some("web"));
    assert_eq!(tasks[0].reservation, Resources::new(103, 100));
    assert_eq!(snapshot.running_tasks_count("node-1"), Some(1));
}

#[test]
fn terminating_pods_hold_resources_but_are_not_tasks() {
    let n = node("node-1", json!({}));
    let leaving = pod(
        "web-1",
        "node-1",
        json!({"metadata": {"deletionTimestamp": "2024-01-02T03:04:05Z",
                            "annotations": {"ecs.operator.dev/group": "service:web"}}}),
    );
    let snapshot = snapshot_from_cluster("prod", [&n], [&leaving], &AdapterOptions::default());
    assert_eq!(snapshot.tasks().count(), 0);
    assert_eq!(
        snapshot.instance("node-1").unwrap().remaining.memory,
        7168 - 256
    );
}

#[test]
fn only_nodes_of_the_cluster_are_instances() {
    let ours = node("a", json!({}));
    let other = node(
        "b",
        json!({"metadata": {"labels": {"ecs.operator.dev/cluster": "dev"}}}),
    );
    let snapshot = snapshot_from_cluster("prod", [&ours, &other], [], &AdapterOptions::default());
    assert_eq!(snapshot.len(), 1);
    assert!(snapshot.instance("b").is_none());
}

#[test]
fn effective_pod_requests_follow_the_kubernetes_rules() {
    let p = pod(
        "p",
        "n",
        json!({"spec": {
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}},
                {"name": "b", "resources": {"requests": {"cpu": "200m"}, "limits": {"memory": "32Mi"}}}
            ],
            "initContainers": [
                {"name": "sidecar", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m", "memory": "16Mi"}}},
                {"name": "migrate", "resources": {"requests": {"cpu": "2", "memory": "10Mi"}}}
            ],
            "overhead": {"cpu": "10m", "memory": "1Mi"}
        }}),
    );
    let (millis, bytes) = pod_requests(&p);
    // cpu: max(100 + 200 + 50, 2000 + 50) + 10; memory: max(64 + 32 + 16, 10 + 16) + 1 MiB.
    assert_eq!(millis, 2060);
    assert_eq!(bytes, 113 * MIB);
    let pod_level = pod(
        "p",
        "n",
        json!({"spec": {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}}),
    );
    assert_eq!(pod_requests(&pod_level), (1000, 1024 * MIB));
}

#[test]
fn snapshot_feeds_the_engine() {
    let small = node(
        "small",
        json!({"status": {"allocatable": {"cpu": "1", "memory": "1Gi"}}}),
    );
    let snapshot = snapshot_from_cluster("prod", [&small], [], &AdapterOptions::default());
    let request = PlacementRequest::service("web").with_reservation(Resources::new(256, 2048));
    let outcome = snapshot.place(&request).unwrap();
    let failure = outcome.failure.unwrap();
    assert_eq!(
        failure.closest.unwrap().reason,
        FailureReason::ResourceMemory
    );
}

#[test]
fn provider_ids() {
    assert_eq!(
        ec2_instance_id_from_provider_id("aws:///us-east-1a/i-0abc").as_deref(),
        Some("i-0abc")
    );
    assert_eq!(
        ec2_instance_id_from_provider_id("kind://docker/kind/node"),
        None
    );
    assert_eq!(ec2_instance_id_from_provider_id("aws:///zone/"), None);
}
