//! ECS API shapes that more than one kind uses.
//!
//! Generated once from the ECS API model (botocore `ecs/2014-11-13`) and maintained by hand:
//! field names, casing and types are exactly ECS's, so ECS JSON pastes in unchanged.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An object representing the networking details for a task or service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsVpcConfiguration {
    /// The IDs of the subnets associated with the task or service.
    #[schemars(length(max = 16))]
    pub subnets: Vec<String>,
    /// The IDs of the security groups associated with the task or service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 5))]
    pub security_groups: Option<Vec<String>>,
    /// Whether the task's elastic network interface receives a public IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<AssignPublicIp>,
}

/// The details of a capacity provider strategy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderStrategyItem {
    /// The short name of the capacity provider.
    pub capacity_provider: String,
    /// The weight value designates the relative percentage of the total number of tasks launched that should use the specified capacity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000))]
    pub weight: Option<i32>,
    /// The base value designates how many tasks, at a minimum, to run on the specified capacity provider for each service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100000))]
    pub base: Option<i32>,
}

/// The tag specifications of an Amazon EBS volume.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct EBSTagSpecification {
    /// The type of volume resource.
    pub resource_type: EBSResourceType,
    /// The tags applied to this Amazon EBS volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// Determines whether to propagate the tags from the task definition to the Amazon EBS volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<PropagateTags>,
}

/// A list of files containing the environment variables to pass to a container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentFile {
    /// The Amazon Resource Name (ARN) of the Amazon S3 object containing the environment variable file.
    pub value: String,
    /// The file type to use.
    pub r#type: EnvironmentFileType,
}

/// The amount of ephemeral storage to allocate for the task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct EphemeralStorage {
    /// The total amount, in GiB, of ephemeral storage to set for the task.
    pub size_in_gi_b: i32,
}

/// A key-value pair object.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyValuePair {
    /// The name of the key-value pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The value of the key-value pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The log configuration for the container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogConfiguration {
    /// The log driver to use for the container.
    pub log_driver: LogDriver,
    /// The configuration options to send to the log driver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<BTreeMap<String, String>>,
    /// The secrets to pass to the log configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_options: Option<Vec<Secret>>,
}

/// The network configuration for a task or service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfiguration {
    /// The VPC subnets and security groups that are associated with a task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awsvpc_configuration: Option<AwsVpcConfiguration>,
}

/// The GPU memory and compute limits for a container that shares a GPU by using NVIDIA Multi-Process Service (MPS).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct NvidiaMpsAllocation {
    /// The amount of GPU memory, in MiB, to allocate to the container.
    pub memory: i32,
    /// The maximum percentage of the GPU's compute capacity that the container can use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_compute_percent: Option<i32>,
}

/// An object representing a constraint on task placement.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.type != 'memberOf' || has(self.expression)").message("a memberOf placement constraint needs an expression").field_path(".expression").reason(Reason::FieldValueRequired))]
#[x_kube(validation = Rule::new("self.type != 'distinctInstance' || !has(self.expression)").message("a distinctInstance placement constraint takes no expression").field_path(".expression").reason(Reason::FieldValueForbidden))]
pub struct PlacementConstraint {
    /// The type of constraint.
    pub r#type: PlacementConstraintType,
    /// A cluster query language expression to apply to the constraint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2000))]
    pub expression: Option<String>,
}

/// The task placement strategy for a task or service.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.type != 'binpack' || (has(self.field) && self.field in ['cpu', 'memory'])").message("a binpack placement strategy needs field cpu or memory").field_path(".field"))]
#[x_kube(validation = Rule::new("self.type != 'spread' || (has(self.field) && (self.field in ['instanceId', 'host'] || self.field.startsWith('attribute:')))").message("a spread placement strategy needs field instanceId, host or attribute:<name>").field_path(".field"))]
#[x_kube(validation = Rule::new("self.type != 'random' || !has(self.field)").message("a random placement strategy takes no field").field_path(".field"))]
pub struct PlacementStrategy {
    /// The type of placement strategy.
    pub r#type: PlacementStrategyType,
    /// The field to apply the placement strategy against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The type and amount of a resource to assign to a container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRequirement {
    /// The value for the specified resource type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The type of resource to assign to a container.
    pub r#type: ResourceType,
    /// The strategy that the container uses to share a GPU with other containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing_strategy: Option<SharingStrategy>,
}

/// An object representing the secret to expose to your container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// The name of the secret.
    pub name: String,
    /// The secret to expose to the container.
    pub value_from: String,
}

/// The strategy that a container uses to share a GPU with other containers.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct SharingStrategy {
    /// Shares a GPU between containers by using NVIDIA Multi-Process Service (MPS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nvidia_mps: Option<NvidiaMpsAllocation>,
}

/// The metadata that you apply to a resource to help you categorize and organize them.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    /// One part of a key-value pair that make up a tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub key: Option<String>,
    /// The optional part of a key-value pair that make up a tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub value: Option<String>,
}

/// ECS enumeration AssignPublicIp.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum AssignPublicIp {
    #[serde(rename = "ENABLED")]
    Enabled,
    #[serde(rename = "DISABLED")]
    Disabled,
}

/// ECS enumeration EBSResourceType.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum EBSResourceType {
    #[serde(rename = "volume")]
    Volume,
}

/// ECS enumeration EnvironmentFileType.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum EnvironmentFileType {
    #[serde(rename = "s3")]
    S3,
}

/// ECS enumeration LaunchType.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum LaunchType {
    #[serde(rename = "EC2")]
    Ec2,
    #[serde(rename = "FARGATE")]
    Fargate,
    #[serde(rename = "EXTERNAL")]
    External,
    #[serde(rename = "MANAGED_INSTANCES")]
    ManagedInstances,
}

/// ECS enumeration LogDriver.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum LogDriver {
    #[serde(rename = "json-file")]
    JsonFile,
    #[serde(rename = "syslog")]
    Syslog,
    #[serde(rename = "journald")]
    Journald,
    #[serde(rename = "gelf")]
    Gelf,
    #[serde(rename = "fluentd")]
    Fluentd,
    #[serde(rename = "awslogs")]
    Awslogs,
    #[serde(rename = "splunk")]
    Splunk,
    #[serde(rename = "awsfirelens")]
    Awsfirelens,
}

/// ECS enumeration PlacementConstraintType.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum PlacementConstraintType {
    #[serde(rename = "distinctInstance")]
    Distinctinstance,
    #[serde(rename = "memberOf")]
    Memberof,
}

/// ECS enumeration PlacementStrategyType.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum PlacementStrategyType {
    #[serde(rename = "random")]
    Random,
    #[serde(rename = "spread")]
    Spread,
    #[serde(rename = "binpack")]
    Binpack,
}

/// ECS enumeration PropagateTags.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum PropagateTags {
    #[serde(rename = "TASK_DEFINITION")]
    TaskDefinition,
    #[serde(rename = "SERVICE")]
    Service,
    #[serde(rename = "NONE")]
    None,
}

/// ECS enumeration ResourceType.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ResourceType {
    #[serde(rename = "GPU")]
    Gpu,
    #[serde(rename = "InferenceAccelerator")]
    Inferenceaccelerator,
    #[serde(rename = "NeuronDevice")]
    Neurondevice,
}

/// ECS enumeration TaskFilesystemType.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum TaskFilesystemType {
    #[serde(rename = "ext3")]
    Ext3,
    #[serde(rename = "ext4")]
    Ext4,
    #[serde(rename = "xfs")]
    Xfs,
    #[serde(rename = "ntfs")]
    Ntfs,
}
