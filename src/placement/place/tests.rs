//! Placement tests: filters, every constraint and strategy, chains, ports, failures. Every
//! decision is also checked against a brute-force scan (`oracle` in place.rs).

use std::collections::BTreeMap;

use crate::placement::fixtures::{disconnected, draining, node, per_instance, roomy_nodes, task};
use crate::placement::*;

const SMALL: Resources = Resources::new(128, 128);

fn zone_of(snapshot: &Snapshot, id: &str) -> String {
    snapshot
        .instance(id)
        .and_then(|i| i.attribute(labels::ATTR_AVAILABILITY_ZONE))
        .unwrap_or("-")
        .to_string()
}

fn per_zone(snapshot: &Snapshot, outcome: &PlacementOutcome) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for p in &outcome.placements {
        *counts.entry(zone_of(snapshot, &p.instance)).or_insert(0) += 1;
    }
    counts
}

fn place(snapshot: &Snapshot, request: &PlacementRequest) -> PlacementOutcome {
    snapshot.place(request).expect("valid request")
}

fn member_of(expression: &str) -> Constraint {
    Constraint::member_of(expression).expect("valid expression")
}

#[test]
fn default_service_strategy_spreads_zones_then_instances() {
    let snapshot = Snapshot::new(roomy_nodes(&["a", "b", "c"], 2), []);
    for seed in 0..20 {
        let outcome = place(
            &snapshot,
            &PlacementRequest::service("web")
                .with_count(6)
                .with_reservation(SMALL)
                .with_seed(seed),
        );
        assert!(outcome.is_complete());
        assert_eq!(
            per_zone(&snapshot, &outcome)
                .values()
                .copied()
                .collect::<Vec<_>>(),
            vec![2, 2, 2]
        );
        assert!(
            per_instance(&outcome).values().all(|&n| n == 1),
            "seed {seed}"
        );
    }
}

#[test]
fn spread_counts_only_the_same_group_and_existing_tasks() {
    let tasks = vec![
        task("w1", "a-0", "service:web", SMALL),
        task("w2", "a-1", "service:web", SMALL),
        task("o1", "b-0", "service:other", SMALL),
        task("o2", "b-1", "service:other", SMALL),
    ];
    let snapshot = Snapshot::new(roomy_nodes(&["a", "b", "c"], 2), tasks);
    let outcome = place(
        &snapshot,
        &PlacementRequest::service("web")
            .with_count(4)
            .with_reservation(SMALL),
    );
    // web already has 2 tasks in zone a: the next 4 go 2 to b and 2 to c.
    let zones = per_zone(&snapshot, &outcome);
    assert_eq!(zones.get("a"), None);
    assert_eq!(zones["b"], 2);
    assert_eq!(zones["c"], 2);
}

#[test]
fn spread_by_instance_balances_instances() {
    let tasks = vec![task("t", "a-0", "g", SMALL)];
    let snapshot = Snapshot::new(roomy_nodes(&["a"], 3), tasks);
    let outcome = place(
        &snapshot,
        &PlacementRequest::standalone("g")
            .with_count(5)
            .with_reservation(SMALL)
            .with_strategies([Strategy::spread_instance()]),
    );
    let counts = per_instance(&outcome);
    assert_eq!(counts.get("a-0"), Some(&1));
    assert_eq!(counts["a-1"], 2);
    assert_eq!(counts["a-2"], 2);
}

#[test]
fn host_is_an_alias_of_instance_id() {
    assert_eq!(
        Strategy::parse("spread", Some("host")),
        Ok(Strategy::spread_instance())
    );
}

#[test]
fn instances_without_the_spread_attribute_form_their_own_bucket() {
    let nodes = vec![
        node("a", "z1", 10_000, 10_000),
        ContainerInstance::new("bare-1", Resources::new(10_000, 10_000)),
        ContainerInstance::new("bare-2", Resources::new(10_000, 10_000)),
    ];
    let snapshot = Snapshot::new(nodes, []);
    let outcome = place(
        &snapshot,
        &PlacementRequest::service("web")
            .with_count(4)
            .with_reservation(SMALL),
    );
    let counts = per_instance(&outcome);
    assert_eq!(
        counts["a"], 2,
        "the z1 bucket and the no-zone bucket get two each"
    );
    assert_eq!(counts["bare-1"] + counts["bare-2"], 2);
}

