//! Creating new PRIMARY tasks: one Pod per placement, sent through a window of requests in
//! flight that stops at the first error (after a failure it starts at one create, Kubernetes'
//! slow start: a quota or admission failure costs one request, not hundreds). Pods are built
//! as they are sent and the apiserver's replies skipped as they arrive, so a scale-up of
//! thousands holds at most a window of Pods.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::PostParams;
use kube::{Client, Resource, ResourceExt};
use serde::de::IgnoredAny;

use super::Error;
use super::resolve::{Resolved, is_daemon, service_name};
use crate::api::EcsService;
use crate::controllers::Ctx;
use crate::controllers::expectations::refused;
use crate::controllers::slow_start::send_windowed;
use crate::labels::{
    CLUSTER_LABEL, DEPLOYMENT_LABEL, SCHEDULING_STRATEGY_LABEL, SERVICE_LABEL, TASK_ID_ANNOTATION,
    label_value,
};
use crate::placement::{Placement, service_group};
use crate::slim_pod::SlimPod;
use crate::tasks::{TaskPod, build_pod, new_task_id};

/// Every this many creates, expectations the cache has caught up with are dropped.
const PRUNE_EVERY: usize = 256;

/// Builds the Pod of one new task of a service: what all its tasks share, computed once.
pub struct PodFactory<'a> {
    ctx: &'a Ctx,
    r: &'a Resolved,
    svc_name: String,
    namespace: String,
    owner: OwnerReference,
    essential: Vec<String>,
    checked: Vec<String>,
    group: String,
    labels: BTreeMap<String, String>,
}

impl<'a> PodFactory<'a> {
    pub fn new(
        ctx: &'a Ctx,
        svc: &EcsService,
        r: &'a Resolved,
        deployment_label: &str,
    ) -> Result<Self, Error> {
        let owner = svc.controller_owner_ref(&()).ok_or_else(|| {
            Error::InvalidParameter("the EcsService has no name or uid yet".into())
        })?;
        let mut labels = BTreeMap::from([
            (SERVICE_LABEL.to_string(), label_value(&svc.name_any())),
            (DEPLOYMENT_LABEL.to_string(), deployment_label.to_string()),
            (CLUSTER_LABEL.to_string(), label_value(&r.cluster_name)),
        ]);
        if is_daemon(svc) {
            labels.insert(SCHEDULING_STRATEGY_LABEL.to_string(), "DAEMON".to_string());
        }
        Ok(Self {
            ctx,
            r,
            svc_name: svc.name_any(),
            namespace: svc.namespace().unwrap_or_default(),
            owner,
            essential: r.translation.essential_container_names(),
            checked: r.translation.health_checked_container_names(),
            group: service_group(&service_name(svc)),
            labels,
        })
    }

    /// The Pod of a new task at `placement`.
    pub fn build(&self, placement: &Placement) -> Result<Pod, Error> {
        let r = self.r;
        let mut translation = r.translation.clone();
        translation
            .bind_host_ports(&placement.host_ports)
            .map_err(|e| Error::Translate(e.to_string()))?;
        let task_id = new_task_id();
        let mut pod_name = self.svc_name.clone();
        pod_name.truncate(52);
        let task = TaskPod {
            namespace: &self.namespace,
            name: format!(
                "{}-{}",
                pod_name.trim_end_matches(['-', '.']),
                &task_id[..10]
            ),
            task_arn: self.ctx.config.arns().task(&r.cluster_name, &task_id),
            task_id,
            family: &r.revision.family,
            revision: r.revision.number,
            task_definition_arn: &r.task_definition_arn,
            group: &self.group,
            started_by: Some(&r.deployment_id),
            essential_containers: &self.essential,
            health_checked_containers: &self.checked,
            labels: self.labels.clone(),
            owner: self.owner.clone(),
        };
        let mut pod = build_pod(&task, translation.pod_spec, &placement.instance);
        pod.metadata
            .annotations
            .get_or_insert_default()
            .extend(translation.annotations);
        Ok(pod)
    }
}

/// The ECS task id of a Pod of ours (its annotation; the Pod name for older Pods).
pub fn task_id_of(pod: &SlimPod) -> String {
    task_id(pod.annotation(TASK_ID_ANNOTATION), pod)
}

/// The task id from the task-id annotation's value, else the Pod's name.
fn task_id(annotation: Option<&str>, pod: &impl Resource) -> String {
    annotation.map_or_else(|| pod.name_any(), str::to_string)
}

/// Creates one task per placement and reports them as an ECS "has started" event, and a
/// round's failed creates as an ECS "failed to launch a task" event (a quota or admission
/// refusal would otherwise show only in the operator's log). Returns the number created and
/// the events; an error only when nothing could be built.
pub async fn create_tasks(
    ctx: &Ctx,
    service: &str,
    uid: &str,
    factory: &PodFactory<'_>,
    placements: &[Placement],
) -> Result<(usize, Vec<String>), Error> {
    let round = create_slow_start(ctx, uid, factory, placements).await;
    if let Some(e) = round.build_error {
        if round.started.is_empty() {
            return Err(e);
        }
        tracing::warn!(error = %e, "stopped creating tasks; the next reconcile retries");
    }
    let mut events = Vec::new();
    if !round.started.is_empty() {
        let list: Vec<String> = round
            .started
            .iter()
            .map(|id| format!("(task {id})"))
            .collect();
        events.push(format!(
            "service {service} has started {} tasks: {}.",
            round.started.len(),
            list.join(" ")
        ));
    }
    if let Some(error) = round.create_error {
        events.push(launch_failed(service, &error));
    }
    Ok((round.started.len(), events))
}

