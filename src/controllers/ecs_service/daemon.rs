//! One DAEMON reconcile round (ecs-semantics.md §3.1, §6.2): one task per qualifying
//! container instance (constraints honoured, DRAINING excluded). A new instance gets its
//! task, a removed or no longer qualifying one loses it; on a DRAINING instance the daemon
//! task stops last, after the instance's replica tasks. Deployments go instance by
//! instance, stop-first (DAEMON defaults: minimumHealthyPercent 0, maximumPercent 100),
//! keeping `ceil(D × min% / 100)` healthy tasks.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::Api;

use super::Error;
use super::apply::{on_cluster, placement_request, stop_events, stop_tasks, task_keys};
use super::create::{PodFactory, create_tasks};
use super::resolve::{Resolved, service_name};
use super::round::Round;
use super::view::TaskView;
use crate::api::EcsService;
use crate::controllers::Ctx;
use crate::labels::{SCHEDULING_STRATEGY_LABEL, SERVICE_LABEL};
use crate::placement::kube_adapter::is_terminal;
use crate::rollout::deployments::Progress;
use crate::rollout::{LaunchGate, RunHealth, StopDecision, TaskClass, bounds};
use crate::tasks::StopCode;

pub async fn run(
    ctx: &Ctx,
    svc: &EcsService,
    r: &Resolved,
    tasks: &[TaskView],
    gate: LaunchGate,
    uid: &str,
) -> Result<Round, Error> {
    let name = service_name(svc);
    let namespace = svc.namespace().unwrap_or_default();
    let label = r.deployment_id.trim_start_matches("ecs-svc/");
    let mut round = Round::default();
    let mut progress = Progress::default();
    let is_primary = |t: &&TaskView| t.info.deployment == label;

    // Tasks that must stop whatever else happens.
    let mut stops: Vec<StopDecision> = Vec::new();
    for t in tasks {
        if let TaskClass::Condemned { code, reason } = &t.info.class {
            stops.push(StopDecision {
                id: t.info.id.clone(),
                code: *code,
                reason: reason.clone(),
            });
            let own_failure = matches!(
                code,
                StopCode::EssentialContainerExited | StopCode::TaskFailedToStart
            );
            if is_primary(&t) && own_failure {
                progress.breaker_failures += u32::from(!t.info.was_healthy);
                progress.launch_failures += u32::from(!t.info.reached_running);
            }
        }
    }
    let request = placement_request(r, &name);
    let condemned = task_keys(tasks, stops.iter().map(|s| &s.id));
    let plan = on_cluster(ctx, &r.cluster_name, tasks, &condemned, |s| {
        s.plan_daemon(&request)
    })
    .map_err(|e| Error::InvalidParameter(e.to_string()))?;
    let key_to_id = |key: &str| key.split_once('/').map(|(_, n)| n.to_string());

    // Instances that stopped qualifying (or drain): their tasks go; on a DRAINING instance
    // only after the replica tasks there are gone (daemon tasks stop last, §6.2).
    let mut draining_busy: Option<HashSet<String>> = None;
    for key in &plan.stop {
        let Some(id) = key_to_id(key) else { continue };
        let Some(task) = tasks.iter().find(|t| t.info.id == id) else {
            continue;
        };
        let node = task.pod.spec.as_ref().and_then(|s| s.node_name.clone());
        let busy = draining_busy.get_or_insert_with(|| instances_with_replica_tasks(ctx));
        if task.info.draining && node.is_some_and(|n| busy.contains(&n)) {
            round.retry_soon = true;
            continue;
        }
        stops.push(StopDecision {
            id,
            code: StopCode::ServiceSchedulerInitiated,
            reason: format!(
                "Scaling activity initiated by (deployment {})",
                r.deployment_id
            ),
        });
    }

    // Deployments: per instance, stop the old task, then start the new one — as many at a
    // time as minimumHealthyPercent allows.
    let qualifying = (plan.running.len() + plan.start.len() + plan.blocked.len()) as u32;
    let (lo, _) = bounds(qualifying, r.minimum_healthy_percent, r.maximum_percent);
    let stopping: HashSet<&str> = stops.iter().map(|s| s.id.as_str()).collect();
    let live: Vec<&TaskView> = tasks
        .iter()
        .filter(|t| matches!(t.info.class, TaskClass::Running(_) | TaskClass::Pending))
        .filter(|t| !stopping.contains(t.info.id.as_str()))
        .collect();
    let healthy = live
        .iter()
        .filter(|t| t.info.class == TaskClass::Running(RunHealth::Healthy))
        .count() as u32;
    let mut may_stop = if gate == LaunchGate::Open {
        healthy.saturating_sub(lo)
    } else {
        0
    };
    let mut old: Vec<&&TaskView> = live.iter().filter(|t| !is_primary(t)).collect();
    // Not-yet-healthy old tasks first: they cost no health.
    old.sort_by_key(|t| t.info.class == TaskClass::Running(RunHealth::Healthy));
    for t in old {
        let is_healthy = t.info.class == TaskClass::Running(RunHealth::Healthy);
        if is_healthy {
            if may_stop == 0 {
                continue;
            }
            may_stop -= 1;
        }
        stops.push(StopDecision {
            id: t.info.id.clone(),
            code: StopCode::ServiceSchedulerInitiated,
            reason: format!(
                "Scaling activity initiated by (deployment {})",
                r.deployment_id
            ),
        });
    }
    // UNHEALTHY daemon tasks: replaced in place (max 100%: stop, then start).
    for t in live.iter().filter(|t| is_primary(t)) {
        if t.info.class == TaskClass::Running(RunHealth::Unhealthy) {
            stops.push(StopDecision {
                id: t.info.id.clone(),
                code: StopCode::ServiceSchedulerInitiated,
                reason: crate::rollout::UNHEALTHY_REASON.to_string(),
            });
            progress.breaker_failures += 1;
        }
    }

    let pods_api: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    let stopped = stop_tasks(ctx, &pods_api, &name, tasks, &stops, uid).await?;
    let mut changed = stopped.len();
    round
        .events
        .extend(stop_events(&name, tasks, &stops, &stopped));
    // With the stopped tasks gone, their instances are free for the new deployment's.
    let mut gone = condemned;
    gone.extend(task_keys(tasks, &stopped));
    let plan = on_cluster(ctx, &r.cluster_name, tasks, &gone, |s| {
        s.plan_daemon(&request)
    })
    .map_err(|e| Error::InvalidParameter(e.to_string()))?;
    if gate == LaunchGate::Open && !plan.start.is_empty() {
        let factory = PodFactory::new(ctx, svc, r, label)?;
        let (created, events) = create_tasks(ctx, &name, uid, &factory, &plan.start).await?;
        changed += created;
        round.events.extend(events);
    }
    if let Some(first) = plan.blocked.first() {
        let message = format!(
            "service {name} was unable to place a task on container instance {} because it {}.",
            first.instance,
            first.reason.as_ecs()
        );
        round.unplaceable = Some(message.clone());
        round.events.push(message);
    }

    let primary_live: Vec<&&TaskView> = live.iter().filter(|t| is_primary(t)).collect();
    progress.primary_healthy = primary_live
        .iter()
        .filter(|t| t.info.class == TaskClass::Running(RunHealth::Healthy))
        .count() as u32;
    progress.primary_running = primary_live
        .iter()
        .filter(|t| matches!(t.info.class, TaskClass::Running(_)))
        .count() as u32;
    progress.steady = changed == 0
        && stops.is_empty()
        && plan.blocked.is_empty()
        && !round.retry_soon
        && primary_live.len() as u32 == qualifying
        && progress.primary_healthy == qualifying
        && live.len() == primary_live.len();
    round.progress = progress;
    round.desired = qualifying;
    Ok(round)
}

/// Nodes with live tasks of REPLICA services (any namespace): a daemon task on such a
/// DRAINING node waits for them to leave.
fn instances_with_replica_tasks(ctx: &Ctx) -> HashSet<String> {
    ctx.stores
        .pods
        .state()
        .iter()
        .filter(|p| p.label(SERVICE_LABEL).is_some())
        .filter(|p| p.label(SCHEDULING_STRATEGY_LABEL).is_none())
        .filter(|p| p.metadata.deletion_timestamp.is_none() && !is_terminal(p))
        .filter_map(|p| p.spec.as_ref()?.node_name.clone())
        .collect()
}
