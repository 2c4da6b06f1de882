//! `helm lint` and `helm template`: what the chart renders for the main value choices, and
//! that values.schema.json refuses mistakes.

use serde_json::{Value, json};

use crate::chart::{dir, helm, helm_ok, of_kind, one, template};

fn container(objects: &[Value]) -> &Value {
    &one(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
}

fn args(objects: &[Value]) -> Vec<String> {
    container(objects)["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string arg").to_string())
        .collect()
}

#[test]
fn lint_is_clean_in_strict_mode() {
    let chart = dir();
    let chart = chart.to_str().expect("utf-8 path");
    helm_ok(&["lint", "--strict", chart]);
    helm_ok(&[
        "lint",
        "--strict",
        chart,
        "--set",
        "replicaCount=3,podDisruptionBudget.enabled=true,serviceMonitor.enabled=true,crds.install=false",
    ]);
}

#[test]
fn defaults_render_one_restricted_operator_without_leader_election() {
    let objects = template(&[]);
    let mut kinds: Vec<&str> = objects
        .iter()
        .map(|o| o["kind"].as_str().expect("kind"))
        .collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "ClusterRole",
            "ClusterRoleBinding",
            "CustomResourceDefinition",
            "Deployment",
            "Service",
            "ServiceAccount"
        ],
        "no Role/PDB/ServiceMonitor by default"
    );
    let deployment = one(&objects, "Deployment");
    assert_eq!(deployment["spec"]["replicas"], 1);
    assert_eq!(
        deployment["spec"]["strategy"]["type"], "Recreate",
        "one replica without a Lease must never overlap with its successor"
    );
    let args = args(&objects);
    assert!(
        !args.iter().any(|a| a.starts_with("--leader-elect")),
        "{args:?}"
    );
    for expected in [
        "run",
        "--metrics-bind-address=0.0.0.0:8080",
        "--health-probe-bind-address=0.0.0.0:8081",
        "--log-format=json",
    ] {
        assert!(args.iter().any(|a| a == expected), "{expected} in {args:?}");
    }

    // The restricted Pod Security Standard, probes on the health port, resources.
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let c = container(&objects);
    let sc = &c["securityContext"];
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["livenessProbe"]["httpGet"]["port"], "health");
    assert!(c["resources"]["requests"]["memory"].is_string());
    assert!(c["resources"]["limits"]["memory"].is_string());
    let env: Vec<&str> = c["env"]
        .as_array()
        .expect("env")
        .iter()
        .map(|e| e["name"].as_str().expect("name"))
        .collect();
    assert!(
        env.contains(&"POD_NAME") && env.contains(&"POD_NAMESPACE"),
        "{env:?}"
    );

    // The metrics Service targets the named metrics port of the operator's pods.
    let service = one(&objects, "Service");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "metrics");
    assert_eq!(
        service["spec"]["selector"],
        deployment["spec"]["selector"]["matchLabels"]
    );
}

#[test]
fn more_than_one_replica_turns_leader_election_on() {
    let objects = template(&["replicaCount=2", "podDisruptionBudget.enabled=true"]);
    let rendered = args(&objects);
    for expected in [
        "--leader-elect",
        "--leader-election-namespace=ecs-system",
        "--leader-election-id=ecs-operator",
    ] {
        assert!(
            rendered.iter().any(|a| a == expected),
            "{expected} in {rendered:?}"
        );
    }
    assert_eq!(
        one(&objects, "Deployment")["spec"]["strategy"]["type"],
        "RollingUpdate"
    );
    let role = one(&objects, "Role");
    assert_eq!(role["metadata"]["namespace"], "ecs-system");
    assert!(
        role["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .all(|r| r["apiGroups"] == json!(["coordination.k8s.io"])
                && r["resources"] == json!(["leases"])),
        "the Role grants Leases only: {role}"
    );
    assert_eq!(
        one(&objects, "RoleBinding")["roleRef"]["name"],
        role["metadata"]["name"]
    );
    assert_eq!(
        one(&objects, "PodDisruptionBudget")["spec"]["maxUnavailable"],
        1
    );

    // Asked for explicitly with one replica, in another namespace.
    let objects = template(&[
        "leaderElection.enabled=true",
        "leaderElection.namespace=locks",
    ]);
    assert!(args(&objects).contains(&"--leader-election-namespace=locks".to_string()));
    assert_eq!(one(&objects, "Role")["metadata"]["namespace"], "locks");
}

#[test]
fn service_monitor_renders_only_where_prometheus_operator_exists() {
    assert!(
        of_kind(
            &template(&["serviceMonitor.enabled=true"]),
            "ServiceMonitor"
        )
        .is_empty()
    );
    let chart = dir();
    let out = helm_ok(&[
        "template",
        "ecs-operator",
        chart.to_str().expect("utf-8 path"),
        "--set",
        "serviceMonitor.enabled=true",
        "--api-versions",
        "monitoring.coreos.com/v1/ServiceMonitor",
    ]);
    let objects = crate::support::yaml_documents(&out);
    let monitor = one(&objects, "ServiceMonitor");
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "metrics");
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
}

#[test]
fn rbac_and_service_account_can_be_brought_by_the_user() {
    let objects = template(&[
        "rbac.create=false",
        "serviceAccount.create=false",
        "serviceAccount.name=ops",
    ]);
    for kind in [
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "ServiceAccount",
    ] {
        assert!(of_kind(&objects, kind).is_empty(), "{kind} rendered");
    }
    assert_eq!(
        one(&objects, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"],
        "ops"
    );
}

#[test]
fn the_values_schema_refuses_typos_and_privilege() {
    let chart = dir();
    let chart = chart.to_str().expect("utf-8 path");
    for (set, complaint) in [
        ("replicaCont=2", "replicaCont"),
        ("image.pullPolicy=Sometimes", "pullPolicy"),
        ("securityContext.privileged=true", "privileged"),
        ("metrics.port=70000", "port"),
        ("logging.format=xml", "format"),
        ("crds.install=maybe", "install"),
    ] {
        let out = helm(&["template", "x", chart, "--set", set]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "--set {set} was accepted");
        assert!(stderr.contains(complaint), "--set {set}: {stderr}");
    }
}
