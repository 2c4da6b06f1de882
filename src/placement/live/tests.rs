use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::placement::{PlacementRequest, Protocol};

fn node(cluster: &str, name: &str, cpu: u64) -> NodeFacts {
    NodeFacts {
        cluster: cluster.into(),
        base: ContainerInstance::new(name, Resources::new(cpu, 4096)),
    }
}

fn pod(node: &str, cpu: u64, group: Option<&str>, ports: &[u16]) -> PodUse {
    PodUse {
        node: node.into(),
        reservation: Resources::new(cpu, 128),
        host_ports: ports.iter().map(|p| HostPort::tcp(*p)).collect(),
        task: group.map(|g| TaskTag {
            group: g.into(),
            family: None,
        }),
    }
}

/// What a snapshot says, in a comparable form: per instance (remaining, ports, running) and
/// every task's (id, instance, group).
type Summary = (
    BTreeMap<String, (Resources, Vec<HostPort>, u32)>,
    Vec<(String, String, String)>,
);

fn summary(s: &Snapshot) -> Summary {
    let instances = s
        .instances()
        .map(|i| {
            let running = s.running_tasks_count(&i.id).unwrap_or(0);
            (
                i.id.clone(),
                (i.remaining, i.ports_in_use.iter().collect(), running),
            )
        })
        .collect();
    let mut tasks: Vec<(String, String, String)> = s
        .tasks()
        .map(|t| {
            (
                t.id.to_string(),
                t.instance.to_string(),
                t.group.to_string(),
            )
        })
        .collect();
    tasks.sort();
    (instances, tasks)
}

/// The snapshot of `cluster` built from scratch, the way the per-round adapter does.
fn built(nodes: &[(&str, NodeFacts)], pods: &[(&str, PodUse)], cluster: &str) -> Summary {
    let instances = nodes
        .iter()
        .filter(|(_, f)| &*f.cluster == cluster)
        .map(|(name, f)| {
            let mut info = f.base.clone();
            for (_, p) in pods.iter().filter(|(_, p)| &*p.node == *name) {
                info.remaining = info.remaining.saturating_sub(&p.reservation);
                for port in &p.host_ports {
                    info.ports_in_use.insert(*port);
                }
            }
            info
        });
    let in_cluster = |n: &str| {
        nodes
            .iter()
            .any(|(name, f)| *name == n && &*f.cluster == cluster)
    };
    let tasks = pods
        .iter()
        .filter(|(_, p)| in_cluster(&p.node))
        .filter_map(|(key, p)| p.task(&Arc::from(*key)));
    summary(&Snapshot::new(instances, tasks))
}

#[test]
fn follows_pods_arriving_changing_and_leaving() {
    let mut live = LiveClusters::default();
    live.set_node("n1".into(), Some(node("c", "n1", 1024)));
    live.set_pod("ns/a", Some(pod("n1", 256, Some("service:web"), &[80])));
    live.set_pod("ns/b", Some(pod("n1", 100, None, &[])));
    let s = live.snapshot("c").unwrap();
    assert_eq!(s.instance("n1").unwrap().remaining.cpu, 1024 - 356);
    assert_eq!(s.task_count(), 1);
    assert!(
        s.instance("n1")
            .unwrap()
            .ports_in_use
            .contains(HostPort::tcp(80))
    );

    // Being deleted: still holds its resources, no longer a task.
    live.set_pod("ns/a", Some(pod("n1", 256, None, &[80])));
    let s = live.snapshot("c").unwrap();
    assert_eq!((s.task_count(), s.running_tasks_count("n1")), (0, Some(0)));
    assert_eq!(s.instance("n1").unwrap().remaining.cpu, 1024 - 356);

    live.set_pod("ns/a", None);
    let s = live.snapshot("c").unwrap();
    assert_eq!(s.instance("n1").unwrap().remaining.cpu, 1024 - 100);
    assert!(
        !s.instance("n1")
            .unwrap()
            .ports_in_use
            .contains(HostPort::tcp(80))
    );
}

