//! `helm install` on the real control plane creates everything; the operator then runs with
//! the chart's ServiceAccount identity (impersonated) and a service converges — the RBAC is
//! enough — while requests it has no business making are denied.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod, Service, ServiceAccount};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::chart::{dir, helm_ok};
use crate::support::{
    self, TestCluster, TestNamespace, poll_until, service_account_client, spawn_operator_with,
    wait_for_object,
};

const CRDS: [&str; 4] = [
    "ecsclusters.ecs.operator.dev",
    "ecsservices.ecs.operator.dev",
    "ecstasks.ecs.operator.dev",
    "taskdefinitions.ecs.operator.dev",
];

/// The test plane already has the CRDs (other tests apply them): mark them as the
/// release's, the way Helm adopts existing objects, so the install takes them over.
async fn let_helm_adopt_crds(client: &Client, release: &str, namespace: &str) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let adopt = json!({"metadata": {
        "labels": {"app.kubernetes.io/managed-by": "Helm"},
        "annotations": {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": namespace}
    }});
    for crd in CRDS {
        api.patch(crd, &PatchParams::default(), &Patch::Merge(&adopt))
            .await
            .unwrap_or_else(|e| panic!("mark {crd} for adoption: {e}"));
    }
}

/// Leaves the kept CRDs as the other tests expect them: no Helm ownership marks.
async fn release_crds_from_helm(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in CRDS {
        let Ok(current) = api.get(crd).await else {
            continue;
        };
        let labels: serde_json::Map<String, serde_json::Value> = current
            .labels()
            .keys()
            .filter(|k| k.starts_with("app.kubernetes.io/") || k.starts_with("helm.sh/"))
            .map(|k| (k.clone(), serde_json::Value::Null))
            .collect();
        let release = json!({"metadata": {"labels": labels, "annotations": {
            "meta.helm.sh/release-name": null, "meta.helm.sh/release-namespace": null,
            "helm.sh/resource-policy": null
        }}});
        let _ = api
            .patch(crd, &PatchParams::default(), &Patch::Merge(&release))
            .await;
    }
}

/// The release namespace enforces the restricted Pod Security Standard, so the operator's
/// pods are only created if the chart's securityContext meets it.
async fn enforce_restricted(client: &Client, namespace: &str) {
    let labels = json!({"metadata": {"labels": {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest"
    }}});
    Api::<Namespace>::all(client.clone())
        .patch(namespace, &PatchParams::default(), &Patch::Merge(&labels))
        .await
        .expect("label the namespace restricted");
}

