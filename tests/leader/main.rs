//! Leader election with real operator processes: only the Lease holder writes, a standby
//! takes over after the holder is SIGKILLed (within the lease duration, and not before the
//! lease expired), a SIGTERMed holder hands the Lease over at once, and a holder whose Lease
//! is taken exits non-zero (fail-stop).
//!
//! # What "no moment with two writers" can honestly be proven from the API
//!
//! Nothing outside a process can see what it *tried* to do; what can be seen is what the
//! API server *committed*, and in which order. Every write to etcd gets the next etcd
//! revision, which the API server exposes as `resourceVersion`; on one etcd (as here) these
//! are one global sequence across all resource types. The API calls resourceVersions opaque,
//! so this ordering is a property of this test environment, used only by the test.
//!
//! Each replica writes under its own name (`--manager ecs-operator-<x>`: the field manager of
//! its Pod and ControllerRevision creates, the reportingController of its Events), and the
//! test watches, from one resourceVersion taken before any replica starts, every change of
//! the Lease and every create (and Event update) in the namespace. For each attributable
//! write committed at revision r, the Lease term in force at r (the last Lease version
//! with a smaller revision) must name the writer. That proves: no replica's write landed
//! while the Lease named another replica — neither a standby writing early nor a dead
//! leader's late write landing in its successor's term. The expiry is proven separately:
//! the standby takes the Lease only after (lease duration − renewal interval) has passed
//! since the holder died.
//!
//! Not attributable, so not covered: deletes (no field manager is recorded) and writes whose
//! field manager did not change ownership (status server-side applies by the same manager).
//! The scenario (a scale-up) needs no deletes; the creates are the writes that could
//! duplicate tasks if two replicas ran at once.

#[path = "../support/operator_process.rs"]
mod operator_process;
#[path = "../support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, ListParams, Patch, PatchParams, WatchEvent, WatchParams};
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde_json::json;

use operator_process::OperatorProcess;
use support::{TestCluster, TestNamespace, live_task_pods, wait_for_tasks};

/// Short terms so the test takes seconds: lease 6 s, leader gives up after 4 s without a
/// renewal, renewals and standby attempts every 1 s.
const LEASE: Duration = Duration::from_secs(6);
const RETRY: Duration = Duration::from_secs(1);

/// One committed write, attributed to a replica.
#[derive(Clone, Debug)]
struct Write {
    revision: u64,
    what: String,
    replica: String,
}

/// One Lease version: from `revision` on, `holder` (a replica) holds it.
#[derive(Clone, Debug)]
struct Term {
    revision: u64,
    holder: Option<String>,
    seen: Instant,
}

#[derive(Default)]
struct Log {
    writes: Vec<Write>,
    terms: Vec<Term>,
    seen: BTreeSet<String>,
}

type Shared = Arc<Mutex<Log>>;

fn revision<K: Resource>(obj: &K) -> u64 {
    obj.meta()
        .resource_version
        .as_deref()
        .and_then(|rv| rv.parse().ok())
        .expect("numeric resourceVersion (one etcd)")
}

/// `ecs-operator-b` → `b`; `replica-b_1f2e3d4c` → `b`.
fn replica_of_manager(manager: &str) -> Option<String> {
    manager.strip_prefix("ecs-operator-").map(str::to_string)
}
fn replica_of_identity(identity: &str) -> Option<String> {
    identity
        .strip_prefix("replica-")
        .and_then(|rest| rest.split('_').next())
        .map(str::to_string)
}

fn creator<K: Resource>(obj: &K) -> Option<String> {
    obj.meta()
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.manager.as_deref())
        .find_map(replica_of_manager)
}

