//! EcsCluster controller: reports the cluster's container instances (nodes labeled
//! `ecs.operator.dev/cluster=<clusterName>`), its tasks and its services, ECS-shaped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::slim_node::SlimNode;
use futures::{Stream, StreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::runtime::reflector::{ObjectRef, Store};

use super::{Ctx, log_result};
use crate::api::conditions::{ConditionUpdate, FALSE, TRUE, set_condition};
use crate::api::{EcsCluster, EcsClusterStatus, EcsService};
use crate::labels::{CLUSTER_LABEL, ZONE_LABEL, label_value};
use crate::operations::metrics;
use crate::slim_pod::SlimPod;
use crate::tasks::observe;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Kubernetes API error: {0}")]
    Kube(#[from] kube::Error),
    #[error("finalizer: {0}")]
    Finalizer(String),
    #[error("the cluster still has {0} services")]
    InUse(usize),
}

impl Error {
    /// The metric label (the variant name, as the other controllers' reasons).
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Kube(_) => "KubeError",
            Error::Finalizer(_) => "FinalizerError",
            Error::InUse(_) => "ClusterContainsServices",
        }
    }
}

pub struct Triggers<C, N, P, S> {
    pub clusters: C,
    pub nodes: N,
    pub pods: P,
    pub services: S,
}

/// The ECS cluster name of an EcsCluster object.
pub fn cluster_name_of(c: &EcsCluster) -> String {
    c.spec.cluster_name.clone().unwrap_or_else(|| c.name_any())
}

pub async fn controller<C, N, P, S>(
    ctx: Ctx,
    store: Store<EcsCluster>,
    triggers: Triggers<C, N, P, S>,
) where
    C: Stream<Item = Arc<EcsCluster>> + Send + 'static,
    N: Stream<Item = Arc<SlimNode>> + Send + 'static,
    P: Stream<Item = Arc<SlimPod>> + Send + 'static,
    S: Stream<Item = Arc<EcsService>> + Send + 'static,
{
    let (for_nodes, for_pods, for_services) = (store.clone(), store.clone(), store.clone());
    let by_name = |store: &Store<EcsCluster>, name: Option<String>| -> Vec<ObjectRef<EcsCluster>> {
        let Some(name) = name else { return Vec::new() };
        store
            .state()
            .iter()
            .filter(|c| label_value(&cluster_name_of(c)) == name || cluster_name_of(c) == name)
            .map(|c| ObjectRef::from_obj(c.as_ref()))
            .collect()
    };
    Controller::for_shared_stream(triggers.clusters, store)
        .watches_shared_stream(triggers.nodes, move |n: Arc<SlimNode>| {
            by_name(&for_nodes, n.labels().get(CLUSTER_LABEL).cloned())
        })
        .watches_shared_stream(triggers.pods, move |p: Arc<SlimPod>| {
            by_name(&for_pods, p.label(CLUSTER_LABEL).map(str::to_string))
        })
        .watches_shared_stream(triggers.services, move |s: Arc<EcsService>| {
            by_name(
                &for_services,
                Some(
                    crate::arn::cluster_name(s.spec.cluster.as_deref().unwrap_or("default"))
                        .to_string(),
                ),
            )
        })
        .graceful_shutdown_on(ctx.shutdown.requested())
        .run(
            metrics::measured("ecscluster", reconcile),
            error_policy,
            ctx,
        )
        .for_each(log_result("ecscluster"))
        .await;
}

/// An EcsCluster that still has services is not deleted out from under them (ECS:
/// ClusterContainsServicesException); the finalizer holds it until they are gone.
pub const IN_USE_FINALIZER: &str = "ecs.operator.dev/cluster-in-use";

async fn reconcile(cluster: Arc<EcsCluster>, ctx: Ctx) -> Result<Action, Error> {
    // Reports (and, while deleting, checks for remaining services) at most once per interval:
    // the requeue handles the last change of a burst once the interval has passed. Without it
    // a draining namespace's Pod events re-ran the in-use check ~22 times a second.
    let key = format!("ecscluster/{}", cluster.uid().unwrap_or_default());
    if let Some(wait) = ctx.pacing.hold(&key, REPORT_INTERVAL) {
        return Ok(Action::requeue(wait));
    }
    let api: Api<EcsCluster> = Api::all(ctx.client.clone());
    finalizer(&api, IN_USE_FINALIZER, cluster, |event| async {
        match event {
            FinalizerEvent::Apply(c) => report(c, ctx.clone()).await,
            FinalizerEvent::Cleanup(c) => release(c, ctx.clone()).await,
        }
    })
    .await
    .map_err(|e| match e {
        kube::runtime::finalizer::Error::ApplyFailed(e)
        | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
        other => Error::Finalizer(other.to_string()),
    })
}

/// Services (any namespace) that name this cluster and are not being deleted.
fn services_of(ctx: &Ctx, name: &str) -> Vec<String> {
    let mut names: Vec<String> = ctx
        .stores
        .services
        .state()
        .iter()
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .filter(|s| {
            crate::arn::cluster_name(s.spec.cluster.as_deref().unwrap_or("default")) == name
        })
        .map(|s| format!("{}/{}", s.namespace().unwrap_or_default(), s.name_any()))
        .collect();
    names.sort();
    names
}

