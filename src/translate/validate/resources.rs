//! CPU, memory, accelerators and ephemeral storage (ecs-semantics.md §5.2): task-level strings,
//! the Fargate cpu/memory table, container sizes and their sums against the task.

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::{ResourceType, TaskOverride};
use crate::placement::reservation::{parse_task_cpu, parse_task_memory};

use super::super::paths::Paths;
use super::super::spec::{is_fargate, is_windows, reserved_memory};
use super::{Issues, Rule};

/// EC2/EXTERNAL task cpu range (units).
const TASK_CPU_MIN: u64 = 128;
const TASK_CPU_MAX: u64 = 196_608;
/// Docker 20.10+ refuses containers below 6 MiB.
const MEMORY_MIN: i32 = 6;
/// Fargate stopTimeout maximum (seconds).
const FARGATE_STOP_TIMEOUT_MAX: i32 = 120;
/// ephemeralStorage.sizeInGiB range.
const EPHEMERAL_MIN: i32 = 21;
const EPHEMERAL_MAX: i32 = 200;

/// The Fargate table (ecs-semantics.md §5.2): cpu units → (min, max, step) MiB, or an
/// explicit list for 256 units.
fn fargate_memory_valid(cpu: u64, memory: u64) -> Option<bool> {
    let (min, max, step) = match cpu {
        256 => return Some(matches!(memory, 512 | 1024 | 2048)),
        512 => (1024, 4096, 1024),
        1024 => (2048, 8192, 1024),
        2048 => (4096, 16384, 1024),
        4096 => (8192, 30720, 1024),
        8192 => (16384, 61440, 4096),
        16384 => (32768, 122_880, 8192),
        _ => return None,
    };
    Some((min..=max).contains(&memory) && (memory - min).is_multiple_of(step))
}

fn fargate_memory_text(cpu: u64) -> &'static str {
    match cpu {
        256 => "512, 1024 or 2048 MiB",
        512 => "1024-4096 MiB in 1024 MiB steps",
        1024 => "2048-8192 MiB in 1024 MiB steps",
        2048 => "4096-16384 MiB in 1024 MiB steps",
        4096 => "8192-30720 MiB in 1024 MiB steps",
        8192 => "16384-61440 MiB in 4096 MiB steps",
        _ => "32768-122880 MiB in 8192 MiB steps",
    }
}

/// Parsed task-level cpu; pushes an issue and returns None when it does not parse or is out
/// of range.
fn task_cpu(spec: &TaskDefinitionSpec, paths: &Paths, v: &mut Issues) -> Option<u64> {
    let text = spec.cpu.as_deref()?;
    let field = paths.task("cpu");
    match parse_task_cpu(text) {
        Some(units) if (TASK_CPU_MIN..=TASK_CPU_MAX).contains(&units) => Some(units),
        Some(units) => {
            v.push(
                field,
                Rule::TaskCpu,
                format!(
                    "task cpu {units} units is outside the supported range {TASK_CPU_MIN}-{TASK_CPU_MAX} units \
                     (0.125-192 vCPU)"
                ),
            );
            None
        }
        None => {
            v.push(
                field,
                Rule::TaskCpu,
                format!(
                    "invalid task cpu {text:?}: use CPU units (\"1024\") or vCPUs (\"1 vCPU\", \"0.5 vCPU\")"
                ),
            );
            None
        }
    }
}

fn task_memory(spec: &TaskDefinitionSpec, paths: &Paths, v: &mut Issues) -> Option<u64> {
    let text = spec.memory.as_deref()?;
    let field = paths.task("memory");
    match parse_task_memory(text) {
        Some(mib) if mib >= MEMORY_MIN as u64 => Some(mib),
        Some(mib) => {
            v.push(
                field,
                Rule::TaskMemory,
                format!("task memory must be at least {MEMORY_MIN} MiB; got {mib} MiB"),
            );
            None
        }
        None => {
            v.push(
                field,
                Rule::TaskMemory,
                format!("invalid task memory {text:?}: use MiB (\"2048\") or GB (\"2 GB\")"),
            );
            None
        }
    }
}

