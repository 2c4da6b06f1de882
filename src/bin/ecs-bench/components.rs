//! kube-controller-manager, kube-scheduler and the operator, started fresh for every arm run
//! (so each run's peak RSS is its own) with the client limits the arm calls for.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;

use crate::plane::Plane;
use crate::procs::{Proc, Usage, path_string, wait_healthy};

/// Client-side limits of kube-controller-manager and kube-scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limits {
    /// As shipped: KCM --kube-api-qps=20 --kube-api-burst=30, scheduler qps 50 / burst 100.
    Default,
    /// Lifted to 10,000; priority and fairness is the only limiter left.
    Tuned,
}

pub const TUNED_QPS: u32 = 10_000;

pub struct KubeComponents {
    pub kcm: Proc,
    pub sched: Proc,
}

impl KubeComponents {
    pub async fn start(plane: &Plane, limits: Limits, tag: &str) -> Result<Self> {
        let logs = plane.logs();
        let kc = path_string(&plane.kcm_kubeconfig);
        let mut kcm_args = vec![
            format!("--kubeconfig={kc}"),
            format!("--authentication-kubeconfig={kc}"),
            format!("--authorization-kubeconfig={kc}"),
            "--bind-address=127.0.0.1".into(),
            format!("--secure-port={}", plane.ports.kcm),
            "--leader-elect=false".into(),
            "--use-service-account-credentials=false".into(),
            // Only what a Deployment needs; cleanup between arms deletes objects directly.
            "--controllers=deployment,replicaset".into(),
            verbosity(),
        ];
        if limits == Limits::Tuned {
            kcm_args.push(format!("--kube-api-qps={TUNED_QPS}"));
            kcm_args.push(format!("--kube-api-burst={TUNED_QPS}"));
        }
        let mut kcm = Proc::spawn(
            "kube-controller-manager",
            &plane.bin_dir.join("kube-controller-manager"),
            &kcm_args,
            &[],
            &logs.join(format!("kcm-{tag}.log")),
        )?;
        let sched_config = plane.state_dir.join(format!("scheduler-{tag}.yaml"));
        let client_connection = match limits {
            // Defaults left implicit so "as shipped" means exactly that.
            Limits::Default => format!("  kubeconfig: {}\n", path_string(&plane.sched_kubeconfig)),
            Limits::Tuned => format!(
                "  kubeconfig: {}\n  qps: {TUNED_QPS}\n  burst: {TUNED_QPS}\n",
                path_string(&plane.sched_kubeconfig)
            ),
        };
        std::fs::write(
            &sched_config,
            format!(
                "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nleaderElection:\n  leaderElect: false\nclientConnection:\n{client_connection}"
            ),
        )?;
        let sk = path_string(&plane.sched_kubeconfig);
        let sched_args = vec![
            format!("--config={}", path_string(&sched_config)),
            format!("--authentication-kubeconfig={sk}"),
            format!("--authorization-kubeconfig={sk}"),
            "--bind-address=127.0.0.1".into(),
            format!("--secure-port={}", plane.ports.sched),
            verbosity(),
        ];
        let mut sched = Proc::spawn(
            "kube-scheduler",
            &plane.bin_dir.join("kube-scheduler"),
            &sched_args,
            &[],
            &logs.join(format!("scheduler-{tag}.log")),
        )?;
        wait_healthy(
            &format!("https://127.0.0.1:{}/healthz", plane.ports.kcm),
            &mut kcm,
            Duration::from_secs(60),
        )
        .await?;
        // The scheduler's readyz includes its informer-sync check.
        wait_healthy(
            &format!("https://127.0.0.1:{}/readyz", plane.ports.sched),
            &mut sched,
            Duration::from_secs(60),
        )
        .await?;
        Ok(Self { kcm, sched })
    }

    pub fn usage(&self) -> (Usage, Usage) {
        (self.kcm.usage(), self.sched.usage())
    }

    pub fn stop(self) {
        self.kcm.stop();
        self.sched.stop();
    }
}

/// `ecs-operator run` as its own process and identity. BENCH_OPERATOR_PERF=<file> runs it
/// under `perf record` instead (a profiling run: the CPU and RSS columns are then perf's);
/// BENCH_OPERATOR_WRAP="<command> <args…>" runs it under any other wrapper, e.g. heaptrack
/// (`{tag}` in the arguments becomes the arm's tag).
pub fn start_operator(plane: &Plane, bin: &Path, tag: &str) -> Result<Proc> {
    let env = [
        ("KUBECONFIG", path_string(&plane.operator_kubeconfig)),
        (
            "RUST_LOG",
            std::env::var("BENCH_OPERATOR_LOG").unwrap_or_else(|_| "warn".into()),
        ),
    ];
    let log = plane.logs().join(format!("operator-{tag}.log"));
    match std::env::var("BENCH_OPERATOR_PERF") {
        Ok(out) => {
            let args: Vec<String> = [
                "record",
                "-F",
                "997",
                "--call-graph",
                "dwarf,16384",
                "-o",
                &format!("{out}.{tag}"),
                "--",
            ]
            .iter()
            .map(|s| s.to_string())
            .chain([path_string(bin), "run".into()])
            .collect();
            Proc::spawn("ecs-operator", Path::new("perf"), &args, &env, &log)
        }
        Err(_) => match std::env::var("BENCH_OPERATOR_WRAP") {
            Ok(wrap) if !wrap.trim().is_empty() => {
                let mut words = wrap.split_whitespace().map(|w| w.replace("{tag}", tag));
                let program = words.next().unwrap_or_default();
                let args: Vec<String> = words.chain([path_string(bin), "run".into()]).collect();
                Proc::spawn("ecs-operator", Path::new(&program), &args, &env, &log)
            }
            _ => Proc::spawn("ecs-operator", bin, &["run".to_string()], &env, &log),
        },
    }
}

/// klog verbosity of KCM and the scheduler (BENCH_COMPONENT_V, default 1), for debugging.
fn verbosity() -> String {
    format!(
        "--v={}",
        std::env::var("BENCH_COMPONENT_V").unwrap_or_else(|_| "1".into())
    )
}
