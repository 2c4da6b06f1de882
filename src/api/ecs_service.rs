//! `EcsService`: an ECS service. The spec is CreateServiceRequest plus UpdateService's
//! `forceNewDeployment`; the status is the ECS Service response plus Kubernetes conditions.

// kube's `printcolumn(..)` repeats `type_ = ..` per column by design; clippy reads that as
// a duplicated attribute.
#![allow(clippy::duplicated_attributes)]

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::conditions::Conditions;
use super::shapes::*;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// An ECS service (CreateServiceRequest): keeps desiredCount tasks of a task definition running.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "EcsService",
    namespaced,
    status = "EcsServiceStatus",
    shortname = "ecssvc",
    category = "ecs",
    doc = "An ECS service. The spec is CreateServiceRequest (plus forceNewDeployment); the operator keeps desiredCount tasks running as Pods.",
    scale(
        spec_replicas_path = ".spec.desiredCount",
        status_replicas_path = ".status.runningCount",
        label_selector_path = ".status.selector"
    ),
    printcolumn(name = "Cluster", type_ = "string", json_path = ".spec.cluster"),
    printcolumn(
        name = "Task Definition",
        type_ = "string",
        json_path = ".status.taskDefinition"
    ),
    printcolumn(name = "Desired", type_ = "integer", json_path = ".spec.desiredCount"),
    printcolumn(
        name = "Running",
        type_ = "integer",
        json_path = ".status.runningCount"
    ),
    printcolumn(
        name = "Pending",
        type_ = "integer",
        json_path = ".status.pendingCount"
    ),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
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
#[x_kube(validation = Rule::new("!has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON' || !has(self.placementStrategy) || size(self.placementStrategy) == 0").message("placementStrategy is not supported for services with the DAEMON scheduling strategy").field_path(".placementStrategy").reason(Reason::FieldValueForbidden))]
#[x_kube(validation = Rule::new("(has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON') || !has(self.deploymentConfiguration) || !has(self.deploymentConfiguration.maximumPercent) || self.deploymentConfiguration.maximumPercent >= 100").message("maximumPercent must be at least 100 for REPLICA services").field_path(".deploymentConfiguration.maximumPercent"))]
#[serde(rename_all = "camelCase")]
pub struct EcsServiceSpec {
    /// The short name or full Amazon Resource Name (ARN) of the cluster that you run your service on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The name of your service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^[a-zA-Z0-9_-]{1,255}$')").message("must be 1-255 letters, numbers, hyphens (-) and underscores (_)"))]
    pub service_name: Option<String>,
    /// The family and revision ( family:revision ) or full ARN of the task definition to run in your service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// Indicates whether to use Availability Zone rebalancing for the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone_rebalancing: Option<AvailabilityZoneRebalancing>,
    /// A load balancer object representing the load balancers to use with your service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 5))]
    pub load_balancers: Option<Vec<LoadBalancer>>,
    /// The details of the service discovery registry to associate with this service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_registries: Option<Vec<ServiceRegistry>>,
    /// The number of instantiations of the specified task definition to place and keep running in your service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 5000))]
    pub desired_count: Option<i32>,
    /// An identifier that you provide to ensure the idempotency of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 36))]
    pub client_token: Option<String>,
    /// The infrastructure that you run your service on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<LaunchType>,
    /// The capacity provider strategy to use for the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    /// The platform version that your tasks in the service are running on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// The name or full Amazon Resource Name (ARN) of the IAM role that allows Amazon ECS to make calls to your load balancer on your behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Optional deployment parameters that control how many tasks run during the deployment and the ordering of stopping and starting tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    /// An array of placement constraint objects to use for tasks in your service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10))]
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    /// The placement strategy objects to use for tasks in your service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 5))]
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    /// The network configuration for the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// The period of time, in seconds, that the Amazon ECS service scheduler ignores unhealthy Elastic Load Balancing, VPC Lattice, and container health checks after a task has first started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub health_check_grace_period_seconds: Option<i32>,
    /// The scheduling strategy to use for the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling_strategy: Option<SchedulingStrategy>,
    /// The deployment controller to use for the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_controller: Option<DeploymentController>,
    /// The metadata that you apply to the service to help you categorize and organize them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50))]
    pub tags: Option<Vec<Tag>>,
    /// Specifies whether to turn on Amazon ECS managed tags for the tasks within the service.
    #[serde(rename = "enableECSManagedTags")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_ecs_managed_tags: Option<bool>,
    /// Specifies whether to propagate the tags from the task definition to the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<PropagateTags>,
    /// Determines whether the execute command functionality is turned on for the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    /// The configuration for this service to discover and connect to services, and be discovered by, and connected from, other services within a namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect_configuration: Option<ServiceConnectConfiguration>,
    /// The configuration for a volume specified in the task definition as a volume that is configured at launch time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_configurations: Option<Vec<ServiceVolumeConfiguration>>,
    /// The VPC Lattice configuration for the service being created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_lattice_configurations: Option<Vec<VpcLatticeConfiguration>>,
    /// The gateway connectors that attach the service to a gateway ingress path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_connectors: Option<Vec<GatewayConnector>>,
    /// The optional monitoring configuration for the service, which defines the resolution for the service-level CPUUtilization and MemoryUtilization Amazon CloudWatch metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringConfiguration>,
    /// UpdateService's forceNewDeployment: a change of this value to true starts a new deployment with the same task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_new_deployment: Option<bool>,
}

