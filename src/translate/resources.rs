//! CPU, memory, accelerators and ephemeral storage → container `resources`, and the task's
//! placement reservation (ecs-semantics.md §5.2; design.md "Placement").
//!
//! Per container:
//! - `cpu` (units) → CPU request `ceil(units × 1000 / 1024)` millicores. Container cpu is a
//!   share, not a cap, so it sets no CPU limit.
//! - `memory` → memory limit (MiB); `memoryReservation` → memory request, else `memory`.
//!
//! Task-level `cpu` / `memory` are hard limits for the whole task in ECS. Pod-level resources
//! (KEP-2837) are not GA on Kubernetes 1.33, so they are expressed per container:
//! - every container's limit is capped at the task value (a container without `memory` gets
//!   the task memory as its limit; every container gets the task cpu as its CPU limit). Each
//!   container alone stays within the task limit; together they may exceed it (reported as
//!   approximated when the task has more than one long-running container);
//! - the requests of the long-running containers are topped up to the task values (first the
//!   essential regular containers, then the others, then sidecars that start after every plain
//!   init container, each within its own limit),
//!   so the Pod requests what ECS reserves and kubelet accounting matches placement.
//!   Plain init containers (COMPLETE/SUCCESS targets) are not counted in Kubernetes' Pod
//!   request while ECS reserves them for the whole task; the `ecs.operator.dev/reserved-*`
//!   annotations carry the ECS reservation for the operator's ledger.
//!
//! Requests are always explicit when a limit is set (Kubernetes would otherwise default the
//! request to the limit).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::{ContainerDefinition, ResourceType};
use crate::placement::Resources;
use crate::placement::reservation::{
    ContainerReservation, cpu_units_to_millicores, parse_task_cpu, parse_task_memory,
    task_reservation,
};

use super::TranslateOptions;
use super::dependencies::ContainerRole;
use super::paths::Paths;
use super::report::Report;
use super::spec::is_essential;

pub(crate) const CPU: &str = "cpu";
pub(crate) const MEMORY: &str = "memory";
pub(crate) const EPHEMERAL_STORAGE: &str = "ephemeral-storage";

/// Task-level cpu (units) and memory (MiB), parsed. Validation refuses unparsable strings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TaskLevel {
    pub cpu: Option<u64>,
    pub memory: Option<u64>,
}

impl TaskLevel {
    pub fn of(spec: &TaskDefinitionSpec) -> Self {
        Self {
            cpu: spec.cpu.as_deref().and_then(parse_task_cpu),
            memory: spec.memory.as_deref().and_then(parse_task_memory),
        }
    }
}

/// What placement reserves for the task (§5.2): task-level values when set, else the sums
/// over containers of cpu and memoryReservation-else-memory.
pub fn reservation(spec: &TaskDefinitionSpec) -> Resources {
    let task = TaskLevel::of(spec);
    task_reservation(
        task.cpu,
        task.memory,
        spec.container_definitions
            .iter()
            .map(|c| ContainerReservation {
                cpu: c.cpu.map(i64::from),
                memory: c.memory.map(i64::from),
                memory_reservation: c.memory_reservation.map(i64::from),
            }),
    )
}

fn non_negative(v: Option<i32>) -> u64 {
    v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0)
}

/// One container's resources before they become Quantities.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sizing {
    pub cpu_request_m: u64,
    pub cpu_limit_m: Option<u64>,
    pub memory_request_mib: u64,
    pub memory_limit_mib: Option<u64>,
    /// Extended resources (GPUs, Neuron devices) → count; limits only (requests default to them).
    pub devices: BTreeMap<String, u64>,
    pub ephemeral_gib: Option<u64>,
}

