//! Invalid manifests are rejected at admission by the CRD schema and its CEL rules, and
//! the API server's message names the offending field path and the ECS rule.

use serde_json::Value;
use tokio::sync::OnceCell;

use crate::support::{TestNamespace, client, yaml_documents};

static NAMESPACE: OnceCell<String> = OnceCell::const_new();

/// Nothing invalid is ever stored, so all admission tests share one namespace.
async fn namespace() -> TestNamespace {
    let name = NAMESPACE
        .get_or_init(|| async { TestNamespace::new("admission").await.name })
        .await
        .clone();
    TestNamespace {
        name,
        client: client().await,
    }
}

/// Applies `kind`/`name` with `spec` (YAML) and asserts the API server rejects it with a
/// message containing every `expected` fragment.
async fn assert_rejected(kind: &str, spec: &str, expected: &[&str]) {
    let ns = namespace().await;
    let spec: Value = yaml_documents(spec).into_iter().next().expect("spec YAML");
    let manifest = serde_json::json!({
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": "invalid"},
        "spec": spec,
    });
    match ns.apply(&manifest).await {
        Ok(obj) => panic!(
            "{kind} was admitted but must be rejected: {:?}",
            obj.data["spec"]
        ),
        Err(kube::Error::Api(status)) => {
            let message = status.message.clone();
            for fragment in expected {
                assert!(
                    message.contains(fragment),
                    "rejection of {kind} does not mention {fragment:?}; message: {message}"
                );
            }
            // 422 for schema and CEL errors; server-side apply reports type and
            // unknown-field errors from its typed-patch step (400, or 500 on 1.34).
            assert!(
                status.code >= 400,
                "not an error status {}: {message}",
                status.code
            );
        }
        Err(other) => panic!("unexpected client error: {other}"),
    }
}

macro_rules! rejects {
    ($test:ident, $kind:literal, $spec:literal, [$($expected:literal),+ $(,)?]) => {
        #[tokio::test]
        async fn $test() {
            assert_rejected($kind, $spec, &[$($expected),+]).await;
        }
    };
}

const TD_OK: &str = "containerDefinitions: [{name: app, image: busybox, memory: 128}]";