async fn release(cluster: Arc<EcsCluster>, ctx: Ctx) -> Result<Action, Error> {
    let name = cluster_name_of(&cluster);
    let services = services_of(&ctx, &name);
    if services.is_empty() {
        return Ok(Action::await_change());
    }
    let message = format!(
        "ClusterContainsServicesException: The Cluster cannot be deleted while Services are active: {}",
        services.join(", ")
    );
    let mut status = cluster.status.clone().unwrap_or_default();
    let changed = set_condition(
        &mut status.conditions,
        ConditionUpdate {
            type_: "DeletionBlocked",
            status: TRUE,
            reason: "ClusterContainsServices",
            message: message.clone(),
            observed_generation: cluster.metadata.generation,
        },
        Time(k8s_openapi::jiff::Timestamp::now()),
    );
    if changed {
        let api: Api<EcsCluster> = Api::all(ctx.client.clone());
        let patch = serde_json::json!({"status": {"conditions": status.conditions}});
        api.patch_status(
            &cluster.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await?;
        ctx.event(
            cluster.as_ref(),
            kube::runtime::events::EventType::Warning,
            "ClusterContainsServices",
            "Delete",
            message,
        )
        .await;
    }
    Err(Error::InUse(services.len()))
}

/// At most one status report per cluster per interval. The counts change with every task
/// Pod event and each report scans every Pod, so reporting per event cost O(N) CPU and up to
/// one API write per Pod event during a scale-up (ecs-bench, N=1000: 123 status writes and
/// 17% of the operator's CPU). ECS's own cluster counts are eventually consistent too.
const REPORT_INTERVAL: Duration = Duration::from_secs(1);

async fn report(cluster: Arc<EcsCluster>, ctx: Ctx) -> Result<Action, Error> {
    let name = cluster_name_of(&cluster);
    let label = label_value(&name);
    let nodes = ctx.stores.nodes.state();
    let instances: Vec<&SlimNode> = nodes
        .iter()
        .map(|n| n.as_ref())
        .filter(|n| n.labels().get(CLUSTER_LABEL) == Some(&name))
        .collect();
    let mut per_zone: BTreeMap<String, i32> = BTreeMap::new();
    for n in &instances {
        let zone = n
            .labels()
            .get(ZONE_LABEL)
            .cloned()
            .unwrap_or_else(|| "unknown".into());
        *per_zone.entry(zone).or_default() += 1;
    }
    let now = k8s_openapi::jiff::Timestamp::now();
    let (mut running, mut pending) = (0, 0);
    for pod in ctx
        .stores
        .pods
        .state()
        .iter()
        .filter(|p| p.label(CLUSTER_LABEL) == Some(label.as_str()))
    {
        let o = observe(pod, now);
        if o.is_running() {
            running += 1;
        } else if o.is_pending() {
            pending += 1;
        }
    }
    let services = ctx
        .stores
        .services
        .state()
        .iter()
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .filter(|s| {
            crate::arn::cluster_name(s.spec.cluster.as_deref().unwrap_or("default")) == name
        })
        .count() as i32;

    let old = cluster.status.clone().unwrap_or_default();
    let mut status = EcsClusterStatus {
        observed_generation: cluster.metadata.generation,
        conditions: old.conditions.clone(),
        cluster_arn: Some(ctx.config.arns().cluster(&name)),
        cluster_name: Some(name.clone()),
        status: Some("ACTIVE".into()),
        registered_container_instances_count: Some(instances.len() as i32),
        running_tasks_count: Some(running),
        pending_tasks_count: Some(pending),
        active_services_count: Some(services),
        instances_per_zone: per_zone,
    };
    let ready = !instances.is_empty();
    set_condition(
        &mut status.conditions,
        ConditionUpdate {
            type_: "Ready",
            status: if ready { TRUE } else { FALSE },
            reason: if ready {
                "ContainerInstancesRegistered"
            } else {
                "NoContainerInstances"
            },
            message: if ready {
                format!(
                    "{} container instances in {} zones",
                    instances.len(),
                    status.instances_per_zone.len()
                )
            } else {
                format!("no node is labeled {CLUSTER_LABEL}={name}")
            },
            observed_generation: cluster.metadata.generation,
        },
        Time(now),
    );
    if cluster.status.as_ref() != Some(&status) {
        let api: Api<EcsCluster> = Api::all(ctx.client.clone());
        let patch = serde_json::json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsCluster", "status": status});
        api.patch_status(
            &cluster.name_any(),
            &PatchParams::apply(&ctx.config.manager).force(),
            &Patch::Apply(&patch),
        )
        .await?;
    }
    Ok(Action::requeue(Duration::from_secs(300)))
}

fn error_policy(_c: Arc<EcsCluster>, error: &Error, _ctx: Ctx) -> Action {
    match error {
        // Waiting for its services to go; service deletions also trigger a reconcile.
        Error::InUse(_) => Action::requeue(Duration::from_secs(5)),
        _ => {
            tracing::warn!(error = %error, "ecscluster reconcile failed");
            Action::requeue(Duration::from_secs(5))
        }
    }
}
