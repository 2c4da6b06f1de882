//! Security: a namespace a cluster does not allow gets no task placed on it, whatever the
//! fields say; host access (privileged, host network / PID / IPC, host paths) is refused
//! unless the operator's policy allows it; Secret values never appear in anything the
//! operator writes.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, PostParams};
use serde_json::{Value, json};

use super::mode::{counts, report};
use super::operator::{Operators, Options};
use super::rng::Rng;
use super::sigkill::STEADY_BOUND;
use super::support::{TestCluster, TestNamespace};

/// Waits until every object of `kind` in the namespace has a status for its generation;
/// returns them.
async fn reconciled(ns: &TestNamespace, kind: &str, expected: usize) -> Vec<DynamicObject> {
    let api = ns.api_for(kind);
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let items = api
            .list(&ListParams::default())
            .await
            .map(|l| l.items)
            .unwrap_or_default();
        let done = items.len() == expected
            && items.iter().all(|o| {
                o.data["status"]["observedGeneration"].as_i64() == o.metadata.generation
                    && o.data["status"]["conditions"]
                        .as_array()
                        .is_some_and(|c| !c.is_empty())
            });
        if done {
            return items;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{kind}s reconciled within 90 s: {:#?}",
            items
                .iter()
                .map(|o| (o.name_any(), &o.data["status"]))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn pods(ns: &TestNamespace) -> Vec<Pod> {
    let api: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    api.list(&ListParams::default())
        .await
        .expect("list pods")
        .items
}

fn condition_reasons(o: &DynamicObject) -> String {
    o.data["status"]["conditions"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| format!("{}={}:{}", c["type"], c["status"], c["reason"]))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// Every field that could steer a task somewhere: cluster by name, by ARN (any region and
/// account), constraints that single out the cluster's instances, strategies, launch type,
/// capacity providers, groups, overrides. None may get a task into a disallowed namespace.
pub async fn namespace_allow_list() {
    let scenario = "namespace-allow-list";
    let c = counts();
    let mut rng = Rng::new(scenario);
    let ns = TestNamespace::new("denied").await;
    let cluster = TestCluster::new(&ns, 3).await;
    // The cluster admits one other namespace only.
    ns.apply(
        &json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsCluster",
        "metadata": {"name": cluster.name},
        "spec": {"clusterName": cluster.name, "allowedNamespaces": ["somewhere-else"]}}),
    )
    .await
    .expect("restrict the cluster");
    ns.apply(&json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "TaskDefinition",
        "metadata": {"name": "td"},
        "spec": {"containerDefinitions": [{"name": "c", "image": "nginx", "cpu": 64, "memory": 64}]}}))
        .await
        .expect("task definition");
    let name = cluster.name.clone();
    let refs = [
        name.clone(),
        format!("arn:aws:ecs:local:000000000000:cluster/{name}"),
        format!("arn:aws:ecs:us-east-1:123456789012:cluster/{name}"),
        format!("arn:aws:ecs:local:000000000000:cluster/{name}/extra"),
        format!("cluster/{name}"),
        format!(" {name}"),
        name.to_uppercase(),
    ];
    let constraints = [
        json!([]),
        json!([{"type": "memberOf", "expression": format!("attribute:ecs.operator.dev/cluster == {name}")}]),
        json!([{"type": "memberOf", "expression": "attribute:ecs.availability-zone exists"}]),
        json!([{"type": "distinctInstance"}]),
    ];
    let extras = [
        json!({}),
        json!({"launchType": "EC2"}),
        json!({"launchType": "EXTERNAL"}),
        json!({"capacityProviderStrategy": [{"capacityProvider": "anything", "weight": 1}]}),
        json!({"placementStrategy": [{"type": "binpack", "field": "memory"}]}),
    ];
    let ops = Operators::start(Options::one(scenario));
    let (mut services, mut tasks, mut rejected) = (0, 0, 0);
    for i in 0..c.namespace_combinations {
        let mut spec = json!({"cluster": refs[rng.below(refs.len())], "taskDefinition": "td",
                              "placementConstraints": constraints[rng.below(constraints.len())]});
        for (k, v) in extras[rng.below(extras.len())]
            .as_object()
            .into_iter()
            .flatten()
        {
            spec[k] = v.clone();
        }
        let manifest = if i % 2 == 0 {
            spec["desiredCount"] = json!(1 + rng.below(3));
            services += 1;
            json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsService",
                   "metadata": {"name": format!("s{i}")}, "spec": spec})
        } else {
            spec["count"] = json!(1 + rng.below(3));
            spec["group"] = json!(format!("service:s{}", i - 1));
            spec["startedBy"] = json!("ecs-svc/1234567890123456789");
            if rng.below(2) == 0 {
                spec["overrides"] = json!({"containerOverrides": [{"name": "c", "cpu": 32}]});
            }
            tasks += 1;
            json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsTask",
                   "metadata": {"name": format!("t{i}")}, "spec": spec})
        };
        match ns.apply(&manifest).await {
            Ok(_) => {}
            // Refused at admission: nothing to place either.
            Err(kube::Error::Api(e)) if e.code == 422 => {
                rejected += 1;
                if i % 2 == 0 {
                    services -= 1
                } else {
                    tasks -= 1
                }
            }
            Err(e) => panic!("apply {manifest}: {e}"),
        }
    }
    let objects: Vec<DynamicObject> = [
        reconciled(&ns, "EcsService", services).await,
        reconciled(&ns, "EcsTask", tasks).await,
    ]
    .concat();
    // A few more seconds of reconciling (resyncs, retries) before the final look.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let placed = pods(&ns).await;
    let denied = objects
        .iter()
        .filter(|o| {
            let r = condition_reasons(o);
            r.contains("NamespaceNotAllowed") || r.contains("ClusterNotFound")
        })
        .count();
    let panics = ops.panics();
    drop(ops);
    report(scenario, "combinations", c.namespace_combinations);
    report(scenario, "rejected_at_admission", rejected);
    report(scenario, "tasks_placed", placed.len());
    report(scenario, "objects_with_denial_condition", denied);
    assert!(panics.is_empty(), "operator panicked: {panics:#?}");
    assert!(
        placed.is_empty(),
        "tasks placed in a disallowed namespace: {:?}",
        placed
            .iter()
            .map(|p| (
                p.name_any(),
                p.spec.as_ref().and_then(|s| s.node_name.clone())
            ))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        denied,
        objects.len(),
        "every object says why it runs nothing: {:#?}",
        objects
            .iter()
            .map(|o| (o.name_any(), condition_reasons(o)))
            .collect::<Vec<_>>()
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// Task definitions that reach outside the Pod, each refused by the default policy (with the
/// field named and no task started), then run when the operator's policy allows them.
pub async fn host_access_policy() {
    let scenario = "host-access";
    let ns = TestNamespace::new(scenario).await;
    let cluster = TestCluster::new(&ns, 3).await;
    let container = json!({"name": "c", "image": "nginx", "cpu": 64, "memory": 64});
    let cases: [(&str, Value, &str); 5] = [
        (
            "privileged",
            json!({"containerDefinitions": [{"name": "c", "image": "nginx", "cpu": 64, "memory": 64, "privileged": true}]}),
            "containerDefinitions[0].privileged",
        ),
        (
            "hostnet",
            json!({"networkMode": "host", "containerDefinitions": [container.clone()]}),
            "spec.networkMode",
        ),
        (
            "hostpid",
            json!({"pidMode": "host", "containerDefinitions": [container.clone()]}),
            "spec.pidMode",
        ),
        (
            "hostipc",
            json!({"ipcMode": "host", "containerDefinitions": [container]}),
            "spec.ipcMode",
        ),
        (
            "hostpath",
            json!({"volumes": [{"name": "root", "host": {"sourcePath": "/"}}],
            "containerDefinitions": [{"name": "c", "image": "nginx", "cpu": 64, "memory": 64,
                "mountPoints": [{"sourceVolume": "root", "containerPath": "/host"}]}]}),
            "spec.volumes[0].host.sourcePath",
        ),
    ];
    for (name, spec, _) in &cases {
        ns.apply(
            &json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": name}, "spec": spec}),
        )
        .await
        .expect("task definition");
        ns.apply(
            &json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsService",
            "metadata": {"name": name},
            "spec": {"cluster": cluster.name, "taskDefinition": name, "desiredCount": 1}}),
        )
        .await
        .expect("service");
    }
    let ops = Operators::start(Options::one(scenario));
    let definitions = reconciled(&ns, "TaskDefinition", cases.len()).await;
    reconciled(&ns, "EcsService", cases.len()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let refused = pods(&ns).await;
    drop(ops);
    for (name, _, field) in &cases {
        let td = definitions
            .iter()
            .find(|d| d.name_any() == *name)
            .expect("definition");
        let conditions = td.data["status"]["conditions"].to_string();
        assert!(
            conditions.contains(field)
                && conditions.contains("allowed in the operator configuration"),
            "{name}: the refusal names {field} and the policy: {conditions}"
        );
    }
    assert!(
        refused.is_empty(),
        "tasks started despite the policy: {:?}",
        refused.iter().map(|p| p.name_any()).collect::<Vec<_>>()
    );
    // The same definitions with the policy allowing them: every service runs its task.
    let mut options = Options::one(&format!("{scenario}-allowed"));
    options.extra_args = [
        "--allow-privileged",
        "--allow-host-namespaces",
        "--allow-host-path",
    ]
    .map(String::from)
    .to_vec();
    let ops = Operators::start(options);
    let names: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let to_steady = super::checks::wait_steady(&ns, &names, STEADY_BOUND).await;
    let panics = ops.panics();
    drop(ops);
    report(scenario, "refused_by_default", cases.len());
    report(
        scenario,
        "seconds_to_steady_when_allowed",
        to_steady.as_secs_f64(),
    );
    assert!(panics.is_empty(), "operator panicked: {panics:#?}");
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// Secrets referenced by `secrets[].valueFrom` and `environmentFiles` reach the Pod as
/// references; their values appear in nothing in the namespace but the Secret itself.
pub async fn secret_values_never_copied() {
    let scenario = "secrets";
    let ns = TestNamespace::new(scenario).await;
    let cluster = TestCluster::new(&ns, 2).await;
    let marker = format!("s3cr3t-{}", ns.name);
    let encoded = {
        use std::fmt::Write;
        // base64 of the marker, as a Secret's data field would hold it.
        let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let bytes = marker.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                let _ = write!(
                    out,
                    "{}",
                    table[((n >> (18 - 6 * i)) & 63) as usize] as char
                );
            }
        }
        out
    };
    let secrets: Api<Secret> = Api::namespaced(ns.client.clone(), &ns.name);
    let secret: Secret = serde_json::from_value(json!({"metadata": {"name": "db"},
        "stringData": {"password": marker, "value": marker}}))
    .expect("secret");
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .expect("create secret");
    ns.apply(&json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "TaskDefinition",
        "metadata": {"name": "app"},
        "spec": {"containerDefinitions": [{"name": "c", "image": "nginx", "cpu": 64, "memory": 64,
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": "db:password"},
                        {"name": "DB_VALUE", "valueFrom": "arn:aws:secretsmanager:local:000000000000:secret:db"}],
            "environmentFiles": [{"type": "s3", "value": "secret:db"}]}]}}))
        .await
        .expect("task definition");
    ns.apply(
        &json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsService",
        "metadata": {"name": "app"},
        "spec": {"cluster": cluster.name, "taskDefinition": "app", "desiredCount": 2}}),
    )
    .await
    .expect("service");
    ns.apply(&json!({"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsTask",
        "metadata": {"name": "once"},
        "spec": {"cluster": cluster.name, "taskDefinition": "app",
                 "overrides": {"containerOverrides": [{"name": "c", "environment": [{"name": "X", "value": "y"}]}]}}}))
        .await
        .expect("task");
    let ops = Operators::start(Options::one(scenario));
    super::checks::wait_steady(&ns, &["app"], STEADY_BOUND).await;
    reconciled(&ns, "EcsTask", 1).await;
    // Everything namespaced the operator may write, and the cluster's Nodes and EcsClusters.
    let kinds: [(&str, &str, &str, &str); 9] = [
        ("", "v1", "Pod", "pods"),
        ("", "v1", "Event", "events"),
        ("events.k8s.io", "v1", "Event", "events"),
        ("", "v1", "Service", "services"),
        ("", "v1", "ConfigMap", "configmaps"),
        ("apps", "v1", "ControllerRevision", "controllerrevisions"),
        (
            "ecs.operator.dev",
            "v1alpha1",
            "TaskDefinition",
            "taskdefinitions",
        ),
        ("ecs.operator.dev", "v1alpha1", "EcsService", "ecsservices"),
        ("ecs.operator.dev", "v1alpha1", "EcsTask", "ecstasks"),
    ];
    let mut scanned = 0;
    let mut leaks = Vec::new();
    for (group, version, kind, plural) in kinds {
        let ar =
            ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
        let api: Api<DynamicObject> = Api::namespaced_with(ns.client.clone(), &ns.name, &ar);
        for o in api.list(&ListParams::default()).await.expect("list").items {
            scanned += 1;
            let text = serde_json::to_string(&o).expect("json");
            if text.contains(&marker) || text.contains(&encoded) {
                leaks.push(format!("{kind}/{}", o.name_any()));
            }
        }
    }
    let panics = ops.panics();
    drop(ops);
    report(scenario, "objects_scanned", scanned);
    report(scenario, "objects_with_secret_value", leaks.len());
    assert!(scanned > 5, "the scan saw the operator's objects");
    assert!(panics.is_empty(), "operator panicked: {panics:#?}");
    assert!(
        leaks.is_empty(),
        "the Secret's value was copied into {leaks:?}"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}
