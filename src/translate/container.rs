//! One ContainerDefinition → one Kubernetes Container, and the container-level fields that
//! Kubernetes cannot express (reported).
//!
//! `entryPoint` → `command` and `command` → `args` (Docker's ENTRYPOINT/CMD are Kubernetes'
//! command/args), both escaped against `$(VAR)` expansion; `workingDirectory` → `workingDir`;
//! `interactive` / `pseudoTerminal` → `stdin` / `tty`. The termination message falls back to
//! the log tail so a failed container's `reason` has something to say.

use k8s_openapi::api::core::v1::Container;

use crate::api::shapes::{ContainerDefinition, VersionConsistency};

use super::Ctx;
use super::dependencies::ContainerRole;
use super::env::{self, escape};
use super::health;
use super::ports::{self, PortInfo};
use super::resources::Sizing;
use super::security;

/// Builds container `i` in `role`.
pub(crate) fn build(
    ctx: &mut Ctx<'_>,
    i: usize,
    role: ContainerRole,
    healthy_target: bool,
    sizing: &Sizing,
) -> (Container, Vec<PortInfo>) {
    let spec = ctx.spec;
    let c = &spec.container_definitions[i];
    let pod_name = ctx.pod_names[i].clone();
    let (env, env_from) = env::build(c, i, ctx.paths, &mut ctx.report);
    let (container_ports, infos) = ports::container_ports(
        c,
        i,
        &pod_name,
        ctx.mode,
        &mut ctx.port_names,
        ctx.paths,
        &mut ctx.report,
    );
    let mounts = ctx
        .volumes
        .mounts(spec, i, &pod_name, ctx.paths, &mut ctx.report);
    let mut container = Container {
        name: pod_name,
        image: Some(c.image.clone()),
        command: c
            .entry_point
            .as_ref()
            .map(|v| v.iter().map(|s| escape(s)).collect()),
        args: c
            .command
            .as_ref()
            .map(|v| v.iter().map(|s| escape(s)).collect()),
        working_dir: c.working_directory.clone(),
        env: (!env.is_empty()).then_some(env),
        env_from: (!env_from.is_empty()).then_some(env_from),
        ports: (!container_ports.is_empty()).then_some(container_ports),
        resources: sizing.requirements(),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        security_context: security::container_security(
            c,
            i,
            ctx.opts.allow_privileged,
            ctx.paths,
            &mut ctx.report,
        ),
        stdin: c.interactive.filter(|&b| b),
        tty: c.pseudo_terminal.filter(|&b| b),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        restart_policy: (role == ContainerRole::Sidecar).then(|| "Always".to_owned()),
        ..Default::default()
    };
    if let Some(hc) = &c.health_check {
        if role == ContainerRole::Init {
            // Kubernetes refuses probes on containers that run to completion.
            ctx.report.approximated(
                ctx.paths.container(i, "healthCheck"),
                "not evaluated: the container runs to completion as an init container (a COMPLETE/SUCCESS \
                 dependency target), which Kubernetes does not probe",
            );
        } else {
            container.readiness_probe = health::readiness_probe(hc, ctx.windows);
            if healthy_target {
                container.startup_probe = health::startup_probe(hc, ctx.windows);
            }
        }
    }
    report_unmapped(ctx, i, c);
    (container, infos)
}

/// Container fields that are set but have no Kubernetes counterpart (or only a partial one).
fn report_unmapped(ctx: &mut Ctx<'_>, i: usize, c: &ContainerDefinition) {
    let paths = ctx.paths;
    let report = &mut ctx.report;
    if let Some(lp) = &c.linux_parameters {
        let base = paths.container(i, "linuxParameters");
        if lp.devices.as_ref().is_some_and(|d| !d.is_empty()) {
            report.unsupported(
                format!("{base}.devices"),
                "host devices are not mapped into containers (use a device plugin resource instead)",
            );
        }
        if lp.max_swap.is_some() {
            report.unsupported(
                format!("{base}.maxSwap"),
                "swap is configured per node on Kubernetes",
            );
        }
        if lp.swappiness.is_some() {
            report.unsupported(
                format!("{base}.swappiness"),
                "swappiness is configured per node on Kubernetes",
            );
        }
    }
    if c.ulimits.as_ref().is_some_and(|u| !u.is_empty()) {
        report.unsupported(
            paths.container(i, "ulimits"),
            "Kubernetes has no per-container resource limits (rlimits); the container runtime's defaults apply",
        );
    }
    if c.firelens_configuration.is_some() {
        report.unsupported(
            paths.container(i, "firelensConfiguration"),
            "FireLens log routing is not set up; the container runs as an ordinary container",
        );
    }
    if c.credential_specs.as_ref().is_some_and(|s| !s.is_empty()) {
        report.unsupported(
            paths.container(i, "credentialSpecs"),
            "gMSA credential specs are not applied (Kubernetes uses GMSACredentialSpec resources)",
        );
    }
    if c.start_timeout.is_some() {
        report.approximated(
            paths.container(i, "startTimeout"),
            "enforced by the operator, which stops the task (TaskFailedToStart) when the container has not started \
             within startTimeout seconds of the Pod starting",
        );
    }
    if c.version_consistency == Some(VersionConsistency::Enabled) {
        report.approximated(
            paths.container(i, "versionConsistency"),
            "image tags are resolved by each node's kubelet when it pulls, not pinned to one digest per deployment",
        );
    }
}
