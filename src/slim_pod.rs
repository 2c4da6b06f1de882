//! The Pod as the operator caches it. The operator watches every Pod in the cluster
//! (placement subtracts everyone's requests), so what it keeps per Pod decides its memory:
//! k8s-openapi's `Pod` is ~5 KB of struct before any content (PodSpec 1.4 KB and Container
//! 2.1 KB inline), and each watch event deserialized whole. `SlimPod` has the same shape and
//! field names as `Pod` but only the fields something in the operator reads; the watch
//! deserializes straight into it (serde skips the rest without allocating).
//!
//! Readers: task observation (`tasks::observe`), placement (`placement::kube_adapter`: node,
//! requests, host ports), the EcsTask record (ports, annotations), the controllers (owner,
//! labels, deletion). A reader that needs another field adds it here.
//!
//! Labels and annotations are not in `metadata` (its maps are always empty here): only the
//! operator's own keys are kept, interned, in [`SlimPod::label`] / [`SlimPod::annotation`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, ContainerState, ContainerStatus, Pod, PodSpec, PodStatus,
    ResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::Resource;
use serde::Deserialize;

use crate::interned::{Pair, intern, intern_pairs};
use crate::labels::{KEY_PREFIX, TASK_ARN_ANNOTATION, TASK_ID_ANNOTATION};
use crate::placement::kube_adapter::requests_of;
use crate::wire_meta::WireMeta;

/// The Pod as the watch delivers it (metadata without managed fields, containers with their
/// resources); every `SlimPod` is made from one by `From`, so no cached Pod keeps what the
/// conversion folds or drops.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePod {
    #[serde(default)]
    metadata: WireMeta,
    spec: Option<WirePodSpec>,
    status: Option<SlimPodStatus>,
}

/// A Pod spec with what its requests are computed from; the cached `SlimPodSpec` keeps only
/// the result (`SlimPod::requests`).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePodSpec {
    node_name: Option<String>,
    #[serde(default)]
    containers: Vec<WireContainer>,
    init_containers: Option<Vec<WireContainer>>,
    host_network: Option<bool>,
    overhead: Option<BTreeMap<String, Quantity>>,
    resources: Option<ResourceRequirements>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireContainer {
    name: String,
    resources: Option<ResourceRequirements>,
    ports: Option<Vec<ContainerPort>>,
    restart_policy: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(from = "WirePod")]
pub struct SlimPod {
    /// Without labels, annotations and managed fields (see `labels` / `annotations`).
    pub metadata: ObjectMeta,
    pub spec: Option<SlimPodSpec>,
    pub status: Option<SlimPodStatus>,
    /// The Pod's effective requests (millicores, bytes), computed from the containers' and
    /// the Pod's resources when it is read, which are then dropped: placement reads every Pod
    /// of the cluster at every round, and re-reading the quantity maps was 14% of the
    /// operator's CPU while it replaced 1,000 tasks of 10,000 (perf); the maps were ~1 KB of
    /// each cached Pod, and their empty fields ~170 bytes once dropped.
    pub requests: (u64, u64),
    /// The labels and annotations under `ecs.operator.dev/`, the only ones the operator
    /// reads. As `BTreeMap`s of `String`s a task Pod's six labels and seven annotations were
    /// 1.7 KB in 27 allocations, 70% of each cached Pod; interned slices are ~0.5 KB in 4.
    labels: Tags,
    annotations: Tags,
}

/// Keys whose values are one task's own: kept by that Pod alone, neither in a shared list nor
/// in the string pool (which would hold one entry per task).
const PER_TASK_KEYS: [&str; 2] = [TASK_ID_ANNOTATION, TASK_ARN_ANNOTATION];

/// Keys and values under the operator's prefix, each part sorted by key. What every task of
/// a deployment repeats is one shared list: a task Pod's labels and annotations were ~0.5 KB
/// of interned pairs per Pod (heaptrack, 10,000 Pods: 4.9 MB), nearly all the same.
#[derive(Clone, Debug, Default, PartialEq)]
struct Tags {
    shared: Arc<[Pair]>,
    own: Box<[Pair]>,
}

