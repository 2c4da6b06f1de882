//! Keeps the benchmark harness from rotting (it runs on demand, `make bench`, not here):
//! `ecs-bench --smoke` (N=100, M=10, one repetition, its own control plane on ports 5xxxx (the first free set),
//! stopped however it ends) must finish every arm — R, O, D-default, D-tuned — and report
//! its numbers; it exits non-zero otherwise. It uses this profile's operator binary.

use std::process::Command;

#[test]
fn every_benchmark_arm_finishes_and_reports_numbers() {
    let out_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-smoke");
    let status = Command::new(env!("CARGO_BIN_EXE_ecs-bench"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--smoke")
        .arg("--operator-bin")
        .arg(env!("CARGO_BIN_EXE_ecs-operator"))
        .arg("--out-dir")
        .arg(&out_dir)
        .status()
        .expect("run ecs-bench");
    assert!(
        status.success(),
        "ecs-bench --smoke failed ({status}); its reports are in {}",
        out_dir.display()
    );
}
