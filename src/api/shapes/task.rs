//! Shapes of RunTaskRequest: overrides and task-managed volumes.
//!
//! Generated once from the ECS API model (botocore `ecs/2014-11-13`) and maintained by hand:
//! field names, casing and types are exactly ECS's, so ECS JSON pastes in unchanged.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use super::*;

/// The overrides that are sent to a container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerOverride {
    /// The name of the container that receives the override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The command to send to the container that overrides the default command from the Docker image or the task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// The environment variables to send to the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Vec<KeyValuePair>>,
    /// A list of files containing the environment variables to pass to a container, instead of the value from the container definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_files: Option<Vec<EnvironmentFile>>,
    /// The number of cpu units reserved for the container, instead of the default value from the task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<i32>,
    /// The hard limit (in MiB) of memory to present to the container, instead of the default value from the task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<i32>,
    /// The soft limit (in MiB) of memory to reserve for the container, instead of the default value from the task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<i32>,
    /// The type and amount of a resource to assign to a container, instead of the default value from the task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_requirements: Option<Vec<ResourceRequirement>>,
}

/// Details on an Elastic Inference accelerator task override.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct InferenceAcceleratorOverride {
    /// The Elastic Inference accelerator device name to override for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// The Elastic Inference accelerator type to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
}

/// The configuration for the Amazon EBS volume that Amazon ECS creates and manages on your behalf.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskManagedEBSVolumeConfiguration {
    /// Indicates whether the volume should be encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// The Amazon Resource Name (ARN) identifier of the Amazon Web Services Key Management Service key to use for Amazon EBS encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// The volume type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,
    /// The size of the volume in GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_in_gi_b: Option<i32>,
    /// The snapshot that Amazon ECS uses to create the volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    /// The rate, in MiB/s, at which data is fetched from a snapshot of an existing Amazon EBS volume to create a new volume for attachment to the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_initialization_rate: Option<i32>,
    /// The number of I/O operations per second (IOPS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<i32>,
    /// The throughput to provision for a volume, in MiB/s, with a maximum of 1,000 MiB/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<i32>,
    /// The tags to apply to the volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_specifications: Option<Vec<EBSTagSpecification>>,
    /// The ARN of the IAM role to associate with this volume.
    pub role_arn: String,
    /// The termination policy for the volume when the task exits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_policy: Option<TaskManagedEBSVolumeTerminationPolicy>,
    /// The Linux filesystem type for the volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filesystem_type: Option<TaskFilesystemType>,
}

/// The termination policy for the Amazon EBS volume when the task exits.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskManagedEBSVolumeTerminationPolicy {
    /// Indicates whether the volume should be deleted on when the task stops.
    pub delete_on_termination: bool,
}

/// The overrides that are associated with a task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskOverride {
    /// One or more container overrides that are sent to a task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_overrides: Option<Vec<ContainerOverride>>,
    /// The CPU override for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// The Elastic Inference accelerator override for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_accelerator_overrides: Option<Vec<InferenceAcceleratorOverride>>,
    /// The Amazon Resource Name (ARN) of the task execution role override for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    /// The memory override for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// The Amazon Resource Name (ARN) of the role that containers in this task can assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// The ephemeral storage setting override for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<EphemeralStorage>,
}

/// Configuration settings for the task volume that was configuredAtLaunch that weren't set during RegisterTaskDef .
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskVolumeConfiguration {
    /// The name of the volume.
    pub name: String,
    /// The configuration for the Amazon EBS volume that Amazon ECS creates and manages on your behalf.
    #[serde(rename = "managedEBSVolume")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_ebs_volume: Option<TaskManagedEBSVolumeConfiguration>,
}
