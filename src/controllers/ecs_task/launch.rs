//! RunTask: resolve, translate with the overrides, place `count` tasks (default strategy
//! random), create their Pods; what cannot be placed becomes a RunTask failure.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use kube::{Resource, ResourceExt};

use super::pod_name;
use crate::api::shapes::{PlacementConstraint, PlacementStrategy};
use crate::api::{EcsTask, Failure};
use crate::controllers::Ctx;
use crate::controllers::cluster_ref::{ClusterError, capacity_strategy, resolve_cluster_object};
use crate::labels::ATTR_CAPACITY_PROVIDER;
use crate::labels::{CLUSTER_LABEL, TASK_RUN_LABEL, label_value};
use crate::placement::{
    Constraint, PlacementOutcome, PlacementRequest, PortRequest, RequiredAttribute, Snapshot,
    Strategy, family_group,
};
use crate::registry::{ResolveError, resolve};
use crate::rollout::capacity::split;
use crate::tasks::{TaskPod, build_pod, new_task_id};
use crate::translate::translate;

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("{0}")]
    Cluster(#[from] ClusterError),
    #[error("ClientException: {0}")]
    TaskDefinition(#[from] ResolveError),
    #[error("InvalidParameterException: {0}")]
    InvalidParameter(String),
    #[error("Kubernetes API error: {0}")]
    Kube(#[from] kube::Error),
}

impl LaunchError {
    pub fn reason(&self) -> &'static str {
        match self {
            LaunchError::Cluster(e) => e.reason(),
            LaunchError::TaskDefinition(e) => e.reason(),
            LaunchError::InvalidParameter(_) => "InvalidParameter",
            LaunchError::Kube(_) => "KubeError",
        }
    }
    pub fn is_configuration_problem(&self) -> bool {
        !matches!(self, LaunchError::Kube(_))
    }
}

pub struct LaunchOutcome {
    pub created: Vec<Pod>,
    pub failures: Vec<Failure>,
    pub events: Vec<String>,
}

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub async fn launch(ctx: &Ctx, run: &EcsTask) -> Result<LaunchOutcome, LaunchError> {
    let namespace = run.namespace().unwrap_or_default();
    let (cluster, ecs_cluster) =
        resolve_cluster_object(ctx, run.spec.cluster.as_deref(), &namespace)?;
    let capacity = capacity_strategy(
        run.spec.capacity_provider_strategy.as_deref(),
        run.spec.launch_type.is_some(),
        &ecs_cluster,
    )
    .map_err(LaunchError::InvalidParameter)?;
    let revisions = ctx.revisions_in(&namespace);
    let active = ctx.active_families_in(&namespace);
    let resolved = resolve(&run.spec.task_definition, &revisions, &active)?;
    if !resolved.active {
        // ECS: an INACTIVE revision cannot start new tasks.
        return Err(ResolveError::Inactive(run.spec.task_definition.clone()).into());
    }
    let revision = resolved.revision.clone();
    let options = ctx.config.translate_options();
    let translation = translate(&revision.spec, run.spec.overrides.as_ref(), &options)
        .map_err(|e| LaunchError::InvalidParameter(e.to_string()))?;

    let mut constraints = Vec::new();
    for c in revision.spec.placement_constraints.iter().flatten() {
        constraints.push(
            Constraint::parse("memberOf", c.expression.as_deref())
                .map_err(|e| LaunchError::InvalidParameter(e.to_string()))?,
        );
    }
    for c in run.spec.placement_constraints.iter().flatten() {
        constraints.push(parse_constraint(c)?);
    }
    let strategies: Vec<Strategy> = run
        .spec
        .placement_strategy
        .iter()
        .flatten()
        .map(parse_strategy)
        .collect::<Result<_, _>>()?;
    let group = run
        .spec
        .group
        .clone()
        .unwrap_or_else(|| family_group(&revision.family));
    let count = run.spec.count.unwrap_or(1).clamp(1, 10) as u32;

    let ports: Vec<PortRequest> = translation
        .host_port_requests()
        .iter()
        .map(|p| PortRequest {
            port: p.port,
            protocol: p.protocol,
        })
        .collect();
    let mut request = PlacementRequest::standalone(group.clone())
        .with_count(count)
        .with_reservation(translation.reservation)
        .with_ports(ports)
        .with_constraints(constraints)
        .with_strategies(strategies)
        .with_seed(crate::tasks::random_seed());
    for (name, value) in &translation.required_attributes {
        request = request.with_required_attribute(RequiredAttribute {
            name: name.clone(),
            value: Some(value.clone()),
        });
    }
    let place = |snapshot: &Snapshot| -> Result<PlacementOutcome, LaunchError> {
        Ok(if capacity.is_empty() {
            crate::operations::metrics::time_placement(|| snapshot.place(&request))
                .map_err(|e| LaunchError::InvalidParameter(e.to_string()))?
        } else {
            // RunTask with a capacity provider strategy: base first, then by weight (§6.3),
            // each share placed on that provider's instances only.
            let mut combined = crate::placement::PlacementOutcome::default();
            for (provider, n) in split(count, &capacity) {
                if n == 0 {
                    continue;
                }
                let only = Constraint::member_of(&format!(
                    "attribute:{ATTR_CAPACITY_PROVIDER} == '{provider}'"
                ))
                .map_err(|e| {
                    LaunchError::InvalidParameter(format!("capacity provider {provider}: {e}"))
                })?;
                let mut share = request.clone().with_count(n);
                share.constraints.push(only);
                let out = crate::operations::metrics::time_placement(|| snapshot.place(&share))
                    .map_err(|e| LaunchError::InvalidParameter(e.to_string()))?;
                combined.placements.extend(out.placements);
                if let Some(f) = out.failure {
                    match &mut combined.failure {
                        Some(existing) => existing.unplaced += f.unplaced,
                        None => combined.failure = Some(f),
                    }
                }
            }
            combined
        })
    };
    // The cluster as the caches show it.
    let placed = ctx.stores.live.with_overlay(&cluster, [], &[], place)?;

    let arns = ctx.config.arns();
    let td_arn = arns.task_definition(&revision.family, revision.number);
    let owner = run
        .controller_owner_ref(&())
        .expect("EcsTask has a name and uid");
    let essential = translation.essential_container_names();
    let checked = translation.health_checked_container_names();
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    let mut created = Vec::new();
    let mut events = Vec::new();
    for (index, placement) in placed.placements.iter().enumerate() {
        let mut t = translation.clone();
        t.bind_host_ports(&placement.host_ports)
            .map_err(|e| LaunchError::InvalidParameter(e.to_string()))?;
        let task_id = new_task_id();
        let task = TaskPod {
            namespace: &namespace,
            name: pod_name(&run.name_any(), index),
            task_arn: arns.task(&cluster, &task_id),
            task_id,
            family: &revision.family,
            revision: revision.number,
            task_definition_arn: &td_arn,
            group: &group,
            started_by: run.spec.started_by.as_deref(),
            essential_containers: &essential,
            health_checked_containers: &checked,
            labels: BTreeMap::from([
                (TASK_RUN_LABEL.to_string(), label_value(&run.name_any())),
                (CLUSTER_LABEL.to_string(), label_value(&cluster)),
            ]),
            owner: owner.clone(),
        };
        let mut pod = build_pod(&task, t.pod_spec, &placement.instance);
        pod.metadata
            .annotations
            .get_or_insert_default()
            .extend(t.annotations.clone());
        match api
            .create(
                &PostParams {
                    field_manager: Some(ctx.config.manager.clone()),
                    ..Default::default()
                },
                &pod,
            )
            .await
        {
            Ok(p) => created.push(p),
            // Already created by an earlier attempt: the same task, not a second one.
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut failures = Vec::new();
    if let Some(failure) = &placed.failure {
        let reason = failure
            .closest
            .as_ref()
            .map(|c| c.reason.as_ecs().to_string())
            .unwrap_or_else(|| "RESOURCE:CPU".into());
        for _ in 0..failure.unplaced {
            failures.push(Failure {
                arn: failure
                    .closest
                    .as_ref()
                    .map(|c| arns.container_instance(&cluster, &c.instance)),
                reason: Some(reason.clone()),
                detail: Some(failure.message()),
            });
        }
        events.push(format!("RunTask was {}", failure.message()));
    }
    if !created.is_empty() {
        events.push(format!(
            "started {} tasks of {}:{}",
            created.len(),
            revision.family,
            revision.number
        ));
    }
    Ok(LaunchOutcome {
        created,
        failures,
        events,
    })
}

fn parse_constraint(c: &PlacementConstraint) -> Result<Constraint, LaunchError> {
    Constraint::parse(&enum_str(&c.r#type), c.expression.as_deref())
        .map_err(|e| LaunchError::InvalidParameter(e.to_string()))
}

fn parse_strategy(s: &PlacementStrategy) -> Result<Strategy, LaunchError> {
    Strategy::parse(&enum_str(&s.r#type), s.field.as_deref())
        .map_err(|e| LaunchError::InvalidParameter(e.to_string()))
}
