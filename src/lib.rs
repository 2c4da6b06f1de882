//! ecs-operator: Amazon ECS semantics on any Kubernetes cluster.

pub mod api;
pub mod cli;
pub mod import;
pub mod placement;
