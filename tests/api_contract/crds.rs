//! The four CRDs install on a real API server, become Established, and serve what an
//! ECS user and a kubectl user expect: names, categories, subresources, explain.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::Api;

use crate::support::{client, install_crds};

#[tokio::test]
async fn crds_install_and_become_established() {
    let client = client().await;
    let version = client.apiserver_version().await.expect("server version");
    eprintln!(
        "kube-apiserver {} (go {})",
        version.git_version, version.go_version
    );
    assert_eq!(version.major, "1");

    let names = install_crds(&client).await;
    assert_eq!(
        names,
        [
            "ecsclusters.ecs.operator.dev",
            "taskdefinitions.ecs.operator.dev",
            "ecsservices.ecs.operator.dev",
            "ecstasks.ecs.operator.dev",
        ]
    );
    let api: Api<CustomResourceDefinition> = Api::all(client);
    for name in names {
        let crd = api.get(&name).await.expect("CRD stored");
        let conditions = crd.status.and_then(|s| s.conditions).unwrap_or_default();
        let established = conditions
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True");
        assert!(established, "{name} is not Established: {conditions:?}");
        assert_eq!(
            crd.spec.names.categories,
            Some(vec!["ecs".to_string()]),
            "{name} category"
        );
        let version = &crd.spec.versions[0];
        let subresources = version.subresources.as_ref().expect("subresources");
        assert!(
            subresources.status.is_some(),
            "{name} has a status subresource"
        );
        if name.starts_with("ecsservices.") {
            let scale = subresources
                .scale
                .as_ref()
                .expect("EcsService has a scale subresource");
            assert_eq!(scale.spec_replicas_path, ".spec.desiredCount");
            assert_eq!(scale.status_replicas_path, ".status.runningCount");
            assert_eq!(
                scale.label_selector_path.as_deref(),
                Some(".status.selector")
            );
        }
    }
}

/// `kubectl explain` works on nested ECS fields: the served OpenAPI schema carries the
/// one-line ECS descriptions.
#[tokio::test]
async fn kubectl_explain_describes_nested_ecs_fields() {
    crate::support::ensure_crds().await;
    let kubeconfig = std::env::var("ECS_TEST_KUBECONFIG").expect("ECS_TEST_KUBECONFIG");
    let kubectl =
        std::path::Path::new(&std::env::var("KUBEBUILDER_ASSETS").expect("KUBEBUILDER_ASSETS"))
            .join("kubectl");
    // The discovery of a just-installed CRD can lag; retry briefly.
    let mut last = String::new();
    for _ in 0..50 {
        let out = std::process::Command::new(&kubectl)
            .args(["--kubeconfig", &kubeconfig, "explain"])
            .arg("ecsservice.spec.deploymentConfiguration.deploymentCircuitBreaker")
            .output()
            .expect("run kubectl");
        last = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            assert!(last.contains("rollback"), "{last}");
            assert!(
                last.contains("Determines whether to use the deployment circuit breaker"),
                "{last}"
            );
            assert!(last.contains("-required-"), "{last}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("kubectl explain failed: {last}");
}
