//! EcsService controller (REPLICA): keeps `desiredCount` tasks of the PRIMARY deployment
//! running, placed by the operator itself, replacing tasks that stop for any reason, and
//! rolling old deployments out within minimumHealthyPercent / maximumPercent.
//!
//! Pipeline: resolve (cluster, revision, translation) → view (tasks from the cache plus
//! expectations) → plan (pure: `rollout::plan_service`) → apply (placement, Pod creates and
//! deletes) → status (ECS counts, deployments, events, conditions; written only on change).

mod apply;
mod create;
mod daemon;
mod drain;
mod error;
mod expose;
mod resolve;
mod round;
mod status;
mod view;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Api;
use kube::ResourceExt;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::EventType;
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::runtime::reflector::{ObjectRef, Store};

pub use error::Error;
pub use resolve::service_name;

use super::{Ctx, log_result, pacing};
use crate::api::EcsService;
use crate::labels::{SERVICE_LABEL, label_value};
use crate::rollout::deployments;
use crate::slim_node::SlimNode;
use crate::slim_pod::SlimPod;

/// Re-check periodically even without events (safety net for missed triggers and for
/// time-based rules such as lost nodes).
const RESYNC: Duration = Duration::from_secs(30);

pub struct Triggers<S, P, N, R> {
    pub services: S,
    pub pods: P,
    pub nodes: N,
    pub revisions: R,
}

pub async fn controller<S, P, N, R>(
    ctx: Ctx,
    services: Store<EcsService>,
    triggers: Triggers<S, P, N, R>,
) where
    S: Stream<Item = Arc<EcsService>> + Send + 'static,
    P: Stream<Item = Arc<SlimPod>> + Send + 'static,
    N: Stream<Item = Arc<SlimNode>> + Send + 'static,
    R: Stream<Item = Arc<ControllerRevision>> + Send + 'static,
{
    let by_namespace = services.clone();
    let by_cluster = services.clone();
    let seen_nodes = std::sync::Mutex::new(HashMap::<String, u64>::new());
    let node_store = ctx.stores.nodes.clone();
    Controller::for_shared_stream(triggers.services, services)
        .owns_shared_stream(triggers.pods)
        // A container instance that appears, goes, drains, changes attributes or agent
        // state may unblock or move tasks of the services of its cluster. Heartbeat-only
        // updates change nothing placement sees and trigger nothing.
        .watches_shared_stream(triggers.nodes, move |node: Arc<SlimNode>| {
            let fingerprint = node_fingerprint(&node);
            let name = node.name_any();
            let changed = {
                let mut seen = seen_nodes.lock().unwrap_or_else(|e| e.into_inner());
                // A deleted Node arrives as its last state: tell it by its absence from the
                // cache (updated before the event is forwarded).
                let gone = node_store
                    .get(&ObjectRef::from_obj(node.as_ref()))
                    .is_none();
                if gone || node.metadata.deletion_timestamp.is_some() {
                    seen.remove(&name);
                    true
                } else {
                    seen.insert(name, fingerprint) != Some(fingerprint)
                }
            };
            let cluster = node.labels().get(crate::labels::CLUSTER_LABEL).cloned();
            let targets: Vec<ObjectRef<EcsService>> = match (changed, cluster) {
                (true, Some(cluster)) => by_cluster
                    .state()
                    .iter()
                    .filter(|s| {
                        crate::arn::cluster_name(s.spec.cluster.as_deref().unwrap_or("default"))
                            == cluster
                    })
                    .map(|s| ObjectRef::from_obj(s.as_ref()))
                    .collect(),
                _ => Vec::new(),
            };
            targets
        })
        // A new revision of a family its services follow.
        .watches_shared_stream(triggers.revisions, move |cr: Arc<ControllerRevision>| {
            let ns = cr.namespace();
            by_namespace
                .state()
                .iter()
                .filter(|s| s.namespace() == ns)
                .map(|s| ObjectRef::from_obj(s.as_ref()))
                .collect::<Vec<_>>()
        })
        .graceful_shutdown_on(ctx.shutdown.requested())
        .run(
            crate::operations::metrics::measured("ecsservice", reconcile),
            error_policy,
            ctx,
        )
        .for_each(log_result("ecsservice"))
        .await;
}