#[test]
fn pods_seen_before_their_node_count_once_it_joins() {
    let mut live = LiveClusters::default();
    live.set_pod("ns/a", Some(pod("n1", 256, Some("g"), &[])));
    assert!(live.snapshot("c").is_none());
    live.set_node("n1".into(), Some(node("c", "n1", 1024)));
    let s = live.snapshot("c").unwrap();
    assert_eq!(s.instance("n1").unwrap().remaining.cpu, 768);
    assert_eq!(s.task_count(), 1);
    // Relabeled into another cluster: it leaves the first with its tasks.
    live.set_node("n1".into(), Some(node("d", "n1", 1024)));
    assert!(live.snapshot("c").is_none());
    assert_eq!(live.snapshot("d").unwrap().task_count(), 1);
}

#[test]
fn the_overlay_is_seen_by_the_engine_and_undone_after() {
    let mut live = LiveClusters::default();
    live.set_node("n1".into(), Some(node("c", "n1", 1024)));
    live.set_node("n2".into(), Some(node("c", "n2", 1024)));
    live.set_pod("ns/a", Some(pod("n1", 512, Some("g"), &[])));
    let before = summary(live.snapshot("c").unwrap());
    let unseen = pod("n2", 512, Some("g"), &[]).task(&Arc::from("ns/new"));
    let request = PlacementRequest::service("x")
        .with_count(2)
        .with_reservation(Resources::new(1024, 128));
    let placed = live.with_overlay("c", unseen, &[Arc::from("ns/a")], |s| {
        assert_eq!(s.instance("n1").unwrap().remaining.cpu, 1024, "a stopped");
        assert_eq!(s.instance("n2").unwrap().remaining.cpu, 512, "new placed");
        s.place(&request).unwrap().placements.len()
    });
    assert_eq!(placed, 1, "only n1 has room for a full instance's task");
    assert_eq!(summary(live.snapshot("c").unwrap()), before);
}

#[test]
fn unseen_tasks_the_cache_already_shows_are_not_counted_twice() {
    let mut live = LiveClusters::default();
    live.set_node("n1".into(), Some(node("c", "n1", 1024)));
    live.set_pod("ns/a", Some(pod("n1", 512, Some("g"), &[])));
    let again = pod("n1", 512, Some("g"), &[]).task(&Arc::from("ns/a"));
    let remaining = live.with_overlay("c", again, &[], |s| s.instance("n1").unwrap().remaining);
    assert_eq!(remaining.cpu, 512);
}

#[test]
fn a_relist_replaces_everything() {
    let mut live = LiveClusters::default();
    live.set_node("n1".into(), Some(node("c", "n1", 1024)));
    live.set_pod("ns/a", Some(pod("n1", 512, Some("g"), &[])));
    live.replace_pods([("ns/b".into(), pod("n1", 100, Some("g"), &[]))]);
    let s = live.snapshot("c").unwrap();
    assert_eq!(s.instance("n1").unwrap().remaining.cpu, 924);
    assert_eq!(s.tasks().map(|t| &*t.id).collect::<Vec<_>>(), ["ns/b"]);
    live.replace_nodes([("n2".into(), node("c", "n2", 2048))]);
    let s = live.snapshot("c").unwrap();
    assert!(s.instance("n1").is_none());
    assert_eq!(s.instance("n2").unwrap().remaining.cpu, 2048);
}

#[derive(Clone, Debug)]
enum Op {
    Pod {
        key: u8,
        node: u8,
        cpu: u64,
        task: bool,
        port: Option<u16>,
    },
    PodGone(u8),
    Node {
        node: u8,
        cluster: u8,
        cpu: u64,
    },
    NodeGone(u8),
    Overlay {
        unseen: u8,
        node: u8,
        without: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..12u8, 0..4u8, 1..400u64, any::<bool>(), prop::option::of(80..83u16))
            .prop_map(|(key, node, cpu, task, port)| Op::Pod { key, node, cpu, task, port }),
        2 => (0..12u8).prop_map(Op::PodGone),
        1 => (0..4u8, 0..2u8, 512..4096u64).prop_map(|(node, cluster, cpu)| Op::Node { node, cluster, cpu }),
        1 => (0..4u8).prop_map(Op::NodeGone),
        1 => (12..15u8, 0..4u8, 0..12u8).prop_map(|(unseen, node, without)| Op::Overlay { unseen, node, without }),
    ]
}

