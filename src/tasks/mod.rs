//! Tasks are Pods. This module is pure: it reads ECS task state out of a Pod
//! (`observe`) and builds the Pod of a task (`pod`). The controllers decide what to do.

pub mod observe;
pub mod pod;

pub use observe::{
    ContainerState, LastStatus, StopCode, TaskObservation, TaskStop, has_essential_health_check,
    observe, unknown_window_seconds,
};
pub use pod::{TaskPod, build_pod, new_task_id, random_seed};
