//! DAEMON planning tests (ecs-semantics.md §3.1, §6.2).

use crate::placement::fixtures::{disconnected, draining, node, task};
use crate::placement::*;

const SMALL: Resources = Resources::new(128, 128);

#[test]
fn one_task_per_qualifying_instance() {
    let nodes = vec![
        node("new", "a", 10_000, 10_000).with_attribute("role", "worker"),
        node("has-one", "a", 10_000, 10_000).with_attribute("role", "worker"),
        node("full", "b", 10_000, 64).with_attribute("role", "worker"),
        node("other-role", "b", 10_000, 10_000).with_attribute("role", "db"),
        draining(node("drain", "c", 10_000, 10_000).with_attribute("role", "worker")),
        disconnected(node("lost", "c", 10_000, 10_000).with_attribute("role", "worker")),
        node("left-role", "c", 10_000, 10_000).with_attribute("role", "db"),
    ];
    let tasks = vec![
        task("d1", "has-one", "service:agent", SMALL),
        task("d2", "drain", "service:agent", SMALL),
        task("d3", "left-role", "service:agent", SMALL),
        task("x", "new", "service:web", SMALL),
    ];
    let snapshot = Snapshot::new(nodes, tasks);
    let request = PlacementRequest::service("agent")
        .with_reservation(SMALL)
        .with_ports([PortRequest::dynamic(Protocol::Tcp)])
        .with_constraints([
            Constraint::member_of("attribute:role == worker").unwrap(),
            Constraint::DistinctInstance,
        ]);
    let plan = snapshot.plan_daemon(&request).unwrap();
    let started: Vec<&str> = plan.start.iter().map(|p| &*p.instance).collect();
    assert_eq!(started, vec!["new"]);
    assert_eq!(
        plan.start[0].host_ports,
        vec![HostPort::tcp(EPHEMERAL_PORT_FIRST)]
    );
    assert_eq!(
        plan.running.iter().map(|r| &**r).collect::<Vec<_>>(),
        vec!["has-one"]
    );
    let blocked: Vec<(&str, FailureReason)> = plan
        .blocked
        .iter()
        .map(|b| (&*b.instance, b.reason))
        .collect();
    assert_eq!(
        blocked,
        vec![
            ("full", FailureReason::ResourceMemory),
            ("lost", FailureReason::Agent)
        ]
    );
    assert_eq!(plan.stop, vec!["d2".to_string(), "d3".to_string()]);
}
