//! TaskDefinition (+ RunTask overrides) → PodSpec. Pure: no API calls, no async.
//!
//! ```no_run
//! # use ecs_operator::api::TaskDefinitionSpec;
//! # use ecs_operator::placement::HostPort;
//! use ecs_operator::translate::{translate, TranslateOptions};
//! # fn place(_: &[ecs_operator::translate::HostPortRequest]) -> (String, Vec<HostPort>) { todo!() }
//! # let spec = TaskDefinitionSpec::default();
//! let opts = TranslateOptions::default();
//! let mut t = translate(&spec, None, &opts)?;           // validates first
//! // Placement: t.reservation (cpu units, MiB), t.host_port_requests() (0 = dynamic),
//! // t.required_attributes; the PodSpec's nodeSelector must match the chosen node.
//! let (node, host_ports) = place(&t.host_port_requests());
//! t.bind_host_ports(&host_ports)?;                       // fills the dynamic host ports
//! t.pod_spec.node_name = Some(node);
//! // Pod metadata: t.annotations; status: t.unsupported / t.approximated; task health and
//! // essential-container handling: t.containers.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The mapping, field by field, is in docs/task-definition-mapping.md; each module documents
//! its part. Every field is honoured, approximated (and reported in `approximated`) or reported
//! in `unsupported` when set; nothing is dropped silently. An invalid definition (see
//! [`validate`]) never becomes a PodSpec.

pub mod annotations;
mod container;
mod dependencies;
mod env;
mod health;
pub mod names;
mod overrides;
mod paths;
mod pod;
mod ports;
mod report;
mod resources;
mod security;
mod spec;
pub mod validate;
mod volumes;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Container, PodSpec};

use crate::api::shapes::{NetworkMode, TaskOverride};
use crate::api::{TaskDefinitionSpec, UnsupportedField};
use crate::placement::{HostPort, Resources};

pub use annotations::{
    CONTAINER_NAMES, DOCKER_LABEL_PREFIX, LOG_CONFIGURATION, RESERVED_CPU, RESERVED_MEMORY,
};
pub use dependencies::ContainerRole;
pub use health::HealthCheckTiming;
pub use pod::DEFAULT_STOP_TIMEOUT;
pub use ports::{BindError, HostBinding, HostPortRequest, PortInfo, bind_host_ports};
pub use resources::{PodRequests, pod_requests, reservation};
pub use validate::{Rule, ValidationIssue, validate};

use paths::Paths;
use report::Report;
use volumes::PodVolumes;

/// Where shared Docker volumes live on the node by default.
pub const DEFAULT_SHARED_VOLUME_ROOT: &str = "/var/lib/ecs-operator/volumes";
/// ECS's default restartAttemptPeriod (seconds).
pub const DEFAULT_RESTART_ATTEMPT_PERIOD: i32 = 300;

/// How `dockerVolumeConfiguration` volumes with scope `shared` are provided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SharedVolumes {
    /// A directory `<root>/<volume name>` on the node: shared by the tasks on that node and kept
    /// after them, like a local Docker volume.
    HostPath { root: String },
    /// A PersistentVolumeClaim named after the volume (sanitised), in the task's namespace.
    PersistentVolumeClaim,
}

/// Operator configuration that changes the translation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranslateOptions {
    /// Run containers with `privileged: true`. Off by default: such definitions are refused.
    pub allow_privileged: bool,
    /// Run tasks with networkMode / pidMode / ipcMode `host`. Off by default: refused.
    pub allow_host_namespaces: bool,
    /// Mount node paths (`volumes[].host.sourcePath`). Off by default: refused.
    pub allow_host_path: bool,
    /// The extended resource for `resourceRequirements` type GPU.
    pub gpu_resource: String,
    /// The extended resource for `resourceRequirements` type NeuronDevice.
    pub neuron_resource: String,
    pub shared_volumes: SharedVolumes,
}

