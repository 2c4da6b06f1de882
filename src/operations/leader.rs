//! Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics:
//!
//! - Every change of the Lease is an optimistic-concurrency `replace` (resourceVersion), so
//!   two candidates can never both win the same term: the second write gets 409 Conflict.
//! - A standby takes an expired Lease only after it has watched the record stay unchanged for
//!   `leaseDurationSeconds` *by its own clock* (time since it last saw the record change), so
//!   clock offsets between machines do not matter, only clock rates.
//! - The leader counts as leader until `renew_deadline` after it *sent* its last successful
//!   renewal (< lease duration). A standby cannot take over before `lease_duration` after it
//!   saw that renewal, which is later; the difference is the margin between the last write of
//!   an old leader and the first write of a new one.
//! - Losing the Lease is fail-stop: the process exits non-zero at once (as kube-controller-
//!   manager and controller-runtime do) and Kubernetes restarts it as a fresh standby; no
//!   controller code has to be cancellable at an arbitrary point. A watchdog thread enforces
//!   the deadline even if the async runtime were starved.
//!
//! Why not kube-lease-manager (0.13): it renews with a patch that carries no resourceVersion,
//! and a leader whose renewals keep failing with API errors stays "leader" indefinitely (the
//! watch loop only backs off), so it cannot bound how long a cut-off leader keeps writing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::{Client, ResourceExt};

use super::config::LeaseTiming;

/// The fields of a Lease that make up a term.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Record {
    holder: Option<String>,
    acquire_time: Option<MicroTime>,
    renew_time: Option<MicroTime>,
    duration_seconds: Option<i32>,
    transitions: Option<i32>,
}

impl Record {
    fn of(lease: &Lease) -> Self {
        let spec = lease.spec.clone().unwrap_or_default();
        Self {
            holder: spec.holder_identity.filter(|h| !h.is_empty()),
            acquire_time: spec.acquire_time,
            renew_time: spec.renew_time,
            duration_seconds: spec.lease_duration_seconds,
            transitions: spec.lease_transitions,
        }
    }
}

/// One candidate for the Lease.
pub struct LeaderElector {
    api: Api<Lease>,
    name: String,
    identity: String,
    timing: LeaseTiming,
    /// The record as last seen, and when (local monotonic clock) it last changed.
    observed: Option<(Record, Instant)>,
}

/// Outcome of one attempt.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    /// We hold the Lease; the renewal was sent at this instant.
    Held(Instant),
    /// Someone else holds a live term, or we lost a race (409).
    NotHeld,
}