pub(super) fn check(spec: &TaskDefinitionSpec, paths: &Paths, v: &mut Issues) {
    let fargate = is_fargate(spec);
    let cpu = task_cpu(spec, paths, v);
    let memory = task_memory(spec, paths, v);
    if fargate {
        fargate_pair(spec, paths, cpu, memory, v);
    }
    containers(spec, paths, fargate, cpu, memory, v);
    if let Some(es) = &spec.ephemeral_storage
        && !(EPHEMERAL_MIN..=EPHEMERAL_MAX).contains(&es.size_in_gi_b)
    {
        v.push(
            format!("{}.sizeInGiB", paths.task("ephemeralStorage")),
            Rule::EphemeralStorage,
            format!(
                "ephemeral storage must be between {EPHEMERAL_MIN} and {EPHEMERAL_MAX} GiB; got {} GiB",
                es.size_in_gi_b
            ),
        );
    }
}

fn fargate_pair(
    spec: &TaskDefinitionSpec,
    paths: &Paths,
    cpu: Option<u64>,
    memory: Option<u64>,
    v: &mut Issues,
) {
    if spec.cpu.is_none() {
        v.push(
            paths.task("cpu"),
            Rule::FargateCpuMemory,
            "Fargate requires task-level cpu",
        );
    }
    if spec.memory.is_none() {
        v.push(
            paths.task("memory"),
            Rule::FargateCpuMemory,
            "Fargate requires task-level memory",
        );
    }
    let (Some(cpu), Some(memory)) = (cpu, memory) else {
        return;
    };
    match fargate_memory_valid(cpu, memory) {
        None => v.push(
            paths.task("cpu"),
            Rule::FargateCpuMemory,
            format!(
                "Fargate does not support task cpu {cpu}; use 256, 512, 1024, 2048, 4096, 8192 or 16384 units"
            ),
        ),
        Some(false) => v.push(
            paths.task("memory"),
            Rule::FargateCpuMemory,
            format!(
                "Fargate does not support {memory} MiB with {cpu} cpu units; with {cpu} units use {}",
                fargate_memory_text(cpu)
            ),
        ),
        Some(true) => {}
    }
    if is_windows(spec) && cpu < 1024 {
        v.push(
            paths.task("cpu"),
            Rule::FargateCpuMemory,
            "Windows tasks on Fargate need at least 1 vCPU (1024 units)",
        );
    }
}

fn containers(
    spec: &TaskDefinitionSpec,
    paths: &Paths,
    fargate: bool,
    task_cpu: Option<u64>,
    task_memory: Option<u64>,
    v: &mut Issues,
) {
    let mut cpu_sum: u64 = 0;
    let mut memory_sum: u64 = 0;
    for (i, c) in spec.container_definitions.iter().enumerate() {
        if let Some(cpu) = c.cpu {
            if cpu < 0 {
                v.push(
                    paths.container(i, "cpu"),
                    Rule::ContainerResources,
                    format!("container cpu must not be negative; got {cpu}"),
                );
            }
            cpu_sum = cpu_sum.saturating_add(u64::try_from(cpu).unwrap_or(0));
        }
        for (field, value) in [
            ("memory", c.memory),
            ("memoryReservation", c.memory_reservation),
        ] {
            if let Some(value) = value
                && value < MEMORY_MIN
            {
                v.push(
                    paths.container(i, field),
                    Rule::ContainerResources,
                    format!("container {field} must be at least {MEMORY_MIN} MiB; got {value} MiB"),
                );
            }
        }
        if let (Some(memory), Some(reservation)) = (c.memory, c.memory_reservation)
            && reservation >= memory
        {
            v.push(
                paths.container(i, "memoryReservation"),
                Rule::MemoryReservation,
                format!(
                    "Invalid setting for container {:?}: memoryReservation ({reservation} MiB) must be less than \
                     memory ({memory} MiB)",
                    c.name
                ),
            );
        }
        match reserved_memory(c) {
            Some(mib) => memory_sum = memory_sum.saturating_add(u64::try_from(mib).unwrap_or(0)),
            None if spec.memory.is_none() && !fargate => v.push(
                paths.container_root(i),
                Rule::ContainerMemoryRequired,
                format!(
                    "Invalid setting for container {:?}: at least one of 'memory' or 'memoryReservation' must be \
                     specified for a container when the task definition has no task-level memory",
                    c.name
                ),
            ),
            None => {}
        }
        resource_requirements(paths, i, c, fargate, v);
        if fargate
            && let Some(timeout) = c.stop_timeout
            && timeout > FARGATE_STOP_TIMEOUT_MAX
        {
            v.push(
                paths.container(i, "stopTimeout"),
                Rule::FargateUnsupported,
                format!("on Fargate stopTimeout is at most {FARGATE_STOP_TIMEOUT_MAX} seconds; got {timeout}"),
            );
        }
    }
    if let Some(task_cpu) = task_cpu
        && cpu_sum > task_cpu
    {
        v.push(
            paths.task("cpu"),
            Rule::TaskCpuExceeded,
            format!(
                "the containers' cpu adds up to {cpu_sum} units, more than the task-level cpu of {task_cpu} units"
            ),
        );
    }
    if let Some(task_memory) = task_memory
        && memory_sum > task_memory
    {
        v.push(
            paths.task("memory"),
            Rule::TaskMemoryExceeded,
            format!(
                "the memory reserved by the containers (memoryReservation, else memory) adds up to {memory_sum} MiB, \
                 more than the task-level memory of {task_memory} MiB"
            ),
        );
    }
}

