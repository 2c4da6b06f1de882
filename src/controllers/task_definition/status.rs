//! The TaskDefinition status: pure computation, and a write only when something changed.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};

use super::Error;
use crate::api::UnsupportedField;
use crate::api::conditions::{ConditionUpdate, FALSE, TRUE, set_condition};
use crate::api::{TaskDefinition, TaskDefinitionStatus};
use crate::arn::ArnContext;
use crate::controllers::{Ctx, OperatorConfig};
use crate::registry::Revision;
use crate::translate::{TranslateOptions, translate, validate};

/// The translation options the operator's configuration implies.
pub fn translate_options(config: &OperatorConfig) -> TranslateOptions {
    config.translate_options()
}

/// Semantic problems of the spec (beyond what CEL can check), each naming the field and
/// the rule (`spec.containerDefinitions[1].dependsOn[0].containerName: ...`).
pub fn validation_issues(td: &TaskDefinition, config: &OperatorConfig) -> Vec<String> {
    validate(&td.spec, &translate_options(config))
        .iter()
        .map(|i| {
            format!(
                "spec.{}: {}",
                i.field.trim_start_matches("spec."),
                i.message
            )
        })
        .collect()
}

/// Fields that are accepted but not honoured (or only approximately) on Kubernetes.
pub fn reported_fields(
    spec: &crate::api::TaskDefinitionSpec,
    config: &OperatorConfig,
) -> Vec<UnsupportedField> {
    translate(spec, None, &translate_options(config))
        .map(|t| t.reported_fields())
        .unwrap_or_default()
}

fn patch_params(ctx: &Ctx) -> PatchParams {
    PatchParams::apply(&ctx.config.manager).force()
}

fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::now())
}

/// The status for `td` given its latest registered revision and the outcome of this
/// reconcile (an error that blocked registration, if any).
pub fn compute(
    td: &TaskDefinition,
    config: &OperatorConfig,
    arns: &ArnContext,
    family: &str,
    latest: Option<&Revision>,
    error: Option<&Error>,
) -> TaskDefinitionStatus {
    let old = td.status.clone().unwrap_or_default();
    let generation = td.metadata.generation;
    let mut status = TaskDefinitionStatus {
        observed_generation: generation,
        conditions: old.conditions.clone(),
        family: Some(family.to_string()),
        ..Default::default()
    };
    if let Some(rev) = latest {
        status.revision = Some(rev.number);
        status.task_definition_arn = Some(arns.task_definition(family, rev.number));
        status.status = Some("ACTIVE".to_string());
        status.compatibilities = compatibilities(rev);
        status.registered_at = rev.registered_at.clone();
        status.registered_by = Some("ecs-operator".to_string());
        status.unsupported_fields = reported_fields(&rev.spec, config);
    }
    let accepted = match error {
        None => ConditionUpdate {
            type_: "Accepted",
            status: TRUE,
            reason: "Registered",
            message: latest
                .map(|r| format!("registered as {family}:{}", r.number))
                .unwrap_or_default(),
            observed_generation: generation,
        },
        Some(e) => ConditionUpdate {
            type_: "Accepted",
            status: FALSE,
            reason: e.reason(),
            message: e.to_string(),
            observed_generation: generation,
        },
    };
    let ready = ConditionUpdate {
        type_: "Ready",
        status: if error.is_none() && latest.is_some() {
            TRUE
        } else {
            FALSE
        },
        reason: if error.is_none() {
            "Registered"
        } else {
            e_reason(error)
        },
        message: match (error, latest) {
            (None, Some(r)) => format!("{family}:{} is ACTIVE", r.number),
            (Some(_), Some(r)) => format!(
                "the spec was not registered; {family}:{} stays the latest revision",
                r.number
            ),
            (Some(_), None) => "no revision is registered".to_string(),
            (None, None) => "registering".to_string(),
        },
        observed_generation: generation,
    };
    let t = now();
    set_condition(&mut status.conditions, accepted, t.clone());
    set_condition(&mut status.conditions, ready, t);
    status
}

fn e_reason(error: Option<&Error>) -> &'static str {
    error.map(|e| e.reason()).unwrap_or("Registered")
}

/// ECS reports the launch types a revision validates against.
fn compatibilities(rev: &Revision) -> Vec<String> {
    let mut out = vec!["EC2".to_string(), "EXTERNAL".to_string()];
    let awsvpc = matches!(
        rev.spec.network_mode,
        Some(crate::api::shapes::NetworkMode::Awsvpc)
    );
    if awsvpc && rev.spec.cpu.is_some() && rev.spec.memory.is_some() {
        out.push("FARGATE".to_string());
    }
    out
}

/// Writes the status subresource unless it is unchanged (no churn for watchers).
pub async fn write_if_changed(
    ctx: &Ctx,
    td: &TaskDefinition,
    status: TaskDefinitionStatus,
) -> Result<(), Error> {
    if td.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let api: Api<TaskDefinition> =
        Api::namespaced(ctx.client.clone(), &td.namespace().unwrap_or_default());
    let patch = serde_json::json!({
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "TaskDefinition",
        "status": status,
    });
    api.patch_status(&td.name_any(), &patch_params(ctx), &Patch::Apply(&patch))
        .await
        .map_err(Error::Kube)?;
    Ok(())
}
