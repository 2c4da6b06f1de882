//! TaskDefinition controller: registers revision N+1 whenever the spec changes (an
//! immutable ControllerRevision), refuses semantically invalid specs with `Accepted=False`
//! (no revision, so nothing invalid ever reaches a Pod), and reports the ECS status.
//!
//! Pipeline: resolve (family, conflicts, existing revisions) → validate → plan (pure:
//! `registry::decide_revision`) → apply (create the revision) → status.

mod error;
mod status;

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::api::{ListParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};

pub use error::Error;

use super::{Ctx, log_result};
use crate::api::TaskDefinition;
use crate::labels::{FAMILY_KEY, label_value};
use crate::operations::metrics;
use crate::registry::{
    Revision, RevisionDecision, decide_revision, spec_hash, to_controller_revision,
};

/// The ECS family of a TaskDefinition object: `spec.family`, else `metadata.name`.
pub fn family_of(td: &TaskDefinition) -> String {
    td.spec.family.clone().unwrap_or_else(|| td.name_any())
}

pub async fn controller(
    ctx: Ctx,
    events: impl Stream<Item = Arc<TaskDefinition>> + Send + 'static,
) {
    let store = ctx.stores.task_definitions.clone();
    Controller::for_shared_stream(events, store)
        .graceful_shutdown_on(ctx.shutdown.requested())
        .run(
            metrics::measured("taskdefinition", reconcile),
            error_policy,
            ctx,
        )
        .for_each(log_result("taskdefinition"))
        .await;
}

#[tracing::instrument(skip_all, fields(taskdefinition = %td.name_any(), namespace = td.namespace().unwrap_or_default()))]
async fn reconcile(td: Arc<TaskDefinition>, ctx: Ctx) -> Result<Action, Error> {
    if td.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = td.namespace().unwrap_or_default();
    let family = family_of(&td);

    // Resolve: one object per family and namespace; the oldest keeps it.
    let outcome = match conflicting_owner(&ctx, &td, &family) {
        Some(owner) => Err(Error::FamilyConflict {
            family: family.clone(),
            owner,
        }),
        None => register(&ctx, &td, &namespace, &family).await,
    };
    // A refused duplicate reports no revision: the family's revisions are not its own.
    let revisions = match &outcome {
        Err(Error::FamilyConflict { .. }) => Vec::new(),
        _ => list_revisions(&ctx, &namespace, &family).await?,
    };
    let latest = revisions.iter().max_by_key(|r| r.number);
    let new_status = status::compute(
        &td,
        &ctx.config,
        &ctx.config.arns(),
        &family,
        latest,
        outcome.as_ref().err(),
    );
    status::write_if_changed(&ctx, &td, new_status).await?;

    match outcome {
        Ok(Some(number)) => {
            let note = format!("registered task definition {family}:{number}");
            ctx.event(
                td.as_ref(),
                EventType::Normal,
                "Registered",
                "Register",
                note,
            )
            .await;
            Ok(Action::await_change())
        }
        Ok(None) => Ok(Action::await_change()),
        Err(e) if e.is_spec_problem() => {
            ctx.event(
                td.as_ref(),
                EventType::Warning,
                e.reason(),
                "Register",
                e.to_string(),
            )
            .await;
            Ok(Action::await_change())
        }
        Err(e) => Err(e),
    }
}

/// Validates and registers the current spec if it is new. Ok(Some(n)) when revision n was
/// registered now, Ok(None) when the spec was already registered.
async fn register(
    ctx: &Ctx,
    td: &TaskDefinition,
    namespace: &str,
    family: &str,
) -> Result<Option<i64>, Error> {
    let issues = status::validation_issues(td, &ctx.config);
    if !issues.is_empty() {
        return Err(Error::Invalid(issues.join("; ")));
    }
    // The API, not the cache: numbering must see our own just-created revisions.
    let existing = list_revisions(ctx, namespace, family).await?;
    match decide_revision(&existing, family, &spec_hash(&td.spec)) {
        RevisionDecision::Unchanged(_) => Ok(None),
        RevisionDecision::Register(number) => {
            let cr = to_controller_revision(namespace, &td.name_any(), family, number, &td.spec);
            let api: Api<ControllerRevision> = Api::namespaced(ctx.client.clone(), namespace);
            match api
                .create(
                    &PostParams {
                        field_manager: Some(ctx.config.manager.clone()),
                        ..Default::default()
                    },
                    &cr,
                )
                .await
            {
                Ok(_) => Ok(Some(number)),
                // Another reconcile registered it between our list and create: the next
                // reconcile sees it. Never a second revision with the same number.
                Err(kube::Error::Api(e)) if e.code == 409 => Err(Error::Conflict),
                Err(e) => Err(Error::Kube(e)),
            }
        }
    }
}

async fn list_revisions(ctx: &Ctx, namespace: &str, family: &str) -> Result<Vec<Revision>, Error> {
    let api: Api<ControllerRevision> = Api::namespaced(ctx.client.clone(), namespace);
    let selector = format!("{FAMILY_KEY}={}", label_value(family));
    let list = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(Error::Kube)?;
    Ok(list
        .items
        .iter()
        .filter_map(Revision::from_controller_revision)
        .filter(|r| r.family == family)
        .collect())
}

/// Another live TaskDefinition object in the namespace that registers the same family
/// and is older (creation time, then name) — it owns the family.
fn conflicting_owner(ctx: &Ctx, td: &TaskDefinition, family: &str) -> Option<String> {
    let key = |t: &TaskDefinition| {
        (
            t.metadata.creation_timestamp.clone().map(|t| t.0),
            t.name_any(),
        )
    };
    ctx.stores
        .task_definitions
        .state()
        .iter()
        .filter(|o| o.namespace() == td.namespace() && o.name_any() != td.name_any())
        .filter(|o| o.metadata.deletion_timestamp.is_none() && family_of(o) == family)
        .filter(|o| key(o) < key(td))
        .map(|o| o.name_any())
        .next()
}

fn error_policy(_td: Arc<TaskDefinition>, error: &Error, _ctx: Ctx) -> Action {
    match error {
        Error::Conflict => Action::requeue(Duration::from_millis(200)),
        _ => Action::requeue(Duration::from_secs(5)),
    }
}
