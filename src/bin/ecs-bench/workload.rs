//! The one Pod every arm creates. It is built with the operator's own translation and Pod
//! builder, so the raw arm and the Deployment arms write byte-for-byte the Pod the operator
//! writes (fairness rule 1), except what each path must differ in: the raw Pod and the
//! operator's carry `nodeName`; the Deployment's carries the zone/host spread constraints
//! instead, `restartPolicy: Always` (a ReplicaSet accepts nothing else) and the
//! pod-template-hash label its controller adds.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use ecs_operator::api::TaskDefinitionSpec;
use ecs_operator::labels::{CLUSTER_LABEL, DEPLOYMENT_LABEL, SERVICE_LABEL};
use ecs_operator::tasks::{TaskPod, build_pod, new_task_id};
use ecs_operator::translate::{TranslateOptions, translate};
use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

use crate::plane::{CLUSTER, NAMESPACE};

pub const SERVICE: &str = "web";
pub const DEPLOYMENT: &str = "web";
/// ECS quota: tasks per service.
pub const MAX_TASKS_PER_SERVICE: usize = 5000;

/// One essential container, 10 cpu units (10m) and 16 MiB: small enough that capacity
/// never limits placement (nodes have 64 vCPU / 256 GiB), as in scheduler_perf.
pub fn task_definition_spec() -> Value {
    json!({"family": "web", "containerDefinitions": [
        {"name": "web", "image": "registry.k8s.io/pause:3.10", "cpu": 10, "memory": 16, "essential": true}]})
}

/// The Pod the operator creates for one task of service `web` (without `nodeName`).
pub fn reference_pod() -> Result<Pod> {
    let spec: TaskDefinitionSpec = serde_json::from_value(task_definition_spec())?;
    let translation = translate(&spec, None, &TranslateOptions::default())
        .map_err(|e| anyhow::anyhow!("translate the benchmark task definition: {e:?}"))?;
    let task_id = new_task_id();
    let essential = translation.essential_container_names();
    let checked = translation.health_checked_container_names();
    let task = TaskPod {
        namespace: NAMESPACE,
        name: format!("{SERVICE}-{}", &task_id[..10]),
        task_arn: format!("arn:aws:ecs:local:000000000000:task/{CLUSTER}/{task_id}"),
        task_id,
        family: "web",
        revision: 1,
        task_definition_arn: "arn:aws:ecs:local:000000000000:task-definition/web:1",
        group: "service:web",
        started_by: Some("ecs-svc/0123456789abcdef0"),
        essential_containers: &essential,
        health_checked_containers: &checked,
        labels: BTreeMap::from([
            (SERVICE_LABEL.to_string(), SERVICE.to_string()),
            (
                DEPLOYMENT_LABEL.to_string(),
                "0123456789abcdef0".to_string(),
            ),
            (CLUSTER_LABEL.to_string(), CLUSTER.to_string()),
        ]),
        owner: Default::default(),
    };
    let mut pod = build_pod(&task, translation.pod_spec, "");
    pod.metadata
        .annotations
        .get_or_insert_default()
        .extend(translation.annotations);
    pod.metadata.owner_references = None;
    if let Some(spec) = pod.spec.as_mut() {
        spec.node_name = None;
    }
    Ok(pod)
}

/// Raw arm: the reference Pod, named `raw-<i>`, bound to `node` at create.
pub fn raw_pod(reference: &Pod, i: usize, node: &str) -> Pod {
    let mut pod = reference.clone();
    pod.metadata.name = Some(format!("raw-{i:05}"));
    if let Some(spec) = pod.spec.as_mut() {
        spec.node_name = Some(node.to_string());
    }
    pod
}

/// D arms: a Deployment of the reference Pod with a hard zone spread (maxSkew 1) and a soft
/// host spread: the Kubernetes spelling of ECS spread(zone) → spread(instanceId).
pub fn deployment(reference: &Pod, replicas: usize) -> Result<Value> {
    let labels = reference
        .metadata
        .labels
        .clone()
        .context("reference labels")?;
    let mut spec = serde_json::to_value(reference.spec.clone().context("reference spec")?)?;
    spec["restartPolicy"] = json!("Always");
    let selector = json!({"matchLabels": {SERVICE_LABEL: SERVICE}});
    spec["topologySpreadConstraints"] = json!([
        {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": selector},
        {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": selector},
    ]);
    Ok(json!({
        "metadata": {"name": DEPLOYMENT, "namespace": NAMESPACE},
        "spec": {"replicas": replicas, "selector": selector,
                 "template": {"metadata": {"labels": labels, "annotations": reference.metadata.annotations},
                              "spec": spec}}}))
}

pub fn task_definition() -> Value {
    json!({"metadata": {"name": "web", "namespace": NAMESPACE}, "spec": task_definition_spec()})
}

/// O arm: ECS spread by zone, then by instance.
pub fn ecs_service(name: &str, desired: usize) -> Value {
    json!({"metadata": {"name": name, "namespace": NAMESPACE},
           "spec": {"cluster": CLUSTER, "taskDefinition": "web", "desiredCount": desired,
                    "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"},
                                          {"type": "spread", "field": "instanceId"}]}})
}
