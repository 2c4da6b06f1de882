//! ECS task state derived from a Pod (ecs-semantics.md §4): `lastStatus`, `desiredStatus`,
//! container states and exit codes, health from essential containers, and why the task
//! stopped or must stop.

use crate::slim_pod::{SlimContainerStatus, SlimPod};
use k8s_openapi::jiff::Timestamp;

use crate::labels::{ESSENTIAL_CONTAINERS_ANNOTATION, HEALTH_CHECKED_CONTAINERS_ANNOTATION};
use crate::translate::annotations::HEALTH_UNKNOWN_WINDOW;

/// ECS task `lastStatus`. Ordered: a task only moves forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LastStatus {
    Provisioning,
    Pending,
    Activating,
    Running,
    Deactivating,
    Stopping,
    Deprovisioning,
    Stopped,
}

impl LastStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [LastStatus; 8] = [
        Self::Provisioning,
        Self::Pending,
        Self::Activating,
        Self::Running,
        Self::Deactivating,
        Self::Stopping,
        Self::Deprovisioning,
        Self::Stopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioning => "PROVISIONING",
            Self::Pending => "PENDING",
            Self::Activating => "ACTIVATING",
            Self::Running => "RUNNING",
            Self::Deactivating => "DEACTIVATING",
            Self::Stopping => "STOPPING",
            Self::Deprovisioning => "DEPROVISIONING",
            Self::Stopped => "STOPPED",
        }
    }
}

/// ECS TaskStopCode (ecs-semantics.md §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopCode {
    TaskFailedToStart,
    EssentialContainerExited,
    UserInitiated,
    ServiceSchedulerInitiated,
    TerminationNotice,
}

impl StopCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TaskFailedToStart => "TaskFailedToStart",
            Self::EssentialContainerExited => "EssentialContainerExited",
            Self::UserInitiated => "UserInitiated",
            Self::ServiceSchedulerInitiated => "ServiceSchedulerInitiated",
            Self::TerminationNotice => "TerminationNotice",
        }
    }
}

/// Why a task stopped (or must be stopped now).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskStop {
    pub code: StopCode,
    pub reason: String,
}

/// One container, ECS-style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerState {
    pub name: String,
    pub last_status: &'static str,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub health: &'static str,
    pub essential: bool,
}

/// Everything the controllers need to know about one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskObservation {
    pub last_status: LastStatus,
    /// RUNNING, or STOPPED once the task is stopping or must stop.
    pub desired_status: &'static str,
    /// HEALTHY, UNHEALTHY or UNKNOWN, from essential containers only.
    pub health: &'static str,
    /// Set when the task stopped or must be stopped by the operator (essential exit,
    /// failed start). The operator records it, then deletes the Pod.
    pub stop: Option<TaskStop>,
    /// When every container started running (the task's startedAt).
    pub started_at: Option<Timestamp>,
    /// How long the task's containers ran, if they ever did: until now while running, until
    /// they finished once stopped. `None` = never reached RUNNING (ECS's launch throttle and
    /// circuit breaker tell these apart, §3.5, §3.7).
    pub ran_for_seconds: Option<i64>,
}

impl TaskObservation {
    /// Counts toward `runningCount`.
    pub fn is_running(&self) -> bool {
        self.last_status == LastStatus::Running && self.stop.is_none()
    }
    /// Counts toward `pendingCount`.
    pub fn is_pending(&self) -> bool {
        self.last_status < LastStatus::Running && self.stop.is_none()
    }
    /// Still wanted: not stopping, not stopped, not condemned.
    pub fn is_live(&self) -> bool {
        self.desired_status == "RUNNING"
    }
}

/// Waiting reasons that mean the container will not start without a change: ECS stops such
/// a task with `TaskFailedToStart` instead of retrying forever as a kubelet does.
const FAILED_TO_START: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "ErrImageNeverPull",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

/// Whether `name` is in a comma-separated list (an annotation's value). Read in place:
/// observe runs for every task of a service on every reconcile, so it allocates as little
/// as it can.
fn listed(list: &str, name: &str) -> bool {
    list.split(',').any(|s| !s.is_empty() && s == name)
}

/// The task's health-check unknown window (see [`HEALTH_UNKNOWN_WINDOW`]).
pub fn unknown_window_seconds(pod: &SlimPod) -> i64 {
    pod.annotation(HEALTH_UNKNOWN_WINDOW)
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(DEFAULT_UNKNOWN_WINDOW_SECS)
}