// ---- EcsService
rejects!(
    service_negative_desired_count,
    "EcsService",
    "{desiredCount: -1}",
    ["spec.desiredCount", "greater than or equal to 0"]
);
rejects!(
    service_desired_count_wrong_type,
    "EcsService",
    "{desiredCount: three}",
    [".spec.desiredCount", "expected numeric"]
);
rejects!(
    service_name_with_invalid_characters,
    "EcsService",
    "{serviceName: 'my service!'}",
    [
        "spec.serviceName",
        "letters, numbers, hyphens (-) and underscores (_)"
    ]
);
rejects!(
    service_unknown_launch_type,
    "EcsService",
    "{launchType: LAMBDA}",
    ["spec.launchType", "Unsupported value", "\"EC2\""]
);
rejects!(
    service_unknown_scheduling_strategy,
    "EcsService",
    "{schedulingStrategy: SOMETIMES}",
    ["spec.schedulingStrategy", "Unsupported value", "\"DAEMON\""]
);
rejects!(
    service_minimum_healthy_over_100,
    "EcsService",
    "{deploymentConfiguration: {minimumHealthyPercent: 120}}",
    [
        "spec.deploymentConfiguration.minimumHealthyPercent",
        "less than or equal to 100"
    ]
);
rejects!(
    service_replica_maximum_percent_below_100,
    "EcsService",
    "{deploymentConfiguration: {maximumPercent: 50}}",
    [
        "spec.deploymentConfiguration.maximumPercent",
        "maximumPercent must be at least 100 for REPLICA services"
    ]
);
rejects!(
    service_more_than_five_strategies,
    "EcsService",
    "{placementStrategy: [{type: random}, {type: random}, {type: random}, {type: random}, {type: random}, {type: random}]}",
    ["spec.placementStrategy", "must have at most 5 items"]
);
rejects!(
    service_more_than_ten_constraints,
    "EcsService",
    "{placementConstraints: [{type: distinctInstance}, {type: distinctInstance}, {type: distinctInstance}, {type: distinctInstance}, {type: distinctInstance}, {type: distinctInstance}, {type: distinctInstance}, {type: distinctInstance}, {type: distinctInstance}, {type: distinctInstance}, {type: distinctInstance}]}",
    ["spec.placementConstraints", "must have at most 10 items"]
);
rejects!(
    service_binpack_on_a_non_resource,
    "EcsService",
    "{placementStrategy: [{type: binpack, field: attribute:ecs.availability-zone}]}",
    [
        "spec.placementStrategy[0].field",
        "a binpack placement strategy needs field cpu or memory"
    ]
);
rejects!(
    service_spread_without_field,
    "EcsService",
    "{placementStrategy: [{type: spread}]}",
    [
        "spec.placementStrategy[0].field",
        "a spread placement strategy needs field instanceId, host or attribute:<name>"
    ]
);
rejects!(
    service_random_with_field,
    "EcsService",
    "{placementStrategy: [{type: random, field: cpu}]}",
    [
        "spec.placementStrategy[0].field",
        "a random placement strategy takes no field"
    ]
);
rejects!(
    service_unknown_strategy_type,
    "EcsService",
    "{placementStrategy: [{type: roundRobin}]}",
    ["spec.placementStrategy[0].type", "Unsupported value"]
);
rejects!(
    service_member_of_without_expression,
    "EcsService",
    "{placementConstraints: [{type: memberOf}]}",
    [
        "spec.placementConstraints[0].expression",
        "a memberOf placement constraint needs an expression"
    ]
);
rejects!(
    service_distinct_instance_with_expression,
    "EcsService",
    "{placementConstraints: [{type: distinctInstance, expression: 'attribute:stack == prod'}]}",
    [
        "spec.placementConstraints[0].expression",
        "a distinctInstance placement constraint takes no expression"
    ]
);
#[tokio::test]
async fn service_expression_over_2000_characters() {
    // ECS limits a cluster query language expression to 2000 characters.
    let spec = format!(
        "{{placementConstraints: [{{type: memberOf, expression: '{}'}}]}}",
        "a".repeat(2001)
    );
    assert_rejected(
        "EcsService",
        &spec,
        &["spec.placementConstraints[0].expression", "2000"],
    )
    .await;
}
rejects!(
    service_launch_type_and_capacity_providers,
    "EcsService",
    "{launchType: EC2, capacityProviderStrategy: [{capacityProvider: spot, weight: 1}]}",
    [
        "spec.capacityProviderStrategy",
        "launchType and capacityProviderStrategy cannot both be specified"
    ]
);
rejects!(
    service_daemon_with_placement_strategy,
    "EcsService",
    "{schedulingStrategy: DAEMON, placementStrategy: [{type: spread, field: instanceId}]}",
    [
        "spec.placementStrategy",
        "placementStrategy is not supported for services with the DAEMON scheduling strategy"
    ]
);
rejects!(
    service_capacity_provider_weight_over_1000,
    "EcsService",
    "{capacityProviderStrategy: [{capacityProvider: spot, weight: 2000}]}",
    [
        "spec.capacityProviderStrategy[0].weight",
        "less than or equal to 1000"
    ]
);
rejects!(
    service_circuit_breaker_without_rollback,
    "EcsService",
    "{deploymentConfiguration: {deploymentCircuitBreaker: {enable: true}}}",
    [
        "spec.deploymentConfiguration.deploymentCircuitBreaker.rollback",
        "Required value"
    ]
);
rejects!(
    service_unknown_field_with_strict_validation,
    "EcsService",
    "{desiredCnt: 3}",
    [".spec.desiredCnt", "field not declared in schema"]
);

