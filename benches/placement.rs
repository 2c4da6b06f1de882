//! Placement engine throughput (issue 3): 10,000 tasks over 100 … 20,000 instances in three
//! zones, with spread(zone) → spread(instanceId) plus a memberOf constraint, and a
//! binpack(memory) variant. Throughput is reported in decisions (tasks placed) per second.
//! A third group measures one-task calls, the controllers' common case, to show the
//! per-call cost of indexing the snapshot.
//!
//! Run: `cargo bench --bench placement` (or `-- --quick` for a fast pass).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ecs_operator::placement::{
    BinpackField, Constraint, ContainerInstance, PlacementRequest, Resources, Snapshot, Strategy,
    labels,
};

const SIZES: [usize; 4] = [100, 1_000, 5_000, 20_000];
const TASKS: u32 = 10_000;
const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];
const TYPES: [&str; 4] = ["m5.large", "m5.xlarge", "c5.xlarge", "t3.medium"];
const MEMBER_OF: &str = "attribute:ecs.instance-type in [m5.large, m5.xlarge, c5.xlarge]";

/// `n` instances, zones round-robin, a quarter of them of a type the constraint excludes.
/// 16 vCPU / 64 GiB each: at 100 instances the 75 eligible ones hold 19,200 tasks.
fn cluster(n: usize) -> Snapshot {
    let instances = (0..n).map(|i| {
        ContainerInstance::new(format!("node-{i:05}"), Resources::new(16 * 1024, 64 * 1024))
            .with_attribute(labels::ATTR_AVAILABILITY_ZONE, ZONES[i % ZONES.len()])
            .with_attribute(labels::ATTR_INSTANCE_TYPE, TYPES[(i / 3) % TYPES.len()])
            .with_attribute(labels::ATTR_OS_TYPE, "linux")
    });
    Snapshot::new(instances, [])
}

fn request(strategies: Vec<Strategy>, count: u32) -> PlacementRequest {
    PlacementRequest::service("bench")
        .with_count(count)
        .with_reservation(Resources::new(64, 128))
        .with_constraints([Constraint::member_of(MEMBER_OF).expect("valid expression")])
        .with_strategies(strategies)
        .with_seed(42)
}

fn variants() -> [(&'static str, Vec<Strategy>); 2] {
    [
        (
            "spread_zone_instance",
            vec![Strategy::spread_zone(), Strategy::spread_instance()],
        ),
        (
            "binpack_memory",
            vec![Strategy::Binpack(BinpackField::Memory)],
        ),
    ]
}

fn place_batch(c: &mut Criterion) {
    let mut group = c.benchmark_group("place_10000_tasks");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(TASKS)));
    for (name, strategies) in variants() {
        for n in SIZES {
            let snapshot = cluster(n);
            let req = request(strategies.clone(), TASKS);
            let outcome = snapshot.place(&req).expect("valid request");
            assert!(
                outcome.is_complete(),
                "{name}/{n}: capacity must hold all tasks"
            );
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| black_box(snapshot.place(black_box(&req)).expect("valid request")));
            });
        }
    }
    group.finish();
}

fn place_single(c: &mut Criterion) {
    let mut group = c.benchmark_group("place_1_task");
    group.throughput(Throughput::Elements(1));
    for (name, strategies) in variants() {
        for n in SIZES {
            let snapshot = cluster(n);
            let req = request(strategies.clone(), 1);
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| black_box(snapshot.place(black_box(&req)).expect("valid request")));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, place_batch, place_single);
criterion_main!(benches);
