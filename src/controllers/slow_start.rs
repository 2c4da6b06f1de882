//! Where a service's next create round starts its slow start. Kubernetes' ReplicaSet starts
//! every sync at a batch of 1, so that a Pod the apiserver refuses (quota, admission) costs
//! one request. Restarting at 1 also after rounds that all succeeded costs every round of a
//! restore ~6 round trips before it creates at full concurrency (ecs-bench deletes 1,000 of
//! 10,000 tasks as a stream: ~30 rounds). So, like TCP's congestion window, a deployment
//! whose last round had no failure resumes at the window that round reached; any failure
//! sends it back to 1, as does a new deployment.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

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

/// What [`send_windowed`] did: the results of the sends that succeeded, the errors, and the
/// window it reached.
pub struct Windowed<T, E> {
    pub done: Vec<T>,
    pub errors: Vec<E>,
    pub window: usize,
}

/// Sends `items` with at most `window` in flight, starting at `first` and growing by one per
/// success up to `cap` (so it doubles every round trip without waiting for the slowest of a
/// batch). After the first error nothing more is sent; what is in flight completes.
pub async fn send_windowed<I, T, E, Fut>(
    items: impl IntoIterator<Item = I>,
    first: usize,
    cap: usize,
    mut send: impl FnMut(I) -> Fut,
) -> Windowed<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let cap = cap.max(1);
    let mut window = first.clamp(1, cap);
    let mut items = items.into_iter();
    let mut in_flight = FuturesUnordered::new();
    let (mut done, mut errors) = (Vec::new(), Vec::new());
    loop {
        while errors.is_empty() && in_flight.len() < window {
            let Some(item) = items.next() else { break };
            in_flight.push(send(item));
        }
        match in_flight.next().await {
            None => break,
            Some(Ok(t)) => {
                done.push(t);
                window = (window + 1).min(cap);
            }
            Some(Err(e)) => errors.push(e),
        }
    }
    Windowed {
        done,
        errors,
        window,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test]
    async fn nothing_is_sent_after_the_first_error() {
        let sent = Cell::new(0usize);
        let out: Windowed<usize, usize> = send_windowed(0..1000, 1, 64, |i| {
            sent.set(sent.get() + 1);
            async move { if i == 10 { Err(i) } else { Ok(i) } }
        })
        .await;
        assert_eq!(out.errors, vec![10]);
        assert!(!out.done.contains(&10));
        // Item 10 went out in the window that followed 1+2+4 successes: at most that window
        // was in flight with it, and nothing after the error.
        assert!(sent.get() <= 10 + out.window, "sent {}", sent.get());
        assert!(sent.get() < 30);
    }

    /// Sends `items` items that each take one scheduler turn, through a window starting at
    /// `first` capped at `cap`; returns the outcome and the most that were ever in flight.
    async fn peak_in_flight(items: usize, first: usize, cap: usize) -> (Windowed<(), ()>, usize) {
        let (now, peak) = (Cell::new(0usize), Cell::new(0usize));
        let out = send_windowed(0..items, first, cap, |_| {
            now.set(now.get() + 1);
            peak.set(peak.get().max(now.get()));
            let now = &now;
            async move {
                tokio::task::yield_now().await;
                now.set(now.get() - 1);
                Ok(())
            }
        })
        .await;
        (out, peak.get())
    }

    #[tokio::test]
    async fn the_window_grows_to_its_cap_and_never_beyond() {
        let (out, peak) = peak_in_flight(500, 1, 16).await;
        assert_eq!(out.done.len(), 500);
        assert_eq!(out.window, 16);
        assert_eq!(peak, 16, "the cap was reached and held");
    }

    #[tokio::test]
    async fn a_warm_start_sends_its_whole_window_at_once() {
        let (_, peak) = peak_in_flight(8, 8, 64).await;
        assert_eq!(peak, 8);
        let (_, cold) = peak_in_flight(8, 1, 64).await;
        assert!(cold < 8, "a cold start ramps up ({cold} at once)");
    }

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
