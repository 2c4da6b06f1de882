//! Property tests of the translation (src/translate):
//! - a schema-valid, semantically valid task definition always translates, into a PodSpec that
//!   is structurally sound (what the API server and kubelet need: unique DNS-label container
//!   names, mounts naming Pod volumes, requests ≤ limits, restartPolicy Never, valid ports, …);
//! - any task definition (valid or not, with or without RunTask overrides) translates or is
//!   refused with validation issues — never a panic — and whatever translates is sound;
//! - the translation is deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ecs_operator::api::TaskDefinitionSpec;
use ecs_operator::api::shapes::{
    ContainerCondition, ContainerDefinition, ContainerDependency, ContainerOverride,
    ContainerRestartPolicy, DockerVolumeConfiguration, EFSVolumeConfiguration, HealthCheck,
    HostEntry, HostVolumeProperties, KeyValuePair, LinuxParameters, MountPoint, NetworkMode,
    PortMapping, ResourceRequirement, ResourceType, Scope, Secret, SystemControl, TaskOverride,
    Tmpfs, TransportProtocol, Volume, VolumeFrom,
};
use ecs_operator::placement::{HostPort, Protocol};
use ecs_operator::translate::{
    ContainerRole, HostBinding, TranslateOptions, Translation, pod_requests, translate, validate,
};
use k8s_openapi::api::core::v1::{Container, PodSpec};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Soundness of a PodSpec.

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A quantity in thousandths (the forms the translation emits, plus plain integers).
fn milli(q: &str) -> u128 {
    let split = q.find(|c: char| !c.is_ascii_digit()).unwrap_or(q.len());
    let (n, suffix) = q.split_at(split);
    let n: u128 = n.parse().unwrap_or_else(|_| panic!("quantity {q:?}"));
    match suffix {
        "m" => n,
        "" => n * 1000,
        "Mi" => n * 1000 * (1 << 20),
        "Gi" => n * 1000 * (1 << 30),
        other => panic!("unexpected quantity suffix {other:?} in {q:?}"),
    }
}

fn all(pod: &PodSpec) -> Vec<&Container> {
    pod.init_containers
        .iter()
        .flatten()
        .chain(&pod.containers)
        .collect()
}