impl Tags {
    fn ours(map: Option<BTreeMap<String, String>>) -> Tags {
        // A BTreeMap iterates in key order: both parts are sorted for `get`.
        let (own, shared): (Vec<_>, Vec<_>) = map
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.starts_with(KEY_PREFIX))
            .partition(|(k, _)| PER_TASK_KEYS.contains(&k.as_str()));
        let shared: Vec<Pair> = shared
            .into_iter()
            .map(|(k, v)| (intern(&k), intern(&v)))
            .collect();
        Tags {
            shared: intern_pairs(&shared),
            own: own
                .into_iter()
                .map(|(k, v)| (intern(&k), Arc::from(v)))
                .collect(),
        }
    }

    fn get(&self, key: &str) -> Option<&Arc<str>> {
        let find = |pairs: &'_ [Pair]| pairs.binary_search_by(|(k, _)| (**k).cmp(key)).ok();
        if let Some(at) = find(&self.shared) {
            return Some(&self.shared[at].1);
        }
        find(&self.own).map(|at| &self.own[at].1)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlimPodSpec {
    pub node_name: Option<String>,
    pub containers: Vec<SlimContainer>,
    pub init_containers: Option<Vec<SlimContainer>>,
    pub host_network: Option<bool>,
}

/// Name, ports (host ports, network bindings), restart policy (a sidecar's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlimContainer {
    pub name: String,
    pub ports: Option<Vec<ContainerPort>>,
    pub restart_policy: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SlimPodStatus {
    pub phase: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub start_time: Option<Time>,
    pub container_statuses: Option<Vec<SlimContainerStatus>>,
}

/// Name, state (ECS lastStatus, exit codes, start times), readiness (health checks).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SlimContainerStatus {
    pub name: String,
    pub state: Option<ContainerState>,
    #[serde(default)]
    pub ready: bool,
    pub started: Option<bool>,
    #[serde(default)]
    pub restart_count: i32,
}

impl SlimPod {
    /// The label `key` (one under `ecs.operator.dev/`; others are not kept).
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(|v| &**v)
    }

    /// The annotation `key` (one under `ecs.operator.dev/`; others are not kept).
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(|v| &**v)
    }

    /// The annotation `key`, else the label `key`, if not empty: the shared copy (placement
    /// snapshots hold one per task).
    pub fn annotation_or_label(&self, key: &str) -> Option<&Arc<str>> {
        self.annotations
            .get(key)
            .or_else(|| self.labels.get(key))
            .filter(|v| !v.is_empty())
    }

    /// The cached Pod: requests folded from the spec's resources, only our labels and
    /// annotations (interned `Tags`), no spare list capacity.
    fn trimmed(
        metadata: ObjectMeta,
        spec: Option<WirePodSpec>,
        status: Option<SlimPodStatus>,
    ) -> SlimPod {
        let requests = spec.as_ref().map_or((0, 0), |s| {
            let sidecar = |c: &WireContainer| c.restart_policy.as_deref() == Some("Always");
            requests_of(
                s.overhead.as_ref(),
                s.resources.as_ref(),
                s.containers.iter().map(|c| c.resources.as_ref()),
                s.init_containers
                    .iter()
                    .flatten()
                    .map(|c| (c.resources.as_ref(), sidecar(c))),
            )
        });
        let mut slim = SlimPod {
            metadata,
            spec: spec.map(SlimPodSpec::from),
            status,
            requests,
            ..SlimPod::default()
        };
        slim.trim();
        slim
    }

    /// Drops the metadata the cache does not read (labels and annotations move to the
    /// interned `Tags`).
    fn trim(&mut self) {
        self.metadata.managed_fields = None;
        if self.metadata.labels.is_some() {
            self.labels = Tags::ours(self.metadata.labels.take());
        }
        if self.metadata.annotations.is_some() {
            self.annotations = Tags::ours(self.metadata.annotations.take());
        }
        self.shrink();
    }

    /// Gives back the spare capacity deserialization leaves: a JSON array carries no length,
    /// so a one-element list is read into a Vec with room for four (a cached Pod's container,
    /// status and owner lists held ~1 KB of it; heaptrack, 10,000 Pods: 20 MB against 11 MB
    /// for the same Pods copied).
    fn shrink(&mut self) {
        let meta = &mut self.metadata;
        meta.owner_references
            .iter_mut()
            .for_each(Vec::shrink_to_fit);
        meta.finalizers.iter_mut().for_each(Vec::shrink_to_fit);
        if let Some(spec) = self.spec.as_mut() {
            spec.containers.shrink_to_fit();
            spec.init_containers.iter_mut().for_each(Vec::shrink_to_fit);
            for c in spec
                .containers
                .iter_mut()
                .chain(spec.init_containers.iter_mut().flatten())
            {
                c.ports.iter_mut().for_each(Vec::shrink_to_fit);
            }
        }
        if let Some(status) = self.status.as_mut() {
            status
                .container_statuses
                .iter_mut()
                .for_each(Vec::shrink_to_fit);
        }
    }
}

