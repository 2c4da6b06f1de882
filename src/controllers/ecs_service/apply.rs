//! Apply: turn the plan into Pod deletes and creates. Placement happens here, on a fresh
//! snapshot of the cluster; creates are in `create`. Every write is recorded in the
//! expectations first.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::{StreamExt, stream};
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams};

use super::Error;
use super::create::{PodFactory, create_tasks, task_id_of};
use super::resolve::{Resolved, service_name};
use super::view::TaskView;
use crate::api::EcsService;
use crate::controllers::Ctx;
use crate::controllers::expectations::refused;
use crate::labels::{ATTR_AVAILABILITY_ZONE, ATTR_CAPACITY_PROVIDER, CAPACITY_PROVIDER_LABEL};
use crate::placement::kube_adapter::{existing_task, pod_key};
use crate::placement::{
    Constraint, ExistingTask, PlacementOutcome, PlacementRequest, PortRequest, RequiredAttribute,
    ScaleInRequest, Snapshot,
};
use crate::rollout::capacity::allocate_starts;
use crate::rollout::{ServicePlan, StopDecision, UNHEALTHY_REASON};
use crate::tasks::StopCode;

#[derive(Default)]
pub struct ApplyOutcome {
    pub events: Vec<String>,
    pub unplaceable: Option<String>,
    /// Writes issued (creates + deletes).
    pub changed: usize,
}

pub async fn apply(
    ctx: &Ctx,
    svc: &EcsService,
    r: &Resolved,
    plan: &ServicePlan,
    tasks: &[TaskView],
    deployment_label: &str,
    uid: &str,
) -> Result<ApplyOutcome, Error> {
    let name = service_name(svc);
    let namespace = svc.namespace().unwrap_or_default();
    let mut outcome = ApplyOutcome::default();

    // Steady state is the common case: no snapshot (a pass over every Pod) when nothing moves.
    if plan.stop.is_empty() && plan.scale_in == 0 && plan.replace == 0 && plan.start == 0 {
        return Ok(outcome);
    }
    // Stops: decided ones, then strategy-chosen scale-in and replacements.
    let mut stops: Vec<StopDecision> = plan.stop.clone();
    let key_of = |id: &str| format!("{namespace}/{id}");
    let choose = |count: u32, candidates: &[String], snapshot: &Snapshot| -> Vec<String> {
        if count == 0 {
            return Vec::new();
        }
        let request = ScaleInRequest::service(&name, count)
            .with_candidates(candidates.iter().map(|c| key_of(c)))
            .with_strategies(r.strategies.clone());
        snapshot
            .select_tasks_to_stop(&request)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|k| k.split_once('/').map(|(_, n)| n.to_string()))
            .collect()
    };
    let reason = format!(
        "Scaling activity initiated by (deployment {})",
        r.deployment_id
    );
    if plan.scale_in > 0 || plan.replace > 0 {
        let chosen = on_cluster(ctx, &r.cluster_name, tasks, &[], |snapshot| {
            let mut ids = choose(plan.scale_in, &plan.scale_in_candidates, snapshot);
            ids.extend(choose(plan.replace, &plan.replace_candidates, snapshot));
            ids
        });
        for id in chosen {
            stops.push(StopDecision {
                id,
                code: StopCode::ServiceSchedulerInitiated,
                reason: reason.clone(),
            });
        }
    }
    let pods_api: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    let stopped = stop_tasks(ctx, &pods_api, &name, tasks, &stops, uid).await?;
    outcome.changed += stopped.len();
    outcome
        .events
        .extend(stop_events(&name, tasks, &stops, &stopped));

    if plan.start == 0 {
        return Ok(outcome);
    }
    let mut request = placement_request(r, &name).with_count(plan.start);
    if let Some(zone) = &plan.zone {
        // AZ rebalancing (§3.8): this start goes to the zone with the fewest tasks.
        let in_zone =
            Constraint::member_of(&format!("attribute:{ATTR_AVAILABILITY_ZONE} == '{zone}'"))
                .map_err(|e| Error::InvalidParameter(format!("availability zone {zone}: {e}")))?;
        request.constraints.push(in_zone);
    }
    // With capacity providers, the starts are split over them toward the strategy's
    // targets, then each share is placed on that provider's instances only.
    let mut shares: Vec<PlacementRequest> = Vec::new();
    if r.capacity.is_empty() {
        shares.push(request);
    } else {
        let nodes = ctx.stores.nodes.state();
        let running = per_provider(tasks, &nodes);
        for (provider, count) in allocate_starts(
            plan.start,
            svc.spec.desired_count.unwrap_or(0).max(0) as u32,
            &running,
            &r.capacity,
        ) {
            if count == 0 {
                continue;
            }
            let only_provider = Constraint::member_of(&format!(
                "attribute:{ATTR_CAPACITY_PROVIDER} == '{provider}'"
            ))
            .map_err(|e| Error::InvalidParameter(format!("capacity provider {provider}: {e}")))?;
            let mut share = request.clone().with_count(count);
            share.constraints.push(only_provider);
            shares.push(share);
        }
    }
    let stopped_keys = task_keys(tasks, &stopped);
    let placed = on_cluster(ctx, &r.cluster_name, tasks, &stopped_keys, |snapshot| {
        let mut combined = PlacementOutcome::default();
        for share in &shares {
            let out = crate::operations::metrics::time_placement(|| snapshot.place(share))
                .map_err(|e| Error::InvalidParameter(e.to_string()))?;
            combined.placements.extend(out.placements);
            if combined.failure.is_none() {
                combined.failure = out.failure;
            }
        }
        Ok::<_, Error>(combined)
    })?;
    if let Some(failure) = &placed.failure {
        outcome.unplaceable = Some(failure.service_event(&name));
        outcome.events.push(failure.service_event(&name));
    }

    let factory = PodFactory::new(ctx, svc, r, deployment_label)?;
    let (created, events) = create_tasks(ctx, &name, uid, &factory, &placed.placements).await?;
    outcome.changed += created;
    outcome.events.extend(events);
    Ok(outcome)
}