#[test]
fn binpack_memory_fills_the_fullest_fitting_instance_first() {
    let nodes = vec![
        node("roomy", "a", 10_000, 8_000),
        node("tight", "a", 10_000, 1_000),
        node("middle", "a", 10_000, 3_000),
        node("too-small", "a", 10_000, 400),
    ];
    let snapshot = Snapshot::new(nodes, []);
    let request = PlacementRequest::standalone("g")
        .with_count(6)
        .with_reservation(Resources::new(10, 500))
        .with_strategies([Strategy::Binpack(BinpackField::Memory)]);
    let outcome = place(&snapshot, &request);
    let order: Vec<&str> = outcome.placements.iter().map(|p| &*p.instance).collect();
    assert_eq!(
        order,
        vec!["tight", "tight", "middle", "middle", "middle", "middle"]
    );
    // middle had 3000: after 4 tasks 1000 left; the 6th task went there with 1500 left, not roomy.
}

#[test]
fn binpack_cpu_uses_cpu() {
    let nodes = vec![
        node("more-cpu", "a", 4_000, 100),
        node("less-cpu", "a", 1_000, 10_000),
    ];
    let snapshot = Snapshot::new(nodes, []);
    let request = PlacementRequest::standalone("g")
        .with_reservation(Resources::new(100, 10))
        .with_strategies([Strategy::Binpack(BinpackField::Cpu)]);
    assert_eq!(
        &*place(&snapshot, &request).placements[0].instance,
        "less-cpu"
    );
}

#[test]
fn random_is_seeded_and_uniform_enough() {
    let snapshot = Snapshot::new(roomy_nodes(&["a"], 4), []);
    let request = |seed| {
        PlacementRequest::standalone("family:batch")
            .with_count(400)
            .with_reservation(SMALL)
            .with_seed(seed)
    };
    let one = place(&snapshot, &request(7));
    let again = place(&snapshot, &request(7));
    let other = place(&snapshot, &request(8));
    assert_eq!(one, again);
    assert_ne!(one, other);
    let counts = per_instance(&one);
    assert_eq!(counts.len(), 4);
    assert!(
        counts.values().all(|&n| (60..=140).contains(&n)),
        "{counts:?}"
    );
}

#[test]
fn chains_break_ties_in_order() {
    // spread(zone) then binpack(memory): zones balanced, tightest instance inside each zone.
    let nodes = vec![
        node("a-big", "a", 10_000, 9_000),
        node("a-small", "a", 10_000, 2_000),
        node("b-big", "b", 10_000, 9_000),
        node("b-small", "b", 10_000, 2_000),
    ];
    let snapshot = Snapshot::new(nodes.clone(), []);
    let request = PlacementRequest::service("web")
        .with_count(4)
        .with_reservation(Resources::new(10, 500))
        .with_strategies([
            Strategy::spread_zone(),
            Strategy::Binpack(BinpackField::Memory),
        ]);
    let counts = per_instance(&place(&snapshot, &request));
    assert_eq!(
        counts,
        BTreeMap::from([("a-small".into(), 2), ("b-small".into(), 2)])
    );

    // binpack(memory) then spread(zone): binpack decides, zones only break ties. The group
    // already has a task in zone a, so of the two equally tight instances b-small wins; then
    // binpack keeps filling it (least memory left) regardless of zones.
    let snapshot = Snapshot::new(nodes, [task("t", "a-big", "service:web", SMALL)]);
    let request = PlacementRequest::service("web")
        .with_count(3)
        .with_reservation(Resources::new(10, 500))
        .with_strategies([
            Strategy::Binpack(BinpackField::Memory),
            Strategy::spread_zone(),
        ]);
    let order: Vec<String> = place(&snapshot, &request)
        .placements
        .iter()
        .map(|p| p.instance.to_string())
        .collect();
    assert_eq!(order, vec!["b-small", "b-small", "b-small"]);

    // spread(instanceId) then binpack(cpu): fewest tasks first, then least cpu.
    let nodes = vec![node("x", "a", 500, 10_000), node("y", "a", 900, 10_000)];
    let snapshot = Snapshot::new(nodes, [task("t", "x", "g", SMALL)]);
    let request = PlacementRequest::standalone("g")
        .with_count(2)
        .with_reservation(Resources::new(100, 10))
        .with_strategies([
            Strategy::spread_instance(),
            Strategy::Binpack(BinpackField::Cpu),
        ]);
    let order: Vec<String> = place(&snapshot, &request)
        .placements
        .iter()
        .map(|p| p.instance.to_string())
        .collect();
    assert_eq!(
        order,
        vec!["y", "x"],
        "y has no task; then both have one and x has less cpu"
    );
}

