//! Restart safety: the operator process is killed with SIGKILL in the middle of a scale-up
//! and restarted; the service ends with exactly its desired count, and an independent watch
//! never sees more live tasks than desired. The operator runs as a real subprocess here
//! (the binary `make test` built), not in-process.

#[path = "../support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::watcher;
use serde_json::json;

use support::invariants::InvariantWatch;
use support::{TestCluster, TestNamespace, live_task_pods, wait_for_tasks};

/// The operator subprocess; killed when dropped, so a failing test never leaves one running
/// against the plane the next test binary uses.
struct Operator(Child);

impl Operator {
    fn start() -> Self {
        let kubeconfig = std::env::var("ECS_TEST_KUBECONFIG").expect("ECS_TEST_KUBECONFIG");
        let child = Command::new(env!("CARGO_BIN_EXE_ecs-operator"))
            .args([
                "run",
                "--healthy-after-seconds",
                "2",
                "--node-lost-after-seconds",
                "3",
                // No endpoints: the default ports 8080/8081 may be taken on a shared machine.
                "--metrics-bind-address",
                "0",
                "--health-probe-bind-address",
                "0",
            ])
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the operator");
        Self(child)
    }

    /// SIGKILL, then start a fresh process.
    fn kill_and_restart(&mut self) {
        self.0.kill().expect("SIGKILL the operator");
        self.0.wait().expect("reap");
        *self = Self::start();
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A moment of the rollout, judged from the live task Pods.
type KillPoint<'a> = dyn Fn(&[Pod]) -> bool + Sync + 'a;

/// One operator process at a time: the tests of this binary run one after another.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn sigkill_during_scale_up_neither_loses_nor_duplicates_tasks() {
    let _serial = SERIAL.lock().await;
    support::ensure_crds().await;
    let ns = TestNamespace::new("restart").await;
    let cluster = TestCluster::new(&ns, 9).await;
    let yaml = format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  containerDefinitions: [{{name: web, image: nginx, cpu: 128, memory: 128}}]\n---\napiVersion: ecs.operator.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec: {{cluster: {}, taskDefinition: web, desiredCount: 0}}\n",
        cluster.name
    );
    ns.apply_yaml(&yaml).await.expect("apply");

    // Independent watcher: the most live task Pods ever seen at once.
    let max_seen = Arc::new(AtomicUsize::new(0));
    let (client, watch_ns, max) = (ns.client.clone(), ns.name.clone(), max_seen.clone());
    let watch = tokio::spawn(async move {
        let api: Api<Pod> = Api::namespaced(client, &watch_ns);
        let mut live: BTreeMap<String, bool> = BTreeMap::new();
        let mut stream = std::pin::pin!(watcher(
            api,
            watcher::Config::default().labels("ecs.operator.dev/service=web")
        ));
        while let Some(Ok(event)) = stream.next().await {
            match event {
                watcher::Event::Apply(p) | watcher::Event::InitApply(p) => {
                    live.insert(
                        p.metadata.name.clone().unwrap_or_default(),
                        p.metadata.deletion_timestamp.is_none(),
                    );
                }
                watcher::Event::Delete(p) => {
                    live.remove(&p.metadata.name.clone().unwrap_or_default());
                }
                _ => {}
            }
            max.fetch_max(live.values().filter(|a| **a).count(), Ordering::SeqCst);
        }
    });

    let mut operator = Operator::start();
    let services = ns.api_for("EcsService");
    services
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"desiredCount": 50}})),
        )
        .await
        .expect("scale");
    // Kill it three times at different points of the scale-up: after the first tasks, in
    // the middle, and near the end.
    for threshold in [1usize, 20, 40] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while live_task_pods(&ns, "web").await.len() < threshold
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        operator.kill_and_restart();
    }
    let pods = wait_for_tasks(&ns, "web", Duration::from_secs(60), |p| p.len() == 50).await;
    assert_eq!(pods.len(), 50);
    // Stays at exactly 50 once converged.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        live_task_pods(&ns, "web").await.len(),
        50,
        "no late duplicate"
    );
    watch.abort();
    let max = max_seen.load(Ordering::SeqCst);
    assert!(
        max <= 50,
        "an independent watch saw {max} live tasks (desired 50)"
    );
    drop(operator);
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// SIGKILL three times during a rolling deployment (D=10, 100/200): the rollout completes on
/// the new revision with exactly D tasks, and the invariant watcher never sees more than
/// 20 live or fewer than 10 healthy tasks.
#[tokio::test]
async fn sigkill_mid_rollout_completes_within_the_bounds() {
    let _serial = SERIAL.lock().await;
    support::ensure_crds().await;
    let ns = TestNamespace::new("restart-roll").await;
    let cluster = TestCluster::new(&ns, 6).await;
    let yaml = format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  containerDefinitions: [{{name: web, image: nginx, cpu: 128, memory: 128}}]\n---\napiVersion: ecs.operator.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec: {{cluster: {}, taskDefinition: web, desiredCount: 10}}\n",
        cluster.name
    );
    ns.apply_yaml(&yaml).await.expect("apply");
    let mut operator = Operator::start();
    let services = ns.api_for("EcsService");
    let completed_on = |o: &kube::api::DynamicObject, revision: &str| {
        let d = o.data["status"]["deployments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        d.len() == 1
            && d[0]["rolloutState"] == "COMPLETED"
            && d[0]["taskDefinition"]
                .as_str()
                .is_some_and(|t| t.ends_with(revision))
            && o.data["status"]["runningCount"] == 10
    };
    support::wait_for_object(&services, "web", Duration::from_secs(90), |o| {
        completed_on(o, ":1")
    })
    .await
    .expect("revision 1 completes");
    let watch = InvariantWatch::start(ns.client.clone(), &ns.name, "web", 20, 10).await;
    ns.api_for("TaskDefinition")
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"containerDefinitions": [{"name": "web", "image": "nginx:2", "cpu": 128, "memory": 128}]}})),
        )
        .await
        .expect("revision 2");
    let of_revision = |pods: &[Pod], r: &str| {
        pods.iter()
            .filter(|p| {
                p.metadata
                    .labels
                    .as_ref()
                    .is_some_and(|l| l["ecs.operator.dev/revision"] == r)
            })
            .count()
    };
    // Kill it as the first new tasks appear, halfway through the new ones, and once old
    // tasks have begun to stop.
    let points: [&KillPoint<'_>; 3] = [
        &|p| of_revision(p, "2") >= 1,
        &|p| of_revision(p, "2") >= 5,
        &|p| of_revision(p, "1") < 10,
    ];
    for point in points {
        let reached = support::poll_until(Duration::from_secs(60), || async {
            point(&live_task_pods(&ns, "web").await)
        })
        .await;
        assert!(reached, "the rollout reached the kill point");
        operator.kill_and_restart();
    }
    let done = support::wait_for_object(&services, "web", Duration::from_secs(120), |o| {
        completed_on(o, ":2")
    })
    .await;
    let record = watch.finish();
    done.expect("revision 2 completes after the restarts");
    assert!(record.violations.is_empty(), "{:?}", record.violations);
    let pods = live_task_pods(&ns, "web").await;
    assert_eq!(
        (pods.len(), of_revision(&pods, "2")),
        (10, 10),
        "exactly D tasks, all new"
    );
    drop(operator);
    ns.cleanup().await;
    cluster.cleanup().await;
}