/// Live tasks per capacity provider (the label of the node each runs on).
fn per_provider(
    tasks: &[TaskView],
    nodes: &[std::sync::Arc<crate::slim_node::SlimNode>],
) -> Vec<(String, u32)> {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for t in tasks.iter().filter(|t| t.obs.is_live()) {
        let node = t.pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
        let provider = nodes
            .iter()
            .find(|n| n.metadata.name.as_deref() == node)
            .and_then(|n| n.labels().get(CAPACITY_PROVIDER_LABEL).cloned());
        if let Some(p) = provider {
            *counts.entry(p).or_default() += 1;
        }
    }
    counts.into_iter().collect()
}

/// Concurrent deletes of one round.
const DELETE_CONCURRENCY: usize = 64;

/// Deletes the Pods of `stops` (expectations first), concurrently: a stop decided on a task's
/// state should land while that state holds (one at a time, the last of a round of stops
/// landed seconds after the plan on a loaded apiserver). Returns the ids actually stopped, or
/// the first error once every delete has answered.
pub async fn stop_tasks(
    ctx: &Ctx,
    pods_api: &Api<Pod>,
    service: &str,
    tasks: &[TaskView],
    stops: &[StopDecision],
    uid: &str,
) -> Result<Vec<String>, Error> {
    let known: Vec<&StopDecision> = stops
        .iter()
        .filter(|stop| tasks.iter().any(|t| t.info.id == stop.id))
        .collect();
    for stop in &known {
        ctx.expectations.deleted(uid, &stop.id);
    }
    let deletes: Vec<_> = known
        .iter()
        .map(|stop| delete_pod(pods_api, stop))
        .collect();
    let results: Vec<(&StopDecision, Result<(), kube::Error>)> = stream::iter(deletes)
        .buffer_unordered(DELETE_CONCURRENCY)
        .collect()
        .await;
    let mut stopped = Vec::new();
    let mut first_error = None;
    for (stop, result) in results {
        match result {
            Ok(()) => {
                ctx.expectations.delete_done(uid, &stop.id);
                tracing::info!(service, task = %stop.id, code = stop.code.as_str(), reason = %stop.reason, "stopped task");
                stopped.push(stop.id.clone());
            }
            Err(e) => {
                // A delete that did not happen must not stall the service until the
                // expectation expires; one whose outcome is unknown stays expected.
                if refused(&e) {
                    ctx.expectations.forget_delete(uid, &stop.id);
                } else {
                    ctx.expectations.unsure_delete(uid, &stop.id);
                }
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(Error::Kube(e)),
        None => Ok(stopped),
    }
}

/// One task's delete; a Pod already gone counts as deleted.
async fn delete_pod<'a>(
    pods_api: &Api<Pod>,
    stop: &'a StopDecision,
) -> (&'a StopDecision, Result<(), kube::Error>) {
    // A lost instance cannot run a graceful shutdown: remove the Pod at once.
    let params = if stop.code == StopCode::TerminationNotice {
        DeleteParams {
            grace_period_seconds: Some(0),
            ..Default::default()
        }
    } else {
        DeleteParams::default()
    };
    let result = match pods_api.delete(&stop.id, &params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e),
    };
    (stop, result)
}