/// What of a Node matters to placement: labels, drain state, readiness, allocatable.
fn node_fingerprint(node: &SlimNode) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    node.metadata.labels.hash(&mut h);
    node.spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .hash(&mut h);
    if let Some(status) = &node.status {
        status
            .allocatable
            .as_ref()
            .map(|a| {
                a.iter()
                    .map(|(k, v)| (k.clone(), v.0.clone()))
                    .collect::<Vec<_>>()
            })
            .hash(&mut h);
        status.ready.as_ref().map(|c| &c.status).hash(&mut h);
    }
    h.finish()
}

fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::now())
}

#[tracing::instrument(skip_all, fields(service = %svc.name_any(), namespace = svc.namespace().unwrap_or_default()))]
async fn reconcile(svc: Arc<EcsService>, ctx: Ctx) -> Result<Action, Error> {
    let uid = svc.uid().unwrap_or_default();
    let key = format!("ecsservice/{uid}");
    if svc.metadata.deletion_timestamp.is_none() {
        // Spaced by the size of the whole cluster, not the service's (see round_spacing).
        let pods = ctx.stores.pods.len();
        if let Some(wait) = ctx.pacing.hold(&key, pacing::round_spacing(pods)) {
            return Ok(Action::requeue(wait));
        }
    } else {
        ctx.pacing.forget(&key);
    }
    let api: Api<EcsService> =
        Api::namespaced(ctx.client.clone(), &svc.namespace().unwrap_or_default());
    finalizer(&api, DRAIN_FINALIZER, svc, |event| async {
        match event {
            FinalizerEvent::Apply(svc) => keep_desired(svc, ctx.clone()).await,
            FinalizerEvent::Cleanup(svc) => drain::drain(svc, ctx.clone()).await,
        }
    })
    .await
    .map_err(|e| match e {
        kube::runtime::finalizer::Error::ApplyFailed(e)
        | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
        other => Error::Finalizer(other.to_string()),
    })
}

/// Deleting an EcsService drains it as ECS does: status DRAINING, its tasks stopped, then
/// the object goes (ecs-semantics.md §3.9). The finalizer holds the object until then.
pub const DRAIN_FINALIZER: &str = "ecs.operator.dev/drain-tasks";

