//! Task observation, the per-task work of every service reconcile: a service of 1,000 tasks
//! reads all of them each time, and while kwok (or kubelets) mark Pods Running that is every
//! 30 ms (`pacing::round_spacing`). Reported in tasks observed per second.
//!
//! Run: `cargo bench --bench observe` (or `-- --quick` for a fast pass).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecs_operator::labels::{
    ESSENTIAL_CONTAINERS_ANNOTATION, HEALTH_CHECKED_CONTAINERS_ANNOTATION, TASK_ID_ANNOTATION,
};
use ecs_operator::slim_pod::SlimPod;
use ecs_operator::tasks::observe::{containers, observe};
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

const TASKS: usize = 1_000;

/// A task Pod as kwok leaves it: Running, its one essential container started a minute ago.
fn running_task(i: usize) -> SlimPod {
    let pod = json!({
        "metadata": {
            "name": format!("web-{i:010x}"),
            "namespace": "bench",
            "annotations": {
                ESSENTIAL_CONTAINERS_ANNOTATION: "web",
                HEALTH_CHECKED_CONTAINERS_ANNOTATION: "",
                TASK_ID_ANNOTATION: format!("{i:032x}"),
            },
        },
        "spec": {"nodeName": format!("node-{:04}", i % 100),
                 "containers": [{"name": "web", "image": "registry.k8s.io/pause:3.10"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [{
                "name": "web", "image": "registry.k8s.io/pause:3.10", "imageID": "",
                "ready": true, "restartCount": 0,
                "state": {"running": {"startedAt": "2026-12-01T00:00:00Z"}},
            }],
        },
    });
    serde_json::from_value(pod).expect("a valid Pod")
}

fn observe_service(c: &mut Criterion) {
    let pods: Vec<SlimPod> = (0..TASKS).map(running_task).collect();
    let now: Timestamp = "2026-12-01T00:01:00Z".parse().expect("a timestamp");
    let mut group = c.benchmark_group("observe_1000_tasks");
    group.throughput(Throughput::Elements(TASKS as u64));
    group.bench_function("running", |b| {
        b.iter(|| {
            for pod in &pods {
                black_box(observe(black_box(pod), now));
            }
        })
    });
    // What observe cost until session 10: each task's container records built with it (and
    // freed at the end of the reconcile).
    group.bench_function("running_with_container_records", |b| {
        b.iter(|| {
            for pod in &pods {
                black_box(observe(black_box(pod), now));
                black_box(containers(black_box(pod)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, observe_service);
criterion_main!(benches);
