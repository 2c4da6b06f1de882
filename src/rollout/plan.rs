//! The rolling-update loop of ecs-semantics.md §3.4 (its batching is [inferred]; the
//! bounds are documented): with `lo = ceil(D × min% / 100)` healthy tasks kept and at most
//! `hi = floor(D × max% / 100)` live tasks (§3.3), start PRIMARY tasks up to D, stop tasks
//! that must go (stopped containers, lost instances) at once, replace old-deployment and
//! draining tasks within the bounds, and scale in surplus PRIMARY tasks.

use crate::tasks::StopCode;

/// What a task is, for counting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskClass {
    /// Placed, not yet RUNNING.
    Pending,
    /// RUNNING; `healthy` per §3.3 (health checks passed, or none and settled).
    Running { healthy: bool },
    /// Already stopping or stopped (Pod deleting / terminal): not live, not counted.
    Stopping,
    /// Must stop now (essential container exited, failed to start, instance lost), with
    /// the ECS stop code and reason.
    Condemned { code: StopCode, reason: String },
}

/// One task of the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    pub id: String,
    pub deployment: String,
    pub class: TaskClass,
    /// On a DRAINING container instance: to be replaced elsewhere (§6.2).
    pub draining: bool,
}

impl TaskInfo {
    fn is_live(&self) -> bool {
        matches!(self.class, TaskClass::Pending | TaskClass::Running { .. })
    }
    fn is_healthy(&self) -> bool {
        matches!(self.class, TaskClass::Running { healthy: true })
    }
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

    // Tasks that must stop whatever the bounds say: they are not running any more.
    for t in input.tasks {
        if let TaskClass::Condemned { code, reason } = &t.class {
            plan.stop.push(StopDecision {
                id: t.id.clone(),
                code: *code,
                reason: reason.clone(),
            });
        }
    }
    let live: Vec<&TaskInfo> = input.tasks.iter().filter(|t| t.is_live()).collect();
    let (keep, replaceable): (Vec<&TaskInfo>, Vec<&TaskInfo>) = live
        .iter()
        .partition(|t| t.deployment == input.primary && !t.draining);
    let keep_count = keep.len() as u32;
    let live_count = live.len() as u32;

    // Scale-in of PRIMARY beyond D: the strategies choose which.
    if keep_count > d {
        plan.scale_in = keep_count - d;
        plan.scale_in_candidates = keep.iter().map(|t| t.id.clone()).collect();
    }
    // Starts: up to D PRIMARY tasks, never more than maxPercent live in total.
    plan.start = d
        .saturating_sub(keep_count)
        .min(hi.saturating_sub(live_count));

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
    let may_stop = healthy_total.saturating_sub(lo);
    plan.replace = (healthy_replaceable.len() as u32).min(may_stop);
    plan.replace_candidates = healthy_replaceable.iter().map(|t| t.id.clone()).collect();

    let waiting = !healthy_replaceable.is_empty() && plan.replace == 0;
    plan.deadlocked =
        waiting && plan.start == 0 && keep_count < d && live_count >= hi && !scaling_in;
    plan.steady = replaceable.is_empty()
        && keep_count == d
        && keep.iter().all(|t| t.is_healthy())
        && plan.stop.is_empty();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, deployment: &str, class: TaskClass) -> TaskInfo {
        TaskInfo {
            id: id.into(),
            deployment: deployment.into(),
            class,
            draining: false,
        }
    }
    fn healthy(id: &str, dep: &str) -> TaskInfo {
        task(id, dep, TaskClass::Running { healthy: true })
    }
    fn input<'a>(d: u32, min: u32, max: u32, tasks: &'a [TaskInfo]) -> ServiceInput<'a> {
        ServiceInput {
            desired: d,
            minimum_healthy_percent: min,
            maximum_percent: max,
            primary: "p",
            tasks,
            service_name: "web",
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
}
