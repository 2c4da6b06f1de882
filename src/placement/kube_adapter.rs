//! The thin shell between Kubernetes objects and the pure engine: Nodes and Pods (from the
//! operator's informer caches) → a `Snapshot` (design.md, "Mapping ECS onto Kubernetes").
//!
//! - A container instance is a Node labeled `ecs.operator.dev/cluster=<clusterName>`.
//! - Registered = node allocatable; remaining = allocatable minus the requests of every
//!   non-terminal pod bound to the node, ours and everyone else's. CPU: allocatable
//!   millicores → units rounded down, pod requests → units rounded up; memory: allocatable
//!   bytes → MiB rounded down, requests → MiB rounded up. Both roundings only ever make the
//!   engine more careful than the kubelet.
//! - Host ports in use: every host port of those pods (and every container port of
//!   `hostNetwork` pods), plus the ports the ECS agent reserves (configurable).
//! - DRAINING: cordoned (`spec.unschedulable`) or labeled `ecs.operator.dev/instance-status=
//!   DRAINING`. Agent disconnected: the node's Ready condition is not True.
//! - Attributes from well-known labels, plus `attribute.ecs.operator.dev/<name>` labels.
//! - Tasks: our pods (they carry `ecs.operator.dev/group`), not terminal, not being deleted.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::slim_node::SlimNode;
use crate::slim_pod::SlimPod;
use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::labels::{
    ARCH_LABEL, ATTR_AVAILABILITY_ZONE, ATTR_CAPACITY_PROVIDER, ATTR_CPU_ARCHITECTURE,
    ATTR_INSTANCE_TYPE, ATTR_OS_FAMILY, ATTR_OS_TYPE, ATTRIBUTE_LABEL_PREFIX,
    CAPACITY_PROVIDER_LABEL, CLUSTER_LABEL, DRAINING, FAMILY_KEY, GROUP_KEY, INSTANCE_STATUS_LABEL,
    INSTANCE_TYPE_LABEL, OS_LABEL, ZONE_LABEL,
};
use super::live::{NodeFacts, PodUse, TaskTag};
use super::model::{
    ContainerInstance, ExistingTask, HostPort, InstanceStatus, Protocol, Resources,
};
use super::ports::{ECS_DEFAULT_RESERVED_TCP_PORTS, PortSet};
use super::quantity::{Round, to_millis, to_units};
use super::reservation::{MIB, millicores_to_cpu_units, millicores_to_cpu_units_ceil};
use super::snapshot::Snapshot;

/// Adapter settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterOptions {
    /// Host ports treated as taken on every instance (ECS agent defaults: 22, 2375, 2376,
    /// 51678-51680; ecs-semantics.md §5.3).
    pub reserved_tcp_ports: Vec<u16>,
    pub reserved_udp_ports: Vec<u16>,
}

impl Default for AdapterOptions {
    fn default() -> Self {
        Self {
            reserved_tcp_ports: ECS_DEFAULT_RESERVED_TCP_PORTS.to_vec(),
            reserved_udp_ports: Vec::new(),
        }
    }
}

/// Whether the node is a container instance of the cluster `cluster_name`.
pub fn is_container_instance(node: &SlimNode, cluster_name: &str) -> bool {
    node.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(CLUSTER_LABEL))
        .is_some_and(|c| c == cluster_name)
}

