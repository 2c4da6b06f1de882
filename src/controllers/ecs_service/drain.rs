//! Deleting a service: status DRAINING, every task stopped (ServiceSchedulerInitiated),
//! and only then is the EcsService released (finalizer removed).

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;

use super::{Error, service_name};
use crate::api::EcsService;
use crate::controllers::Ctx;
use crate::slim_pod::SlimPod;

pub async fn drain(svc: Arc<EcsService>, ctx: Ctx) -> Result<Action, Error> {
    let namespace = svc.namespace().unwrap_or_default();
    let uid = svc.uid().unwrap_or_default();
    let name = service_name(&svc);
    let owned: Vec<Arc<SlimPod>> = ctx.owned_pods(&namespace, &uid);
    let services: Api<EcsService> = Api::namespaced(ctx.client.clone(), &namespace);
    if svc.status.as_ref().and_then(|s| s.status.as_deref()) != Some("DRAINING") {
        // A merge patch: only the status value changes, the rest of the status stays.
        let patch = serde_json::json!({"status": {"status": "DRAINING", "desiredCount": 0}});
        services
            .patch_status(
                &svc.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
            .map_err(Error::Kube)?;
    }
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    let mut stopped = Vec::new();
    for pod in owned
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
    {
        match pods.delete(&pod.name_any(), &DeleteParams::default()).await {
            Ok(_) => stopped.push(pod.name_any()),
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(Error::Kube(e)),
        }
    }
    if !stopped.is_empty() {
        let note = format!(
            "service {name} is DRAINING: stopped {} tasks",
            stopped.len()
        );
        ctx.event(svc.as_ref(), EventType::Normal, "Draining", "Delete", note)
            .await;
    }
    if owned.is_empty() {
        ctx.expectations.forget(&uid);
        ctx.slow_start.forget(&uid);
        ctx.written_status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&uid);
        Ok(Action::await_change())
    } else {
        Err(Error::Draining(owned.len()))
    }
}
