//! Creations and deletions the operator issued but its Pod cache has not shown yet
//! (Kubernetes' ReplicaSet "expectations"). Without them, a reconcile that runs before the
//! watch delivers our own create would create the task again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::Api;

use crate::slim_pod::SlimPod;

/// After this long an unseen creation is forgotten: the watch normally delivers within
/// milliseconds; a Pod created and deleted before we saw it must not be counted forever.
const TTL: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Pending {
    creates: HashMap<String, (Arc<SlimPod>, Instant)>,
    deletes: HashMap<String, Instant>,
    /// Creates and deletes whose outcome is unknown (see `Observed`): settled by asking the
    /// apiserver at the owner's next reconcile, not trusted until the TTL.
    unsure_creates: HashSet<String>,
    unsure_deletes: HashSet<String>,
}

/// Per owner (service or run, by UID).
#[derive(Default)]
pub struct Expectations {
    inner: Mutex<HashMap<String, Pending>>,
}

impl Expectations {
    /// Expects `pod`, kept as the Pod cache would keep it (slimmed: a scale-up expects
    /// thousands at once).
    pub fn created(&self, owner: &str, pod: &Pod) {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let pod = Arc::new(SlimPod::from(pod.clone()));
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(owner.to_string())
            .or_default()
            .creates
            .insert(name, (pod, Instant::now()));
    }

    /// Stops expecting the creates of `owner` that the cache now shows (`seen(name)`). A
    /// long create round calls it as it goes (every few hundred creates): otherwise every Pod
    /// of a 10,000-task scale-up stayed expected until the round ended (57 MB of heap,
    /// heaptrack).
    pub fn observed(&self, owner: &str, seen: impl Fn(&str) -> bool) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = map.get_mut(owner) {
            p.creates.retain(|name, _| !seen(name));
            p.unsure_creates.retain(|n| p.creates.contains_key(n));
        }
    }

    pub fn deleted(&self, owner: &str, pod_name: &str) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(owner.to_string())
            .or_default()
            .deletes
            .insert(pod_name.to_string(), Instant::now());
    }

    /// Reconciles the expectations of `owner` with what the cache shows (`seen(name)`
    /// tells whether a Pod is in the cache, `deleting(name)` whether it is gone or being
    /// deleted) and returns (created Pods not yet seen, names deleted but not yet seen
    /// as deleting).
    pub fn pending(
        &self,
        owner: &str,
        seen: impl Fn(&str) -> bool,
        deleting: impl Fn(&str) -> bool,
    ) -> (Vec<Arc<SlimPod>>, Vec<String>) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let Some(p) = map.get_mut(owner) else {
            return (Vec::new(), Vec::new());
        };
        p.creates
            .retain(|name, (_, at)| !seen(name) && at.elapsed() < TTL);
        p.deletes
            .retain(|name, at| !deleting(name) && at.elapsed() < TTL);
        let creates = p.creates.values().map(|(pod, _)| pod.clone()).collect();
        let deletes = p.deletes.keys().cloned().collect();
        p.unsure_creates.retain(|n| p.creates.contains_key(n));
        p.unsure_deletes.retain(|n| p.deletes.contains_key(n));
        if p.creates.is_empty() && p.deletes.is_empty() {
            map.remove(owner);
        }
        (creates, deletes)
    }

    /// A create whose outcome is unknown: expected until `settle` learns what happened.
    pub fn unsure_create(&self, owner: &str, pod_name: &str) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = map.get_mut(owner) {
            p.unsure_creates.insert(pod_name.to_string());
        }
    }

    /// A delete whose outcome is unknown: expected until `settle` learns what happened.
    pub fn unsure_delete(&self, owner: &str, pod_name: &str) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = map.get_mut(owner) {
            p.unsure_deletes.insert(pod_name.to_string());
        }
    }

    /// Asks the apiserver about every write of `owner` whose outcome is unknown: a create
    /// of a Pod that is absent, or a delete of a Pod that is live, did not happen and stops
    /// being expected; one that did happen stays expected until the cache shows it; while
    /// the apiserver cannot answer, nothing changes. Without this, an unknown delete kept
    /// the Pod out of the service's live count for the whole TTL while it still ran, and
    /// the service started a replacement next to it (the fault suite saw api at 7 live
    /// tasks > maximumPercent 6, and a 60 s stall, after an apiserver restart).
    pub async fn settle(&self, owner: &str, api: &Api<Pod>) {
        let (creates, deletes): (Vec<String>, Vec<String>) = {
            let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            match map.get(owner) {
                Some(p) => (
                    p.unsure_creates.iter().cloned().collect(),
                    p.unsure_deletes.iter().cloned().collect(),
                ),
                None => return,
            }
        };
        for name in creates {
            match observe(api, &name).await {
                Observed::Unknown => {}
                seen => {
                    let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(p) = map.get_mut(owner) {
                        p.unsure_creates.remove(&name);
                        if seen == Observed::Absent {
                            p.creates.remove(&name);
                        }
                    }
                }
            }
        }
        for name in deletes {
            match observe(api, &name).await {
                Observed::Unknown => {}
                seen => {
                    let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(p) = map.get_mut(owner) {
                        p.unsure_deletes.remove(&name);
                        if seen == Observed::Live {
                            p.deletes.remove(&name);
                        }
                    }
                }
            }
        }
    }

    /// A delete that did not happen: stop expecting it.
    pub fn forget_delete(&self, owner: &str, pod_name: &str) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = map.get_mut(owner) {
            p.deletes.remove(pod_name);
        }
    }

    /// The apiserver took our delete of `pod_name` (or had no such Pod): a create of it
    /// that the cache has not shown yet is not expected any more. Without this, a task
    /// created and stopped before the cache caught up (a re-list after a connection cut)
    /// stayed in the service's view as a pending task for the whole TTL: stopped again at
    /// every reconcile (the delete answering 404), the service not steady for 60 s.
    pub fn delete_done(&self, owner: &str, pod_name: &str) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = map.get_mut(owner) {
            p.creates.remove(pod_name);
            p.unsure_creates.remove(pod_name);
        }
    }

    /// A create that failed: stop expecting it.
    pub fn forget_create(&self, owner: &str, pod_name: &str) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = map.get_mut(owner) {
            p.creates.remove(pod_name);
        }
    }

    pub fn forget(&self, owner: &str) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(owner);
    }
}