#[test]
fn random_in_a_chain_only_breaks_ties_of_earlier_strategies() {
    let snapshot = Snapshot::new(roomy_nodes(&["a", "b", "c"], 3), []);
    let request = PlacementRequest::service("web")
        .with_count(9)
        .with_reservation(SMALL)
        .with_strategies([
            Strategy::spread_zone(),
            Strategy::Random,
            Strategy::Binpack(BinpackField::Memory),
        ]);
    let outcome = place(&snapshot, &request);
    assert_eq!(
        per_zone(&snapshot, &outcome)
            .values()
            .copied()
            .collect::<Vec<_>>(),
        vec![3, 3, 3]
    );
}

#[test]
fn draining_and_disconnected_instances_are_never_chosen() {
    let nodes = vec![
        draining(node("drain", "a", 100_000, 100_000)),
        disconnected(node("lost", "b", 100_000, 100_000)),
        node("ok", "c", 100_000, 100_000),
    ];
    let snapshot = Snapshot::new(nodes, []);
    let outcome = place(
        &snapshot,
        &PlacementRequest::service("web")
            .with_count(10)
            .with_reservation(SMALL),
    );
    assert!(outcome.placements.iter().all(|p| &*p.instance == "ok"));

    let snapshot = Snapshot::new(vec![disconnected(node("lost", "b", 100_000, 100_000))], []);
    let failure = place(&snapshot, &PlacementRequest::service("web"))
        .failure
        .unwrap();
    assert_eq!(failure.rejections[0].reason, FailureReason::Agent);
    assert!(
        failure
            .message()
            .ends_with("container-instance lost encountered error \"AGENT\".")
    );

    let snapshot = Snapshot::new(vec![draining(node("drain", "a", 100_000, 100_000))], []);
    let failure = place(&snapshot, &PlacementRequest::service("web"))
        .failure
        .unwrap();
    assert!(failure.rejections.is_empty());
    assert!(
        failure
            .message()
            .ends_with("Reason: No Container Instances were found in your cluster.")
    );
}

#[test]
fn distinct_instance_puts_each_task_of_the_group_on_its_own_instance() {
    let snapshot = Snapshot::new(
        roomy_nodes(&["a", "b"], 2),
        [
            task("t", "a-0", "service:web", SMALL),
            task("o", "a-1", "service:other", SMALL),
        ],
    );
    let request = PlacementRequest::service("web")
        .with_count(4)
        .with_reservation(SMALL)
        .with_constraints([Constraint::DistinctInstance]);
    let outcome = place(&snapshot, &request);
    assert_eq!(outcome.placements.len(), 3);
    assert!(per_instance(&outcome).values().all(|&n| n == 1));
    assert!(!outcome.placements.iter().any(|p| &*p.instance == "a-0"));
    let failure = outcome.failure.unwrap();
    assert_eq!(failure.unplaced, 1);
    assert!(
        failure
            .rejections
            .iter()
            .all(|r| r.reason == FailureReason::DistinctInstance)
    );
    assert!(
        failure
            .message()
            .contains("DistinctInstance placement constraint unsatisfied")
    );
}