impl Default for TranslateOptions {
    fn default() -> Self {
        Self {
            allow_privileged: false,
            allow_host_namespaces: false,
            allow_host_path: false,
            gpu_resource: "nvidia.com/gpu".to_owned(),
            neuron_resource: "aws.amazon.com/neuron".to_owned(),
            shared_volumes: SharedVolumes::HostPath {
                root: DEFAULT_SHARED_VOLUME_ROOT.to_owned(),
            },
        }
    }
}

/// ECS `restartPolicy` honoured in place (the container is a native sidecar): the operator
/// treats an exit with one of `ignored_exit_codes` as the container stopping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestartInPlace {
    pub ignored_exit_codes: Vec<i32>,
    pub restart_attempt_period_seconds: i32,
}

/// What the operator needs to know about one ECS container of the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerInfo {
    /// The ECS container name.
    pub ecs_name: String,
    /// The Pod container name (DNS label; may differ from `ecs_name`).
    pub name: String,
    /// `essential` (default true): when it stops, the task stops (EssentialContainerExited).
    pub essential: bool,
    pub role: ContainerRole,
    /// The health check carried by the container's readinessProbe; `None` without one (health
    /// UNKNOWN) or when it cannot be evaluated (plain init containers).
    pub health_check: Option<HealthCheckTiming>,
    /// ECS `startTimeout`, for the operator to enforce.
    pub start_timeout_seconds: Option<i32>,
    /// ECS `stopTimeout` (default 30); the Pod's grace period is the longest of them.
    pub stop_timeout_seconds: i32,
    pub restart: Option<RestartInPlace>,
}

/// The result of translating one task.
#[derive(Clone, Debug, PartialEq)]
pub struct Translation {
    /// The Pod spec, without `nodeName` and with dynamic host ports unset.
    pub pod_spec: PodSpec,
    /// Annotations for the Pod's metadata (see the `*` constants of this module).
    pub annotations: BTreeMap<String, String>,
    /// Every ECS container, in definition order.
    pub containers: Vec<ContainerInfo>,
    /// Every translated port mapping, in definition order.
    pub ports: Vec<PortInfo>,
    /// What placement reserves (cpu units, MiB), by the ECS rules.
    pub reservation: Resources,
    /// ECS attributes implied by `runtimePlatform` (`ecs.os-type`, `ecs.os-family`,
    /// `ecs.cpu-architecture`); the PodSpec's nodeSelector carries the os/arch part as node
    /// labels, which the kubelet checks.
    pub required_attributes: BTreeMap<String, String>,
    /// `configuredAtLaunch` volumes: ECS volume name → Pod volume name (an emptyDir placeholder
    /// the caller may replace with the launch-time volume).
    pub launch_volumes: BTreeMap<String, String>,
    /// Fields that are set but have no effect on Kubernetes.
    pub unsupported: Vec<UnsupportedField>,
    /// Fields honoured only approximately.
    pub approximated: Vec<UnsupportedField>,
}

impl Translation {
    /// The essential containers.
    pub fn essential_containers(&self) -> impl Iterator<Item = &ContainerInfo> {
        self.containers.iter().filter(|c| c.essential)
    }

    /// Pod container names of the essential containers (`TaskPod::essential_containers`).
    pub fn essential_container_names(&self) -> Vec<String> {
        self.essential_containers()
            .map(|c| c.name.clone())
            .collect()
    }

    /// Pod container names of the containers whose readinessProbe carries an ECS health check
    /// (`TaskPod::health_checked_containers`).
    pub fn health_checked_container_names(&self) -> Vec<String> {
        self.containers
            .iter()
            .filter(|c| c.health_check.is_some())
            .map(|c| c.name.clone())
            .collect()
    }

    /// The container with ECS name `ecs_name`.
    pub fn container(&self, ecs_name: &str) -> Option<&ContainerInfo> {
        self.containers.iter().find(|c| c.ecs_name == ecs_name)
    }