/// The snapshot of one EcsCluster: its nodes and the pods bound to them. Pods on other nodes
/// are ignored; the inputs may be whole caches.
pub fn snapshot_from_cluster<'a>(
    cluster_name: &str,
    nodes: impl IntoIterator<Item = &'a SlimNode>,
    pods: impl IntoIterator<Item = &'a SlimPod>,
    options: &AdapterOptions,
) -> Snapshot {
    let nodes: Vec<&SlimNode> = nodes
        .into_iter()
        .filter(|n| is_container_instance(n, cluster_name))
        .collect();
    let mut pods_by_node: HashMap<&str, Vec<&SlimPod>> = nodes
        .iter()
        .filter_map(|n| n.metadata.name.as_deref())
        .map(|name| (name, Vec::new()))
        .collect();
    for pod in pods {
        let Some(node_name) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
            continue;
        };
        if is_terminal(pod) {
            continue;
        }
        if let Some(list) = pods_by_node.get_mut(node_name) {
            list.push(pod);
        }
    }
    let instances = nodes.iter().filter_map(|node| {
        let name = node.metadata.name.as_deref()?;
        let pods = pods_by_node.get(name).map(Vec::as_slice).unwrap_or(&[]);
        Some(container_instance(node, pods, options))
    });
    let tasks = pods_by_node
        .values()
        .flatten()
        .filter_map(|p| existing_task(p));
    // HashMap order is arbitrary; tasks are sorted so snapshots (and seeded decisions) are
    // reproducible.
    let mut tasks: Vec<ExistingTask> = tasks.collect();
    tasks.sort_by(|a, b| a.id.cmp(&b.id));
    let instances: Vec<ContainerInstance> = instances.collect();
    Snapshot::new(instances, tasks)
}

/// One node as a container instance; `pods` are the non-terminal pods bound to it.
pub fn container_instance(
    node: &SlimNode,
    pods: &[&SlimPod],
    options: &AdapterOptions,
) -> ContainerInstance {
    let mut info = instance_base(node, options);
    let mut used = Resources::default();
    for pod in pods {
        used = used.saturating_add(&pod_reservation(pod));
        for port in pod_host_ports(pod) {
            info.ports_in_use.insert(port);
        }
    }
    info.remaining = info.registered.saturating_sub(&used);
    info
}

/// The node as a container instance of its cluster, before any Pod (the live snapshot adds
/// the Pods itself); `None` for a node that is not a container instance.
pub fn node_facts(node: &SlimNode, options: &AdapterOptions) -> Option<NodeFacts> {
    let cluster = node.metadata.labels.as_ref()?.get(CLUSTER_LABEL)?;
    Some(NodeFacts {
        cluster: crate::interned::intern(cluster),
        base: instance_base(node, options),
    })
}

/// The node as a container instance with nothing on it: `remaining` = registered, only the
/// agent-reserved ports taken.
fn instance_base(node: &SlimNode, options: &AdapterOptions) -> ContainerInstance {
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let status = node.status.as_ref();
    let allocatable = status
        .and_then(|s| s.allocatable.as_ref().or(s.capacity.as_ref()))
        .cloned()
        .unwrap_or_default();
    let allocatable_millis = quantity(&allocatable, "cpu", to_millis, Round::Down);
    let allocatable_bytes = quantity(&allocatable, "memory", to_units, Round::Down);
    let registered = Resources::new(
        millicores_to_cpu_units(allocatable_millis),
        allocatable_bytes / MIB,
    );
    let mut ports = PortSet::new();
    for p in &options.reserved_tcp_ports {
        ports.insert(HostPort::tcp(*p));
    }
    for p in &options.reserved_udp_ports {
        ports.insert(HostPort::udp(*p));
    }
    let cordoned = node.is_cordoned();
    let draining_label = labels
        .get(INSTANCE_STATUS_LABEL)
        .is_some_and(|v| v.eq_ignore_ascii_case(DRAINING));
    let ready = node.is_ready();
    ContainerInstance {
        id: node.metadata.name.clone().unwrap_or_default(),
        ec2_instance_id: node
            .spec
            .as_ref()
            .and_then(|s| s.provider_id.as_deref())
            .and_then(ec2_instance_id_from_provider_id),
        attributes: attributes_from_labels(&labels),
        registered,
        remaining: registered,
        ports_in_use: ports,
        status: if cordoned || draining_label {
            InstanceStatus::Draining
        } else {
            InstanceStatus::Active
        },
        agent_connected: ready,
        agent_version: status
            .and_then(|s| s.node_info.as_ref())
            .map(|i| i.kubelet_version.trim_start_matches('v').to_string())
            .filter(|v| !v.is_empty()),
        registered_at: node
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_second()),
    }
}

