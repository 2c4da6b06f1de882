//! The pure placement engine (issue 3): a snapshot of container instances and tasks in,
//! placement decisions out. No API calls.
//!
//! ```
//! use ecs_operator::placement::*;
//!
//! let snapshot = Snapshot::new(
//!     ["a", "b", "c"].iter().map(|zone| {
//!         ContainerInstance::new(format!("node-{zone}"), Resources::new(4096, 8192))
//!             .with_attribute(labels::ATTR_AVAILABILITY_ZONE, format!("us-east-1{zone}"))
//!     }),
//!     [],
//! );
//! let request = PlacementRequest::service("web")
//!     .with_count(3)
//!     .with_reservation(Resources::new(256, 512))
//!     .with_constraints([Constraint::member_of("attribute:ecs.availability-zone =~ us-east-1.*")?])
//!     .with_seed(42);
//! let outcome = snapshot.place(&request)?;
//! assert_eq!(outcome.placements.len(), 3); // one per zone: the default spreads by zone
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Layout: `model` (instances, tasks) → `snapshot` (indexed) → `working` (one call's state and
//! the ECS filter pipeline) → `ranking` + `tie_index` (strategy keys and the ordered index) →
//! `place` / `scale_in` / `daemon` (the three questions controllers ask) → `failure` (ECS
//! reasons and messages). `query` is the cluster query language; `kube_adapter` builds a
//! snapshot from Nodes and Pods.

mod constraint;
mod daemon;
mod failure;
#[cfg(test)]
mod fixtures;
pub mod kube_adapter;
pub mod labels;
pub mod live;
mod model;
mod place;
mod ports;
mod quantity;
pub mod query;
mod ranking;
mod request;
pub mod reservation;
mod rng;
mod scale_in;
mod snapshot;
mod strategy;
mod tie_index;
mod working;

pub use constraint::{Constraint, ConstraintError, MAX_CONSTRAINTS};
pub use daemon::DaemonPlan;
pub use failure::{FailureReason, InstanceRejection, PlacementFailure, Shortfall};
pub use model::{ContainerInstance, ExistingTask, HostPort, InstanceStatus, Protocol, Resources};
pub use place::PlacementOutcome;
pub use ports::{
    ECS_DEFAULT_RESERVED_TCP_PORTS, EPHEMERAL_PORT_COUNT, EPHEMERAL_PORT_FIRST,
    EPHEMERAL_PORT_LAST, PortSet,
};
pub use query::{Expression, InstanceFacts, ParseError};
pub use request::{
    Placement, PlacementRequest, PortRequest, RequestError, RequiredAttribute, TaskKind,
    family_group, service_group,
};
pub use scale_in::ScaleInRequest;
pub use snapshot::Snapshot;
pub use strategy::{
    BinpackField, MAX_STRATEGIES, SpreadField, Strategy, StrategyError, default_service_strategies,
    default_standalone_strategies,
};
