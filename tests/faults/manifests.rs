//! Hostile and malformed manifests: a proptest generator of TaskDefinition, EcsService and
//! EcsTask objects — valid ones, ones with values out of range, wrong types, unknown fields,
//! bad names and references, contradictory settings — applied to the real apiserver with
//! strict field validation. Each one is either rejected at admission with the offending
//! field named in the message, or accepted and then reconciled by the operator without a
//! panic: its status observes the generation and carries conditions with a reason, among
//! them `Ready`, with a message when it is False.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

use super::mode::{counts, report};
use super::operator::{Operators, Options};
use super::support::{TestCluster, TestNamespace};

/// Objects per namespace: applied, reconciled, then the namespace goes.
const BATCH: usize = 250;
const RECONCILE_BOUND: Duration = Duration::from_secs(180);

fn ecs_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => "[a-z][a-z0-9_-]{0,12}".prop_map(Value::from),
        1 => "[ -~]{0,8}".prop_map(Value::from),
        1 => Just(Value::from("x".repeat(300))),
        1 => any::<i64>().prop_map(Value::from),
    ]
}

fn small_int(valid: std::ops::RangeInclusive<i64>) -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => valid.prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => "[0-9a-z ]{0,6}".prop_map(Value::from),
    ]
}

fn maybe(s: impl Strategy<Value = Value>) -> impl Strategy<Value = Option<Value>> {
    prop::option::weighted(0.6, s)
}

fn container() -> impl Strategy<Value = Value> {
    (
        ecs_name(),
        prop_oneof![
            Just(json!("nginx")),
            Just(json!("")),
            "[a-z:/.]{1,20}".prop_map(Value::from)
        ],
        maybe(small_int(0..=4096)),
        maybe(small_int(4..=2048)),
        maybe(small_int(1..=1024)),
        maybe(any::<bool>().prop_map(Value::from)),
        maybe(
            prop::collection::vec(
                (
                    small_int(0..=70000),
                    maybe(small_int(0..=70000)),
                    maybe(prop_oneof![
                        Just(json!("tcp")),
                        Just(json!("udp")),
                        Just(json!("sctp"))
                    ]),
                ),
                0..3,
            )
            .prop_map(|ports| {
                Value::Array(
                    ports
                        .into_iter()
                        .map(|(c, h, p)| {
                            let mut m = json!({"containerPort": c});
                            if let Some(h) = h {
                                m["hostPort"] = h;
                            }
                            if let Some(p) = p {
                                m["protocol"] = p;
                            }
                            m
                        })
                        .collect(),
                )
            }),
        ),
        maybe(prop_oneof![
            Just(json!({"command": ["CMD-SHELL", "true"]})),
            Just(json!({"command": []})),
            Just(json!({"command": ["CMD"], "interval": 1})),
            Just(json!({"command": ["NONE"], "retries": 99})),
        ]),
        maybe(any::<bool>().prop_map(Value::from)),
        maybe(prop_oneof![
            Just(json!([{"containerName": "missing", "condition": "START"}])),
            Just(json!([{"containerName": "c0", "condition": "HEALTHY"}])),
            Just(json!([{"containerName": "c0", "condition": "BOGUS"}])),
        ]),
    )
        .prop_map(
            |(name, image, cpu, memory, reservation, essential, ports, hc, privileged, depends)| {
                let mut c = json!({"name": name, "image": image});
                for (k, v) in [
                    ("cpu", cpu),
                    ("memory", memory),
                    ("memoryReservation", reservation),
                    ("essential", essential),
                    ("portMappings", ports),
                    ("healthCheck", hc),
                    ("privileged", privileged),
                    ("dependsOn", depends),
                ] {
                    if let Some(v) = v {
                        c[k] = v;
                    }
                }
                c
            },
        )
}

