//! Property tests of the placement engine (issue 3): on random clusters and requests the
//! engine never over-commits cpu, memory or ports, never breaks a constraint, keeps zone
//! spread within one task, is deterministic per seed, and placing tasks one call at a time is
//! as good as placing them in one batch.

use std::collections::{BTreeMap, HashSet};

use ecs_operator::placement::{
    BinpackField, Constraint, ContainerInstance, EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST,
    ExistingTask, Expression, HostPort, InstanceStatus, PlacementOutcome, PlacementRequest,
    PortRequest, Protocol, RequiredAttribute, Resources, ScaleInRequest, Snapshot,
    Strategy as PlacementStrategy, labels,
};
use proptest::prelude::*;

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];
const TYPES: [&str; 3] = ["t2.small", "m5.large", "c5.xlarge"];
const GROUPS: [&str; 3] = ["service:web", "service:db", "family:batch"];
const STATIC_PORTS: [u16; 4] = [80, 443, 8080, 49154];

/// Expressions covering static subjects and the task-dependent ones.
const EXPRESSIONS: [&str; 8] = [
    "attribute:ecs.instance-type =~ t2.* or attribute:ecs.instance-type == m5.large",
    "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
    "attribute:stack != prod",
    "not(attribute:stack exists)",
    "runningTasksCount < 4",
    "not(task:group == service:db)",
    "task:group == service:web or runningTasksCount == 0",
    "agentVersion >= 1.20.0 and registeredAt < 2030-01-01",
];

fn instance_strategy() -> impl Strategy<Value = ContainerInstance> {
    (
        (0usize..4, 0usize..3, 0usize..3),
        (0u64..4096, 0u64..8192),
        (0u8..10, 0u8..10),
        proptest::collection::vec(0usize..STATIC_PORTS.len(), 0..3),
        (prop::bool::ANY, 15u64..30),
    )
        .prop_map(
            |((zone, kind, stack), (cpu, memory), (status, agent), ports, (udp, version))| {
                let mut i = ContainerInstance::new("", Resources::new(4096, 8192));
                i.remaining = Resources::new(cpu, memory);
                if zone < 3 {
                    i.attributes
                        .insert(labels::ATTR_AVAILABILITY_ZONE.into(), ZONES[zone].into());
                }
                i.attributes
                    .insert(labels::ATTR_INSTANCE_TYPE.into(), TYPES[kind].into());
                if stack < 2 {
                    i.attributes
                        .insert("stack".into(), ["prod", "dev"][stack].into());
                }
                if status == 0 {
                    i.status = InstanceStatus::Draining;
                }
                i.agent_connected = agent != 0;
                i.agent_version = Some(format!("1.{version}.0"));
                i.registered_at = Some(1_600_000_000);
                for p in ports {
                    let port = STATIC_PORTS[p];
                    i.ports_in_use.insert(if udp {
                        HostPort::udp(port)
                    } else {
                        HostPort::tcp(port)
                    });
                }
                i
            },
        )
}

fn cluster_strategy(
    max_instances: usize,
) -> impl Strategy<Value = (Vec<ContainerInstance>, Vec<ExistingTask>)> {
    proptest::collection::vec(instance_strategy(), 1..max_instances).prop_flat_map(
        |mut instances| {
            for (n, i) in instances.iter_mut().enumerate() {
                i.id = format!("node-{n:02}");
            }
            let count = instances.len();
            let tasks = proptest::collection::vec((0..count + 1, 0usize..GROUPS.len()), 0..20)
                .prop_map(move |picks| {
                    picks
                        .into_iter()
                        .enumerate()
                        .map(|(n, (at, group))| ExistingTask {
                            id: format!("task-{n}").into(),
                            // `count` itself points at a node missing from the snapshot.
                            instance: format!("node-{at:02}").into(),
                            group: GROUPS[group].into(),
                            family: None,
                            reservation: Resources::new(64, 64),
                            host_ports: Vec::new(),
                        })
                        .collect::<Vec<_>>()
                });
            (Just(instances), tasks)
        },
    )
}

