//! `status.tasks[]`: the ECS Task record of every task of the run, kept after its Pod is
//! gone. Returns the Pods to delete (tasks that must stop), whose stop is recorded first.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

use crate::api::ecs_task::{Container, Task};
use crate::api::{EcsTask, EcsTaskStatus};
use crate::controllers::Ctx;
use crate::labels::{
    GROUP_KEY, STARTED_BY_ANNOTATION, TASK_ARN_ANNOTATION, TASK_DEFINITION_ARN_ANNOTATION,
};
use crate::slim_pod::SlimPod;
use crate::tasks::{LastStatus, StopCode, observe};

pub fn update_tasks(
    ctx: &Ctx,
    run: &EcsTask,
    status: &mut EcsTaskStatus,
    pods: &[SlimPod],
    now: &Time,
) -> Vec<String> {
    let mut to_stop = Vec::new();
    let stop_requested = run.spec.desired_status.as_deref() == Some("STOPPED");
    for pod in pods {
        let name = pod.name_any();
        let obs = observe(pod, now.0);
        let annotation = |key| pod.annotation(key).map(str::to_string);
        let index = status
            .tasks
            .iter()
            .position(|t| t.pod_name.as_deref() == Some(name.as_str()));
        let mut task = index
            .map(|i| status.tasks[i].clone())
            .unwrap_or_else(|| Task {
                task_arn: annotation(TASK_ARN_ANNOTATION),
                pod_name: Some(name.clone()),
                task_definition_arn: annotation(TASK_DEFINITION_ARN_ANNOTATION),
                cluster_arn: Some(ctx.config.arns().cluster(crate::arn::cluster_name(
                    run.spec.cluster.as_deref().unwrap_or("default"),
                ))),
                container_instance_arn: pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).map(
                    |n| {
                        let cluster = crate::arn::cluster_name(
                            run.spec.cluster.as_deref().unwrap_or("default"),
                        );
                        ctx.config.arns().container_instance(cluster, n)
                    },
                ),
                group: annotation(GROUP_KEY),
                started_by: annotation(STARTED_BY_ANNOTATION),
                created_at: pod
                    .metadata
                    .creation_timestamp
                    .clone()
                    .or_else(|| Some(now.clone())),
                ..Default::default()
            });
        if task.last_status.as_deref() == Some("STOPPED") {
            // A recorded stop is final; the Pod only lingers until deleted.
            if pod.metadata.deletion_timestamp.is_none() {
                to_stop.push(name);
            }
            continue;
        }
        task.availability_zone = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .and_then(|n| {
                ctx.stores
                    .nodes
                    .state()
                    .into_iter()
                    .find(|node| node.name_any() == n)
            })
            .and_then(|node| node.labels().get(crate::labels::ZONE_LABEL).cloned());
        task.last_status = Some(obs.last_status.as_str().to_string());
        task.desired_status = Some(obs.desired_status.to_string());
        task.health_status = Some(obs.health.to_string());
        task.containers = crate::tasks::observe::containers(pod)
            .iter()
            .map(|c| Container {
                name: c.name.clone(),
                image: None,
                last_status: Some(c.last_status.to_string()),
                exit_code: c.exit_code,
                reason: c.reason.clone(),
                health_status: Some(c.health.to_string()),
                network_bindings: network_bindings(pod, &c.name),
            })
            .collect();
        if task.started_at.is_none() {
            task.started_at = obs.started_at.map(Time);
        }
        let stop = obs.stop.clone().map(|s| (s.code, s.reason)).or_else(|| {
            stop_requested.then(|| (StopCode::UserInitiated, "Task stopped by user".to_string()))
        });
        if let Some((code, reason)) = stop {
            task.last_status = Some(LastStatus::Stopped.as_str().to_string());
            task.desired_status = Some("STOPPED".into());
            task.stop_code = Some(code.as_str().to_string());
            task.stopped_reason = Some(reason);
            task.stopping_at = Some(now.clone());
            task.stopped_at = Some(now.clone());
            to_stop.push(name);
        }
        match index {
            Some(i) => status.tasks[i] = task,
            None => status.tasks.push(task),
        }
    }
    // A task whose Pod vanished without a recorded stop (deleted by someone, node lost).
    for task in status.tasks.iter_mut() {
        let gone = !pods.iter().any(|p| Some(p.name_any()) == task.pod_name);
        if gone && task.last_status.as_deref() != Some("STOPPED") {
            task.last_status = Some("STOPPED".into());
            task.desired_status = Some("STOPPED".into());
            task.stop_code = Some(StopCode::UserInitiated.as_str().into());
            task.stopped_reason = Some("Task Pod was deleted".into());
            task.stopped_at = Some(now.clone());
        }
    }
    status.tasks.sort_by(|a, b| a.pod_name.cmp(&b.pod_name));
    to_stop
}

/// The host-port bindings of container `name` in the Pod spec (ECS networkBindings).
fn network_bindings(pod: &SlimPod, name: &str) -> Vec<crate::api::ecs_task::NetworkBinding> {
    let host_network = pod
        .spec
        .as_ref()
        .and_then(|s| s.host_network)
        .unwrap_or(false);
    pod.spec
        .iter()
        .flat_map(|s| {
            s.containers
                .iter()
                .chain(s.init_containers.iter().flatten())
        })
        .filter(|c| c.name == name)
        .flat_map(|c| c.ports.iter().flatten())
        .filter_map(|p| {
            let host_port = p.host_port.or(host_network.then_some(p.container_port))?;
            Some(crate::api::ecs_task::NetworkBinding {
                bind_ip: Some(p.host_ip.clone().unwrap_or_else(|| "0.0.0.0".into())),
                container_port: Some(p.container_port),
                host_port: Some(host_port),
                protocol: Some(p.protocol.as_deref().unwrap_or("TCP").to_ascii_lowercase()),
            })
        })
        .collect()
}
