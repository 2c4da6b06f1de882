//! The EcsService status, ECS-shaped: counts, deployments, the last 100 service events,
//! conditions. Computed purely; written only when it changed.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};

use super::view::TaskView;
use crate::api::conditions::{ConditionUpdate, FALSE, TRUE, set_condition};
use crate::api::ecs_service::{Deployment, RolloutStatus, ServiceEvent};
use crate::api::{EcsService, EcsServiceStatus};
use crate::controllers::Ctx;
use crate::labels::TASK_DEFINITION_ARN_ANNOTATION;
use crate::tasks::new_task_id;

/// ECS keeps the 100 most recent service events.
pub const MAX_EVENTS: usize = 100;
/// ECS mutes an identical message for 6 hours (ecs-semantics.md §3.9).
const DUPLICATE_WINDOW_SECS: i64 = 6 * 3600;

/// Prepends `message` to the events unless the same message is among the recent ones
/// within the duplicate window. Returns whether it was added.
pub fn push_event(events: &mut Vec<ServiceEvent>, message: &str, now: &Time) -> bool {
    let duplicate = events.iter().any(|e| {
        e.message == message
            && e.created_at
                .as_ref()
                .is_some_and(|t| now.0.duration_since(t.0).as_secs() < DUPLICATE_WINDOW_SECS)
    });
    if duplicate {
        return false;
    }
    events.insert(
        0,
        ServiceEvent {
            id: new_task_id()[..16].to_string(),
            created_at: Some(now.clone()),
            message: message.to_string(),
        },
    );
    events.truncate(MAX_EVENTS);
    true
}

pub struct StatusInput<'a> {
    pub tasks: &'a [TaskView],
    /// The PRIMARY deployment record (its counts are filled in here).
    pub primary: Option<Deployment>,
    pub memory: RolloutStatus,
    pub desired: i32,
    pub steady: bool,
    pub service_name: &'a str,
    pub service_arn: String,
    pub cluster_arn: Option<String>,
    pub selector: String,
    /// (reason, message) when the service cannot be reconciled as asked.
    pub degraded: Option<(&'a str, String)>,
    pub unplaceable: Option<String>,
    pub new_events: &'a [String],
    pub now: Time,
    /// The status this builds on: the last one this process wrote, or the cached one.
    pub previous: EcsServiceStatus,
}