#[test]
fn member_of_filters_by_expression() {
    let nodes = vec![
        node("t2", "us-east-1a", 10_000, 10_000).with_attribute("ecs.instance-type", "t2.small"),
        node("m5", "us-east-1a", 10_000, 10_000).with_attribute("ecs.instance-type", "m5.large"),
        node("t2d", "us-east-1d", 10_000, 10_000).with_attribute("ecs.instance-type", "t2.micro"),
    ];
    let snapshot = Snapshot::new(nodes, []);
    let cases = [
        ("attribute:ecs.instance-type =~ t2.*", vec!["t2", "t2d"]),
        (
            "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d",
            vec!["t2"],
        ),
        (
            "attribute:ecs.instance-type in [m5.large, t2.micro]",
            vec!["m5", "t2d"],
        ),
        (
            "not(attribute:ecs.instance-type == m5.large)",
            vec!["t2", "t2d"],
        ),
        ("ec2InstanceId == m5", vec!["m5"]),
    ];
    for (expression, allowed) in cases {
        let request = PlacementRequest::service("web")
            .with_count(12)
            .with_reservation(SMALL)
            .with_constraints([member_of(expression)]);
        let outcome = place(&snapshot, &request);
        assert_eq!(outcome.placements.len(), 12, "{expression}");
        let used: Vec<String> = per_instance(&outcome).into_keys().collect();
        assert_eq!(used, allowed, "{expression}");
    }
    let request = PlacementRequest::service("web")
        .with_constraints([member_of("attribute:ecs.instance-type == c5.xlarge")]);
    let failure = place(&snapshot, &request).failure.unwrap();
    assert!(
        failure
            .rejections
            .iter()
            .all(|r| r.reason == FailureReason::MemberOf)
    );
    assert!(
        failure
            .message()
            .contains("encountered error \"MemberOf placement constraint unsatisfied\"")
    );
}

#[test]
fn member_of_on_task_state_is_re_evaluated_as_tasks_land() {
    // runningTasksCount counts every task on the instance, including this batch's.
    let snapshot = Snapshot::new(
        roomy_nodes(&["a"], 2),
        [task("x", "a-0", "service:other", SMALL)],
    );
    let request = PlacementRequest::service("web")
        .with_count(10)
        .with_reservation(SMALL)
        .with_constraints([member_of("runningTasksCount < 3")]);
    let outcome = place(&snapshot, &request);
    assert_eq!(
        per_instance(&outcome),
        BTreeMap::from([("a-0".into(), 2), ("a-1".into(), 3)])
    );
    assert_eq!(outcome.failure.unwrap().unplaced, 5);

    // Anti-affinity with the own group behaves like distinctInstance.
    let request = PlacementRequest::service("web")
        .with_count(3)
        .with_reservation(SMALL)
        .with_constraints([member_of("not(task:group == service:web)")]);
    let outcome = place(&snapshot, &request);
    assert_eq!(outcome.placements.len(), 2);

    // Affinity: only next to a database task.
    let snapshot = Snapshot::new(
        roomy_nodes(&["a"], 3),
        [task("db", "a-2", "service:db", SMALL)],
    );
    let request = PlacementRequest::service("web")
        .with_count(3)
        .with_reservation(SMALL)
        .with_constraints([member_of("task:group == service:db")]);
    let outcome = place(&snapshot, &request);
    assert!(outcome.is_complete());
    assert!(outcome.placements.iter().all(|p| &*p.instance == "a-2"));
}

#[test]
fn resources_are_never_overcommitted_and_reasons_name_the_resource() {
    let nodes = vec![node("n1", "a", 1024, 1000), node("n2", "b", 300, 4000)];
    let snapshot = Snapshot::new(nodes, []);
    let request = PlacementRequest::service("web")
        .with_count(5)
        .with_reservation(Resources::new(256, 400));
    let outcome = place(&snapshot, &request);
    let counts = per_instance(&outcome);
    assert_eq!(counts["n1"], 2, "memory 1000 holds two 400 MiB tasks");
    assert_eq!(counts["n2"], 1, "300 cpu units hold one 256-unit task");
    let failure = outcome.failure.unwrap();
    assert_eq!(failure.unplaced, 2);
    let reasons: Vec<(String, FailureReason)> = failure
        .rejections
        .iter()
        .map(|r| (r.instance.to_string(), r.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("n1".into(), FailureReason::ResourceMemory),
            ("n2".into(), FailureReason::ResourceCpu)
        ]
    );
    assert_eq!(
        failure.rejections[0].detail,
        "needs 400 MiB of memory, 200 MiB remaining"
    );
    assert_eq!(
        failure.service_event("web"),
        "service web was unable to place a task because no container instance met all of its \
         requirements. The closest matching container-instance n1 has insufficient memory available."
    );
}

