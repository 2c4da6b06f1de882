//! `EcsCluster`: an ECS cluster (cluster-scoped). The spec is CreateClusterRequest plus one
//! documented Kubernetes extension, `allowedNamespaces`.

// kube's `printcolumn(..)` repeats `type_ = ..` per column by design; clippy reads that as
// a duplicated attribute.
#![allow(clippy::duplicated_attributes)]

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::conditions::Conditions;
use super::shapes::*;

/// An ECS cluster (CreateClusterRequest). Its container instances are the nodes labeled ecs.operator.dev/cluster=<clusterName>.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "EcsCluster",
    status = "EcsClusterStatus",
    shortname = "ecscl",
    category = "ecs",
    doc = "An ECS cluster. The spec is CreateClusterRequest; container instances are nodes labeled ecs.operator.dev/cluster=<clusterName>.",
    printcolumn(
        name = "Cluster Name",
        type_ = "string",
        json_path = ".status.clusterName"
    ),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(
        name = "Instances",
        type_ = "integer",
        json_path = ".status.registeredContainerInstancesCount"
    ),
    printcolumn(
        name = "Services",
        type_ = "integer",
        json_path = ".status.activeServicesCount"
    ),
    printcolumn(
        name = "Running",
        type_ = "integer",
        json_path = ".status.runningTasksCount"
    ),
    printcolumn(
        name = "Pending",
        type_ = "integer",
        json_path = ".status.pendingTasksCount"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct EcsClusterSpec {
    /// The name of your cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^[a-zA-Z0-9_-]{1,255}$')").message("must be 1-255 letters, numbers, hyphens (-) and underscores (_)"))]
    pub cluster_name: Option<String>,
    /// The metadata that you apply to the cluster to help you categorize and organize them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50))]
    pub tags: Option<Vec<Tag>>,
    /// The setting to use when creating a cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Vec<ClusterSetting>>,
    /// The execute command configuration for the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<ClusterConfiguration>,
    /// The short name of one or more capacity providers to associate with the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub capacity_providers: Option<Vec<String>>,
    /// The capacity provider strategy to set as the default for the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub default_capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    /// Use this parameter to set a default Service Connect namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect_defaults: Option<ClusterServiceConnectDefaultsRequest>,
    /// Kubernetes extension (not ECS): namespaces whose EcsServices and EcsTasks may use this cluster; empty or absent allows all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub allowed_namespaces: Option<Vec<String>>,
}

/// The ECS Cluster response (DescribeClusters) plus Kubernetes conditions.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsClusterStatus {
    /// The metadata.generation this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready conditions (Kubernetes convention).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
    /// The synthetic ARN of the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_arn: Option<String>,
    /// The ECS cluster name (spec.clusterName, defaulting to metadata.name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// ACTIVE, PROVISIONING, DEPROVISIONING, FAILED or INACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Container instances (labeled nodes) registered to the cluster, ACTIVE and DRAINING.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_container_instances_count: Option<i32>,
    /// Tasks in the RUNNING state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_tasks_count: Option<i32>,
    /// Tasks in the PENDING state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_tasks_count: Option<i32>,
    /// Services in the ACTIVE state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_services_count: Option<i32>,
    /// Registered container instances per availability zone.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub instances_per_zone: BTreeMap<String, i32>,
}
