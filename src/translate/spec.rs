//! Small readings of the ECS spec that several steps share, with the ECS defaults applied.

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::{
    Compatibility, ContainerCondition, ContainerDefinition, NetworkMode, OSFamily,
};

/// `networkMode`, defaulting to `bridge` as ECS does for EC2 Linux (ecs-semantics.md §5.3).
pub(crate) fn network_mode(spec: &TaskDefinitionSpec) -> NetworkMode {
    spec.network_mode.unwrap_or(NetworkMode::Bridge)
}

/// The wire name of a network mode, for messages.
pub(crate) fn network_mode_name(mode: NetworkMode) -> &'static str {
    match mode {
        NetworkMode::Bridge => "bridge",
        NetworkMode::Host => "host",
        NetworkMode::Awsvpc => "awsvpc",
        NetworkMode::None => "none",
    }
}

/// Whether the definition is validated for Fargate (`requiresCompatibilities` has FARGATE).
pub(crate) fn is_fargate(spec: &TaskDefinitionSpec) -> bool {
    spec.requires_compatibilities
        .as_deref()
        .is_some_and(|c| c.contains(&Compatibility::Fargate))
}

/// Whether `runtimePlatform.operatingSystemFamily` names a Windows family.
pub(crate) fn is_windows(spec: &TaskDefinitionSpec) -> bool {
    spec.runtime_platform
        .as_ref()
        .and_then(|p| p.operating_system_family)
        .is_some_and(|f| f != OSFamily::Linux)
}

/// `essential` defaults to true (ecs-semantics.md §4.2).
pub(crate) fn is_essential(c: &ContainerDefinition) -> bool {
    c.essential.unwrap_or(true)
}

/// What placement reserves for a container: memoryReservation, else memory (§5.2).
pub(crate) fn reserved_memory(c: &ContainerDefinition) -> Option<i32> {
    c.memory_reservation.or(c.memory)
}

/// The index of the container named `name`.
pub(crate) fn container_index(spec: &TaskDefinitionSpec, name: &str) -> Option<usize> {
    spec.container_definitions
        .iter()
        .position(|c| c.name == name)
}

/// The wire name of a dependency condition, for messages.
pub(crate) fn condition_name(condition: ContainerCondition) -> &'static str {
    match condition {
        ContainerCondition::Start => "START",
        ContainerCondition::Complete => "COMPLETE",
        ContainerCondition::Success => "SUCCESS",
        ContainerCondition::Healthy => "HEALTHY",
    }
}

/// A list field that is set and non-empty.
pub(crate) fn non_empty<T>(list: &Option<Vec<T>>) -> Option<&[T]> {
    list.as_deref().filter(|l| !l.is_empty())
}