pub fn compute(svc: &EcsService, input: StatusInput<'_>) -> EcsServiceStatus {
    let old = input.previous.clone();
    let generation = svc.metadata.generation;
    let live = || input.tasks.iter().filter(|t| t.obs.is_live());
    let running = live().filter(|t| t.obs.is_running()).count() as i32;
    let pending = live().filter(|t| t.obs.is_pending()).count() as i32;
    let counts = |label: &str| {
        let of = |t: &&TaskView| t.info.deployment == label;
        (
            live().filter(of).filter(|t| t.obs.is_pending()).count() as i32,
            live().filter(of).filter(|t| t.obs.is_running()).count() as i32,
        )
    };
    let launch_type = svc
        .spec
        .launch_type
        .map(|l| format!("{l:?}").to_uppercase())
        .unwrap_or_else(|| "EC2".into());

    let mut deployments: Vec<Deployment> = Vec::new();
    let primary_id = input.primary.as_ref().map(|p| p.id.clone());
    let primary_arn = input
        .primary
        .as_ref()
        .and_then(|p| p.task_definition.clone());
    if let Some(mut record) = input.primary.clone() {
        let label = record.id.trim_start_matches("ecs-svc/").to_string();
        let (p, r) = counts(&label);
        let previous = old.deployments.iter().find(|d| d.id == record.id);
        let unchanged = previous.is_some_and(|d| {
            d.pending_count == p
                && d.running_count == r
                && d.desired_count == input.desired
                && d.failed_tasks == record.failed_tasks
                && d.rollout_state == record.rollout_state
                && d.status == "PRIMARY"
        });
        record.status = "PRIMARY".into();
        record.desired_count = input.desired;
        record.pending_count = p;
        record.running_count = r;
        record.launch_type = Some(launch_type.clone());
        record.updated_at = if unchanged {
            previous.and_then(|d| d.updated_at.clone())
        } else {
            Some(input.now.clone())
        };
        deployments.push(record);
        // Older deployments that still have tasks are ACTIVE; each drains (§3.2).
        let mut others: Vec<String> = live()
            .map(|t| t.info.deployment.clone())
            .filter(|d| *d != label)
            .collect();
        others.sort();
        others.dedup();
        for other in others {
            let id = format!("ecs-svc/{other}");
            let previous = old.deployments.iter().find(|d| d.id == id);
            let (p, r) = counts(&other);
            let task_definition = previous
                .and_then(|d| d.task_definition.clone())
                .or_else(|| {
                    live().find(|t| t.info.deployment == other).and_then(|t| {
                        t.pod
                            .annotation(TASK_DEFINITION_ARN_ANNOTATION)
                            .map(str::to_string)
                    })
                });
            let unchanged = previous.is_some_and(|d| {
                d.pending_count == p && d.running_count == r && d.status == "ACTIVE"
            });
            deployments.push(Deployment {
                id: id.clone(),
                status: "ACTIVE".into(),
                task_definition,
                desired_count: p + r,
                pending_count: p,
                running_count: r,
                failed_tasks: previous.map(|d| d.failed_tasks).unwrap_or(0),
                rollout_state: previous.and_then(|d| d.rollout_state.clone()),
                rollout_state_reason: previous.and_then(|d| d.rollout_state_reason.clone()),
                launch_type: previous
                    .and_then(|d| d.launch_type.clone())
                    .or_else(|| Some(launch_type.clone())),
                created_at: previous.and_then(|d| d.created_at.clone()),
                updated_at: if unchanged {
                    previous.and_then(|d| d.updated_at.clone())
                } else {
                    Some(input.now.clone())
                },
            });
        }
    }

    let mut events = old.events.clone();
    for message in input.new_events {
        push_event(&mut events, message, &input.now);
    }

    let mut conditions = old.conditions.clone();
    let (ready_reason, ready_message) = match (&input.degraded, input.steady, &input.unplaceable) {
        (Some((reason, message)), _, _) => (*reason, message.clone()),
        (None, true, _) => (
            "SteadyState",
            format!("service {} has reached a steady state.", input.service_name),
        ),
        (None, false, Some(m)) => ("UnableToPlace", m.clone()),
        (None, false, None) => (
            "Converging",
            format!("{running} of {} tasks running", input.desired),
        ),
    };
    let now = input.now.clone();
    set_condition(
        &mut conditions,
        ConditionUpdate {
            type_: "Ready",
            status: if input.steady && input.degraded.is_none() {
                TRUE
            } else {
                FALSE
            },
            reason: ready_reason,
            message: ready_message,
            observed_generation: generation,
        },
        now.clone(),
    );
    set_condition(
        &mut conditions,
        ConditionUpdate {
            type_: "Progressing",
            status: if input.steady || input.degraded.is_some() {
                FALSE
            } else {
                TRUE
            },
            reason: if input.steady {
                "SteadyState"
            } else if input.degraded.is_some() {
                "Blocked"
            } else {
                "Deploying"
            },
            message: primary_id
                .as_ref()
                .map(|id| format!("deployment {id}"))
                .unwrap_or_default(),
            observed_generation: generation,
        },
        now.clone(),
    );
    // The spec's deployment failed (circuit breaker): degraded until the spec changes, even
    // once a rollback runs steady on the previous revision.
    let failed = input.memory.failed_deployment.as_ref().map(|id| {
        let rollback = input
            .memory
            .rollback
            .as_ref()
            .filter(|r| Some(&r.id) == primary_id.as_ref());
        match rollback {
            Some(r) => format!(
                "ECS deployment circuit breaker: deployment {id} failed; rolled back to {}.",
                r.task_definition
            ),
            None => format!("ECS deployment circuit breaker: deployment {id} failed; it launches no more tasks until the service is updated."),
        }
    });
    let (deg_status, deg_reason, deg_message) = match (&input.degraded, &failed, &input.unplaceable)
    {
        (Some((reason, message)), _, _) => (TRUE, *reason, message.clone()),
        (None, Some(m), _) => (TRUE, "DeploymentFailed", m.clone()),
        (None, None, Some(m)) => (TRUE, "UnableToPlace", m.clone()),
        (None, None, None) => (FALSE, "AsExpected", String::new()),
    };
    set_condition(
        &mut conditions,
        ConditionUpdate {
            type_: "Degraded",
            status: deg_status,
            reason: deg_reason,
            message: deg_message,
            observed_generation: generation,
        },
        now,
    );

    EcsServiceStatus {
        observed_generation: generation,
        conditions,
        service_arn: Some(input.service_arn),
        service_name: Some(input.service_name.to_string()),
        cluster_arn: input.cluster_arn.or(old.cluster_arn),
        status: Some("ACTIVE".into()),
        desired_count: Some(input.desired),
        running_count: Some(running),
        pending_count: Some(pending),
        task_definition: primary_arn.or(old.task_definition),
        deployments: if input.primary.is_some() {
            deployments
        } else {
            old.deployments
        },
        events,
        selector: Some(input.selector),
        created_at: old
            .created_at
            .or_else(|| svc.metadata.creation_timestamp.clone()),
        rollout: if input.primary.is_some() {
            Some(input.memory).filter(|m| *m != RolloutStatus::default())
        } else {
            old.rollout
        },
    }
}

