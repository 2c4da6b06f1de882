//! What a controller asks the engine to place, and what it gets back.

use std::borrow::Cow;
use std::sync::Arc;

use super::constraint::{Constraint, MAX_CONSTRAINTS};
use super::model::{HostPort, Protocol, Resources};
use super::strategy::{
    MAX_STRATEGIES, Strategy, default_service_strategies, default_standalone_strategies,
};

/// Who launches the tasks; decides the default strategies (ecs-semantics.md §2.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TaskKind {
    /// Service scheduler: default spread(zone) → spread(instanceId).
    #[default]
    Service,
    /// RunTask / standalone: default random.
    Standalone,
}

/// The group of a service's tasks: `service:<serviceName>` (ecs-semantics.md §2.3).
pub fn service_group(service_name: &str) -> String {
    format!("service:{service_name}")
}

/// The default group of standalone tasks: `family:<family>` (ecs-semantics.md §2.3).
pub fn family_group(family: &str) -> String {
    format!("family:{family}")
}

/// One host port the task needs. `port == 0` asks for a dynamic port from the ephemeral
/// range (bridge-mode `hostPort: 0` or omitted, ecs-semantics.md §5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortRequest {
    pub port: u16,
    pub protocol: Protocol,
}

impl PortRequest {
    pub const fn fixed(port: HostPort) -> Self {
        Self {
            port: port.port,
            protocol: port.protocol,
        }
    }

    pub const fn dynamic(protocol: Protocol) -> Self {
        Self { port: 0, protocol }
    }

    pub fn is_dynamic(&self) -> bool {
        self.port == 0
    }
}

/// A task-definition `requiresAttributes` entry: the instance must carry the attribute, with
/// this value when one is given (ecs-semantics.md §2.1 step 2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequiredAttribute {
    pub name: String,
    pub value: Option<String>,
}

impl RequiredAttribute {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: None,
        }
    }
}

/// A request to place `count` identical tasks of one group.
#[derive(Clone, Debug)]
pub struct PlacementRequest {
    /// `service:<name>`, `family:<family>` or a custom group. Spread and distinctInstance
    /// count only tasks of this group.
    pub group: String,
    pub kind: TaskKind,
    pub count: u32,
    /// Reserved per task (see `reservation::task_reservation`).
    pub reservation: Resources,
    pub ports: Vec<PortRequest>,
    pub required_attributes: Vec<RequiredAttribute>,
    /// Task-definition and runtime constraints together.
    pub constraints: Vec<Constraint>,
    /// Empty = the defaults for `kind`.
    pub strategies: Vec<Strategy>,
    /// Seeds every random choice: the same snapshot, request and seed give the same decisions.
    pub seed: u64,
}

impl PlacementRequest {
    /// One task of the service `service_name` (group `service:<name>`).
    pub fn service(service_name: &str) -> Self {
        Self::new(service_group(service_name), TaskKind::Service)
    }

    /// One standalone task of `group` (e.g. `family_group("batch")`).
    pub fn standalone(group: impl Into<String>) -> Self {
        Self::new(group.into(), TaskKind::Standalone)
    }

    fn new(group: String, kind: TaskKind) -> Self {
        Self {
            group,
            kind,
            count: 1,
            reservation: Resources::default(),
            ports: Vec::new(),
            required_attributes: Vec::new(),
            constraints: Vec::new(),
            strategies: Vec::new(),
            seed: 0,
        }
    }

    pub fn with_count(mut self, count: u32) -> Self {
        self.count = count;
        self
    }

    pub fn with_reservation(mut self, reservation: Resources) -> Self {
        self.reservation = reservation;
        self
    }

    pub fn with_ports(mut self, ports: impl IntoIterator<Item = PortRequest>) -> Self {
        self.ports.extend(ports);
        self
    }

    pub fn with_required_attribute(mut self, attribute: RequiredAttribute) -> Self {
        self.required_attributes.push(attribute);
        self
    }

    pub fn with_constraints(mut self, constraints: impl IntoIterator<Item = Constraint>) -> Self {
        self.constraints.extend(constraints);
        self
    }

    pub fn with_strategies(mut self, strategies: impl IntoIterator<Item = Strategy>) -> Self {
        self.strategies.extend(strategies);
        self
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The strategies that apply: the request's, or the defaults for its kind.
    pub fn effective_strategies(&self) -> Cow<'_, [Strategy]> {
        effective_strategies(&self.strategies, self.kind)
    }

    /// Checks the ECS limits the engine relies on.
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.strategies.len() > MAX_STRATEGIES {
            return Err(RequestError::TooManyStrategies(self.strategies.len()));
        }
        if self.constraints.len() > MAX_CONSTRAINTS {
            return Err(RequestError::TooManyConstraints(self.constraints.len()));
        }
        let mut fixed: Vec<HostPort> = self
            .ports
            .iter()
            .filter(|p| !p.is_dynamic())
            .map(|p| HostPort {
                port: p.port,
                protocol: p.protocol,
            })
            .collect();
        fixed.sort();
        if let Some(pair) = fixed.windows(2).find(|w| w[0] == w[1]) {
            return Err(RequestError::DuplicateHostPort(pair[0]));
        }
        Ok(())
    }
}

pub(crate) fn effective_strategies(strategies: &[Strategy], kind: TaskKind) -> Cow<'_, [Strategy]> {
    if !strategies.is_empty() {
        return Cow::Borrowed(strategies);
    }
    Cow::Owned(match kind {
        TaskKind::Service => default_service_strategies(),
        TaskKind::Standalone => default_standalone_strategies(),
    })
}

/// A request the engine refuses outright (nothing is evaluated).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("{0} placement strategies given; ECS allows at most 5")]
    TooManyStrategies(usize),
    #[error("{0} placement constraints given; ECS allows at most 10")]
    TooManyConstraints(usize),
    #[error("host port {}/{:?} is requested twice by the same task", .0.port, .0.protocol)]
    DuplicateHostPort(HostPort),
}

/// One placed task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The container instance (node name).
    pub instance: Arc<str>,
    /// One entry per `PlacementRequest::ports` entry, in order; dynamic ones filled in.
    pub host_ports: Vec<HostPort>,
}
