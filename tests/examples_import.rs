//! examples/50-migrated-checkout.yaml is exactly what `ecs-operator import` makes of the ECS
//! JSON in examples/ecs-json/ (so the migration example never drifts from the importer).

use std::process::Command;

fn import(args: &[&str]) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_ecs-operator"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("import")
        .args(args)
        .output()
        .expect("run ecs-operator import");
    assert!(
        out.status.success(),
        "import {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    documents(&String::from_utf8(out.stdout).expect("utf-8"))
}

fn documents(yaml: &str) -> Vec<serde_json::Value> {
    serde_saphyr::from_multiple::<serde_json::Value>(yaml)
        .expect("YAML")
        .into_iter()
        .filter(|v| !v.is_null())
        .collect()
}

#[test]
fn the_migrated_example_is_the_import_of_the_ecs_json() {
    let mut expected = import(&[
        "task-definition",
        "examples/ecs-json/checkout.describe-task-definition.json",
    ]);
    expected.extend(import(&[
        "service",
        "--task-definition-ref",
        "family",
        "examples/ecs-json/checkout.describe-services.json",
    ]));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/50-migrated-checkout.yaml"
    );
    let example = documents(&std::fs::read_to_string(path).expect("read the example"));
    assert_eq!(
        example, expected,
        "examples/50-migrated-checkout.yaml differs from the import output; regenerate it with the commands in its header"
    );
}
