//! The rolling-update loop of ecs-semantics.md §3.4 (its batching is [inferred]; the
//! bounds are documented): with `lo = ceil(D × min% / 100)` healthy tasks kept and at most
//! `hi = floor(D × max% / 100)` live tasks (§3.3), start PRIMARY tasks up to D, stop tasks
//! that must go (stopped containers, lost instances) at once, replace old-deployment,
//! draining and UNHEALTHY tasks within the bounds, and scale in surplus PRIMARY tasks.

use crate::tasks::StopCode;

/// ECS's stoppedReason for a task replaced because its health checks failed (§3.6).
pub const UNHEALTHY_REASON: &str = "Task failed container health checks";

/// Health of a RUNNING task as minimumHealthyPercent counts it (§3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunHealth {
    /// Counts toward minimumHealthyPercent: its essential health checks pass, or it has none
    /// and has been RUNNING for the settle time (40 s in ECS).
    Healthy,
    /// Not yet healthy (checks not passed yet, inside the settle time, or UNHEALTHY inside
    /// the service's healthCheckGracePeriodSeconds): neither counted nor replaced.
    Settling,
    /// UNHEALTHY after the grace period: replaced start-first (§3.6).
    Unhealthy,
}

/// What a task is, for counting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskClass {
    /// Placed, not yet RUNNING.
    Pending,
    Running(RunHealth),
    /// Already stopping or stopped (Pod deleting / terminal): not live, not counted.
    Stopping,
    /// Must stop now (essential container exited, failed to start, instance lost), with
    /// the ECS stop code and reason.
    Condemned {
        code: StopCode,
        reason: String,
    },
}

/// One task of the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    pub id: String,
    pub deployment: String,
    pub class: TaskClass,
    /// On a DRAINING container instance: to be replaced elsewhere (§6.2).
    pub draining: bool,
    /// The task reached RUNNING at some point (throttling only counts tasks that never did,
    /// §3.7).
    pub reached_running: bool,
    /// The task was healthy at some point (a condemned task that never was counts as a
    /// circuit-breaker failure, §3.5).
    pub was_healthy: bool,
}

impl TaskInfo {
    pub fn new(id: impl Into<String>, deployment: impl Into<String>, class: TaskClass) -> Self {
        let reached_running = matches!(class, TaskClass::Running(_));
        let was_healthy = class == TaskClass::Running(RunHealth::Healthy);
        Self {
            id: id.into(),
            deployment: deployment.into(),
            class,
            draining: false,
            reached_running,
            was_healthy,
        }
    }
    fn is_live(&self) -> bool {
        matches!(self.class, TaskClass::Pending | TaskClass::Running(_))
    }
    fn is_healthy(&self) -> bool {
        self.class == TaskClass::Running(RunHealth::Healthy)
    }
    fn is_unhealthy(&self) -> bool {
        self.class == TaskClass::Running(RunHealth::Unhealthy)
    }
    /// Stopped for a reason of its own (not the scheduler's, not the instance's).
    fn failed_by_itself(&self) -> bool {
        matches!(
            self.class,
            TaskClass::Condemned {
                code: StopCode::EssentialContainerExited | StopCode::TaskFailedToStart,
                ..
            }
        )
    }
}

/// Whether the PRIMARY deployment may launch tasks now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LaunchGate {
    #[default]
    Open,
    /// Repeated launch failures: wait for the back-off (§3.7). Everything else goes on.
    Throttled,
    /// The circuit breaker failed the deployment: it launches nothing and stops nothing
    /// healthy (§3.4, §3.5).
    Failed,
}

/// Everything the plan depends on.
#[derive(Clone, Debug)]
pub struct ServiceInput<'a> {
    pub desired: u32,
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
    /// The PRIMARY deployment id.
    pub primary: &'a str,
    pub tasks: &'a [TaskInfo],
    pub service_name: &'a str,
    pub gate: LaunchGate,
}

/// A task to stop and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopDecision {
    pub id: String,
    pub code: StopCode,
    pub reason: String,
}

