//! kind-config.yaml: one control plane and three workers, each worker in its own zone and
//! labeled as a container instance of the ECS cluster `default` (the README's kind recipe).

#[test]
fn three_container_instances_in_three_zones_and_one_control_plane() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/kind-config.yaml");
    let config: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(path).expect("read kind-config.yaml"))
            .expect("YAML");
    assert_eq!(config["kind"], "Cluster");
    assert_eq!(config["apiVersion"], "kind.x-k8s.io/v1alpha4");
    let nodes = config["nodes"].as_array().expect("nodes");
    let role = |r: &'static str| nodes.iter().filter(move |n| n["role"] == r);
    assert_eq!(role("control-plane").count(), 1);
    assert!(
        role("control-plane").all(|n| n["labels"]["ecs.operator.dev/cluster"].is_null()),
        "the control plane is not a container instance"
    );
    let workers: Vec<_> = role("worker").collect();
    assert_eq!(workers.len(), 3);
    let mut zones: Vec<&str> = workers
        .iter()
        .map(|w| {
            assert_eq!(w["labels"]["ecs.operator.dev/cluster"], "default");
            w["labels"]["topology.kubernetes.io/zone"]
                .as_str()
                .expect("zone label")
        })
        .collect();
    zones.sort();
    zones.dedup();
    assert_eq!(zones.len(), 3, "each worker in its own zone");
}
