//! API requests counted by the API server itself (`apiserver_request_total`, by verb and
//! resource; `apiserver_flowcontrol_dispatched_requests_total`, by FlowSchema, i.e. by actor)
//! and writes counted by etcd, as deltas over one arm run; and the API server's Go runtime
//! (bytes allocated, GC cycles, heap in use) from t0 to all bound.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use kube::Client;
use serde::{Deserialize, Serialize};

use crate::procs;

#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// (verb, resource[/subresource]) → count.
    requests: HashMap<(String, String), f64>,
    /// FlowSchema → requests dispatched (all verbs, watches and lists included).
    flows: HashMap<String, f64>,
    apf_rejected: f64,
    etcd_puts: f64,
    etcd_deletes: f64,
    go: GoRuntime,
}

/// The API server's Go runtime counters (its `go_*` metrics).
#[derive(Clone, Copy, Debug, Default)]
struct GoRuntime {
    allocated_bytes: f64,
    gc_cycles: f64,
    heap_inuse_bytes: f64,
}

pub async fn snapshot(admin: &Client, etcd_port: u16) -> Result<Snapshot> {
    let text = crate::plane::retry(|| async {
        let req = http::Request::get("/metrics")
            .body(Vec::new())
            .map_err(kube::Error::HttpError)?;
        admin.request_text(req).await
    })
    .await?;
    let mut s = Snapshot::default();
    for line in text.lines() {
        let Some((name, labels, value)) = parse_line(line) else {
            continue;
        };
        match name {
            "apiserver_request_total" => {
                let verb = labels.get("verb").cloned().unwrap_or_default();
                let mut res = labels.get("resource").cloned().unwrap_or_default();
                if let Some(sub) = labels.get("subresource").filter(|s| !s.is_empty()) {
                    res = format!("{res}/{sub}");
                }
                *s.requests.entry((verb, res)).or_default() += value;
            }
            "apiserver_flowcontrol_dispatched_requests_total" => {
                let fs = labels.get("flow_schema").cloned().unwrap_or_default();
                *s.flows.entry(fs).or_default() += value;
            }
            "apiserver_flowcontrol_rejected_requests_total" => s.apf_rejected += value,
            "go_memstats_alloc_bytes_total" => s.go.allocated_bytes = value,
            "go_gc_duration_seconds_count" => s.go.gc_cycles = value,
            "go_memstats_heap_inuse_bytes" => s.go.heap_inuse_bytes = value,
            _ => {}
        }
    }
    // etcd serves /metrics on its client URL; a failure here only loses the etcd column.
    if let Ok(text) = procs::run(
        "curl",
        &[
            "-fsS",
            "--max-time",
            "5",
            &format!("http://127.0.0.1:{etcd_port}/metrics"),
        ],
        &[],
    ) {
        for line in text.lines() {
            if let Some((name, _, value)) = parse_line(line) {
                match name {
                    "etcd_mvcc_put_total" => s.etcd_puts += value,
                    "etcd_mvcc_delete_total" => s.etcd_deletes += value,
                    _ => {}
                }
            }
        }
    }
    Ok(s)
}

/// `name{a="x",b="y"} 12` → (name, labels, 12). Comments and malformed lines → None.
fn parse_line(line: &str) -> Option<(&str, HashMap<String, String>, f64)> {
    if line.starts_with('#') || line.is_empty() {
        return None;
    }
    let (head, value) = line.rsplit_once(' ')?;
    let value: f64 = value.parse().ok()?;
    let (name, rest) = match head.find('{') {
        Some(i) => (&head[..i], &head[i + 1..head.len().saturating_sub(1)]),
        None => (head, ""),
    };
    let mut labels = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        if chars.next() != Some('"') {
            return None;
        }
        let mut val = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => val.extend(chars.next()),
                '"' => break,
                c => val.push(c),
            }
        }
        labels.insert(key.trim_start_matches(',').to_string(), val);
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    Some((name, labels, value))
}

const MUTATING: [&str; 6] = [
    "POST",
    "PUT",
    "PATCH",
    "APPLY",
    "DELETE",
    "DELETECOLLECTION",
];

/// API writes during one arm run, per task.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Requests {
    /// Writes by the workload path (creates, binds, controller status, Events), ÷ N.
    /// The harness's own intent call (the PATCH of desiredCount / replicas at t0) is the
    /// user's write, not the controller's, and is not in it (see `intent_writes`).
    pub writes_per_task: f64,
    /// The same without Events.
    pub writes_per_task_no_events: f64,
    /// Pod status writes (kwok, standing in for kubelets; the same work in every arm), ÷ N.
    pub kubelet_writes_per_task: f64,
    /// etcd puts + deletes ÷ N (all writers, kubelet and background included).
    pub etcd_writes_per_task: f64,
    /// Writes by verb and resource (absolute, background included), for the record.
    pub writes: BTreeMap<String, f64>,
    /// Requests of every verb (reads and watches included) by FlowSchema, absolute.
    pub by_flow_schema: BTreeMap<String, f64>,
    pub apf_rejected: f64,
    /// The harness's intent writes at t0 (absolute), taken out of `writes_per_task`.
    #[serde(default)]
    pub intent_writes: f64,
}