#[test]
fn closest_match_prefers_an_instance_that_only_lacks_capacity() {
    let nodes = vec![
        node("wrong-type", "a", 10_000, 10_000).with_attribute("ecs.instance-type", "t2.small"),
        node("full", "a", 10_000, 100).with_attribute("ecs.instance-type", "m5.large"),
    ];
    let snapshot = Snapshot::new(nodes, []);
    let request = PlacementRequest::service("web")
        .with_reservation(Resources::new(10, 512))
        .with_constraints([member_of("attribute:ecs.instance-type == m5.large")]);
    let failure = place(&snapshot, &request).failure.unwrap();
    assert_eq!(&*failure.closest.unwrap().instance, "full");
}

#[test]
fn required_attributes_filter_with_attribute_reason() {
    let nodes = vec![
        node("plain", "a", 10_000, 10_000),
        node("capable", "a", 10_000, 10_000).with_attribute("ecs.capability.task-eni", "true"),
    ];
    let snapshot = Snapshot::new(nodes, []);
    let request = PlacementRequest::service("web")
        .with_count(3)
        .with_required_attribute(RequiredAttribute::named("ecs.capability.task-eni"));
    let outcome = place(&snapshot, &request);
    assert!(outcome.placements.iter().all(|p| &*p.instance == "capable"));
    let snapshot = Snapshot::new(vec![node("plain", "a", 10_000, 10_000)], []);
    let failure = place(&snapshot, &request).failure.unwrap();
    assert_eq!(failure.rejections[0].reason, FailureReason::Attribute);
    assert_eq!(
        failure.rejections[0].detail,
        "missing attribute ecs.capability.task-eni"
    );
}

#[test]
fn static_host_ports_need_a_free_port_per_instance() {
    let mut busy = node("busy", "a", 10_000, 10_000);
    busy.ports_in_use.insert(HostPort::tcp(80));
    let nodes = vec![
        busy,
        node("free-1", "b", 10_000, 10_000),
        node("free-2", "c", 10_000, 10_000),
    ];
    let snapshot = Snapshot::new(nodes, []);
    let request = PlacementRequest::service("web").with_count(3).with_ports([
        PortRequest::fixed(HostPort::tcp(80)),
        PortRequest::fixed(HostPort::udp(80)),
    ]);
    let outcome = place(&snapshot, &request);
    assert_eq!(
        outcome.placements.len(),
        2,
        "two tasks with hostPort 80 need two instances"
    );
    assert!(
        outcome
            .placements
            .iter()
            .all(|p| p.host_ports == vec![HostPort::tcp(80), HostPort::udp(80)])
    );
    let failure = outcome.failure.unwrap();
    assert!(
        failure
            .rejections
            .iter()
            .all(|r| r.reason == FailureReason::ResourcePorts)
    );
    assert!(
        failure
            .message()
            .ends_with("is already using a port required by your task.")
    );
}

#[test]
fn dynamic_host_ports_come_from_the_ephemeral_range_without_conflicts() {
    let mut n = node("n", "a", 100_000, 100_000);
    n.ports_in_use.insert(HostPort::tcp(49153));
    n.ports_in_use.insert(HostPort::tcp(49155));
    let snapshot = Snapshot::new(vec![n], []);
    let request = PlacementRequest::standalone("g")
        .with_count(3)
        .with_reservation(SMALL)
        .with_ports([
            PortRequest::dynamic(Protocol::Tcp),
            PortRequest::fixed(HostPort::tcp(49154)),
            PortRequest::dynamic(Protocol::Udp),
        ]);
    let outcome = place(&snapshot, &request);
    // Task 1 takes the fixed 49154, so its dynamic tcp port is 49156; tasks 2 and 3 cannot
    // have 49154 again.
    assert_eq!(outcome.placements.len(), 1);
    assert_eq!(
        outcome.placements[0].host_ports,
        vec![
            HostPort::tcp(49156),
            HostPort::tcp(49154),
            HostPort::udp(49153)
        ]
    );
    let request = PlacementRequest::standalone("g")
        .with_count(3)
        .with_reservation(SMALL)
        .with_ports([
            PortRequest::dynamic(Protocol::Tcp),
            PortRequest::dynamic(Protocol::Tcp),
        ]);
    let outcome = place(&snapshot, &request);
    let ports: Vec<u16> = outcome
        .placements
        .iter()
        .flat_map(|p| p.host_ports.iter().map(|h| h.port))
        .collect();
    assert_eq!(ports, vec![49154, 49156, 49157, 49158, 49159, 49160]);
}