fn task_definition_spec() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(container(), 0..4),
        maybe(prop_oneof![Just(json!("bridge")), Just(json!("awsvpc")), Just(json!("host")), Just(json!("none")), Just(json!("bogus"))]),
        maybe(prop_oneof![Just(json!("256")), Just(json!("1 vCPU")), Just(json!("abc")), Just(json!("-1"))]),
        maybe(prop_oneof![Just(json!("512")), Just(json!("1 GB")), Just(json!("lots"))]),
        maybe(prop_oneof![Just(json!(["EC2"])), Just(json!(["FARGATE"])), Just(json!(["MOON"]))]),
        maybe(prop_oneof![Just(json!("host")), Just(json!("task")), Just(json!("none")), Just(json!("weird"))]),
        maybe(prop_oneof![
            Just(json!([{"name": "v", "host": {"sourcePath": "/srv"}}])),
            Just(json!([{"name": "v"}])),
            Just(json!([{"name": "v", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": true}}])),
            Just(json!([{"name": "../../etc", "dockerVolumeConfiguration": {"scope": "shared"}}])),
        ]),
        maybe(ecs_name()),
    )
        .prop_map(|(containers, network, cpu, memory, compat, pid, volumes, family)| {
            let mut s = json!({"containerDefinitions": containers});
            for (k, v) in [("networkMode", network), ("cpu", cpu), ("memory", memory),
                ("requiresCompatibilities", compat), ("pidMode", pid), ("volumes", volumes),
                ("family", family)] {
                if let Some(v) = v { s[k] = v; }
            }
            s
        })
}

fn constraint() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "distinctInstance"})),
        Just(json!({"type": "distinctInstance", "expression": "x"})),
        Just(json!({"type": "memberOf"})),
        Just(
            json!({"type": "memberOf", "expression": "attribute:ecs.availability-zone in [zone-a, zone-b]"})
        ),
        Just(json!({"type": "memberOf", "expression": "attribute:ecs.instance-type =~ t2.*"})),
        Just(json!({"type": "memberOf", "expression": "((((("})),
        "[ -~]{0,40}".prop_map(|e| json!({"type": "memberOf", "expression": e})),
        Just(json!({"type": "sideways"})),
    ]
}

fn strategy() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "spread", "field": "attribute:ecs.availability-zone"})),
        Just(json!({"type": "spread", "field": "instanceId"})),
        Just(json!({"type": "spread"})),
        Just(json!({"type": "binpack", "field": "memory"})),
        Just(json!({"type": "binpack", "field": "disk"})),
        Just(json!({"type": "random"})),
        Just(json!({"type": "random", "field": "x"})),
    ]
}

fn reference(cluster: String) -> impl Strategy<Value = (Value, Value)> {
    let td = prop_oneof![
        Just(json!("good")),
        Just(json!("good:1")),
        Just(json!("good:99")),
        Just(json!("missing")),
        Just(json!(
            "arn:aws:ecs:local:000000000000:task-definition/good:1"
        )),
        Just(json!("")),
        "[ -~]{0,20}".prop_map(Value::from),
    ];
    let cl = prop_oneof![
        4 => Just(json!(cluster.clone())), 1 => Just(json!("nope")),
        1 => Just(json!(format!("arn:aws:ecs:local:000000000000:cluster/{cluster}"))),
        1 => "[ -~]{0,12}".prop_map(Value::from),
    ];
    (td, cl)
}

fn service_spec(cluster: String) -> impl Strategy<Value = Value> {
    (
        reference(cluster),
        maybe(small_int(0..=3)),
        maybe(
            (maybe(small_int(0..=100)), maybe(small_int(100..=200))).prop_map(|(min, max)| {
                let mut d = json!({});
                if let Some(m) = min {
                    d["minimumHealthyPercent"] = m;
                }
                if let Some(m) = max {
                    d["maximumPercent"] = m;
                }
                d
            }),
        ),
        maybe(prop::collection::vec(constraint(), 0..3).prop_map(Value::Array)),
        maybe(prop::collection::vec(strategy(), 0..3).prop_map(Value::Array)),
        maybe(prop_oneof![
            Just(json!("REPLICA")),
            Just(json!("DAEMON")),
            Just(json!("BOTH"))
        ]),
        maybe(prop_oneof![
            Just(json!("EC2")),
            Just(json!("FARGATE")),
            Just(json!("EXTERNAL")),
            Just(json!("MARS"))
        ]),
        maybe(ecs_name()),
        maybe(small_int(0..=600)),
    )
        .prop_map(
            |(
                (td, cl),
                desired,
                deployment,
                constraints,
                strategies,
                scheduling,
                launch,
                name,
                grace,
            )| {
                let mut s = json!({"taskDefinition": td, "cluster": cl});
                for (k, v) in [
                    ("desiredCount", desired),
                    ("deploymentConfiguration", deployment),
                    ("placementConstraints", constraints),
                    ("placementStrategy", strategies),
                    ("schedulingStrategy", scheduling),
                    ("launchType", launch),
                    ("serviceName", name),
                    ("healthCheckGracePeriodSeconds", grace),
                ] {
                    if let Some(v) = v {
                        s[k] = v;
                    }
                }
                s
            },
        )
}

