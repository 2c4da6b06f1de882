//! The ECS API shapes nested in the four specs, one file per area.

mod cluster;
mod common;
mod container;
mod service;
mod service_connect;
mod task;
mod task_definition;

pub use cluster::*;
pub use common::*;
pub use container::*;
pub use service::*;
pub use service_connect::*;
pub use task::*;
pub use task_definition::*;
