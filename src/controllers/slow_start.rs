//! Where a service's next create round starts its window. A service's first round opens the
//! whole window at once; after a round with a failure the next starts at one create and grows
//! by one per success (Kubernetes' slow start), and a round that had no failure is followed by
//! one that resumes at the window it reached (like TCP's congestion window).
//!
//! Why not Kubernetes' start at one for every round: ecs-bench (docs/benchmarks.md, session
//! 11) measured a service's first 1,000 tasks bound at 0.47–0.64 × the rate of the harness's
//! own raw creates when the round ramped up from one create to 64 in flight, and at 0.72–1.03 ×
//! when it opened 128 at once, in the same invocations (two cores). A Pod that the apiserver
//! refuses (quota, admission) is refused before it reaches etcd, so the optimistic first round
//! costs at most one window of quick refusals, once; the slow start then takes over.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

/// Per service (by UID): the window its next round starts at (absent: the whole window).
#[derive(Default)]
pub struct SlowStart {
    next: Mutex<HashMap<String, usize>>,
}

impl SlowStart {
    /// The first window of the next round of service `uid`, at most `cap`.
    pub fn first_window(&self, uid: &str, cap: usize) -> usize {
        let next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        next.get(uid).copied().unwrap_or(cap).clamp(1, cap.max(1))
    }

    /// Records how a round ended: `reached` is the window it reached; after a round with a
    /// failed create the next one starts at one again.
    pub fn finished(&self, uid: &str, reached: usize, failed: bool) {
        let window = if failed { 1 } else { reached };
        self.next
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(uid.to_string(), window);
    }

    /// Forgets a service (it is gone).
    pub fn forget(&self, uid: &str) {
        self.next
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
    fn a_services_first_round_opens_the_whole_window() {
        let s = SlowStart::default();
        assert_eq!(s.first_window("svc", 128), 128);
        assert_eq!(s.first_window("svc", 0), 1, "a window is never empty");
    }

    #[test]
    fn after_a_failure_rounds_start_at_one_and_resume_where_the_last_stopped() {
        let s = SlowStart::default();
        s.finished("svc", 128, true);
        assert_eq!(
            s.first_window("svc", 128),
            1,
            "a refused Pod costs one request"
        );
        assert_eq!(s.first_window("other", 128), 128, "per service");
        s.finished("svc", 5, false);
        assert_eq!(s.first_window("svc", 128), 5, "grows from where it stopped");
        assert_eq!(s.first_window("svc", 4), 4, "never beyond the cap");
        s.finished("svc", 128, false);
        assert_eq!(s.first_window("svc", 128), 128);
    }

    #[test]
    fn a_forgotten_service_starts_afresh() {
        let s = SlowStart::default();
        s.finished("svc", 3, true);
        s.forget("svc");
        assert_eq!(s.first_window("svc", 128), 128);
    }
}