/// What a create or delete that returned an error actually did. A write whose connection
/// dropped, or that timed out in the apiserver or etcd, may have happened anyway: forgetting
/// such a create lets the next reconcile create a second task (the fault suite saw
/// maximumPercent exceeded after an apiserver restart), and keeping a delete that did not
/// happen stalls the service until the expectation expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    Absent,
    Live,
    Deleting,
    /// The apiserver cannot tell yet: keep expecting, the cache or the TTL settles it.
    Unknown,
}

/// Whether the write certainly did not happen: the apiserver judged and refused it (4xx
/// except 408 / 429, which a proxy or the apiserver may return while the write still goes
/// through), or the connection was refused, so the request was never sent (the common case
/// while the apiserver restarts). Anything else — a dropped connection, 5xx, a timeout — is
/// an unknown outcome.
pub fn refused(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(s) => (400..500).contains(&s.code) && s.code != 408 && s.code != 429,
        other => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(other);
            while let Some(e) = source {
                if e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
                {
                    return true;
                }
                source = e.source();
            }
            false
        }
    }
}

/// Asks the apiserver whether the Pod `name` exists after a failed write.
pub async fn observe(api: &Api<Pod>, name: &str) -> Observed {
    match api.get_opt(name).await {
        Ok(None) => Observed::Absent,
        Ok(Some(p)) if p.metadata.deletion_timestamp.is_some() => Observed::Deleting,
        Ok(Some(_)) => Observed::Live,
        Err(_) => Observed::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = Some(name.into());
        p
    }

    #[test]
    fn creations_are_pending_until_seen() {
        let e = Expectations::default();
        e.created("svc", &pod("a"));
        e.created("svc", &pod("b"));
        let (c, _) = e.pending("svc", |n| n == "a", |_| false);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].metadata.name.as_deref(), Some("b"));
        let (c, _) = e.pending("svc", |_| true, |_| false);
        assert!(c.is_empty());
    }

    #[test]
    fn only_refusals_and_refused_connections_are_certain_failures() {
        let status = |code| {
            kube::Error::Api(Box::new(kube::core::Status {
                code,
                ..Default::default()
            }))
        };
        assert!(refused(&status(422)) && refused(&status(403)) && refused(&status(409)));
        assert!(!refused(&status(500)) && !refused(&status(504)) && !refused(&status(429)));
        let refused_connection = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(refused(&kube::Error::Service(Box::new(refused_connection))));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(!refused(&kube::Error::Service(Box::new(reset))));
    }

    #[test]
    fn unsure_writes_are_dropped_with_their_expectation() {
        let e = Expectations::default();
        e.created("svc", &pod("a"));
        e.created("svc", &pod("b"));
        e.unsure_create("svc", "a");
        e.deleted("svc", "c");
        e.unsure_delete("svc", "c");
        // The cache shows a and c deleting: both settled by the cache, nothing left unsure.
        let _ = e.pending("svc", |n| n == "a" || n == "c", |n| n == "c");
        let map = e.inner.lock().unwrap();
        let p = map.get("svc").expect("b still expected");
        assert!(p.unsure_creates.is_empty() && p.unsure_deletes.is_empty());
        assert_eq!(p.creates.keys().collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn a_task_stopped_before_the_cache_showed_it_is_not_expected_any_more() {
        let e = Expectations::default();
        e.created("svc", &pod("a"));
        e.created("svc", &pod("b"));
        e.deleted("svc", "a");
        e.delete_done("svc", "a");
        // The cache never shows `a` (created and gone during a re-list): only `b` is pending.
        let (c, d) = e.pending("svc", |_| false, |_| true);
        let names: Vec<_> = c
            .iter()
            .filter_map(|p| p.metadata.name.as_deref())
            .collect();
        assert_eq!(names, ["b"]);
        assert!(d.is_empty());
    }

    #[test]
    fn creates_the_cache_shows_stop_being_expected_mid_round() {
        let e = Expectations::default();
        e.created("svc", &pod("a"));
        e.created("svc", &pod("b"));
        e.observed("svc", |n| n == "a");
        let (creates, _) = e.pending("svc", |_| false, |_| false);
        let names: Vec<_> = creates.iter().map(|p| p.metadata.name.clone()).collect();
        assert_eq!(names, vec![Some("b".to_string())]);
    }

    #[test]
    fn deletions_are_pending_until_the_cache_shows_them() {
        let e = Expectations::default();
        e.deleted("svc", "a");
        assert_eq!(e.pending("svc", |_| true, |_| false).1, ["a"]);
        assert!(e.pending("svc", |_| true, |_| true).1.is_empty());
    }
}
