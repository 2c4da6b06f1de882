//! Rolling deployments the ECS way (ecs-semantics.md §3.2–§3.6) on a real control plane with
//! kwok container instances in three zones. An independent watcher checks the deployment
//! bounds at every Pod event of every rollout.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};

use crate::support::invariants::{InvariantWatch, ecs_bounds};
use crate::support::{
    TestCluster, TestNamespace, ensure_operator, live_task_pods, poll_until, wait_for_object,
};

const WAIT: Duration = Duration::from_secs(90);

pub fn manifests(cluster: &str, image: &str, service_spec: &str) -> String {
    format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata: {{name: web}}
spec:
  family: web
  containerDefinitions: [{{name: web, image: "{image}", cpu: 256, memory: 256}}]
---
apiVersion: ecs.operator.dev/v1alpha1
kind: EcsService
metadata: {{name: web}}
spec:
  cluster: {cluster}
  taskDefinition: web
{service_spec}
"#
    )
}

fn deployments(o: &DynamicObject) -> Vec<Value> {
    o.data["status"]["deployments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Only one deployment left, COMPLETED, on revision `revision`, with `desired` running.
pub fn completed_on(o: &DynamicObject, revision: u32, desired: i64) -> bool {
    let d = deployments(o);
    d.len() == 1
        && d[0]["status"] == "PRIMARY"
        && d[0]["rolloutState"] == "COMPLETED"
        && d[0]["taskDefinition"]
            .as_str()
            .is_some_and(|t| t.ends_with(&format!(":{revision}")))
        && o.data["status"]["runningCount"] == desired
}

pub fn has_event(o: &DynamicObject, needle: &str) -> bool {
    o.data["status"]["events"].as_array().is_some_and(|e| {
        e.iter()
            .any(|e| e["message"].as_str().is_some_and(|m| m.contains(needle)))
    })
}

async fn new_revision(ns: &TestNamespace, image: &str) {
    ns.api_for("TaskDefinition")
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"containerDefinitions": [{"name": "web", "image": image, "cpu": 256, "memory": 256}]}})),
        )
        .await
        .expect("new task definition revision");
}

/// Creates a service of `desired` tasks with the given percents, waits for it to complete on
/// revision 1, then rolls it to revision 2 under the invariant watcher.
async fn roll(
    prefix: &str,
    desired: usize,
    min: usize,
    max: usize,
) -> (TestNamespace, TestCluster, InvariantWatch) {
    ensure_operator().await;
    let ns = TestNamespace::new(prefix).await;
    let cluster = TestCluster::new(&ns, 6).await;
    let spec = format!(
        "  desiredCount: {desired}\n  deploymentConfiguration: {{minimumHealthyPercent: {min}, maximumPercent: {max}}}"
    );
    ns.apply_yaml(&manifests(&cluster.name, "nginx:1.27", &spec))
        .await
        .expect("apply");
    wait_for_object(&ns.api_for("EcsService"), "web", WAIT, |o| {
        completed_on(o, 1, desired as i64)
    })
    .await
    .expect("revision 1 completes");
    let (lo, hi) = ecs_bounds(desired, min, max);
    let watch = InvariantWatch::start(ns.client.clone(), &ns.name, "web", hi, lo).await;
    new_revision(&ns, "nginx:1.28").await;
    (ns, cluster, watch)
}

