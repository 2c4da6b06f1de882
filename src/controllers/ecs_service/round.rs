//! One REPLICA reconcile round: plan (pure) → apply → what the deployment machinery and the
//! status need to know. AZ rebalancing (§3.8) runs here once the service is otherwise steady.

use std::collections::{BTreeMap, HashMap};

use crate::slim_node::SlimNode;
use kube::ResourceExt;

use super::Error;
use super::apply;
use super::resolve::{Resolved, service_name};
use super::view::{TaskView, node_is_draining};
use crate::api::EcsService;
use crate::api::shapes::AvailabilityZoneRebalancing;
use crate::controllers::Ctx;
use crate::labels::{ATTR_AVAILABILITY_ZONE, CLUSTER_LABEL, ZONE_LABEL};
use crate::placement::{Constraint, SpreadField, Strategy};
use crate::rollout::deployments::Progress;
use crate::rollout::{LaunchGate, ServiceInput, TaskClass, plan_service};

/// What a round did, for the deployment record, the events and the status.
#[derive(Default)]
pub struct Round {
    pub events: Vec<String>,
    pub unplaceable: Option<String>,
    pub progress: Progress,
    /// The task count the service is keeping (desiredCount; for DAEMON the qualifying
    /// instances).
    pub desired: u32,
    /// Something waits on an event that does not trigger this service (e.g. replica tasks
    /// leaving a DRAINING instance before its daemon task stops): look again soon.
    pub retry_soon: bool,
}

pub async fn replica(
    ctx: &Ctx,
    svc: &EcsService,
    r: &Resolved,
    tasks: &[TaskView],
    gate: LaunchGate,
    uid: &str,
) -> Result<Round, Error> {
    let name = service_name(svc);
    let desired = svc.spec.desired_count.unwrap_or(0).max(0) as u32;
    let deployment_label = r.deployment_id.trim_start_matches("ecs-svc/");
    let infos: Vec<_> = tasks.iter().map(|t| t.info.clone()).collect();
    let plan = plan_service(&ServiceInput {
        desired,
        minimum_healthy_percent: r.minimum_healthy_percent,
        maximum_percent: r.maximum_percent,
        primary: deployment_label,
        tasks: &infos,
        service_name: &name,
        gate,
    });
    let mut plan = plan;
    let mut events = Vec::new();
    if plan.steady && gate == LaunchGate::Open && rebalancing_applies(svc, r) {
        let nodes = ctx.stores.nodes.state();
        let counts = zone_counts(tasks, deployment_label, &r.cluster_name, &nodes);
        if let Some((fewest, _)) = imbalance(&counts) {
            let (_, hi) =
                crate::rollout::bounds(desired, r.minimum_healthy_percent, r.maximum_percent);
            if desired < hi {
                // Start-first: one task in the emptiest zone; the surplus then scales in
                // from the fullest zone (the spread strategy picks it).
                events.push(format!(
                    "service {name} is not AZ balanced with {}. AZ Rebalancing in progress.",
                    describe(&counts)
                ));
                plan.start = 1;
                plan.steady = false;
                plan.zone = Some(fewest);
            }
        }
    }
    if !plan.stop.is_empty() || plan.replace > 0 || plan.scale_in > 0 || plan.start > 0 {
        tracing::debug!(
            start = plan.start,
            stop = plan.stop.len(),
            replace = plan.replace,
            scale_in = plan.scale_in,
            tasks = %describe_tasks(tasks),
            "plan"
        );
    }
    let outcome = apply::apply(ctx, svc, r, &plan, tasks, deployment_label, uid).await?;
    events.extend(outcome.events);
    if plan.deadlocked {
        events.push(format!(
            "service {name} was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
        ));
    }
    let steady = plan.steady && outcome.changed == 0;
    if steady && rebalancing_applies(svc, r) && was_rebalancing(svc) {
        let nodes = ctx.stores.nodes.state();
        let counts = zone_counts(tasks, deployment_label, &r.cluster_name, &nodes);
        events.push(format!(
            "service {name} is AZ balanced with {}.",
            describe(&counts)
        ));
    }
    Ok(Round {
        events,
        unplaceable: outcome.unplaceable,
        progress: Progress {
            breaker_failures: plan.breaker_failures,
            launch_failures: plan.launch_failures,
            primary_healthy: plan.primary_healthy,
            primary_running: plan.primary_running,
            steady,
        },
        desired,
        retry_soon: false,
    })
}

