//! The Argo CD health checks in docs/argocd/ run in a real Lua 5.4 interpreter (mlua,
//! vendored) against sample objects of each kind — Healthy, Progressing, Degraded and a
//! lagging observedGeneration — in Argo CD's own resource_customizations test format. The
//! samples have the shapes of the Rust status types, and argocd-cm.yaml embeds exactly
//! these scripts.

mod lua;
mod samples;
mod snippet;

use std::path::PathBuf;

/// The four kinds, each with docs/argocd/ecs.operator.dev/<Kind>/health.lua.
pub const KINDS: [&str; 4] = ["EcsCluster", "TaskDefinition", "EcsService", "EcsTask"];

pub fn kind_dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/argocd/ecs.operator.dev")
        .join(kind)
}

pub fn health_script(kind: &str) -> String {
    let path = kind_dir(kind).join("health.lua");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One case of a health_test.yaml: an input object and the expected health.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    pub health_status: Health,
    pub input_path: String,
}

#[derive(serde::Deserialize, Debug, PartialEq)]
pub struct Health {
    pub status: String,
    pub message: String,
}

#[derive(serde::Deserialize)]
struct Cases {
    tests: Vec<Case>,
}

pub fn cases(kind: &str) -> Vec<Case> {
    let path = kind_dir(kind).join("health_test.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str::<Cases>(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .tests
}

/// A sample object (YAML) as JSON.
pub fn sample(kind: &str, input_path: &str) -> serde_json::Value {
    let path = kind_dir(kind).join(input_path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