impl Sizing {
    pub fn of(
        c: &ContainerDefinition,
        i: usize,
        task: TaskLevel,
        opts: &TranslateOptions,
        paths: &Paths,
        report: &mut Report,
    ) -> Self {
        let cpu_units = non_negative(c.cpu);
        let memory = c.memory.map(|m| non_negative(Some(m)));
        let reserved = c.memory_reservation.or(c.memory);
        let memory_limit_mib = match (memory, task.memory) {
            (Some(m), Some(t)) => Some(m.min(t)),
            (Some(m), None) => Some(m),
            (None, t) => t,
        };
        let mut sizing = Sizing {
            cpu_request_m: cpu_units_to_millicores(cpu_units),
            cpu_limit_m: task.cpu.map(cpu_units_to_millicores),
            memory_request_mib: non_negative(reserved),
            memory_limit_mib,
            ..Default::default()
        };
        if let Some(limit) = sizing.memory_limit_mib {
            sizing.memory_request_mib = sizing.memory_request_mib.min(limit);
        }
        if let Some(limit) = sizing.cpu_limit_m {
            sizing.cpu_request_m = sizing.cpu_request_m.min(limit);
        }
        for (k, rr) in c.resource_requirements.iter().flatten().enumerate() {
            let base = paths.item(i, "resourceRequirements", k);
            let count = rr
                .value
                .as_deref()
                .and_then(|v| v.trim().parse::<u64>().ok());
            match rr.r#type {
                ResourceType::Gpu | ResourceType::Neurondevice => {
                    let name = if rr.r#type == ResourceType::Gpu {
                        &opts.gpu_resource
                    } else {
                        &opts.neuron_resource
                    };
                    if let Some(count) = count.filter(|&n| n > 0) {
                        *sizing.devices.entry(name.clone()).or_default() += count;
                    }
                    if rr.sharing_strategy.is_some() {
                        report.unsupported(
                            format!("{base}.sharingStrategy"),
                            "GPU sharing (NVIDIA MPS) is not configured per container on Kubernetes; \
                             whole devices are requested",
                        );
                    }
                }
                ResourceType::Inferenceaccelerator => report.unsupported(
                    base,
                    "Elastic Inference accelerators do not exist on Kubernetes (the service is discontinued)",
                ),
            }
        }
        sizing
    }

    fn memory_room(&self) -> u64 {
        self.memory_limit_mib
            .map_or(u64::MAX, |l| l.saturating_sub(self.memory_request_mib))
    }

    /// The container's ResourceRequirements; `None` when nothing is set.
    pub fn requirements(&self) -> Option<ResourceRequirements> {
        let mut requests = BTreeMap::new();
        let mut limits = BTreeMap::new();
        if self.cpu_request_m > 0 || self.cpu_limit_m.is_some() {
            requests.insert(CPU.to_owned(), millicores(self.cpu_request_m));
        }
        if let Some(limit) = self.cpu_limit_m {
            limits.insert(CPU.to_owned(), millicores(limit));
        }
        if self.memory_request_mib > 0 || self.memory_limit_mib.is_some() {
            requests.insert(MEMORY.to_owned(), mebibytes(self.memory_request_mib));
        }
        if let Some(limit) = self.memory_limit_mib {
            limits.insert(MEMORY.to_owned(), mebibytes(limit));
        }
        if let Some(gib) = self.ephemeral_gib {
            requests.insert(EPHEMERAL_STORAGE.to_owned(), Quantity(format!("{gib}Gi")));
        }
        for (name, count) in &self.devices {
            limits.insert(name.clone(), Quantity(count.to_string()));
        }
        if requests.is_empty() && limits.is_empty() {
            return None;
        }
        Some(ResourceRequirements {
            requests: (!requests.is_empty()).then_some(requests),
            limits: (!limits.is_empty()).then_some(limits),
            claims: None,
        })
    }
}

pub(crate) fn millicores(m: u64) -> Quantity {
    if m == 0 {
        Quantity("0".to_owned())
    } else {
        Quantity(format!("{m}m"))
    }
}

pub(crate) fn mebibytes(mib: u64) -> Quantity {
    if mib == 0 {
        Quantity("0".to_owned())
    } else {
        Quantity(format!("{mib}Mi"))
    }
}

/// The order in which long-running containers take the rest of the task-level reservation:
/// essential regular containers, other regular containers, then sidecars that start after the
/// last plain init container (definition order within each group). A sidecar started before a
/// plain init container runs alongside it, so topping it up would raise the Pod's request
/// during initialisation above the task value.
pub(crate) fn top_up_order(
    spec: &TaskDefinitionSpec,
    roles: &[ContainerRole],
    init_order: &[usize],
) -> Vec<usize> {
    let containers = &spec.container_definitions;
    let n = containers.len().min(roles.len());
    let last_init = init_order
        .iter()
        .rposition(|&i| roles.get(i) == Some(&ContainerRole::Init));
    let late_sidecar = |i: usize| {
        let position = init_order.iter().position(|&j| j == i);
        match (position, last_init) {
            (Some(p), Some(last)) => p > last,
            (_, None) => true,
            (None, Some(_)) => false,
        }
    };
    let rank = |i: usize| match (roles[i], is_essential(&containers[i])) {
        (ContainerRole::Main, true) => Some(0),
        (ContainerRole::Main, false) => Some(1),
        (ContainerRole::Sidecar, _) if late_sidecar(i) => Some(2),
        (ContainerRole::Sidecar, _) | (ContainerRole::Init, _) => None,
    };
    let mut order: Vec<(usize, usize)> = (0..n).filter_map(|i| rank(i).map(|r| (r, i))).collect();
    order.sort();
    order.into_iter().map(|(_, i)| i).collect()
}

