//! Where a service's next create round starts its slow start. Kubernetes' ReplicaSet starts
//! every sync at a batch of 1, so that a Pod the apiserver refuses (quota, admission) costs
//! one request. Restarting at 1 also after rounds that all succeeded costs every round of a
//! restore ~6 round trips before it creates at full concurrency (ecs-bench deletes 1,000 of
//! 10,000 tasks as a stream: ~30 rounds). So, like TCP's congestion window, a deployment
//! whose last round had no failure resumes at the window that round reached; any failure
//! sends it back to 1, as does a new deployment.

use std::collections::HashMap;
use std::sync::Mutex;

/// Per service (by UID): the deployment whose creates succeeded, and the window its next
/// round may start at.
#[derive(Default)]
pub struct SlowStart {
    warm: Mutex<HashMap<String, (String, usize)>>,
}

impl SlowStart {
    /// The first window of a round of `deployment` of service `uid`.
    pub fn first_window(&self, uid: &str, deployment: &str) -> usize {
        let warm = self.warm.lock().unwrap_or_else(|e| e.into_inner());
        match warm.get(uid) {
            Some((d, window)) if d == deployment => (*window).max(1),
            _ => 1,
        }
    }

    /// Records how a round ended: `next_window` is the window it reached; a round with a
    /// failed create starts the next one at 1 again.
    pub fn finished(&self, uid: &str, deployment: &str, next_window: usize, failed: bool) {
        let mut warm = self.warm.lock().unwrap_or_else(|e| e.into_inner());
        if failed {
            warm.remove(uid);
        } else {
            warm.insert(uid.to_string(), (deployment.to_string(), next_window));
        }
    }

    /// Forgets a service (it is gone).
    pub fn forget(&self, uid: &str) {
        self.warm
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(uid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_resumes_where_the_last_successful_one_stopped() {
        let s = SlowStart::default();
        assert_eq!(s.first_window("svc", "d1"), 1);
        s.finished("svc", "d1", 64, false);
        assert_eq!(s.first_window("svc", "d1"), 64);
        assert_eq!(s.first_window("other", "d1"), 1);
    }

    #[test]
    fn a_failure_or_a_new_deployment_starts_again_at_one() {
        let s = SlowStart::default();
        s.finished("svc", "d1", 64, false);
        assert_eq!(
            s.first_window("svc", "d2"),
            1,
            "a new revision proves nothing yet"
        );
        s.finished("svc", "d1", 128, true);
        assert_eq!(s.first_window("svc", "d1"), 1);
        s.finished("svc", "d1", 8, false);
        s.forget("svc");
        assert_eq!(s.first_window("svc", "d1"), 1);
    }
}