/// Watches `api` from `from` (resuming on stream end), calling `on` for every added or
/// modified object. Panics (finishing the task, which the test checks) on a watch error:
/// a gap in the record would make the proof void.
fn record<K, F>(
    api: Api<K>,
    params: WatchParams,
    from: String,
    mut on: F,
) -> tokio::task::JoinHandle<()>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    F: FnMut(bool, &K) + Send + 'static,
{
    tokio::spawn(async move {
        let mut rv = from;
        loop {
            let stream = api.watch(&params, &rv).await.expect("start watch");
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                match event.expect("watch event") {
                    WatchEvent::Added(o) => {
                        rv = o.resource_version().unwrap_or(rv);
                        on(true, &o);
                    }
                    WatchEvent::Modified(o) => {
                        rv = o.resource_version().unwrap_or(rv);
                        on(false, &o);
                    }
                    WatchEvent::Deleted(o) => rv = o.resource_version().unwrap_or(rv),
                    WatchEvent::Bookmark(b) => rv = b.metadata.resource_version,
                    WatchEvent::Error(e) => panic!("watch error (record has a gap): {e:?}"),
                }
            }
        }
    })
}

fn replica(name: &str, ns: &str, lease: &str) -> OperatorProcess {
    let letter = name.trim_start_matches("replica-");
    OperatorProcess::start(
        name,
        &[
            "--leader-elect",
            "--leader-election-namespace",
            ns,
            "--leader-election-id",
            lease,
            "--leader-election-lease-duration-seconds",
            &LEASE.as_secs().to_string(),
            "--leader-election-renew-deadline-seconds",
            "4",
            "--leader-election-retry-period-seconds",
            &RETRY.as_secs().to_string(),
            "--manager",
            &format!("ecs-operator-{letter}"),
        ],
    )
}

/// Waits until the recorded Lease names `holder`; returns when the record showed it.
async fn holder_becomes(log: &Shared, holder: &str, deadline: Duration) -> Option<Instant> {
    let start = Instant::now();
    loop {
        let found = log
            .lock()
            .unwrap()
            .terms
            .iter()
            .find(|t| t.holder.as_deref() == Some(holder))
            .map(|t| t.seen);
        if found.is_some() {
            return found;
        }
        if start.elapsed() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every write whose revision falls in a Lease version that names another replica (or
/// none, or precedes the first version).
fn writes_outside_their_term(writes: &[Write], terms: &[Term]) -> Vec<String> {
    let mut terms = terms.to_vec();
    terms.sort_by_key(|t| t.revision);
    writes
        .iter()
        .filter_map(|w| {
            let holder = terms
                .iter()
                .rev()
                .find(|t| t.revision < w.revision)
                .and_then(|t| t.holder.clone());
            (holder.as_deref() != Some(w.replica.as_str())).then(|| {
                format!(
                    "{} by replica-{} at revision {} while the Lease named {holder:?}",
                    w.what, w.replica, w.revision
                )
            })
        })
        .collect()
}

/// The checker itself: a standby's early write, a dead leader's late write and a write
/// before any term are each reported; writes inside their terms are not.
#[test]
fn the_term_check_reports_writes_outside_their_term() {
    let term = |revision, holder: Option<&str>| Term {
        revision,
        holder: holder.map(str::to_string),
        seen: Instant::now(),
    };
    let write = |revision, replica: &str| Write {
        revision,
        what: format!("create Pod/p{revision}"),
        replica: replica.into(),
    };
    let terms = [term(20, Some("b")), term(10, Some("a")), term(30, None)];
    assert!(writes_outside_their_term(&[write(11, "a"), write(25, "b")], &terms).is_empty());
    let found = writes_outside_their_term(
        &[
            write(5, "a"),
            write(12, "b"),
            write(21, "a"),
            write(31, "b"),
        ],
        &terms,
    );
    assert_eq!(found.len(), 4, "{found:?}");
}

async fn scale(ns: &TestNamespace, n: i64) {
    ns.api_for("EcsService")
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"desiredCount": n}})),
        )
        .await
        .expect("scale");
}

