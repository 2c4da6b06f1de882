//! Every manifest in examples/ is admitted by the real API server with strict field
//! validation.

use crate::support::TestNamespace;

#[tokio::test]
async fn every_example_applies() {
    let ns = TestNamespace::new("examples").await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "examples/ holds the cluster, web, worker and task examples"
    );
    let mut kinds = std::collections::BTreeSet::new();
    for file in files {
        let yaml = std::fs::read_to_string(&file).expect("read example");
        let objects = ns
            .apply_yaml(&yaml)
            .await
            .unwrap_or_else(|e| panic!("{} rejected: {e}", file.display()));
        for o in objects {
            kinds.insert(o.types.expect("types").kind);
        }
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["EcsCluster", "EcsService", "EcsTask", "TaskDefinition"]
    );
    ns.cleanup().await;
}