/// ECS service events for stopped tasks: one summary, plus one per task that stopped for a
/// reason of its own (the scheduler's own stops need no explanation).
pub fn stop_events(
    service: &str,
    tasks: &[TaskView],
    stops: &[StopDecision],
    stopped: &[String],
) -> Vec<String> {
    let mut events = Vec::new();
    if stopped.is_empty() {
        return events;
    }
    let ids: Vec<(String, &StopDecision)> = stops
        .iter()
        .filter(|s| stopped.contains(&s.id))
        .filter_map(|s| {
            let task = tasks.iter().find(|t| t.info.id == s.id)?;
            Some((task_id_of(task.pod.as_ref()), s))
        })
        .collect();
    let list: Vec<String> = ids.iter().map(|(id, _)| format!("(task {id})")).collect();
    events.push(format!(
        "service {service} has stopped {} running tasks: {}.",
        ids.len(),
        list.join(" ")
    ));
    for (id, stop) in &ids {
        if stop.code != StopCode::ServiceSchedulerInitiated || stop.reason == UNHEALTHY_REASON {
            events.push(format!(
                "service {service} task {id} stopped: {} ({})",
                stop.reason,
                stop.code.as_str()
            ));
        }
    }
    events
}

/// Runs `f` on the cluster as placement sees it: its live snapshot (every Node and Pod in
/// the caches), plus this service's own creations the cache has not shown yet (they occupy
/// their instances already), minus `stopped` (this round's stops: their resources are free
/// for its starts).
pub fn on_cluster<R>(
    ctx: &Ctx,
    cluster_name: &str,
    tasks: &[TaskView],
    stopped: &[Arc<str>],
    f: impl FnOnce(&Snapshot) -> R,
) -> R {
    let unseen: Vec<ExistingTask> = tasks
        .iter()
        .map(|t| t.pod.as_ref())
        .filter(|p| {
            let meta = &p.metadata;
            let (namespace, name) = (meta.namespace.as_deref(), meta.name.as_deref());
            !ctx.stores
                .pods
                .contains(namespace.unwrap_or_default(), name.unwrap_or_default())
        })
        .filter_map(existing_task)
        .collect();
    ctx.stores
        .live
        .with_overlay(cluster_name, unseen, stopped, f)
}

/// The snapshot keys (`namespace/name`) of the tasks `ids` names.
pub fn task_keys<'a>(
    tasks: &[TaskView],
    ids: impl IntoIterator<Item = &'a String>,
) -> Vec<Arc<str>> {
    ids.into_iter()
        .filter_map(|id| tasks.iter().find(|t| &t.info.id == id))
        .map(|t| Arc::from(pod_key(&t.pod)))
        .collect()
}

/// What one task of the service needs: resources, host ports, attributes, constraints and
/// strategies (count 1; the caller sets it).
pub fn placement_request(r: &Resolved, service: &str) -> PlacementRequest {
    let ports: Vec<PortRequest> = r
        .translation
        .host_port_requests()
        .iter()
        .map(|p| PortRequest {
            port: p.port,
            protocol: p.protocol,
        })
        .collect();
    let mut request = PlacementRequest::service(service)
        .with_reservation(r.translation.reservation)
        .with_ports(ports)
        .with_constraints(r.constraints.clone())
        .with_strategies(r.strategies.clone())
        .with_seed(crate::tasks::random_seed());
    for (attr, value) in &r.translation.required_attributes {
        request = request.with_required_attribute(RequiredAttribute {
            name: attr.clone(),
            value: Some(value.clone()),
        });
    }
    request
}