/// What to do now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServicePlan {
    /// PRIMARY tasks to start (placement decides where).
    pub start: u32,
    /// Starts go to this availability zone only (AZ rebalancing, §3.8).
    pub zone: Option<String>,
    /// Tasks to stop, decided here.
    pub stop: Vec<StopDecision>,
    /// PRIMARY tasks to scale in, chosen by the placement strategies among
    /// `scale_in_candidates`.
    pub scale_in: u32,
    pub scale_in_candidates: Vec<String>,
    /// Healthy tasks of old deployments (or on DRAINING instances) that may stop now,
    /// chosen by the strategies among `replace_candidates`.
    pub replace: u32,
    pub replace_candidates: Vec<String>,
    /// Old tasks are waiting but the bounds allow neither a start nor a stop (100/100).
    pub deadlocked: bool,
    /// The service is in steady state: only PRIMARY tasks, D of them, all healthy.
    pub steady: bool,
    /// PRIMARY tasks stopping now that count against the circuit breaker (§3.5): they
    /// stopped by themselves before ever being healthy, or are replaced as UNHEALTHY.
    pub breaker_failures: u32,
    /// PRIMARY tasks stopping now that never reached RUNNING (the launch throttle, §3.7).
    pub launch_failures: u32,
    /// PRIMARY tasks healthy now (the circuit breaker's resetOnHealthyTask).
    pub primary_healthy: u32,
    /// PRIMARY tasks RUNNING now.
    pub primary_running: u32,
}

/// `ceil(D × min% / 100)` and `floor(D × max% / 100)` (§3.3).
pub fn bounds(desired: u32, minimum_healthy_percent: u32, maximum_percent: u32) -> (u32, u32) {
    let d = u64::from(desired);
    let lo = (d * u64::from(minimum_healthy_percent)).div_ceil(100);
    let hi = d * u64::from(maximum_percent) / 100;
    (lo.min(d) as u32, hi.max(d) as u32)
}

