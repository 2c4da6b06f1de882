//! The custom resources, one file per kind. Specs are the ECS request shapes verbatim
//! (field names and casing as in the ECS API); statuses are the ECS responses plus
//! Kubernetes conditions.

pub mod common_status;
pub mod conditions;
pub mod ecs_cluster;
pub mod ecs_service;
pub mod ecs_task;
mod int_bounds;
pub mod shapes;
pub mod task_definition;

pub use common_status::{Failure, UnsupportedField};
pub use ecs_cluster::{EcsCluster, EcsClusterSpec, EcsClusterStatus};
pub use ecs_service::{EcsService, EcsServiceSpec, EcsServiceStatus};
pub use ecs_task::{EcsTask, EcsTaskSpec, EcsTaskStatus};
pub use task_definition::{TaskDefinition, TaskDefinitionSpec, TaskDefinitionStatus};

/// The API group of every kind.
pub const GROUP: &str = "ecs.operator.dev";
/// The API version of every kind.
pub const VERSION: &str = "v1alpha1";

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

/// Every CRD, in install order.
pub fn all_crds() -> Vec<CustomResourceDefinition> {
    [
        EcsCluster::crd(),
        TaskDefinition::crd(),
        EcsService::crd(),
        EcsTask::crd(),
    ]
    .into_iter()
    .map(int_bounds::bound_int32)
    .collect()
}
