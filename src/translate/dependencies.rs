//! `dependsOn` and the ECS container `restartPolicy` → where each container runs in the Pod
//! (ecs-semantics.md §4.2, §4.4).
//!
//! - A container others wait on with `COMPLETE` or `SUCCESS` becomes a plain **init
//!   container**: it must exit 0 before anything after it starts. SUCCESS is exact; COMPLETE
//!   (any exit code) is approximated — a non-zero exit fails the Pod, so the task stops where
//!   ECS would start the dependent anyway.
//! - A container others wait on with `START` or `HEALTHY` becomes a **native sidecar** (init
//!   container with `restartPolicy: Always`): later containers start once it has started, or
//!   once its startupProbe (from its healthCheck) passes for HEALTHY.
//! - Every other container is a regular container, in definition order.
//! - Init containers are ordered so each comes after the containers it depends on (ties in
//!   definition order). Kubernetes starts regular containers only after *all* init containers,
//!   so ordering is at least as strict as ECS's.
//! - ECS `restartPolicy.enabled` (restart in place): Pods here use `restartPolicy: Never`, so
//!   only sidecars can restart. A restart-enabled container that nothing depends on becomes a
//!   sidecar as long as an essential regular container remains (Kubernetes ends the Pod when
//!   the last regular container exits, and that must stay an ECS stop reason). Otherwise the
//!   policy is reported unsupported.
//!
//! Shutdown is the reverse: Kubernetes stops sidecars after the regular containers, in reverse
//! order, like ECS's reversed dependency order.

use std::collections::BTreeSet;

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::ContainerCondition;

use super::paths::Paths;
use super::report::Report;
use super::spec::{container_index, is_essential};

/// Where a container runs in the Pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerRole {
    /// A regular container (`spec.containers`).
    Main,
    /// A native sidecar: an init container with `restartPolicy: Always`, started before the
    /// regular containers and kept running; the kubelet restarts it when it exits.
    Sidecar,
    /// A plain init container: runs to completion (exit 0) before later containers start.
    Init,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    pub roles: Vec<ContainerRole>,
    /// Others wait for this container to be HEALTHY: it gets a startupProbe.
    pub healthy_target: Vec<bool>,
    /// The ECS restartPolicy is honoured (the container is a sidecar).
    pub restart_in_place: Vec<bool>,
    /// Init containers (plain and sidecars) in Pod order.
    pub init_order: Vec<usize>,
    /// Regular containers in Pod order.
    pub main_order: Vec<usize>,
}

pub(crate) fn plan(spec: &TaskDefinitionSpec, paths: &Paths, report: &mut Report) -> Plan {
    let containers = &spec.container_definitions;
    let n = containers.len();
    let mut complete_target = vec![false; n];
    let mut start_target = vec![false; n];
    let mut healthy_target = vec![false; n];
    // target → dependents, for ordering.
    let mut dependents: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (i, c) in containers.iter().enumerate() {
        for (k, dep) in c.depends_on.iter().flatten().enumerate() {
            let Some(t) = container_index(spec, &dep.container_name).filter(|&t| t != i) else {
                continue;
            };
            dependents[t].insert(i);
            match dep.condition {
                ContainerCondition::Complete => {
                    complete_target[t] = true;
                    report.approximated(
                        format!("{}.condition", paths.item(i, "dependsOn", k)),
                        format!(
                            "COMPLETE runs {:?} as an init container, which must exit 0: a non-zero exit stops \
                             the task instead of starting {:?}",
                            dep.container_name, c.name
                        ),
                    );
                }
                ContainerCondition::Success => complete_target[t] = true,
                ContainerCondition::Start => start_target[t] = true,
                ContainerCondition::Healthy => {
                    start_target[t] = true;
                    healthy_target[t] = true;
                }
            }
        }
    }
    let mut roles: Vec<ContainerRole> = (0..n)
        .map(|i| {
            if complete_target[i] {
                ContainerRole::Init
            } else if start_target[i] {
                ContainerRole::Sidecar
            } else {
                ContainerRole::Main
            }
        })
        .collect();
    // A plain init container cannot also wait for its own health.
    for i in 0..n {
        if roles[i] == ContainerRole::Init {
            healthy_target[i] = false;
        }
    }
    let restart_in_place = restart_policies(spec, paths, report, &mut roles);
    if n > 0
        && !(0..n).any(|i| roles[i] == ContainerRole::Main && is_essential(&containers[i]))
        && containers.iter().any(is_essential)
    {
        report.approximated(
            "spec.containerDefinitions",
            "every essential container runs as a sidecar because other containers depend on it; \
             the task also stops when its last non-essential regular container exits",
        );
    }
    let init_order = order_init(&roles, &dependents);
    let main_order = (0..n)
        .filter(|&i| roles[i] == ContainerRole::Main)
        .collect();
    Plan {
        roles,
        healthy_target,
        restart_in_place,
        init_order,
        main_order,
    }
}

