//! Test builders: small clusters in a few lines.

use super::labels::ATTR_AVAILABILITY_ZONE;
use super::model::{ContainerInstance, ExistingTask, HostPort, InstanceStatus, Resources};

/// An ACTIVE, connected instance `id` in `zone` with `cpu` units and `memory` MiB free.
pub(crate) fn node(id: &str, zone: &str, cpu: u64, memory: u64) -> ContainerInstance {
    ContainerInstance::new(id, Resources::new(cpu, memory))
        .with_attribute(ATTR_AVAILABILITY_ZONE, zone)
}

/// `per_zone` roomy nodes in each of `zones`, named `<zone>-<n>`.
pub(crate) fn roomy_nodes(zones: &[&str], per_zone: usize) -> Vec<ContainerInstance> {
    zones
        .iter()
        .flat_map(|z| (0..per_zone).map(move |n| node(&format!("{z}-{n}"), z, 100_000, 100_000)))
        .collect()
}

pub(crate) fn draining(mut i: ContainerInstance) -> ContainerInstance {
    i.status = InstanceStatus::Draining;
    i
}

pub(crate) fn disconnected(mut i: ContainerInstance) -> ContainerInstance {
    i.agent_connected = false;
    i
}

/// A task `id` of `group` on `instance`, reserving `reservation`.
pub(crate) fn task(id: &str, instance: &str, group: &str, reservation: Resources) -> ExistingTask {
    ExistingTask {
        id: id.into(),
        instance: instance.into(),
        group: group.into(),
        family: None,
        reservation,
        host_ports: Vec::<HostPort>::new(),
    }
}

/// How many placements landed on each instance id.
pub(crate) fn per_instance(
    outcome: &super::PlacementOutcome,
) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for p in &outcome.placements {
        *counts.entry(p.instance.to_string()).or_insert(0) += 1;
    }
    counts
}