/// Tops the long-running containers' requests up to the task-level values (see the module
/// docs) and places the task's ephemeral storage on the first of them.
pub(crate) fn top_up(
    sizings: &mut [Sizing],
    roles: &[ContainerRole],
    order: &[usize],
    task: TaskLevel,
    ephemeral_gib: Option<u64>,
    paths: &Paths,
    report: &mut Report,
) {
    // What the long-running containers (regular and every sidecar) request already.
    let long_running: Vec<usize> = (0..sizings.len().min(roles.len()))
        .filter(|&i| roles[i] != ContainerRole::Init)
        .collect();
    if let Some(task_cpu) = task.cpu {
        let target = cpu_units_to_millicores(task_cpu);
        let have: u64 = long_running.iter().map(|&i| sizings[i].cpu_request_m).sum();
        let mut rest = target.saturating_sub(have);
        for &i in order {
            let s = &mut sizings[i];
            let room = s
                .cpu_limit_m
                .map_or(u64::MAX, |l| l.saturating_sub(s.cpu_request_m));
            let give = rest.min(room);
            s.cpu_request_m += give;
            rest -= give;
        }
    }
    if let Some(task_memory) = task.memory {
        let have: u64 = long_running
            .iter()
            .map(|&i| sizings[i].memory_request_mib)
            .sum();
        let mut rest = task_memory.saturating_sub(have);
        for &i in order {
            let s = &mut sizings[i];
            let give = rest.min(s.memory_room());
            s.memory_request_mib += give;
            rest -= give;
        }
        if rest > 0 {
            report.approximated(
                paths.task("memory"),
                format!(
                    "the containers' memory limits leave {rest} MiB of the task memory unrequested by the Pod; \
                     placement still reserves the full task memory"
                ),
            );
        }
    }
    if let Some(first) = order.first() {
        sizings[*first].ephemeral_gib = ephemeral_gib;
    }
}

/// The resources of every container of the task (definition order): container values,
/// task-level caps, and the top-up to the task-level values (see the module docs).
pub(crate) fn size_task(
    spec: &TaskDefinitionSpec,
    roles: &[ContainerRole],
    init_order: &[usize],
    opts: &TranslateOptions,
    paths: &Paths,
    report: &mut Report,
) -> Vec<Sizing> {
    let task = TaskLevel::of(spec);
    let mut sizings: Vec<Sizing> = spec
        .container_definitions
        .iter()
        .enumerate()
        .map(|(i, c)| Sizing::of(c, i, task, opts, paths, report))
        .collect();
    let order = top_up_order(spec, roles, init_order);
    let ephemeral = spec
        .ephemeral_storage
        .as_ref()
        .and_then(|e| u64::try_from(e.size_in_gi_b).ok());
    top_up(&mut sizings, roles, &order, task, ephemeral, paths, report);
    if ephemeral.is_some()
        && let Some(&first) = order.first()
    {
        report.approximated(
            paths.task("ephemeralStorage"),
            format!(
                "requested as ephemeral-storage by container {:?}; using more gets the Pod evicted rather than \
                 failing writes",
                spec.container_definitions[first].name
            ),
        );
    }
    let long_running = roles.iter().filter(|r| **r != ContainerRole::Init).count();
    if long_running > 1 {
        for (field, set) in [
            ("cpu", task.cpu.is_some()),
            ("memory", task.memory.is_some()),
        ] {
            if set {
                report.approximated(
                    paths.task(field),
                    "Kubernetes 1.33 has no Pod-level limits: each container is limited to the task value and the \
                     Pod requests it in total, but together the containers may use more",
                );
            }
        }
    }
    sizings
}

/// Effective Pod requests as Kubernetes computes them (sidecars count like regular containers;
/// a plain init container counts only while it runs), excluding overhead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodRequests {
    pub cpu_millicores: u64,
    pub memory_bytes: u64,
}

