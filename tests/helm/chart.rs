//! Running the helm binary (the one `make kube-bins` builds) on the chart.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// The chart directory.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("charts/ecs-operator")
}

/// The helm binary: $KUBEBUILDER_ASSETS/helm (the Makefile exports it), else the build cache.
pub fn helm_bin() -> PathBuf {
    let assets = std::env::var("KUBEBUILDER_ASSETS").unwrap_or_else(|_| {
        let cache = std::env::var("XDG_CACHE_HOME")
            .unwrap_or_else(|_| format!("{}/.cache", std::env::var("HOME").expect("HOME")));
        format!("{cache}/ecs-operator/k8s-v1.34.4")
    });
    let bin = PathBuf::from(assets).join("helm");
    assert!(
        bin.is_file(),
        "{} missing: run `make kube-bins` (or set KUBEBUILDER_ASSETS)",
        bin.display()
    );
    bin
}

/// Runs helm with `args`; helm's own state (repositories, cache) stays under target/.
pub fn helm(args: &[&str]) -> Output {
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("helm-home");
    Command::new(helm_bin())
        .args(args)
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_DATA_HOME", home.join("data"))
        .output()
        .expect("run helm")
}

/// Runs helm and panics with its stderr when it fails; returns stdout.
pub fn helm_ok(args: &[&str]) -> String {
    let out = helm(args);
    assert!(
        out.status.success(),
        "helm {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// `helm template` of the chart with `--set` values; the rendered objects.
pub fn template(sets: &[&str]) -> Vec<Value> {
    let args: Vec<&str> = sets.iter().flat_map(|s| ["--set", s]).collect();
    template_with(&args)
}

/// `helm template` of the chart (release `ecs-operator` in `ecs-system`) with extra helm
/// arguments; the rendered objects.
pub fn template_with(extra: &[&str]) -> Vec<Value> {
    let chart = dir();
    let mut args = vec![
        "template",
        "ecs-operator",
        chart.to_str().expect("utf-8 path"),
        "--namespace",
        "ecs-system",
    ];
    args.extend(extra);
    crate::support::yaml_documents(&helm_ok(&args))
}

/// The rendered objects of one kind.
pub fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

/// The one rendered object of `kind`.
pub fn one<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    let found = of_kind(objects, kind);
    assert_eq!(found.len(), 1, "exactly one {kind} rendered");
    found[0]
}