/// Whether an essential container of the task has a health check (then task health comes
/// from the checks; without one, from time RUNNING, §3.3).
pub fn has_essential_health_check(pod: &SlimPod) -> bool {
    let checked = pod.annotation(HEALTH_CHECKED_CONTAINERS_ANNOTATION);
    let essential = pod.annotation(ESSENTIAL_CONTAINERS_ANNOTATION);
    checked
        .into_iter()
        .flat_map(|list| list.split(','))
        .filter(|c| !c.is_empty())
        .any(|c| essential.is_none_or(|e| listed(e, c)))
}

/// One container's ECS state, read from the Pod without building its record.
#[derive(Clone, Copy)]
struct Facts {
    last_status: &'static str,
    health: &'static str,
    essential: bool,
}

/// The task's containers in spec order: name, status, facts.
fn container_facts<'a>(
    pod: &'a SlimPod,
) -> impl Iterator<Item = (&'a str, Option<&'a SlimContainerStatus>, Facts)> + 'a {
    // Containers are essential unless the pod says otherwise (ECS default: essential).
    let essential = pod.annotation(ESSENTIAL_CONTAINERS_ANNOTATION);
    let health_checked = pod.annotation(HEALTH_CHECKED_CONTAINERS_ANNOTATION);
    let statuses = container_statuses(pod);
    pod.spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .map(move |c| {
            let name = c.name.as_str();
            let s = statuses.iter().find(|s| s.name == name);
            let last_status = container_last_status(s);
            let checked = health_checked.is_some_and(|h| listed(h, name));
            let health = match (checked, last_status, s.map(|s| s.ready)) {
                (false, _, _) => "UNKNOWN",
                (true, "RUNNING", Some(true)) => "HEALTHY",
                (true, "RUNNING", _) => "UNHEALTHY",
                _ => "UNKNOWN",
            };
            let facts = Facts {
                last_status,
                health,
                essential: essential.is_none_or(|e| listed(e, name)),
            };
            (name, s, facts)
        })
}

fn container_statuses(pod: &SlimPod) -> &[SlimContainerStatus] {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default()
}

/// RUNNING, STOPPED or PENDING.
fn container_last_status(s: Option<&SlimContainerStatus>) -> &'static str {
    let state = s.and_then(|s| s.state.as_ref());
    if state.is_some_and(|s| s.terminated.is_some()) {
        "STOPPED"
    } else if state.is_some_and(|s| s.running.is_some()) {
        "RUNNING"
    } else {
        "PENDING"
    }
}

/// The task's containers, ECS-style (the EcsTask record's `containers`).
pub fn containers(pod: &SlimPod) -> Vec<ContainerState> {
    container_facts(pod)
        .map(|(name, s, facts)| container_state(name, s, facts))
        .collect()
}

/// What the task's state is derived from, counted over its containers.
#[derive(Default)]
struct Summary {
    containers: usize,
    running: usize,
    essential: usize,
    essential_running: usize,
    essential_stopped: bool,
    essential_failing: bool,
    essential_healthy: usize,
}

impl Summary {
    fn of(pod: &SlimPod) -> Self {
        container_facts(pod).fold(Self::default(), |mut sum, (_, _, f)| {
            let running = f.last_status == "RUNNING";
            sum.containers += 1;
            sum.running += usize::from(running);
            if f.essential {
                sum.essential += 1;
                sum.essential_running += usize::from(running);
                sum.essential_stopped |= f.last_status == "STOPPED";
                sum.essential_failing |= f.health == "UNHEALTHY";
                sum.essential_healthy += usize::from(f.health == "HEALTHY");
            }
            sum
        })
    }
}