/// [`PodRequests`] of a PodSpec. Quantities this module does not emit are parsed on a best
/// effort basis (plain numbers and the common suffixes); unknown ones count as 0.
pub fn pod_requests(pod: &PodSpec) -> PodRequests {
    let request = |c: &k8s_openapi::api::core::v1::Container, name: &str, milli: bool| -> u64 {
        c.resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get(name))
            .and_then(|q| parse_quantity_milli(&q.0))
            .map_or(0, |v| if milli { v } else { v / 1000 })
    };
    let (mut sidecar_cpu, mut sidecar_mem, mut init_cpu, mut init_mem) = (0u64, 0u64, 0u64, 0u64);
    for c in pod.init_containers.iter().flatten() {
        let cpu = request(c, CPU, true);
        let mem = request(c, MEMORY, false);
        if c.restart_policy.as_deref() == Some("Always") {
            sidecar_cpu += cpu;
            sidecar_mem += mem;
            init_cpu = init_cpu.max(sidecar_cpu);
            init_mem = init_mem.max(sidecar_mem);
        } else {
            init_cpu = init_cpu.max(sidecar_cpu + cpu);
            init_mem = init_mem.max(sidecar_mem + mem);
        }
    }
    let main_cpu: u64 = pod.containers.iter().map(|c| request(c, CPU, true)).sum();
    let main_mem: u64 = pod
        .containers
        .iter()
        .map(|c| request(c, MEMORY, false))
        .sum();
    PodRequests {
        cpu_millicores: init_cpu.max(main_cpu + sidecar_cpu),
        memory_bytes: init_mem.max(main_mem + sidecar_mem),
    }
}

