//! The pure placement engine (issue 3): a snapshot of container instances and tasks in,
//! placement decisions out. No API calls.

pub mod labels;
mod model;
mod ports;
pub mod query;
pub mod reservation;

pub use model::{ContainerInstance, ExistingTask, HostPort, InstanceStatus, Protocol, Resources};
pub use ports::{
    ECS_DEFAULT_RESERVED_TCP_PORTS, EPHEMERAL_PORT_COUNT, EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST,
    PortSet,
};
pub use query::{Expression, InstanceFacts, ParseError};