impl LeaderElector {
    pub fn new(
        client: Client,
        namespace: &str,
        name: &str,
        identity: String,
        timing: LeaseTiming,
    ) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.to_string(),
            identity,
            timing,
            observed: None,
        }
    }

    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Waits until this process holds the Lease; returns when the renewal that made it
    /// leader was sent (the start of its validity). API errors are retried.
    pub async fn acquire(&mut self) -> Instant {
        let mut logged_holder: Option<String> = None;
        loop {
            match self.try_acquire_or_renew().await {
                Ok(Attempt::Held(sent)) => {
                    tracing::info!(
                        lease = %self.name,
                        identity = %self.identity,
                        "acquired the leader Lease; starting controllers"
                    );
                    return sent;
                }
                Ok(Attempt::NotHeld) => {
                    let holder = self.observed.as_ref().and_then(|(r, _)| r.holder.clone());
                    if holder != logged_holder {
                        tracing::info!(lease = %self.name, holder = ?holder, "standing by: the Lease is held by another replica");
                        logged_holder = holder;
                    }
                }
                Err(e) => {
                    tracing::warn!(lease = %self.name, error = %e, "cannot read or take the Lease")
                }
            }
            tokio::time::sleep(jittered(self.timing.retry_period)).await;
        }
    }

    /// Keeps renewing while leader. Returns only when leadership is lost: no successful
    /// renewal within `renew_deadline` of the last one, or the Lease was taken over.
    /// `valid_until` is kept up to date for the watchdog.
    pub async fn hold(&mut self, mut last_sent: Instant, valid_until: &Deadline) -> LostReason {
        valid_until.set(last_sent + self.timing.renew_deadline);
        let mut next = last_sent + self.timing.retry_period;
        loop {
            let deadline = last_sent + self.timing.renew_deadline;
            tokio::time::sleep_until(next.min(deadline).into()).await;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return LostReason::RenewDeadlineExceeded;
            }
            match tokio::time::timeout(left, self.try_acquire_or_renew()).await {
                Ok(Ok(Attempt::Held(sent))) => {
                    last_sent = sent;
                    valid_until.set(sent + self.timing.renew_deadline);
                    next = sent + self.timing.retry_period;
                }
                Ok(Ok(Attempt::NotHeld)) => {
                    let holder = self.observed.as_ref().and_then(|(r, _)| r.holder.clone());
                    if holder.as_deref() != Some(self.identity.as_str()) {
                        return LostReason::TakenBy(holder);
                    }
                    // A 409 against our own renewal racing a reader's view: retry soon.
                    next = Instant::now() + retry_after_failure(self.timing);
                }
                Ok(Err(e)) => {
                    tracing::warn!(lease = %self.name, error = %e, "Lease renewal failed; retrying until the renew deadline");
                    next = Instant::now() + retry_after_failure(self.timing);
                }
                Err(_) => return LostReason::RenewDeadlineExceeded,
            }
        }
    }

    /// Gives the Lease up (if still ours) so a standby takes over at once instead of after
    /// the lease duration. Only call when this process has stopped writing.
    pub async fn release(&mut self) -> anyhow::Result<()> {
        let Some(lease) = self.api.get_opt(&self.name).await? else {
            return Ok(());
        };
        let record = Record::of(&lease);
        if record.holder.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        let now = MicroTime(k8s_openapi::jiff::Timestamp::now());
        let mut released = lease.clone();
        released.spec = Some(LeaseSpec {
            holder_identity: None,
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            lease_duration_seconds: Some(1),
            lease_transitions: record.transitions,
            ..lease.spec.clone().unwrap_or_default()
        });
        self.api
            .replace(&self.name, &PostParams::default(), &released)
            .await?;
        tracing::info!(lease = %self.name, identity = %self.identity, "released the leader Lease");
        Ok(())
    }

    async fn try_acquire_or_renew(&mut self) -> Result<Attempt, kube::Error> {
        let sent = Instant::now();
        let now = MicroTime(k8s_openapi::jiff::Timestamp::now());
        let Some(lease) = self.api.get_opt(&self.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    ..Default::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.identity.clone()),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_duration_seconds: Some(self.duration_seconds()),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(created) => {
                    self.observe(&created);
                    Ok(Attempt::Held(sent))
                }
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(Attempt::NotHeld),
                Err(e) => Err(e),
            };
        };
        self.observe(&lease);
        let (record, seen) = self.observed.clone().expect("just observed");
        let ours = record.holder.as_deref() == Some(self.identity.as_str());
        // Someone else's term: wait until it has gone unrenewed for its whole duration.
        if !ours && record.holder.is_some() {
            let duration = record
                .duration_seconds
                .map(|s| Duration::from_secs(s.max(0) as u64))
                .unwrap_or(self.timing.lease_duration);
            if seen.elapsed() < duration {
                return Ok(Attempt::NotHeld);
            }
        }
        let (acquire_time, transitions) = if ours {
            (record.acquire_time.clone(), record.transitions.unwrap_or(0))
        } else {
            (Some(now.clone()), record.transitions.unwrap_or(0) + 1)
        };
        let mut next = lease.clone();
        next.spec = Some(LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            acquire_time,
            renew_time: Some(now),
            lease_duration_seconds: Some(self.duration_seconds()),
            lease_transitions: Some(transitions),
            ..lease.spec.clone().unwrap_or_default()
        });
        // `replace` carries the resourceVersion we read: a concurrent change makes it 409.
        match self
            .api
            .replace(&self.name, &PostParams::default(), &next)
            .await
        {
            Ok(written) => {
                self.observe(&written);
                Ok(Attempt::Held(sent))
            }
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(Attempt::NotHeld),
            Err(e) => Err(e),
        }
    }

    fn observe(&mut self, lease: &Lease) {
        let record = Record::of(lease);
        let changed = self.observed.as_ref().is_none_or(|(r, _)| *r != record);
        if changed {
            tracing::debug!(lease = %lease.name_any(), holder = ?record.holder, "observed a Lease change");
            self.observed = Some((record, Instant::now()));
        }
    }

    fn duration_seconds(&self) -> i32 {
        self.timing.lease_duration.as_secs().min(i32::MAX as u64) as i32
    }
}

/// Why leadership ended.
#[derive(Debug)]
pub enum LostReason {
    RenewDeadlineExceeded,
    TakenBy(Option<String>),
}

impl std::fmt::Display for LostReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LostReason::RenewDeadlineExceeded => {
                write!(f, "no successful renewal within the renew deadline")
            }
            LostReason::TakenBy(Some(h)) => write!(f, "the Lease is now held by {h}"),
            LostReason::TakenBy(None) => write!(f, "the Lease was released by someone else"),
        }
    }
}

/// The instant until which this process may write, shared with the watchdog thread.
#[derive(Clone)]
pub struct Deadline(Arc<std::sync::Mutex<Option<Instant>>>, Arc<AtomicBool>);

impl Default for Deadline {
    fn default() -> Self {
        Self::new()
    }
}

impl Deadline {
    pub fn new() -> Self {
        Self(Default::default(), Arc::new(AtomicBool::new(false)))
    }

    fn set(&self, until: Instant) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(until);
    }

    /// No more enforcement: the controllers have stopped (graceful shutdown).
    pub fn disarm(&self) {
        self.1.store(true, Ordering::SeqCst);
    }

    /// A thread that exits the process if the deadline passes without renewal, independent
    /// of the async runtime (a starved runtime must not let a stale leader keep writing).
    pub fn spawn_watchdog(&self) {
        let this = self.clone();
        let _ = std::thread::Builder::new()
            .name("lease-watchdog".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_millis(100));
                    if this.1.load(Ordering::SeqCst) {
                        return;
                    }
                    let until = *this.0.lock().unwrap_or_else(|e| e.into_inner());
                    if until.is_some_and(|u| Instant::now() >= u) {
                        eprintln!(
                            "ecs-operator: leader Lease renew deadline passed; exiting so that only one replica writes"
                        );
                        std::process::exit(1);
                    }
                }
            });
    }
}

/// Retries after a failed renewal: often enough to fit several tries into the deadline.
fn retry_after_failure(t: LeaseTiming) -> Duration {
    (t.renew_deadline / 4).clamp(Duration::from_millis(200), t.retry_period)
}

/// Up to +20 % so that standbys started together do not poll in lock-step.
fn jittered(d: Duration) -> Duration {
    let mut b = [0u8; 1];
    let _ = getrandom::fill(&mut b);
    d + d.mul_f64(f64::from(b[0]) / 255.0 * 0.2)
}
