//! Apply the Kubernetes Services for the EcsService's load balancers and service registries
//! (the pure mapping is `crate::expose`): server-side apply of each, deletion of the ones no
//! longer wanted, and nothing at all while what they should be has not changed.

use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::{Resource, ResourceExt};

use super::Error;
use super::resolve::Resolved;
use crate::api::EcsService;
use crate::controllers::Ctx;
use crate::expose::{ExposeError, ExposeInput, desired_services};
use crate::labels::{MANAGED_BY, MANAGED_BY_LABEL, SERVICE_LABEL, label_value, short_hash};

/// Returns the configuration problem, if the targets name what the task definition lacks.
pub async fn sync(ctx: &Ctx, svc: &EcsService, r: &Resolved) -> Result<Option<ExposeError>, Error> {
    let namespace = svc.namespace().unwrap_or_default();
    let uid = svc.uid().unwrap_or_default();
    let Some(owner) = svc.controller_owner_ref(&()) else {
        return Ok(None);
    };
    let selector_value = label_value(&svc.name_any());
    let input = ExposeInput {
        namespace: &namespace,
        service: &svc.name_any(),
        selector_value: &selector_value,
        load_balancers: svc.spec.load_balancers.as_deref().unwrap_or_default(),
        registries: svc.spec.service_registries.as_deref().unwrap_or_default(),
        translation: &r.translation,
        owner,
    };
    let desired = match desired_services(&input) {
        Ok(d) => d,
        Err(e) => return Ok(Some(e)),
    };
    let fingerprint = short_hash(&serde_json::to_string(&desired).unwrap_or_default());
    let known = ctx
        .exposed
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&uid)
        .cloned();
    if known.as_deref() == Some(fingerprint.as_str()) {
        return Ok(None);
    }
    let api: Api<Service> = Api::namespaced(ctx.client.clone(), &namespace);
    let params = PatchParams::apply(&ctx.config.manager).force();
    for (name, service) in &desired {
        let mut body =
            serde_json::to_value(service).map_err(|e| Error::InvalidParameter(e.to_string()))?;
        body["apiVersion"] = "v1".into();
        body["kind"] = "Service".into();
        api.patch(name, &params, &Patch::Apply(&body))
            .await
            .map_err(Error::Kube)?;
    }
    // Services this EcsService made that are no longer wanted (a target removed).
    let ours = format!("{MANAGED_BY_LABEL}={MANAGED_BY},{SERVICE_LABEL}={selector_value}");
    let existing = api
        .list_metadata(&ListParams::default().labels(&ours))
        .await
        .map_err(Error::Kube)?;
    for stale in existing.items.iter().filter(|s| {
        !desired.contains_key(&s.name_any()) && s.owner_references().iter().any(|o| o.uid == uid)
    }) {
        match api
            .delete(&stale.name_any(), &DeleteParams::default())
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(Error::Kube(e)),
        }
    }
    ctx.exposed
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(uid, fingerprint);
    Ok(None)
}