async fn rolls_within_bounds(
    prefix: &str,
    desired: usize,
    min: usize,
    max: usize,
) -> crate::support::invariants::Record {
    let (ns, cluster, watch) = roll(prefix, desired, min, max).await;
    let svc = wait_for_object(&ns.api_for("EcsService"), "web", WAIT, |o| {
        completed_on(o, 2, desired as i64)
    })
    .await;
    let record = watch.finish();
    if let Err(e) = svc {
        panic!("revision 2 completes ({desired} tasks, {min}/{max}): {e}");
    }
    assert!(
        record.violations.is_empty(),
        "{min}/{max}: {:?}",
        record.violations
    );
    let pods = live_task_pods(&ns, "web").await;
    assert_eq!(pods.len(), desired, "exactly D tasks at the end");
    assert!(
        pods.iter()
            .all(|p| p.metadata.labels.as_ref().unwrap()["ecs.operator.dev/revision"] == "2"),
        "every task runs revision 2"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
    record
}

#[tokio::test]
async fn d4_min50_max200_stays_within_bounds() {
    let r = rolls_within_bounds("roll-50-200", 4, 50, 200).await;
    assert!(
        r.max_live > 4,
        "max 200% lets new tasks start beside old ones: {r:?}"
    );
}

#[tokio::test]
async fn d4_min100_max200_starts_new_tasks_before_stopping_old_ones() {
    let r = rolls_within_bounds("roll-100-200", 4, 100, 200).await;
    assert_eq!(r.min_healthy, Some(4), "never below 4 healthy: {r:?}");
    assert_eq!(r.max_live, 8, "all four new tasks start first");
}

#[tokio::test]
async fn d4_min0_max100_stops_before_starting() {
    let r = rolls_within_bounds("roll-0-100", 4, 0, 100).await;
    assert_eq!(r.max_live, 4, "never more than 4 live: {r:?}");
}

/// ceil(2 × 0.75) = 2: nothing may stop before its replacement is healthy.
#[tokio::test]
async fn d2_min75_rounds_up_so_nothing_stops_early() {
    let r = rolls_within_bounds("roll-75", 2, 75, 200).await;
    assert_eq!(r.min_healthy, Some(2), "{r:?}");
}

/// floor(3 × 1.25) = 3: nothing extra may start.
#[tokio::test]
async fn d3_max125_rounds_down_so_nothing_extra_starts() {
    let r = rolls_within_bounds("roll-125", 3, 50, 125).await;
    assert_eq!(r.max_live, 3, "{r:?}");
}

/// 100/100: no task may stop and none may start; ECS's event, and no motion.
#[tokio::test]
async fn d4_min100_max100_is_stuck_with_the_ecs_event() {
    let (ns, cluster, watch) = roll("roll-100-100", 4, 100, 100).await;
    let before: Vec<String> = live_task_pods(&ns, "web")
        .await
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    let svc = wait_for_object(&ns.api_for("EcsService"), "web", WAIT, |o| {
        has_event(o, "was unable to stop or start tasks during a deployment because of the service deployment configuration")
    })
    .await
    .expect("the deadlock event");
    let d = deployments(&svc);
    assert_eq!(
        d.len(),
        2,
        "PRIMARY and the ACTIVE one it cannot replace: {d:?}"
    );
    assert_eq!(d[0]["rolloutState"], "IN_PROGRESS");
    let after: Vec<String> = live_task_pods(&ns, "web")
        .await
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    assert_eq!(before, after, "no task started or stopped");
    let record = watch.finish();
    assert!(record.violations.is_empty(), "{:?}", record.violations);
    assert_eq!(record.max_live, 4);
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// Marks every Running task of revision 2 as exited, as a kubelet reports a container that
/// exits at once (ran 0 s, exit code 1).
async fn crash_revision_2(ns: &TestNamespace) {
    let api: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    for p in live_task_pods(ns, "web").await {
        let labels = p.metadata.labels.clone().unwrap_or_default();
        let running = p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
        if labels.get("ecs.operator.dev/revision").map(String::as_str) != Some("2") || !running {
            continue;
        }
        let now = k8s_openapi::jiff::Timestamp::now().to_string();
        let exited = json!({"status": {"phase": "Failed", "containerStatuses": [{"name": "web", "image": "crash", "imageID": "",
            "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now, "finishedAt": now}}}]}});
        let _ = api
            .patch_status(
                p.metadata.name.as_deref().unwrap(),
                &PatchParams::default(),
                &Patch::Merge(exited),
            )
            .await;
    }
}

/// A revision whose essential container exits at once trips the circuit breaker (threshold
/// clamp(ceil(3 / 2), 3, 200) = 3); with rollback the service returns to revision 1 and ends
/// COMPLETED on it, and says so.
#[tokio::test]
async fn the_circuit_breaker_fails_a_crashing_revision_and_rolls_back() {
    ensure_operator().await;
    let ns = TestNamespace::new("breaker").await;
    let cluster = TestCluster::new(&ns, 6).await;
    let spec = "  desiredCount: 3\n  deploymentConfiguration:\n    deploymentCircuitBreaker: {enable: true, rollback: true}";
    ns.apply_yaml(&manifests(&cluster.name, "nginx:1.27", spec))
        .await
        .expect("apply");
    let services = ns.api_for("EcsService");
    let steady = wait_for_object(&services, "web", WAIT, |o| completed_on(o, 1, 3))
        .await
        .expect("revision 1 completes");
    let first = deployments(&steady)[0].clone();
    let watch = InvariantWatch::start(ns.client.clone(), &ns.name, "web", 6, 3).await;
    new_revision(&ns, "crash:latest").await;

    // The "kubelet": every task of revision 2 exits as soon as it runs.
    let rolled_back = poll_until(WAIT, || async {
        crash_revision_2(&ns).await;
        services
            .get("web")
            .await
            .is_ok_and(|o| has_event(&o, "rolling back to deploymentId") && completed_on(&o, 1, 3))
    })
    .await;
    let svc = services.get("web").await.expect("service");
    assert!(
        rolled_back,
        "rolled back and completed on revision 1: {}",
        svc.data["status"]
    );
    assert!(has_event(&svc, "deployment failed: tasks failed to start."));
    let conditions = svc.data["status"]["conditions"].to_string();
    assert!(conditions.contains("DeploymentFailed"), "{conditions}");
    let d = deployments(&svc);
    assert_ne!(
        d[0]["id"], first["id"],
        "the rollback is a new deployment of revision 1, as in ECS"
    );
    let record = watch.finish();
    assert!(record.violations.is_empty(), "{:?}", record.violations);
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// A task that turns UNHEALTHY after the grace period is replaced start-first: its
/// replacement is created before it begins to stop.
#[tokio::test]
async fn an_unhealthy_task_is_replaced_start_first() {
    ensure_operator().await;
    let ns = TestNamespace::new("unhealthy").await;
    let cluster = TestCluster::new(&ns, 3).await;
    // Unknown window: 0 + 1 × 5 + 2 = 7 s; grace 2 s.
    let yaml = format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata: {{name: web}}
spec:
  family: web
  containerDefinitions:
  - name: web
    image: nginx
    memory: 128
    healthCheck: {{command: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], interval: 5, timeout: 2, retries: 1}}
---
apiVersion: ecs.operator.dev/v1alpha1
kind: EcsService
metadata: {{name: web}}
spec:
  cluster: {}
  taskDefinition: web
  desiredCount: 2
  healthCheckGracePeriodSeconds: 2
"#,
        cluster.name
    );
    ns.apply_yaml(&yaml).await.expect("apply");
    let services = ns.api_for("EcsService");
    wait_for_object(&services, "web", WAIT, |o| completed_on(o, 1, 2))
        .await
        .expect("steady");
    let watch = InvariantWatch::start(ns.client.clone(), &ns.name, "web", 4, 1).await;
    let pods = live_task_pods(&ns, "web").await;
    let victim = pods[0].clone();
    let name = victim.metadata.name.clone().unwrap();
    // Not ready past the unknown window (7 s after start) means UNHEALTHY: the rule under
    // test is about time, so wait for that moment.
    let started = victim
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c[0].state.as_ref())
        .and_then(|s| s.running.as_ref())
        .and_then(|r| r.started_at.clone())
        .expect("started");
    let past_window = started.0 + k8s_openapi::jiff::SignedDuration::from_secs(8);
    let wait = past_window.duration_since(k8s_openapi::jiff::Timestamp::now());
    if wait.is_positive() {
        tokio::time::sleep(Duration::from_secs_f64(wait.as_secs_f64())).await;
    }
    let mut statuses = victim.status.clone().unwrap().container_statuses.unwrap();
    statuses[0].ready = false;
    let api: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    api.patch_status(
        &name,
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"containerStatuses": statuses,
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "ContainersReady", "status": "False"}]}})),
    )
    .await
    .expect("the container turns unhealthy");
    let replaced = poll_until(WAIT, || async {
        let live = live_task_pods(&ns, "web").await;
        live.len() == 2
            && live
                .iter()
                .all(|p| p.metadata.name.as_deref() != Some(name.as_str()))
    })
    .await;
    assert!(replaced, "the unhealthy task was replaced");
    let svc = wait_for_object(&services, "web", WAIT, |o| {
        has_event(o, "Task failed container health checks")
    })
    .await;
    svc.expect("the ECS stop reason is reported");
    let record = watch.finish();
    assert!(record.violations.is_empty(), "{:?}", record.violations);
    assert_eq!(
        record.stopped.first(),
        Some(&name),
        "the victim is the first to stop"
    );
    assert_eq!(
        record.max_live, 3,
        "start-first: the replacement ran beside it: {record:?}"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// ECS resolves a bare family when a deployment starts: deleting the TaskDefinition (its
/// family goes INACTIVE) leaves the service running — and replacing tasks — on the revision
/// it runs.
#[tokio::test]
async fn a_service_keeps_its_revision_when_the_family_goes_inactive() {
    ensure_operator().await;
    let ns = TestNamespace::new("inactive").await;
    let cluster = TestCluster::new(&ns, 3).await;
    ns.apply_yaml(&manifests(&cluster.name, "nginx:1.27", "  desiredCount: 2"))
        .await
        .expect("apply");
    let services = ns.api_for("EcsService");
    wait_for_object(&services, "web", WAIT, |o| completed_on(o, 1, 2))
        .await
        .expect("steady");
    ns.api_for("TaskDefinition")
        .delete("web", &Default::default())
        .await
        .expect("delete the TaskDefinition");
    let gone = poll_until(WAIT, || async {
        ns.api_for("TaskDefinition")
            .get_opt("web")
            .await
            .ok()
            .flatten()
            .is_none()
    })
    .await;
    assert!(gone, "the TaskDefinition is gone");
    // A task is lost: the service still replaces it from the INACTIVE revision.
    let victim = live_task_pods(&ns, "web").await[0]
        .metadata
        .name
        .clone()
        .unwrap();
    let api: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    api.delete(&victim, &Default::default())
        .await
        .expect("delete a task");
    let replaced = poll_until(WAIT, || async {
        let live = live_task_pods(&ns, "web").await;
        live.len() == 2
            && live
                .iter()
                .all(|p| p.metadata.name.as_deref() != Some(victim.as_str()))
    })
    .await;
    assert!(replaced, "the lost task was replaced");
    let svc = wait_for_object(&services, "web", WAIT, |o| completed_on(o, 1, 2))
        .await
        .expect("steady on revision 1");
    let conditions = svc.data["status"]["conditions"].to_string();
    assert!(
        !conditions.contains("TaskDefinitionInactive"),
        "{conditions}"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// A second update during a rollout makes another PRIMARY; the previous one becomes ACTIVE
/// beside the original and both drain (§3.4), within the bounds throughout.
#[tokio::test]
async fn two_quick_updates_leave_two_active_deployments_that_both_drain() {
    // 100/150: revision 2 replaces two tasks at a time, so its first tasks are RUNNING while
    // revision 1 still has some.
    let (ns, cluster, watch) = roll("roll-twice", 4, 100, 150).await;
    let services = ns.api_for("EcsService");
    let midway = wait_for_object(&services, "web", WAIT, |o| {
        let d = deployments(o);
        // Revision 1 down to 2: revision 2's first two are healthy (only then do old ones
        // stop).
        d.len() == 2 && d[0]["runningCount"].as_i64() >= Some(2) && d[1]["runningCount"] == 2
    })
    .await;
    midway.expect("revision 2 halfway");
    new_revision(&ns, "nginx:1.29").await;
    let three = wait_for_object(&services, "web", WAIT, |o| {
        let d = deployments(o);
        d.len() == 3
            && d[0]["status"] == "PRIMARY"
            && d[1..].iter().all(|x| x["status"] == "ACTIVE")
    })
    .await;
    three.expect("PRIMARY and two ACTIVE deployments at once");
    wait_for_object(&services, "web", WAIT, |o| completed_on(o, 3, 4))
        .await
        .expect("revision 3 completes; the others drained");
    let record = watch.finish();
    assert!(record.violations.is_empty(), "{:?}", record.violations);
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// Tasks that never reach RUNNING (here: the image cannot be pulled) are retried with a
/// growing back-off (§3.7): the service says it cannot consistently start tasks, and no task
/// is created before the recorded `nextLaunchAt`.
#[tokio::test]
async fn tasks_that_never_start_are_retried_with_a_growing_back_off() {
    ensure_operator().await;
    let ns = TestNamespace::new("throttle").await;
    let cluster = TestCluster::new(&ns, 3).await;
    ns.apply_yaml(&manifests(
        &cluster.name,
        "nope:missing",
        "  desiredCount: 1",
    ))
    .await
    .expect("apply");
    let services = ns.api_for("EcsService");
    let api: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    // The "kubelet": every task's image pull fails. Watch the back-off the service records.
    let mut launch_limits: Vec<k8s_openapi::jiff::Timestamp> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let throttled = loop {
        for p in live_task_pods(&ns, "web").await {
            let failing = json!({"status": {"containerStatuses": [{"name": "web", "image": "nope:missing", "imageID": "",
                "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "ErrImagePull", "message": "pull access denied"}}}]}});
            let name = p.metadata.name.clone().unwrap();
            let _ = api
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(failing))
                .await;
        }
        let svc = services.get("web").await.expect("service");
        if let Some(at) = svc.data["status"]["rollout"]["nextLaunchAt"].as_str() {
            let at: k8s_openapi::jiff::Timestamp = at.parse().unwrap();
            if launch_limits.last() != Some(&at) {
                launch_limits.push(at);
            }
        }
        if has_event(&svc, "is unable to consistently start tasks successfully.")
            && launch_limits.len() >= 2
        {
            break true;
        }
        if tokio::time::Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        throttled,
        "throttled after repeated failures: {launch_limits:?}"
    );
    let svc = services.get("web").await.expect("service");
    assert!(svc.data["status"]["rollout"]["launchFailures"].as_i64() >= Some(2));
    // The next task is created once the back-off in force ends, not before (the growth of
    // the back-off itself is unit-tested in rollout::deployments).
    let failures = svc.data["status"]["rollout"]["launchFailures"]
        .as_i64()
        .unwrap();
    assert!(failures >= 2, "{failures}");
    let last_limit = *launch_limits.last().unwrap();
    let next = poll_until(Duration::from_secs(60), || async {
        live_task_pods(&ns, "web").await.iter().any(|p| {
            p.metadata.creation_timestamp.clone().unwrap().0
                >= last_limit - k8s_openapi::jiff::SignedDuration::from_secs(1)
        })
    })
    .await;
    assert!(next, "a task is retried once the back-off ends");
    for p in live_task_pods(&ns, "web").await {
        let at = p.metadata.creation_timestamp.clone().unwrap().0;
        // creationTimestamp has 1 s resolution.
        assert!(
            at.as_second() + 1 >= last_limit.as_second(),
            "task {:?} created at {at} before the back-off ended at {last_limit}",
            p.metadata.name
        );
    }
    ns.cleanup().await;
    cluster.cleanup().await;
}
