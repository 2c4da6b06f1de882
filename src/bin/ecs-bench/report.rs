//! The run's JSON (every run of every arm, raw numbers) and its Markdown summary: per cell,
//! medians [min–max] over the repetitions, then the goals checked on ratios from this run.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use serde::{Deserialize, Serialize};

use crate::arms::{Arm, RunResult};
use crate::stats::{median, quantile, ratio_of_medians_interval};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    pub date: String,
    pub command: String,
    pub git_commit: String,
    pub machine: BTreeMap<String, String>,
    pub versions: BTreeMap<String, String>,
    pub load_before: String,
    pub load_after: String,
    pub notes: Vec<String>,
}

#[derive(Serialize)]
pub struct Report<'a> {
    pub meta: &'a Meta,
    pub runs: &'a [RunResult],
}

/// A run's JSON file, read back (`ecs-bench --render FILE`).
#[derive(Deserialize)]
pub struct OwnedReport {
    pub meta: Meta,
    pub runs: Vec<RunResult>,
}

impl OwnedReport {
    pub fn read(json: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(json).with_context(|| format!("read {}", json.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parse {}", json.display()))
    }

    /// Several invocations' runs as one report, to judge a ratio on more runs than one
    /// invocation makes. Repetition numbers are kept apart per file (file i's repetition r
    /// becomes i·1,000,000 + r), so runs pair only with the runs they ran beside.
    pub fn pooled(files: &[PathBuf]) -> anyhow::Result<Self> {
        let mut pooled: Option<Self> = None;
        for (i, file) in files.iter().enumerate() {
            let mut r = Self::read(file)?;
            for run in &mut r.runs {
                run.rep += i * 1_000_000;
            }
            match pooled.as_mut() {
                None => pooled = Some(r),
                Some(p) => p.runs.extend(r.runs),
            }
        }
        let mut pooled = pooled.context("no files to pool")?;
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        pooled.meta.notes.push(format!(
            "Pooled from {} invocations ({}); the date, command and machine above are the first's.",
            files.len(),
            names.join(", ")
        ));
        Ok(pooled)
    }
}

/// Statistics of one (M, N, arm) over its measured runs.
#[derive(Default)]
pub struct Summary {
    pub runs: usize,
    pub dnf: usize,
    pub extrapolated: bool,
    pub bound_all: Vec<f64>,
    /// All-bound time per repetition, to pair each run with the other arms' runs of the
    /// same repetition (they ran back to back).
    pub bound_by_rep: BTreeMap<usize, f64>,
    pub running_all: Vec<f64>,
    pub t50: Option<f64>,
    pub t90: Option<f64>,
    pub t99: Option<f64>,
    pub rate: Option<f64>,
    pub writes: Option<f64>,
    pub writes_no_events: Option<f64>,
    pub etcd_writes: Option<f64>,
    pub cpu: Option<f64>,
    pub rss: Option<f64>,
    pub zone_skew: Option<usize>,
    pub node_skew: Option<usize>,
    pub restore: Vec<f64>,
    /// How long the deletions of the restore took (see arms::Restore::deletes_s).
    pub restore_deletes: Vec<f64>,
    /// From the last delete answered to the last replacement bound, per run (0 when every
    /// replacement was bound before the deletes were all answered).
    pub restore_after_deletes: Vec<f64>,
    pub concurrency: Option<usize>,
}

pub fn summarize(runs: &[RunResult]) -> BTreeMap<(usize, usize, Arm), Summary> {
    let mut by: BTreeMap<(usize, usize, Arm), Vec<&RunResult>> = BTreeMap::new();
    for r in runs.iter().filter(|r| !r.warmup) {
        by.entry((r.m, r.n, r.arm)).or_default().push(r);
    }
    by.into_iter()
        .map(|(k, rs)| {
            // Per-task request counts of a capped run recorded before `per_task_divisor`
            // existed were divided by N although only `bound.count` Pods were made.
            let scale = |r: &RunResult| match r.per_task_divisor {
                None if r.extrapolated && r.bound.count > 0 => r.n as f64 / r.bound.count as f64,
                _ => 1.0,
            };
            let f = |g: &dyn Fn(&RunResult) -> Option<f64>| {
                median(&rs.iter().filter_map(|r| g(r)).collect::<Vec<_>>())
            };
            let s = Summary {
                runs: rs.len(),
                dnf: rs.iter().filter(|r| !r.finished).count(),
                extrapolated: rs.iter().any(|r| r.extrapolated),
                bound_all: rs.iter().filter_map(|r| r.bound.all).collect(),
                bound_by_rep: rs
                    .iter()
                    .filter_map(|r| Some((r.rep, r.bound.all?)))
                    .collect(),
                running_all: rs.iter().filter_map(|r| r.running.all).collect(),
                t50: f(&|r| r.bound.t50),
                t90: f(&|r| r.bound.t90),
                t99: f(&|r| r.bound.t99),
                rate: f(&|r| r.steady_rate),
                writes: f(&|r| Some(r.requests.writes_per_task * scale(r))),
                writes_no_events: f(&|r| Some(r.requests.writes_per_task_no_events * scale(r))),
                etcd_writes: f(&|r| Some(r.requests.etcd_writes_per_task * scale(r))),
                cpu: f(&|r| Some(r.ctrl_cpu_seconds)),
                rss: f(&|r| Some(r.ctrl_peak_rss_mb)),
                zone_skew: rs.iter().filter_map(|r| r.zone_skew).max(),
                node_skew: rs.iter().filter_map(|r| r.node_skew).max(),
                restore: rs
                    .iter()
                    .filter_map(|r| r.restore.as_ref()?.bound_s)
                    .collect(),
                restore_deletes: rs
                    .iter()
                    .filter_map(|r| r.restore.as_ref()?.deletes_s)
                    .collect(),
                restore_after_deletes: rs
                    .iter()
                    .filter_map(|r| {
                        let x = r.restore.as_ref()?;
                        Some((x.bound_s? - x.deletes_s?).max(0.0))
                    })
                    .collect(),
                concurrency: rs.iter().find_map(|r| r.concurrency),
            };
            (k, s)
        })
        .collect()
}

fn secs(v: &[f64]) -> String {
    let Some(m) = median(v) else {
        return "DNF".into();
    };
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(0.0, f64::max);
    if v.len() > 1 {
        format!("{m:.2} s [{lo:.2}–{hi:.2}]")
    } else {
        format!("{m:.2} s")
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.digits$}"))
}

pub fn markdown(meta: &Meta, runs: &[RunResult]) -> String {
    let sums = summarize(runs);
    let mut md = String::new();
    let _ = writeln!(md, "## Latest run\n");
    let _ = writeln!(
        md,
        "Produced by `{}` on {} (commit `{}`).\n",
        meta.command, meta.date, meta.git_commit
    );
    let _ = writeln!(
        md,
        "**Machine**: {}.  ",
        meta.machine
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        md,
        "**Versions**: {}.  ",
        meta.versions
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        md,
        "**Load average** before / after: {} / {}.\n",
        meta.load_before, meta.load_after
    );
    for n in &meta.notes {
        let _ = writeln!(md, "- {n}");
    }
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "Every run starts after a full GC of the API server and a 2 s settle. \
         Times from t0 (the harness's call that expresses the intent) as seen by one pod watch; \
         medians [min–max] over the repetitions (warm-up / calibration runs excluded). \
         writes/task: API writes of the workload path (creates, bindings, controller status, \
         Events) ÷ N, then the same without Events; kwok's pod status writes and node heartbeats \
         are excluded (identical in every arm, in the JSON), and so is the harness's own t0 call \
         (the user's PATCH of desiredCount / replicas; `intent_writes` in the JSON). CPU-s and peak RSS: the controllers \
         doing the work (O: the operator; D: kube-controller-manager + kube-scheduler; R: the \
         harness, its watch included). Skew: max − min pods per zone / per node. Restore: time \
         from the first delete until N are bound again after deleting 10% of the Pods (32 deletes \
         in flight); in brackets, how long the deletes themselves took.\n"
    );
    let mut cells: Vec<(usize, usize)> = sums.keys().map(|(m, n, _)| (*m, *n)).collect();
    cells.dedup();
    for (m, n) in cells {
        let _ = writeln!(md, "#### N = {n}, M = {m}\n");
        let _ = writeln!(
            md,
            "| arm | runs | all bound | all Running | T50 / T90 / T99 bound | pods/s | writes/task (no events) | etcd writes/task | CPU-s | peak RSS MB | zone / node skew | restore 10% |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|");
        for arm in [Arm::R, Arm::O, Arm::DTuned, Arm::DDefault] {
            let Some(s) = sums.get(&(m, n, arm)) else {
                continue;
            };
            let mut label = arm.label().to_string();
            if let Some(k) = s.concurrency {
                let _ = write!(label, " (K={k})");
            }
            let mut bound = secs(&s.bound_all);
            if s.extrapolated {
                bound.push_str(" (extrapolated)");
            }
            let _ = writeln!(
                md,
                "| {label} | {}{} | {bound} | {} | {} / {} / {} | {} | {} ({}) | {} | {} | {} | {} / {} | {} |",
                s.runs,
                if s.dnf > 0 {
                    format!(" ({} DNF)", s.dnf)
                } else {
                    String::new()
                },
                secs(&s.running_all),
                opt(s.t50, 2),
                opt(s.t90, 2),
                opt(s.t99, 2),
                opt(s.rate, 0),
                opt(s.writes, 2),
                opt(s.writes_no_events, 2),
                opt(s.etcd_writes, 2),
                // R's controller is the harness itself (its watch included), one long-lived
                // process: its peak RSS is the whole invocation's, so it is not shown.
                if arm == Arm::R {
                    format!("{} (harness)", opt(s.cpu, 2))
                } else {
                    opt(s.cpu, 2)
                },
                if arm == Arm::R {
                    "–".into()
                } else {
                    opt(s.rss, 0)
                },
                s.zone_skew.map_or("–".into(), |v| v.to_string()),
                s.node_skew.map_or("–".into(), |v| v.to_string()),
                if s.restore.is_empty() {
                    "–".into()
                } else if s.restore_deletes.is_empty() {
                    secs(&s.restore)
                } else {
                    format!(
                        "{} (deletes {})",
                        secs(&s.restore),
                        secs(&s.restore_deletes)
                    )
                },
            );
        }
        let _ = writeln!(md);
    }
    md.push_str(&goals(&sums));
    md
}

/// The goals, checked on this run's medians.
fn goals(sums: &BTreeMap<(usize, usize, Arm), Summary>) -> String {
    let mut md = String::from(
        "### Goals (ratios within this run)\n\n| goal | cell | measured | met |\n|---|---|---|---|\n",
    );
    let all = |s: &Summary| median(&s.bound_all);
    let mut row = |goal: &str, cell: String, measured: String, met: Option<bool>| {
        let met = match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "n/a",
        };
        let _ = writeln!(md, "| {goal} | {cell} | {measured} | {met} |");
    };
    let cells: Vec<(usize, usize)> = {
        let mut c: Vec<_> = sums.keys().map(|(m, n, _)| (*m, *n)).collect();
        c.dedup();
        c
    };
    for (m, n) in cells {
        let get = |a| sums.get(&(m, n, a));
        let cell = format!("N={n} M={m}");
        let (r, o, dd, dt) = (
            get(Arm::R),
            get(Arm::O),
            get(Arm::DDefault),
            get(Arm::DTuned),
        );
        // Rate to all-N-bound: N / makespan (the "rate", not the 10–90% slope).
        let rate = |s: Option<&Summary>| s.and_then(all).map(|t| n as f64 / t);
        if n >= 1000
            && let (Some(ro), Some(rr)) = (rate(o), rate(r))
        {
            row(
                "O ≥ 0.8 × R (all-bound rate)",
                cell.clone(),
                format!(
                    "{ro:.0} vs {rr:.0} pods/s = {:.2}{}",
                    ro / rr,
                    o.zip(r).map_or(String::new(), |(o, r)| how_sure(o, r))
                ),
                Some(ro >= 0.8 * rr),
            );
        }
        if n == 1000 {
            if let (Some(to), Some(td)) = (o.and_then(all), dd.and_then(all)) {
                row(
                    "O ≥ 10× faster than D-default",
                    cell.clone(),
                    format!("{:.1}×", td / to),
                    Some(td >= 10.0 * to),
                );
            }
            if let (Some(to), Some(td)) = (o.and_then(all), dt.and_then(all)) {
                row(
                    "O at least as fast as D-tuned",
                    cell.clone(),
                    format!("{to:.2} s vs {td:.2} s"),
                    Some(to <= td),
                );
            }
        }
        if let Some(w) = o.and_then(|s| s.writes) {
            row(
                "O ≤ 1.05 writes/task",
                cell.clone(),
                format!("{w:.3} (D-tuned {})", opt(dt.and_then(|s| s.writes), 2)),
                Some(w <= 1.05),
            );
        }
        if let Some(c) = o.and_then(|s| s.cpu) {
            let ms = c * 1000.0 / n as f64;
            row(
                "O CPU ≤ 1 ms/task",
                cell.clone(),
                format!("{ms:.2} ms"),
                Some(ms <= 1.0),
            );
        }
        if n >= 10000
            && m >= 1000
            && let Some(rss) = o.and_then(|s| s.rss)
        {
            row(
                "O peak RSS ≤ 64 MB",
                cell.clone(),
                format!("{rss:.0} MB"),
                Some(rss <= 64.0),
            );
        }
        // The budget is R's time to create the 10% again: it starts once they are deleted.
        // Deleting them is not instantaneous (the harness's 1,000 deletes take 3.7–5 s at
        // N=10000, R's own restore included), so the goal is judged on the time after the last
        // delete was answered; the time from the first delete is shown beside R's.
        if let (Some(after), Some(rr)) = (o.and_then(|s| median(&s.restore_after_deletes)), rate(r))
        {
            let budget = 0.1 * n as f64 / rr + 0.5;
            let from_first = |s: Option<&Summary>| s.and_then(|s| median(&s.restore));
            let deletes = o
                .and_then(|s| median(&s.restore_deletes))
                .map_or(String::new(), |d| format!(", its deletes {d:.2} s"));
            let raw = from_first(r).map_or(String::new(), |x| {
                format!("; R replacing them itself: {x:.2} s")
            });
            row(
                "O restores 10% ≤ 0.1·N/R + 0.5 s after deletion",
                cell.clone(),
                format!(
                    "{after:.2} s (budget {budget:.2} s; from the first delete {} s{deletes}{raw})",
                    opt(from_first(o), 2)
                ),
                Some(after <= budget),
            );
        }
    }
    md
}

/// How far O's rate ÷ R's can be trusted: a 90 % bootstrap interval of the ratio of medians,
/// and the median [quartiles] of the ratios within each repetition (R and O back to back).
fn how_sure(o: &Summary, r: &Summary) -> String {
    let mut out = String::new();
    if o.bound_all.len() > 1
        && r.bound_all.len() > 1
        && let Some((lo, hi)) = ratio_of_medians_interval(&r.bound_all, &o.bound_all, 0.9, 4000)
    {
        let _ = write!(out, " (90 % interval {lo:.2}–{hi:.2}");
    } else {
        return out;
    }
    let paired: Vec<f64> = o
        .bound_by_rep
        .iter()
        .filter_map(|(rep, to)| Some(r.bound_by_rep.get(rep)? / to))
        .collect();
    if let (Some(m), Some(q1), Some(q3)) = (
        median(&paired),
        quantile(&paired, 0.25),
        quantile(&paired, 0.75),
    ) {
        let _ = write!(
            out,
            "; per repetition {m:.2} [{q1:.2}–{q3:.2}] over {} pairs",
            paired.len()
        );
    }
    out.push(')');
    out
}