#[test]
fn exhausted_ephemeral_range_is_a_ports_failure() {
    let mut n = node("n", "a", 100_000, 100_000);
    for port in EPHEMERAL_PORT_FIRST..EPHEMERAL_PORT_LAST {
        n.ports_in_use.insert(HostPort::tcp(port));
    }
    let snapshot = Snapshot::new(vec![n], []);
    let request = PlacementRequest::standalone("g")
        .with_count(2)
        .with_ports([PortRequest::dynamic(Protocol::Tcp)]);
    let outcome = place(&snapshot, &request);
    assert_eq!(
        outcome.placements[0].host_ports,
        vec![HostPort::tcp(EPHEMERAL_PORT_LAST)]
    );
    assert_eq!(
        outcome.failure.unwrap().rejections[0].reason,
        FailureReason::ResourcePorts
    );
}

#[test]
fn invalid_requests_are_refused() {
    let snapshot = Snapshot::new(roomy_nodes(&["a"], 1), []);
    let too_many = PlacementRequest::service("web").with_strategies(vec![Strategy::Random; 6]);
    assert_eq!(
        snapshot.place(&too_many).unwrap_err(),
        RequestError::TooManyStrategies(6)
    );
    let constraints =
        PlacementRequest::service("web").with_constraints(vec![Constraint::DistinctInstance; 11]);
    assert_eq!(
        snapshot.place(&constraints).unwrap_err(),
        RequestError::TooManyConstraints(11)
    );
    let twice = PlacementRequest::service("web").with_ports([
        PortRequest::fixed(HostPort::tcp(80)),
        PortRequest::fixed(HostPort::tcp(80)),
    ]);
    assert_eq!(
        snapshot.place(&twice).unwrap_err(),
        RequestError::DuplicateHostPort(HostPort::tcp(80))
    );
    let none = place(&snapshot, &PlacementRequest::service("web").with_count(0));
    assert!(none.placements.is_empty() && none.is_complete());
}

#[test]
fn placing_one_at_a_time_matches_placing_all_at_once() {
    let mut snapshot = Snapshot::new(roomy_nodes(&["a", "b", "c"], 3), []);
    let batch = PlacementRequest::service("web")
        .with_count(12)
        .with_reservation(SMALL)
        .with_seed(3);
    let at_once = place(&snapshot, &batch);
    let single = batch.clone().with_count(1);
    for n in 0..12 {
        let outcome = place(&snapshot, &single.clone().with_seed(n));
        snapshot.record_placement(&single, &outcome.placements[0], format!("t{n}"));
    }
    let mut one_by_one: BTreeMap<String, usize> = BTreeMap::new();
    for t in snapshot.tasks() {
        *one_by_one
            .entry(zone_of(&snapshot, &t.instance))
            .or_insert(0) += 1;
    }
    assert_eq!(one_by_one, per_zone(&snapshot, &at_once));
    assert!(
        snapshot
            .instances()
            .all(|i| snapshot.running_tasks_count(&i.id).unwrap() <= 2)
    );
}

