//! ecs-operator: Amazon ECS semantics on any Kubernetes cluster.

pub mod api;
pub mod arn;
pub mod cli;
pub mod controllers;
pub mod expose;
pub mod import;
pub mod interned;
pub mod labels;
pub mod operations;
pub mod placement;
pub mod registry;
pub mod rollout;
pub mod slim_node;
pub mod slim_pod;
pub mod tasks;
pub mod translate;
mod wire_meta;