/// Derives the ECS task state of `pod` at time `now`. Runs for every task of a service on
/// every reconcile, so it allocates nothing for a task that has not stopped: the containers'
/// records are `containers`, for the readers that need them.
pub fn observe(pod: &SlimPod, now: Timestamp) -> TaskObservation {
    let status = pod.status.as_ref();
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
    let statuses = container_statuses(pod);
    let sum = Summary::of(pod);

    // ECS §4.2: any essential container that stops stops the task, with ECS's exact
    // stoppedReason; which container and its exit code are in the container records.
    let stop = sum
        .essential_stopped
        .then(essential_exit)
        .or_else(|| failed_to_start(statuses))
        .or_else(|| (phase == "Failed" || phase == "Succeeded").then(essential_exit));

    let deleting = pod.metadata.deletion_timestamp.is_some();
    let all_running = sum.containers > 0 && sum.running == sum.containers;
    let any_essential_running = sum.essential_running > 0;
    // Non-essential containers may have exited without affecting the task.
    let essentials_running = sum.essential_running == sum.essential;
    let last_status = if phase == "Failed" || phase == "Succeeded" {
        LastStatus::Stopped
    } else if deleting {
        LastStatus::Stopping
    } else if stop.is_some() {
        LastStatus::Deactivating
    } else if phase == "Running" && (all_running || any_essential_running && essentials_running) {
        LastStatus::Running
    } else if phase == "Running" {
        LastStatus::Activating
    } else {
        LastStatus::Pending
    };
    let desired_status = if deleting || stop.is_some() || last_status == LastStatus::Stopped {
        "STOPPED"
    } else {
        "RUNNING"
    };
    let started_at = statuses
        .iter()
        .filter_map(|s| {
            s.state
                .as_ref()?
                .running
                .as_ref()?
                .started_at
                .as_ref()
                .map(|t| t.0)
        })
        .max();
    let health = task_health(&sum, started_at, now, || unknown_window_seconds(pod));
    let ran_for_seconds = statuses
        .iter()
        .filter_map(|s| {
            let state = s.state.as_ref()?;
            if let Some(r) = &state.running {
                let since = r.started_at.as_ref()?.0;
                Some(now.duration_since(since).as_secs())
            } else {
                let t = state.terminated.as_ref()?;
                let (start, end) = (t.started_at.as_ref()?.0, t.finished_at.as_ref()?.0);
                Some(end.duration_since(start).as_secs())
            }
        })
        .max();
    TaskObservation {
        last_status,
        desired_status,
        health,
        stop,
        started_at,
        ran_for_seconds,
    }
}

/// One container's record: its facts with the exit code and the reason it stopped or waits.
fn container_state(name: &str, s: Option<&SlimContainerStatus>, facts: Facts) -> ContainerState {
    let state = s.and_then(|s| s.state.as_ref());
    let (exit_code, reason) = if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
        (
            Some(t.exit_code),
            t.reason.clone().or_else(|| t.message.clone()),
        )
    } else {
        let waiting = state.and_then(|s| s.waiting.as_ref());
        (None, waiting.and_then(|w| w.reason.clone()))
    };
    ContainerState {
        name: name.to_string(),
        last_status: facts.last_status,
        exit_code,
        reason,
        health: facts.health,
        essential: facts.essential,
    }
}

fn essential_exit() -> TaskStop {
    TaskStop {
        code: StopCode::EssentialContainerExited,
        reason: "Essential container in task exited".to_string(),
    }
}

fn failed_to_start(statuses: &[SlimContainerStatus]) -> Option<TaskStop> {
    statuses.iter().find_map(|s| {
        let waiting = s.state.as_ref()?.waiting.as_ref()?;
        let reason = waiting.reason.as_deref()?;
        FAILED_TO_START.contains(&reason).then(|| {
            let prefix = if reason.contains("Image") {
                "CannotPullContainerError"
            } else {
                "CannotCreateContainerError"
            };
            let message = waiting
                .message
                .clone()
                .unwrap_or_else(|| reason.to_string());
            TaskStop {
                code: StopCode::TaskFailedToStart,
                reason: format!("{prefix}: {}: {message}", s.name),
            }
        })
    })
}

/// The unknown window of a Pod without the annotation (made before it existed).
const DEFAULT_UNKNOWN_WINDOW_SECS: i64 = 60;

