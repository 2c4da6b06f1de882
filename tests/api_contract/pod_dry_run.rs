//! The Pods that translation produces are accepted by a real API server (server-side dry
//! run): for the realistic task definitions in testdata/import (which together use every
//! ContainerDefinition field) and the examples.

use k8s_openapi::api::core::v1::{Pod, ServiceAccount};
use kube::api::{Api, PostParams};
use kube::core::ObjectMeta;

use ecs_operator::api::TaskDefinition;
use ecs_operator::import::{Options, import_task_definition};
use ecs_operator::translate::{TranslateOptions, translate};

use crate::support::{TestNamespace, yaml_documents};

fn sample_definitions() -> Vec<(String, ecs_operator::api::TaskDefinitionSpec)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root.join("testdata/import")).expect("testdata/import") {
        let path = entry.expect("entry").path();
        if !path.to_string_lossy().contains("task-definition") {
            continue;
        }
        let json = std::fs::read_to_string(&path).expect("read");
        let imported = import_task_definition(&json, &Options::default()).expect("import");
        for td in imported.objects {
            out.push((path.display().to_string(), td.spec));
        }
    }
    for entry in std::fs::read_dir(root.join("examples")).expect("examples") {
        let path = entry.expect("entry").path();
        // Manifests only: examples/ecs-json/ holds the ECS JSON of the migration example.
        if path.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        for doc in yaml_documents(&std::fs::read_to_string(&path).expect("read")) {
            if doc["kind"] == "TaskDefinition" {
                let td: TaskDefinition = serde_json::from_value(doc).expect("TaskDefinition");
                out.push((path.display().to_string(), td.spec));
            }
        }
    }
    out
}

#[tokio::test]
async fn translated_pods_pass_server_side_dry_run() {
    let ns = TestNamespace::new("dry-run").await;
    let api: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    let options = TranslateOptions {
        allow_privileged: true,
        allow_host_namespaces: true,
        allow_host_path: true,
        ..Default::default()
    };
    let samples = sample_definitions();
    assert!(
        samples.len() >= 7,
        "four imported definitions and three examples"
    );
    for (i, (source, spec)) in samples.iter().enumerate() {
        let mut t = translate(spec, None, &options).unwrap_or_else(|e| panic!("{source}: {e}"));
        // Placement would assign these; any free port does for admission.
        let ports: Vec<_> = t
            .host_port_requests()
            .iter()
            .enumerate()
            .map(|(k, r)| ecs_operator::placement::HostPort {
                port: if r.port == 0 {
                    50000 + k as u16
                } else {
                    r.port
                },
                protocol: r.protocol,
            })
            .collect();
        t.bind_host_ports(&ports)
            .unwrap_or_else(|e| panic!("{source}: {e}"));
        let mut spec = t.pod_spec.clone();
        spec.node_name = Some("dry-run-node".into());
        let pod = Pod {
            metadata: ObjectMeta {
                name: Some(format!("dry-run-{i}")),
                annotations: Some(t.annotations.clone()),
                ..Default::default()
            },
            spec: Some(spec),
            status: None,
        };
        // The task role maps to a ServiceAccount the user provides (documented mapping).
        if let Some(sa) = pod
            .spec
            .as_ref()
            .and_then(|s| s.service_account_name.clone())
        {
            let accounts: Api<ServiceAccount> = Api::namespaced(ns.client.clone(), &ns.name);
            let account: ServiceAccount =
                serde_json::from_value(serde_json::json!({"metadata": {"name": sa}})).expect("sa");
            if let Err(e) = accounts.create(&PostParams::default(), &account).await {
                assert!(
                    matches!(&e, kube::Error::Api(s) if s.code == 409),
                    "create ServiceAccount {sa}: {e}"
                );
            }
        }
        let params = PostParams {
            dry_run: true,
            ..Default::default()
        };
        api.create(&params, &pod)
            .await
            .unwrap_or_else(|e| panic!("{source}: the API server rejects the translated Pod: {e}"));
    }
    ns.cleanup().await;
}
