//! What the Node cache keeps. Readers: placement (labels, cordon, provider id, allocatable or
//! capacity, the Ready condition, the kubelet version, creation time), task classification
//! (Ready and its transition time) and the cluster status (labels). Images, addresses,
//! volumes, annotations and condition texts are dropped: a kwok Node is ~3.5 KB cached whole,
//! and its heartbeats change only what is dropped.

use k8s_openapi::api::core::v1::{Node, NodeSystemInfo};

pub fn trim_node(node: &mut Node) {
    node.metadata.annotations = None;
    node.metadata.managed_fields = None;
    if let Some(spec) = node.spec.as_mut() {
        spec.config_source = None;
        spec.pod_cidrs = None;
    }
    if let Some(status) = node.status.as_mut() {
        status.addresses = None;
        status.config = None;
        status.daemon_endpoints = None;
        status.features = None;
        status.images = None;
        status.runtime_handlers = None;
        status.volumes_attached = None;
        status.volumes_in_use = None;
        if let Some(info) = status.node_info.as_mut() {
            *info = NodeSystemInfo {
                kubelet_version: std::mem::take(&mut info.kubelet_version),
                ..NodeSystemInfo::default()
            };
        }
        for c in status.conditions.iter_mut().flatten() {
            c.last_heartbeat_time = None;
            c.message = None;
            c.reason = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::kube_adapter::{AdapterOptions, container_instance};
    use serde_json::json;

    fn kwok_node() -> Node {
        serde_json::from_value(json!({
            "metadata": {
                "name": "n1", "creationTimestamp": "2026-01-01T00:00:00Z",
                "labels": {"ecs.operator.dev/cluster": "c", "topology.kubernetes.io/zone": "a"},
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"}
            },
            "spec": {"providerID": "aws:///a/i-0abc", "unschedulable": true, "podCIDRs": ["10.0.0.0/24"]},
            "status": {
                "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "110"},
                "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "images": [{"names": ["nginx"], "sizeBytes": 1}],
                "nodeInfo": {"kubeletVersion": "v1.33.1", "architecture": "amd64", "bootID": "",
                    "containerRuntimeVersion": "", "kernelVersion": "", "kubeProxyVersion": "",
                    "machineID": "", "operatingSystem": "linux", "osImage": "", "systemUUID": ""},
                "conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady",
                    "message": "long text", "lastHeartbeatTime": "2026-01-01T00:01:00Z",
                    "lastTransitionTime": "2026-01-01T00:00:30Z"}]
            }
        }))
        .unwrap()
    }

    #[test]
    fn placement_sees_the_same_instance_after_trimming() {
        let whole = kwok_node();
        let mut trimmed = whole.clone();
        trim_node(&mut trimmed);
        let options = AdapterOptions::default();
        assert_eq!(
            container_instance(&trimmed, &[], &options),
            container_instance(&whole, &[], &options)
        );
        let status = trimmed.status.as_ref().unwrap();
        assert!(status.images.is_none() && status.addresses.is_none());
        assert!(trimmed.metadata.annotations.is_none());
        let ready = &status.conditions.as_ref().unwrap()[0];
        assert_eq!(ready.status, "False");
        assert!(ready.last_transition_time.is_some() && ready.message.is_none());
    }

    #[test]
    fn heartbeats_leave_the_trimmed_node_unchanged() {
        let mut a = kwok_node();
        let mut b = kwok_node();
        if let Some(c) = b.status.as_mut().and_then(|s| s.conditions.as_mut()) {
            c[0].last_heartbeat_time =
                Some(serde_json::from_value(json!("2026-01-01T00:05:00Z")).unwrap());
        }
        trim_node(&mut a);
        trim_node(&mut b);
        assert_eq!(a, b);
    }
}