/// The ECS Service response (DescribeServices) plus Kubernetes conditions.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsServiceStatus {
    /// The metadata.generation this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready / Progressing / Degraded conditions (Kubernetes convention).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
    /// The synthetic ARN of the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_arn: Option<String>,
    /// The ECS service name (spec.serviceName, defaulting to metadata.name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// The synthetic ARN of the cluster the service runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_arn: Option<String>,
    /// ACTIVE, DRAINING or INACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The desired number of tasks the operator is keeping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    /// Tasks in the RUNNING state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_count: Option<i32>,
    /// Tasks in the PENDING state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<i32>,
    /// The task definition (ARN, family:revision) of the PRIMARY deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// The service's deployments: one PRIMARY, and ACTIVE ones still being replaced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<Deployment>,
    /// The 100 most recent service events, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ServiceEvent>,
    /// The label selector of the service's tasks (serialized), for the scale subresource and HPA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// When the service was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// Extension (not in ECS): what the deployment machinery remembers between reconciles
    /// and across operator restarts (rollback target, circuit-breaker outcome, launch
    /// throttle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutStatus>,
}

/// Extension: the deployment machinery's memory (ecs-semantics.md §3.5, §3.7).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// The last deployment that reached COMPLETED: the circuit breaker's rollback target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_completed: Option<DeploymentReference>,
    /// The deployment the circuit breaker failed; it launches nothing while the spec still
    /// asks for it. Any change that starts a new deployment clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_deployment: Option<String>,
    /// The deployment that rolls the failed one back to `lastCompleted`, when rollback is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<DeploymentReference>,
    /// Consecutive PRIMARY tasks that stopped without ever reaching RUNNING (§3.7).
    #[serde(default)]
    pub launch_failures: i32,
    /// No PRIMARY task is launched before this time (the launch back-off, §3.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_launch_at: Option<Time>,
    /// Healthy PRIMARY tasks at the last reconcile: an increase resets the circuit
    /// breaker's count when `resetOnHealthyTask` is on.
    #[serde(default)]
    pub primary_healthy: i32,
}

/// A deployment by id and task definition.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentReference {
    /// The deployment id (ecs-svc/<19 digits>).
    pub id: String,
    /// The task definition ARN it runs.
    pub task_definition: String,
}

/// A deployment of the service (ECS Deployment shape).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// The deployment id (ecs-svc/<19 digits>).
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: String,
    /// The task definition (family:revision ARN) the deployment runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// Tasks this deployment should run.
    #[serde(default)]
    pub desired_count: i32,
    /// Tasks of this deployment in PENDING.
    #[serde(default)]
    pub pending_count: i32,
    /// Tasks of this deployment in RUNNING.
    #[serde(default)]
    pub running_count: i32,
    /// Consecutive failed tasks counted by the circuit breaker.
    #[serde(default)]
    pub failed_tasks: i32,
    /// IN_PROGRESS, COMPLETED or FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<String>,
    /// Why the rollout is in its state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    /// The launch type of the deployment's tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<String>,
    /// When the deployment was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// When the deployment last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Time>,
}

/// A service event (ECS ServiceEvent shape).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEvent {
    /// A unique id for the event.
    pub id: String,
    /// When the event happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// The ECS-worded message.
    pub message: String,
}