/// ECS attributes from node labels.
pub fn attributes_from_labels(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut attributes = BTreeMap::new();
    let mut copy = |label: &str, attribute: &str| {
        if let Some(v) = labels.get(label) {
            attributes.insert(attribute.to_string(), v.clone());
        }
    };
    copy(ZONE_LABEL, ATTR_AVAILABILITY_ZONE);
    copy(INSTANCE_TYPE_LABEL, ATTR_INSTANCE_TYPE);
    copy(OS_LABEL, ATTR_OS_TYPE);
    copy(CAPACITY_PROVIDER_LABEL, ATTR_CAPACITY_PROVIDER);
    if let Some(arch) = labels.get(ARCH_LABEL) {
        // ECS spells the architectures x86_64 and arm64 (ecs-semantics.md §2.4).
        let ecs_arch = if arch == "amd64" {
            "x86_64"
        } else {
            arch.as_str()
        };
        attributes.insert(ATTR_CPU_ARCHITECTURE.to_string(), ecs_arch.to_string());
    }
    if labels.get(OS_LABEL).is_some_and(|os| os == "linux") {
        // ECS reports os-family LINUX for every Linux instance; the Windows families need
        // data a label does not carry, so they come only from custom-attribute labels.
        attributes.insert(ATTR_OS_FAMILY.to_string(), "LINUX".to_string());
    }
    // Custom attributes last, so they can also set or override built-in ones (ecs.ami-id…).
    for (key, value) in labels {
        if let Some(name) = key.strip_prefix(ATTRIBUTE_LABEL_PREFIX)
            && !name.is_empty()
        {
            attributes.insert(name.to_string(), value.clone());
        }
    }
    attributes
}

/// `aws:///us-east-1a/i-0123456789abcdef0` → `i-0123456789abcdef0`.
fn ec2_instance_id_from_provider_id(provider_id: &str) -> Option<String> {
    let rest = provider_id.strip_prefix("aws://")?;
    let id = rest.rsplit('/').next()?;
    (id.starts_with("i-") || id.starts_with("mi-")).then(|| id.to_string())
}