async fn blocking_helm(args: Vec<String>) -> String {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        helm_ok(&args)
    })
    .await
    .expect("helm task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_install_then_the_operator_converges_with_the_chart_rbac_only() {
    let release_ns = TestNamespace::new("helm").await;
    let admin = release_ns.client.clone();
    let release = release_ns.name.clone();
    let ns = release_ns.name.as_str();
    enforce_restricted(&admin, ns).await;
    let_helm_adopt_crds(&admin, &release, ns).await;

    let kubeconfig = support::kubeconfig_path();
    let notes = blocking_helm(
        [
            "install",
            &release,
            dir().to_str().expect("utf-8 path"),
            "--kubeconfig",
            &kubeconfig,
            "--namespace",
            ns,
            "--set",
            "replicaCount=2,podDisruptionBudget.enabled=true",
            "--timeout",
            "2m",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    assert!(
        notes.contains(&format!("leader election on: Lease {ns}/ecs-operator")),
        "NOTES.txt tells where the Lease is:\n{notes}"
    );

    // Everything the chart renders exists.
    let fullname = format!("{release}-ecs-operator");
    Api::<ServiceAccount>::namespaced(admin.clone(), ns)
        .get(&fullname)
        .await
        .expect("ServiceAccount");
    let cluster_role = Api::<ClusterRole>::all(admin.clone())
        .get(&fullname)
        .await
        .expect("ClusterRole");
    assert!(
        !cluster_role.rules.unwrap_or_default().iter().any(|r| r
            .resources
            .iter()
            .flatten()
            .any(|x| x == "secrets" || x == "*")),
        "the ClusterRole names no Secrets and no wildcard"
    );
    Api::<ClusterRoleBinding>::all(admin.clone())
        .get(&fullname)
        .await
        .expect("ClusterRoleBinding");
    let lease_role = format!("{fullname}-leader-election");
    Api::<Role>::namespaced(admin.clone(), ns)
        .get(&lease_role)
        .await
        .expect("leader-election Role");
    Api::<RoleBinding>::namespaced(admin.clone(), ns)
        .get(&lease_role)
        .await
        .expect("leader-election RoleBinding");
    Api::<Service>::namespaced(admin.clone(), ns)
        .get(&format!("{fullname}-metrics"))
        .await
        .expect("metrics Service");
    Api::<PodDisruptionBudget>::namespaced(admin.clone(), ns)
        .get(&fullname)
        .await
        .expect("PodDisruptionBudget");
    let deployment = Api::<Deployment>::namespaced(admin.clone(), ns)
        .get(&fullname)
        .await
        .expect("Deployment");
    assert_eq!(deployment.spec.and_then(|s| s.replicas), Some(2));
    let crds: Api<CustomResourceDefinition> = Api::all(admin.clone());
    for crd in CRDS {
        let crd = crds.get(crd).await.expect("CRD");
        assert_eq!(
            crd.annotations()
                .get("helm.sh/resource-policy")
                .map(String::as_str),
            Some("keep"),
            "{}: the release's CRD",
            crd.name_any()
        );
    }
    // kube-controller-manager's ReplicaSet creates both pods: PodSecurity admission
    // (restricted) accepted the chart's pod spec. They stay Pending (no scheduler/kubelet).
    let pods: Api<Pod> = Api::namespaced(admin.clone(), ns);
    let selector = format!("app.kubernetes.io/instance={release}");
    let created = poll_until(Duration::from_secs(60), || async {
        pods.list(&ListParams::default().labels(&selector))
            .await
            .map(|l| l.items.len())
            .unwrap_or(0)
            == 2
    })
    .await;
    assert!(
        created,
        "the operator's 2 pods were not admitted in a restricted namespace"
    );

    // The operator with the chart's identity, and an ECS workload of a user.
    let sa = service_account_client(ns, &fullname).await;
    let operator = spawn_operator_with(sa.clone());
    let app = TestNamespace::new("helm-app").await;
    let cluster = TestCluster::new(&app, 3).await;
    converge_a_service_and_a_task(&app).await;
    crate::rbac::assert_denied(&sa, &app.name, &cluster.nodes[0]).await;
    crate::rbac::assert_lease_access(&sa, ns, "ecs-operator").await;

    // Deleting the service goes through the drain finalizer (patch of the EcsService,
    // deletion of its Pods) with the same identity.
    let services = app.api_for("EcsService");
    services
        .delete("web", &Default::default())
        .await
        .expect("delete the service");
    let gone = poll_until(Duration::from_secs(60), || async {
        services.get_opt("web").await.ok().flatten().is_none()
    })
    .await;
    assert!(gone, "the EcsService was not finalized by the operator");

    operator.abort();
    blocking_helm(
        [
            "uninstall",
            &release,
            "--kubeconfig",
            &kubeconfig,
            "--namespace",
            ns,
            "--wait",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    for crd in CRDS {
        assert!(
            crds.get_opt(crd).await.expect("get CRD").is_some(),
            "{crd} kept after helm uninstall"
        );
    }
    assert!(
        Api::<ClusterRole>::all(admin.clone())
            .get_opt(&fullname)
            .await
            .expect("get")
            .is_none(),
        "helm uninstall removes the ClusterRole"
    );
    release_crds_from_helm(&admin).await;
    cluster.cleanup().await;
    app.cleanup().await;
    release_ns.cleanup().await;
}

/// A TaskDefinition, a 3-task service behind a load balancer spread over zones and a
/// one-off task, all run by the impersonated operator: revisions (ControllerRevisions),
/// Pods, Services, status, finalizers and Events each need a rule of the ClusterRole.
async fn converge_a_service_and_a_task(app: &TestNamespace) {
    let cluster = &app.name;
    app.apply_yaml(&format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata: {{name: web}}
spec:
  family: web
  containerDefinitions:
    - name: web
      image: nginx
      essential: true
      cpu: 256
      memory: 256
      portMappings: [{{containerPort: 80, protocol: tcp}}]
---
apiVersion: ecs.operator.dev/v1alpha1
kind: EcsService
metadata: {{name: web}}
spec:
  cluster: {cluster}
  taskDefinition: web
  desiredCount: 3
  # A load balancer target makes the operator manage a Service for it (core/v1 services).
  loadBalancers:
    - {{targetGroupArn: "arn:aws:elasticloadbalancing:local:000000000000:targetgroup/web/0123456789abcdef", containerName: web, containerPort: 80}}
  placementStrategy:
    - {{type: spread, field: "attribute:ecs.availability-zone"}}
---
apiVersion: ecs.operator.dev/v1alpha1
kind: EcsTask
metadata: {{name: once}}
spec:
  cluster: {cluster}
  taskDefinition: web
  count: 1
"#
    ))
    .await
    .expect("apply the workload");

    let deadline = Duration::from_secs(90);
    let ready = |o: &kube::api::DynamicObject| {
        o.data["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
    };
    let td = wait_for_object(&app.api_for("TaskDefinition"), "web", deadline, ready)
        .await
        .unwrap_or_else(|e| panic!("TaskDefinition not registered: {e}"));
    assert_eq!(td.data["status"]["revision"], 1);
    let svc = wait_for_object(&app.api_for("EcsService"), "web", deadline, |o| {
        ready(o) && o.data["status"]["runningCount"] == 3
    })
    .await
    .unwrap_or_else(|e| panic!("service did not converge with the chart's RBAC: {e}"));
    assert!(
        svc.finalizers()
            .iter()
            .any(|f| f == "ecs.operator.dev/drain-tasks"),
        "the operator added its finalizer"
    );
    wait_for_object(&app.api_for("EcsTask"), "once", deadline, ready)
        .await
        .unwrap_or_else(|e| panic!("the one-off task did not run: {e}"));
    wait_for_object(&app.api_for("EcsCluster"), cluster, deadline, |o| {
        o.data["status"]["registeredContainerInstancesCount"] == 3
    })
    .await
    .unwrap_or_else(|e| panic!("EcsCluster status not written: {e}"));

    // Service events reached the API as events.k8s.io Events from the operator.
    let events: Api<Event> = Api::namespaced(app.client.clone(), &app.name);
    let published = poll_until(deadline, || async {
        events.list(&ListParams::default()).await.is_ok_and(|l| {
            l.items.iter().any(|e| {
                e.reporting_controller.as_deref() == Some("ecs-operator")
                    && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("web")
            })
        })
    })
    .await;
    assert!(published, "no Event from the operator about the service");
}