/// ECS §4.5: UNHEALTHY > UNKNOWN > HEALTHY over essential containers. A health-checked
/// container that is running but not (yet) ready is UNKNOWN during the task's unknown window
/// (start period + retries × interval + timeout: its checks have not had the chance to pass),
/// UNHEALTHY after.
fn task_health(
    sum: &Summary,
    started_at: Option<Timestamp>,
    now: Timestamp,
    // Read only for a failing check (an annotation lookup per task per reconcile otherwise).
    window: impl FnOnce() -> i64,
) -> &'static str {
    if sum.essential_failing
        && started_at.is_none_or(|t| now.duration_since(t).as_secs() >= window())
    {
        "UNHEALTHY"
    } else if sum.essential == 0 || sum.essential_healthy < sum.essential {
        "UNKNOWN"
    } else {
        "HEALTHY"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(value: serde_json::Value) -> SlimPod {
        serde_json::from_value(value).unwrap()
    }

    fn two_containers(statuses: serde_json::Value, phase: &str) -> SlimPod {
        annotated(
            statuses,
            phase,
            json!({ESSENTIAL_CONTAINERS_ANNOTATION: "app"}),
        )
    }

    fn annotated(
        statuses: serde_json::Value,
        phase: &str,
        annotations: serde_json::Value,
    ) -> SlimPod {
        pod(json!({
            "metadata": {"name": "t", "annotations": annotations},
            "spec": {"containers": [{"name": "app", "image": "a"}, {"name": "sidecar", "image": "b"}]},
            "status": {"phase": phase, "containerStatuses": statuses}
        }))
    }

    fn running(name: &str) -> serde_json::Value {
        json!({"name": name, "image": "x", "imageID": "", "ready": true, "restartCount": 0,
               "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}})
    }

    fn exited(name: &str, code: i32) -> serde_json::Value {
        json!({"name": name, "image": "x", "imageID": "", "ready": false, "restartCount": 0,
               "state": {"terminated": {"exitCode": code, "reason": "Error"}}})
    }

    fn now() -> Timestamp {
        "2026-01-01T01:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_pod_with_every_container_running_is_a_running_task() {
        let o = observe(
            &two_containers(json!([running("app"), running("sidecar")]), "Running"),
            now(),
        );
        assert_eq!(o.last_status, LastStatus::Running);
        assert!(o.is_running() && o.is_live());
        assert_eq!(o.stop, None);
    }

    #[test]
    fn an_essential_exit_stops_the_task_with_its_exit_code() {
        let pod = two_containers(json!([exited("app", 137), running("sidecar")]), "Running");
        let o = observe(&pod, now());
        let stop = o.stop.clone().unwrap();
        assert_eq!(stop.code, StopCode::EssentialContainerExited);
        assert_eq!(stop.reason, "Essential container in task exited");
        assert_eq!(o.desired_status, "STOPPED");
        assert!(!o.is_running());
        assert_eq!(containers(&pod)[0].exit_code, Some(137));
    }

    #[test]
    fn a_non_essential_exit_leaves_the_task_running() {
        let pod = two_containers(json!([running("app"), exited("sidecar", 1)]), "Running");
        let o = observe(&pod, now());
        assert_eq!(o.stop, None);
        assert_eq!(o.last_status, LastStatus::Running);
        let records = containers(&pod);
        assert_eq!(records[1].last_status, "STOPPED");
        assert!(!records[1].essential);
    }

    #[test]
    fn image_pull_failures_fail_the_start() {
        let status = json!([{"name": "app", "image": "x", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "ImagePullBackOff", "message": "not found"}}}]);
        let o = observe(&two_containers(status, "Pending"), now());
        assert_eq!(o.stop.unwrap().code, StopCode::TaskFailedToStart);
    }

    #[test]
    fn a_scheduled_pod_without_statuses_is_pending_and_deleting_pods_are_stopping() {
        let mut p = two_containers(json!([]), "Pending");
        assert_eq!(observe(&p, now()).last_status, LastStatus::Pending);
        assert!(observe(&p, now()).is_pending());
        p.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now()));
        let o = observe(&p, now());
        assert_eq!(
            (o.last_status, o.desired_status),
            (LastStatus::Stopping, "STOPPED")
        );
    }

    #[test]
    fn health_comes_from_essential_containers_only() {
        let mut p = annotated(
            json!([running("app"), running("sidecar")]),
            "Running",
            json!({ESSENTIAL_CONTAINERS_ANNOTATION: "app", HEALTH_CHECKED_CONTAINERS_ANNOTATION: "app,sidecar"}),
        );
        assert_eq!(observe(&p, now()).health, "HEALTHY");
        let set_ready = |p: &mut SlimPod, i: usize, ready: bool| {
            p.status
                .as_mut()
                .unwrap()
                .container_statuses
                .as_mut()
                .unwrap()[i]
                .ready = ready;
        };
        set_ready(&mut p, 1, false); // sidecar (non-essential) unhealthy: no effect
        assert_eq!(observe(&p, now()).health, "HEALTHY");
        set_ready(&mut p, 0, false);
        assert_eq!(observe(&p, now()).health, "UNHEALTHY");
    }
}