impl From<WirePod> for SlimPod {
    fn from(wire: WirePod) -> Self {
        SlimPod::trimmed(wire.metadata.into(), wire.spec, wire.status)
    }
}

impl Resource for SlimPod {
    type DynamicType = ();
    type Scope = k8s_openapi::NamespaceResourceScope;

    fn kind(dt: &()) -> Cow<'_, str> {
        Pod::kind(dt)
    }
    fn group(dt: &()) -> Cow<'_, str> {
        Pod::group(dt)
    }
    fn version(dt: &()) -> Cow<'_, str> {
        Pod::version(dt)
    }
    fn plural(dt: &()) -> Cow<'_, str> {
        Pod::plural(dt)
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl From<Pod> for SlimPod {
    fn from(pod: Pod) -> Self {
        SlimPod::trimmed(
            pod.metadata,
            pod.spec.map(WirePodSpec::from),
            pod.status.map(SlimPodStatus::from),
        )
    }
}

impl From<PodSpec> for WirePodSpec {
    fn from(spec: PodSpec) -> Self {
        Self {
            node_name: spec.node_name,
            containers: convert_all(spec.containers),
            init_containers: spec.init_containers.map(convert_all),
            host_network: spec.host_network,
            overhead: spec.overhead,
            resources: spec.resources,
        }
    }
}

impl From<WirePodSpec> for SlimPodSpec {
    fn from(spec: WirePodSpec) -> Self {
        Self {
            node_name: spec.node_name,
            containers: convert_all(spec.containers),
            init_containers: spec.init_containers.map(convert_all),
            host_network: spec.host_network,
        }
    }
}

/// Converts into a Vec of exactly the needed size. `into_iter().map().collect()` would reuse
/// the source's allocation in place, and a Vec<Container> (~2 KB per element) kept as the
/// buffer of a Vec<SlimContainer> cost ~1.9 KB per expected task: 20 MB of a 10,000-task
/// scale-up's heap (heaptrack).
fn convert_all<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    let mut out = Vec::with_capacity(items.len());
    out.extend(items.into_iter().map(U::from));
    out
}

impl From<Container> for WireContainer {
    fn from(c: Container) -> Self {
        Self {
            name: c.name,
            resources: c.resources,
            ports: c.ports,
            restart_policy: c.restart_policy,
        }
    }
}

impl From<WireContainer> for SlimContainer {
    fn from(c: WireContainer) -> Self {
        Self {
            name: c.name,
            ports: c.ports,
            restart_policy: c.restart_policy,
        }
    }
}

impl From<PodStatus> for SlimPodStatus {
    fn from(s: PodStatus) -> Self {
        Self {
            phase: s.phase,
            reason: s.reason,
            message: s.message,
            start_time: s.start_time,
            container_statuses: s.container_statuses.map(convert_all),
        }
    }
}

