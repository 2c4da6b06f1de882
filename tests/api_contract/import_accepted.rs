//! What `ecs-operator import` prints for testdata/import/ is admitted by the real API server
//! with strict field validation: no unknown field, no schema or CEL rule violated.

use std::path::{Path, PathBuf};

use ecs_operator::import::{self, Options};

use crate::support::{TestNamespace, yaml_documents};

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/import")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(testdata(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

fn task_definition_yaml(file: &str) -> String {
    let imported = import::import_task_definition(&read(file), &Options::default())
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    import::to_yaml(&imported.objects).expect("YAML")
}

/// Applies one imported task definition file into a fresh namespace and checks that the
/// server kept the spec as imported (strict validation would have refused unknown fields).
async fn assert_task_definition_accepted(file: &str) {
    let yaml = task_definition_yaml(file);
    let ns = TestNamespace::new("import").await;
    let applied = ns
        .apply_yaml(&yaml)
        .await
        .unwrap_or_else(|e| panic!("{file}: the API server rejected the import: {e}\n{yaml}"));
    let sent = yaml_documents(&yaml);
    assert_eq!(applied.len(), sent.len());
    for (object, manifest) in applied.iter().zip(&sent) {
        assert_eq!(
            object.data["spec"], manifest["spec"],
            "{file}: the stored spec differs"
        );
    }
    ns.cleanup().await;
}

#[tokio::test]
async fn imported_web_app_task_definition_is_accepted() {
    assert_task_definition_accepted("web-app.describe-task-definition.json").await;
}

#[tokio::test]
async fn imported_orders_api_task_definition_is_accepted() {
    assert_task_definition_accepted("orders-api.task-definition.json").await;
}

#[tokio::test]
async fn imported_gpu_task_definition_is_accepted() {
    assert_task_definition_accepted("gpu-inference.describe-task-definition.json").await;
}

#[tokio::test]
async fn imported_windows_task_definition_is_accepted() {
    assert_task_definition_accepted("windows-iis.describe-task-definition.json").await;
}

/// Both services together with the task definitions they refer to, as a user migrating
/// would apply them: one stream, one namespace.
#[tokio::test]
async fn imported_services_are_accepted_with_their_task_definitions() {
    let services = import::import_services(&read("describe-services.json"), &Options::default())
        .unwrap_or_else(|e| panic!("describe-services.json: {e}"));
    let mut yaml = task_definition_yaml("web-app.describe-task-definition.json");
    yaml.push_str("---\n");
    yaml.push_str(&task_definition_yaml("orders-api.task-definition.json"));
    yaml.push_str("---\n");
    yaml.push_str(&import::to_yaml(&services.objects).expect("YAML"));

    let ns = TestNamespace::new("import").await;
    let applied = ns
        .apply_yaml(&yaml)
        .await
        .unwrap_or_else(|e| panic!("the API server rejected the import: {e}\n{yaml}"));
    let names: Vec<(String, String)> = applied
        .iter()
        .map(|o| {
            let kind = o.types.as_ref().map(|t| t.kind.clone()).unwrap_or_default();
            (kind, o.metadata.name.clone().unwrap_or_default())
        })
        .collect();
    assert_eq!(
        names,
        [
            ("TaskDefinition".to_owned(), "web-app".to_owned()),
            ("TaskDefinition".to_owned(), "orders-api".to_owned()),
            ("EcsService".to_owned(), "web".to_owned()),
            ("EcsService".to_owned(), "orders-api".to_owned()),
        ]
    );
    for (object, manifest) in applied.iter().zip(yaml_documents(&yaml)) {
        assert_eq!(
            object.data["spec"], manifest["spec"],
            "the stored spec of {:?} differs",
            object.metadata.name
        );
    }
    ns.cleanup().await;
}