proptest! {
    /// Whatever the order of changes, each cluster's live snapshot says what one built from
    /// scratch says, and an overlay leaves no trace.
    #[test]
    fn the_live_snapshot_matches_one_built_from_scratch(ops in prop::collection::vec(op(), 1..60)) {
        let names = ["n0", "n1", "n2", "n3"];
        let keys: Vec<String> = (0..15).map(|k| format!("ns/p{k}")).collect();
        let mut live = LiveClusters::default();
        let mut nodes: BTreeMap<u8, NodeFacts> = BTreeMap::new();
        let mut pods: BTreeMap<u8, PodUse> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Pod { key, node, cpu, task, port } => {
                    let p = pod(names[node as usize], cpu, task.then_some("g"), port.as_slice());
                    live.set_pod(&keys[key as usize], Some(p.clone()));
                    pods.insert(key, p);
                }
                Op::PodGone(key) => {
                    live.set_pod(&keys[key as usize], None);
                    pods.remove(&key);
                }
                Op::Node { node, cluster, cpu } => {
                    let f = node_facts(["c0", "c1"][cluster as usize], names[node as usize], cpu);
                    live.set_node(names[node as usize].into(), Some(f.clone()));
                    nodes.insert(node, f);
                }
                Op::NodeGone(node) => {
                    live.set_node(names[node as usize].into(), None);
                    nodes.remove(&node);
                }
                Op::Overlay { unseen, node, without } => {
                    let before = live.snapshot("c0").map(summary);
                    let task = pod(names[node as usize], 10, Some("g"), &[])
                        .task(&Arc::from(keys[unseen as usize].as_str()));
                    live.with_overlay("c0", task, &[Arc::from(keys[without as usize].as_str())], |s| {
                        let _ = s.place(&PlacementRequest::service("g").with_count(3));
                    });
                    prop_assert_eq!(live.snapshot("c0").map(summary), before);
                }
            }
        }
        let node_list: Vec<(&str, NodeFacts)> =
            nodes.iter().map(|(n, f)| (names[*n as usize], f.clone())).collect();
        let pod_list: Vec<(&str, PodUse)> =
            pods.iter().map(|(k, p)| (keys[*k as usize].as_str(), p.clone())).collect();
        for cluster in ["c0", "c1"] {
            let expected = node_list
                .iter()
                .any(|(_, f)| &*f.cluster == cluster)
                .then(|| built(&node_list, &pod_list, cluster));
            prop_assert_eq!(live.snapshot(cluster).map(summary), expected, "cluster {}", cluster);
        }
    }
}

fn node_facts(cluster: &str, name: &str, cpu: u64) -> NodeFacts {
    let mut f = node(cluster, name, cpu);
    f.base.ports_in_use.insert(HostPort {
        port: 22,
        protocol: Protocol::Tcp,
    });
    f
}

#[test]
fn holes_left_by_departed_tasks_are_compacted_away() {
    let mut live = LiveClusters::default();
    live.set_node("n1".into(), Some(node("c", "n1", 1 << 30)));
    for round in 0..3 {
        for i in 0..2000 {
            let key: Arc<str> = format!("ns/r{round}-{i}").into();
            live.set_pod(&key, Some(pod("n1", 1, Some("g"), &[])));
            if i % 10 != 0 {
                live.set_pod(&key, None);
            }
        }
    }
    let s = live.snapshot("c").unwrap();
    assert_eq!(s.task_count(), 600);
    assert!(s.removed_slots() <= MIN_HOLES_BEFORE_COMPACTING.max(s.task_count()));
    assert_eq!(s.instance("n1").unwrap().remaining.cpu, (1 << 30) - 600);
}
