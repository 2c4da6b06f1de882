use super::*;
use crate::placement::kube_adapter::{AdapterOptions, container_instance};
use serde_json::json;

/// A kwok Node as the API server sends it, with what the cache drops.
fn kwok_node_json() -> serde_json::Value {
    json!({
        "metadata": {
            "name": "n1", "creationTimestamp": "2026-01-01T00:00:00Z", "resourceVersion": "7",
            "labels": {"ecs.operator.dev/cluster": "c", "topology.kubernetes.io/zone": "a"},
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "managedFields": [{"manager": "kwok", "operation": "Update", "apiVersion": "v1",
                "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:conditions": {}}}}]
        },
        "spec": {"providerID": "aws:///a/i-0abc", "unschedulable": true, "podCIDRs": ["10.0.0.0/24"]},
        "status": {
            "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "110"},
            "capacity": {"cpu": "64", "memory": "256Gi", "pods": "110"},
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "images": [{"names": ["nginx"], "sizeBytes": 1}],
            "nodeInfo": {"kubeletVersion": "v1.33.1", "architecture": "amd64", "bootID": "",
                "containerRuntimeVersion": "", "kernelVersion": "", "kubeProxyVersion": "",
                "machineID": "", "operatingSystem": "linux", "osImage": "", "systemUUID": ""},
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
                    "lastHeartbeatTime": "2026-01-01T00:01:00Z",
                    "lastTransitionTime": "2026-01-01T00:00:00Z"},
                {"type": "Ready", "status": "False", "reason": "KubeletNotReady",
                    "message": "long text", "lastHeartbeatTime": "2026-01-01T00:01:00Z",
                    "lastTransitionTime": "2026-01-01T00:00:30Z"}
            ]
        }
    })
}

#[test]
fn the_wire_node_keeps_what_placement_and_classification_read() {
    let node: SlimNode = serde_json::from_value(kwok_node_json()).unwrap();
    assert_eq!(node.metadata.name.as_deref(), Some("n1"));
    assert_eq!(node.metadata.resource_version.as_deref(), Some("7"));
    assert_eq!(node.metadata.labels.as_ref().unwrap().len(), 2);
    assert!(node.metadata.annotations.is_none() && node.metadata.managed_fields.is_none());
    let spec = node.spec.as_ref().unwrap();
    assert_eq!(spec.provider_id.as_deref(), Some("aws:///a/i-0abc"));
    assert!(node.is_cordoned());
    let status = node.status.as_ref().unwrap();
    assert_eq!(status.allocatable.as_ref().unwrap()["cpu"].0, "64");
    assert_eq!(
        status.node_info.as_ref().unwrap().kubelet_version,
        "v1.33.1"
    );
    let ready = node.ready().unwrap();
    assert_eq!(
        (ready.type_.as_str(), ready.status.as_str()),
        ("Ready", "False")
    );
    assert!(ready.last_transition_time.is_some());
    assert!(!node.is_ready());
}

#[test]
fn a_k8s_node_converts_to_the_same_slim_node_as_the_wire_gives() {
    let whole: Node = serde_json::from_value(kwok_node_json()).unwrap();
    let wire: SlimNode = serde_json::from_value(kwok_node_json()).unwrap();
    let converted = SlimNode::from(whole);
    assert_eq!(converted, wire);
    let options = AdapterOptions::default();
    assert_eq!(
        container_instance(&converted, &[], &options),
        container_instance(&wire, &[], &options)
    );
}

#[test]
fn heartbeats_leave_the_cached_node_unchanged() {
    let a: SlimNode = serde_json::from_value(kwok_node_json()).unwrap();
    let mut later = kwok_node_json();
    for c in later["status"]["conditions"].as_array_mut().unwrap() {
        c["lastHeartbeatTime"] = json!("2026-01-01T00:05:00Z");
    }
    let b: SlimNode = serde_json::from_value(later).unwrap();
    assert_eq!(a, b);
}
