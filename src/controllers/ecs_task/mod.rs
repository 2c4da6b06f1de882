//! EcsTask controller (RunTask): places `count` tasks once, with the placement engine,
//! never replaces them, records every task's ECS state and the RunTask failures, and stops
//! a task when an essential container exits (after recording why).
//!
//! Task Pods have deterministic names `<run>-<index>`: a create repeated after a crash or a
//! stale cache fails with AlreadyExists instead of starting a second task.

mod launch;
mod record;

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::EventType;
use kube::runtime::reflector::Store;

use super::{Ctx, log_result};
use crate::api::conditions::{ConditionUpdate, FALSE, TRUE, set_condition};
use crate::api::{EcsTask, EcsTaskStatus};
use crate::operations::metrics;
use crate::slim_pod::SlimPod;

pub struct Triggers<T, P> {
    pub tasks: T,
    pub pods: P,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Kubernetes API error: {0}")]
    Kube(#[from] kube::Error),
}

impl Error {
    /// The metric label (the variant name, as the other controllers' reasons).
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Kube(_) => "KubeError",
        }
    }
}

pub async fn controller<T, P>(ctx: Ctx, store: Store<EcsTask>, triggers: Triggers<T, P>)
where
    T: Stream<Item = Arc<EcsTask>> + Send + 'static,
    P: Stream<Item = Arc<SlimPod>> + Send + 'static,
{
    Controller::for_shared_stream(triggers.tasks, store)
        .owns_shared_stream(triggers.pods)
        .graceful_shutdown_on(ctx.shutdown.requested())
        .run(metrics::measured("ecstask", reconcile), error_policy, ctx)
        .for_each(log_result("ecstask"))
        .await;
}

/// The Pod name of task `index` of a run.
pub fn pod_name(run: &str, index: usize) -> String {
    let mut base = run.to_string();
    base.truncate(56);
    format!("{}-{index}", base.trim_end_matches(['-', '.']))
}

fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::now())
}

