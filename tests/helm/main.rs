//! The Helm chart (charts/ecs-operator): lint and render checks that need only the helm
//! binary, the CRD copies in sync with crds/, and an install on the real control plane
//! whose ServiceAccount runs the operator to convergence and is denied everything else.

#[path = "../support/mod.rs"]
mod support;

mod chart;
mod crds;
mod install;
mod rbac;
mod render;