fn restart_policies(
    spec: &TaskDefinitionSpec,
    paths: &Paths,
    report: &mut Report,
    roles: &mut [ContainerRole],
) -> Vec<bool> {
    let containers = &spec.container_definitions;
    let enabled: Vec<bool> = containers
        .iter()
        .map(|c| c.restart_policy.as_ref().is_some_and(|p| p.enabled))
        .collect();
    let mut in_place = vec![false; containers.len()];
    let anchor_remains = (0..containers.len())
        .any(|i| roles[i] == ContainerRole::Main && is_essential(&containers[i]) && !enabled[i]);
    for i in 0..containers.len() {
        if !enabled[i] {
            continue;
        }
        let field = paths.container(i, "restartPolicy");
        match roles[i] {
            ContainerRole::Sidecar => {
                in_place[i] = true;
                report.approximated(
                    field,
                    "restarted in place by the kubelet (native sidecar) with its crash back-off instead of \
                     restartAttemptPeriod; the operator treats an exit with one of ignoredExitCodes as a stop",
                );
            }
            ContainerRole::Init => report.unsupported(
                field,
                "a container others wait on with COMPLETE or SUCCESS runs once as an init container and is not restarted",
            ),
            ContainerRole::Main if anchor_remains => {
                roles[i] = ContainerRole::Sidecar;
                in_place[i] = true;
                report.approximated(
                    field,
                    "restarted in place by the kubelet as a native sidecar (started before the regular containers) \
                     with its crash back-off instead of restartAttemptPeriod; the operator treats an exit with one of \
                     ignoredExitCodes as a stop",
                );
            }
            ContainerRole::Main => report.unsupported(
                field,
                "containers are not restarted in place: Pods run with restartPolicy Never and restarting this \
                 container would need another essential container that is not restarted",
            ),
        }
    }
    in_place
}

