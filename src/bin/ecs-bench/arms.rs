//! One arm run: start what the arm needs, warm it up, express the intent at t0, wait for
//! all N bound and Running (same watch for every arm), delete 10% and time the restore,
//! then clean up so the next run starts from an empty namespace.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch,
    PatchParams, PostParams,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::components::{KubeComponents, Limits, start_operator};
use crate::metrics::{self, Requests};
use crate::plane::{NAMESPACE, Plane, ZONES, retry};
use crate::procs::{self, Proc, Usage};
use crate::watcher::{Counts, PodWatch, offsets};
use crate::workload;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Arm {
    R,
    O,
    #[serde(rename = "D-default")]
    DDefault,
    #[serde(rename = "D-tuned")]
    DTuned,
}

impl Arm {
    pub fn label(self) -> &'static str {
        match self {
            Arm::R => "R",
            Arm::O => "O",
            Arm::DDefault => "D-default",
            Arm::DTuned => "D-tuned",
        }
    }
}

/// What one cell's runs share.
pub struct Cell<'a> {
    pub plane: &'a Plane,
    pub operator_bin: PathBuf,
    pub reference: Pod,
    pub m: usize,
    /// Node names by zone, for the raw arm's precomputed spread.
    pub zone_nodes: Vec<Vec<String>>,
    pub node_zone: HashMap<String, usize>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Seconds from t0 until all N (None: did not finish).
    pub all: Option<f64>,
    /// Seconds from t0 until the first and the first 10 % (how long an arm takes to start).
    #[serde(default)]
    pub first: Option<f64>,
    #[serde(default)]
    pub t10: Option<f64>,
    pub t50: Option<f64>,
    pub t90: Option<f64>,
    pub t99: Option<f64>,
    pub count: usize,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Restore {
    pub deleted: usize,
    /// From the first delete to the last one answered: the deletions stream while the
    /// controllers already replace (their writes share the apiserver with the deletes).
    #[serde(default)]
    pub deletes_s: Option<f64>,
    pub bound_s: Option<f64>,
    pub running_s: Option<f64>,
    /// CPU seconds of the arm's controllers (as `ctrl`) from the first delete until the
    /// restore was seen complete: what replacing costs them while the deletes stream.
    #[serde(default)]
    pub ctrl_cpu_seconds: Option<f64>,
    /// API requests over the same window (writes by verb, all requests by FlowSchema),
    /// per deleted Pod.
    #[serde(default)]
    pub requests: Option<Requests>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProcUsage {
    pub cpu_seconds: f64,
    pub peak_rss_mb: f64,
    /// CPU seconds the process used before t0 (start-up, informer sync, warm-up).
    pub startup_cpu_seconds: f64,
    /// CPU share while idle in the 2 s before t0.
    pub idle_cpu_share: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResult {
    pub arm: Arm,
    pub n: usize,
    pub m: usize,
    pub rep: usize,
    /// Raw arm: requests in flight.
    pub concurrency: Option<usize>,
    /// A calibration run (raw concurrency sweep), not part of the statistics.
    pub warmup: bool,
    pub finished: bool,
    /// Stopped at the time cap; `bound.all` is then extrapolated from the steady rate.
    pub extrapolated: bool,
    pub bound: Progress,
    pub running: Progress,
    /// Pods/s between 10% and 90% bound.
    pub steady_rate: Option<f64>,
    pub requests: Requests,
    /// What `requests` were divided by: N, or the Pods bound by a capped run (absent in files
    /// from before this field: N).
    #[serde(default)]
    pub per_task_divisor: Option<usize>,
    /// The controllers doing the arm's work: the operator (O), KCM + scheduler (D), the
    /// harness itself (R, its watch included). CPU over [t0, done + 2 s]; peak RSS summed.
    pub ctrl: String,
    pub ctrl_cpu_seconds: f64,
    pub ctrl_peak_rss_mb: f64,
    pub processes: BTreeMap<String, ProcUsage>,
    /// CPU seconds of every process from t0 to all bound: the API server, etcd and kwok
    /// (the work every arm puts on the control plane) and the controllers and the harness
    /// (what competes with them for the cores during the round; 1/100 s resolution), and the
    /// machine's `(idle)` and `(steal)` seconds over the same window.
    #[serde(default)]
    pub plane_cpu_to_bound: BTreeMap<String, f64>,
    /// Pods kwok had marked Running when the watcher first saw all N bound: its status
    /// PATCHes are API server work inside the all-bound window (session 9, N = 1000: 225–490
    /// in O's runs against 100–150 in R's, in all invocations but one; docs/benchmarks.md).
    #[serde(default)]
    pub running_at_bound: Option<usize>,
    /// t0 as wall-clock time (seconds since the Unix epoch), to line a run up with the control
    /// plane's logs (e.g. the API server's `GODEBUG=gctrace=1` lines).
    #[serde(default)]
    pub t0_unix: Option<f64>,
    /// The API server's Go runtime from t0 to just after all were bound (a metrics scrape
    /// then): bytes allocated, GC cycles, heap in use at both ends.
    #[serde(default)]
    pub apiserver_go_to_bound: Option<metrics::GoRuntimeDelta>,
    pub zone_skew: Option<usize>,
    pub node_skew: Option<usize>,
    pub restore: Option<Restore>,
    pub errors: Vec<String>,
}

pub struct RunOpts {
    pub concurrency: usize,
    /// Stop here and extrapolate (D-default at large N).
    pub cap: Option<Duration>,
    pub warmup: bool,
    pub restore: bool,
}

const STALL: Duration = Duration::from_secs(30);
const SETTLE: Duration = Duration::from_secs(2);
/// The control plane's processes whose CPU each run reports (their command names).
const PLANE_PROCESSES: [&str; 3] = ["kube-apiserver", "etcd", "kwok"];

pub async fn run(
    cell: &Cell<'_>,
    arm: Arm,
    n: usize,
    rep: usize,
    opts: &RunOpts,
) -> Result<RunResult> {
    let plane = cell.plane;
    let admin = plane.admin.clone();
    let tag = format!("{}-n{n}-m{}-r{rep}", arm.label(), cell.m);
    let limits = if arm == Arm::DTuned {
        Limits::Tuned
    } else {
        Limits::Default
    };
    // KCM and the scheduler run in every arm (idle in R and O, as in a real cluster).
    let comps = KubeComponents::start(plane, limits, &tag).await?;
    let mut operator: Option<Proc> = None;
    let svc_api = Api::<DynamicObject>::namespaced_with(
        admin.clone(),
        NAMESPACE,
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("ecs.operator.dev", "v1alpha1", "EcsService"),
            "ecsservices",
        ),
    );
    let deploy_api: Api<Deployment> = Api::namespaced(admin.clone(), NAMESPACE);
    let services: Vec<String> = (0..n.div_ceil(workload::MAX_TASKS_PER_SERVICE).max(1))
        .map(|i| {
            if i == 0 {
                workload::SERVICE.to_string()
            } else {
                format!("{}-{i}", workload::SERVICE)
            }
        })
        .collect();
    let result = async {
        match arm {
            Arm::O => {
                operator = Some(start_operator(plane, &cell.operator_bin, &tag)?);
                plane
                    .apply(
                        "ecs.operator.dev/v1alpha1",
                        "TaskDefinition",
                        "taskdefinitions",
                        workload::task_definition(),
                    )
                    .await?;
                for name in &services {
                    plane
                        .apply(
                            "ecs.operator.dev/v1alpha1",
                            "EcsService",
                            "ecsservices",
                            workload::ecs_service(name, 0),
                        )
                        .await?;
                    wait_observed(|| async {
                        let o = svc_api.get(name).await.ok()?;
                        Some((
                            o.metadata.generation?,
                            o.data["status"]["observedGeneration"].as_i64()?,
                        ))
                    })
                    .await
                    .context("the operator did not observe the EcsService")?;
                }
            }
            Arm::DDefault | Arm::DTuned => {
                plane
                    .apply(
                        "apps/v1",
                        "Deployment",
                        "deployments",
                        workload::deployment(&cell.reference, 0)?,
                    )
                    .await?;
                wait_observed(|| async {
                    let d = deploy_api.get(workload::DEPLOYMENT).await.ok()?;
                    Some((d.metadata.generation?, d.status?.observed_generation?))
                })
                .await
                .context("the deployment controller did not observe the Deployment")?;
            }
            Arm::R => {}
        }
        let watched = |comps: &KubeComponents, op: &Option<Proc>| -> Vec<(String, Usage)> {
            let (k, s) = comps.usage();
            let mut v = vec![
                ("kube-controller-manager".to_string(), k),
                ("kube-scheduler".to_string(), s),
            ];
            if let Some(op) = op {
                v.push(("ecs-operator".to_string(), op.usage()));
            }
            v.push(("harness".to_string(), Usage::of(std::process::id())));
            v
        };
        crate::apiserver_gc::collect(&admin).await;
        let idle0 = watched(&comps, &operator);
        let idle_start = Instant::now();
        tokio::time::sleep(SETTLE).await;
        if let Some(op) = operator.as_mut() {
            op.check_alive()?;
        }
        let watch = PodWatch::start(admin.clone(), NAMESPACE).await?;
        if watch.len() != 0 {
            bail!(
                "namespace {NAMESPACE} not empty before t0 ({} pods)",
                watch.len()
            );
        }
        let before = metrics::snapshot(&admin, plane.ports.etcd).await?;
        let u0 = watched(&comps, &operator);
        let idle_seconds = idle_start.elapsed().as_secs_f64();
        let mut raw_batch = (arm == Arm::R).then(|| (raw_pods(cell, n), plane.raw.clone()));

        let cpu_now = |comps: &KubeComponents, op: &Option<Proc>| {
            let mut cpu = procs::cpu_by_name(&PLANE_PROCESSES);
            cpu.extend(procs::machine_times());
            cpu.extend(
                watched(comps, op)
                    .into_iter()
                    .map(|(name, u)| (name, u.cpu_seconds)),
            );
            cpu
        };
        let plane0 = cpu_now(&comps, &operator);
        // ---- t0: the harness's own API call that expresses the intent.
        let t0 = Instant::now();
        let t0_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs_f64());
        let profile = crate::apiserver_profile::start(&admin, &tag);
        let mut creator = None;
        match arm {
            Arm::O => {
                // ECS allows 5,000 tasks per service: larger N is split over services,
                // scaled by concurrent calls.
                let calls = services.iter().enumerate().map(|(i, name)| {
                    let share = n / services.len() + usize::from(i < n % services.len());
                    let patch = Patch::Merge(json!({"spec": {"desiredCount": share}}));
                    let api = svc_api.clone();
                    async move {
                        let pp = PatchParams::default();
                        retry(|| api.patch(name, &pp, &patch)).await
                    }
                });
                for r in futures::future::join_all(calls).await {
                    r?;
                }
            }
            Arm::DDefault | Arm::DTuned => {
                let patch = Patch::Merge(json!({"spec": {"replicas": n}}));
                let pp = PatchParams::default();
                retry(|| deploy_api.patch(workload::DEPLOYMENT, &pp, &patch)).await?;
            }
            Arm::R => {
                let batch = raw_batch.take().context("raw pods")?;
                creator = Some(tokio::spawn(create_raw(batch, opts.concurrency)));
            }
        }
        let intent = match arm {
            Arm::O => Some(metrics::Intent {
                write: "PATCH ecsservices",
                count: services.len() as f64,
            }),
            Arm::DDefault | Arm::DTuned => Some(metrics::Intent {
                write: "PATCH deployments",
                count: 1.0,
            }),
            Arm::R => None,
        };
        let (mut plane1, mut running_at_bound) = (None, None);
        let outcome = wait_all(&watch, n, t0, opts.cap, |counts| {
            plane1 = Some(cpu_now(&comps, &operator));
            running_at_bound = Some(counts.running);
        })
        .await;
        let done_at = Instant::now();
        let at_bound = metrics::snapshot(&admin, plane.ports.etcd).await.ok();
        let plane_cpu_to_bound = plane1
            .unwrap_or_default()
            .into_iter()
            .map(|(name, end)| {
                let start = plane0.get(&name).copied().unwrap_or(end);
                (name, end - start)
            })
            .collect();
        tokio::time::sleep(SETTLE).await;
        let after = metrics::snapshot(&admin, plane.ports.etcd).await?;
        let u1 = watched(&comps, &operator);
        if let Some(profile) = profile {
            profile.await?;
        }
        let mut errors = Vec::new();
        if let Some(c) = creator {
            errors.extend(c.await?);
        }
        if let Some(e) = watch.last_error() {
            errors.push(format!("watch: {e}"));
        }

        let live = watch.live_pods();
        let bound = progress(t0, n, live.iter().filter_map(|(_, p)| p.bound_at));
        let running = progress(t0, n, live.iter().filter_map(|(_, p)| p.running_at));
        let steady_rate = match (bound_at_fraction(t0, &live, n, 0.1), bound.t90) {
            (Some(t10), Some(t90)) if t90 > t10 => Some(0.8 * n as f64 / (t90 - t10)),
            _ => None,
        };
        let mut bound = bound;
        let mut extrapolated = false;
        if outcome == Outcome::Capped {
            let c = watch.counts();
            let elapsed = done_at.duration_since(t0).as_secs_f64();
            if let Some(rate) = rate_since_10pct(&live, t0, n, elapsed) {
                bound.all = Some(elapsed + (n.saturating_sub(c.bound)) as f64 / rate);
                extrapolated = true;
            }
        }
        // A capped run did only part of the work: per task then means per Pod bound so far.
        let divisor = if extrapolated {
            watch.counts().bound.max(1)
        } else {
            n
        };
        let (zone_skew, node_skew) = skew(cell, &live);

        let mut processes = BTreeMap::new();
        for (i, (name, end)) in u1.iter().enumerate() {
            let (idle, start) = (&idle0[i].1, &u0[i].1);
            processes.insert(
                name.clone(),
                ProcUsage {
                    cpu_seconds: end.cpu_seconds - start.cpu_seconds,
                    peak_rss_mb: end.peak_rss_bytes as f64 / 1048576.0,
                    startup_cpu_seconds: start.cpu_seconds,
                    idle_cpu_share: (start.cpu_seconds - idle.cpu_seconds) / idle_seconds,
                },
            );
        }
        let ctrl_names: &[&str] = match arm {
            Arm::O => &["ecs-operator"],
            Arm::DDefault | Arm::DTuned => &["kube-controller-manager", "kube-scheduler"],
            Arm::R => &["harness"],
        };
        let ctrl_cpu_seconds = ctrl_names
            .iter()
            .filter_map(|c| processes.get(*c))
            .map(|p| p.cpu_seconds)
            .sum();
        let ctrl_peak_rss_mb = ctrl_names
            .iter()
            .filter_map(|c| processes.get(*c))
            .map(|p| p.peak_rss_mb)
            .sum();

        let restore = if opts.restore && outcome == Outcome::Done {
            // R replaces each Pod itself as soon as its delete returns: the raw limit of a
            // restore under the same delete stream.
            let raw = (arm == Arm::R).then_some(&cell.reference);
            let before = metrics::snapshot(&admin, plane.ports.etcd).await?;
            let c0 = watched(&comps, &operator);
            let mut restore = restore_tenth(&watch, &admin, n, raw).await?;
            let c1 = watched(&comps, &operator);
            let after = metrics::snapshot(&admin, plane.ports.etcd).await?;
            let cpu = |usage: &[(String, Usage)]| -> f64 {
                usage
                    .iter()
                    .filter(|(name, _)| ctrl_names.contains(&name.as_str()))
                    .map(|(_, u)| u.cpu_seconds)
                    .sum()
            };
            restore.ctrl_cpu_seconds = Some(cpu(&c1) - cpu(&c0));
            restore.requests = Some(metrics::requests(&before, &after, restore.deleted, None));
            Some(restore)
        } else {
            None
        };
        if outcome == Outcome::Stalled {
            errors.push(format!(
                "stalled: no progress for {STALL:?} at {:?}",
                watch.counts()
            ));
        }
        drop(watch);
        Ok(RunResult {
            arm,
            n,
            m: cell.m,
            rep,
            concurrency: (arm == Arm::R).then_some(opts.concurrency),
            warmup: opts.warmup,
            finished: outcome == Outcome::Done,
            extrapolated,
            bound,
            running,
            steady_rate,
            requests: metrics::requests(&before, &after, divisor, intent),
            per_task_divisor: Some(divisor),
            ctrl: ctrl_names.join("+"),
            ctrl_cpu_seconds,
            ctrl_peak_rss_mb,
            processes,
            plane_cpu_to_bound,
            running_at_bound,
            t0_unix,
            apiserver_go_to_bound: at_bound.map(|b| metrics::go_runtime(&before, &b)),
            zone_skew,
            node_skew,
            restore,
            errors,
        })
    }
    .await;
    // Stop the controllers first, so nothing recreates what the cleanup deletes.
    if let Some(op) = operator {
        op.stop();
    }
    comps.stop();
    cleanup(plane).await?;
    result
}

