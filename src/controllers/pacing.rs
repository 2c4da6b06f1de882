//! Spacing of expensive reconciles of one object. A reconcile that reads every task of a
//! service (or every Pod of a cluster) costs O(tasks); run once per Pod event, a scale-up of
//! N tasks costs O(N²) (ecs-bench, N=10000: ~1,000 service reconciles of 10,000 tasks, 80% of
//! the operator's CPU). Spaced in proportion to their cost, a burst of events coalesces into
//! a few reconciles while a quiet object still reacts at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Spacing per Pod of the cluster: a service in a cluster of 10,000 Pods reconciles at most
/// every 0.3 s while events keep coming; in one of 100 Pods every 3 ms.
const PER_POD: Duration = Duration::from_micros(30);
/// The longest spacing, whatever the size.
const MAX_SPACING: Duration = Duration::from_secs(1);

/// How long a service waits between reconciles in a cluster of `pods` Pods. A round's own
/// work is O(its tasks) since placement works on the live snapshot, so spacing by the
/// service's size would do; spacing by the cluster's takes fewer rounds while a big cluster
/// is busy, and leaves that CPU to the API server on the same cores. Measured once each on
/// the same build (ecs-bench, N=10000, M=1000, two services of 5,000): by their own size
/// 8.7 operator CPU-s, all bound in 15.7 s, 10% restored in 6.2 s; by the cluster's 10,000
/// Pods 8.1 CPU-s, 13.8 s, 7.4 s. That is within the spread between runs except the CPU,
/// which is why the cluster's count is kept.
pub fn round_spacing(pods: usize) -> Duration {
    PER_POD
        .saturating_mul(u32::try_from(pods).unwrap_or(u32::MAX))
        .min(MAX_SPACING)
}

/// When each object (by key) last ran.
#[derive(Default)]
pub struct Pacing {
    last: Mutex<HashMap<String, Instant>>,
}

impl Pacing {
    /// `Some(wait)` when `key` ran less than `spacing` ago (the caller requeues after `wait`);
    /// otherwise records this run and returns None.
    pub fn hold(&self, key: &str, spacing: Duration) -> Option<Duration> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some(at) = last.get(key) {
            let since = now.duration_since(*at);
            if since < spacing {
                return Some(spacing - since);
            }
        }
        last.insert(key.to_string(), now);
        None
    }

    /// Forgets `key` (its object is gone).
    pub fn forget(&self, key: &str) {
        self.last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_runs_at_most_once_per_spacing_and_others_are_not_held_back() {
        let pacing = Pacing::default();
        let spacing = Duration::from_secs(60);
        assert_eq!(pacing.hold("a", spacing), None);
        let wait = pacing.hold("a", spacing).expect("held within the spacing");
        assert!(wait <= spacing);
        assert_eq!(pacing.hold("b", spacing), None);
        pacing.forget("a");
        assert_eq!(pacing.hold("a", spacing), None);
    }

    #[test]
    fn spacing_grows_with_what_a_round_reads_and_is_capped() {
        assert!(round_spacing(10) < Duration::from_millis(1));
        assert_eq!(round_spacing(10_000), Duration::from_millis(300));
        assert_eq!(round_spacing(usize::MAX), MAX_SPACING);
        assert_eq!(round_spacing(0), Duration::ZERO);
    }
}
