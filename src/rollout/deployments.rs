//! The life of a service deployment, pure (ecs-semantics.md §3.2, §3.5, §3.7): which
//! deployment is PRIMARY (the spec's, or the circuit breaker's rollback), its rolloutState
//! (IN_PROGRESS → COMPLETED, or FAILED when the breaker trips), its failedTasks, and the
//! back-off of launches that keep failing.

use k8s_openapi::jiff::{SignedDuration, Timestamp};

use crate::api::ecs_service::{Deployment, DeploymentReference, RolloutStatus};
use crate::api::shapes::{DeploymentCircuitBreaker, ThresholdType};
use crate::labels::short_hash;

pub const IN_PROGRESS: &str = "IN_PROGRESS";
pub const COMPLETED: &str = "COMPLETED";
pub const FAILED: &str = "FAILED";

/// ECS's longest launch back-off (§3.7: "up to 15 minutes").
const MAX_BACKOFF_SECS: i64 = 15 * 60;
/// The first back-off; each further failure doubles it. ECS does not publish its curve.
const FIRST_BACKOFF_SECS: i64 = 5;

/// The circuit breaker in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Breaker {
    pub enabled: bool,
    pub rollback: bool,
    pub reset_on_healthy_task: bool,
    /// Failed tasks that trip it.
    pub threshold: u32,
}

impl Breaker {
    /// §3.5: BOUNDED_PERCENT (the default, 50) = clamp(ceil(D × value / 100), 3, 200);
    /// UNBOUNDED_PERCENT = ceil(D × value / 100); COUNT = value. ECS's current minimum of 3
    /// (the archived guide said 10).
    pub fn of(config: Option<&DeploymentCircuitBreaker>, desired: u32) -> Self {
        let Some(c) = config else {
            return Self {
                enabled: false,
                rollback: false,
                reset_on_healthy_task: true,
                threshold: bounded(desired, 50),
            };
        };
        let threshold = match &c.threshold_configuration {
            None => bounded(desired, 50),
            Some(t) => {
                let value = t.value.max(0) as u64;
                let percent = (u64::from(desired) * value).div_ceil(100);
                match t.r#type {
                    ThresholdType::BoundedPercent => bounded(desired, value),
                    ThresholdType::UnboundedPercent => percent.max(1) as u32,
                    ThresholdType::Count => value.max(1) as u32,
                }
            }
        };
        Self {
            enabled: c.enable,
            rollback: c.rollback,
            reset_on_healthy_task: c.reset_on_healthy_task.unwrap_or(true),
            threshold,
        }
    }
}

fn bounded(desired: u32, percent: u64) -> u32 {
    (u64::from(desired) * percent).div_ceil(100).clamp(3, 200) as u32
}

/// The deployment to run instead of the spec's: the rollback of a deployment the breaker
/// failed, for as long as the spec still asks for that failed deployment.
pub fn rollback_for<'a>(
    spec_deployment: &str,
    memory: &'a RolloutStatus,
) -> Option<&'a DeploymentReference> {
    (memory.failed_deployment.as_deref() == Some(spec_deployment))
        .then_some(memory.rollback.as_ref())
        .flatten()
}

/// Forgets a failure the spec has moved away from (any change that starts a new deployment
/// gives the breaker a fresh start).
pub fn forget_stale_failure(spec_deployment: &str, memory: &mut RolloutStatus) {
    if memory
        .failed_deployment
        .as_deref()
        .is_some_and(|f| f != spec_deployment)
    {
        memory.failed_deployment = None;
        memory.rollback = None;
    }
}

/// The id of the deployment that rolls `failed` back to `target` (deterministic, so a
/// restarted operator finds the same one).
pub fn rollback_id(failed: &str, target: &DeploymentReference) -> String {
    let hex = short_hash(&format!("rollback:{failed}:{}", target.id));
    let n = u64::from_str_radix(&hex, 16).unwrap_or(0) % 10_000_000_000_000_000_000;
    format!("ecs-svc/{n:019}")
}

