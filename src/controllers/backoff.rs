//! How soon a lost watch is retried. kube's default backoff grows to 30 s; after the
//! apiserver was unreachable for half a minute, each watch then came back on its own
//! schedule, up to ~30 s apart — and the controllers acted on the ones already back with
//! the others stale. The fault suite saw it: the Pod and revision watches were current,
//! the EcsService watch still had the desiredCount from before the outage, and a rolling
//! deployment stopped old tasks down to the old count (4 healthy tasks below the new
//! minimumHealthyPercent). Retrying every watch within 2 s keeps that window short; the
//! apiserver sees one list per watch per 2 s at worst while it is down.

use std::time::Duration;

use kube::runtime::utils::Backoff;

const FIRST: Duration = Duration::from_millis(250);
const MAX: Duration = Duration::from_secs(2);

/// 250 ms, doubling, at most 2 s; back to 250 ms once a watch works again.
pub struct WatchBackoff {
    next: Duration,
}

impl Default for WatchBackoff {
    fn default() -> Self {
        Self { next: FIRST }
    }
}

impl Iterator for WatchBackoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let current = self.next;
        self.next = (current * 2).min(MAX);
        Some(current)
    }
}

impl Backoff for WatchBackoff {
    fn reset(&mut self) {
        self.next = FIRST;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_two_seconds_and_resets() {
        let mut b = WatchBackoff::default();
        let delays: Vec<u128> = b.by_ref().take(6).map(|d| d.as_millis()).collect();
        assert_eq!(delays, [250, 500, 1000, 2000, 2000, 2000]);
        b.reset();
        assert_eq!(b.next(), Some(FIRST));
    }
}