impl From<ContainerStatus> for SlimContainerStatus {
    fn from(s: ContainerStatus) -> Self {
        Self {
            name: s.name,
            state: s.state,
            ready: s.ready,
            started: s.started,
            restart_count: s.restart_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A task Pod as the apiserver and a kubelet return it: defaults, a service-account
    /// volume, probes, env, conditions, images, a sidecar and host ports.
    fn full_pod_json() -> serde_json::Value {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": "web-1", "namespace": "ns", "uid": "p1",
                "labels": {"ecs.operator.dev/service": "web", "app": "web", "ecs.operator.dev/cluster": "c"},
                "annotations": {
                    "ecs.operator.dev/group": "service:web",
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"big\": true}"
                },
                "ownerReferences": [{"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsService",
                    "name": "web", "uid": "s1", "controller": true}],
                "managedFields": [{"manager": "kubectl", "operation": "Update"}]
            },
            "spec": {
                "nodeName": "node-1", "hostNetwork": false, "overhead": {"cpu": "10m"},
                "containers": [
                    {"name": "app", "image": "nginx", "env": [{"name": "A", "value": "1"}],
                     "resources": {"requests": {"cpu": "256m", "memory": "512Mi"}},
                     "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}],
                     "readinessProbe": {"exec": {"command": ["true"]}}}
                ],
                "initContainers": [
                    {"name": "proxy", "image": "envoy", "restartPolicy": "Always",
                     "resources": {"requests": {"memory": "64Mi"}}}
                ],
                "volumes": [{"name": "kube-api-access", "projected": {"sources": []}}],
                "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}]
            },
            "status": {
                "phase": "Running", "startTime": "2026-01-01T00:00:00Z", "podIP": "10.0.0.1",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [
                    {"name": "app", "image": "nginx", "imageID": "sha", "containerID": "c1",
                     "ready": true, "restartCount": 1, "started": true,
                     "state": {"running": {"startedAt": "2026-01-01T00:00:05Z"}}}
                ]
            }
        })
    }

    #[test]
    fn deserializing_the_watch_json_and_converting_a_pod_agree() {
        let from_json: SlimPod = serde_json::from_value(full_pod_json()).unwrap();
        let pod: Pod = serde_json::from_value(full_pod_json()).unwrap();
        assert_eq!(from_json, SlimPod::from(pod));
    }

    #[test]
    fn a_deserialized_pod_keeps_no_spare_capacity() {
        // From text, as the watch reads it (a `Value` knows its arrays' lengths).
        let pod: SlimPod = serde_json::from_str(&full_pod_json().to_string()).unwrap();
        let spec = pod.spec.as_ref().unwrap();
        let owners = pod.metadata.owner_references.as_ref().unwrap();
        let statuses = pod
            .status
            .as_ref()
            .unwrap()
            .container_statuses
            .as_ref()
            .unwrap();
        let ports = spec.containers[0].ports.as_ref().unwrap();
        assert_eq!(spec.containers.capacity(), spec.containers.len());
        assert_eq!(owners.capacity(), owners.len());
        assert_eq!(statuses.capacity(), statuses.len());
        assert_eq!(ports.capacity(), ports.len());
    }

    #[test]
    fn tasks_of_one_deployment_share_their_labels_and_keep_their_own_ids() {
        let task = |id: &str| -> SlimPod {
            let mut json = full_pod_json();
            json["metadata"]["annotations"]["ecs.operator.dev/task-id"] = json!(id);
            json["metadata"]["annotations"]["ecs.operator.dev/task-arn"] =
                json!(format!("arn:aws:ecs:us-east-1:1:task/c/{id}"));
            serde_json::from_value(json).unwrap()
        };
        let (a, b) = (task("t1"), task("t2"));
        assert!(Arc::ptr_eq(&a.labels.shared, &b.labels.shared));
        assert!(Arc::ptr_eq(&a.annotations.shared, &b.annotations.shared));
        assert_eq!(a.annotation("ecs.operator.dev/task-id"), Some("t1"));
        assert_eq!(b.annotation("ecs.operator.dev/task-id"), Some("t2"));
        assert_eq!(
            b.annotation("ecs.operator.dev/task-arn"),
            Some("arn:aws:ecs:us-east-1:1:task/c/t2")
        );
        assert_eq!(a.annotation("ecs.operator.dev/group"), Some("service:web"));
        assert_eq!(a.label("ecs.operator.dev/service"), Some("web"));
        assert_eq!(a.label("app"), None);
    }

    #[test]
    fn keeps_what_the_operator_reads_and_drops_the_rest() {
        let pod = SlimPod::from(serde_json::from_value::<Pod>(full_pod_json()).unwrap());
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.node_name.as_deref(), Some("node-1"));
        assert_eq!(
            spec.containers[0].ports.as_ref().unwrap()[0].host_port,
            Some(8080)
        );
        // 256m + the sidecar's 0 + 10m overhead; 512Mi + 64Mi; the maps themselves are dropped.
        assert_eq!(pod.requests, (266, 576 * 1024 * 1024));
        assert_eq!(
            crate::placement::kube_adapter::pod_requests(&pod),
            (266, 576 << 20)
        );
        let init = &spec.init_containers.as_ref().unwrap()[0];
        assert_eq!(init.restart_policy.as_deref(), Some("Always"));
        let status = pod.status.as_ref().unwrap();
        let c = &status.container_statuses.as_ref().unwrap()[0];
        assert!(c.ready && c.restart_count == 1 && c.state.as_ref().unwrap().running.is_some());
        assert_eq!(
            pod.annotation("ecs.operator.dev/group"),
            Some("service:web")
        );
        assert_eq!(pod.label("ecs.operator.dev/service"), Some("web"));
        assert_eq!(pod.label("ecs.operator.dev/zzz"), None);
        assert_eq!(pod.label("app"), None, "only our keys are kept");
        let kept: Vec<&str> = pod
            .annotations
            .shared
            .iter()
            .chain(pod.annotations.own.iter())
            .map(|(k, _)| &**k)
            .collect();
        assert_eq!(kept, ["ecs.operator.dev/group"]);
        assert!(pod.metadata.labels.is_none() && pod.metadata.annotations.is_none());
        assert!(pod.metadata.managed_fields.is_none());
        assert_eq!(pod.metadata.owner_references.as_ref().unwrap()[0].uid, "s1");
    }
}
