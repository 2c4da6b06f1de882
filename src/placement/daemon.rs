//! DAEMON services (ecs-semantics.md §3.1, §6.2): one task on every ACTIVE instance that
//! satisfies the service's constraints; none on DRAINING instances; tasks on instances that
//! stop qualifying are stopped.

use std::sync::Arc;

use super::failure::{FailureReason, InstanceRejection};
use super::model::InstanceStatus;
use super::request::{Placement, PlacementRequest, RequestError};
use super::snapshot::Snapshot;
use super::working::Working;

/// What a DAEMON service should do now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DaemonPlan {
    /// Qualifying instances without a task of the group, where one fits: start it there.
    pub start: Vec<Placement>,
    /// Qualifying instances without a task where it does not fit (capacity), or whose agent is
    /// disconnected: ECS keeps retrying and reports the reason.
    pub blocked: Vec<InstanceRejection>,
    /// Qualifying instances that already run a task of the group.
    pub running: Vec<Arc<str>>,
    /// Task ids to stop: on DRAINING instances, or on instances that no longer satisfy the
    /// attributes or `memberOf` constraints.
    pub stop: Vec<String>,
}

impl Snapshot {
    /// Plans a DAEMON service. `request.count`, the strategies and `distinctInstance` are
    /// ignored: daemons get exactly one task per qualifying instance.
    pub fn plan_daemon(&self, request: &PlacementRequest) -> Result<DaemonPlan, RequestError> {
        request.validate()?;
        let mut working = Working::new(self, request);
        let mut plan = DaemonPlan::default();
        for i in 0..working.len() {
            let record = &self.instances[i];
            let has_task = working.group_count[i] > 0;
            let shortfalls = working.diagnose(i);
            let disqualified = shortfalls
                .iter()
                .any(|s| matches!(s.reason, FailureReason::Attribute | FailureReason::MemberOf));
            if record.info.status == InstanceStatus::Draining || (has_task && disqualified) {
                plan.stop.extend(
                    self.tasks_of_group(&request.group)
                        .filter(|t| t.instance == record.id)
                        .map(|t| t.id.to_string()),
                );
                continue;
            }
            if has_task {
                plan.running.push(record.id.clone());
                continue;
            }
            if disqualified {
                continue;
            }
            let blocking = shortfalls
                .iter()
                .find(|s| s.reason != FailureReason::DistinctInstance);
            match blocking {
                Some(s) => plan.blocked.push(InstanceRejection {
                    instance: record.id.clone(),
                    reason: s.reason,
                    detail: s.detail.clone(),
                }),
                None => plan.start.extend(working.place_on(i)),
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests;
