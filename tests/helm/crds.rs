//! The chart ships the very CRDs of crds/: byte-identical copies in files/crds/ (written by
//! `make crds`), rendered unchanged except for metadata labels and annotations.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::chart::{dir, of_kind, template, template_with};

fn yaml_files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("read"))
        })
        .collect()
}

fn repo_crds() -> BTreeMap<String, String> {
    yaml_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("crds"))
}

#[test]
fn the_chart_copies_are_byte_identical_to_crds_dir() {
    let repo = repo_crds();
    let chart = yaml_files(&dir().join("files/crds"));
    assert_eq!(
        chart.keys().collect::<Vec<_>>(),
        repo.keys().collect::<Vec<_>>(),
        "charts/ecs-operator/files/crds/ has other files than crds/; run `make crds`"
    );
    for (name, body) in &repo {
        assert!(
            chart[name] == *body,
            "charts/ecs-operator/files/crds/{name} differs from crds/{name}; run `make crds`"
        );
    }
}

/// The rendered CRD without what the chart adds (labels, annotations).
fn without_chart_metadata(crd: &Value) -> Value {
    let mut crd = crd.clone();
    let meta = crd["metadata"].as_object_mut().expect("metadata");
    meta.remove("labels");
    meta.remove("annotations");
    crd
}

#[test]
fn rendered_crds_are_the_crds_dir_and_are_kept_on_uninstall() {
    let objects = template(&[]);
    let rendered = of_kind(&objects, "CustomResourceDefinition");
    let repo = repo_crds();
    assert_eq!(rendered.len(), repo.len(), "one CRD per file of crds/");
    for (name, body) in &repo {
        let expected = crate::support::yaml_documents(body).remove(0);
        let crd = rendered
            .iter()
            .find(|c| c["metadata"]["name"] == expected["metadata"]["name"])
            .unwrap_or_else(|| panic!("crds/{name} not rendered"));
        assert!(
            without_chart_metadata(crd) == expected,
            "the rendered {name} differs from crds/{name} beyond metadata"
        );
        assert_eq!(
            crd["metadata"]["annotations"]["helm.sh/resource-policy"], "keep",
            "{name}: kept on helm uninstall by default"
        );
        assert_eq!(
            crd["metadata"]["labels"]["app.kubernetes.io/name"],
            "ecs-operator"
        );
    }
}

#[test]
fn crds_can_be_left_to_others_or_deleted_with_the_release() {
    assert!(
        of_kind(
            &template(&["crds.install=false"]),
            "CustomResourceDefinition"
        )
        .is_empty(),
        "crds.install=false renders no CRD"
    );
    let objects = template(&["crds.keep=false"]);
    let crds = of_kind(&objects, "CustomResourceDefinition");
    assert_eq!(crds.len(), 4);
    assert!(
        crds.iter()
            .all(|c| c["metadata"]["annotations"]["helm.sh/resource-policy"].is_null()),
        "crds.keep=false drops the keep policy"
    );
    // Argo CD users put the CRDs in an earlier sync wave.
    let objects = template_with(&[
        "--set-string",
        "crds.annotations.argocd\\.argoproj\\.io/sync-wave=-1",
    ]);
    for crd in of_kind(&objects, "CustomResourceDefinition") {
        assert_eq!(
            crd["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"],
            "-1"
        );
        assert_eq!(
            crd["metadata"]["annotations"]["helm.sh/resource-policy"],
            "keep"
        );
    }
}
