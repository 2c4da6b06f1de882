//! `ecs-bench`: the side-by-side benchmark of issue 8 (design: ../shared/reference/
//! performance.md §9). One invocation starts a local control plane, creates M kwok nodes in
//! three zones and runs the arms one after another — R (raw creates with nodeName), O (the
//! operator), D-default and D-tuned (Deployment + kube-scheduler) — then writes a JSON file
//! with every run and a Markdown summary. `make bench` runs the full matrix; `--smoke` is
//! the small run `make test` uses so the harness does not rot.

mod apiserver_gc;
mod apiserver_profile;
mod arms;
mod components;
mod metrics;
mod plane;
mod procs;
mod report;
mod stats;
mod watcher;
mod workload;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;

use arms::{Arm, Cell, RunOpts, RunResult};
use plane::{Plane, Ports};
use report::Meta;
use stats::Rng;

#[derive(Parser, Debug)]
#[command(
    name = "ecs-bench",
    about = "ecs-operator vs. raw creates vs. Deployment + kube-scheduler"
)]
struct Args {
    /// Task counts N.
    #[arg(long, value_delimiter = ',', default_value = "100,1000,10000")]
    n: Vec<usize>,
    /// Node counts M (a fresh control plane per M).
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
    m: Vec<usize>,
    /// Repetitions of every arm per cell, arm order shuffled per repetition.
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Repetitions for N at or above --d-default-once-from (default: --reps).
    #[arg(long)]
    large_reps: Option<usize>,
    /// Arms to run.
    #[arg(long, value_delimiter = ',', default_value = "R,O,D-default,D-tuned")]
    arms: Vec<String>,
    /// Raw arm: requests in flight to try (calibration runs, once per cell, each K
    /// --raw-calibration-runs times); the best on average is
    /// used for the measured repetitions.
    #[arg(long, value_delimiter = ',', default_value = "8,32,128")]
    raw_concurrency: Vec<usize>,
    /// Raw arm: calibration runs per concurrency. One run each picked K = 8 in one
    /// invocation (a lucky 1.62 s) whose measured R runs then took 3.9–5.6 s against
    /// 1.1–2.3 s at K = 128 in the invocations around it: R was not at its best.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    raw_calibration_runs: u16,
    /// From this N on, D-default runs once per cell (it takes minutes).
    #[arg(long, default_value_t = 10000)]
    d_default_once_from: usize,
    /// D-default stops after this many seconds and its makespan is extrapolated from its
    /// steady rate (0: never).
    #[arg(long, default_value_t = 0)]
    d_default_cap_seconds: u64,
    /// The small run for `make test`: N=100, M=10, one repetition, one raw concurrency,
    /// ports 5xxxx, and a failure exit unless every arm reported numbers.
    #[arg(long)]
    smoke: bool,
    /// The operator binary (default: ecs-operator next to this binary, i.e. the same profile).
    #[arg(long)]
    operator_bin: Option<PathBuf>,
    /// Where the JSON and Markdown of this run go.
    #[arg(long, default_value = "target/bench")]
    out_dir: PathBuf,
    /// Also write the Markdown summary here (docs/benchmarks.md).
    #[arg(long)]
    docs: Option<PathBuf>,
    /// Control-plane state directory.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Ports: base + 6443 (API), + 2379/2380 (etcd), + 2257 (KCM), + 2259 (scheduler), + 2247
    /// (kwok). Default: the first free of 40000, 41000, … (smoke: 50000, 51000, …).
    #[arg(long)]
    port_base: Option<u16>,
    /// Only re-render the Markdown (and --docs) from a run's JSON file, then exit. Several
    /// files are pooled into one report (`<first>-pooled.md`): their runs taken together,
    /// each file's repetitions kept apart, its meta the first file's.
    #[arg(long, num_args = 1..)]
    render: Vec<PathBuf>,
    /// A note for the report (e.g. "other builds were running").
    #[arg(long)]
    note: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // On Ctrl-C / SIGTERM the run future is dropped, and with it every guard: the
    // controllers and the control plane are stopped, never left behind.
    let outcome = rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = run(args) => r,
            _ = tokio::signal::ctrl_c() => bail!("interrupted"),
            _ = term.recv() => bail!("terminated"),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("[bench] error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn parse_arm(s: &str) -> Result<Arm> {
    Ok(match s {
        "R" => Arm::R,
        "O" => Arm::O,
        "D-default" => Arm::DDefault,
        "D-tuned" => Arm::DTuned,
        other => bail!("unknown arm {other} (R, O, D-default, D-tuned)"),
    })
}

async fn run(mut args: Args) -> Result<()> {
    if let Some(first) = args.render.first() {
        let (json, md, r) = if let [json] = &args.render[..] {
            let r = report::OwnedReport::read(json)?;
            (json.clone(), json.with_extension("md"), r)
        } else {
            let r = report::OwnedReport::pooled(&args.render)?;
            let stem = first.with_extension("");
            let json = PathBuf::from(format!("{}-pooled.json", stem.display()));
            (json.clone(), json.with_extension("md"), r)
        };
        save(&json, &md, args.docs.as_ref(), &r.meta, &r.runs)?;
        print!("{}", std::fs::read_to_string(&md)?);
        return Ok(());
    }
    let root = std::env::current_dir()?;
    if !root.join("hack/control-plane.sh").exists() {
        bail!("run from the repository root (hack/control-plane.sh not found)");
    }
    if args.smoke {
        args.n = vec![100];
        args.m = vec![10];
        args.reps = 1;
        args.raw_concurrency = vec![32];
    }
    let arm_list: Vec<Arm> = args
        .arms
        .iter()
        .map(|a| parse_arm(a))
        .collect::<Result<_>>()?;
    let operator_bin = match &args.operator_bin {
        Some(p) => p.clone(),
        None => procs::exe_dir_sibling("ecs-operator")
            .context("ecs-operator binary not found next to ecs-bench; pass --operator-bin")?,
    };
    let bin_dir = PathBuf::from(std::env::var("KUBEBUILDER_ASSETS").unwrap_or_else(|_| {
        format!(
            "{}/.cache/ecs-operator/k8s-v1.34.4",
            std::env::var("HOME").unwrap_or_default()
        )
    }));
    let state_dir = args.state_dir.clone().unwrap_or_else(|| {
        root.join(if args.smoke {
            "target/bench-smoke-cluster"
        } else {
            "target/bench-cluster"
        })
    });
    let ports = match args.port_base {
        Some(b) => Ports::base(b),
        None => {
            let bases: &[u16] = if args.smoke {
                &[50000, 51000, 53000, 55000, 57000]
            } else {
                &[40000, 41000, 43000, 45000]
            };
            Ports::first_free(bases).context("no free set of ports; pass --port-base")?
        }
    };
    std::fs::create_dir_all(&args.out_dir)?;
    let stamp = procs::run("date", &["-u", "+%Y%m%dT%H%M%SZ"], &[])?
        .trim()
        .to_string();
    let kind = if args.smoke { "smoke" } else { "bench" };
    let json_path = args.out_dir.join(format!("{kind}-{stamp}.json"));
    let md_path = args.out_dir.join(format!("{kind}-{stamp}.md"));
    let mut meta = meta(&args, &bin_dir)?;
    let mut runs: Vec<RunResult> = Vec::new();
    let mut rng = Rng::new();
    let max_n = args.n.iter().copied().max().unwrap_or(100);

    for &m in &args.m {
        eprintln!(
            "[bench] control plane for M={m} (state {})",
            state_dir.display()
        );
        let plane = PlaneGuard(Plane::up(&root, &state_dir, &bin_dir, ports.clone()).await?);
        // Room for 1.2 × the largest N per node (performance.md §9.3), at least kubelet's 110.
        let pods_per_node = ((max_n as f64 * 1.2 / m as f64).ceil() as usize).max(110);
        let nodes = plane.0.create_nodes(m, pods_per_node).await?;
        let mut zone_nodes = vec![Vec::new(); 3];
        let mut node_zone = HashMap::new();
        for (i, name) in nodes.iter().enumerate() {
            zone_nodes[i % 3].push(name.clone());
            node_zone.insert(name.clone(), i % 3);
        }
        let cell = Cell {
            plane: &plane.0,
            operator_bin: operator_bin.clone(),
            reference: workload::reference_pod()?,
            m,
            zone_nodes,
            node_zone,
        };
        for &n in &args.n {
            // Raw calibration: every concurrency --raw-calibration-runs times, interleaved;
            // the fastest on average is R's for this cell.
            let mut best: Option<(f64, usize)> = None;
            if arm_list.contains(&Arm::R) {
                if args.raw_concurrency.len() > 1 {
                    let mut times: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
                    for _ in 0..args.raw_calibration_runs {
                        for &k in &args.raw_concurrency {
                            let r = one(&cell, Arm::R, n, 0, k, &args, true).await?;
                            times.entry(k).or_default().extend(r.bound.all);
                            runs.push(r);
                            save(&json_path, &md_path, args.docs.as_ref(), &meta, &runs)?;
                        }
                    }
                    best = fastest_on_average(&times, usize::from(args.raw_calibration_runs));
                } else {
                    best = Some((0.0, args.raw_concurrency[0]));
                }
            }
            let k = best.map_or(32, |(_, k)| k);
            let reps = match args.large_reps {
                Some(r) if n >= args.d_default_once_from => r,
                _ => args.reps,
            };
            for rep in 1..=reps {
                let mut order = arm_list.clone();
                rng.shuffle(&mut order);
                for arm in order {
                    if arm == Arm::DDefault && n >= args.d_default_once_from && rep > 1 {
                        continue;
                    }
                    let r = one(&cell, arm, n, rep, k, &args, false).await?;
                    runs.push(r);
                    save(&json_path, &md_path, args.docs.as_ref(), &meta, &runs)?;
                }
            }
        }
        drop(cell);
        drop(plane);
    }
    meta.load_after = loadavg();
    save(&json_path, &md_path, args.docs.as_ref(), &meta, &runs)?;
    eprintln!(
        "[bench] wrote {} and {}",
        json_path.display(),
        md_path.display()
    );
    print!("{}", std::fs::read_to_string(&md_path)?);
    if args.smoke {
        // Every arm must have finished and reported its numbers.
        for arm in &arm_list {
            let r = runs
                .iter()
                .find(|r| r.arm == *arm)
                .with_context(|| format!("smoke: no run of {}", arm.label()))?;
            let numbers = r.finished
                && r.bound.all.is_some()
                && r.running.all.is_some()
                && r.requests.writes_per_task > 0.0
                && r.zone_skew.is_some()
                && (r.arm == Arm::R || r.restore.as_ref().is_some_and(|x| x.bound_s.is_some()))
                && (r.arm == Arm::R || r.ctrl_peak_rss_mb > 0.0);
            if !numbers {
                bail!(
                    "smoke: arm {} did not report every number: {}",
                    arm.label(),
                    serde_json::to_string(r)?
                );
            }
        }
        eprintln!("[bench] smoke: every arm finished and reported numbers");
    }
    Ok(())
}

/// The concurrency whose calibration runs all finished in the least time on average, with
/// that average.
fn fastest_on_average(times: &BTreeMap<usize, Vec<f64>>, runs: usize) -> Option<(f64, usize)> {
    times
        .iter()
        .filter(|(_, t)| t.len() == runs)
        .map(|(k, t)| (t.iter().sum::<f64>() / runs as f64, *k))
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

async fn one(
    cell: &Cell<'_>,
    arm: Arm,
    n: usize,
    rep: usize,
    k: usize,
    args: &Args,
    warmup: bool,
) -> Result<RunResult> {
    let cap = (arm == Arm::DDefault && args.d_default_cap_seconds > 0)
        .then(|| Duration::from_secs(args.d_default_cap_seconds));
    let opts = RunOpts {
        concurrency: k,
        cap,
        warmup,
        restore: !warmup,
    };
    eprintln!(
        "[bench] M={} N={n} rep {rep}: {}{}",
        cell.m,
        arm.label(),
        if arm == Arm::R {
            format!(" K={k}")
        } else {
            String::new()
        }
    );
    let r = arms::run(cell, arm, n, rep, &opts).await?;
    eprintln!(
        "[bench]   bound {} s, Running {} s, {} writes/task, ctrl CPU {:.2} s, RSS {:.0} MB, restore {:?}{}",
        r.bound.all.map_or("DNF".into(), |t| format!("{t:.2}")),
        r.running.all.map_or("DNF".into(), |t| format!("{t:.2}")),
        format_args!("{:.2}", r.requests.writes_per_task),
        r.ctrl_cpu_seconds,
        r.ctrl_peak_rss_mb,
        r.restore.as_ref().and_then(|x| x.bound_s),
        if r.errors.is_empty() {
            String::new()
        } else {
            format!(" errors: {:?}", r.errors)
        },
    );
    Ok(r)
}

fn save(
    json: &PathBuf,
    md: &PathBuf,
    docs: Option<&PathBuf>,
    meta: &Meta,
    runs: &[RunResult],
) -> Result<()> {
    std::fs::write(
        json,
        serde_json::to_string_pretty(&report::Report { meta, runs })?,
    )?;
    let text = report::markdown(meta, runs);
    std::fs::write(md, &text)?;
    if let Some(d) = docs {
        std::fs::write(
            d,
            splice(&std::fs::read_to_string(d).unwrap_or_default(), &text),
        )?;
    }
    Ok(())
}

const BEGIN: &str =
    "<!-- ecs-bench:begin (generated by `make bench`; edit outside these markers) -->";
const END: &str = "<!-- ecs-bench:end -->";

/// The document with the generated part between the markers replaced (the prose around it
/// is kept); a document without markers gets them appended.
fn splice(doc: &str, generated: &str) -> String {
    let block = format!("{BEGIN}\n{generated}\n{END}");
    match (doc.find(BEGIN), doc.find(END)) {
        (Some(b), Some(e)) if e > b => format!("{}{block}{}", &doc[..b], &doc[e + END.len()..]),
        _ if doc.trim().is_empty() => format!("{block}\n"),
        _ => format!("{}\n\n{block}\n", doc.trim_end()),
    }
}

/// Stops the control plane however the run ends.
struct PlaneGuard(Plane);

impl Drop for PlaneGuard {
    fn drop(&mut self) {
        self.0.down();
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn meta(args: &Args, bin_dir: &std::path::Path) -> Result<Meta> {
    let sh = |c: &str| {
        procs::run("sh", &["-c", c], &[])
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut machine = BTreeMap::new();
    machine.insert("cpus".into(), sh("nproc"));
    machine.insert(
        "cpu".into(),
        sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"),
    );
    machine.insert(
        "memory".into(),
        sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo"),
    );
    machine.insert("kernel".into(), sh("uname -r"));
    let mut versions: BTreeMap<String, String> = std::fs::read_to_string(bin_dir.join("VERSIONS"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| *k != "go" && *k != "helm")
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    versions.insert("rustc".into(), sh("rustc --version | cut -d' ' -f2"));
    // The command as typed, without the notes (they are printed as notes).
    let mut argv: Vec<String> = Vec::new();
    let mut raw = std::env::args().skip(1);
    while let Some(a) = raw.next() {
        if a == "--note" {
            raw.next();
        } else if !a.starts_with("--note=") {
            argv.push(a);
        }
    }
    let mut notes = args.note.clone();
    notes.push(
        "Identities: every actor has its own client certificate, none in system:masters — \
         kube-controller-manager as system:kube-controller-manager and kube-scheduler as \
         system:kube-scheduler (bootstrap FlowSchemas → workload-high), the operator and the raw \
         client as ecs-bench-operator / ecs-bench-raw, put at workload-high by a FlowSchema. kwok and \
         the harness's watch/cleanup use the admin (exempt) identity."
            .into(),
    );
    notes.push(
        "One fresh control plane per M (etcd + kube-apiserver + kwok via hack/control-plane.sh); \
         kube-controller-manager (deployment, replicaset controllers) and kube-scheduler are \
         restarted for every run (idle during R and O), the operator for every O run."
            .into(),
    );
    Ok(Meta {
        date: procs::run("date", &["-u", "+%Y-%m-%d %H:%M UTC"], &[])?
            .trim()
            .to_string(),
        command: format!("ecs-bench {}", argv.join(" ")),
        git_commit: sh("git rev-parse --short HEAD"),
        machine,
        versions,
        load_before: loadavg(),
        load_after: String::new(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_block_is_replaced_and_the_prose_kept() {
        let first = splice("", "table 1");
        assert!(first.contains("table 1"));
        let doc = format!("# Intro\n\n{first}\n## Analysis\nprose\n");
        let second = splice(&doc, "table 2");
        assert!(second.contains("table 2") && !second.contains("table 1"));
        assert!(second.starts_with("# Intro") && second.contains("## Analysis\nprose"));
    }

    #[test]
    fn calibration_picks_the_best_average_of_finished_runs() {
        let times = BTreeMap::from([(8, vec![1.5, 4.5]), (32, vec![2.0, 3.0]), (128, vec![1.2])]);
        // 128 did not finish one of its runs; 8's lucky run does not outweigh its slow one.
        assert_eq!(fastest_on_average(&times, 2), Some((2.5, 32)));
        assert_eq!(fastest_on_average(&BTreeMap::new(), 2), None);
    }
}
