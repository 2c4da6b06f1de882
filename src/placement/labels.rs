//! Label and annotation keys shared by the placement adapter and the controllers, and the ECS
//! attribute names they map to (design.md, "Mapping ECS onto Kubernetes").

/// Prefix of every key the operator owns.
pub const KEY_PREFIX: &str = "ecs.operator.dev/";

/// Node label: the node is a container instance of the EcsCluster with this `clusterName`.
pub const CLUSTER_LABEL: &str = "ecs.operator.dev/cluster";
/// Node label: `DRAINING` puts the container instance into DRAINING (like cordoning).
pub const INSTANCE_STATUS_LABEL: &str = "ecs.operator.dev/instance-status";
/// Pod label or annotation: the ECS task group (`service:<name>`, `family:<family>`, custom).
/// Group strings contain ':' which label values cannot hold, so the annotation is the source
/// of truth and the label (when present) a fallback; see `kube_adapter::task_group_of`.
pub const GROUP_KEY: &str = "ecs.operator.dev/group";
/// Pod label or annotation: the task-definition family.
pub const FAMILY_KEY: &str = "ecs.operator.dev/family";
/// Node label prefix for custom attributes: `attribute.ecs.operator.dev/<name>=<value>`.
pub const ATTRIBUTE_LABEL_PREFIX: &str = "attribute.ecs.operator.dev/";

/// Kubernetes well-known node labels that map onto ECS built-in attributes.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
pub const INSTANCE_TYPE_LABEL: &str = "node.kubernetes.io/instance-type";
pub const OS_LABEL: &str = "kubernetes.io/os";
pub const ARCH_LABEL: &str = "kubernetes.io/arch";

/// ECS built-in attribute names (ecs-semantics.md §2.4).
pub const ATTR_AVAILABILITY_ZONE: &str = "ecs.availability-zone";
pub const ATTR_INSTANCE_TYPE: &str = "ecs.instance-type";
pub const ATTR_OS_TYPE: &str = "ecs.os-type";
pub const ATTR_OS_FAMILY: &str = "ecs.os-family";
pub const ATTR_CPU_ARCHITECTURE: &str = "ecs.cpu-architecture";
pub const ATTR_AMI_ID: &str = "ecs.ami-id";

/// Node label: the capacity provider the container instance belongs to.
pub const CAPACITY_PROVIDER_LABEL: &str = "ecs.operator.dev/capacity-provider";
/// The attribute placement sees for it (constraints select a provider's instances).
pub const ATTR_CAPACITY_PROVIDER: &str = "ecs.capacity-provider";

/// The value of `INSTANCE_STATUS_LABEL` that means DRAINING.
pub const DRAINING: &str = "DRAINING";