/// The tasks a plan saw, one line (debug logs): id, deployment, class, seconds RUNNING.
fn describe_tasks(tasks: &[TaskView]) -> String {
    tasks
        .iter()
        .map(|t| {
            format!(
                "{} {} {:?} ran={:?} rv={}",
                t.info.id,
                t.info.deployment,
                t.info.class,
                t.obs.ran_for_seconds,
                t.pod.metadata.resource_version.as_deref().unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// §3.8: ENABLED, and compatible — room above desiredCount (maximumPercent > 100), zone
/// spread first, no memberOf on the zone.
fn rebalancing_applies(svc: &EcsService, r: &Resolved) -> bool {
    svc.spec.availability_zone_rebalancing == Some(AvailabilityZoneRebalancing::Enabled)
        && r.maximum_percent > 100
        && matches!(r.strategies.first(), Some(Strategy::Spread(SpreadField::Attribute(a))) if a == ATTR_AVAILABILITY_ZONE)
        && !r.constraints.iter().any(|c| match c {
            Constraint::MemberOf(expr) => format!("{expr:?}").contains(ATTR_AVAILABILITY_ZONE),
            _ => false,
        })
}

/// The last AZ event the service emitted said "not balanced".
fn was_rebalancing(svc: &EcsService) -> bool {
    svc.status
        .as_ref()
        .and_then(|s| {
            s.events
                .iter()
                .find(|e| e.message.contains("AZ balanced with"))
        })
        .is_some_and(|e| e.message.contains("is not AZ balanced"))
}

/// Live PRIMARY tasks per zone, over every zone that has an instance taking new tasks.
fn zone_counts(
    tasks: &[TaskView],
    deployment: &str,
    cluster: &str,
    nodes: &[std::sync::Arc<SlimNode>],
) -> BTreeMap<String, u32> {
    let zone_of = |n: &SlimNode| n.labels().get(ZONE_LABEL).cloned();
    let mut counts: BTreeMap<String, u32> = nodes
        .iter()
        .filter(|n| n.labels().get(CLUSTER_LABEL).map(String::as_str) == Some(cluster))
        .filter(|n| !node_is_draining(n) && n.is_ready())
        .filter_map(|n| zone_of(n))
        .map(|z| (z, 0))
        .collect();
    let by_name: HashMap<String, &SlimNode> =
        nodes.iter().map(|n| (n.name_any(), n.as_ref())).collect();
    for t in tasks {
        let live = matches!(t.info.class, TaskClass::Running(_) | TaskClass::Pending);
        if !live || t.info.deployment != deployment {
            continue;
        }
        let node = t.pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
        if let Some(zone) = node.and_then(|n| by_name.get(n)).and_then(|n| zone_of(n))
            && let Some(c) = counts.get_mut(&zone)
        {
            *c += 1;
        }
    }
    counts
}

/// The zone with the fewest tasks when the spread is off by more than one.
fn imbalance(counts: &BTreeMap<String, u32>) -> Option<(String, u32)> {
    let (min_zone, min) = counts.iter().min_by_key(|(_, c)| **c)?;
    let max = counts.values().max()?;
    (max - min > 1).then(|| (min_zone.clone(), *min))
}

fn describe(counts: &BTreeMap<String, u32>) -> String {
    counts
        .iter()
        .map(|(z, c)| format!("{c} tasks in {z}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imbalance_needs_a_gap_of_two() {
        let c = |v: &[(&str, u32)]| v.iter().map(|(z, n)| (z.to_string(), *n)).collect();
        assert_eq!(imbalance(&c(&[("a", 2), ("b", 2), ("c", 1)])), None);
        assert_eq!(
            imbalance(&c(&[("a", 3), ("b", 3), ("c", 0)])),
            Some(("c".into(), 0))
        );
    }
}
