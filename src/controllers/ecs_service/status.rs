//! The EcsService status, ECS-shaped: counts, deployments, the last 100 service events,
//! conditions. Computed purely; written only when it changed.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};

use super::view::TaskView;
use crate::api::conditions::{ConditionUpdate, FALSE, TRUE, set_condition};
use crate::api::ecs_service::{Deployment, ServiceEvent};
use crate::api::{EcsService, EcsServiceStatus};
use crate::controllers::Ctx;
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
    pub primary: Option<(&'a str, &'a str)>, // (deployment id, task definition arn)
    pub desired: i32,
    pub steady: bool,
    pub service_name: &'a str,
    pub service_arn: String,
    pub cluster_arn: Option<String>,
    pub selector: String,
    /// (type, status, reason, message) for Ready / Progressing / Degraded.
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

    let mut deployments: Vec<Deployment> = Vec::new();
    if let Some((id, arn)) = input.primary {
        let label = id.trim_start_matches("ecs-svc/");
        let of = |t: &&TaskView| t.info.deployment == label;
        let previous = old.deployments.iter().find(|d| d.id == id);
        let state = if input.steady {
            "COMPLETED"
        } else {
            "IN_PROGRESS"
        };
        deployments.push(Deployment {
            id: id.to_string(),
            status: "PRIMARY".into(),
            task_definition: Some(arn.to_string()),
            desired_count: input.desired,
            pending_count: live().filter(of).filter(|t| t.obs.is_pending()).count() as i32,
            running_count: live().filter(of).filter(|t| t.obs.is_running()).count() as i32,
            failed_tasks: previous.map(|d| d.failed_tasks).unwrap_or(0),
            rollout_state: Some(state.into()),
            rollout_state_reason: Some(if input.steady {
                format!("ECS deployment {id} completed.")
            } else {
                format!("ECS deployment {id} in progress.")
            }),
            launch_type: Some(
                svc.spec
                    .launch_type
                    .map(|l| format!("{l:?}").to_uppercase())
                    .unwrap_or_else(|| "EC2".into()),
            ),
            created_at: previous
                .and_then(|d| d.created_at.clone())
                .or_else(|| Some(input.now.clone())),
            updated_at: previous
                .filter(|d| {
                    d.rollout_state.as_deref() == Some(state)
                        && d.running_count
                            == live().filter(of).filter(|t| t.obs.is_running()).count() as i32
                })
                .and_then(|d| d.updated_at.clone())
                .or_else(|| Some(input.now.clone())),
        });
        // Older deployments that still have tasks are ACTIVE.
        let mut others: Vec<String> = live()
            .map(|t| t.info.deployment.clone())
            .filter(|d| d != label)
            .collect();
        others.sort();
        others.dedup();
        for other in others {
            let id = format!("ecs-svc/{other}");
            let previous = old.deployments.iter().find(|d| d.id == id);
            let of = |t: &&TaskView| t.info.deployment == other;
            deployments.push(Deployment {
                id: id.clone(),
                status: "ACTIVE".into(),
                task_definition: previous.and_then(|d| d.task_definition.clone()),
                desired_count: 0,
                pending_count: live().filter(of).filter(|t| t.obs.is_pending()).count() as i32,
                running_count: live().filter(of).filter(|t| t.obs.is_running()).count() as i32,
                failed_tasks: previous.map(|d| d.failed_tasks).unwrap_or(0),
                rollout_state: previous.and_then(|d| d.rollout_state.clone()),
                rollout_state_reason: previous.and_then(|d| d.rollout_state_reason.clone()),
                launch_type: previous.and_then(|d| d.launch_type.clone()),
                created_at: previous.and_then(|d| d.created_at.clone()),
                updated_at: previous.and_then(|d| d.updated_at.clone()),
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
            message: input
                .primary
                .map(|(id, _)| format!("deployment {id}"))
                .unwrap_or_default(),
            observed_generation: generation,
        },
        now.clone(),
    );
    let (deg_status, deg_reason, deg_message) = match (&input.degraded, &input.unplaceable) {
        (Some((reason, message)), _) => (TRUE, *reason, message.clone()),
        (None, Some(m)) => (TRUE, "UnableToPlace", m.clone()),
        (None, None) => (FALSE, "AsExpected", String::new()),
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
        task_definition: input
            .primary
            .map(|(_, arn)| arn.to_string())
            .or(old.task_definition),
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

/// Writes the status unless it equals what was last written and what the cache shows.
pub async fn write_if_changed(
    ctx: &Ctx,
    svc: &EcsService,
    previous: &EcsServiceStatus,
    status: EcsServiceStatus,
) -> Result<(), kube::Error> {
    if previous == &status && svc.status.as_ref() == Some(&status) {
        return Ok(());
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
    let uid = svc.metadata.uid.clone().unwrap_or_default();
    ctx.written_status
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(uid, status);
    Ok(())
}
