//! The scale subresource drives spec.desiredCount (kubectl scale, HPA), and the status
//! subresource is written independently of the spec.

use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::support::{MANAGER, TestNamespace};

const SERVICE: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: EcsService
metadata: {name: web}
spec: {taskDefinition: web, desiredCount: 2}
"#;

#[tokio::test]
async fn kubectl_scale_changes_desired_count() {
    let ns = TestNamespace::new("scale").await;
    ns.apply_yaml(SERVICE).await.expect("apply service");
    let kubeconfig = std::env::var("ECS_TEST_KUBECONFIG").expect("ECS_TEST_KUBECONFIG");
    let kubectl =
        std::path::Path::new(&std::env::var("KUBEBUILDER_ASSETS").expect("KUBEBUILDER_ASSETS"))
            .join("kubectl");
    let out = std::process::Command::new(kubectl)
        .args([
            "--kubeconfig",
            &kubeconfig,
            "-n",
            &ns.name,
            "scale",
            "ecsservice/web",
            "--replicas=5",
        ])
        .output()
        .expect("run kubectl scale");
    assert!(
        out.status.success(),
        "kubectl scale failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let api = ns.api_for("EcsService");
    let svc = api.get("web").await.expect("get service");
    assert_eq!(svc.data["spec"]["desiredCount"], 5);
    let scale = api.get_scale("web").await.expect("get scale");
    assert_eq!(scale.spec.and_then(|s| s.replicas), Some(5));
    ns.cleanup().await;
}

#[tokio::test]
async fn status_is_patched_independently_of_spec() {
    let ns = TestNamespace::new("status").await;
    ns.apply_yaml(SERVICE).await.expect("apply service");
    let api = ns.api_for("EcsService");
    let before = api.get("web").await.expect("get");

    let status = json!({
        "apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsService",
        "status": {"runningCount": 2, "pendingCount": 0, "selector": "ecs.operator.dev/service=web", "status": "ACTIVE"}
    });
    api.patch_status(
        "web",
        &PatchParams::apply("status-writer").force(),
        &Patch::Apply(&status),
    )
    .await
    .expect("patch status");
    let after = api.get("web").await.expect("get");
    assert_eq!(after.data["status"]["runningCount"], 2);
    assert_eq!(
        after.data["spec"], before.data["spec"],
        "a status write leaves the spec alone"
    );
    assert_eq!(
        after.metadata.generation, before.metadata.generation,
        "status writes do not bump generation"
    );

    // And a spec change through the main resource cannot write status.
    let spec_with_status = json!({
        "apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsService", "metadata": {"name": "web"},
        "spec": {"taskDefinition": "web", "desiredCount": 3},
        "status": {"runningCount": 99}
    });
    api.patch(
        "web",
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(&spec_with_status),
    )
    .await
    .expect("apply spec");
    let last = api.get("web").await.expect("get");
    assert_eq!(last.data["spec"]["desiredCount"], 3);
    assert_eq!(
        last.data["status"]["runningCount"], 2,
        "status is ignored on the main resource"
    );
    ns.cleanup().await;
}
