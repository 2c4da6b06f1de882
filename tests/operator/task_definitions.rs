//! The TaskDefinition controller on a real API server: revisions are registered on every
//! spec change, never reused, and survive the TaskDefinition object.

use std::time::Duration;

use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::api::{Api, DeleteParams, ListParams};
use serde_json::json;

use crate::support::{TestNamespace, ensure_operator, wait_for_object};

const TD: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata: {name: web}
spec:
  family: web
  containerDefinitions: [{name: web, image: "nginx:1.27", memory: 256}]
"#;

fn revision_is(n: i64) -> impl Fn(&kube::api::DynamicObject) -> bool {
    move |o| {
        o.data["status"]["revision"] == json!(n)
            && o.data["status"]["observedGeneration"] == json!(o.metadata.generation)
    }
}

async fn revision_numbers(ns: &TestNamespace) -> Vec<i64> {
    let api: Api<ControllerRevision> = Api::namespaced(ns.client.clone(), &ns.name);
    let mut numbers: Vec<i64> = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .iter()
        .map(|r| r.revision)
        .collect();
    numbers.sort();
    numbers
}

#[tokio::test]
async fn every_spec_change_registers_the_next_revision() {
    ensure_operator().await;
    let ns = TestNamespace::new("td-revisions").await;
    let api = ns.api_for("TaskDefinition");
    ns.apply_yaml(TD).await.expect("apply");
    let td = wait_for_object(&api, "web", Duration::from_secs(20), revision_is(1))
        .await
        .unwrap();
    assert_eq!(
        td.data["status"]["taskDefinitionArn"],
        "arn:aws:ecs:local:000000000000:task-definition/web:1"
    );
    assert_eq!(td.data["status"]["status"], "ACTIVE");

    // Re-applying the same spec registers nothing.
    ns.apply_yaml(TD).await.expect("re-apply");
    // A change registers revision 2; revision 1 stays, immutable.
    ns.apply_yaml(&TD.replace("nginx:1.27", "nginx:1.28"))
        .await
        .expect("edit");
    wait_for_object(&api, "web", Duration::from_secs(20), revision_is(2))
        .await
        .unwrap();
    assert_eq!(revision_numbers(&ns).await, [1, 2]);

    // Deleting the TaskDefinition keeps its revisions; re-creating the family continues at 3.
    api.delete("web", &DeleteParams::default())
        .await
        .expect("delete");
    let gone = crate::support::poll_until(Duration::from_secs(20), || async {
        api.get_opt("web").await.ok().flatten().is_none()
    })
    .await;
    assert!(gone, "TaskDefinition deleted");
    assert_eq!(
        revision_numbers(&ns).await,
        [1, 2],
        "revisions outlive their TaskDefinition"
    );
    ns.apply_yaml(&TD.replace("nginx:1.27", "nginx:1.29"))
        .await
        .expect("re-create");
    wait_for_object(&api, "web", Duration::from_secs(20), revision_is(3))
        .await
        .unwrap();
    assert_eq!(
        revision_numbers(&ns).await,
        [1, 2, 3],
        "numbers are never reused"
    );
    ns.cleanup().await;
}

#[tokio::test]
async fn a_second_object_for_the_same_family_is_refused() {
    ensure_operator().await;
    let ns = TestNamespace::new("td-conflict").await;
    let api = ns.api_for("TaskDefinition");
    ns.apply_yaml(TD).await.expect("apply first");
    wait_for_object(&api, "web", Duration::from_secs(20), revision_is(1))
        .await
        .unwrap();
    ns.apply_yaml(&TD.replace("name: web}", "name: web-copy}"))
        .await
        .expect("apply second");
    let copy = wait_for_object(&api, "web-copy", Duration::from_secs(20), |o| {
        o.data["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter().any(|c| {
                c["type"] == "Accepted" && c["status"] == "False" && c["reason"] == "FamilyConflict"
            })
        })
    })
    .await
    .unwrap();
    assert!(
        copy.data["status"]["revision"].is_null(),
        "nothing registered for the copy"
    );
    assert_eq!(revision_numbers(&ns).await, [1]);
    ns.cleanup().await;
}

/// Semantic rules CEL cannot express are checked by the controller: `Accepted=False` with
/// the field named, an Event, and no revision (so nothing invalid reaches a Pod).
#[tokio::test]
async fn semantically_invalid_definitions_are_not_registered() {
    ensure_operator().await;
    let ns = TestNamespace::new("td-invalid").await;
    let api = ns.api_for("TaskDefinition");
    let cases = [
        (
            "missing-dependency",
            "containerDefinitions: [{name: app, image: a, memory: 128, dependsOn: [{containerName: ghost, condition: START}]}]",
            "dependsOn",
        ),
        (
            "missing-volume",
            "containerDefinitions: [{name: app, image: a, memory: 128, mountPoints: [{sourceVolume: data, containerPath: /data}]}]",
            "mountPoints",
        ),
        (
            "links-in-awsvpc",
            "networkMode: awsvpc\n  containerDefinitions: [{name: app, image: a, memory: 128, links: [db]}]",
            "links",
        ),
        (
            "complete-on-essential",
            "containerDefinitions: [{name: init, image: a, memory: 64, essential: true}, {name: app, image: a, memory: 64, dependsOn: [{containerName: init, condition: COMPLETE}]}]",
            "dependsOn",
        ),
        (
            "fargate-bad-size",
            "requiresCompatibilities: [FARGATE]\n  networkMode: awsvpc\n  cpu: \"256\"\n  memory: \"4096\"\n  containerDefinitions: [{name: app, image: a}]",
            "memory",
        ),
        (
            "duplicate-host-port",
            "networkMode: bridge\n  containerDefinitions: [{name: a, image: a, memory: 64, portMappings: [{containerPort: 80, hostPort: 8080}]}, {name: b, image: b, memory: 64, portMappings: [{containerPort: 81, hostPort: 8080}]}]",
            "hostPort",
        ),
    ];
    for (name, spec, field) in cases {
        let yaml = format!(
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: {name}}}\nspec:\n  {spec}\n"
        );
        ns.apply_yaml(&yaml)
            .await
            .unwrap_or_else(|e| panic!("{name} admitted by the schema: {e}"));
        let td = wait_for_object(&api, name, Duration::from_secs(20), |o| {
            o.data["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Accepted" && c["status"] == "False")
            })
        })
        .await
        .unwrap();
        let accepted = td.data["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "Accepted")
            .unwrap()
            .clone();
        let message = accepted["message"].as_str().unwrap_or_default();
        assert_eq!(accepted["reason"], "Invalid", "{name}: {message}");
        assert!(
            message.contains("spec.") && message.contains(field),
            "{name}: message must name the field {field}: {message}"
        );
        assert!(
            td.data["status"]["revision"].is_null(),
            "{name}: no revision registered"
        );
    }
    assert!(
        revision_numbers(&ns).await.is_empty(),
        "no revision for any invalid definition"
    );
    ns.cleanup().await;
}