async fn keep_desired(svc: Arc<EcsService>, ctx: Ctx) -> Result<Action, Error> {
    let namespace = svc.namespace().unwrap_or_default();
    let name = service_name(&svc);
    let uid = svc.uid().unwrap_or_default();
    let selector = format!("{SERVICE_LABEL}={}", label_value(&svc.name_any()));
    let arns = ctx.config.arns();
    let cluster_for_arn =
        crate::arn::cluster_name(svc.spec.cluster.as_deref().unwrap_or("default")).to_string();
    let t = now();

    // Writes whose outcome was unknown (a connection dropped mid-request): ask the
    // apiserver what happened before trusting them (Expectations::settle).
    let pods_api: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    ctx.expectations.settle(&uid, &pods_api).await;
    // The service's Pods: from the cache, plus our own creates the cache has not shown yet.
    let owned: Vec<Arc<SlimPod>> = ctx.owned_pods(&namespace, &uid);
    let (unseen_creates, unseen_deletes) = unseen_writes(&ctx, &uid, &owned);
    let mut pods = owned;
    pods.extend(unseen_creates);
    let nodes_state = ctx.stores.nodes.state();
    let nodes = view::node_facts(nodes_state.iter().map(|n| n.as_ref()), t.0);
    let rules = view::Rules {
        lost_after: ctx.config.node_lost_after_seconds,
        healthy_after: ctx.config.healthy_after_seconds,
        grace: i64::from(
            svc.spec
                .health_check_grace_period_seconds
                .unwrap_or(0)
                .max(0),
        ),
    };
    let tasks = view::classify(pods, &unseen_deletes, &nodes, t.0, rules);
    let mut wake = view::next_wake(&tasks, &nodes, rules.lost_after);

    let previous = status::previous(&ctx, &svc);
    let mut memory = previous.rollout.clone().unwrap_or_default();
    // The deployment running now, should the spec's family have gone INACTIVE.
    let current = previous
        .deployments
        .iter()
        .find(|d| d.status == "PRIMARY")
        .and_then(|d| {
            Some(crate::api::ecs_service::DeploymentReference {
                id: d.id.clone(),
                task_definition: d.task_definition.clone()?,
            })
        });
    let resolved = resolve_primary(&ctx, &svc, &mut memory, current.as_ref());
    let mut new_events: Vec<String> = Vec::new();
    let mut round = round::Round::default();
    let mut primary = None;
    let mut degraded = match &resolved {
        Err(e) => {
            if e.is_configuration_problem() {
                ctx.event(
                    svc.as_ref(),
                    EventType::Warning,
                    e.reason(),
                    "Reconcile",
                    e.to_string(),
                )
                .await;
            }
            Some((e.reason(), e.to_string()))
        }
        Ok(r) => {
            let mut record = deployments::primary_record(
                &previous.deployments,
                &r.deployment_id,
                &r.task_definition_arn,
                &mut memory,
                t.0,
            );
            let gate = deployments::gate(&record, &memory, t.0);
            round = if resolve::is_daemon(&svc) {
                daemon::run(&ctx, &svc, r, &tasks, gate, &uid).await?
            } else {
                round::replica(&ctx, &svc, r, &tasks, gate, &uid).await?
            };
            let desired = round.desired;
            let breaker = deployments::Breaker::of(
                svc.spec
                    .deployment_configuration
                    .as_ref()
                    .and_then(|c| c.deployment_circuit_breaker.as_ref()),
                desired,
            );
            round.events.extend(deployments::advance(
                &mut record,
                &mut memory,
                round.progress,
                breaker,
                &name,
                t.0,
            ));
            if let Some(at) = memory.next_launch_at.as_ref().filter(|at| at.0 > t.0) {
                let secs = at.0.duration_since(t.0).as_secs().max(0) as u64;
                wake = Some(wake.map_or(secs, |w| w.min(secs)));
            }
            primary = Some(record);
            None
        }
    };
    if let Ok(r) = &resolved
        && let Some(problem) = expose::sync(&ctx, &svc, r).await?
    {
        degraded = Some(("InvalidParameter", problem.to_string()));
    }
    new_events.append(&mut round.events);
    let was_steady = crate::api::conditions::is_true(&previous.conditions, "Ready");
    let steady = round.progress.steady && degraded.is_none();
    if steady && !was_steady {
        new_events.push(format!("service {name} has reached a steady state."));
    }
    for message in &new_events {
        let type_ = if message.contains("unable") || message.contains("failed") {
            EventType::Warning
        } else {
            EventType::Normal
        };
        let reason = event_reason(message);
        ctx.event(svc.as_ref(), type_, reason, "Reconcile", message.clone())
            .await;
    }
    let desired = if primary.is_some() {
        round.desired as i32
    } else {
        previous.desired_count.unwrap_or(0)
    };
    let status = status::compute(
        &svc,
        status::StatusInput {
            tasks: &tasks,
            primary,
            memory,
            desired,
            steady,
            service_name: &name,
            service_arn: arns.service(&cluster_for_arn, &name),
            cluster_arn: Some(arns.cluster(&cluster_for_arn)),
            selector,
            degraded: degraded.as_ref().map(|(r, m)| (*r, m.clone())),
            unplaceable: round.unplaceable,
            new_events: &new_events,
            now: t,
            previous: previous.clone(),
        },
    );
    let written = status::write_if_changed(&ctx, &svc, &previous, status)
        .await
        .map_err(Error::Kube)?;
    let mut next = wake
        .map(|s| Duration::from_secs(s + 1))
        .unwrap_or(RESYNC)
        .min(RESYNC);
    if round.retry_soon {
        next = next.min(Duration::from_secs(2));
    }
    if let status::Written::Deferred(wait) = written {
        next = next.min(wait);
    }
    Ok(Action::requeue(next))
}