#[test]
fn snapshot_bookkeeping_adds_and_removes_tasks() {
    let mut snapshot = Snapshot::new(vec![node("n", "a", 1000, 1000)], []);
    let mut t = task("t1", "n", "g", Resources::new(100, 200));
    t.host_ports = vec![HostPort::tcp(8080)];
    assert!(snapshot.add_task(t.clone()));
    assert!(!snapshot.add_task(t), "ids are unique");
    assert_eq!(
        snapshot.instance("n").unwrap().remaining,
        Resources::new(900, 800)
    );
    assert_eq!(snapshot.ports_in_use("n"), Some(vec![HostPort::tcp(8080)]));
    let expr = Expression::parse("task:group == g and runningTasksCount == 1").unwrap();
    assert_eq!(snapshot.matches("n", &expr), Some(true));
    assert_eq!(
        snapshot.filter_instances(&expr).collect::<Vec<_>>(),
        vec!["n"]
    );
    assert!(snapshot.remove_task("t1").is_some());
    assert!(snapshot.remove_task("t1").is_none());
    assert_eq!(
        snapshot.instance("n").unwrap().remaining,
        Resources::new(1000, 1000)
    );
    assert_eq!(snapshot.ports_in_use("n"), Some(vec![]));
    assert_eq!(snapshot.matches("n", &expr), Some(false));
    assert_eq!(snapshot.tasks_of_group("g").count(), 0);
}

#[test]
fn spread_on_a_per_instance_attribute_behaves_like_instance_spread() {
    let nodes: Vec<ContainerInstance> = (0..4)
        .map(|i| {
            node(&format!("n{i}"), "a", 10_000, 10_000).with_attribute("hostname", format!("n{i}"))
        })
        .collect();
    let snapshot = Snapshot::new(nodes, []);
    let request = PlacementRequest::standalone("g")
        .with_count(8)
        .with_reservation(SMALL)
        .with_strategies([Strategy::spread_attribute("hostname")]);
    assert!(
        per_instance(&place(&snapshot, &request))
            .values()
            .all(|&n| n == 2)
    );
}

mod differential {
    //! Random clusters and strategy chains through `place`, whose every decision the
    //! brute-force oracle (place.rs) re-checks: eligible, and no eligible instance ranks better.

    use proptest::prelude::{
        Just, ProptestConfig, any, prop, prop_assert_eq, prop_oneof, proptest,
    };

    use crate::placement::fixtures::{node, task};
    use crate::placement::*;

    fn strategy() -> impl proptest::strategy::Strategy<Value = Strategy> {
        prop_oneof![
            Just(Strategy::spread_zone()),
            Just(Strategy::spread_instance()),
            Just(Strategy::spread_attribute("rack")),
            Just(Strategy::Binpack(BinpackField::Cpu)),
            Just(Strategy::Binpack(BinpackField::Memory)),
            Just(Strategy::Random),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn indexed_choice_matches_brute_force(
            shapes in proptest::collection::vec((0usize..3, 0usize..4, 0u64..2000, 0u64..2000, 0u8..8), 1..30),
            existing in proptest::collection::vec((0usize..30, prop::bool::ANY), 0..30),
            strategies in proptest::collection::vec(strategy(), 0..5),
            (count, cpu, memory, seed, distinct, service) in (0u32..60, 0u64..300, 0u64..300, any::<u64>(), prop::bool::ANY, prop::bool::ANY),
        ) {
            let instances: Vec<ContainerInstance> = shapes
                .iter()
                .enumerate()
                .map(|(i, &(zone, rack, c, m, flags))| {
                    let mut n = node(&format!("n{i}"), ["a", "b", "c"][zone], c, m);
                    if rack < 3 {
                        n = n.with_attribute("rack", format!("r{rack}"));
                    }
                    n.agent_connected = flags != 0;
                    if flags == 1 {
                        n.status = InstanceStatus::Draining;
                    }
                    n
                })
                .collect();
            let tasks = existing.iter().enumerate().map(|(k, &(at, web))| {
                task(&format!("t{k}"), &format!("n{at}"), if web { "service:web" } else { "service:db" }, Resources::new(1, 1))
            });
            let snapshot = Snapshot::new(instances, tasks);
            let mut request = if service { PlacementRequest::service("web") } else { PlacementRequest::standalone("service:web") };
            request = request
                .with_count(count)
                .with_reservation(Resources::new(cpu, memory))
                .with_strategies(strategies)
                .with_seed(seed);
            if distinct {
                request = request.with_constraints([Constraint::DistinctInstance]);
            }
            let outcome = snapshot.place(&request).unwrap();
            prop_assert_eq!(outcome.placements.len() as u32 + outcome.failure.map_or(0, |f| f.unplaced), count);
        }
    }
}