fn resource_requirements(
    paths: &Paths,
    i: usize,
    c: &crate::api::shapes::ContainerDefinition,
    fargate: bool,
    v: &mut Issues,
) {
    let mut seen = Vec::new();
    for (k, rr) in c.resource_requirements.iter().flatten().enumerate() {
        let base = paths.item(i, "resourceRequirements", k);
        if seen.contains(&rr.r#type) {
            v.push(
                format!("{base}.type"),
                Rule::ResourceRequirement,
                "each resource type may appear once per container",
            );
        }
        seen.push(rr.r#type);
        if matches!(rr.r#type, ResourceType::Gpu | ResourceType::Neurondevice) {
            let count = rr
                .value
                .as_deref()
                .and_then(|s| s.trim().parse::<u32>().ok());
            if !matches!(count, Some(n) if n > 0) {
                v.push(
                    format!("{base}.value"),
                    Rule::ResourceRequirement,
                    format!(
                        "the number of devices must be a positive whole number; got {:?}",
                        rr.value.as_deref().unwrap_or_default()
                    ),
                );
            }
            if fargate && rr.r#type == ResourceType::Gpu {
                v.push(
                    format!("{base}.type"),
                    Rule::FargateUnsupported,
                    "GPUs are not supported on Fargate",
                );
            }
        }
    }
}