/// ECS's wording for a task the service could not launch, with the apiserver's reason (its
/// Status message, e.g. `pods "web-…" is forbidden: exceeded quota: …`).
fn launch_failed(service: &str, error: &kube::Error) -> String {
    let reason = match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    };
    format!("service {service} failed to launch a task with (error {reason}).")
}

/// What one create round did.
struct Round {
    /// Task ids of the Pods the apiserver took.
    started: Vec<String>,
    /// A Pod that could not be built (nothing was sent for it).
    build_error: Option<Error>,
    /// The first create the apiserver did not take.
    create_error: Option<kube::Error>,
}

/// Creates through a window of requests in flight, capped at `--max-creates-in-flight`: a
/// service's first round sends the whole window at once, a round after a failure starts at
/// one create and grows by one per success (doubling every round trip, like Kubernetes' slow
/// start without its batches' wait for the slowest create of each batch), any other round
/// resumes at the window the last one reached (see slow_start). At the first failure nothing
/// more is sent: a refused Pod costs at most the window.
async fn create_slow_start(
    ctx: &Ctx,
    owner_uid: &str,
    factory: &PodFactory<'_>,
    placements: &[Placement],
) -> Round {
    let params = PostParams {
        field_manager: Some(ctx.config.manager.clone()),
        ..Default::default()
    };
    // Each Pod's POST names its own namespace (post_pod).
    let client = ctx.client.clone();
    let cap = usize::from(ctx.config.max_creates_in_flight);
    let first = ctx.slow_start.first_window(owner_uid, cap);
    let began = std::time::Instant::now();
    let mut sent = 0usize;
    let out = send_windowed(placements, first, cap, |placement| {
        sent += 1;
        if sent.is_multiple_of(PRUNE_EVERY) {
            let seen = |name: &str| ctx.stores.pods.contains(&factory.namespace, name);
            ctx.expectations.observed(owner_uid, seen);
        }
        let pod = factory.build(placement);
        if let Ok(pod) = &pod {
            ctx.expectations.created(owner_uid, pod);
        }
        let params = params.clone();
        let client = client.clone();
        async move {
            let pod = pod.map_err(Failure::Build)?;
            match post_pod(&client, &params, &pod).await {
                Ok(()) => Ok(task_id(
                    pod.annotations()
                        .get(TASK_ID_ANNOTATION)
                        .map(String::as_str),
                    &pod,
                )),
                Err(e) => Err(Failure::Create(pod.name_any(), e)),
            }
        }
    })
    .await;
    let failed = !out.errors.is_empty();
    ctx.slow_start.finished(owner_uid, out.window, failed);
    tracing::debug!(
        created = out.done.len(),
        first_window = first,
        failed,
        ms = began.elapsed().as_millis() as u64,
        "create round"
    );
    let (mut build_error, mut create_error) = (None, None);
    for failure in out.errors {
        match failure {
            Failure::Build(e) => build_error = Some(e),
            Failure::Create(name, e) => {
                // Not created — unless the outcome is unknown (expectations::Observed):
                // then it stays expected until the next reconcile asks the apiserver.
                if refused(&e) {
                    ctx.expectations.forget_create(owner_uid, &name);
                } else {
                    ctx.expectations.unsure_create(owner_uid, &name);
                }
                tracing::warn!(pod = %name, error = %e, "failed to create task pod");
                create_error.get_or_insert(e);
            }
        }
    }
    Round {
        started: out.done,
        build_error,
        create_error,
    }
}

/// The apiserver's reply to a create, as the metadata of the object only (a Pod's would be
/// several kilobytes, status and all).
const METADATA_ONLY: &str = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

/// POSTs a task's Pod and learns only whether it was taken: the task id is the one sent, so
/// the reply is skipped, not parsed (a whole `Pod` per create was work for nothing, on the
/// cores the apiserver needs during a scale-up).
async fn post_pod(client: &Client, params: &PostParams, pod: &Pod) -> Result<(), kube::Error> {
    let namespace = pod.metadata.namespace.as_deref();
    let body = serde_json::to_vec(pod).map_err(kube::Error::SerdeError)?;
    let mut request = kube::core::Request::new(Pod::url_path(&(), namespace))
        .create(params, body)
        .map_err(kube::Error::BuildRequest)?;
    request.headers_mut().insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static(METADATA_ONLY),
    );
    request.extensions_mut().insert("create");
    client.request::<IgnoredAny>(request).await.map(drop)
}

/// Why one task was not created.
enum Failure {
    /// Its Pod could not be built (nothing was sent).
    Build(Error),
    /// The apiserver did not take it.
    Create(String, kube::Error),
}
