//! How much a task reserves on its instance, by the ECS rules (ecs-semantics.md §5.2), and the
//! unit conversions between ECS (cpu units, MiB) and Kubernetes (millicores, bytes).

use super::model::Resources;

/// Bytes in one MiB.
pub const MIB: u64 = 1024 * 1024;
/// CPU units in one vCPU.
pub const CPU_UNITS_PER_VCPU: u64 = 1024;
/// Kubernetes millicores in one vCPU.
pub const MILLICORES_PER_VCPU: u64 = 1000;

/// The placement-relevant part of one container definition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContainerReservation {
    /// Container `cpu` (units); unset counts as 0.
    pub cpu: Option<i64>,
    /// Container `memory` (hard limit, MiB).
    pub memory: Option<i64>,
    /// Container `memoryReservation` (soft limit, MiB).
    pub memory_reservation: Option<i64>,
}

/// What placement reserves for one task (ecs-semantics.md §5.2):
/// memory = task-level memory if set, else Σ (memoryReservation if set, else memory);
/// cpu = task-level cpu if set, else Σ container cpu (unset = 0). Negative inputs count as 0.
pub fn task_reservation(
    task_cpu: Option<u64>,
    task_memory: Option<u64>,
    containers: impl IntoIterator<Item = ContainerReservation>,
) -> Resources {
    let mut cpu_sum: u64 = 0;
    let mut memory_sum: u64 = 0;
    for c in containers {
        cpu_sum = cpu_sum.saturating_add(non_negative(c.cpu));
        let memory = c.memory_reservation.or(c.memory);
        memory_sum = memory_sum.saturating_add(non_negative(memory));
    }
    Resources::new(
        task_cpu.unwrap_or(cpu_sum),
        task_memory.unwrap_or(memory_sum),
    )
}

fn non_negative(value: Option<i64>) -> u64 {
    value.map_or(0, |v| u64::try_from(v).unwrap_or(0))
}

/// CPU units → Kubernetes millicores, rounded up so a pod never requests less than ECS reserved.
pub fn cpu_units_to_millicores(units: u64) -> u64 {
    mul_div_ceil(units, MILLICORES_PER_VCPU, CPU_UNITS_PER_VCPU)
}

/// Kubernetes millicores (node allocatable) → CPU units, rounded down so placement never
/// promises more than the node has.
pub fn millicores_to_cpu_units(millicores: u64) -> u64 {
    mul_div_floor(millicores, CPU_UNITS_PER_VCPU, MILLICORES_PER_VCPU)
}

/// Millicores a pod requests → CPU units it occupies, rounded up (requests are charged in full).
pub fn millicores_to_cpu_units_ceil(millicores: u64) -> u64 {
    mul_div_ceil(millicores, CPU_UNITS_PER_VCPU, MILLICORES_PER_VCPU)
}

/// The cpu units a task really costs on Kubernetes: its pod requests
/// `cpu_units_to_millicores(units)` whole millicores, which can be a little more than `units`
/// when `units` is not a multiple of 128. Controllers that want the engine's ledger to match
/// the kubelet's to the unit put this value in `PlacementRequest::reservation.cpu`.
pub fn kubernetes_cpu_units(units: u64) -> u64 {
    millicores_to_cpu_units_ceil(cpu_units_to_millicores(units))
}

/// Bytes → MiB rounded down (capacity).
pub fn bytes_to_mib_floor(bytes: u64) -> u64 {
    bytes / MIB
}

/// Bytes → MiB rounded up (requests).
pub fn bytes_to_mib_ceil(bytes: u64) -> u64 {
    bytes.div_ceil(MIB)
}

/// MiB → bytes (saturating).
pub fn mib_to_bytes(mib: u64) -> u64 {
    mib.saturating_mul(MIB)
}

fn mul_div_floor(value: u64, mul: u64, div: u64) -> u64 {
    let wide = u128::from(value) * u128::from(mul) / u128::from(div);
    u64::try_from(wide).unwrap_or(u64::MAX)
}

fn mul_div_ceil(value: u64, mul: u64, div: u64) -> u64 {
    let wide = (u128::from(value) * u128::from(mul)).div_ceil(u128::from(div));
    u64::try_from(wide).unwrap_or(u64::MAX)
}

/// Parses a task-level `cpu` string: integer units (`"1024"`) or vCPUs (`"1 vCPU"`,
/// `"0.25 vcpu"`), as RegisterTaskDefinition accepts them (ecs-semantics.md §5.2).
pub fn parse_task_cpu(text: &str) -> Option<u64> {
    let (number, unit) = split_number_unit(text)?;
    match unit.to_ascii_lowercase().as_str() {
        "" => decimal_times(number, 1),
        "vcpu" | "vcpus" => decimal_times(number, CPU_UNITS_PER_VCPU),
        _ => None,
    }
}