async fn wait_observed<F, Fut>(get: F) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<(i64, i64)>>,
{
    let start = Instant::now();
    loop {
        if let Some((generation, observed)) = get().await
            && observed >= generation
        {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(60) {
            bail!("not observed within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    Stalled,
    Capped,
}

/// Waits for N bound and N Running; gives up after 30 s without progress or at the cap.
/// `at_all_bound` runs once, when the watch first sees N bound (within 10 ms).
async fn wait_all(
    watch: &PodWatch,
    n: usize,
    t0: Instant,
    cap: Option<Duration>,
    mut at_all_bound: impl FnMut(&Counts),
) -> Outcome {
    let mut last = Counts::default();
    let mut last_change = Instant::now();
    let mut all_bound = false;
    loop {
        let c = watch.counts();
        if c.bound >= n && !all_bound {
            all_bound = true;
            at_all_bound(&c);
        }
        if c.bound >= n && c.running >= n {
            return Outcome::Done;
        }
        if c != last {
            last = c;
            last_change = Instant::now();
        } else if last_change.elapsed() > STALL {
            return Outcome::Stalled;
        }
        if cap.is_some_and(|cap| t0.elapsed() > cap) {
            return Outcome::Capped;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn progress(t0: Instant, n: usize, instants: impl Iterator<Item = Instant>) -> Progress {
    let v = offsets(t0, instants);
    let at = |p: f64| -> Option<f64> {
        let k = ((p * n as f64).ceil() as usize).max(1);
        v.get(k - 1).copied()
    };
    Progress {
        all: (v.len() >= n).then(|| v[n - 1]),
        first: v.first().copied(),
        t10: at(0.1),
        t50: at(0.5),
        t90: at(0.9),
        t99: at(0.99),
        count: v.len(),
    }
}

fn bound_at_fraction(
    t0: Instant,
    live: &[(String, crate::watcher::PodRec)],
    n: usize,
    f: f64,
) -> Option<f64> {
    let v = offsets(t0, live.iter().filter_map(|(_, p)| p.bound_at));
    let k = ((f * n as f64).ceil() as usize).max(1);
    v.get(k - 1).copied()
}

/// Bound pods/s since 10% of N were bound, for the extrapolation of a capped run.
fn rate_since_10pct(
    live: &[(String, crate::watcher::PodRec)],
    t0: Instant,
    n: usize,
    elapsed: f64,
) -> Option<f64> {
    let v = offsets(t0, live.iter().filter_map(|(_, p)| p.bound_at));
    let k = ((0.1 * n as f64).ceil() as usize).max(1);
    let t10 = *v.get(k - 1)?;
    let rate = (v.len() - k) as f64 / (elapsed - t10);
    (rate > 0.0).then_some(rate)
}

/// Zone skew: max − min pods per zone. Node skew: max − min pods per node, over all M nodes.
fn skew(
    cell: &Cell<'_>,
    live: &[(String, crate::watcher::PodRec)],
) -> (Option<usize>, Option<usize>) {
    if live.is_empty() {
        return (None, None);
    }
    let mut zones = [0usize; 3];
    let mut nodes: HashMap<&str, usize> = cell.node_zone.keys().map(|n| (n.as_str(), 0)).collect();
    for (_, p) in live {
        if let Some(node) = &p.node {
            if let Some(z) = cell.node_zone.get(node) {
                zones[*z] += 1;
            }
            if let Some(c) = nodes.get_mut(node.as_str()) {
                *c += 1;
            }
        }
    }
    let spread = |it: &mut dyn Iterator<Item = usize>| {
        let v: Vec<usize> = it.collect();
        v.iter().max().copied().unwrap_or(0) - v.iter().min().copied().unwrap_or(0)
    };
    (
        Some(spread(&mut zones.into_iter())),
        Some(spread(&mut nodes.values().copied())),
    )
}

/// The raw arm: N POSTs of Pods with nodeName spread by zone, then by node, K in flight.
async fn create_raw((pods, client): (Vec<Pod>, kube::Client), k: usize) -> Vec<String> {
    let api: Api<Pod> = Api::namespaced(client, NAMESPACE);
    let pp = PostParams::default();
    let errors: Vec<String> = futures::stream::iter(pods)
        .map(|p| {
            let api = api.clone();
            let pp = pp.clone();
            async move { api.create(&pp, &p).await.err().map(|e| e.to_string()) }
        })
        .buffer_unordered(k.max(1))
        .filter_map(|e| async move { e })
        .collect()
        .await;
    let total = errors.len();
    let mut errors: Vec<String> = errors.into_iter().take(5).collect();
    if total > 5 {
        errors.push(format!("... {total} create errors in all"));
    }
    errors
}

/// Pods for the raw arm, built before t0: pod i goes to zone i mod 3 and, within it, to the
/// next node round-robin (what ECS spread(zone) → spread(instanceId) yields on empty nodes).
pub fn raw_pods(cell: &Cell<'_>, n: usize) -> Vec<Pod> {
    let mut next = [0usize; 3];
    (0..n)
        .map(|i| {
            let z = i % ZONES.len();
            let nodes = &cell.zone_nodes[z];
            let node = &nodes[next[z] % nodes.len()];
            next[z] += 1;
            workload::raw_pod(&cell.reference, i, node)
        })
        .collect()
}

/// Deletes every 10th live Pod (by name; 10% of N) and times until N are bound and Running
/// again (the time the last replacement was bound / Running, from the first delete). With
/// `raw` (the R arm) the harness creates each replacement on the same node itself.
async fn restore_tenth(
    watch: &PodWatch,
    admin: &kube::Client,
    n: usize,
    raw: Option<&Pod>,
) -> Result<Restore> {
    let mut live: Vec<(String, Option<String>)> = watch
        .live_pods()
        .into_iter()
        .map(|(name, p)| (name, p.node))
        .collect();
    live.sort();
    let victims: Vec<(usize, (String, Option<String>))> = live
        .into_iter()
        .step_by(10)
        .take(n.div_ceil(10))
        .enumerate()
        .collect();
    let deleted = victims.len();
    let api: Api<Pod> = Api::namespaced(admin.clone(), NAMESPACE);
    let r0 = Instant::now();
    let dp = DeleteParams::default().grace_period(0);
    let pp = PostParams::default();
    futures::stream::iter(victims)
        .map(|(i, (name, node))| {
            let api = api.clone();
            let (dp, pp) = (dp.clone(), pp.clone());
            let replacement = raw
                .zip(node)
                .map(|(r, node)| workload::raw_pod(r, n + i, &node));
            async move {
                api.delete(&name, &dp).await?;
                if let Some(pod) = replacement {
                    api.create(&pp, &pod).await?;
                }
                Ok::<(), kube::Error>(())
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<()>, _>>()?;
    let deletes_s = Some(r0.elapsed().as_secs_f64());
    let deadline = Duration::from_secs(60) + Duration::from_millis(200 * deleted as u64);
    loop {
        let live = watch.live_pods();
        let fresh: Vec<_> = live.iter().filter(|(_, p)| p.first_seen >= r0).collect();
        let c = watch.counts();
        let done_bound =
            c.bound >= n && fresh.iter().filter(|(_, p)| p.bound_at.is_some()).count() >= deleted;
        let done_running = c.running >= n
            && fresh.iter().filter(|(_, p)| p.running_at.is_some()).count() >= deleted;
        let last = |f: fn(&crate::watcher::PodRec) -> Option<Instant>| {
            fresh
                .iter()
                .filter_map(|(_, p)| f(p))
                .max()
                .map(|t| t.duration_since(r0).as_secs_f64())
        };
        if done_bound && done_running {
            return Ok(Restore {
                deleted,
                deletes_s,
                bound_s: last(|p| p.bound_at),
                running_s: last(|p| p.running_at),
                ctrl_cpu_seconds: None,
                requests: None,
            });
        }
        if r0.elapsed() > deadline {
            return Ok(Restore {
                deleted,
                deletes_s,
                bound_s: None,
                running_s: None,
                ctrl_cpu_seconds: None,
                requests: None,
            });
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Removes everything an arm made (the controllers are stopped already) and waits until
/// the namespace has no Pods.
pub async fn cleanup(plane: &Plane) -> Result<()> {
    let admin = plane.admin.clone();
    let svc_api = Api::<DynamicObject>::namespaced_with(
        admin.clone(),
        NAMESPACE,
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("ecs.operator.dev", "v1alpha1", "EcsService"),
            "ecsservices",
        ),
    );
    let all = ListParams::default();
    let services = retry(|| svc_api.list(&all)).await?;
    for svc in services.items {
        let name = svc.metadata.name.unwrap_or_default();
        // The operator's drain finalizer would wait for a stopped operator: release it.
        let release = Patch::Merge(json!({"metadata": {"finalizers": null}}));
        let pp = PatchParams::default();
        retry(|| svc_api.patch(&name, &pp, &release)).await?;
        let _ = svc_api.delete(&name, &DeleteParams::default()).await;
    }
    let lp = ListParams::default();
    let dp = DeleteParams::default();
    let deployments = Api::<Deployment>::namespaced(admin.clone(), NAMESPACE);
    retry(|| deployments.delete_collection(&dp, &lp)).await?;
    let replicasets = Api::<ReplicaSet>::namespaced(admin.clone(), NAMESPACE);
    retry(|| replicasets.delete_collection(&dp, &lp)).await?;
    let pods: Api<Pod> = Api::namespaced(admin.clone(), NAMESPACE);
    let now = DeleteParams::default().grace_period(0);
    retry(|| pods.delete_collection(&now, &lp)).await?;
    let events = Api::<Event>::namespaced(admin.clone(), NAMESPACE);
    retry(|| events.delete_collection(&dp, &lp)).await?;
    let start = Instant::now();
    loop {
        let one = ListParams::default().limit(1);
        let left = retry(|| pods.list(&one)).await?;
        if left.items.is_empty() {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(300) {
            bail!("pods of {NAMESPACE} not gone after 300 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