// ---- TaskDefinition
rejects!(
    task_definition_without_containers,
    "TaskDefinition",
    "{family: web}",
    ["spec.containerDefinitions", "Required value"]
);
rejects!(
    task_definition_more_than_ten_containers,
    "TaskDefinition",
    "{containerDefinitions: [{name: c0, image: i}, {name: c1, image: i}, {name: c2, image: i}, {name: c3, image: i}, {name: c4, image: i}, {name: c5, image: i}, {name: c6, image: i}, {name: c7, image: i}, {name: c8, image: i}, {name: c9, image: i}, {name: c10, image: i}]}",
    ["spec.containerDefinitions", "must have at most 10 items"]
);
rejects!(
    task_definition_duplicate_container_names,
    "TaskDefinition",
    "{containerDefinitions: [{name: app, image: a}, {name: app, image: b}]}",
    [
        "spec.containerDefinitions",
        "container names must be unique within a task definition"
    ]
);
rejects!(
    task_definition_memory_reservation_not_below_memory,
    "TaskDefinition",
    "{containerDefinitions: [{name: app, image: a, memory: 256, memoryReservation: 512}]}",
    [
        "spec.containerDefinitions[0].memoryReservation",
        "memoryReservation must be less than memory"
    ]
);
rejects!(
    task_definition_unknown_network_mode,
    "TaskDefinition",
    "{networkMode: overlay, containerDefinitions: [{name: app, image: a, memory: 128}]}",
    ["spec.networkMode", "Unsupported value", "\"awsvpc\""]
);
rejects!(
    task_definition_family_with_space,
    "TaskDefinition",
    "{family: 'web app', containerDefinitions: [{name: app, image: a, memory: 128}]}",
    [
        "spec.family",
        "letters, numbers, hyphens (-) and underscores (_)"
    ]
);
rejects!(
    task_definition_container_without_image,
    "TaskDefinition",
    "{containerDefinitions: [{name: app, memory: 128}]}",
    ["spec.containerDefinitions[0].image", "Required value"]
);
rejects!(
    task_definition_health_check_interval_below_5,
    "TaskDefinition",
    "{containerDefinitions: [{name: app, image: a, healthCheck: {command: [CMD, 'true'], interval: 1}}]}",
    [
        "spec.containerDefinitions[0].healthCheck.interval",
        "greater than or equal to 5"
    ]
);
rejects!(
    task_definition_container_port_out_of_range,
    "TaskDefinition",
    "{containerDefinitions: [{name: app, image: a, portMappings: [{containerPort: 70000}]}]}",
    [
        "spec.containerDefinitions[0].portMappings[0].containerPort",
        "less than or equal to 65535"
    ]
);
rejects!(
    task_definition_unknown_compatibility,
    "TaskDefinition",
    "{requiresCompatibilities: [EC3], containerDefinitions: [{name: app, image: a}]}",
    ["spec.requiresCompatibilities[0]", "Unsupported value"]
);
rejects!(
    task_definition_unknown_container_field,
    "TaskDefinition",
    "{containerDefinitions: [{name: app, image: a, imagePullPolicy: Always}]}",
    [
        ".spec.containerDefinitions[0].imagePullPolicy",
        "field not declared in schema"
    ]
);
rejects!(
    task_definition_unknown_log_driver,
    "TaskDefinition",
    "{containerDefinitions: [{name: app, image: a, logConfiguration: {logDriver: stdout}}]}",
    [
        "spec.containerDefinitions[0].logConfiguration.logDriver",
        "Unsupported value"
    ]
);

// ---- EcsTask
rejects!(
    task_count_zero,
    "EcsTask",
    "{taskDefinition: web, count: 0}",
    ["spec.count", "greater than or equal to 1"]
);
rejects!(
    task_count_over_ten,
    "EcsTask",
    "{taskDefinition: web, count: 11}",
    ["spec.count", "less than or equal to 10"]
);
rejects!(
    task_without_task_definition,
    "EcsTask",
    "{count: 1}",
    ["spec.taskDefinition", "Required value"]
);
rejects!(
    task_launch_type_and_capacity_providers,
    "EcsTask",
    "{taskDefinition: web, launchType: EC2, capacityProviderStrategy: [{capacityProvider: spot}]}",
    [
        "spec.capacityProviderStrategy",
        "launchType and capacityProviderStrategy cannot both be specified"
    ]
);

// ---- EcsCluster
rejects!(
    cluster_name_with_invalid_characters,
    "EcsCluster",
    "{clusterName: 'prod cluster'}",
    [
        "spec.clusterName",
        "letters, numbers, hyphens (-) and underscores (_)"
    ]
);
rejects!(
    cluster_capacity_provider_negative_base,
    "EcsCluster",
    "{defaultCapacityProviderStrategy: [{capacityProvider: spot, base: -1}]}",
    [
        "spec.defaultCapacityProviderStrategy[0].base",
        "greater than or equal to 0"
    ]
);

/// A valid TaskDefinition is admitted in the same namespace: the rules above reject what
/// is wrong, not everything.
#[tokio::test]
async fn valid_task_definition_is_admitted() {
    let ns = namespace().await;
    let manifest = serde_json::json!({
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "TaskDefinition",
        "metadata": {"name": "valid"},
        "spec": yaml_documents(TD_OK).remove(0),
    });
    ns.apply(&manifest)
        .await
        .expect("a valid TaskDefinition is admitted");
}
