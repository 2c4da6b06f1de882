//! Resolve: the cluster, the task definition revision (translated to a PodSpec), and the
//! PRIMARY deployment's identity.

use kube::ResourceExt;

use super::Error;
use crate::api::EcsService;
use crate::api::ecs_service::DeploymentReference;
use crate::api::shapes::{PlacementConstraint, PlacementStrategy};
use crate::controllers::Ctx;
use crate::controllers::cluster_ref::{capacity_strategy, resolve_cluster_object};
use crate::labels::short_hash;
use crate::placement::{Constraint, Strategy, default_service_strategies};
use crate::registry::{Revision, resolve};
use crate::rollout::capacity::ProviderShare;
use crate::translate::{Translation, translate};

/// Everything a reconcile needs beyond the service itself.
pub struct Resolved {
    pub cluster_name: String,
    pub revision: Revision,
    pub task_definition_arn: String,
    pub translation: Translation,
    /// `ecs-svc/<19 digits>`: one per (revision, deployment-relevant configuration).
    pub deployment_id: String,
    pub constraints: Vec<Constraint>,
    pub strategies: Vec<Strategy>,
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
    /// The capacity provider strategy in force; empty = any instance of the cluster.
    pub capacity: Vec<ProviderShare>,
}

pub fn is_daemon(svc: &EcsService) -> bool {
    svc.spec.scheduling_strategy == Some(crate::api::shapes::SchedulingStrategy::Daemon)
}

pub fn service_name(svc: &EcsService) -> String {
    svc.spec
        .service_name
        .clone()
        .unwrap_or_else(|| svc.name_any())
}