/// A Kubernetes quantity in thousandths of its unit (`250m` → 250, `1` → 1000, `1Mi` →
/// 1048576000). Integers with the suffixes m, k/M/G/T and Ki/Mi/Gi/Ti only.
pub(crate) fn parse_quantity_milli(q: &str) -> Option<u64> {
    let q = q.trim();
    let split = q.find(|c: char| !c.is_ascii_digit()).unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let n: u64 = number.parse().ok()?;
    let factor: u64 = match suffix {
        "m" => return Some(n),
        "" => 1,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(factor)?.checked_mul(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::shapes::ResourceRequirement;
    use k8s_openapi::api::core::v1::Container;

    fn c(cpu: Option<i32>, memory: Option<i32>, reservation: Option<i32>) -> ContainerDefinition {
        ContainerDefinition {
            name: "c".into(),
            image: "i".into(),
            cpu,
            memory,
            memory_reservation: reservation,
            ..Default::default()
        }
    }

    fn sizing(def: &ContainerDefinition, task: TaskLevel) -> Sizing {
        Sizing::of(
            def,
            0,
            task,
            &TranslateOptions::default(),
            &Paths::default(),
            &mut Report::default(),
        )
    }

    fn q(s: &str) -> Quantity {
        Quantity(s.into())
    }

    #[test]
    fn container_level_mapping() {
        let s = sizing(&c(Some(256), Some(512), Some(128)), TaskLevel::default());
        let r = s.requirements().unwrap();
        let requests = r.requests.unwrap();
        let limits = r.limits.unwrap();
        assert_eq!(requests[CPU], q("250m"));
        assert_eq!(requests[MEMORY], q("128Mi"));
        assert_eq!(limits[MEMORY], q("512Mi"));
        assert!(
            !limits.contains_key(CPU),
            "container cpu is a share, not a cap"
        );
    }

    #[test]
    fn cpu_rounds_up() {
        assert_eq!(
            sizing(&c(Some(100), Some(6), None), TaskLevel::default()).cpu_request_m,
            98
        );
        assert_eq!(
            sizing(&c(Some(1), Some(6), None), TaskLevel::default()).cpu_request_m,
            1
        );
        assert_eq!(
            sizing(&c(Some(1025), Some(6), None), TaskLevel::default()).cpu_request_m,
            1001
        );
    }

    #[test]
    fn memory_alone_is_request_and_limit() {
        let r = sizing(&c(None, Some(300), None), TaskLevel::default())
            .requirements()
            .unwrap();
        assert_eq!(r.requests.unwrap()[MEMORY], q("300Mi"));
        assert_eq!(r.limits.unwrap()[MEMORY], q("300Mi"));
        let r = sizing(&c(None, None, Some(300)), TaskLevel::default())
            .requirements()
            .unwrap();
        assert_eq!(r.requests.unwrap()[MEMORY], q("300Mi"));
        assert!(r.limits.is_none());
        assert_eq!(
            sizing(&c(None, None, None), TaskLevel::default()).requirements(),
            None
        );
    }

    #[test]
    fn task_level_caps_containers_and_keeps_requests_explicit() {
        let task = TaskLevel {
            cpu: Some(1024),
            memory: Some(2048),
        };
        let s = sizing(&c(None, Some(4096), None), task);
        assert_eq!(s.memory_limit_mib, Some(2048));
        let r = sizing(&c(None, None, None), task).requirements().unwrap();
        assert_eq!(r.requests.as_ref().unwrap()[CPU], q("0"));
        assert_eq!(r.requests.as_ref().unwrap()[MEMORY], q("0"));
        assert_eq!(r.limits.as_ref().unwrap()[CPU], q("1000m"));
        assert_eq!(r.limits.as_ref().unwrap()[MEMORY], q("2048Mi"));
    }

    #[test]
    fn top_up_fills_essential_regular_containers_first() {
        let task = TaskLevel {
            cpu: Some(1024),
            memory: Some(1024),
        };
        let defs = [c(Some(256), Some(256), None), c(None, None, Some(128))];
        let mut sizings: Vec<Sizing> = defs.iter().map(|d| sizing(d, task)).collect();
        // Container 0 has a hard limit of 256 MiB, so memory goes to container 1.
        let roles = [ContainerRole::Main, ContainerRole::Main];
        top_up(
            &mut sizings,
            &roles,
            &[0, 1],
            task,
            Some(30),
            &Paths::default(),
            &mut Report::default(),
        );
        assert_eq!(sizings[0].cpu_request_m, 1000);
        assert_eq!(sizings[1].cpu_request_m, 0);
        assert_eq!(sizings[0].memory_request_mib, 256);
        assert_eq!(sizings[1].memory_request_mib, 768);
        assert_eq!(sizings[0].ephemeral_gib, Some(30));
    }

    #[test]
    fn top_up_reports_memory_the_limits_cannot_hold() {
        let task = TaskLevel {
            cpu: None,
            memory: Some(1024),
        };
        let mut sizings = vec![sizing(&c(None, Some(256), None), task)];
        let mut report = Report::default();
        top_up(
            &mut sizings,
            &[ContainerRole::Main],
            &[0],
            task,
            None,
            &Paths::default(),
            &mut report,
        );
        assert_eq!(sizings[0].memory_request_mib, 256);
        assert_eq!(report.approximated[0].field, "spec.memory");
    }

    #[test]
    fn gpus_and_accelerators() {
        let mut def = c(None, Some(64), None);
        def.resource_requirements = Some(vec![
            ResourceRequirement {
                value: Some("2".into()),
                r#type: ResourceType::Gpu,
                sharing_strategy: None,
            },
            ResourceRequirement {
                value: Some("device_1".into()),
                r#type: ResourceType::Inferenceaccelerator,
                sharing_strategy: None,
            },
        ]);
        let mut report = Report::default();
        let s = Sizing::of(
            &def,
            0,
            TaskLevel::default(),
            &TranslateOptions::default(),
            &Paths::default(),
            &mut report,
        );
        assert_eq!(
            s.requirements().unwrap().limits.unwrap()["nvidia.com/gpu"],
            q("2")
        );
        assert_eq!(
            report.unsupported[0].field,
            "spec.containerDefinitions[0].resourceRequirements[1]"
        );
    }

    #[test]
    fn reservation_follows_ecs() {
        let mut spec = TaskDefinitionSpec {
            container_definitions: vec![
                c(Some(256), Some(512), Some(128)),
                c(Some(128), Some(256), None),
            ],
            ..Default::default()
        };
        assert_eq!(reservation(&spec), Resources::new(384, 384));
        spec.cpu = Some("1 vCPU".into());
        spec.memory = Some("2 GB".into());
        assert_eq!(reservation(&spec), Resources::new(1024, 2048));
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity_milli("250m"), Some(250));
        assert_eq!(parse_quantity_milli("2"), Some(2000));
        assert_eq!(parse_quantity_milli("1Mi"), Some(1_048_576_000));
        assert_eq!(parse_quantity_milli("1.5"), None);
        assert_eq!(parse_quantity_milli("x"), None);
    }

    #[test]
    fn pod_requests_follow_kubernetes_rules() {
        let container = |cpu: &str, mem: &str, sidecar: bool| Container {
            name: "x".into(),
            restart_policy: sidecar.then(|| "Always".to_owned()),
            resources: Some(ResourceRequirements {
                requests: Some([(CPU.to_owned(), q(cpu)), (MEMORY.to_owned(), q(mem))].into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let pod = PodSpec {
            init_containers: Some(vec![
                container("100m", "1Mi", true),
                container("2", "10Mi", false),
            ]),
            containers: vec![container("200m", "2Mi", false)],
            ..Default::default()
        };
        let r = pod_requests(&pod);
        // init phase: sidecar 100m + init 2000m = 2100m; running: 200m + 100m.
        assert_eq!(r.cpu_millicores, 2100);
        assert_eq!(r.memory_bytes, 11 << 20);
    }
}