fn task_spec(cluster: String) -> impl Strategy<Value = Value> {
    (
        reference(cluster),
        maybe(small_int(1..=3)),
        maybe(prop::collection::vec(constraint(), 0..3).prop_map(Value::Array)),
        maybe(prop_oneof![
            Just(json!({"containerOverrides": [{"name": "c0", "cpu": 64}]})),
            Just(json!({"containerOverrides": [{"name": "nobody", "memory": -5}]})),
            Just(json!({"cpu": "999999", "memory": "1"})),
        ]),
        maybe("[ -~]{0,200}".prop_map(Value::from)),
        maybe(prop_oneof![
            Just(json!("RUNNING")),
            Just(json!("STOPPED")),
            Just(json!("PAUSED"))
        ]),
    )
        .prop_map(
            |((td, cl), count, constraints, overrides, started_by, desired)| {
                let mut s = json!({"taskDefinition": td, "cluster": cl});
                for (k, v) in [
                    ("count", count),
                    ("placementConstraints", constraints),
                    ("overrides", overrides),
                    ("startedBy", started_by),
                    ("desiredStatus", desired),
                ] {
                    if let Some(v) = v {
                        s[k] = v;
                    }
                }
                s
            },
        )
}

/// Definitions that pass admission (and mostly the operator's own validation), so the
/// accepted path is exercised as much as the rejected one: unique container names, memory,
/// ports in range, any network mode (host is refused by the operator's default policy).
fn plausible_task_definition_spec() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(
            (16i64..=512, prop::option::of(1i64..=65535), any::<bool>()),
            1..4,
        ),
        prop_oneof![Just("bridge"), Just("awsvpc"), Just("host"), Just("none")],
        prop::option::of(prop_oneof![Just("256"), Just("1 vCPU"), Just("4096")]),
    )
        .prop_map(|(containers, network, cpu)| {
            let defs: Vec<Value> = containers
                .into_iter()
                .enumerate()
                .map(|(i, (memory, port, essential))| {
                    let mut c = json!({"name": format!("c{i}"), "image": "nginx", "memory": memory,
                                       "essential": essential || i == 0});
                    if let Some(p) = port {
                        c["portMappings"] = json!([{"containerPort": p}]);
                    }
                    c
                })
                .collect();
            let mut s = json!({"containerDefinitions": defs, "networkMode": network});
            if let Some(cpu) = cpu {
                s["cpu"] = json!(cpu);
            }
            s
        })
}

/// One generated manifest: kind, spec, and sometimes an unknown field or a bad name.
fn manifest(cluster: String) -> impl Strategy<Value = (String, Value, u8)> {
    (
        prop_oneof![
            task_definition_spec().prop_map(|s| ("TaskDefinition".to_owned(), s)),
            plausible_task_definition_spec().prop_map(|s| ("TaskDefinition".to_owned(), s)),
            service_spec(cluster.clone()).prop_map(|s| ("EcsService".to_owned(), s)),
            task_spec(cluster).prop_map(|s| ("EcsTask".to_owned(), s)),
        ],
        // 0..=1: a bogus field in spec; 2: a bad metadata.name; otherwise clean.
        0u8..12,
    )
        .prop_map(|((kind, spec), twist)| (kind, spec, twist))
}

/// Whether an apiserver rejection names the field at fault.
fn names_a_field(message: &str) -> bool {
    message.contains("spec.")
        || message.contains("metadata.name")
        || message.contains("unknown field")
        || message.contains(".spec")
        || message.contains("spec:")
        || message.contains("in body")
}

#[derive(Default)]
struct Tally {
    by_outcome: BTreeMap<String, usize>,
    /// The first message of each kind of rejection, for the report.
    examples: BTreeMap<String, String>,
    unnamed_rejections: Vec<String>,
}