/// The PRIMARY deployment record to build on: the previous one when the same deployment was
/// already PRIMARY, else a new IN_PROGRESS one (a new deployment also resets the launch
/// throttle, §3.7).
pub fn primary_record(
    previous: &[Deployment],
    id: &str,
    task_definition: &str,
    memory: &mut RolloutStatus,
    now: Timestamp,
) -> Deployment {
    if let Some(d) = previous
        .iter()
        .find(|d| d.id == id && d.status == "PRIMARY")
    {
        return d.clone();
    }
    memory.launch_failures = 0;
    memory.next_launch_at = None;
    memory.primary_healthy = 0;
    let rolled_back = memory.rollback.as_ref().is_some_and(|r| r.id == id);
    let reason = match (&memory.last_completed, rolled_back) {
        (Some(target), true) => format!(
            "ECS deployment circuit breaker: rolling back to deploymentId {}.",
            target.id
        ),
        _ => format!("ECS deployment {id} in progress."),
    };
    Deployment {
        id: id.to_string(),
        status: "PRIMARY".into(),
        task_definition: Some(task_definition.to_string()),
        rollout_state: Some(IN_PROGRESS.into()),
        rollout_state_reason: Some(reason),
        created_at: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now)),
        ..Default::default()
    }
}

/// Whether the PRIMARY may launch now.
pub fn gate(record: &Deployment, memory: &RolloutStatus, now: Timestamp) -> super::LaunchGate {
    if record.rollout_state.as_deref() == Some(FAILED) {
        super::LaunchGate::Failed
    } else if memory.next_launch_at.as_ref().is_some_and(|t| t.0 > now) {
        super::LaunchGate::Throttled
    } else {
        super::LaunchGate::Open
    }
}

/// What one reconcile saw of the PRIMARY deployment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub breaker_failures: u32,
    pub launch_failures: u32,
    pub primary_healthy: u32,
    pub primary_running: u32,
    /// Steady state reached (and nothing written this round).
    pub steady: bool,
}