    /// Host ports for placement, one per bound port mapping, dynamic ones as port 0. Pass
    /// placement's answer (same order) to [`Translation::bind_host_ports`].
    pub fn host_port_requests(&self) -> Vec<HostPortRequest> {
        ports::host_port_requests(&self.ports)
    }

    /// The static host ports (bridge `hostPort`, host mode ports).
    pub fn static_host_ports(&self) -> Vec<HostPort> {
        self.host_port_requests()
            .into_iter()
            .filter(|r| r.port != 0)
            .map(|r| HostPort {
                port: r.port,
                protocol: r.protocol,
            })
            .collect()
    }

    /// Whether placement must assign dynamic host ports.
    pub fn has_dynamic_host_ports(&self) -> bool {
        self.ports.iter().any(|p| p.host == HostBinding::Dynamic)
    }

    /// Writes placement's host ports into `pod_spec` (see [`bind_host_ports`]).
    pub fn bind_host_ports(&mut self, assigned: &[HostPort]) -> Result<(), BindError> {
        bind_host_ports(&mut self.pod_spec, &self.ports, assigned)
    }

    /// Unsupported and approximated fields in one list for `status.unsupportedFields`;
    /// approximated reasons start with "approximated: ".
    pub fn reported_fields(&self) -> Vec<UnsupportedField> {
        self.unsupported
            .iter()
            .cloned()
            .chain(self.approximated.iter().map(|f| UnsupportedField {
                field: f.field.clone(),
                reason: format!("approximated: {}", f.reason),
            }))
            .collect()
    }
}

/// Why a task cannot be translated. The variant name is the condition/Event reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// The task definition breaks semantic rules (see [`validate`]).
    #[error("invalid task definition: {}", validate::summarize(.0))]
    InvalidTaskDefinition(Vec<ValidationIssue>),
    /// The RunTask overrides break rules (or make the effective definition invalid).
    #[error("invalid overrides: {}", validate::summarize(.0))]
    InvalidOverrides(Vec<ValidationIssue>),
}

impl TranslateError {
    /// PascalCase reason for conditions, Events and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            TranslateError::InvalidTaskDefinition(_) => "InvalidTaskDefinition",
            TranslateError::InvalidOverrides(_) => "InvalidOverrides",
        }
    }

    pub fn issues(&self) -> &[ValidationIssue] {
        match self {
            TranslateError::InvalidTaskDefinition(issues)
            | TranslateError::InvalidOverrides(issues) => issues,
        }
    }
}

/// Translates one task: the definition, validated, with `overrides` applied on top.
pub fn translate(
    spec: &TaskDefinitionSpec,
    overrides: Option<&TaskOverride>,
    opts: &TranslateOptions,
) -> Result<Translation, TranslateError> {
    let issues = validate::validate_with(spec, opts, &Paths::default());
    if !issues.is_empty() {
        return Err(TranslateError::InvalidTaskDefinition(issues));
    }
    let effective = overrides::apply(spec, overrides);
    let mut issues = effective.issues;
    if overrides.is_some() {
        // The definition is valid, so anything wrong now comes from the overrides.
        issues.extend(validate::validate_with(
            &effective.spec,
            opts,
            &effective.paths,
        ));
    }
    if !issues.is_empty() {
        return Err(TranslateError::InvalidOverrides(issues));
    }
    Ok(build(
        &effective.spec,
        opts,
        &effective.paths,
        effective.report,
    ))
}

/// Shared state while building one Pod.
pub(crate) struct Ctx<'a> {
    pub spec: &'a TaskDefinitionSpec,
    pub opts: &'a TranslateOptions,
    pub paths: &'a Paths,
    pub mode: NetworkMode,
    pub windows: bool,
    pub report: Report,
    pub volumes: PodVolumes,
    /// Pod-wide port names handed out so far.
    pub port_names: BTreeSet<String>,
    /// Pod container name of each ECS container.
    pub pod_names: Vec<String>,
}

