//! `EcsTask`: a standalone task run (RunTask). The spec is RunTaskRequest; the status lists
//! the started tasks and the placement failures, as RunTask's response does.

// kube's `printcolumn(..)` repeats `type_ = ..` per column by design; clippy reads that as
// a duplicated attribute.
#![allow(clippy::duplicated_attributes)]

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::common_status::Failure;
use super::conditions::Conditions;
use super::shapes::*;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// A standalone ECS task run (RunTaskRequest): count tasks placed once and never replaced.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "EcsTask",
    namespaced,
    status = "EcsTaskStatus",
    shortname = "ecstask",
    category = "ecs",
    doc = "A standalone ECS task run. The spec is RunTaskRequest; tasks are placed once and never replaced.",
    printcolumn(name = "Cluster", type_ = "string", json_path = ".spec.cluster"),
    printcolumn(
        name = "Task Definition",
        type_ = "string",
        json_path = ".spec.taskDefinition"
    ),
    printcolumn(name = "Count", type_ = "integer", json_path = ".spec.count"),
    printcolumn(
        name = "Last Status",
        type_ = "string",
        json_path = ".status.tasks[0].lastStatus"
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new("!has(self.launchType) || !has(self.capacityProviderStrategy) || size(self.capacityProviderStrategy) == 0").message("launchType and capacityProviderStrategy cannot both be specified").field_path(".capacityProviderStrategy").reason(Reason::FieldValueForbidden))]
#[serde(rename_all = "camelCase")]
pub struct EcsTaskSpec {
    /// The capacity provider strategy to use for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    /// The short name or full Amazon Resource Name (ARN) of the cluster to run your task on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The number of instantiations of the specified task to place on your cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub count: Option<i32>,
    /// Specifies whether to use Amazon ECS managed tags for the task.
    #[serde(rename = "enableECSManagedTags")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_ecs_managed_tags: Option<bool>,
    /// Determines whether to use the execute command functionality for the containers in this task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    /// The name of the task group to associate with the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub group: Option<String>,
    /// The infrastructure to run your standalone task on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<LaunchType>,
    /// The network configuration for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// A list of container overrides in JSON format that specify the name of a container in the specified task definition and the overrides it should receive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<TaskOverride>,
    /// An array of placement constraint objects to use for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10))]
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    /// The placement strategy objects to use for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 5))]
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    /// The platform version the task uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// Specifies whether to propagate the tags from the task definition to the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<PropagateTags>,
    /// This parameter is only used by Amazon ECS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    /// An optional tag specified when a task is started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128))]
    pub started_by: Option<String>,
    /// The metadata that you apply to the task to help you categorize and organize them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50))]
    pub tags: Option<Vec<Tag>>,
    /// The family and revision ( family:revision ) or full ARN of the task definition to run.
    pub task_definition: String,
    /// An identifier that you provide to ensure the idempotency of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub client_token: Option<String>,
    /// The details of the volume that was configuredAtLaunch .
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_configurations: Option<Vec<TaskVolumeConfiguration>>,
    /// Kubernetes extension (not ECS): set to STOPPED to stop the run's tasks while keeping this record (ECS StopTask); RUNNING or absent runs them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self == 'RUNNING' || self == 'STOPPED'").message("desiredStatus must be RUNNING or STOPPED"))]
    pub desired_status: Option<String>,
}

/// RunTask's response (tasks, failures) plus Kubernetes conditions.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsTaskStatus {
    /// The metadata.generation this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready / Degraded conditions (Kubernetes convention).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
    /// The tasks that were started, one per placed Pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
    /// Tasks that could not be placed, with the ECS reason (RESOURCE:MEMORY, AGENT, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
}

/// A task (ECS Task shape, the fields that map onto a Pod).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The synthetic ARN of the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_arn: Option<String>,
    /// The Pod that runs the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
    /// The task definition ARN the task runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// The cluster ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_arn: Option<String>,
    /// The container instance (node) the task was placed on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_instance_arn: Option<String>,
    /// The availability zone of the container instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    /// PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING or STOPPED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<String>,
    /// RUNNING or STOPPED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_status: Option<String>,
    /// HEALTHY, UNHEALTHY or UNKNOWN (from essential containers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_status: Option<String>,
    /// The task group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Who started the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// The task's cpu units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// The task's memory (MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// The task's containers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<Container>,
    /// TaskFailedToStart, EssentialContainerExited, UserInitiated, ServiceSchedulerInitiated, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_code: Option<String>,
    /// Why the task stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    /// When the task was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// When the task started running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// When the task began stopping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopping_at: Option<Time>,
    /// When the task stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<Time>,
}

/// A container of a task (ECS Container shape).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// The container name.
    pub name: String,
    /// The image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// PENDING, RUNNING or STOPPED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<String>,
    /// The exit code, once stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why the container stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// HEALTHY, UNHEALTHY or UNKNOWN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_status: Option<String>,
    /// Host ports bound to the container's ports (bridge and host network modes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_bindings: Vec<NetworkBinding>,
}

/// A container port bound on the container instance (ECS NetworkBinding shape).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkBinding {
    /// The IP address the port is bound on (0.0.0.0: all of the instance's addresses).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "bindIP")]
    pub bind_ip: Option<String>,
    /// The port in the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
    /// The port on the container instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<i32>,
    /// tcp or udp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}
