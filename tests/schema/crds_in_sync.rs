//! crds/ holds exactly what `ecs-operator crds` generates, one file per CRD.

use ecs_operator::api::all_crds;
use ecs_operator::cli::crds::{file_name, render};

#[test]
fn crds_directory_matches_the_rust_types() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crds");
    let mut expected_files = Vec::new();
    for crd in all_crds() {
        let name = file_name(&crd);
        let generated = render(&crd).expect("render CRD");
        let on_disk = std::fs::read_to_string(dir.join(&name))
            .unwrap_or_else(|e| panic!("crds/{name} missing ({e}); run `make crds`"));
        assert!(
            on_disk == generated,
            "crds/{name} is out of date with src/api; run `make crds`"
        );
        expected_files.push(name);
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("crds/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    expected_files.sort();
    assert_eq!(on_disk, expected_files, "crds/ has files no type generates");
}
