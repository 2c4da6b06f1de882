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

use support::{TestCluster, TestNamespace, live_task_pods, wait_for_tasks};

fn start_operator() -> Child {
    let kubeconfig = std::env::var("ECS_TEST_KUBECONFIG").expect("ECS_TEST_KUBECONFIG");
    Command::new(env!("CARGO_BIN_EXE_ecs-operator"))
        .arg("run")
        // No endpoints: the default ports 8080/8081 may be taken on a shared machine.
        .args([
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
        .expect("start the operator")
}

#[tokio::test]
async fn sigkill_during_scale_up_neither_loses_nor_duplicates_tasks() {
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

    let mut operator = start_operator();
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
        operator.kill().expect("SIGKILL the operator");
        operator.wait().expect("reap");
        operator = start_operator();
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
    let _ = operator.kill();
    let _ = operator.wait();
    ns.cleanup().await;
    cluster.cleanup().await;
}