/// Resolves the spec's deployment, or with `rollback` the circuit breaker's rollback
/// deployment instead (its task definition and id; everything else from the spec).
pub fn resolve_service(
    ctx: &Ctx,
    svc: &EcsService,
    rollback: Option<&DeploymentReference>,
) -> Result<Resolved, Error> {
    let namespace = svc.namespace().unwrap_or_default();
    let (cluster, ecs_cluster) =
        resolve_cluster_object(ctx, svc.spec.cluster.as_deref(), &namespace)?;
    let capacity = capacity_strategy(
        svc.spec.capacity_provider_strategy.as_deref(),
        svc.spec.launch_type.is_some(),
        &ecs_cluster,
    )
    .map_err(Error::InvalidParameter)?;

    let reference = match rollback {
        Some(r) => r.task_definition.clone(),
        None => svc
            .spec
            .task_definition
            .clone()
            .ok_or_else(|| Error::InvalidParameter("taskDefinition is required".into()))?,
    };
    let revisions = ctx.revisions_in(&namespace);
    let active = ctx.active_families_in(&namespace);
    let resolved = resolve(&reference, &revisions, &active)?;
    let revision = resolved.revision.clone();

    let options = ctx.config.translate_options();
    let translation =
        translate(&revision.spec, None, &options).map_err(|e| Error::Translate(e.to_string()))?;

    let mut constraints = Vec::new();
    for (i, c) in revision
        .spec
        .placement_constraints
        .iter()
        .flatten()
        .enumerate()
    {
        let expr = c.expression.as_deref();
        constraints.push(Constraint::parse("memberOf", expr).map_err(|e| {
            Error::InvalidParameter(format!("taskDefinition placementConstraints[{i}]: {e}"))
        })?);
    }
    for (i, c) in svc.spec.placement_constraints.iter().flatten().enumerate() {
        constraints.push(
            parse_constraint(c)
                .map_err(|e| Error::InvalidParameter(format!("placementConstraints[{i}]: {e}")))?,
        );
    }
    let strategies = match svc
        .spec
        .placement_strategy
        .as_ref()
        .filter(|s| !s.is_empty())
    {
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, s)| {
                parse_strategy(s)
                    .map_err(|e| Error::InvalidParameter(format!("placementStrategy[{i}]: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => default_service_strategies(),
    };

    let config = svc
        .spec
        .deployment_configuration
        .clone()
        .unwrap_or_default();
    // §3.3 defaults: REPLICA 100 / 200, DAEMON 0 / 100 (per instance: stop old, start new).
    let daemon = is_daemon(svc);
    let (default_min, default_max) = if daemon { (0, 100) } else { (100, 200) };
    let minimum_healthy_percent = config
        .minimum_healthy_percent
        .unwrap_or(default_min)
        .clamp(0, 100) as u32;
    let maximum_percent = config.maximum_percent.unwrap_or(default_max).max(100) as u32;

    Ok(Resolved {
        task_definition_arn: ctx
            .config
            .arns()
            .task_definition(&revision.family, revision.number),
        deployment_id: match rollback {
            Some(r) => r.id.clone(),
            None => deployment_id(svc, &revision),
        },
        cluster_name: cluster,
        revision,
        translation,
        constraints,
        strategies,
        minimum_healthy_percent,
        maximum_percent,
        capacity,
    })
}

fn parse_constraint(c: &PlacementConstraint) -> Result<Constraint, String> {
    let kind = serde_json::to_value(c.r#type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Constraint::parse(&kind, c.expression.as_deref()).map_err(|e| e.to_string())
}

fn parse_strategy(s: &PlacementStrategy) -> Result<Strategy, String> {
    let kind = serde_json::to_value(s.r#type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Strategy::parse(&kind, s.field.as_deref()).map_err(|e| e.to_string())
}

/// ECS starts a new deployment when the revision, network configuration, load balancers,
/// service registries or forceNewDeployment change (ecs-semantics.md §3.2) — and not for
/// desiredCount, placement or deployment configuration. The id is a hash of exactly those.
pub fn deployment_id(svc: &EcsService, revision: &Revision) -> String {
    let key = serde_json::json!({
        "family": revision.family,
        "revision": revision.number,
        "networkConfiguration": svc.spec.network_configuration,
        "loadBalancers": svc.spec.load_balancers,
        "serviceRegistries": svc.spec.service_registries,
        "serviceConnectConfiguration": svc.spec.service_connect_configuration,
        "volumeConfigurations": svc.spec.volume_configurations,
        "vpcLatticeConfigurations": svc.spec.vpc_lattice_configurations,
        "forceNewDeployment": svc.spec.force_new_deployment,
    });
    let hex = short_hash(&key.to_string());
    let n = u64::from_str_radix(&hex, 16).unwrap_or(0) % 10_000_000_000_000_000_000;
    format!("ecs-svc/{n:019}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::EcsServiceSpec;

    fn service(spec: serde_json::Value) -> EcsService {
        let spec: EcsServiceSpec = serde_json::from_value(spec).unwrap();
        EcsService::new("web", spec)
    }

    fn revision(number: i64) -> Revision {
        Revision {
            family: "web".into(),
            number,
            spec: serde_json::from_value(
                serde_json::json!({"family": "web", "containerDefinitions": []}),
            )
            .unwrap(),
            spec_hash: String::new(),
            registered_by_object: "web".into(),
            registered_at: None,
        }
    }

    /// §3.2: what starts a new deployment and what is applied in place.
    #[test]
    fn only_deployment_relevant_changes_change_the_deployment_id() {
        let base = serde_json::json!({"taskDefinition": "web", "desiredCount": 2});
        let id = deployment_id(&service(base.clone()), &revision(1));
        assert!(
            id.starts_with("ecs-svc/") && id.len() == "ecs-svc/".len() + 19,
            "{id}"
        );
        let same = [
            serde_json::json!({"taskDefinition": "web", "desiredCount": 9}),
            serde_json::json!({"taskDefinition": "web", "desiredCount": 2,
                "deploymentConfiguration": {"minimumHealthyPercent": 50}}),
            serde_json::json!({"taskDefinition": "web", "desiredCount": 2,
                "placementStrategy": [{"type": "binpack", "field": "memory"}],
                "placementConstraints": [{"type": "distinctInstance"}],
                "healthCheckGracePeriodSeconds": 30, "availabilityZoneRebalancing": "ENABLED"}),
        ];
        for spec in same {
            assert_eq!(
                deployment_id(&service(spec.clone()), &revision(1)),
                id,
                "{spec}"
            );
        }
        assert_ne!(
            deployment_id(&service(base.clone()), &revision(2)),
            id,
            "new revision"
        );
        let different = [
            serde_json::json!({"taskDefinition": "web", "forceNewDeployment": true}),
            serde_json::json!({"taskDefinition": "web", "loadBalancers": [{"containerName": "web", "containerPort": 80}]}),
            serde_json::json!({"taskDefinition": "web", "serviceRegistries": [{"registryArn": "arn:x"}]}),
            serde_json::json!({"taskDefinition": "web", "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"]}}}),
        ];
        for spec in different {
            assert_ne!(
                deployment_id(&service(spec.clone()), &revision(1)),
                id,
                "{spec}"
            );
        }
    }
}
