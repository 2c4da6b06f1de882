//! `TaskDefinition`: an ECS task definition family. The spec is RegisterTaskDefinitionRequest,
//! verbatim; every change of the spec registers the next revision (see the controller).

// kube's `printcolumn(..)` repeats `type_ = ..` per column by design; clippy reads that as
// a duplicated attribute.
#![allow(clippy::duplicated_attributes)]

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::common_status::UnsupportedField;
use super::conditions::Conditions;
use super::shapes::*;

/// An ECS task definition family (RegisterTaskDefinitionRequest). Each spec change registers revision N+1.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "TaskDefinition",
    namespaced,
    status = "TaskDefinitionStatus",
    shortname = "ecstd",
    shortname = "taskdef",
    category = "ecs",
    doc = "An ECS task definition family. The spec is RegisterTaskDefinitionRequest; every spec change registers the next revision.",
    printcolumn(name = "Family", type_ = "string", json_path = ".status.family"),
    printcolumn(name = "Revision", type_ = "integer", json_path = ".status.revision"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Network", type_ = "string", json_path = ".spec.networkMode"),
    printcolumn(name = "CPU", type_ = "string", json_path = ".spec.cpu", priority = 1),
    printcolumn(
        name = "Memory",
        type_ = "string",
        json_path = ".spec.memory",
        priority = 1
    ),
    printcolumn(
        name = "Accepted",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Accepted\")].status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionSpec {
    /// You must specify a family for a task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^[a-zA-Z0-9_-]{1,255}$')").message("must be 1-255 letters, numbers, hyphens (-) and underscores (_)"))]
    pub family: Option<String>,
    /// The short name or full Amazon Resource Name (ARN) of the IAM role that containers in this task can assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// The Amazon Resource Name (ARN) of the task execution role that grants the Amazon ECS container agent permission to make Amazon Web Services API calls on your behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    /// The Docker networking mode to use for the containers in the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<NetworkMode>,
    /// A list of container definitions in JSON format that describe the different containers that make up your task.
    #[schemars(length(min = 1, max = 10))]
    #[x_kube(validation = Rule::new("self.all(c, self.exists_one(d, d.name == c.name))").message("container names must be unique within a task definition"))]
    pub container_definitions: Vec<ContainerDefinition>,
    /// A list of volume definitions in JSON format that containers in your task might use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub volumes: Option<Vec<Volume>>,
    /// An array of placement constraint objects to use for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10))]
    pub placement_constraints: Option<Vec<TaskDefinitionPlacementConstraint>>,
    /// The task launch type that Amazon ECS validates the task definition against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_compatibilities: Option<Vec<Compatibility>>,
    /// The number of CPU units used by the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// The amount of memory (in MiB) used by the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// The metadata that you apply to the task definition to help you categorize and organize them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50))]
    pub tags: Option<Vec<Tag>>,
    /// The process namespace to use for the containers in the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_mode: Option<PidMode>,
    /// The IPC resource namespace to use for the containers in the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc_mode: Option<IpcMode>,
    /// The configuration details for the App Mesh proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_configuration: Option<ProxyConfiguration>,
    /// The Elastic Inference accelerators to use for the containers in the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_accelerators: Option<Vec<InferenceAccelerator>>,
    /// The amount of ephemeral storage to allocate for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<EphemeralStorage>,
    /// The operating system that your tasks definitions run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,
    /// Enables fault injection when you register your task definition and allows for fault injection requests to be accepted from the task's containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_fault_injection: Option<bool>,
    /// The trusted execution configuration for tasks that use this task definition, including the isolation mode and, if configured, an attestation policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_execution_configuration: Option<TrustedExecutionConfiguration>,
}

/// The registered state of the family's latest revision, as DescribeTaskDefinition reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionStatus {
    /// The metadata.generation this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready / Accepted conditions (Kubernetes convention).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
    /// The ECS family name (spec.family, defaulting to metadata.name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// The latest registered revision number; revisions are never reused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    /// The synthetic ARN of the latest revision (arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// ACTIVE, INACTIVE or DELETE_IN_PROGRESS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The launch types the revision validates against (EC2, EXTERNAL, FARGATE, MANAGED_INSTANCES).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compatibilities: Vec<String>,
    /// Container-instance attributes the revision needs; placement requires instances to have them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_attributes: Vec<Attribute>,
    /// When the latest revision was registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    /// Who registered the latest revision (the Kubernetes user or the operator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_by: Option<String>,
    /// Spec fields this operator accepts but cannot honour on Kubernetes, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported_fields: Vec<UnsupportedField>,
}

/// An attribute of a container instance (name, optional value), as in ECS `requiresAttributes`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attribute {
    /// The attribute name, e.g. ecs.capability.task-eni.
    pub name: String,
    /// The attribute value, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The type of the target the attribute is attached to (container-instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// The id of the target the attribute is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
}
