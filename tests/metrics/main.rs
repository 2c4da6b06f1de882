//! The operations endpoints of a real `ecs-operator run` process (the binary, as the Helm
//! chart runs it): `/healthz`, `/readyz` after the caches sync, `/metrics` counting what the
//! operator did for a service that converges, and a SIGTERM that stops it cleanly (exit 0).

#[path = "../support/operator_process.rs"]
mod operator_process;
#[path = "../support/mod.rs"]
mod support;

use std::time::Duration;

use kube::api::{Api, ListParams};

use operator_process::{OperatorProcess, sample};
use support::{TestCluster, TestNamespace, wait_for_object, wait_for_tasks};

const WAIT: Duration = Duration::from_secs(60);

/// RUNNING task Pods in the whole cluster (the gauge covers every namespace), by the same
/// derivation of lastStatus as the operator's, from a fresh LIST.
async fn running_tasks_in_cluster(client: &kube::Client) -> i64 {
    let pods: Api<ecs_operator::slim_pod::SlimPod> = Api::all(client.clone());
    let now = k8s_openapi::jiff::Timestamp::now();
    pods.list(&ListParams::default())
        .await
        .expect("list pods")
        .items
        .iter()
        .filter(|p| {
            p.metadata.owner_references.iter().flatten().any(|o| {
                o.controller == Some(true) && (o.kind == "EcsService" || o.kind == "EcsTask")
            })
        })
        .filter(|p| {
            ecs_operator::tasks::observe::observe(p, now).last_status
                == ecs_operator::tasks::observe::LastStatus::Running
        })
        .count() as i64
}

#[tokio::test]
async fn metrics_and_probes_report_a_converging_service() {
    support::ensure_crds().await;
    let ns = TestNamespace::new("metrics").await;
    let cluster = TestCluster::new(&ns, 3).await;
    let yaml = format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  containerDefinitions: [{{name: web, image: nginx, cpu: 128, memory: 128}}]\n---\napiVersion: ecs.operator.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec: {{cluster: {}, taskDefinition: web, desiredCount: 3}}\n",
        cluster.name
    );
    ns.apply_yaml(&yaml).await.expect("apply");

    let mut operator = OperatorProcess::start(&format!("{}-op", ns.name), &[]);
    assert!(
        operator
            .wait_probe("/healthz", 200, Duration::from_secs(30))
            .await,
        "/healthz never answered 200; log:\n{}",
        operator.log_text()
    );
    assert!(
        operator
            .wait_probe("/readyz", 200, Duration::from_secs(30))
            .await,
        "/readyz never became 200 (caches synced, controllers running); log:\n{}",
        operator.log_text()
    );

    wait_for_tasks(&ns, "web", WAIT, |p| p.len() == 3).await;
    let services = ns.api_for("EcsService");
    wait_for_object(&services, "web", WAIT, |s| {
        s.data["status"]["runningCount"] == 3
            && s.data["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
    .await
    .expect("service steady with 3 running tasks");

    let (code, body) = operator
        .get_metrics("/metrics")
        .await
        .expect("GET /metrics");
    assert_eq!(code, 200);
    let value = |series: &str| sample(&body, series);
    assert!(
        value(r#"ecs_operator_reconcile_total{controller="ecsservice",result="success"}"#)
            .is_some_and(|v| v > 0.0),
        "ecsservice reconciles counted:\n{body}"
    );
    assert!(
        value(r#"ecs_operator_reconcile_duration_seconds_count{controller="ecsservice"}"#)
            .is_some_and(|v| v > 0.0),
        "ecsservice reconcile durations observed:\n{body}"
    );
    assert!(
        value("ecs_operator_placement_duration_seconds_count").is_some_and(|v| v >= 1.0),
        "placement decisions timed:\n{body}"
    );
    assert!(
        value(r#"ecs_operator_services{state="steady"}"#).is_some_and(|v| v >= 1.0),
        "the steady service counted:\n{body}"
    );
    assert!(
        value(r#"ecs_operator_workqueue_depth{controller="ecsservice"}"#).is_some(),
        "queue depth exported:\n{body}"
    );
    assert_eq!(value("ecs_operator_leader"), Some(1.0), "{body}");

    // The gauge is read from the operator's cache at scrape time; the cluster's pods may
    // still move (other namespaces), so compare scrape and LIST until they agree.
    let start = tokio::time::Instant::now();
    loop {
        let gauge = operator
            .metric(r#"ecs_operator_tasks{last_status="RUNNING"}"#)
            .await;
        let listed = running_tasks_in_cluster(&ns.client).await;
        if gauge == Some(listed as f64) && listed >= 3 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "tasks{{last_status=\"RUNNING\"}} = {gauge:?}, RUNNING task pods listed = {listed}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // SIGTERM: controllers stop, endpoints close, exit 0.
    operator.terminate();
    let status = operator.wait_exit(Duration::from_secs(20)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "exit after SIGTERM: {status:?}; log:\n{}",
        operator.log_text()
    );
    assert!(
        operator.get_health("/healthz").await.is_none(),
        "probe endpoint closed"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}