fn build(
    spec: &TaskDefinitionSpec,
    opts: &TranslateOptions,
    paths: &Paths,
    report: Report,
) -> Translation {
    let mut report = report;
    let n = spec.container_definitions.len();
    let mut allocator = names::NameAllocator::new(names::DNS1123_LABEL_MAX);
    let pod_names: Vec<String> = spec
        .container_definitions
        .iter()
        .enumerate()
        .map(|(i, c)| allocator.allocate(&c.name, &format!("container-{i}")))
        .collect();
    let plan = dependencies::plan(spec, paths, &mut report);
    let volumes = PodVolumes::plan(spec, opts, paths, &mut report);

    let sizings = resources::size_task(
        spec,
        &plan.roles,
        &plan.init_order,
        opts,
        paths,
        &mut report,
    );

    let mut ctx = Ctx {
        spec,
        opts,
        paths,
        mode: spec::network_mode(spec),
        windows: spec::is_windows(spec),
        report,
        volumes,
        port_names: BTreeSet::new(),
        pod_names,
    };
    let mut built: Vec<Option<Container>> = Vec::with_capacity(n);
    let mut port_infos = Vec::new();
    for (i, sizing) in sizings.iter().enumerate() {
        let (c, infos) =
            container::build(&mut ctx, i, plan.roles[i], plan.healthy_target[i], sizing);
        built.push(Some(c));
        port_infos.extend(infos);
    }
    let mut take = |order: &[usize]| -> Vec<Container> {
        order
            .iter()
            .filter_map(|&i| built.get_mut(i).and_then(Option::take))
            .collect()
    };
    let init_containers = take(&plan.init_order);
    let containers = take(&plan.main_order);
    let Ctx {
        mut report,
        volumes,
        pod_names,
        ..
    } = ctx;
    let mut pod_spec = PodSpec {
        init_containers: (!init_containers.is_empty()).then_some(init_containers),
        containers,
        volumes: (!volumes.volumes.is_empty()).then_some(volumes.volumes),
        ..Default::default()
    };
    pod::apply(
        &mut pod_spec,
        spec,
        spec::network_mode(spec),
        paths,
        &mut report,
    );

    let reservation = resources::reservation(spec);
    let essential: Vec<bool> = spec
        .container_definitions
        .iter()
        .map(spec::is_essential)
        .collect();
    let mut annotations =
        annotations::bookkeeping(spec, &pod_names, reservation, paths, &mut report);
    annotations.extend(annotations::docker_labels(spec, paths, &mut report));
    let (_, required_attributes) = pod::platform_selector(spec);

    let containers = spec
        .container_definitions
        .iter()
        .enumerate()
        .map(|(i, c)| ContainerInfo {
            ecs_name: c.name.clone(),
            name: pod_names[i].clone(),
            essential: essential[i],
            role: plan.roles[i],
            health_check: c
                .health_check
                .as_ref()
                .filter(|_| plan.roles[i] != ContainerRole::Init)
                .map(HealthCheckTiming::of),
            start_timeout_seconds: c.start_timeout,
            stop_timeout_seconds: c.stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT),
            restart: plan.restart_in_place[i].then(|| {
                let policy = c.restart_policy.clone().unwrap_or_default();
                RestartInPlace {
                    ignored_exit_codes: policy.ignored_exit_codes.unwrap_or_default(),
                    restart_attempt_period_seconds: policy
                        .restart_attempt_period
                        .unwrap_or(DEFAULT_RESTART_ATTEMPT_PERIOD),
                }
            }),
        })
        .collect();

    Translation {
        pod_spec,
        annotations,
        containers,
        ports: port_infos,
        reservation,
        required_attributes,
        launch_volumes: volumes.launch_volumes,
        unsupported: report.unsupported,
        approximated: report.approximated,
    }
}

#[cfg(test)]
mod tests;