/// The service's creates the cache has not shown yet, and its deletes the cache does not
/// show as deleting yet (`Expectations::pending`).
fn unseen_writes(ctx: &Ctx, uid: &str, owned: &[Arc<SlimPod>]) -> (Vec<Arc<SlimPod>>, Vec<String>) {
    // By name, built only when the service has such writes: most reconciles have none, and
    // hashing every task's name was 7% of a reconcile while kwok marked 1,000 Pods Running.
    let by_name = std::cell::OnceCell::<HashMap<&str, bool>>::new();
    let seen = || {
        by_name.get_or_init(|| {
            owned
                .iter()
                .filter_map(|p| {
                    let name = p.metadata.name.as_deref()?;
                    Some((name, p.metadata.deletion_timestamp.is_some()))
                })
                .collect()
        })
    };
    ctx.expectations.pending(
        uid,
        |n| seen().contains_key(n),
        |n| seen().get(n).is_none_or(|deleting| *deleting),
    )
}

/// The PRIMARY deployment to run: the spec's, or the circuit breaker's rollback of it
/// (ecs-semantics.md §3.5).
fn resolve_primary(
    ctx: &Ctx,
    svc: &EcsService,
    memory: &mut crate::api::ecs_service::RolloutStatus,
    current: Option<&crate::api::ecs_service::DeploymentReference>,
) -> Result<resolve::Resolved, Error> {
    let spec = match resolve::resolve_service(ctx, svc, None) {
        // ECS resolves a bare family once, when the deployment starts: a service keeps
        // running (and scaling) its revision after the family goes INACTIVE (§5.1).
        Err(Error::TaskDefinition(crate::registry::ResolveError::Inactive(_)))
            if current.is_some() =>
        {
            return resolve::resolve_service(ctx, svc, current);
        }
        other => other?,
    };
    deployments::forget_stale_failure(&spec.deployment_id, memory);
    match deployments::rollback_for(&spec.deployment_id, memory).cloned() {
        Some(rollback) => resolve::resolve_service(ctx, svc, Some(&rollback)),
        None => Ok(spec),
    }
}

fn event_reason(message: &str) -> &'static str {
    if message.contains("unable to place") {
        "UnableToPlace"
    } else if message.contains("failed to launch a task") {
        "FailedCreate"
    } else if message.contains("has started") {
        "TasksStarted"
    } else if message.contains("has stopped") {
        "TasksStopped"
    } else if message.contains("steady state") {
        "SteadyState"
    } else if message.contains("deployment configuration") {
        "DeploymentBlocked"
    } else if message.contains("deployment failed") {
        "DeploymentFailed"
    } else if message.contains("rolling back") {
        "DeploymentRollback"
    } else if message.contains("consistently start") {
        "TaskLaunchThrottled"
    } else if message.contains("AZ balanced") || message.contains("AZ Rebalanc") {
        "AZRebalancing"
    } else {
        "ServiceEvent"
    }
}

fn error_policy(_svc: Arc<EcsService>, error: &Error, _ctx: Ctx) -> Action {
    match error {
        // Not a failure: waiting for the drained tasks to be gone.
        Error::Draining(_) => Action::requeue(Duration::from_millis(500)),
        _ => {
            tracing::warn!(error = %error, "service reconcile failed");
            Action::requeue(Duration::from_secs(2))
        }
    }
}