#[tracing::instrument(skip_all, fields(ecstask = %run.name_any(), namespace = run.namespace().unwrap_or_default()))]
async fn reconcile(run: Arc<EcsTask>, ctx: Ctx) -> Result<Action, Error> {
    if run.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = run.namespace().unwrap_or_default();
    // The cache may not show our last status write yet, and the launch record
    // (tasks, failures) must never be overwritten from a stale copy: read it fresh.
    let runs: Api<EcsTask> = Api::namespaced(ctx.client.clone(), &namespace);
    let run = match runs.get_opt(&run.name_any()).await? {
        Some(fresh) => Arc::new(fresh),
        None => return Ok(Action::await_change()),
    };
    let uid = run.uid().unwrap_or_default();
    let old = run.status.clone().unwrap_or_default();
    let mut status = EcsTaskStatus {
        observed_generation: run.metadata.generation,
        ..old.clone()
    };
    let owned: Vec<SlimPod> = ctx
        .owned_pods(&namespace, &uid)
        .iter()
        .map(|p| (**p).clone())
        .collect();

    // Launch once: a run that recorded tasks or failures (or has Pods) never places again.
    let launched = !old.tasks.is_empty() || !old.failures.is_empty() || !owned.is_empty();
    let mut launch_error = None;
    let mut created: Vec<SlimPod> = Vec::new();
    if !launched && run.spec.desired_status.as_deref() != Some("STOPPED") {
        match launch::launch(&ctx, &run).await {
            Ok(outcome) => {
                status.failures = outcome.failures;
                created = outcome.created.into_iter().map(SlimPod::from).collect();
                if !outcome.events.is_empty() {
                    for e in &outcome.events {
                        let type_ = if e.contains("unable") {
                            EventType::Warning
                        } else {
                            EventType::Normal
                        };
                        ctx.event(
                            run.as_ref(),
                            type_,
                            if e.contains("unable") {
                                "UnableToPlace"
                            } else {
                                "TasksStarted"
                            },
                            "RunTask",
                            e.clone(),
                        )
                        .await;
                    }
                }
            }
            Err(e) => launch_error = Some(e),
        }
    }

    // Track every task: the Pods, plus the ones just created (not yet in the cache).
    let mut pods = owned;
    for p in created {
        if !pods.iter().any(|q| q.name_any() == p.name_any()) {
            pods.push(p);
        }
    }
    let t = now();
    let to_stop = record::update_tasks(&ctx, &run, &mut status, &pods, &t);

    // Record first, then stop: the stop details must outlive the Pod.
    let generation = run.metadata.generation;
    let failures = status.failures.len();
    let (ready_status, ready_reason, ready_message) = match &launch_error {
        Some(e) => (FALSE, e.reason(), e.to_string()),
        None => {
            let running = status
                .tasks
                .iter()
                .filter(|t| t.last_status.as_deref() == Some("RUNNING"))
                .count();
            let total = status.tasks.len();
            let never_started = total == 0;
            if never_started && run.spec.desired_status.as_deref() == Some("STOPPED") {
                // Not "starting": a run created with desiredStatus STOPPED launches nothing.
                (
                    FALSE,
                    "StoppedBeforeLaunch",
                    "desiredStatus is STOPPED: no task was started".to_string(),
                )
            } else if never_started && !status.failures.is_empty() {
                (
                    FALSE,
                    "TasksNotPlaced",
                    status.failures[0]
                        .detail
                        .clone()
                        .or(status.failures[0].reason.clone())
                        .unwrap_or_else(|| "no task could be placed".into()),
                )
            } else if total > 0 && running == total {
                (
                    TRUE,
                    "TasksRunning",
                    format!("{running} of {total} tasks RUNNING"),
                )
            } else if total > 0
                && status
                    .tasks
                    .iter()
                    .all(|t| t.last_status.as_deref() == Some("STOPPED"))
            {
                (FALSE, "TasksStopped", format!("all {total} tasks STOPPED"))
            } else {
                (
                    FALSE,
                    "TasksStarting",
                    format!("{running} of {total} tasks RUNNING"),
                )
            }
        }
    };
    set_condition(
        &mut status.conditions,
        ConditionUpdate {
            type_: "Ready",
            status: ready_status,
            reason: ready_reason,
            message: ready_message,
            observed_generation: generation,
        },
        t.clone(),
    );
    let (deg_status, deg_reason, deg_message) = match (&launch_error, failures) {
        (Some(e), _) => (TRUE, e.reason(), e.to_string()),
        (None, 0) => (FALSE, "AsExpected", String::new()),
        (None, n) => (
            TRUE,
            "PlacementFailures",
            format!(
                "{n} of {} tasks could not be placed; see status.failures",
                run.spec.count.unwrap_or(1)
            ),
        ),
    };
    set_condition(
        &mut status.conditions,
        ConditionUpdate {
            type_: "Degraded",
            status: deg_status,
            reason: deg_reason,
            message: deg_message,
            observed_generation: generation,
        },
        t,
    );
    if launch_error
        .as_ref()
        .is_some_and(|e| e.is_configuration_problem())
    {
        let e = launch_error.as_ref().expect("checked");
        ctx.event(
            run.as_ref(),
            EventType::Warning,
            e.reason(),
            "RunTask",
            e.to_string(),
        )
        .await;
    }

    if run.status.as_ref() != Some(&status) {
        let api: Api<EcsTask> = Api::namespaced(ctx.client.clone(), &namespace);
        let patch = serde_json::json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsTask", "status": status});
        api.patch_status(
            &run.name_any(),
            &PatchParams::apply(&ctx.config.manager).force(),
            &Patch::Apply(&patch),
        )
        .await?;
    }
    let pods_api: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    for name in to_stop {
        match pods_api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    match launch_error {
        // Missing cluster / task definition: retry when things change, and periodically.
        Some(_) => Ok(Action::requeue(Duration::from_secs(10))),
        None => Ok(Action::requeue(Duration::from_secs(60))),
    }
}

fn error_policy(_run: Arc<EcsTask>, error: &Error, _ctx: Ctx) -> Action {
    tracing::warn!(error = %error, "ecstask reconcile failed");
    Action::requeue(Duration::from_secs(2))
}
