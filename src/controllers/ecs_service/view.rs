//! The service's tasks as the plan sees them: its Pods from the cache plus the ones it
//! created but the cache has not shown yet, classified per ECS.

use std::collections::HashMap;
use std::sync::Arc;

use crate::slim_node::SlimNode;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;

use crate::labels::{DEPLOYMENT_LABEL, DRAINING, INSTANCE_STATUS_LABEL};
use crate::rollout::{RunHealth, TaskClass, TaskInfo};
use crate::slim_pod::SlimPod;
use crate::tasks::{
    StopCode, TaskObservation, has_essential_health_check, observe, unknown_window_seconds,
};

/// One task: its Pod, what it is, and where.
pub struct TaskView {
    /// Shared with the cache: a reconcile copies no Pod (a scale-up reconciles once per Pod
    /// event, so copies would cost O(N²)).
    pub pod: Arc<SlimPod>,
    pub obs: TaskObservation,
    pub info: TaskInfo,
    /// Seconds until this task's health changes by time alone.
    pub wake_in: Option<i64>,
}

pub fn node_is_draining(node: &SlimNode) -> bool {
    node.is_cordoned()
        || node.labels().get(INSTANCE_STATUS_LABEL).map(String::as_str) == Some(DRAINING)
}

/// Seconds the node has been NotReady, if it is.
fn not_ready_for(node: &SlimNode, now: Timestamp) -> Option<i64> {
    let ready = node.ready()?;
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

/// What classification needs of a container instance, computed once per reconcile (not
/// once per task: a service of 10,000 tasks on 1,000 instances).
#[derive(Clone, Copy, Debug)]
pub struct NodeFacts {
    /// Seconds the node has been NotReady, if it is.
    pub not_ready_for: Option<i64>,
    pub draining: bool,
}

/// The facts of every node, by name.
pub fn node_facts<'a>(
    nodes: impl IntoIterator<Item = &'a SlimNode>,
    now: Timestamp,
) -> HashMap<&'a str, NodeFacts> {
    nodes
        .into_iter()
        .filter_map(|n| {
            let facts = NodeFacts {
                not_ready_for: not_ready_for(n, now),
                draining: node_is_draining(n),
            };
            Some((n.metadata.name.as_deref()?, facts))
        })
        .collect()
}

fn node_name(pod: &SlimPod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or_default()
}

/// When a NotReady node that has tasks will count as lost, if any: the reconcile must
/// come back then (nothing else changes at that moment to trigger it).
fn next_loss_check(
    tasks: &[TaskView],
    nodes: &HashMap<&str, NodeFacts>,
    lost_after: i64,
) -> Option<u64> {
    tasks
        .iter()
        .filter_map(|t| nodes.get(node_name(&t.pod))?.not_ready_for)
        .filter(|s| *s < lost_after)
        .map(|s| (lost_after - s) as u64)
        .min()
}

/// The time rules a reconcile classifies tasks by.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// A NotReady node counts as lost after this (`--node-lost-after-seconds`).
    pub lost_after: i64,
    /// A RUNNING task without essential health checks is healthy after this (ECS: 40 s).
    pub healthy_after: i64,
    /// The service's healthCheckGracePeriodSeconds: UNHEALTHY is ignored this long.
    pub grace: i64,
}

/// A node counts as lost (ECS: agent disconnected for good) when it is gone, or NotReady
/// for at least `lost_after` seconds (operator flag `--node-lost-after-seconds`).
pub fn classify(
    pods: Vec<Arc<SlimPod>>,
    deleting: &[String],
    nodes: &HashMap<&str, NodeFacts>,
    now: Timestamp,
    rules: Rules,
) -> Vec<TaskView> {
    pods.into_iter()
        .map(|pod| {
            let obs = observe(&pod, now);
            let name = pod.name_any();
            let node_name = node_name(&pod);
            let node = nodes.get(node_name);
            let lost = match node {
                None => true,
                Some(n) => n.not_ready_for.is_some_and(|s| s >= rules.lost_after),
            };
            let ran = obs.ran_for_seconds;
            let mut wake_in = None;
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
                let (health, wake) = run_health(&pod, &obs, ran.unwrap_or(0), rules);
                wake_in = wake;
                TaskClass::Running(health)
            } else {
                TaskClass::Pending
            };
            let mut info = TaskInfo::new(
                name,
                pod.label(DEPLOYMENT_LABEL).unwrap_or_default().to_string(),
                class,
            );
            info.draining = node.is_some_and(|n| n.draining);
            info.reached_running = ran.is_some();
            // Approximation: a stopped Pod does not say whether its checks had passed, so a
            // task counts as having been healthy once it ran for the settle time.
            info.was_healthy = info.was_healthy || ran.is_some_and(|r| r >= rules.healthy_after);
            TaskView {
                pod,
                obs,
                info,
                wake_in,
            }
        })
        .collect()
}

/// §3.3 and §3.6: a task with essential health checks is healthy once they pass; one without
/// after `healthy_after` seconds RUNNING; UNHEALTHY is ignored during the grace period.
/// Also returns when the answer changes by time alone (the reconcile must come back then).
fn run_health(
    pod: &SlimPod,
    obs: &TaskObservation,
    ran: i64,
    rules: Rules,
) -> (RunHealth, Option<i64>) {
    let checked = has_essential_health_check(pod);
    match obs.health {
        "UNHEALTHY" if ran < rules.grace => (RunHealth::Settling, Some(rules.grace - ran)),
        "UNHEALTHY" => (RunHealth::Unhealthy, None),
        "HEALTHY" => (RunHealth::Healthy, None),
        _ if checked => {
            let window = unknown_window_seconds(pod);
            (RunHealth::Settling, (ran < window).then(|| window - ran))
        }
        _ if ran >= rules.healthy_after => (RunHealth::Healthy, None),
        _ => (RunHealth::Settling, Some(rules.healthy_after - ran)),
    }
}

/// Seconds until something about the tasks changes by time alone (a node counts as lost, a
/// task becomes healthy, a grace period ends): nothing else triggers a reconcile then.
pub fn next_wake(
    tasks: &[TaskView],
    nodes: &HashMap<&str, NodeFacts>,
    lost_after: i64,
) -> Option<u64> {
    let loss = next_loss_check(tasks, nodes, lost_after);
    let health = tasks
        .iter()
        .filter_map(|t| t.wake_in)
        .map(|s| s.max(0) as u64)
        .min();
    [loss, health].into_iter().flatten().min()
}