/// Succeeded and Failed pods hold no resources.
pub fn is_terminal(pod: &SlimPod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// The ECS task group of one of our pods: the `ecs.operator.dev/group` annotation, else the
/// label of the same key. (Group strings such as `service:web` contain ':' which label
/// values cannot hold, so controllers should write the annotation.)
pub fn task_group_of(pod: &SlimPod) -> Option<&Arc<str>> {
    pod.annotation_or_label(GROUP_KEY)
}

/// One of our pods as an existing task, if it is one that counts: it has a group, is bound
/// to a node, is not terminal and not being deleted (a task on its way to STOPPED no longer
/// counts for spread, distinctInstance or `runningTasksCount`; its resources still do, via
/// `container_instance`).
pub fn existing_task(pod: &SlimPod) -> Option<ExistingTask> {
    pod_use(pod)?.task(&pod_key(pod).into())
}

/// What a Pod holds on its node, for the live snapshot: `None` when it is unbound or
/// terminal; a task tag when it counts as a task (see [`existing_task`]).
pub fn pod_use(pod: &SlimPod) -> Option<PodUse> {
    let node = pod.spec.as_ref()?.node_name.as_deref()?;
    if is_terminal(pod) {
        return None;
    }
    let task = task_group_of(pod)
        .filter(|_| pod.metadata.deletion_timestamp.is_none())
        .map(|group| TaskTag {
            group: group.clone(),
            family: pod.annotation_or_label(FAMILY_KEY).cloned(),
        });
    Some(PodUse {
        node: crate::interned::intern(node),
        reservation: pod_reservation(pod),
        host_ports: pod_host_ports(pod),
        task,
    })
}

/// `namespace/name`.
pub fn pod_key(pod: &SlimPod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}

/// What the pod occupies on its node in ECS units (cpu units and MiB, rounded up).
pub fn pod_reservation(pod: &SlimPod) -> Resources {
    let (millis, bytes) = pod_requests(pod);
    Resources::new(millicores_to_cpu_units_ceil(millis), bytes.div_ceil(MIB))
}

/// The pod's effective requests (millicores, bytes), as cached with it (see [`requests_of`]).
pub fn pod_requests(pod: &SlimPod) -> (u64, u64) {
    pod.requests
}

/// A pod's effective requests (millicores, bytes) as the Kubernetes scheduler computes them:
/// pod-level resources when set; otherwise max(Σ app containers + Σ sidecars, max over init
/// containers of (init + sidecars started before it)); plus overhead. A container with
/// limits but no requests requests its limits. `init_containers`: each one's resources and
/// whether it is a sidecar (`restartPolicy: Always`). Computed once per watch event, when the
/// Pod is read (`SlimPod::requests`).
pub fn requests_of<'a>(
    overhead: Option<&BTreeMap<String, Quantity>>,
    pod_level: Option<&ResourceRequirements>,
    containers: impl IntoIterator<Item = Option<&'a ResourceRequirements>>,
    init_containers: impl IntoIterator<Item = (Option<&'a ResourceRequirements>, bool)>,
) -> (u64, u64) {
    let empty = BTreeMap::new();
    let overhead = overhead.unwrap_or(&empty);
    let overhead = (
        quantity(overhead, "cpu", to_millis, Round::Up),
        quantity(overhead, "memory", to_units, Round::Up),
    );
    if let Some(pod_level) = pod_level.and_then(|r| r.requests.as_ref())
        && (pod_level.contains_key("cpu") || pod_level.contains_key("memory"))
    {
        return (
            quantity(pod_level, "cpu", to_millis, Round::Up).saturating_add(overhead.0),
            quantity(pod_level, "memory", to_units, Round::Up).saturating_add(overhead.1),
        );
    }
    let mut app = (0u64, 0u64);
    for c in containers {
        app = add(app, container_requests(c));
    }
    let mut sidecars = (0u64, 0u64);
    let mut init_peak = (0u64, 0u64);
    for (c, sidecar) in init_containers {
        let requests = container_requests(c);
        if sidecar {
            sidecars = add(sidecars, requests);
        } else {
            let during = add(requests, sidecars);
            init_peak = (init_peak.0.max(during.0), init_peak.1.max(during.1));
        }
    }
    let steady = add(app, sidecars);
    add(
        (steady.0.max(init_peak.0), steady.1.max(init_peak.1)),
        overhead,
    )
}

fn add(a: (u64, u64), b: (u64, u64)) -> (u64, u64) {
    (a.0.saturating_add(b.0), a.1.saturating_add(b.1))
}

fn container_requests(resources: Option<&ResourceRequirements>) -> (u64, u64) {
    let Some(resources) = resources else {
        return (0, 0);
    };
    let pick = |name: &str| {
        resources
            .requests
            .as_ref()
            .filter(|r| r.contains_key(name))
            .or(resources.limits.as_ref())
    };
    let empty = BTreeMap::new();
    (
        quantity(pick("cpu").unwrap_or(&empty), "cpu", to_millis, Round::Up),
        quantity(
            pick("memory").unwrap_or(&empty),
            "memory",
            to_units,
            Round::Up,
        ),
    )
}

fn quantity(
    map: &BTreeMap<String, Quantity>,
    name: &str,
    read: fn(&str, Round) -> Option<u64>,
    round: Round,
) -> u64 {
    map.get(name).and_then(|q| read(&q.0, round)).unwrap_or(0)
}

/// Host ports the pod binds: every `hostPort`, and every container port of a `hostNetwork`
/// pod. SCTP ports are outside ECS's model and ignored.
pub fn pod_host_ports(pod: &SlimPod) -> Vec<HostPort> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    let host_network = spec.host_network.unwrap_or(false);
    let mut out = Vec::new();
    for c in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        for p in c.ports.iter().flatten() {
            let port = match p.host_port {
                Some(h) if h > 0 => h,
                _ if host_network => p.container_port,
                _ => continue,
            };
            let Ok(port) = u16::try_from(port) else {
                continue;
            };
            let protocol = match p.protocol.as_deref() {
                None | Some("TCP") => Protocol::Tcp,
                Some("UDP") => Protocol::Udp,
                Some(_) => continue,
            };
            let host_port = HostPort { port, protocol };
            if port > 0 && !out.contains(&host_port) {
                out.push(host_port);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