pub fn plan_service(input: &ServiceInput<'_>) -> ServicePlan {
    let d = input.desired;
    let (lo, hi) = bounds(d, input.minimum_healthy_percent, input.maximum_percent);
    let mut plan = ServicePlan::default();
    let is_primary = |t: &TaskInfo| t.deployment == input.primary;

    // Tasks that must stop whatever the bounds say: they are not running any more.
    for t in input.tasks {
        if let TaskClass::Condemned { code, reason } = &t.class {
            plan.stop.push(StopDecision {
                id: t.id.clone(),
                code: *code,
                reason: reason.clone(),
            });
            if is_primary(t) && t.failed_by_itself() {
                plan.breaker_failures += u32::from(!t.was_healthy);
                plan.launch_failures += u32::from(!t.reached_running);
            }
        }
    }
    let live: Vec<&TaskInfo> = input.tasks.iter().filter(|t| t.is_live()).collect();
    // PRIMARY tasks that stay: not draining, not UNHEALTHY.
    let (keep, replaceable): (Vec<&TaskInfo>, Vec<&TaskInfo>) = live
        .iter()
        .partition(|t| is_primary(t) && !t.draining && !t.is_unhealthy());
    let (unhealthy, replaceable): (Vec<&TaskInfo>, Vec<&TaskInfo>) = replaceable
        .into_iter()
        .partition(|t| is_primary(t) && !t.draining);
    let keep_count = keep.len() as u32;
    let live_count = live.len() as u32;
    let keep_healthy = keep.iter().filter(|t| t.is_healthy()).count() as u32;
    plan.primary_healthy = keep_healthy;
    plan.primary_running = live
        .iter()
        .filter(|t| is_primary(t) && matches!(t.class, TaskClass::Running(_)))
        .count() as u32;

    // Scale-in of PRIMARY beyond D: the strategies choose which.
    if keep_count > d {
        plan.scale_in = keep_count - d;
        plan.scale_in_candidates = keep.iter().map(|t| t.id.clone()).collect();
    }
    // Starts: up to D PRIMARY tasks, never more than maxPercent live in total.
    let room = hi.saturating_sub(live_count);
    plan.start = match input.gate {
        LaunchGate::Open => d.saturating_sub(keep_count).min(room),
        LaunchGate::Throttled | LaunchGate::Failed => 0,
    };

    // UNHEALTHY PRIMARY tasks are replaced start-first (§3.6): each stops once enough
    // healthy PRIMARY tasks stand without it; with no headroom to start a replacement they
    // stop one at a time (they do not count toward minimumHealthyPercent anyway).
    let u = unhealthy.len() as u32;
    let replaced = (keep_healthy + u).saturating_sub(d).min(u);
    let no_headroom = keep_count < d && room == 0 && input.gate == LaunchGate::Open;
    let stop_unhealthy = if replaced == 0 && no_headroom && u > 0 {
        1
    } else {
        replaced
    };
    for t in unhealthy.iter().take(stop_unhealthy as usize) {
        plan.stop.push(StopDecision {
            id: t.id.clone(),
            code: StopCode::ServiceSchedulerInitiated,
            reason: UNHEALTHY_REASON.to_string(),
        });
        plan.breaker_failures += 1;
    }

    // Replacement of old-deployment and draining tasks: unhealthy / pending ones first
    // (they do not count toward minimumHealthyPercent), then healthy ones down to `lo`.
    let scaling_in = plan.scale_in > 0;
    let scaling_reason = format!(
        "Scaling activity initiated by (service {})",
        input.service_name
    );
    for t in replaceable.iter().filter(|t| !t.is_healthy()) {
        plan.stop.push(StopDecision {
            id: t.id.clone(),
            code: StopCode::ServiceSchedulerInitiated,
            reason: scaling_reason.clone(),
        });
    }
    let healthy_total = live.iter().filter(|t| t.is_healthy()).count() as u32;
    let healthy_replaceable: Vec<&&TaskInfo> =
        replaceable.iter().filter(|t| t.is_healthy()).collect();
    // With PRIMARY already at D (or above), old tasks are surplus: keep only `lo` healthy.
    // A FAILED deployment stops nothing healthy: the old tasks are all that serves.
    let may_stop = match input.gate {
        LaunchGate::Failed => 0,
        _ => healthy_total.saturating_sub(lo),
    };
    plan.replace = (healthy_replaceable.len() as u32).min(may_stop);
    plan.replace_candidates = healthy_replaceable.iter().map(|t| t.id.clone()).collect();

    let waiting = (!healthy_replaceable.is_empty() || u > 0) && plan.replace == 0;
    // Stuck only when nothing at all moves this round (a round that stops pending old tasks
    // is progress).
    // Nor while PRIMARY tasks are still becoming healthy: their turning healthy frees room.
    plan.deadlocked = waiting
        && plan.start == 0
        && plan.stop.is_empty()
        && keep.iter().all(|t| t.is_healthy())
        && keep_count < d
        && live_count >= hi
        && !scaling_in
        && input.gate == LaunchGate::Open;
    plan.steady = replaceable.is_empty()
        && unhealthy.is_empty()
        && keep_count == d
        && keep.iter().all(|t| t.is_healthy())
        && plan.stop.is_empty();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, deployment: &str, class: TaskClass) -> TaskInfo {
        TaskInfo::new(id, deployment, class)
    }
    fn healthy(id: &str, dep: &str) -> TaskInfo {
        task(id, dep, TaskClass::Running(RunHealth::Healthy))
    }
    fn unhealthy(id: &str, dep: &str) -> TaskInfo {
        let mut t = task(id, dep, TaskClass::Running(RunHealth::Unhealthy));
        t.was_healthy = true;
        t
    }
    fn crashed(id: &str, dep: &str, reached_running: bool) -> TaskInfo {
        let mut t = task(
            id,
            dep,
            TaskClass::Condemned {
                code: StopCode::EssentialContainerExited,
                reason: "Essential container in task exited".into(),
            },
        );
        t.reached_running = reached_running;
        t
    }
    fn input<'a>(d: u32, min: u32, max: u32, tasks: &'a [TaskInfo]) -> ServiceInput<'a> {
        ServiceInput {
            desired: d,
            minimum_healthy_percent: min,
            maximum_percent: max,
            primary: "p",
            tasks,
            service_name: "web",
            gate: LaunchGate::Open,
        }
    }

    #[test]
    fn bounds_round_min_up_and_max_down() {
        assert_eq!(bounds(4, 50, 200), (2, 8));
        assert_eq!(bounds(2, 75, 200), (2, 4)); // ceil(1.5) = 2: nothing may stop
        assert_eq!(bounds(3, 100, 125), (3, 3)); // floor(3.75) = 3: nothing may surge
        assert_eq!(bounds(0, 100, 200), (0, 0));
    }

    #[test]
    fn an_empty_service_starts_desired_tasks() {
        let p = plan_service(&input(7, 100, 200, &[]));
        assert_eq!((p.start, p.stop.len(), p.steady), (7, 0, false));
    }

    #[test]
    fn steady_state_needs_all_primary_healthy() {
        let tasks: Vec<TaskInfo> = (0..3).map(|i| healthy(&i.to_string(), "p")).collect();
        let p = plan_service(&input(3, 100, 200, &tasks));
        assert!(p.steady);
        assert_eq!(p.start, 0);
    }

    #[test]
    fn condemned_tasks_stop_and_are_replaced() {
        let tasks = vec![
            healthy("a", "p"),
            task(
                "b",
                "p",
                TaskClass::Condemned {
                    code: StopCode::EssentialContainerExited,
                    reason: "exit".into(),
                },
            ),
        ];
        let p = plan_service(&input(2, 100, 200, &tasks));
        assert_eq!(p.stop.len(), 1);
        assert_eq!(p.stop[0].code, StopCode::EssentialContainerExited);
        assert_eq!(p.start, 1);
    }

    #[test]
    fn surplus_primary_tasks_scale_in() {
        let tasks: Vec<TaskInfo> = (0..7).map(|i| healthy(&i.to_string(), "p")).collect();
        let p = plan_service(&input(3, 100, 200, &tasks));
        assert_eq!(
            (p.scale_in, p.scale_in_candidates.len(), p.start),
            (4, 7, 0)
        );
    }

    #[test]
    fn rolling_update_with_200_percent_starts_all_new_first() {
        let tasks: Vec<TaskInfo> = (0..4).map(|i| healthy(&i.to_string(), "old")).collect();
        let p = plan_service(&input(4, 100, 200, &tasks));
        assert_eq!(p.start, 4);
        assert_eq!(
            p.replace, 0,
            "min 100%: old tasks stay until new ones are healthy"
        );
    }

    #[test]
    fn rolling_update_with_50_percent_min_may_stop_half_first() {
        let tasks: Vec<TaskInfo> = (0..4).map(|i| healthy(&i.to_string(), "old")).collect();
        let p = plan_service(&input(4, 50, 100, &tasks));
        assert_eq!(p.start, 0, "max 100%: no room to start");
        assert_eq!(p.replace, 2, "4 healthy, keep ceil(2) = 2");
    }

    #[test]
    fn old_tasks_leave_once_new_ones_are_healthy() {
        let mut tasks: Vec<TaskInfo> = (0..4).map(|i| healthy(&format!("o{i}"), "old")).collect();
        tasks.extend((0..4).map(|i| healthy(&format!("n{i}"), "p")));
        let p = plan_service(&input(4, 100, 200, &tasks));
        assert_eq!((p.start, p.replace), (0, 4));
    }

    #[test]
    fn hundred_hundred_deadlocks_with_old_tasks() {
        let tasks: Vec<TaskInfo> = (0..2).map(|i| healthy(&i.to_string(), "old")).collect();
        let p = plan_service(&input(2, 100, 100, &tasks));
        assert!(p.deadlocked);
        assert_eq!((p.start, p.replace), (0, 0));
    }

    #[test]
    fn waiting_for_new_tasks_to_turn_healthy_is_not_a_deadlock() {
        let mut tasks: Vec<TaskInfo> = (0..4).map(|i| healthy(&format!("o{i}"), "old")).collect();
        tasks.extend((0..2).map(|i| {
            task(
                &format!("n{i}"),
                "p",
                TaskClass::Running(RunHealth::Settling),
            )
        }));
        let p = plan_service(&input(4, 100, 150, &tasks));
        assert_eq!((p.start, p.replace), (0, 0));
        assert!(!p.deadlocked);
    }

    #[test]
    fn stopping_pending_old_tasks_is_not_a_deadlock() {
        let mut tasks: Vec<TaskInfo> = (0..4).map(|i| healthy(&format!("a{i}"), "old")).collect();
        tasks.extend((0..4).map(|i| task(&format!("b{i}"), "older", TaskClass::Pending)));
        let p = plan_service(&input(4, 100, 200, &tasks));
        assert_eq!((p.start, p.stop.len()), (0, 4));
        assert!(!p.deadlocked, "the pending tasks stop: progress");
    }

    #[test]
    fn draining_tasks_are_replaced_within_the_bounds() {
        let mut tasks = vec![healthy("a", "p"), healthy("b", "p")];
        tasks[0].draining = true;
        let p = plan_service(&input(2, 100, 200, &tasks));
        assert_eq!(p.start, 1, "a replacement starts elsewhere first");
        assert_eq!(
            p.replace, 0,
            "the drained task stays until the replacement is healthy"
        );
    }

    #[test]
    fn pending_old_tasks_stop_at_once() {
        let tasks = vec![task("x", "old", TaskClass::Pending), healthy("y", "p")];
        let p = plan_service(&input(1, 100, 200, &tasks));
        assert_eq!(
            p.stop.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            ["x"]
        );
    }

    #[test]
    fn never_more_live_than_max_percent() {
        for d in 0..12u32 {
            for (min, max) in [(0, 100), (50, 150), (100, 200), (100, 125)] {
                let tasks: Vec<TaskInfo> = (0..d).map(|i| healthy(&i.to_string(), "old")).collect();
                let p = plan_service(&input(d, min, max, &tasks));
                let (_, hi) = bounds(d, min, max);
                assert!(
                    d + p.start <= hi.max(d),
                    "d={d} min={min} max={max} start={}",
                    p.start
                );
            }
        }
    }

    #[test]
    fn an_unhealthy_task_is_replaced_start_first() {
        let tasks = vec![healthy("a", "p"), healthy("b", "p"), unhealthy("c", "p")];
        let p = plan_service(&input(3, 100, 200, &tasks));
        assert_eq!(p.start, 1, "the replacement starts first");
        assert!(p.stop.is_empty(), "the unhealthy task waits for it");
        let mut tasks = tasks;
        tasks.push(healthy("d", "p"));
        let p = plan_service(&input(3, 100, 200, &tasks));
        assert_eq!(p.start, 0);
        assert_eq!(
            p.stop
                .iter()
                .map(|s| (s.id.as_str(), s.reason.as_str()))
                .collect::<Vec<_>>(),
            [("c", UNHEALTHY_REASON)]
        );
        assert_eq!(
            p.breaker_failures, 1,
            "a health replacement counts (§3.5 stage 2)"
        );
    }

    #[test]
    fn without_headroom_unhealthy_tasks_stop_one_at_a_time() {
        let tasks = vec![unhealthy("a", "p"), unhealthy("b", "p")];
        let p = plan_service(&input(2, 0, 100, &tasks));
        assert_eq!((p.start, p.stop.len()), (0, 1));
    }

    #[test]
    fn a_settling_unhealthy_task_is_left_alone() {
        let tasks = vec![
            healthy("a", "p"),
            task("b", "p", TaskClass::Running(RunHealth::Settling)),
        ];
        let p = plan_service(&input(2, 100, 200, &tasks));
        assert_eq!((p.start, p.stop.len(), p.steady), (0, 0, false));
    }

    #[test]
    fn a_failed_deployment_launches_nothing_and_keeps_old_tasks() {
        let tasks: Vec<TaskInfo> = (0..4).map(|i| healthy(&format!("o{i}"), "old")).collect();
        let mut i = input(4, 50, 200, &tasks);
        i.gate = LaunchGate::Failed;
        let p = plan_service(&i);
        assert_eq!((p.start, p.replace), (0, 0));
        assert!(!p.deadlocked, "not a configuration deadlock");
    }

    #[test]
    fn a_throttled_deployment_waits_to_launch() {
        let mut i = input(3, 100, 200, &[]);
        i.gate = LaunchGate::Throttled;
        assert_eq!(plan_service(&i).start, 0);
    }

    #[test]
    fn primary_crashes_count_for_the_breaker_and_the_throttle() {
        let tasks = vec![
            crashed("a", "p", true),
            crashed("b", "p", false),
            crashed("c", "old", false),
            task(
                "d",
                "p",
                TaskClass::Condemned {
                    code: StopCode::TerminationNotice,
                    reason: "lost".into(),
                },
            ),
        ];
        let p = plan_service(&input(4, 100, 200, &tasks));
        assert_eq!(
            p.breaker_failures, 2,
            "old-deployment and instance-loss stops do not count"
        );
        assert_eq!(
            p.launch_failures, 1,
            "only the task that never reached RUNNING"
        );
    }

    #[test]
    fn a_crash_after_being_healthy_is_not_a_breaker_failure() {
        let mut t = crashed("a", "p", true);
        t.was_healthy = true;
        let p = plan_service(&input(1, 100, 200, &[t]));
        assert_eq!((p.breaker_failures, p.start), (0, 1));
    }
}