fn strategy_choice() -> impl Strategy<Value = PlacementStrategy> {
    prop_oneof![
        Just(PlacementStrategy::spread_zone()),
        Just(PlacementStrategy::spread_instance()),
        Just(PlacementStrategy::spread_attribute("stack")),
        Just(PlacementStrategy::Binpack(BinpackField::Cpu)),
        Just(PlacementStrategy::Binpack(BinpackField::Memory)),
        Just(PlacementStrategy::Random),
    ]
}

fn request_strategy() -> impl Strategy<Value = PlacementRequest> {
    (
        (
            0usize..GROUPS.len(),
            0u32..40,
            prop::bool::ANY,
            any::<u64>(),
        ),
        (0u64..1024, 0u64..2048),
        proptest::collection::vec(0usize..6, 0..3),
        (
            prop::bool::ANY,
            proptest::collection::vec(0usize..EXPRESSIONS.len(), 0..3),
            0u8..4,
        ),
        proptest::collection::vec(strategy_choice(), 0..4),
    )
        .prop_map(
            |(
                (group, count, service, seed),
                (cpu, memory),
                ports,
                (distinct, exprs, required),
                strategies,
            )| {
                let mut request = if service {
                    PlacementRequest::service(
                        &GROUPS[group]["service:".len().min(GROUPS[group].len())..],
                    )
                } else {
                    PlacementRequest::standalone(GROUPS[group])
                };
                request.group = GROUPS[group].into();
                request.count = count;
                request.reservation = Resources::new(cpu, memory);
                request.seed = seed;
                let mut seen = HashSet::new();
                for p in ports {
                    let port = match p {
                        0 => PortRequest::fixed(HostPort::tcp(80)),
                        1 => PortRequest::fixed(HostPort::udp(8080)),
                        2 => PortRequest::fixed(HostPort::tcp(49154)),
                        3 | 4 => PortRequest::dynamic(Protocol::Tcp),
                        _ => PortRequest::dynamic(Protocol::Udp),
                    };
                    if port.is_dynamic() || seen.insert(port) {
                        request.ports.push(port);
                    }
                }
                if distinct {
                    request.constraints.push(Constraint::DistinctInstance);
                }
                for e in exprs {
                    request
                        .constraints
                        .push(Constraint::member_of(EXPRESSIONS[e]).expect("valid expression"));
                }
                if required == 0 {
                    request
                        .required_attributes
                        .push(RequiredAttribute::named("stack"));
                }
                request.strategies = strategies;
                request
            },
        )
}

