//! What the chart's ServiceAccount may and may not do, asked of the real API server.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod, Secret};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

/// Panics unless `result` is the API server's 403 Forbidden.
fn assert_forbidden<T: std::fmt::Debug>(what: &str, result: Result<T, kube::Error>) {
    match result {
        Err(kube::Error::Api(e)) if e.code == 403 => {}
        other => panic!("{what}: expected 403 Forbidden, got {other:?}"),
    }
}

/// Requests the operator has no business making are denied to its ServiceAccount.
pub async fn assert_denied(sa: &Client, namespace: &str, node: &str) {
    let secrets: Api<Secret> = Api::namespaced(sa.clone(), namespace);
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "stolen"}, "stringData": {"k": "v"}
    }))
    .expect("secret");
    assert_forbidden(
        "create a Secret",
        secrets.create(&PostParams::default(), &secret).await,
    );
    assert_forbidden("get a Secret", secrets.get("anything").await);
    assert_forbidden(
        "list Secrets in a namespace",
        secrets.list(&ListParams::default()).await,
    );
    assert_forbidden(
        "list Secrets cluster-wide",
        Api::<Secret>::all(sa.clone())
            .list(&ListParams::default())
            .await,
    );

    let nodes: Api<Node> = Api::all(sa.clone());
    assert_forbidden(
        "delete a Node",
        nodes.delete(node, &DeleteParams::default()).await,
    );
    assert_forbidden(
        "label a Node",
        nodes
            .patch(
                node,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
            )
            .await,
    );
    assert_forbidden(
        "cordon a Node",
        nodes
            .patch(
                node,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"unschedulable": true}})),
            )
            .await,
    );
    let new_node: Node =
        serde_json::from_value(json!({"metadata": {"name": "rogue"}})).expect("node");
    assert_forbidden(
        "create a Node",
        nodes.create(&PostParams::default(), &new_node).await,
    );

    // No privilege escalation through RBAC objects, no CRD management.
    let role: ClusterRole = serde_json::from_value(json!({
        "metadata": {"name": "ecs-operator-escalation"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
    }))
    .expect("cluster role");
    assert_forbidden(
        "create a ClusterRole",
        Api::<ClusterRole>::all(sa.clone())
            .create(&PostParams::default(), &role)
            .await,
    );
    let binding: ClusterRoleBinding = serde_json::from_value(json!({
        "metadata": {"name": "ecs-operator-escalation"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "Group", "name": "system:serviceaccounts", "apiGroup": "rbac.authorization.k8s.io"}]
    }))
    .expect("binding");
    assert_forbidden(
        "bind cluster-admin",
        Api::<ClusterRoleBinding>::all(sa.clone())
            .create(&PostParams::default(), &binding)
            .await,
    );
    assert_forbidden(
        "patch a CRD",
        Api::<CustomResourceDefinition>::all(sa.clone())
            .patch(
                "ecsservices.ecs.operator.dev",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
            )
            .await,
    );

    // Workloads other than task Pods, and running commands in pods.
    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "rogue"},
        "spec": {"selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}},
                              "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
    }))
    .expect("deployment");
    assert_forbidden(
        "create a Deployment",
        Api::<Deployment>::namespaced(sa.clone(), namespace)
            .create(&PostParams::default(), &deployment)
            .await,
    );
    let pods: Api<Pod> = Api::namespaced(sa.clone(), namespace);
    assert_forbidden(
        "patch a Pod",
        pods.patch(
            "anything",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await,
    );

    // Users own the custom resources; the operator writes their status and finalizers only.
    let services = Api::<kube::api::DynamicObject>::namespaced_with(
        sa.clone(),
        namespace,
        &crate::support::api_resource("EcsService"),
    );
    assert_forbidden(
        "delete an EcsService",
        services.delete("anything", &DeleteParams::default()).await,
    );
    let td = crate::support::api_resource("TaskDefinition");
    let manifest: kube::api::DynamicObject = serde_json::from_value(json!({
        "apiVersion": "ecs.operator.dev/v1alpha1", "kind": "TaskDefinition",
        "metadata": {"name": "rogue"},
        "spec": {"containerDefinitions": [{"name": "c", "image": "busybox", "memory": 64}]}
    }))
    .expect("task definition");
    assert_forbidden(
        "create a TaskDefinition",
        Api::<kube::api::DynamicObject>::namespaced_with(sa.clone(), namespace, &td)
            .create(&PostParams::default(), &manifest)
            .await,
    );

    // Leases outside the leader-election namespace.
    assert_forbidden(
        "create a Lease in another namespace",
        Api::<Lease>::namespaced(sa.clone(), namespace)
            .create(&PostParams::default(), &lease("ecs-operator"))
            .await,
    );
}

fn lease(name: &str) -> Lease {
    serde_json::from_value(json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": name},
        "spec": {"holderIdentity": "test", "leaseDurationSeconds": 15}
    }))
    .expect("lease")
}

/// The leader-election Role lets the ServiceAccount do what an elector does with its Lease
/// (create, get, server-side-apply renewals) — and nothing with other Leases.
pub async fn assert_lease_access(sa: &Client, namespace: &str, lease_name: &str) {
    let leases: Api<Lease> = Api::namespaced(sa.clone(), namespace);
    leases
        .create(&PostParams::default(), &lease(lease_name))
        .await
        .expect("create the Lease");
    leases.get(lease_name).await.expect("get the Lease");
    let renew = json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "spec": {"holderIdentity": "test", "renewTime": "2026-01-01T00:00:00.000000Z"}
    });
    leases
        .patch(
            lease_name,
            &PatchParams::apply("ecs-operator").force(),
            &Patch::Apply(&renew),
        )
        .await
        .expect("renew the Lease (server-side apply)");
    assert_forbidden("get another Lease", leases.get("someone-else").await);
    assert_forbidden("list Leases", leases.list(&ListParams::default()).await);
    assert_forbidden(
        "delete the Lease",
        leases.delete(lease_name, &DeleteParams::default()).await,
    );
}
