//! The service's tasks as the plan sees them: its Pods from the cache plus the ones it
//! created but the cache has not shown yet, classified per ECS.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;

use crate::labels::{DEPLOYMENT_LABEL, DRAINING, INSTANCE_STATUS_LABEL};
use crate::rollout::{TaskClass, TaskInfo};
use crate::tasks::{StopCode, TaskObservation, observe};

/// One task: its Pod, what it is, and where.
pub struct TaskView {
    pub pod: Pod,
    pub obs: TaskObservation,
    pub info: TaskInfo,
}

pub fn node_is_draining(node: &Node) -> bool {
    node.spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .unwrap_or(false)
        || node.labels().get(INSTANCE_STATUS_LABEL).map(String::as_str) == Some(DRAINING)
}

/// Seconds the node has been NotReady, if it is.
fn not_ready_for(node: &Node, now: Timestamp) -> Option<i64> {
    let ready = node
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")?;
    if ready.status == "True" {
        return None;
    }
    let since = ready
        .last_transition_time
        .as_ref()
        .map(|t| t.0)
        .unwrap_or(now);
    Some(now.duration_since(since).as_secs())
}

/// When a NotReady node that has tasks will count as lost, if any: the reconcile must
/// come back then (nothing else changes at that moment to trigger it).
pub fn next_loss_check(
    tasks: &[TaskView],
    nodes: &HashMap<String, &Node>,
    now: Timestamp,
    lost_after: i64,
) -> Option<u64> {
    tasks
        .iter()
        .filter_map(|t| t.pod.spec.as_ref()?.node_name.as_ref())
        .filter_map(|n| not_ready_for(nodes.get(n)?, now))
        .filter(|s| *s < lost_after)
        .map(|s| (lost_after - s) as u64)
        .min()
}

/// A node counts as lost (ECS: agent disconnected for good) when it is gone, or NotReady
/// for at least `lost_after` seconds (operator flag `--node-lost-after-seconds`).
pub fn classify(
    pods: Vec<Pod>,
    deleting: &[String],
    nodes: &HashMap<String, &Node>,
    now: Timestamp,
    lost_after: i64,
) -> Vec<TaskView> {
    pods.into_iter()
        .map(|pod| {
            let obs = observe(&pod, now);
            let name = pod.name_any();
            let node_name = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_default();
            let node = nodes.get(&node_name);
            let lost = match node {
                None => true,
                Some(n) => not_ready_for(n, now).is_some_and(|s| s >= lost_after),
            };
            let class = if pod.metadata.deletion_timestamp.is_some()
                || deleting.contains(&name)
                || obs.last_status == crate::tasks::LastStatus::Stopped && obs.stop.is_none()
            {
                TaskClass::Stopping
            } else if let Some(stop) = &obs.stop {
                TaskClass::Condemned {
                    code: stop.code,
                    reason: stop.reason.clone(),
                }
            } else if lost {
                TaskClass::Condemned {
                    code: StopCode::TerminationNotice,
                    reason: format!("Host EC2 (instance {node_name}) terminated."),
                }
            } else if obs.is_running() {
                TaskClass::Running {
                    healthy: obs.health != "UNHEALTHY",
                }
            } else {
                TaskClass::Pending
            };
            let info = TaskInfo {
                id: name,
                deployment: pod
                    .labels()
                    .get(DEPLOYMENT_LABEL)
                    .cloned()
                    .unwrap_or_default(),
                class,
                draining: node.is_some_and(|n| node_is_draining(n)),
            };
            TaskView { pod, obs, info }
        })
        .collect()
}
