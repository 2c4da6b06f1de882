//! Scale-in selection tests (ecs-semantics.md §2.2 "when scaling in", §3.8).

use std::collections::BTreeMap;

use crate::placement::fixtures::{draining, node, roomy_nodes, task};
use crate::placement::*;

const SMALL: Resources = Resources::new(128, 128);

fn web_tasks(layout: &[(&str, usize)]) -> Vec<ExistingTask> {
    let mut tasks = Vec::new();
    for (instance, count) in layout {
        for n in 0..*count {
            tasks.push(task(
                &format!("{instance}/t{n}"),
                instance,
                "service:web",
                SMALL,
            ));
        }
    }
    tasks
}

fn zone_counts(snapshot: &Snapshot, stopped: &[String]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for t in snapshot.tasks_of_group("service:web") {
        if stopped.iter().any(|s| **s == *t.id) {
            continue;
        }
        let zone = snapshot
            .instance(&t.instance)
            .and_then(|i| i.attribute(labels::ATTR_AVAILABILITY_ZONE))
            .unwrap_or("-");
        *counts.entry(zone.to_string()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn default_stops_from_the_most_crowded_zone_then_instance() {
    // zone a: 4 tasks (3 on a-0), b: 2, c: 1.
    let snapshot = Snapshot::new(
        roomy_nodes(&["a", "b", "c"], 2),
        web_tasks(&[("a-0", 3), ("a-1", 1), ("b-0", 1), ("b-1", 1), ("c-0", 1)]),
    );
    let stopped = snapshot
        .select_tasks_to_stop(&ScaleInRequest::service("web", 3))
        .unwrap();
    assert_eq!(stopped.len(), 3);
    assert!(
        stopped[0].starts_with("a-0/"),
        "most crowded zone, then most crowded instance: {stopped:?}"
    );
    assert!(stopped[1].starts_with("a-0/"), "{stopped:?}");
    let left = zone_counts(&snapshot, &stopped);
    assert_eq!(left.values().copied().collect::<Vec<_>>(), vec![2, 1, 1]);
    // Asking for more than exist stops them all.
    let all = snapshot
        .select_tasks_to_stop(&ScaleInRequest::service("web", 100))
        .unwrap();
    assert_eq!(all.len(), 7);
}

#[test]
fn binpack_stops_where_the_most_resource_will_be_left() {
    let nodes = vec![
        node("packed", "a", 10_000, 100),
        node("sparse", "a", 10_000, 6_000),
    ];
    let tasks = vec![
        task("p1", "packed", "service:web", Resources::new(10, 500)),
        task("s1", "sparse", "service:web", Resources::new(10, 500)),
        task("s2", "sparse", "service:web", Resources::new(10, 1_000)),
    ];
    let snapshot = Snapshot::new(nodes, tasks);
    let request = ScaleInRequest::service("web", 2)
        .with_strategies([Strategy::Binpack(BinpackField::Memory)]);
    // sparse has 6000 MiB left: stopping s2 (1000) leaves 7000, then s1 leaves 7500.
    assert_eq!(
        snapshot.select_tasks_to_stop(&request).unwrap(),
        vec!["s2", "s1"]
    );
}

#[test]
fn candidates_limit_the_choice_but_balance_uses_every_task() {
    let snapshot = Snapshot::new(
        roomy_nodes(&["a", "b"], 1),
        web_tasks(&[("a-0", 3), ("b-0", 1)]),
    );
    let request =
        ScaleInRequest::service("web", 1).with_candidates(["b-0/t0", "a-0/t1", "unknown"]);
    assert_eq!(
        snapshot.select_tasks_to_stop(&request).unwrap(),
        vec!["a-0/t1"]
    );
    let request = ScaleInRequest::service("web", 5).with_candidates(["b-0/t0", "b-0/t0"]);
    assert_eq!(
        snapshot.select_tasks_to_stop(&request).unwrap(),
        vec!["b-0/t0"]
    );
}

#[test]
fn tasks_on_draining_or_unknown_instances_go_first() {
    let nodes = vec![
        node("ok", "a", 10_000, 10_000),
        draining(node("drain", "b", 10_000, 10_000)),
    ];
    let mut tasks = web_tasks(&[("ok", 3), ("drain", 1)]);
    tasks.push(task("ghost", "gone-node", "service:web", SMALL));
    let snapshot = Snapshot::new(nodes, tasks);
    let stopped = snapshot
        .select_tasks_to_stop(&ScaleInRequest::service("web", 3))
        .unwrap();
    assert_eq!(
        &stopped[..2],
        &["drain/t0".to_string(), "ghost".to_string()]
    );
    assert!(stopped[2].starts_with("ok/"));
}

#[test]
fn random_scale_in_is_seeded() {
    let snapshot = Snapshot::new(
        roomy_nodes(&["a"], 4),
        web_tasks(&[("a-0", 2), ("a-1", 2), ("a-2", 2), ("a-3", 2)]),
    );
    let request = |seed| ScaleInRequest::standalone("service:web", 3).with_seed(seed);
    let one = snapshot.select_tasks_to_stop(&request(1)).unwrap();
    assert_eq!(one, snapshot.select_tasks_to_stop(&request(1)).unwrap());
    let differs = (2..20).any(|seed| snapshot.select_tasks_to_stop(&request(seed)).unwrap() != one);
    assert!(differs);
    let too_many = ScaleInRequest::service("web", 1).with_strategies(vec![Strategy::Random; 6]);
    assert_eq!(
        snapshot.select_tasks_to_stop(&too_many).unwrap_err(),
        RequestError::TooManyStrategies(6)
    );
}