fn assert_sound(spec: &TaskDefinitionSpec, t: &Translation, opts: &TranslateOptions) {
    let pod = &t.pod_spec;
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    assert!(pod.node_name.is_none());
    assert!(
        !pod.containers.is_empty(),
        "a Pod needs a regular container"
    );
    let containers = all(pod);
    assert_eq!(containers.len(), spec.container_definitions.len());
    assert_eq!(t.containers.len(), spec.container_definitions.len());

    let mut names = BTreeSet::new();
    for c in &containers {
        assert!(is_dns_label(&c.name), "container name {:?}", c.name);
        assert!(
            names.insert(c.name.as_str()),
            "container name {:?} twice",
            c.name
        );
        assert!(c.image.as_deref().is_some_and(|i| !i.trim().is_empty()));
    }

    let mut volumes = BTreeSet::new();
    for v in pod.volumes.iter().flatten() {
        assert!(is_dns_label(&v.name), "volume name {:?}", v.name);
        assert!(volumes.insert(v.name.as_str()), "volume {:?} twice", v.name);
    }
    for c in &containers {
        let mut paths = BTreeSet::new();
        for m in c.volume_mounts.iter().flatten() {
            assert!(
                volumes.contains(m.name.as_str()),
                "{} mounts unknown volume {:?}",
                c.name,
                m.name
            );
            assert!(!m.mount_path.is_empty());
            assert!(
                paths.insert(m.mount_path.trim_end_matches('/')),
                "{} mounts {:?} twice",
                c.name,
                m.mount_path
            );
            if let Some(sub) = &m.sub_path {
                assert!(
                    !sub.starts_with('/') && !sub.split('/').any(|p| p == ".."),
                    "subPath {sub:?}"
                );
            }
        }
    }

    let host_network = pod.host_network == Some(true);
    let mut host_ports = BTreeSet::new();
    let mut port_names = BTreeSet::new();
    for c in &containers {
        if let Some(r) = &c.resources {
            let requests = r.requests.clone().unwrap_or_default();
            for (resource, limit) in r.limits.iter().flatten() {
                if let Some(request) = requests.get(resource) {
                    assert!(
                        milli(&request.0) <= milli(&limit.0),
                        "{}: {resource} request {} > limit {}",
                        c.name,
                        request.0,
                        limit.0
                    );
                } else {
                    // Kubernetes would default the request to the limit: only extended
                    // resources (devices) may rely on that.
                    assert!(
                        resource.contains('/'),
                        "{}: {resource} limit without request",
                        c.name
                    );
                }
            }
        }
        for p in c.ports.iter().flatten() {
            assert!(
                (1..=65535).contains(&p.container_port),
                "port {}",
                p.container_port
            );
            if let Some(h) = p.host_port {
                assert!((1..=65535).contains(&h), "hostPort {h}");
                if host_network {
                    assert_eq!(
                        h, p.container_port,
                        "hostNetwork requires hostPort == containerPort"
                    );
                }
                assert!(
                    host_ports.insert((h, p.protocol.clone())),
                    "hostPort {h} twice"
                );
            }
            assert!(matches!(p.protocol.as_deref(), Some("TCP") | Some("UDP")));
            if let Some(name) = &p.name {
                assert!(
                    name.len() <= 15 && name.chars().any(|c| c.is_ascii_lowercase()),
                    "port name {name:?}"
                );
                assert!(port_names.insert(name.clone()), "port name {name:?} twice");
            }
        }
        for e in c.env.iter().flatten() {
            assert!(
                !e.name.is_empty() && !e.name.contains('='),
                "env name {:?}",
                e.name
            );
        }
        if let Some(sc) = &c.security_context {
            if !opts.allow_privileged {
                assert_ne!(sc.privileged, Some(true));
            }
            if sc.privileged == Some(true) {
                assert_ne!(sc.allow_privilege_escalation, Some(false));
            }
        }
    }
    for c in pod.init_containers.iter().flatten() {
        match c.restart_policy.as_deref() {
            Some("Always") => {}
            None => {
                assert!(
                    c.readiness_probe.is_none()
                        && c.startup_probe.is_none()
                        && c.liveness_probe.is_none()
                );
                assert!(c.lifecycle.is_none());
            }
            other => panic!("init container restartPolicy {other:?}"),
        }
    }
    for c in &pod.containers {
        assert!(
            c.restart_policy.is_none(),
            "regular containers take the Pod's restartPolicy"
        );
        assert!(c.startup_probe.is_none() || c.readiness_probe.is_some());
    }
    for c in &containers {
        assert!(
            c.liveness_probe.is_none(),
            "ECS health checks never restart containers"
        );
        for probe in [&c.readiness_probe, &c.startup_probe].into_iter().flatten() {
            assert!(
                probe
                    .exec
                    .as_ref()
                    .and_then(|e| e.command.as_ref())
                    .is_some_and(|c| !c.is_empty())
            );
            assert!(
                probe.period_seconds.unwrap_or(1) >= 1 && probe.timeout_seconds.unwrap_or(1) >= 1
            );
            assert!(probe.failure_threshold.unwrap_or(1) >= 1);
        }
    }
    assert!(pod.termination_grace_period_seconds.unwrap_or(0) >= 0);
    if pod.share_process_namespace == Some(true) {
        assert_ne!(pod.host_pid, Some(true));
    }
    if let Some(dns) = &pod.dns_config {
        assert!(dns.nameservers.as_ref().map_or(0, Vec::len) <= 3);
        if pod.dns_policy.as_deref() == Some("None") {
            assert!(dns.nameservers.as_ref().is_some_and(|n| !n.is_empty()));
        }
    }
    for alias in pod.host_aliases.iter().flatten() {
        assert!(
            alias.ip.parse::<IpAddr>().is_ok(),
            "hostAlias ip {:?}",
            alias.ip
        );
    }
    if let Some(sc) = &pod.security_context {
        let mut seen = BTreeSet::new();
        for s in sc.sysctls.iter().flatten() {
            assert!(seen.insert(s.name.as_str()), "sysctl {} twice", s.name);
        }
    }
    if let Some(hostname) = &pod.hostname {
        assert!(is_dns_label(hostname), "hostname {hostname:?}");
    }
    for key in t.annotations.keys() {
        let (prefix, name) = key.split_once('/').expect("qualified annotation key");
        assert!(prefix.ends_with("ecs.operator.dev"), "{key}");
        assert!(!name.is_empty() && name.len() <= 63, "{key}");
    }

    // Kubernetes' Pod request never exceeds what ECS placement reserves (up to the per-container
    // rounding of cpu units to millicores).
    let requests = pod_requests(pod);
    let slack = containers.len() as u64;
    assert!(
        requests.cpu_millicores <= (t.reservation.cpu * 1000).div_ceil(1024) + slack,
        "pod cpu {} m > reservation {} units",
        requests.cpu_millicores,
        t.reservation.cpu
    );
    assert!(
        requests.memory_bytes <= t.reservation.memory << 20,
        "pod memory {} B > reservation {} MiB",
        requests.memory_bytes,
        t.reservation.memory
    );

    // Every ECS container appears once, in the role the Translation says.
    for info in &t.containers {
        let in_init = pod
            .init_containers
            .iter()
            .flatten()
            .find(|c| c.name == info.name);
        let in_main = pod.containers.iter().find(|c| c.name == info.name);
        match info.role {
            ContainerRole::Main => assert!(in_main.is_some() && in_init.is_none()),
            ContainerRole::Sidecar => {
                assert_eq!(
                    in_init.and_then(|c| c.restart_policy.as_deref()),
                    Some("Always")
                )
            }
            ContainerRole::Init => assert!(in_init.is_some_and(|c| c.restart_policy.is_none())),
        }
    }

    // Binding placement's answer fills every host port.
    let mut bound = t.clone();
    let mut next = 49153u16;
    let assigned: Vec<HostPort> = bound
        .host_port_requests()
        .iter()
        .map(|r| {
            let port = if r.port == 0 {
                next += 1;
                next
            } else {
                r.port
            };
            HostPort {
                port,
                protocol: r.protocol,
            }
        })
        .collect();
    bound.bind_host_ports(&assigned).expect("bind host ports");
    for info in &bound.ports {
        let c = all(&bound.pod_spec)
            .into_iter()
            .find(|c| c.name == info.container)
            .expect("port container");
        let port = &c.ports.as_ref().expect("ports")[info.port_index];
        assert_eq!(port.container_port, i32::from(info.container_port));
        match info.host {
            HostBinding::None => assert_eq!(port.host_port, None),
            _ => assert!(port.host_port.is_some()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Valid task definitions.

/// Health-check raw material: form, interval, timeout, retries, startPeriod.
type RawHealth = (u8, Option<i32>, Option<i32>, Option<i32>, Option<i32>);

/// Raw material for one container; `valid_spec` makes the combination valid.
#[derive(Clone, Debug)]
struct Raw {
    cpu: Option<i32>,
    memory: Option<i32>,
    reservation_below: Option<i32>,
    essential: bool,
    ports: Vec<(u16, u8, bool, Option<String>)>,
    depends: Vec<(usize, u8)>,
    health: Option<RawHealth>,
    env: Vec<(String, String)>,
    secrets: Vec<(String, u8)>,
    mounts: Vec<(usize, bool)>,
    volumes_from: Option<(usize, bool)>,
    shm: Option<i32>,
    tmpfs: Vec<i32>,
    restart: bool,
    stop_timeout: Option<i32>,
    start_timeout: Option<i32>,
    user: Option<u8>,
    hostname: Option<String>,
    extra_hosts: Vec<(String, u8)>,
    dns_servers: Vec<u8>,
    sysctl: Option<(u8, String)>,
    gpus: Option<u8>,
    entry: Option<Vec<String>>,
    command: Option<Vec<String>>,
}

fn raw_container() -> impl Strategy<Value = Raw> {
    let resources = (
        proptest::option::of(0..=2048i32),
        proptest::option::of(6..=2048i32),
        proptest::option::of(6..=2048i32),
        any::<bool>(),
    );
    let ports = proptest::collection::vec(
        (
            1..=65535u16,
            any::<u8>(),
            any::<bool>(),
            proptest::option::of("[A-Za-z_][A-Za-z0-9_-]{0,20}"),
        ),
        0..4,
    );
    let deps = proptest::collection::vec((0..10usize, any::<u8>()), 0..3);
    let health = proptest::option::of((
        any::<u8>(),
        proptest::option::of(5..=300i32),
        proptest::option::of(2..=60i32),
        proptest::option::of(1..=10i32),
        proptest::option::of(0..=300i32),
    ));
    let env = proptest::collection::vec(("[A-Z_][A-Z0-9_]{0,8}", "[ -~]{0,12}"), 0..4);
    let secrets = proptest::collection::vec(("[A-Z][A-Z0-9_]{0,8}", any::<u8>()), 0..3);
    let mounts = proptest::collection::vec((0..5usize, any::<bool>()), 0..3);
    let group_a = (resources, ports, deps, health, env, secrets, mounts);
    let group_b = (
        proptest::option::of((0..10usize, any::<bool>())),
        proptest::option::of(1..=512i32),
        proptest::collection::vec(1..=256i32, 0..3),
        any::<bool>(),
        proptest::option::of(0..=120i32),
        proptest::option::of(0..=600i32),
        proptest::option::of(any::<u8>()),
        proptest::option::of("[A-Za-z][A-Za-z0-9_.-]{0,30}"),
    );
    let group_c = (
        proptest::collection::vec(
            (
                "[a-z]([a-z0-9-]{0,9}[a-z0-9])?(\\.[a-z]{2,5})?",
                any::<u8>(),
            ),
            0..3,
        ),
        proptest::collection::vec(any::<u8>(), 0..5),
        proptest::option::of((any::<u8>(), "[0-9]{1,4}")),
        proptest::option::of(1..=4u8),
        proptest::option::of(proptest::collection::vec("[ -~]{0,10}", 1..3)),
        proptest::option::of(proptest::collection::vec("[ -~]{0,10}", 0..3)),
    );
    (group_a, group_b, group_c).prop_map(|(a, b, c)| {
        let ((cpu, memory, reservation, essential), ports, depends, health, env, secrets, mounts) =
            a;
        let (volumes_from, shm, tmpfs, restart, stop_timeout, start_timeout, user, hostname) = b;
        let (extra_hosts, dns_servers, sysctl, gpus, entry, command) = c;
        Raw {
            cpu,
            memory,
            reservation_below: reservation,
            essential,
            ports,
            depends,
            health,
            env,
            secrets,
            mounts,
            volumes_from,
            shm,
            tmpfs,
            restart,
            stop_timeout,
            start_timeout,
            user,
            hostname,
            extra_hosts,
            dns_servers,
            sysctl,
            gpus,
            entry,
            command,
        }
    })
}

#[derive(Clone, Debug)]
struct RawTask {
    names: Vec<String>,
    containers: Vec<Raw>,
    mode: u8,
    task_cpu_extra: Option<u32>,
    task_memory_extra: Option<u32>,
    volumes: Vec<u8>,
    ephemeral: Option<i32>,
}

fn raw_task() -> impl Strategy<Value = RawTask> {
    (1..=10usize)
        .prop_flat_map(|n| {
            (
                proptest::collection::btree_set("[a-z][a-z0-9-]{0,12}", n),
                proptest::collection::vec(raw_container(), n),
                any::<u8>(),
                proptest::option::of(0..4096u32),
                proptest::option::of(0..4096u32),
                proptest::collection::vec(any::<u8>(), 0..5),
                proptest::option::of(21..=200i32),
            )
        })
        .prop_map(
            |(names, containers, mode, cpu, memory, volumes, ephemeral)| {
                let names: Vec<String> = names.into_iter().collect();
                let n = names.len();
                RawTask {
                    names,
                    containers: containers.into_iter().take(n).collect(),
                    mode,
                    task_cpu_extra: cpu,
                    task_memory_extra: memory,
                    volumes,
                    ephemeral,
                }
            },
        )
}

const CONDITIONS: [ContainerCondition; 4] = [
    ContainerCondition::Start,
    ContainerCondition::Complete,
    ContainerCondition::Success,
    ContainerCondition::Healthy,
];

fn health_check(
    kind: u8,
    interval: Option<i32>,
    timeout: Option<i32>,
    retries: Option<i32>,
    start: Option<i32>,
) -> HealthCheck {
    let command = if kind.is_multiple_of(2) {
        vec!["CMD".into(), "true".into()]
    } else {
        vec!["CMD-SHELL".into(), "test -f /tmp/ok || exit 1".into()]
    };
    HealthCheck {
        command,
        interval,
        timeout,
        retries,
        start_period: start,
    }
}

/// Turns raw material into a definition that satisfies every semantic rule.
fn valid_spec(raw: RawTask) -> TaskDefinitionSpec {
    let n = raw.names.len();
    let mode = match raw.mode % 5 {
        0 => None,
        1 => Some(NetworkMode::Bridge),
        2 => Some(NetworkMode::Host),
        3 => Some(NetworkMode::Awsvpc),
        _ => Some(NetworkMode::None),
    };
    let effective_mode = mode.unwrap_or(NetworkMode::Bridge);
    let volumes: Vec<Volume> = raw
        .volumes
        .iter()
        .enumerate()
        .map(|(k, kind)| {
            let mut v = Volume {
                name: Some(format!("Vol_{k}")),
                ..Default::default()
            };
            match kind % 6 {
                0 => {}
                1 => {
                    v.host = Some(HostVolumeProperties {
                        source_path: Some(format!("/srv/v{k}")),
                    })
                }
                2 => {
                    v.docker_volume_configuration = Some(DockerVolumeConfiguration {
                        scope: Some(Scope::Task),
                        ..Default::default()
                    })
                }
                3 => {
                    v.docker_volume_configuration = Some(DockerVolumeConfiguration {
                        scope: Some(Scope::Shared),
                        autoprovision: Some(kind.is_multiple_of(2)),
                        ..Default::default()
                    })
                }
                4 => {
                    v.efs_volume_configuration = Some(EFSVolumeConfiguration {
                        file_system_id: format!("fs-{k}"),
                        root_directory: Some(format!("/exports/{k}")),
                        ..Default::default()
                    })
                }
                _ => v.configured_at_launch = Some(true),
            }
            v
        })
        .collect();

    let mut containers: Vec<ContainerDefinition> = raw
        .names
        .iter()
        .zip(&raw.containers)
        .map(|(name, r)| ContainerDefinition {
            name: name.clone(),
            image: format!("registry.example/{name}:1"),
            cpu: r.cpu,
            memory: r.memory,
            essential: Some(r.essential),
            ..Default::default()
        })
        .collect();

    // Dependencies point to later containers only: no cycles, and container 0 is never a target.
    let mut complete_targets = BTreeSet::new();
    for (i, r) in raw.containers.iter().enumerate() {
        let mut deps: Vec<ContainerDependency> = Vec::new();
        for &(target, cond) in &r.depends {
            let t = i + 1 + target % n.max(1);
            if t >= n || deps.iter().any(|d| d.container_name == raw.names[t]) {
                continue;
            }
            let condition = CONDITIONS[usize::from(cond) % 4];
            if matches!(
                condition,
                ContainerCondition::Complete | ContainerCondition::Success
            ) {
                complete_targets.insert(t);
            }
            deps.push(ContainerDependency {
                container_name: raw.names[t].clone(),
                condition,
            });
        }
        containers[i].depends_on = (!deps.is_empty()).then_some(deps);
    }
    for (i, r) in raw.containers.iter().enumerate() {
        let c = &mut containers[i];
        if complete_targets.contains(&i) {
            c.essential = Some(false);
        }
        if let Some((kind, interval, timeout, retries, start)) = r.health {
            c.health_check = Some(health_check(kind, interval, timeout, retries, start));
        }
    }
    // HEALTHY targets need a health check.
    let healthy: Vec<usize> = containers
        .iter()
        .flat_map(|c| c.depends_on.iter().flatten())
        .filter(|d| d.condition == ContainerCondition::Healthy)
        .filter_map(|d| raw.names.iter().position(|n| *n == d.container_name))
        .collect();
    for t in healthy {
        containers[t]
            .health_check
            .get_or_insert_with(|| health_check(0, None, None, None, None));
    }
    if !containers.iter().any(|c| c.essential != Some(false)) {
        containers[0].essential = Some(true);
    }

    // Memory: reservation below memory; every container has one of them unless task memory is set.
    let task_memory_set = raw.task_memory_extra.is_some();
    for (c, r) in containers.iter_mut().zip(&raw.containers) {
        if let (Some(m), Some(res)) = (c.memory, r.reservation_below) {
            if res < m {
                c.memory_reservation = Some(res);
            }
        } else if c.memory.is_none() {
            c.memory_reservation = r.reservation_below;
        }
        if !task_memory_set && c.memory.is_none() && c.memory_reservation.is_none() {
            c.memory = Some(64);
        }
    }

    // Ports: unique container ports per task; bridge host ports static (unique) or dynamic.
    let mut used_container = BTreeSet::new();
    let mut used_host = BTreeSet::new();
    let mut used_names = BTreeSet::new();
    for (c, r) in containers.iter_mut().zip(&raw.containers) {
        if effective_mode == NetworkMode::None {
            continue;
        }
        let mut mappings = Vec::new();
        for (port, flags, udp, name) in &r.ports {
            let protocol = if *udp {
                TransportProtocol::Udp
            } else {
                TransportProtocol::Tcp
            };
            if !used_container.insert((*port, *udp)) {
                continue;
            }
            let host_port = match effective_mode {
                NetworkMode::Bridge => match flags % 3 {
                    0 => None,
                    1 => Some(0),
                    _ => {
                        let h = 1024 + (u32::from(*port) * 7 + u32::from(*flags)) % 60000;
                        let h = i32::try_from(h).expect("port");
                        if used_host.insert((h, *udp)) {
                            Some(h)
                        } else {
                            None
                        }
                    }
                },
                _ => (flags % 2 == 0).then_some(i32::from(*port)),
            };
            let name = name.clone().filter(|n| used_names.insert(n.clone()));
            mappings.push(PortMapping {
                container_port: Some(i32::from(*port)),
                host_port,
                protocol: Some(protocol),
                name,
                ..Default::default()
            });
        }
        c.port_mappings = (!mappings.is_empty()).then_some(mappings);
    }

    for (i, (c, r)) in containers.iter_mut().zip(&raw.containers).enumerate() {
        c.environment = (!r.env.is_empty()).then(|| {
            r.env
                .iter()
                .map(|(k, v)| KeyValuePair {
                    name: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect()
        });
        c.secrets = (!r.secrets.is_empty()).then(|| {
            r.secrets
                .iter()
                .map(|(name, kind)| Secret {
                    name: name.clone(),
                    value_from: match kind % 4 {
                        0 => "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/Db_Creds-AbCdEf".into(),
                        1 => "arn:aws:secretsmanager:us-east-1:123456789012:secret:db:password::".into(),
                        2 => "arn:aws:ssm:us-east-1:123456789012:parameter/prod/api_key".into(),
                        _ => "app-secrets:token".into(),
                    },
                })
                .collect()
        });
        let mut paths = BTreeSet::new();
        let mounts: Vec<MountPoint> = r
            .mounts
            .iter()
            .filter(|(v, _)| *v < volumes.len())
            .filter(|(v, _)| paths.insert(*v))
            .map(|(v, ro)| MountPoint {
                source_volume: volumes[*v].name.clone(),
                container_path: Some(format!("/mnt/v{v}")),
                read_only: Some(*ro),
            })
            .collect();
        c.mount_points = (!mounts.is_empty()).then_some(mounts);
        if let Some((source, ro)) = r.volumes_from
            && n > 1
        {
            let s = (i + 1 + source % (n - 1)) % n;
            c.volumes_from = Some(vec![VolumeFrom {
                source_container: Some(raw.names[s].clone()),
                read_only: Some(ro),
            }]);
        }
        if r.shm.is_some() || !r.tmpfs.is_empty() {
            c.linux_parameters = Some(LinuxParameters {
                shared_memory_size: r.shm,
                tmpfs: (!r.tmpfs.is_empty()).then(|| {
                    r.tmpfs
                        .iter()
                        .enumerate()
                        .map(|(k, size)| Tmpfs {
                            container_path: format!("/tmpfs/{k}"),
                            size: *size,
                            mount_options: None,
                        })
                        .collect()
                }),
                init_process_enabled: Some(r.restart),
                ..Default::default()
            });
        }
        c.restart_policy = r.restart.then(|| ContainerRestartPolicy {
            enabled: true,
            ignored_exit_codes: Some(vec![0]),
            restart_attempt_period: Some(60),
        });
        c.stop_timeout = r.stop_timeout;
        c.start_timeout = r.start_timeout;
        c.user = r.user.map(|u| match u % 3 {
            0 => "1000".into(),
            1 => "1000:1000".into(),
            _ => "nginx".into(),
        });
        if !matches!(effective_mode, NetworkMode::Awsvpc) {
            c.hostname = r.hostname.clone();
            c.extra_hosts = (!r.extra_hosts.is_empty()).then(|| {
                r.extra_hosts
                    .iter()
                    .map(|(h, ip)| HostEntry {
                        hostname: h.clone(),
                        ip_address: format!("10.0.0.{ip}"),
                    })
                    .collect()
            });
        }
        c.dns_servers = (!r.dns_servers.is_empty()).then(|| {
            r.dns_servers
                .iter()
                .map(|b| format!("192.168.1.{b}"))
                .collect()
        });
        if let Some((kind, value)) = &r.sysctl {
            let namespace = match (kind % 3, effective_mode) {
                (0, m) if m != NetworkMode::Host => "net.core.somaxconn",
                (1, _) => "kernel.shmmax",
                _ => "fs.mqueue.msg_max",
            };
            c.system_controls = Some(vec![SystemControl {
                namespace: Some(namespace.into()),
                value: Some(value.clone()),
            }]);
        }
        c.resource_requirements = r.gpus.map(|g| {
            vec![ResourceRequirement {
                value: Some(g.to_string()),
                r#type: ResourceType::Gpu,
                sharing_strategy: None,
            }]
        });
        c.entry_point = r.entry.clone();
        c.command = r.command.clone();
    }
    // Links only in bridge mode, to the next container.
    if effective_mode == NetworkMode::Bridge && n > 1 {
        containers[0].links = Some(vec![format!("{}:alias-{}", raw.names[1], raw.names[1])]);
    }

    let cpu_sum: u64 = containers.iter().map(|c| c.cpu.unwrap_or(0) as u64).sum();
    let memory_sum: u64 = containers
        .iter()
        .map(|c| c.memory_reservation.or(c.memory).unwrap_or(0) as u64)
        .sum();
    TaskDefinitionSpec {
        family: Some("prop".into()),
        network_mode: mode,
        container_definitions: containers,
        volumes: (!volumes.is_empty()).then_some(volumes),
        cpu: raw
            .task_cpu_extra
            .map(|extra| (cpu_sum + u64::from(extra)).clamp(128, 196_608).to_string()),
        memory: raw
            .task_memory_extra
            .map(|extra| (memory_sum + u64::from(extra)).max(6).to_string()),
        ephemeral_storage: raw
            .ephemeral
            .map(|size_in_gi_b| ecs_operator::api::shapes::EphemeralStorage { size_in_gi_b }),
        ..Default::default()
    }
}

/// The generators make host-mode definitions; the operator's policy refuses them by default
/// (validate/policy.rs), so the ECS translation is checked with host access allowed.
fn host_allowed() -> TranslateOptions {
    TranslateOptions {
        allow_host_namespaces: true,
        allow_host_path: true,
        ..TranslateOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn valid_definitions_translate_into_sound_pods(raw in raw_task()) {
        let spec = valid_spec(raw);
        let opts = host_allowed();
        let issues = validate(&spec, &opts);
        prop_assert!(issues.is_empty(), "the generator made an invalid definition: {issues:#?}");
        let t = translate(&spec, None, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        assert_sound(&spec, &t, &opts);
        prop_assert_eq!(&t, &translate(&spec, None, &opts).expect("second run"), "deterministic");
        // The reservation follows ECS: task-level when set, else the container sums.
        if spec.cpu.is_none() {
            let sum: u64 = spec.container_definitions.iter().map(|c| c.cpu.unwrap_or(0) as u64).sum();
            prop_assert_eq!(t.reservation.cpu, sum);
        }
        // Every essential container is reported essential, by Pod name.
        let essential: BTreeMap<&str, bool> =
            t.containers.iter().map(|c| (c.ecs_name.as_str(), c.essential)).collect();
        for c in &spec.container_definitions {
            prop_assert_eq!(essential[c.name.as_str()], c.essential != Some(false));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Anything at all: valid or not, with overrides.

fn loose_container() -> impl Strategy<Value = ContainerDefinition> {
    (
        ("[A-Za-z0-9_ -]{0,12}", "[ -~]{0,8}"),
        (
            proptest::option::of(-10..3000i32),
            proptest::option::of(-10..3000i32),
            proptest::option::of(-10..3000i32),
            proptest::option::of(any::<bool>()),
        ),
        proptest::collection::vec(
            (
                proptest::option::of(-1..70000i32),
                proptest::option::of(-1..70000i32),
                proptest::option::of("[ -~]{0,20}"),
                proptest::option::of("[0-9-]{0,12}"),
            ),
            0..3,
        ),
        proptest::collection::vec(("[A-Za-z0-9_ -]{0,8}", 0..4usize), 0..3),
        proptest::option::of(proptest::collection::vec("[A-Z-]{0,10}", 0..3)),
        proptest::collection::vec(("[ -~]{0,6}", proptest::option::of("[ -~]{0,6}")), 0..3),
        proptest::collection::vec(
            (
                proptest::option::of("[A-Za-z0-9_]{0,6}"),
                proptest::option::of("[ -~/]{0,8}"),
                proptest::option::of(any::<bool>()),
            ),
            0..3,
        ),
        (
            proptest::option::of("[ -~]{0,12}"),
            proptest::option::of(-5..200i32),
            proptest::option::of(any::<bool>()),
            proptest::option::of(proptest::collection::vec("[ -~]{0,10}", 0..3)),
            proptest::option::of(proptest::collection::vec("[ -~]{0,16}", 0..3)),
        ),
    )
        .prop_map(
            |(
                (name, image),
                (cpu, memory, reservation, essential),
                ports,
                deps,
                health,
                env,
                mounts,
                misc,
            )| {
                let (user, stop, privileged, dns, sysctls) = misc;
                ContainerDefinition {
                    name,
                    image,
                    cpu,
                    memory,
                    memory_reservation: reservation,
                    essential,
                    port_mappings: Some(
                        ports
                            .into_iter()
                            .map(|(container_port, host_port, name, range)| PortMapping {
                                container_port,
                                host_port,
                                name,
                                container_port_range: range,
                                ..Default::default()
                            })
                            .collect(),
                    ),
                    depends_on: Some(
                        deps.into_iter()
                            .map(|(container_name, c)| ContainerDependency {
                                container_name,
                                condition: CONDITIONS[c % 4],
                            })
                            .collect(),
                    ),
                    health_check: health.map(|command| HealthCheck {
                        command,
                        ..Default::default()
                    }),
                    environment: Some(
                        env.into_iter()
                            .map(|(name, value)| KeyValuePair {
                                name: Some(name),
                                value,
                            })
                            .collect(),
                    ),
                    mount_points: Some(
                        mounts
                            .into_iter()
                            .map(|(source_volume, container_path, read_only)| MountPoint {
                                source_volume,
                                container_path,
                                read_only,
                            })
                            .collect(),
                    ),
                    user,
                    stop_timeout: stop,
                    privileged,
                    dns_servers: dns,
                    system_controls: sysctls.map(|list| {
                        list.into_iter()
                            .map(|namespace| SystemControl {
                                namespace: Some(namespace),
                                value: Some("1".into()),
                            })
                            .collect()
                    }),
                    ..Default::default()
                }
            },
        )
}

fn loose_spec() -> impl Strategy<Value = TaskDefinitionSpec> {
    (
        proptest::collection::vec(loose_container(), 0..5),
        proptest::option::of(0..5u8),
        proptest::option::of("[ -~]{0,10}"),
        proptest::option::of("[ -~]{0,10}"),
        proptest::collection::vec((proptest::option::of("[A-Za-z0-9_ ]{0,6}"), 0..4u8), 0..3),
        proptest::option::of("[ -~]{0,30}"),
    )
        .prop_map(
            |(containers, mode, cpu, memory, volumes, role)| TaskDefinitionSpec {
                family: Some("loose".into()),
                container_definitions: containers,
                network_mode: mode.and_then(|m| match m {
                    0 => Some(NetworkMode::Bridge),
                    1 => Some(NetworkMode::Host),
                    2 => Some(NetworkMode::Awsvpc),
                    3 => Some(NetworkMode::None),
                    _ => None,
                }),
                cpu,
                memory,
                volumes: Some(
                    volumes
                        .into_iter()
                        .map(|(name, kind)| Volume {
                            name,
                            host: (kind == 1).then(HostVolumeProperties::default),
                            docker_volume_configuration: (kind >= 2).then(|| {
                                DockerVolumeConfiguration {
                                    scope: Some(if kind == 2 {
                                        Scope::Task
                                    } else {
                                        Scope::Shared
                                    }),
                                    autoprovision: Some(kind == 2),
                                    ..Default::default()
                                }
                            }),
                            ..Default::default()
                        })
                        .collect(),
                ),
                task_role_arn: role,
                ..Default::default()
            },
        )
}

fn loose_overrides() -> impl Strategy<Value = Option<TaskOverride>> {
    proptest::option::of(
        (
            proptest::collection::vec(
                (
                    proptest::option::of("[A-Za-z0-9_ -]{0,12}"),
                    proptest::option::of(-10..3000i32),
                    proptest::option::of(-10..3000i32),
                    proptest::option::of(proptest::collection::vec(
                        ("[ -~]{0,6}", "[ -~]{0,6}"),
                        0..3,
                    )),
                ),
                0..3,
            ),
            proptest::option::of("[ -~]{0,8}"),
            proptest::option::of("[ -~]{0,8}"),
        )
            .prop_map(|(containers, cpu, memory)| TaskOverride {
                container_overrides: Some(
                    containers
                        .into_iter()
                        .map(|(name, cpu, memory, env)| ContainerOverride {
                            name,
                            cpu,
                            memory,
                            environment: env.map(|e| {
                                e.into_iter()
                                    .map(|(n, v)| KeyValuePair {
                                        name: Some(n),
                                        value: Some(v),
                                    })
                                    .collect()
                            }),
                            ..Default::default()
                        })
                        .collect(),
                ),
                cpu,
                memory,
                ..Default::default()
            }),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn anything_translates_or_is_refused_without_panicking(spec in loose_spec(), overrides in loose_overrides()) {
        let opts = TranslateOptions::default();
        match translate(&spec, overrides.as_ref(), &opts) {
            Ok(t) => assert_sound(&spec, &t, &opts),
            Err(e) => {
                prop_assert!(!e.issues().is_empty());
                prop_assert!(e.issues().iter().all(|i| i.field.starts_with("spec")));
            }
        }
    }

    #[test]
    fn valid_definitions_with_overrides(raw in raw_task(), overrides in loose_overrides()) {
        let spec = valid_spec(raw);
        let opts = host_allowed();
        match translate(&spec, overrides.as_ref(), &opts) {
            Ok(t) => assert_sound(&spec, &t, &opts),
            Err(e) => {
                prop_assert_eq!(e.reason(), "InvalidOverrides");
                prop_assert!(e.issues().iter().all(|i| i.field.starts_with("spec.")));
            }
        }
    }
}

#[test]
fn protocols_of_host_port_requests_follow_the_mappings() {
    let spec: TaskDefinitionSpec = serde_json::from_value(serde_json::json!({
        "family": "p",
        "containerDefinitions": [{"name": "a", "image": "a", "memory": 64, "portMappings": [
            {"containerPort": 53, "protocol": "udp"}, {"containerPort": 80, "hostPort": 8080}
        ]}]
    }))
    .expect("spec");
    let t = translate(&spec, None, &TranslateOptions::default()).expect("translate");
    let requests: Vec<(u16, Protocol)> = t
        .host_port_requests()
        .iter()
        .map(|r| (r.port, r.protocol))
        .collect();
    assert_eq!(requests, [(0, Protocol::Udp), (8080, Protocol::Tcp)]);
}