/// The write the harness itself makes at t0 to express the intent: "VERB resource" and how
/// many (O: one PATCH per EcsService; D: one PATCH of the Deployment; R: none).
#[derive(Clone, Copy, Debug)]
pub struct Intent {
    pub write: &'static str,
    pub count: f64,
}

pub fn requests(before: &Snapshot, after: &Snapshot, n: usize, intent: Option<Intent>) -> Requests {
    let n = n.max(1) as f64;
    let mut r = Requests::default();
    let (mut work, mut events, mut kubelet) = (0.0, 0.0, 0.0);
    for ((verb, res), v) in &after.requests {
        if !MUTATING.contains(&verb.as_str()) {
            continue;
        }
        let d = v - before
            .requests
            .get(&(verb.clone(), res.clone()))
            .copied()
            .unwrap_or(0.0);
        if d <= 0.0 {
            continue;
        }
        let key = format!("{verb} {res}");
        r.writes.insert(key.clone(), d);
        let d = match intent {
            Some(i) if i.write == key => {
                r.intent_writes = i.count.min(d);
                d - r.intent_writes
            }
            _ => d,
        };
        match res.as_str() {
            "pods/status" => kubelet += d,
            // Background: kwok node heartbeats and leases, not the workload.
            r if r.starts_with("nodes") || r.starts_with("leases") => {}
            "events" => events += d,
            _ => work += d,
        }
    }
    r.writes_per_task = (work + events) / n;
    r.writes_per_task_no_events = work / n;
    r.kubelet_writes_per_task = kubelet / n;
    r.etcd_writes_per_task =
        ((after.etcd_puts - before.etcd_puts) + (after.etcd_deletes - before.etcd_deletes)) / n;
    for (fs, v) in &after.flows {
        let d = v - before.flows.get(fs).copied().unwrap_or(0.0);
        if d > 0.0 {
            r.by_flow_schema.insert(fs.clone(), d);
        }
    }
    r.apf_rejected = after.apf_rejected - before.apf_rejected;
    r
}

/// What the API server's Go runtime did between two snapshots: at N = 1000 on two cores the
/// same requests cost it 1.1–4.9 CPU-s from run to run (docs/benchmarks.md, session 12), and
/// its garbage collector is the largest single item in its profile.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GoRuntimeDelta {
    pub allocated_mb: f64,
    pub gc_cycles: f64,
    pub heap_inuse_mb_before: f64,
    pub heap_inuse_mb_after: f64,
}

pub fn go_runtime(before: &Snapshot, after: &Snapshot) -> GoRuntimeDelta {
    const MB: f64 = 1048576.0;
    GoRuntimeDelta {
        allocated_mb: (after.go.allocated_bytes - before.go.allocated_bytes) / MB,
        gc_cycles: after.go.gc_cycles - before.go.gc_cycles,
        heap_inuse_mb_before: before.go.heap_inuse_bytes / MB,
        heap_inuse_mb_after: after.go.heap_inuse_bytes / MB,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_lines() {
        let (name, labels, v) = parse_line(
            r#"apiserver_request_total{code="201",component="apiserver",resource="pods",subresource="binding",verb="POST"} 42"#,
        )
        .expect("a sample");
        assert_eq!(name, "apiserver_request_total");
        assert_eq!(labels["resource"], "pods");
        assert_eq!(labels["subresource"], "binding");
        assert_eq!(labels["verb"], "POST");
        assert_eq!(v, 42.0);
        assert!(parse_line("# HELP x y").is_none());
        let (name, labels, v) = parse_line("etcd_mvcc_put_total 7").expect("no labels");
        assert_eq!((name, labels.len(), v), ("etcd_mvcc_put_total", 0, 7.0));
    }

    fn snapshot_of(writes: &[(&str, &str, f64)]) -> Snapshot {
        Snapshot {
            requests: writes
                .iter()
                .map(|(v, r, c)| ((v.to_string(), r.to_string()), *c))
                .collect(),
            ..Snapshot::default()
        }
    }

    #[test]
    fn the_harness_intent_call_is_not_the_controllers_write() {
        let after = snapshot_of(&[
            ("POST", "pods", 100.0),
            ("PATCH", "ecsservices", 1.0),
            ("APPLY", "ecsservices/status", 3.0),
            ("POST", "events", 1.0),
            ("PATCH", "pods/status", 100.0),
            ("GET", "pods", 9.0),
        ]);
        let intent = Intent {
            write: "PATCH ecsservices",
            count: 1.0,
        };
        let r = requests(&Snapshot::default(), &after, 100, Some(intent));
        assert_eq!(r.intent_writes, 1.0);
        assert_eq!(r.writes_per_task, 1.04);
        assert_eq!(r.writes_per_task_no_events, 1.03);
        assert_eq!(r.kubelet_writes_per_task, 1.0);
        // Without an intent (R), a PATCH of the service would be the workload's.
        let r = requests(&Snapshot::default(), &after, 100, None);
        assert_eq!((r.intent_writes, r.writes_per_task), (0.0, 1.05));
    }
}