/// RunTask override limit (ecs-semantics.md §7): the JSON of `overrides` is at most 8192
/// characters.
pub(crate) fn overrides_too_large(overrides: &TaskOverride) -> Option<usize> {
    let len = serde_json::to_string(overrides).map_or(0, |s| s.chars().count());
    (len > 8192).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::api::shapes::{Compatibility, NetworkMode, ResourceRequirement};
    use crate::translate::TranslateOptions;
    use crate::translate::validate::validate;

    fn fargate(cpu: &str, memory: &str) -> TaskDefinitionSpec {
        let mut c = container("app");
        c.memory = None;
        let mut s = spec(vec![c]);
        s.requires_compatibilities = Some(vec![Compatibility::Fargate]);
        s.network_mode = Some(NetworkMode::Awsvpc);
        s.cpu = Some(cpu.into());
        s.memory = Some(memory.into());
        s
    }

    #[test]
    fn fargate_table() {
        for (cpu, memory) in [
            ("256", "512"),
            ("256", "2 GB"),
            (".5 vCPU", "4096"),
            ("1024", "8192"),
            ("2 vCPU", "16 GB"),
            ("4096", "30720"),
            ("8192", "20480"),
            ("16384", "122880"),
        ] {
            assert_valid(&fargate(cpu, memory));
        }
        for (cpu, memory, field) in [
            ("256", "3072", "spec.memory"),
            ("512", "5120", "spec.memory"),
            ("1024", "1024", "spec.memory"),
            ("8192", "17408", "spec.memory"),
            ("16384", "36864", "spec.memory"),
            ("384", "1024", "spec.cpu"),
        ] {
            assert_only(&fargate(cpu, memory), Rule::FargateCpuMemory, field);
        }
        let mut s = fargate("256", "512");
        s.cpu = None;
        assert_only(&s, Rule::FargateCpuMemory, "spec.cpu");
    }

    #[test]
    fn fargate_requires_awsvpc() {
        let mut s = fargate("256", "512");
        s.network_mode = None;
        assert_only(&s, Rule::FargateNetworkMode, "spec.networkMode");
    }

    #[test]
    fn task_level_strings() {
        let mut s = spec(vec![container("a")]);
        s.cpu = Some("lots".into());
        assert_only(&s, Rule::TaskCpu, "spec.cpu");
        s.cpu = Some("64".into());
        assert_only(&s, Rule::TaskCpu, "spec.cpu");
        s.cpu = Some("0.5 vcpu".into());
        s.memory = Some("2 TB".into());
        assert_only(&s, Rule::TaskMemory, "spec.memory");
        s.memory = Some("1 GB".into());
        assert_valid(&s);
    }

    #[test]
    fn ec2_containers_need_memory_without_task_memory() {
        let mut c = container("a");
        c.memory = None;
        assert_only(
            &spec(vec![c.clone()]),
            Rule::ContainerMemoryRequired,
            "spec.containerDefinitions[0]",
        );
        let mut s = spec(vec![c]);
        s.memory = Some("512".into());
        assert_valid(&s);
    }

    #[test]
    fn container_sums_must_fit_the_task() {
        let mut a = container("a");
        a.cpu = Some(512);
        a.memory = Some(512);
        let mut b = container("b");
        b.cpu = Some(768);
        b.memory = Some(1024);
        b.memory_reservation = Some(256);
        let mut s = spec(vec![a, b]);
        s.cpu = Some("1024".into());
        s.memory = Some("1024".into());
        assert_only(&s, Rule::TaskCpuExceeded, "spec.cpu");
        s.cpu = Some("2048".into());
        s.memory = Some("512".into());
        assert_only(&s, Rule::TaskMemoryExceeded, "spec.memory");
        s.memory = Some("768".into());
        assert_valid(&s);
    }

    #[test]
    fn reservation_must_be_below_memory() {
        let mut a = container("a");
        a.memory_reservation = Some(128);
        assert_only(
            &spec(vec![a.clone()]),
            Rule::MemoryReservation,
            "spec.containerDefinitions[0].memoryReservation",
        );
        a.memory = Some(4);
        a.memory_reservation = None;
        assert_only(
            &spec(vec![a]),
            Rule::ContainerResources,
            "spec.containerDefinitions[0].memory",
        );
    }

    #[test]
    fn gpus() {
        let mut a = container("a");
        a.resource_requirements = Some(vec![ResourceRequirement {
            value: Some("zero".into()),
            r#type: ResourceType::Gpu,
            sharing_strategy: None,
        }]);
        assert_only(
            &spec(vec![a.clone()]),
            Rule::ResourceRequirement,
            "spec.containerDefinitions[0].resourceRequirements[0].value",
        );
        a.resource_requirements = Some(vec![
            ResourceRequirement {
                value: Some("1".into()),
                r#type: ResourceType::Gpu,
                sharing_strategy: None,
            },
            ResourceRequirement {
                value: Some("2".into()),
                r#type: ResourceType::Gpu,
                sharing_strategy: None,
            },
        ]);
        assert_only(
            &spec(vec![a]),
            Rule::ResourceRequirement,
            "spec.containerDefinitions[0].resourceRequirements[1].type",
        );
    }

    #[test]
    fn ephemeral_storage_and_fargate_stop_timeout() {
        use crate::api::shapes::EphemeralStorage;
        let mut s = spec(vec![container("a")]);
        s.ephemeral_storage = Some(EphemeralStorage { size_in_gi_b: 20 });
        assert_only(
            &s,
            Rule::EphemeralStorage,
            "spec.ephemeralStorage.sizeInGiB",
        );
        let mut s = fargate("256", "512");
        s.container_definitions[0].stop_timeout = Some(121);
        assert_only(
            &s,
            Rule::FargateUnsupported,
            "spec.containerDefinitions[0].stopTimeout",
        );
    }

    #[test]
    fn override_size_limit() {
        let small = TaskOverride::default();
        assert_eq!(overrides_too_large(&small), None);
        let big = TaskOverride {
            task_role_arn: Some("x".repeat(9000)),
            ..Default::default()
        };
        assert!(overrides_too_large(&big).is_some());
        let _ = validate(&spec(vec![container("a")]), &TranslateOptions::default());
    }
}