#[tokio::test]
async fn only_the_lease_holder_writes_and_a_standby_takes_over() {
    support::ensure_crds().await;
    let ns = TestNamespace::new("leader").await;
    let cluster = TestCluster::new(&ns, 9).await;
    let lease = format!("ecs-operator-{}", ns.name);
    let yaml = format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  containerDefinitions: [{{name: web, image: nginx, cpu: 128, memory: 128}}]\n---\napiVersion: ecs.operator.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec: {{cluster: {}, taskDefinition: web, desiredCount: 0}}\n",
        cluster.name
    );
    ns.apply_yaml(&yaml).await.expect("apply");

    // The record starts before any replica runs.
    let client = ns.client.clone();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns.name);
    let from = pods
        .list_metadata(&ListParams::default().limit(1))
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("list resourceVersion");
    let log: Shared = Arc::default();
    let watch = WatchParams::default().timeout(290);
    let recorders = vec![
        record(
            Api::<Lease>::namespaced(client.clone(), &ns.name),
            watch.clone().fields(&format!("metadata.name={lease}")),
            from.clone(),
            {
                let log = log.clone();
                move |_, l: &Lease| {
                    let holder = l
                        .spec
                        .as_ref()
                        .and_then(|s| s.holder_identity.as_deref())
                        .and_then(replica_of_identity);
                    log.lock().unwrap().terms.push(Term {
                        revision: revision(l),
                        holder,
                        seen: Instant::now(),
                    });
                }
            },
        ),
        record(pods.clone(), watch.clone(), from.clone(), {
            let log = log.clone();
            move |added, p: &Pod| {
                if added {
                    let mut log = log.lock().unwrap();
                    log.seen.insert(format!("Pod/{}", p.name_any()));
                    if let Some(replica) = creator(p) {
                        log.writes.push(Write {
                            revision: revision(p),
                            what: format!("create Pod/{}", p.name_any()),
                            replica,
                        });
                    }
                }
            }
        }),
        record(
            Api::<ControllerRevision>::namespaced(client.clone(), &ns.name),
            watch.clone(),
            from.clone(),
            {
                let log = log.clone();
                move |added, cr: &ControllerRevision| {
                    if let (true, Some(replica)) = (added, creator(cr)) {
                        log.lock().unwrap().writes.push(Write {
                            revision: revision(cr),
                            what: format!("create ControllerRevision/{}", cr.name_any()),
                            replica,
                        });
                    }
                }
            },
        ),
        record(
            Api::<Event>::namespaced(client.clone(), &ns.name),
            watch.clone(),
            from.clone(),
            {
                let log = log.clone();
                move |added, e: &Event| {
                    let mut log = log.lock().unwrap();
                    log.seen.insert(format!("Event/{}", e.name_any()));
                    if let Some(replica) = e
                        .reporting_controller
                        .as_deref()
                        .and_then(replica_of_manager)
                    {
                        let verb = if added { "create" } else { "update" };
                        log.writes.push(Write {
                            revision: revision(e),
                            what: format!("{verb} Event/{} ({:?})", e.name_any(), e.reason),
                            replica,
                        });
                    }
                }
            },
        ),
    ];

    // A starts alone and leads; B starts as a standby that is ready but does not write.
    let mut a = replica("replica-a", &ns.name, &lease);
    assert!(
        holder_becomes(&log, "a", Duration::from_secs(30))
            .await
            .is_some(),
        "replica-a never took the Lease; log:\n{}",
        a.log_text()
    );
    let b = replica("replica-b", &ns.name, &lease);
    assert!(
        b.wait_probe("/readyz", 200, Duration::from_secs(30)).await,
        "a standby is ready; log:\n{}",
        b.log_text()
    );
    // A renews its term (so the takeover below is of a renewed, then expired, Lease).
    let renewed = support::poll_until(LEASE, || async {
        let log = log.lock().unwrap();
        log.terms
            .iter()
            .filter(|t| t.holder.as_deref() == Some("a"))
            .count()
            >= 2
    })
    .await;
    assert!(
        renewed,
        "replica-a renewed the Lease; log:\n{}",
        a.log_text()
    );
    assert_eq!(a.metric("ecs_operator_leader").await, Some(1.0));
    assert_eq!(b.metric("ecs_operator_leader").await, Some(0.0));

    // SIGKILL the leader in the middle of a scale-up. A ResourceQuota holds the scale-up at
    // QUOTA tasks, so the leader cannot finish it however fast it creates (its first round
    // opens every create of its window at once); it is killed once a task exists, and the
    // quota is lifted for its successor.
    const DESIRED: usize = 200;
    const QUOTA: usize = 50;
    let quota = ns.limit_pods(QUOTA).await;
    scale(&ns, DESIRED as i64).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut at_kill = 0;
    while at_kill == 0 && Instant::now() < deadline {
        at_kill = live_task_pods(&ns, "web").await.len();
        if at_kill == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    a.kill();
    let killed = Instant::now();
    assert!(
        (1..=QUOTA).contains(&at_kill),
        "killed mid scale-up: {at_kill} of {DESIRED} tasks existed (quota {QUOTA})"
    );
    quota
        .delete("pods", &Default::default())
        .await
        .expect("lift the quota");

    // B takes over when the lease has expired: not before (lease − renewal interval − 1 s of
    // slack for B's polling), and within the lease duration plus B's retry period and margin.
    let took = holder_becomes(&log, "b", LEASE + RETRY * 2 + Duration::from_secs(3))
        .await
        .unwrap_or_else(|| panic!("replica-b never took over; log:\n{}", b.log_text()));
    let takeover = took.saturating_duration_since(killed);
    assert!(
        takeover >= LEASE - RETRY - Duration::from_secs(1),
        "replica-b took the Lease {takeover:?} after the kill, before it could have expired"
    );
    assert!(
        takeover <= LEASE + RETRY * 2 + Duration::from_secs(2),
        "replica-b took the Lease {takeover:?} after the kill (lease {LEASE:?})"
    );
    wait_for_tasks(&ns, "web", Duration::from_secs(60), |p| p.len() == DESIRED).await;

    // SIGTERM hands over at once: B stops, releases the Lease, exits 0; C takes it well
    // before the lease would have expired.
    let c = replica("replica-c", &ns.name, &lease);
    assert!(
        c.wait_probe("/readyz", 200, Duration::from_secs(30)).await,
        "standby C ready; log:\n{}",
        c.log_text()
    );
    let mut b = b;
    b.terminate();
    let terminated = Instant::now();
    let status = b.wait_exit(Duration::from_secs(15)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "replica-b after SIGTERM: {status:?}; log:\n{}",
        b.log_text()
    );
    let took = holder_becomes(&log, "c", LEASE)
        .await
        .unwrap_or_else(|| panic!("replica-c never took over; log:\n{}", c.log_text()));
    let handover = took.saturating_duration_since(terminated);
    assert!(
        handover < LEASE - RETRY,
        "handover after SIGTERM took {handover:?}: the Lease was not released"
    );
    scale(&ns, DESIRED as i64 + 6).await;
    wait_for_tasks(&ns, "web", Duration::from_secs(60), |p| {
        p.len() == DESIRED + 6
    })
    .await;

    // Let the record catch up with every Pod and Event that exists now.
    let caught_up = support::poll_until(Duration::from_secs(20), || async {
        let pod_names = pods
            .list_metadata(&ListParams::default())
            .await
            .expect("list pods");
        let events = Api::<Event>::namespaced(client.clone(), &ns.name)
            .list_metadata(&ListParams::default())
            .await
            .expect("list events");
        let log = log.lock().unwrap();
        pod_names
            .items
            .iter()
            .all(|p| log.seen.contains(&format!("Pod/{}", p.name_any())))
            && events
                .items
                .iter()
                .all(|e| log.seen.contains(&format!("Event/{}", e.name_any())))
    })
    .await;
    assert!(caught_up, "the watch record caught up with the namespace");
    for r in &recorders {
        assert!(!r.is_finished(), "a recorder stopped: the record has a gap");
    }
    for r in &recorders {
        r.abort();
    }

    // Every attributable write landed in its writer's term.
    let (writes, mut terms) = {
        let log = log.lock().unwrap();
        (log.writes.clone(), log.terms.clone())
    };
    terms.sort_by_key(|t| t.revision);
    let violations = writes_outside_their_term(&writes, &terms);
    assert!(
        violations.is_empty(),
        "writes outside the writer's term:\n{}\nLease versions (revision, holder): {:?}",
        violations.join("\n"),
        terms
            .iter()
            .map(|t| (t.revision, t.holder.clone()))
            .collect::<Vec<_>>()
    );
    let mut per_replica = std::collections::BTreeMap::<String, usize>::new();
    for w in &writes {
        *per_replica.entry(w.replica.clone()).or_default() += 1;
    }
    // Not vacuous: each of the three terms wrote, including tasks of the same scale-up.
    let pod_creates = |r: &str| {
        writes
            .iter()
            .filter(|w| w.replica == r && w.what.starts_with("create Pod/"))
            .count()
    };
    assert!(pod_creates("a") >= 1, "A created tasks: {per_replica:?}");
    assert!(
        pod_creates("b") >= 1,
        "B finished the scale-up: {per_replica:?}"
    );
    assert!(pod_creates("c") >= 1, "C scaled further: {per_replica:?}");
    assert_eq!(
        pod_creates("a") + pod_creates("b") + pod_creates("c"),
        DESIRED + 6,
        "every task created exactly once"
    );
    eprintln!(
        "writes by replica: {per_replica:?}; task creates a/b/c: {}/{}/{}; tasks at the kill: {at_kill}; \
         takeover after SIGKILL: {takeover:?}; handover after SIGTERM: {handover:?}; Lease versions: {}",
        pod_creates("a"),
        pod_creates("b"),
        pod_creates("c"),
        terms.len()
    );
    assert!(
        terms.iter().any(|t| t.holder.is_none()),
        "B released the Lease on SIGTERM (a version without holder)"
    );

    // A standby stops at once on SIGTERM (nothing to finish, no Lease to release).
    let mut d = replica("replica-d", &ns.name, &lease);
    assert!(
        d.wait_probe("/readyz", 200, Duration::from_secs(30)).await,
        "standby D ready; log:\n{}",
        d.log_text()
    );
    d.terminate();
    let status = d.wait_exit(Duration::from_secs(5)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "standby after SIGTERM: {status:?}; log:\n{}",
        d.log_text()
    );

    // Leave nothing for later test binaries: the leader drains the service while it runs.
    let services = ns.api_for("EcsService");
    services
        .delete("web", &Default::default())
        .await
        .expect("delete the service");
    let drained = support::poll_until(Duration::from_secs(60), || async {
        services.get_opt("web").await.ok().flatten().is_none()
    })
    .await;
    assert!(drained, "the leader drained the service");

    // Fail-stop: when another identity takes the Lease (as after a partition), the holder
    // stops writing by exiting non-zero at its next renewal instead of carrying on.
    let mut c = c;
    let leases: Api<Lease> = Api::namespaced(client.clone(), &ns.name);
    let taken = support::poll_until(Duration::from_secs(10), || async {
        let mut l = leases.get(&lease).await.expect("get Lease");
        let spec = l.spec.get_or_insert_with(Default::default);
        spec.holder_identity = Some("intruder".into());
        spec.renew_time = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
            k8s_openapi::jiff::Timestamp::now(),
        ));
        // A conflict with C's own renewal: read again and retry.
        leases
            .replace(&lease, &Default::default(), &l)
            .await
            .is_ok()
    })
    .await;
    assert!(taken, "the test took the Lease");
    let status = c.wait_exit(RETRY * 2 + Duration::from_secs(3)).await;
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "replica-c exits 1 once the Lease is taken; log:\n{}",
        c.log_text()
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}