/// Replays the placements on a copy of the snapshot and checks every hard rule at the moment
/// each task was placed. Returns a message on the first violation.
fn check_valid(
    snapshot: &Snapshot,
    request: &PlacementRequest,
    outcome: &PlacementOutcome,
) -> Result<(), String> {
    let placed = outcome.placements.len() as u32;
    match &outcome.failure {
        None if placed != request.count => {
            return Err(format!(
                "placed {placed} of {} without a failure",
                request.count
            ));
        }
        Some(f) if f.unplaced + placed != request.count => {
            return Err("unplaced + placed != count".into());
        }
        Some(f)
            if f.rejections.is_empty()
                && snapshot
                    .instances()
                    .any(|i| i.status == InstanceStatus::Active) =>
        {
            return Err("failure without rejections".into());
        }
        _ => {}
    }
    let mut state = snapshot.clone();
    for (n, p) in outcome.placements.iter().enumerate() {
        let instance = state
            .instance(&p.instance)
            .ok_or("placed on an unknown instance")?
            .clone();
        if !instance.accepts_new_tasks() {
            return Err(format!(
                "placed on {} which is {:?}/connected={}",
                instance.id, instance.status, instance.agent_connected
            ));
        }
        if !instance.remaining.fits(&request.reservation) {
            return Err(format!(
                "over-committed {}: {:?} left, {:?} needed",
                instance.id, instance.remaining, request.reservation
            ));
        }
        if p.host_ports.len() != request.ports.len() {
            return Err("one host port per requested port".into());
        }
        let mut own = HashSet::new();
        for (asked, got) in request.ports.iter().zip(&p.host_ports) {
            if got.protocol != asked.protocol || (!asked.is_dynamic() && got.port != asked.port) {
                return Err(format!("port {got:?} does not answer {asked:?}"));
            }
            if asked.is_dynamic()
                && !(EPHEMERAL_PORT_FIRST..=EPHEMERAL_PORT_LAST).contains(&got.port)
            {
                return Err(format!(
                    "dynamic port {} outside the ephemeral range",
                    got.port
                ));
            }
            if instance.ports_in_use.contains(*got) || !own.insert(*got) {
                return Err(format!("port {got:?} already taken on {}", instance.id));
            }
        }
        for required in &request.required_attributes {
            if instance.attribute(&required.name).is_none() {
                return Err(format!(
                    "{} lacks required attribute {}",
                    instance.id, required.name
                ));
            }
        }
        for c in &request.constraints {
            match c {
                Constraint::DistinctInstance => {
                    if state
                        .tasks_of_group(&request.group)
                        .any(|t| *t.instance == *instance.id)
                    {
                        return Err(format!("distinctInstance broken on {}", instance.id));
                    }
                }
                Constraint::MemberOf(e) => {
                    if state.matches(&instance.id, e) != Some(true) {
                        return Err(format!("memberOf({e}) broken on {}", instance.id));
                    }
                }
            }
        }
        state.record_placement(request, p, format!("placed-{n}"));
    }
    Ok(())
}