/// The status to build on. This process is the only writer of the status, so the last
/// status it wrote is at least as new as the (possibly lagging) cache; without one (after
/// a restart) the cache is all there is. Building on a stale copy would drop just-written
/// service events.
pub fn previous(ctx: &Ctx, svc: &EcsService) -> EcsServiceStatus {
    let uid = svc.metadata.uid.clone().unwrap_or_default();
    let written = ctx
        .written_status
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&uid)
        .cloned();
    written.or_else(|| svc.status.clone()).unwrap_or_default()
}

/// How often a status that only moves counts is written. A scale-up changes runningCount /
/// pendingCount on every task Pod event; writing each would cost ~0.05 API writes per task
/// (measured with ecs-bench) for no reader's benefit. Everything else writes at once.
const COUNTS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether `a` and `b` differ in task counts only (and what repeats them: the deployments'
/// updatedAt, the condition messages — "3 of 10 tasks running").
fn counts_only(a: &EcsServiceStatus, b: &EcsServiceStatus) -> bool {
    let strip = |s: &EcsServiceStatus| {
        let mut s = s.clone();
        s.running_count = None;
        s.pending_count = None;
        for c in &mut s.conditions {
            c.message.clear();
        }
        for d in &mut s.deployments {
            d.running_count = 0;
            d.pending_count = 0;
            d.updated_at = None;
        }
        s
    };
    strip(a) == strip(b)
}

/// Whether the write was deferred (the caller looks again after [`COUNTS_INTERVAL`]).
pub enum Written {
    Now,
    Unchanged,
    Deferred(std::time::Duration),
}

/// Writes the status unless it equals what was last written and what the cache shows; a
/// change of counts only is written at most once per [`COUNTS_INTERVAL`].
pub async fn write_if_changed(
    ctx: &Ctx,
    svc: &EcsService,
    previous: &EcsServiceStatus,
    status: EcsServiceStatus,
) -> Result<Written, kube::Error> {
    if previous == &status && svc.status.as_ref() == Some(&status) {
        return Ok(Written::Unchanged);
    }
    let uid = svc.metadata.uid.clone().unwrap_or_default();
    let last = ctx
        .status_written_at
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&uid)
        .copied();
    // One reading of the clock: two could straddle the interval (a panic on the
    // subtraction, seen once by the fault suite).
    if let Some(since) = last.map(|at| at.elapsed())
        && since < COUNTS_INTERVAL
        && counts_only(previous, &status)
    {
        return Ok(Written::Deferred(COUNTS_INTERVAL.saturating_sub(since)));
    }
    let api: Api<EcsService> =
        Api::namespaced(ctx.client.clone(), &svc.namespace().unwrap_or_default());
    let patch = serde_json::json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsService", "status": status});
    api.patch_status(
        &svc.name_any(),
        &PatchParams::apply(&ctx.config.manager).force(),
        &Patch::Apply(&patch),
    )
    .await?;
    ctx.status_written_at
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(uid.clone(), std::time::Instant::now());
    ctx.written_status
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(uid, status);
    Ok(Written::Now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_count_changes_may_wait() {
        let a = EcsServiceStatus {
            running_count: Some(1),
            deployments: vec![Deployment {
                id: "ecs-svc/1".into(),
                running_count: 1,
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut b = a.clone();
        b.running_count = Some(2);
        b.deployments[0].running_count = 2;
        assert!(counts_only(&a, &b));
        b.deployments[0].failed_tasks = 1;
        assert!(!counts_only(&a, &b), "the circuit breaker's count is state");
        let mut c = a.clone();
        c.events.push(ServiceEvent::default());
        assert!(!counts_only(&a, &c), "events are written at once");
    }
}
