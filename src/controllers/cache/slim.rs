//! What the Pod cache keeps of each Pod. The operator watches every Pod in the cluster
//! (placement subtracts everyone's requests), so what it caches per Pod decides its memory:
//! only the fields something in the operator reads are kept, the rest (volumes, env,
//! probes, images, tolerations, conditions, managedFields, foreign annotations…) dropped.
//!
//! Readers of cached Pods: task observation (`tasks::observe`), placement
//! (`placement::kube_adapter`: node, requests, host ports), the EcsTask record (ports,
//! annotations), the controllers (owner, labels, deletion). A new reader of a field not
//! kept here must add it; `slim_pod_keeps_what_the_operator_reads` checks the readers.

use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod, PodSpec, PodStatus};

/// Annotations under this prefix are the operator's own; every other annotation is dropped.
const OUR_ANNOTATIONS: &str = "ecs.operator.dev/";

/// Trims `pod` in place to what the operator reads.
pub fn slim_pod(pod: &mut Pod) {
    let meta = &mut pod.metadata;
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.retain(|k, _| k.starts_with(OUR_ANNOTATIONS));
    }
    if let Some(spec) = pod.spec.as_mut() {
        *spec = PodSpec {
            node_name: spec.node_name.take(),
            containers: std::mem::take(&mut spec.containers)
                .into_iter()
                .map(slim_container)
                .collect(),
            init_containers: spec
                .init_containers
                .take()
                .map(|c| c.into_iter().map(slim_container).collect()),
            host_network: spec.host_network,
            overhead: spec.overhead.take(),
            resources: spec.resources.take(),
            ..Default::default()
        };
    }
    if let Some(status) = pod.status.as_mut() {
        *status = PodStatus {
            phase: status.phase.take(),
            reason: status.reason.take(),
            message: status.message.take(),
            start_time: status.start_time.take(),
            container_statuses: status
                .container_statuses
                .take()
                .map(|s| s.into_iter().map(slim_container_status).collect()),
            ..Default::default()
        };
    }
}

/// Name, requests (placement), ports (host ports, network bindings), restart policy
/// (sidecars count toward requests).
fn slim_container(c: Container) -> Container {
    Container {
        name: c.name,
        resources: c.resources,
        ports: c.ports,
        restart_policy: c.restart_policy,
        ..Default::default()
    }
}

/// Name, state (ECS lastStatus, exit codes, start times), readiness (health checks).
fn slim_container_status(s: ContainerStatus) -> ContainerStatus {
    ContainerStatus {
        name: s.name,
        state: s.state,
        ready: s.ready,
        started: s.started,
        restart_count: s.restart_count,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::kube_adapter::{existing_task, pod_host_ports, pod_requests};
    use crate::tasks::{has_essential_health_check, observe, unknown_window_seconds};
    use serde_json::json;

    /// A task Pod as the apiserver and a kubelet return it: defaults, a service-account
    /// volume, probes, env, conditions, images, a sidecar and host ports.
    fn full_pod(phase: &str, state: serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {
                "name": "web-1", "namespace": "ns", "uid": "p1",
                "labels": {"ecs.operator.dev/service": "web", "ecs.operator.dev/deployment": "d1"},
                "annotations": {
                    "ecs.operator.dev/group": "service:web",
                    "ecs.operator.dev/family": "web",
                    "ecs.operator.dev/essential-containers": "app",
                    "ecs.operator.dev/health-checked-containers": "app",
                    "ecs.operator.dev/health-unknown-window-seconds": "45",
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"big\": true}"
                },
                "ownerReferences": [{"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsService",
                    "name": "web", "uid": "s1", "controller": true}],
                "managedFields": [{"manager": "kubectl", "operation": "Update"}]
            },
            "spec": {
                "nodeName": "node-1", "hostNetwork": false,
                "overhead": {"cpu": "10m"},
                "containers": [
                    {"name": "app", "image": "nginx", "env": [{"name": "A", "value": "1"}],
                     "resources": {"requests": {"cpu": "256m", "memory": "512Mi"}},
                     "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}],
                     "readinessProbe": {"exec": {"command": ["true"]}},
                     "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run"}]},
                    {"name": "log", "image": "fluent", "resources": {"limits": {"cpu": "100m"}}}
                ],
                "initContainers": [
                    {"name": "proxy", "image": "envoy", "restartPolicy": "Always",
                     "resources": {"requests": {"memory": "64Mi"}},
                     "ports": [{"containerPort": 9901, "hostPort": 9901, "protocol": "UDP"}]}
                ],
                "volumes": [{"name": "kube-api-access", "projected": {"sources": []}}],
                "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}]
            },
            "status": {
                "phase": phase, "startTime": "2026-01-01T00:00:00Z", "podIP": "10.0.0.1",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [
                    {"name": "app", "image": "nginx", "imageID": "sha", "containerID": "c1",
                     "ready": true, "restartCount": 0, "started": true, "state": state},
                    {"name": "log", "image": "fluent", "imageID": "sha", "ready": false,
                     "restartCount": 2, "state": {"waiting": {"reason": "ErrImagePull", "message": "no"}}}
                ]
            }
        }))
        .unwrap()
    }

    #[test]
    fn slim_pod_keeps_what_the_operator_reads() {
        let now = "2026-01-01T00:10:00Z".parse().unwrap();
        let states = [
            (
                "Running",
                json!({"running": {"startedAt": "2026-01-01T00:00:05Z"}}),
            ),
            (
                "Failed",
                json!({"terminated": {"exitCode": 3, "reason": "Error",
                    "startedAt": "2026-01-01T00:00:05Z", "finishedAt": "2026-01-01T00:01:00Z"}}),
            ),
            (
                "Pending",
                json!({"waiting": {"reason": "ContainerCreating"}}),
            ),
        ];
        for (phase, state) in states {
            let full = full_pod(phase, state);
            let mut slim = full.clone();
            slim_pod(&mut slim);
            assert_eq!(observe(&slim, now), observe(&full, now), "{phase}");
            assert_eq!(existing_task(&slim), existing_task(&full), "{phase}");
            assert_eq!(pod_requests(&slim), pod_requests(&full));
            assert_eq!(pod_host_ports(&slim), pod_host_ports(&full));
            assert_eq!(
                has_essential_health_check(&slim),
                has_essential_health_check(&full)
            );
            assert_eq!(unknown_window_seconds(&slim), unknown_window_seconds(&full));
            assert_eq!(
                slim.metadata.owner_references,
                full.metadata.owner_references
            );
            assert_eq!(slim.metadata.labels, full.metadata.labels);
        }
    }

    #[test]
    fn slim_pod_drops_what_nothing_reads() {
        let mut pod = full_pod("Running", json!({"running": {}}));
        slim_pod(&mut pod);
        let text = serde_json::to_string(&pod).unwrap();
        for gone in [
            "last-applied",
            "managedFields",
            "env",
            "readinessProbe",
            "volumes",
            "tolerations",
            "\"sha\"",
            "podIP",
            "conditions",
            "nginx",
        ] {
            assert!(!text.contains(gone), "{gone} kept: {text}");
        }
    }
}