/// Parses a task-level `memory` string: integer MiB (`"2048"`) or GB (`"2 GB"`, `"0.5GB"`;
/// ECS's GB is 1024 MiB).
pub fn parse_task_memory(text: &str) -> Option<u64> {
    let (number, unit) = split_number_unit(text)?;
    match unit.to_ascii_lowercase().as_str() {
        "" | "mb" | "mib" => decimal_times(number, 1),
        "gb" | "gib" => decimal_times(number, 1024),
        _ => None,
    }
}

fn split_number_unit(text: &str) -> Option<(&str, &str)> {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(end);
    if number.is_empty() {
        return None;
    }
    Some((number, unit.trim()))
}

/// `number` (decimal, at most one '.') times `scale`; the result must be a whole number.
fn decimal_times(number: &str, scale: u64) -> Option<u64> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if fraction.contains('.') || fraction.len() > 9 || (whole.is_empty() && fraction.is_empty()) {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac_digits = u32::try_from(fraction.len()).ok()?;
    let fraction: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let denominator = 10u128.pow(frac_digits);
    let numerator = whole
        .checked_mul(denominator)?
        .checked_add(fraction)?
        .checked_mul(u128::from(scale))?;
    if numerator % denominator != 0 {
        return None;
    }
    u64::try_from(numerator / denominator).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(
        cpu: Option<i64>,
        memory: Option<i64>,
        memory_reservation: Option<i64>,
    ) -> ContainerReservation {
        ContainerReservation {
            cpu,
            memory,
            memory_reservation,
        }
    }

    /// (name, task cpu, task memory, containers, expected reservation)
    type Case = (
        &'static str,
        Option<u64>,
        Option<u64>,
        Vec<ContainerReservation>,
        Resources,
    );

    #[test]
    fn reservation_rules_table() {
        let cases: Vec<Case> = vec![
            (
                "memoryReservation wins over memory",
                None,
                None,
                vec![c(Some(256), Some(512), Some(128))],
                Resources::new(256, 128),
            ),
            (
                "memory when no reservation",
                None,
                None,
                vec![c(Some(256), Some(512), None)],
                Resources::new(256, 512),
            ),
            (
                "containers are summed",
                None,
                None,
                vec![c(Some(256), Some(512), None), c(Some(128), None, Some(64))],
                Resources::new(384, 576),
            ),
            (
                "unset cpu is zero",
                None,
                None,
                vec![c(None, Some(100), None)],
                Resources::new(0, 100),
            ),
            (
                "task level replaces the sums",
                Some(1024),
                Some(2048),
                vec![c(Some(256), Some(512), None)],
                Resources::new(1024, 2048),
            ),
            (
                "task cpu only",
                Some(512),
                None,
                vec![c(Some(256), Some(300), None)],
                Resources::new(512, 300),
            ),
            (
                "negative counts as zero",
                None,
                None,
                vec![c(Some(-5), Some(-1), None)],
                Resources::new(0, 0),
            ),
        ];
        for (name, task_cpu, task_memory, containers, want) in cases {
            assert_eq!(
                task_reservation(task_cpu, task_memory, containers),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn unit_conversions_round_the_safe_way() {
        assert_eq!(cpu_units_to_millicores(1024), 1000);
        assert_eq!(cpu_units_to_millicores(256), 250);
        assert_eq!(cpu_units_to_millicores(1), 1);
        assert_eq!(cpu_units_to_millicores(100), 98);
        assert_eq!(millicores_to_cpu_units(1000), 1024);
        assert_eq!(millicores_to_cpu_units(3900), 3993);
        assert_eq!(millicores_to_cpu_units(1), 1);
        assert_eq!(millicores_to_cpu_units_ceil(98), 101);
        assert_eq!(kubernetes_cpu_units(100), 101);
        assert_eq!(kubernetes_cpu_units(256), 256);
        assert_eq!(bytes_to_mib_floor(MIB * 3 + 1), 3);
        assert_eq!(bytes_to_mib_ceil(MIB * 3 + 1), 4);
        assert_eq!(millicores_to_cpu_units(u64::MAX), u64::MAX);
    }

    #[test]
    fn task_level_strings() {
        assert_eq!(parse_task_cpu("1024"), Some(1024));
        assert_eq!(parse_task_cpu("1 vCPU"), Some(1024));
        assert_eq!(parse_task_cpu("0.25 vcpu"), Some(256));
        assert_eq!(parse_task_cpu("2vCPU"), Some(2048));
        assert_eq!(parse_task_cpu("1 core"), None);
        assert_eq!(parse_task_cpu(""), None);
        assert_eq!(parse_task_memory("2048"), Some(2048));
        assert_eq!(parse_task_memory("2 GB"), Some(2048));
        assert_eq!(parse_task_memory("0.5GB"), Some(512));
        assert_eq!(parse_task_memory("1.5.1GB"), None);
        assert_eq!(parse_task_memory("GB"), None);
    }
}
