//! loadBalancers / serviceRegistries → Kubernetes Services selecting the service's tasks;
//! their endpoints (maintained by kube-controller-manager) hold exactly the Ready tasks.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;

use crate::support::{TestCluster, TestNamespace, ensure_operator, live_task_pods, poll_until};

const WAIT: Duration = Duration::from_secs(60);

async fn services(ns: &TestNamespace) -> Vec<Service> {
    let api: Api<Service> = Api::namespaced(ns.client.clone(), &ns.name);
    api.list(&ListParams::default().labels("ecs.operator.dev/service=web"))
        .await
        .map(|l| l.items)
        .unwrap_or_default()
}

/// Ready endpoint addresses of a Service.
async fn ready_endpoints(ns: &TestNamespace, service: &str) -> usize {
    let api: Api<EndpointSlice> = Api::namespaced(ns.client.clone(), &ns.name);
    let slices = api
        .list(&ListParams::default().labels(&format!("kubernetes.io/service-name={service}")))
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    slices
        .iter()
        .flat_map(|s| s.endpoints.iter())
        .filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(false))
        .count()
}

#[tokio::test]
async fn targets_become_services_whose_endpoints_are_the_ready_tasks() {
    ensure_operator().await;
    let ns = TestNamespace::new("lb").await;
    let cluster = TestCluster::new(&ns, 3).await;
    let yaml = format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata: {{name: web}}
spec:
  family: web
  networkMode: awsvpc
  containerDefinitions:
  - {{name: web, image: nginx, memory: 128, portMappings: [{{containerPort: 80}}]}}
---
apiVersion: ecs.operator.dev/v1alpha1
kind: EcsService
metadata: {{name: web}}
spec:
  cluster: {}
  taskDefinition: web
  desiredCount: 2
  loadBalancers:
  - {{targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/0123456789abcdef", containerName: web, containerPort: 80}}
  serviceRegistries:
  - {{registryArn: "arn:aws:servicediscovery:us-east-1:111122223333:service/srv-web"}}
"#,
        cluster.name
    );
    ns.apply_yaml(&yaml).await.expect("apply");
    let found = poll_until(WAIT, || async { services(&ns).await.len() == 2 }).await;
    assert!(found, "one Service per target: {:?}", services(&ns).await);
    let all = services(&ns).await;
    let lb = all
        .iter()
        .find(|s| s.spec.as_ref().unwrap().cluster_ip.as_deref() != Some("None"))
        .expect("the target group's ClusterIP Service");
    let registry = all
        .iter()
        .find(|s| s.spec.as_ref().unwrap().cluster_ip.as_deref() == Some("None"))
        .expect("the registry's headless Service");
    let lb_name = lb.metadata.name.clone().unwrap();
    assert!(
        lb_name.starts_with("web-web-80-"),
        "named after container and port: {lb_name}"
    );
    assert_eq!(
        lb.spec.as_ref().unwrap().ports.as_ref().unwrap()[0].port,
        80
    );
    assert!(
        lb.metadata.annotations.as_ref().unwrap()["ecs.operator.dev/target-group-arn"]
            .contains("targetgroup/web")
    );
    assert!(
        registry
            .metadata
            .annotations
            .as_ref()
            .unwrap()
            .contains_key("ecs.operator.dev/registry-arn")
    );
    assert_eq!(
        lb.metadata.owner_references.as_ref().unwrap()[0].kind,
        "EcsService",
        "owned, so it goes with the service"
    );

    // The endpoints are the Ready tasks: both, then one when a task's check fails.
    let both = poll_until(WAIT, || async { ready_endpoints(&ns, &lb_name).await == 2 }).await;
    assert!(both, "two ready endpoints");
    let pods = live_task_pods(&ns, "web").await;
    let victim = pods[0].metadata.name.clone().unwrap();
    let api: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    api.patch_status(
        &victim,
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}})),
    )
    .await
    .expect("not ready");
    let one = poll_until(WAIT, || async { ready_endpoints(&ns, &lb_name).await == 1 }).await;
    assert!(one, "a not-ready task leaves the endpoints");

    // Removing the target removes its Service.
    ns.api_for("EcsService")
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"loadBalancers": null}})),
        )
        .await
        .expect("drop the target");
    let gone = poll_until(WAIT, || async { services(&ns).await.len() == 1 }).await;
    assert!(gone, "the target's Service is deleted");
    ns.cleanup().await;
    cluster.cleanup().await;
}