fn zone_counts(snapshot: &Snapshot, group: &str) -> BTreeMap<String, i64> {
    let mut counts: BTreeMap<String, i64> = ZONES.iter().map(|z| (z.to_string(), 0)).collect();
    for t in snapshot.tasks_of_group(group) {
        if let Some(zone) = snapshot
            .instance(&t.instance)
            .and_then(|i| i.attribute(labels::ATTR_AVAILABILITY_ZONE))
        {
            *counts.entry(zone.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

fn skew(counts: &BTreeMap<String, i64>) -> i64 {
    counts.values().max().unwrap_or(&0) - counts.values().min().unwrap_or(&0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn placements_respect_resources_ports_and_constraints(
        (instances, tasks) in cluster_strategy(24),
        request in request_strategy(),
    ) {
        let snapshot = Snapshot::new(instances, tasks);
        let outcome = snapshot.place(&request).expect("generated requests are valid");
        if let Err(violation) = check_valid(&snapshot, &request, &outcome) {
            prop_assert!(false, "{}", violation);
        }
    }

    #[test]
    fn decisions_are_deterministic_for_a_seed(
        (instances, tasks) in cluster_strategy(16),
        request in request_strategy(),
    ) {
        let snapshot = Snapshot::new(instances, tasks);
        prop_assert_eq!(snapshot.place(&request).unwrap(), snapshot.place(&request).unwrap());
    }

    #[test]
    fn one_at_a_time_is_as_valid_as_all_at_once(
        (instances, tasks) in cluster_strategy(16),
        request in request_strategy(),
    ) {
        let snapshot = Snapshot::new(instances, tasks);
        let at_once = snapshot.place(&request).unwrap();
        prop_assert!(check_valid(&snapshot, &request, &at_once).is_ok());

        let mut state = snapshot.clone();
        let single = PlacementRequest { count: 1, ..request.clone() };
        let mut placed = 0u32;
        for n in 0..request.count {
            let outcome = state.place(&PlacementRequest { seed: request.seed.wrapping_add(u64::from(n)), ..single.clone() }).unwrap();
            if let Err(violation) = check_valid(&state, &single, &outcome) {
                prop_assert!(false, "step {}: {}", n, violation);
            }
            let Some(p) = outcome.placements.first() else { break };
            state.record_placement(&single, p, format!("single-{n}"));
            placed += 1;
        }
        // Every task is identical and each instance's eligibility depends on that instance
        // only, so the number placed does not depend on the order.
        prop_assert_eq!(placed, at_once.placements.len() as u32);
    }

    #[test]
    fn spread_by_zone_keeps_skew_within_one(
        per_zone in proptest::collection::vec(1usize..5, 3),
        existing in proptest::collection::vec(0usize..3, 0..12),
        count in 0u32..60,
        tie_breaker in proptest::option::of(strategy_choice()),
        seed in any::<u64>(),
    ) {
        let mut instances = Vec::new();
        for (z, n) in per_zone.iter().enumerate() {
            for k in 0..*n {
                instances.push(
                    ContainerInstance::new(format!("{}-{k}", ZONES[z]), Resources::new(1 << 20, 1 << 20))
                        .with_attribute(labels::ATTR_AVAILABILITY_ZONE, ZONES[z]),
                );
            }
        }
        let tasks: Vec<ExistingTask> = existing
            .iter()
            .enumerate()
            .map(|(n, z)| ExistingTask {
                id: format!("t{n}").into(),
                instance: format!("{}-0", ZONES[*z]).into(),
                group: "service:web".into(),
                ..ExistingTask::default()
            })
            .collect();
        let mut snapshot = Snapshot::new(instances, tasks);
        let before = skew(&zone_counts(&snapshot, "service:web"));
        let mut strategies = vec![PlacementStrategy::spread_zone()];
        strategies.extend(tie_breaker);
        let request = PlacementRequest::service("web")
            .with_count(count)
            .with_reservation(Resources::new(1, 1))
            .with_strategies(strategies)
            .with_seed(seed);
        let outcome = snapshot.place(&request).unwrap();
        prop_assert!(outcome.is_complete());
        for (n, p) in outcome.placements.iter().enumerate() {
            snapshot.record_placement(&request, p, format!("new-{n}"));
        }
        let after = skew(&zone_counts(&snapshot, "service:web"));
        prop_assert!(after <= before.max(1), "skew {} -> {}", before, after);
        if before <= 1 {
            prop_assert!(after <= 1);
        }
    }

    #[test]
    fn scale_in_picks_distinct_known_tasks_of_the_candidates(
        (instances, tasks) in cluster_strategy(16),
        count in 0u32..25,
        strategies in proptest::collection::vec(strategy_choice(), 0..3),
        seed in any::<u64>(),
    ) {
        let snapshot = Snapshot::new(instances, tasks);
        let request = ScaleInRequest::service("web", count).with_strategies(strategies).with_seed(seed);
        let stopped = snapshot.select_tasks_to_stop(&request).unwrap();
        let group: Vec<&str> = snapshot.tasks_of_group("service:web").map(|t| &*t.id).collect();
        prop_assert_eq!(stopped.len(), group.len().min(count as usize));
        let unique: HashSet<&String> = stopped.iter().collect();
        prop_assert_eq!(unique.len(), stopped.len());
        prop_assert!(stopped.iter().all(|id| group.contains(&id.as_str())));
        prop_assert_eq!(&stopped, &snapshot.select_tasks_to_stop(&request).unwrap());
    }

    #[test]
    fn query_parser_never_panics(source in ".{0,80}") {
        let _ = Expression::parse(&source);
    }

    #[test]
    fn query_parser_never_panics_on_near_valid_input(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("attribute:a"), Just("task:group"), Just("runningTasksCount"), Just("=="), Just("!="),
                Just("=~"), Just("in"), Just("!in"), Just("exists"), Just("!"), Just("not"), Just("("),
                Just(")"), Just("["), Just("]"), Just(","), Just("'"), Just("and"), Just("or"), Just("&&"),
                Just("||"), Just("t2.*"), Just("1"), Just("2018-06-18"),
            ],
            0..16,
        ),
    ) {
        let source = parts.join(" ");
        if let Ok(expr) = Expression::parse(&source) {
            let node = ContainerInstance::new("n", Resources::new(1, 1));
            let _ = expr.matches(&node);
        }
    }
}
