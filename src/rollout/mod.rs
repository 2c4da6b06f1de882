//! Service scheduling decisions, pure (ecs-semantics.md §3): how many tasks of the PRIMARY
//! deployment to start and which tasks to stop, within minimumHealthyPercent /
//! maximumPercent. Which instance a new task goes to, and which of several equivalent
//! tasks leaves on scale-in, is the placement engine's job; this module only counts.

pub mod capacity;
pub mod deployments;
mod plan;

pub use plan::{
    LaunchGate, RunHealth, ServiceInput, ServicePlan, StopDecision, TaskClass, TaskInfo,
    UNHEALTHY_REASON, bounds, plan_service,
};