pub async fn generated_manifests() {
    let scenario = "manifests";
    let total = counts().manifests;
    let seed: u64 = std::env::var("ECS_FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0ec5);
    report(scenario, "seed", seed);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let ops = Operators::start(Options::one(scenario));
    let mut tally = Tally::default();
    let mut unreconciled = Vec::new();
    let mut case = 0;
    let started = Instant::now();
    while case < total {
        let ns = TestNamespace::new(scenario).await;
        let cluster = TestCluster::new(&ns, 3).await;
        ns.apply(&json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": "good"},
            "spec": {"containerDefinitions": [{"name": "c0", "image": "nginx", "cpu": 64, "memory": 64}]}}))
            .await
            .expect("the good task definition");
        let strategy = manifest(cluster.name.clone());
        let mut accepted = Vec::new();
        for _ in 0..BATCH.min(total - case) {
            let (kind, spec, twist) = strategy.new_tree(&mut runner).expect("generate").current();
            let mut name = format!("g{case}");
            let mut spec = spec;
            match twist {
                0 | 1 => spec["bogusField"] = json!(twist),
                2 => name = format!("G_{case}!"),
                _ => {}
            }
            case += 1;
            let m = json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": kind,
                           "metadata": {"name": name}, "spec": spec});
            match ns.apply(&m).await {
                Ok(obj) => {
                    *tally
                        .by_outcome
                        .entry(format!("{kind} accepted"))
                        .or_default() += 1;
                    accepted.push((kind, name, obj.metadata.generation.unwrap_or(1)));
                }
                Err(kube::Error::Api(e)) => {
                    let outcome = format!("{kind} rejected {}", e.code);
                    tally
                        .examples
                        .entry(outcome.clone())
                        .or_insert_with(|| e.message.clone());
                    *tally.by_outcome.entry(outcome).or_default() += 1;
                    if !names_a_field(&e.message) && tally.unnamed_rejections.len() < 20 {
                        tally.unnamed_rejections.push(format!("{m}: {}", e.message));
                    }
                }
                Err(e) => panic!("apply {m}: {e}"),
            }
        }
        // Every accepted object is reconciled: its status observes its generation and has
        // conditions that say why.
        let deadline = Instant::now() + RECONCILE_BOUND;
        let mut pending = accepted;
        while !pending.is_empty() && Instant::now() < deadline {
            let mut still = Vec::new();
            for (kind, name, generation) in pending {
                let obj = ns.api_for(&kind).get_opt(&name).await.ok().flatten();
                let status = obj.map(|o| o.data["status"].clone()).unwrap_or_default();
                let observed = status["observedGeneration"].as_i64().unwrap_or(0) >= generation;
                let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
                // Every condition has a reason; Ready is there, and says why when False.
                let explained = conditions
                    .iter()
                    .all(|c| c["reason"].as_str().is_some_and(|r| !r.is_empty()))
                    && conditions.iter().any(|c| {
                        c["type"] == "Ready"
                            && (c["status"] == "True"
                                || c["message"].as_str().is_some_and(|m| !m.is_empty()))
                    });
                if !(observed && explained) {
                    still.push((kind, name, generation));
                }
            }
            pending = still;
            if !pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        for (kind, name, _) in &pending {
            let obj = ns.api_for(kind).get_opt(name).await.ok().flatten();
            unreconciled.push(format!("{kind}/{name}: {:?}", obj.map(|o| o.data)));
        }
        ns.cleanup().await;
        cluster.cleanup().await;
    }
    let panics = ops.panics();
    let mut ops = ops;
    let alive = ops.all_alive();
    drop(ops);
    report(scenario, "cases", total);
    for (outcome, n) in &tally.by_outcome {
        report(scenario, &outcome.replace(' ', "_"), n);
    }
    for (outcome, message) in &tally.examples {
        let short: String = message.chars().take(200).collect();
        report(
            scenario,
            &format!("example_{}", outcome.replace(' ', "_")),
            short,
        );
    }
    report(
        scenario,
        "rejections_without_field",
        tally.unnamed_rejections.len(),
    );
    report(scenario, "accepted_not_reconciled", unreconciled.len());
    report(scenario, "seconds", started.elapsed().as_secs_f64());
    assert!(panics.is_empty(), "operator panicked: {panics:#?}");
    assert!(alive, "the operator exited");
    assert!(
        tally.unnamed_rejections.is_empty(),
        "rejections that do not name the field: {:#?}",
        tally.unnamed_rejections
    );
    assert!(
        unreconciled.is_empty(),
        "{} accepted objects not reconciled with a clear condition within {RECONCILE_BOUND:?}: {:#?}",
        unreconciled.len(),
        &unreconciled[..unreconciled.len().min(10)]
    );
}
