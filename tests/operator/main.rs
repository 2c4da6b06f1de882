//! The operator against a real control plane with kwok container instances: one operator
//! per test process (in-process), each test in its own namespace and ECS cluster.

#[path = "../support/mod.rs"]
mod support;

mod deployments;
mod instances;
mod load_balancers;
mod services;
mod task_definitions;
mod tasks;