/// Init containers in an order where every container comes after the ones it depends on;
/// among ready containers the lowest definition index goes first. Anything left by a cycle
/// (validation refuses cycles) is appended in definition order.
fn order_init(roles: &[ContainerRole], dependents: &[BTreeSet<usize>]) -> Vec<usize> {
    let is_init = |i: usize| roles[i] != ContainerRole::Main;
    let n = roles.len();
    let mut waiting_on = vec![0usize; n];
    for (t, deps) in dependents.iter().enumerate() {
        if !is_init(t) {
            continue;
        }
        for &d in deps {
            if d < n && is_init(d) {
                waiting_on[d] += 1;
            }
        }
    }
    let mut ready: BTreeSet<usize> = (0..n)
        .filter(|&i| is_init(i) && waiting_on[i] == 0)
        .collect();
    let mut order = Vec::new();
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for &d in &dependents[next] {
            if d < n && is_init(d) {
                waiting_on[d] = waiting_on[d].saturating_sub(1);
                if waiting_on[d] == 0 {
                    ready.insert(d);
                }
            }
        }
    }
    for i in 0..n {
        if is_init(i) && !order.contains(&i) {
            order.push(i);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::shapes::{ContainerDefinition, ContainerDependency, ContainerRestartPolicy};

    fn c(name: &str, deps: &[(&str, ContainerCondition)]) -> ContainerDefinition {
        ContainerDefinition {
            name: name.into(),
            image: "x".into(),
            depends_on: (!deps.is_empty()).then(|| {
                deps.iter()
                    .map(|(n, cond)| ContainerDependency {
                        container_name: (*n).into(),
                        condition: *cond,
                    })
                    .collect()
            }),
            ..Default::default()
        }
    }

    fn spec(containers: Vec<ContainerDefinition>) -> TaskDefinitionSpec {
        TaskDefinitionSpec {
            container_definitions: containers,
            ..Default::default()
        }
    }

    use ContainerCondition::*;
    use ContainerRole::*;

    #[test]
    fn no_dependencies_means_regular_containers_in_order() {
        let p = plan(
            &spec(vec![c("a", &[]), c("b", &[])]),
            &Paths::default(),
            &mut Report::default(),
        );
        assert_eq!(p.roles, [Main, Main]);
        assert_eq!(p.main_order, [0, 1]);
        assert!(p.init_order.is_empty());
    }

    #[test]
    fn conditions_pick_roles() {
        let mut migrate = c("migrate", &[]);
        migrate.essential = Some(false);
        let s = spec(vec![
            c(
                "app",
                &[("envoy", Healthy), ("migrate", Success), ("log", Start)],
            ),
            c("envoy", &[]),
            migrate,
            c("log", &[]),
        ]);
        let p = plan(&s, &Paths::default(), &mut Report::default());
        assert_eq!(p.roles, [Main, Sidecar, Init, Sidecar]);
        assert_eq!(p.healthy_target, [false, true, false, false]);
        assert_eq!(p.init_order, [1, 2, 3]);
        assert_eq!(p.main_order, [0]);
    }

    #[test]
    fn init_order_respects_dependencies() {
        // app → b (START), b → c (SUCCESS), c → d (START): d, c, b must precede.
        let s = spec(vec![
            c("app", &[("b", Start)]),
            c("b", &[("c", Success)]),
            c("c", &[("d", Start)]),
            c("d", &[]),
        ]);
        let p = plan(&s, &Paths::default(), &mut Report::default());
        assert_eq!(p.roles, [Main, Sidecar, Init, Sidecar]);
        assert_eq!(p.init_order, [3, 2, 1]);
    }

    #[test]
    fn complete_wins_over_start_and_is_reported() {
        let s = spec(vec![
            c("a", &[("x", Start)]),
            c("b", &[("x", Complete)]),
            c("x", &[]),
        ]);
        let mut report = Report::default();
        let p = plan(&s, &Paths::default(), &mut report);
        assert_eq!(p.roles[2], Init);
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[1].dependsOn[0].condition"
        );
    }

    #[test]
    fn cycles_do_not_lose_containers() {
        let s = spec(vec![
            c("a", &[("b", Start)]),
            c("b", &[("a", Start)]),
            c("m", &[("a", Start)]),
        ]);
        let p = plan(&s, &Paths::default(), &mut Report::default());
        let mut all: Vec<usize> = p.init_order.iter().chain(&p.main_order).copied().collect();
        all.sort();
        assert_eq!(all, [0, 1, 2]);
    }

    fn restart(mut c: ContainerDefinition) -> ContainerDefinition {
        c.restart_policy = Some(ContainerRestartPolicy {
            enabled: true,
            ..Default::default()
        });
        c
    }

    #[test]
    fn restart_policy_becomes_sidecar_when_an_essential_anchor_remains() {
        let mut log = restart(c("log", &[]));
        log.essential = Some(false);
        let s = spec(vec![c("app", &[]), log]);
        let mut report = Report::default();
        let p = plan(&s, &Paths::default(), &mut report);
        assert_eq!(p.roles, [Main, Sidecar]);
        assert_eq!(p.restart_in_place, [false, true]);
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[1].restartPolicy"
        );
    }

    #[test]
    fn restart_policy_without_anchor_is_unsupported() {
        let s = spec(vec![restart(c("app", &[]))]);
        let mut report = Report::default();
        let p = plan(&s, &Paths::default(), &mut report);
        assert_eq!(p.roles, [Main]);
        assert_eq!(p.restart_in_place, [false]);
        assert_eq!(
            report.unsupported[0].field,
            "spec.containerDefinitions[0].restartPolicy"
        );
    }

    #[test]
    fn essential_sidecars_only_is_reported() {
        let mut app = c("app", &[("envoy", Start)]);
        app.essential = Some(false);
        let s = spec(vec![app, c("envoy", &[])]);
        let mut report = Report::default();
        plan(&s, &Paths::default(), &mut report);
        assert!(
            report
                .approximated
                .iter()
                .any(|f| f.field == "spec.containerDefinitions")
        );
    }
}
