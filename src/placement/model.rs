//! The snapshot vocabulary: container instances and the tasks already running on them.
//!
//! These are plain data; `Snapshot` (snapshot.rs) indexes them for placement. Units follow ECS:
//! CPU in cpu units (1024 = 1 vCPU), memory in MiB (ecs-semantics.md §5.2, §6.1).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::ports::PortSet;

/// CPU units and MiB of memory, as ECS counts them for placement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Resources {
    /// CPU units; 1024 units = 1 vCPU.
    pub cpu: u64,
    /// Memory in MiB.
    pub memory: u64,
}

impl Resources {
    pub const fn new(cpu: u64, memory: u64) -> Self {
        Self { cpu, memory }
    }

    /// Whether `need` fits into `self` (both dimensions).
    pub fn fits(&self, need: &Resources) -> bool {
        self.cpu >= need.cpu && self.memory >= need.memory
    }

    pub fn saturating_sub(&self, other: &Resources) -> Resources {
        Resources::new(
            self.cpu.saturating_sub(other.cpu),
            self.memory.saturating_sub(other.memory),
        )
    }

    /// Each dimension capped at `cap`'s.
    pub fn min_each(&self, cap: &Resources) -> Resources {
        Resources::new(self.cpu.min(cap.cpu), self.memory.min(cap.memory))
    }

    pub fn saturating_add(&self, other: &Resources) -> Resources {
        Resources::new(
            self.cpu.saturating_add(other.cpu),
            self.memory.saturating_add(other.memory),
        )
    }
}

/// Host-port protocol. ECS knows `tcp` (PORTS) and `udp` (PORTS_UDP); they are separate
/// namespaces (ecs-semantics.md §5.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
}

impl Protocol {
    /// ECS rule: `udp` is udp, every other value is tcp (ecs-semantics.md §5.3).
    pub fn from_ecs(value: Option<&str>) -> Self {
        match value {
            Some(v) if v.eq_ignore_ascii_case("udp") => Protocol::Udp,
            _ => Protocol::Tcp,
        }
    }
}

/// One host port bound by a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPort {
    pub port: u16,
    pub protocol: Protocol,
}

impl HostPort {
    pub const fn tcp(port: u16) -> Self {
        Self {
            port,
            protocol: Protocol::Tcp,
        }
    }

    pub const fn udp(port: u16) -> Self {
        Self {
            port,
            protocol: Protocol::Udp,
        }
    }
}

/// ECS container-instance status. Only ACTIVE instances take new tasks (ecs-semantics.md §6.1);
/// the transitional states (REGISTERING, DEREGISTERING, …) never do, so they map to `Draining`
/// for placement purposes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum InstanceStatus {
    #[default]
    Active,
    Draining,
}

impl InstanceStatus {
    pub fn as_ecs(&self) -> &'static str {
        match self {
            InstanceStatus::Active => "ACTIVE",
            InstanceStatus::Draining => "DRAINING",
        }
    }
}

/// A container instance (a Kubernetes Node labeled as a member of the cluster).
///
/// `remaining` is what is left after every reservation on the instance, ours and everyone
/// else's; the engine does not subtract `ExistingTask::reservation` again (those are used to
/// reason about scale-in). Likewise `ports_in_use` already lists every host port taken.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerInstance {
    /// The container-instance id: the node name.
    pub id: String,
    /// Value of the `ec2InstanceId` query subject; the node name when unset.
    pub ec2_instance_id: Option<String>,
    /// Built-in (`ecs.availability-zone`, …) and custom attributes.
    pub attributes: BTreeMap<String, String>,
    pub registered: Resources,
    pub remaining: Resources,
    /// Host ports taken on the instance (agent-reserved ports included).
    pub ports_in_use: PortSet,
    pub status: InstanceStatus,
    pub agent_connected: bool,
    /// Value of the `agentVersion` query subject, e.g. `1.33.1`.
    pub agent_version: Option<String>,
    /// Registration time in seconds since the Unix epoch (`registeredAt` subject).
    pub registered_at: Option<i64>,
}

impl ContainerInstance {
    /// An ACTIVE, connected instance with the given capacity fully available.
    pub fn new(id: impl Into<String>, registered: Resources) -> Self {
        Self {
            id: id.into(),
            registered,
            remaining: registered,
            agent_connected: true,
            ..Self::default()
        }
    }

    /// Builder-style attribute setter (handy in tests and adapters).
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }

    /// The `ec2InstanceId` query subject's value.
    pub fn ec2_instance_id(&self) -> &str {
        self.ec2_instance_id.as_deref().unwrap_or(&self.id)
    }

    /// Placement needs status ACTIVE and a connected agent (ecs-semantics.md §2.1, §6.1).
    pub fn accepts_new_tasks(&self) -> bool {
        self.status == InstanceStatus::Active && self.agent_connected
    }
}

/// A task already placed on an instance (a Pod of ours, not terminal, not being deleted).
/// Its strings are shared (`Arc<str>`): a snapshot holds every task of the cluster, and the
/// tasks of a service repeat one group, one family and a few instance names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExistingTask {
    /// A stable handle the caller understands (the adapter uses `namespace/name`).
    pub id: Arc<str>,
    /// The container-instance id (node name) the task runs on.
    pub instance: Arc<str>,
    /// The ECS task group: `service:<name>` for service tasks, `family:<family>` by default
    /// for standalone ones (ecs-semantics.md §2.3).
    pub group: Arc<str>,
    /// The task-definition family.
    pub family: Option<Arc<str>>,
    /// What the task reserved on its instance.
    pub reservation: Resources,
    /// Host ports the task binds.
    pub host_ports: Vec<HostPort>,
}