/// Moves the PRIMARY record and the memory forward; returns the ECS service events.
pub fn advance(
    record: &mut Deployment,
    memory: &mut RolloutStatus,
    progress: Progress,
    breaker: Breaker,
    service_name: &str,
    now: Timestamp,
) -> Vec<String> {
    let mut events = Vec::new();
    // §3.7: only tasks that never reached RUNNING are throttled; a healthy one resets it.
    if progress.launch_failures > 0 {
        memory.launch_failures += progress.launch_failures as i32;
        let exponent = (memory.launch_failures - 1).clamp(0, 20) as u32;
        let delay = (FIRST_BACKOFF_SECS << exponent).min(MAX_BACKOFF_SECS);
        memory.next_launch_at = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            now + SignedDuration::from_secs(delay),
        ));
        if memory.launch_failures >= 2 {
            events.push(format!(
                "service {service_name} is unable to consistently start tasks successfully."
            ));
        }
    } else if progress.primary_healthy > 0 {
        // A task that starts and stays up (healthy) shows launches succeed again; a task
        // merely seen RUNNING for an instant does not.
        memory.launch_failures = 0;
        memory.next_launch_at = None;
    }

    let state = record.rollout_state.clone().unwrap_or_default();
    if state == IN_PROGRESS {
        // §3.5: failedTasks counts consecutive failures; a task turning healthy resets it.
        if breaker.reset_on_healthy_task && progress.primary_healthy as i32 > memory.primary_healthy
        {
            record.failed_tasks = 0;
        }
        record.failed_tasks += progress.breaker_failures as i32;
        if breaker.enabled && record.failed_tasks as u32 >= breaker.threshold {
            record.rollout_state = Some(FAILED.into());
            record.rollout_state_reason =
                Some("ECS deployment circuit breaker: task failed to start.".into());
            events.push(format!(
                "service {service_name} (deployment {}) deployment failed: tasks failed to start.",
                record.id
            ));
            let target = memory.last_completed.clone().filter(|t| t.id != record.id);
            let is_rollback = memory.rollback.as_ref().is_some_and(|r| r.id == record.id);
            match target {
                // A failed rollback is not rolled back again: it stays FAILED.
                Some(target) if breaker.rollback && !is_rollback => {
                    events.push(format!(
                        "service {service_name} (deployment {}) rolling back to deploymentId {}.",
                        record.id, target.id
                    ));
                    memory.rollback = Some(DeploymentReference {
                        id: rollback_id(&record.id, &target),
                        task_definition: target.task_definition.clone(),
                    });
                    memory.failed_deployment = Some(record.id.clone());
                }
                _ => memory.failed_deployment = Some(record.id.clone()),
            }
        } else if progress.steady {
            record.rollout_state = Some(COMPLETED.into());
            record.rollout_state_reason = Some(format!("ECS deployment {} completed.", record.id));
            memory.last_completed = Some(DeploymentReference {
                id: record.id.clone(),
                task_definition: record.task_definition.clone().unwrap_or_default(),
            });
        }
    }
    memory.primary_healthy = progress.primary_healthy as i32;
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::shapes::ThresholdConfiguration;
    use crate::rollout::LaunchGate;

    fn now() -> Timestamp {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }
    fn breaker(rollback: bool) -> Breaker {
        Breaker {
            enabled: true,
            rollback,
            reset_on_healthy_task: true,
            threshold: 3,
        }
    }
    fn failing(n: u32) -> Progress {
        Progress {
            breaker_failures: n,
            ..Default::default()
        }
    }

    #[test]
    fn threshold_follows_ecs_bounds() {
        let cb = |t: Option<(ThresholdType, i32)>| DeploymentCircuitBreaker {
            enable: true,
            rollback: false,
            reset_on_healthy_task: None,
            threshold_configuration: t
                .map(|(r#type, value)| ThresholdConfiguration { r#type, value }),
        };
        assert_eq!(Breaker::of(Some(&cb(None)), 1).threshold, 3, "min 3");
        assert_eq!(Breaker::of(Some(&cb(None)), 25).threshold, 13, "ceil(12.5)");
        assert_eq!(Breaker::of(Some(&cb(None)), 800).threshold, 200, "max 200");
        let unbounded = cb(Some((ThresholdType::UnboundedPercent, 50)));
        assert_eq!(Breaker::of(Some(&unbounded), 2).threshold, 1);
        assert_eq!(Breaker::of(Some(&unbounded), 800).threshold, 400);
        let count = cb(Some((ThresholdType::Count, 7)));
        assert_eq!(Breaker::of(Some(&count), 100).threshold, 7);
        assert!(!Breaker::of(None, 4).enabled);
    }

    #[test]
    fn a_deployment_completes_at_steady_state_and_becomes_the_rollback_target() {
        let mut memory = RolloutStatus::default();
        let mut d = primary_record(&[], "ecs-svc/1", "td:1", &mut memory, now());
        assert_eq!(d.rollout_state.as_deref(), Some(IN_PROGRESS));
        let progress = Progress {
            steady: true,
            ..Default::default()
        };
        advance(&mut d, &mut memory, progress, breaker(true), "web", now());
        assert_eq!(d.rollout_state.as_deref(), Some(COMPLETED));
        assert_eq!(memory.last_completed.as_ref().unwrap().id, "ecs-svc/1");
    }

    #[test]
    fn the_breaker_trips_at_the_threshold_and_rolls_back() {
        let mut memory = RolloutStatus {
            last_completed: Some(DeploymentReference {
                id: "ecs-svc/1".into(),
                task_definition: "td:1".into(),
            }),
            ..Default::default()
        };
        let mut d = primary_record(&[], "ecs-svc/2", "td:2", &mut memory, now());
        advance(&mut d, &mut memory, failing(2), breaker(true), "web", now());
        assert_eq!(d.rollout_state.as_deref(), Some(IN_PROGRESS));
        let events = advance(&mut d, &mut memory, failing(1), breaker(true), "web", now());
        assert_eq!(d.rollout_state.as_deref(), Some(FAILED));
        assert_eq!(
            d.rollout_state_reason.as_deref(),
            Some("ECS deployment circuit breaker: task failed to start.")
        );
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(gate(&d, &memory, now()), LaunchGate::Failed);
        let rollback = rollback_for("ecs-svc/2", &memory).expect("a rollback");
        assert_eq!(rollback.task_definition, "td:1");
        assert_ne!(rollback.id, "ecs-svc/1", "a new deployment, as in ECS");
        let r = primary_record(&[d], &rollback.id.clone(), "td:1", &mut memory, now());
        assert_eq!(
            r.rollout_state_reason.as_deref(),
            Some("ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.")
        );
    }

    #[test]
    fn without_rollback_the_failed_deployment_stays_primary() {
        let mut memory = RolloutStatus::default();
        let mut d = primary_record(&[], "ecs-svc/2", "td:2", &mut memory, now());
        advance(
            &mut d,
            &mut memory,
            failing(3),
            breaker(false),
            "web",
            now(),
        );
        assert_eq!(d.rollout_state.as_deref(), Some(FAILED));
        assert!(rollback_for("ecs-svc/2", &memory).is_none());
        assert_eq!(memory.failed_deployment.as_deref(), Some("ecs-svc/2"));
        forget_stale_failure("ecs-svc/3", &mut memory);
        assert_eq!(
            memory.failed_deployment, None,
            "a new deployment clears the failure"
        );
    }

    #[test]
    fn a_healthy_task_resets_the_count() {
        let mut memory = RolloutStatus::default();
        let mut d = primary_record(&[], "ecs-svc/2", "td:2", &mut memory, now());
        advance(
            &mut d,
            &mut memory,
            failing(2),
            breaker(false),
            "web",
            now(),
        );
        let healthy = Progress {
            breaker_failures: 1,
            primary_healthy: 1,
            ..Default::default()
        };
        advance(&mut d, &mut memory, healthy, breaker(false), "web", now());
        assert_eq!(d.failed_tasks, 1, "reset to 0, then this round's failure");
        assert_eq!(d.rollout_state.as_deref(), Some(IN_PROGRESS));
    }

    #[test]
    fn a_disabled_breaker_counts_but_never_trips() {
        let mut memory = RolloutStatus::default();
        let mut d = primary_record(&[], "ecs-svc/2", "td:2", &mut memory, now());
        let off = Breaker {
            enabled: false,
            ..breaker(true)
        };
        advance(&mut d, &mut memory, failing(10), off, "web", now());
        assert_eq!(
            (d.failed_tasks, d.rollout_state.as_deref()),
            (10, Some(IN_PROGRESS))
        );
    }

    #[test]
    fn launch_failures_back_off_and_a_new_deployment_resets() {
        let mut memory = RolloutStatus::default();
        let mut d = primary_record(&[], "ecs-svc/2", "td:2", &mut memory, now());
        let launch = Progress {
            launch_failures: 1,
            ..Default::default()
        };
        advance(&mut d, &mut memory, launch, breaker(false), "web", now());
        let first = memory.next_launch_at.clone().unwrap().0;
        assert_eq!(gate(&d, &memory, now()), LaunchGate::Throttled);
        let events = advance(&mut d, &mut memory, launch, breaker(false), "web", now());
        let second = memory.next_launch_at.clone().unwrap().0;
        assert!(
            second.duration_since(now()) > first.duration_since(now()),
            "grows"
        );
        assert!(events[0].contains("unable to consistently start tasks"));
        for _ in 0..30 {
            advance(&mut d, &mut memory, launch, breaker(false), "web", now());
        }
        let capped = memory.next_launch_at.clone().unwrap().0;
        assert_eq!(capped.duration_since(now()).as_secs(), MAX_BACKOFF_SECS);
        primary_record(&[d], "ecs-svc/3", "td:3", &mut memory, now());
        assert_eq!(
            (memory.launch_failures, memory.next_launch_at.clone()),
            (0, None)
        );
    }
}
