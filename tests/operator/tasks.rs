//! EcsTask (RunTask) on a real control plane: placement with failures, overrides in the
//! Pods, essential and non-essential container exits, and stop on request.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use crate::support::{TestCluster, TestNamespace, ensure_operator, wait_for_object};

const WAIT: Duration = Duration::from_secs(60);

fn manifests(cluster: &str, run_spec: &str) -> String {
    format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata: {{name: job}}
spec:
  family: job
  networkMode: bridge
  containerDefinitions:
    - {{name: main, image: "busybox:1.36", cpu: 128, memory: 128, command: [sh, -c, "sleep 3600"]}}
    - {{name: helper, image: "busybox:1.36", cpu: 64, memory: 64, essential: false}}
---
apiVersion: ecs.operator.dev/v1alpha1
kind: EcsTask
metadata: {{name: run}}
spec:
  cluster: {cluster}
  taskDefinition: "job:1"
{run_spec}
"#
    )
}

fn container_exit(name: &str, code: i32) -> serde_json::Value {
    json!({"name": name, "image": "busybox:1.36", "imageID": "", "ready": false, "restartCount": 0,
           "state": {"terminated": {"exitCode": code, "reason": "Error"}}})
}

fn container_running(name: &str) -> serde_json::Value {
    json!({"name": name, "image": "busybox:1.36", "imageID": "", "ready": true, "restartCount": 0,
           "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}})
}

/// Makes containers of a task Pod exit, as a kubelet would report it.
async fn report_containers(ns: &TestNamespace, pod: &str, statuses: serde_json::Value) {
    let api: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    api.patch_status(
        pod,
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"containerStatuses": statuses}})),
    )
    .await
    .expect("patch pod status");
}

#[tokio::test]
async fn run_task_places_what_fits_and_reports_the_rest_as_failures() {
    ensure_operator().await;
    let ns = TestNamespace::new("run-distinct").await;
    let cluster = TestCluster::new(&ns, 3).await;
    let spec = "  count: 5\n  placementConstraints: [{type: distinctInstance}]\n  overrides:\n    containerOverrides: [{name: main, command: [sh, -c, \"echo overridden\"], environment: [{name: MODE, value: fast}]}]";
    ns.apply_yaml(&manifests(&cluster.name, spec))
        .await
        .expect("apply");
    let run = wait_for_object(&ns.api_for("EcsTask"), "run", WAIT, |o| {
        o.data["status"]["tasks"]
            .as_array()
            .is_some_and(|t| t.len() == 3)
            && o.data["status"]["failures"]
                .as_array()
                .is_some_and(|f| f.len() == 2)
    })
    .await
    .unwrap();
    for f in run.data["status"]["failures"].as_array().unwrap() {
        assert_eq!(
            f["reason"], "DistinctInstance placement constraint unsatisfied",
            "{f}"
        );
    }
    let pods: Vec<Pod> = Api::<Pod>::namespaced(ns.client.clone(), &ns.name)
        .list(&kube::api::ListParams::default().labels("ecs.operator.dev/ecs-task=run"))
        .await
        .unwrap()
        .items;
    assert_eq!(pods.len(), 3);
    let mut nodes: Vec<_> = pods
        .iter()
        .map(|p| p.spec.as_ref().unwrap().node_name.clone().unwrap())
        .collect();
    nodes.sort();
    nodes.dedup();
    assert_eq!(nodes.len(), 3, "one task per instance");
    for p in &pods {
        let main = p
            .spec
            .as_ref()
            .unwrap()
            .containers
            .iter()
            .find(|c| c.name == "main")
            .expect("main container");
        let argv: Vec<String> = main
            .command
            .iter()
            .flatten()
            .chain(main.args.iter().flatten())
            .cloned()
            .collect();
        assert!(
            argv.iter().any(|a| a == "echo overridden"),
            "command override in the Pod: {argv:?}"
        );
        let env = main.env.as_ref().expect("env");
        assert!(
            env.iter()
                .any(|e| e.name == "MODE" && e.value.as_deref() == Some("fast")),
            "env override in the Pod"
        );
        assert_eq!(
            p.spec.as_ref().unwrap().restart_policy.as_deref(),
            Some("Never")
        );
    }
    ns.cleanup().await;
    cluster.cleanup().await;
}

#[tokio::test]
async fn essential_exit_stops_the_task_and_a_non_essential_exit_does_not() {
    ensure_operator().await;
    let ns = TestNamespace::new("run-exit").await;
    let cluster = TestCluster::new(&ns, 3).await;
    ns.apply_yaml(&manifests(&cluster.name, "  count: 1"))
        .await
        .expect("apply");
    let runs = ns.api_for("EcsTask");
    wait_for_object(&runs, "run", WAIT, |o| {
        o.data["status"]["tasks"][0]["lastStatus"] == "RUNNING"
    })
    .await
    .unwrap();

    // The non-essential helper exits: the task keeps running.
    report_containers(
        &ns,
        "run-0",
        json!([container_running("main"), container_exit("helper", 1)]),
    )
    .await;
    let run = wait_for_object(&runs, "run", WAIT, |o| {
        o.data["status"]["tasks"][0]["containers"]
            .as_array()
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["name"] == "helper" && c["exitCode"] == 1)
            })
    })
    .await
    .unwrap();
    assert_eq!(run.data["status"]["tasks"][0]["lastStatus"], "RUNNING");

    // The essential container exits: the task stops, with the ECS stop code and exit codes,
    // and its Pod is deleted after the record is written.
    report_containers(
        &ns,
        "run-0",
        json!([container_exit("main", 137), container_exit("helper", 1)]),
    )
    .await;
    let run = wait_for_object(&runs, "run", WAIT, |o| {
        o.data["status"]["tasks"][0]["lastStatus"] == "STOPPED"
    })
    .await
    .unwrap();
    let task = &run.data["status"]["tasks"][0];
    assert_eq!(task["stopCode"], "EssentialContainerExited");
    assert_eq!(task["stoppedReason"], "Essential container in task exited");
    let main = task["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "main")
        .unwrap();
    assert_eq!(main["exitCode"], 137);
    let pods: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    let gone = crate::support::poll_until(WAIT, || async {
        pods.get_opt("run-0")
            .await
            .ok()
            .flatten()
            .is_none_or(|p| p.metadata.deletion_timestamp.is_some())
    })
    .await;
    assert!(gone, "the stopped task's Pod is deleted");
    // Standalone tasks are never replaced.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let left = pods
        .list(&kube::api::ListParams::default())
        .await
        .unwrap()
        .items;
    assert!(
        left.iter().all(|p| p.metadata.deletion_timestamp.is_some()),
        "no replacement task"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

#[tokio::test]
async fn desired_status_stopped_stops_the_tasks_and_keeps_the_record() {
    ensure_operator().await;
    let ns = TestNamespace::new("run-stop").await;
    let cluster = TestCluster::new(&ns, 3).await;
    ns.apply_yaml(&manifests(&cluster.name, "  count: 2"))
        .await
        .expect("apply");
    let runs = ns.api_for("EcsTask");
    wait_for_object(&runs, "run", WAIT, |o| {
        o.data["status"]["tasks"]
            .as_array()
            .is_some_and(|t| t.len() == 2 && t.iter().all(|x| x["lastStatus"] == "RUNNING"))
    })
    .await
    .unwrap();
    runs.patch(
        "run",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"desiredStatus": "STOPPED"}})),
    )
    .await
    .expect("stop");
    let run = wait_for_object(&runs, "run", WAIT, |o| {
        o.data["status"]["tasks"]
            .as_array()
            .is_some_and(|t| t.len() == 2 && t.iter().all(|x| x["lastStatus"] == "STOPPED"))
    })
    .await
    .unwrap();
    for t in run.data["status"]["tasks"].as_array().unwrap() {
        assert_eq!(t["stopCode"], "UserInitiated");
    }
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// A task whose Pod someone deletes is recorded as stopped (ECS keeps stopped tasks) and,
/// being standalone, is not replaced.
#[tokio::test]
async fn a_deleted_task_pod_is_recorded_as_stopped() {
    ensure_operator().await;
    let ns = TestNamespace::new("run-pod-deleted").await;
    let cluster = TestCluster::new(&ns, 1).await;
    ns.apply_yaml(&manifests(&cluster.name, "  count: 1"))
        .await
        .expect("apply");
    let runs = ns.api_for("EcsTask");
    let run = wait_for_object(&runs, "run", WAIT, |o| {
        o.data["status"]["tasks"][0]["lastStatus"] == "RUNNING"
    })
    .await
    .unwrap();
    let pod_name = run.data["status"]["tasks"][0]["podName"]
        .as_str()
        .expect("podName")
        .to_string();
    let pods: Api<Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    pods.delete(&pod_name, &kube::api::DeleteParams::default())
        .await
        .expect("delete the task Pod");
    let run = wait_for_object(&runs, "run", WAIT, |o| {
        o.data["status"]["tasks"][0]["lastStatus"] == "STOPPED"
    })
    .await
    .unwrap();
    let tasks = run.data["status"]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 1, "the record is kept, no second task");
    assert_eq!(tasks[0]["stopCode"], "UserInitiated");
    assert_eq!(tasks[0]["stoppedReason"], "Task Pod was deleted");
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// The Pod of a task is what docs/task-definition-mapping.md promises: resources in
/// Kubernetes units, a dynamic host port from the ECS range, the health check as an exec
/// readiness probe with ECS defaults, dependsOn as init containers / native sidecars.
#[tokio::test]
async fn the_task_pod_follows_the_mapping() {
    ensure_operator().await;
    let ns = TestNamespace::new("run-mapping").await;
    let cluster = TestCluster::new(&ns, 3).await;
    let yaml = format!(
        r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata: {{name: app}}
spec:
  networkMode: bridge
  containerDefinitions:
    - name: migrate
      image: busybox:1.36
      essential: false
      memory: 64
    - name: proxy
      image: envoy:1.30
      essential: false
      memory: 128
      healthCheck: {{command: [CMD-SHELL, "curl -f localhost:9901/ready"]}}
    - name: web
      image: nginx:1.27
      cpu: 256
      memory: 512
      memoryReservation: 256
      portMappings: [{{containerPort: 80, hostPort: 0}}]
      healthCheck: {{command: [CMD, /bin/check]}}
      dependsOn:
        - {{containerName: migrate, condition: SUCCESS}}
        - {{containerName: proxy, condition: HEALTHY}}
---
apiVersion: ecs.operator.dev/v1alpha1
kind: EcsTask
metadata: {{name: run}}
spec: {{cluster: {cluster}, taskDefinition: app}}
"#,
        cluster = cluster.name
    );
    ns.apply_yaml(&yaml).await.expect("apply");
    wait_for_object(&ns.api_for("EcsTask"), "run", WAIT, |o| {
        o.data["status"]["tasks"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    })
    .await
    .unwrap();
    let pod = Api::<Pod>::namespaced(ns.client.clone(), &ns.name)
        .get("run-0")
        .await
        .expect("task pod");
    let spec = pod.spec.expect("spec");
    assert_eq!(spec.restart_policy.as_deref(), Some("Never"));
    let web = spec
        .containers
        .iter()
        .find(|c| c.name == "web")
        .expect("web container");
    let res = web.resources.as_ref().expect("resources");
    assert_eq!(
        res.requests.as_ref().unwrap()["cpu"].0,
        "250m",
        "256 cpu units = 250m"
    );
    assert_eq!(
        res.requests.as_ref().unwrap()["memory"].0,
        "256Mi",
        "memoryReservation is the request"
    );
    assert_eq!(
        res.limits.as_ref().unwrap()["memory"].0,
        "512Mi",
        "memory is the limit"
    );
    let port = &web.ports.as_ref().unwrap()[0];
    assert_eq!(port.container_port, 80);
    let host = port.host_port.expect("dynamic host port assigned");
    assert!(
        (49153..=65535).contains(&host),
        "host port {host} from the ECS ephemeral range"
    );
    let run = wait_for_object(&ns.api_for("EcsTask"), "run", WAIT, |o| {
        o.data["status"]["tasks"][0]["containers"]
            .to_string()
            .contains("networkBindings")
    })
    .await
    .unwrap();
    let bindings = run.data["status"]["tasks"][0]["containers"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == "web"))
        .map(|c| c["networkBindings"].clone())
        .unwrap_or_default();
    assert_eq!(
        bindings[0]["hostPort"], host,
        "networkBindings report the assigned host port: {bindings}"
    );
    assert_eq!(bindings[0]["containerPort"], 80);
    let probe = web
        .readiness_probe
        .as_ref()
        .expect("health check as readiness probe");
    assert_eq!(
        probe.exec.as_ref().unwrap().command.as_ref().unwrap(),
        &["/bin/check".to_string()]
    );
    assert_eq!(
        (
            probe.period_seconds,
            probe.timeout_seconds,
            probe.failure_threshold
        ),
        (Some(30), Some(5), Some(3))
    );
    assert!(
        web.liveness_probe.is_none(),
        "ECS health checks never restart a container"
    );
    let init = spec.init_containers.as_ref().expect("init containers");
    let names: Vec<&str> = init.iter().map(|c| c.name.as_str()).collect();
    assert!(
        names.contains(&"migrate") && names.contains(&"proxy"),
        "{names:?}"
    );
    let migrate = init.iter().find(|c| c.name == "migrate").unwrap();
    assert_eq!(
        migrate.restart_policy, None,
        "SUCCESS: a plain init container"
    );
    let proxy = init.iter().find(|c| c.name == "proxy").unwrap();
    assert_eq!(
        proxy.restart_policy.as_deref(),
        Some("Always"),
        "HEALTHY: a native sidecar"
    );
    assert!(
        proxy.startup_probe.is_some(),
        "HEALTHY waits on the sidecar's health check"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}

/// A pinned `family:1` keeps resolving to revision 1 after the definition changes.
#[tokio::test]
async fn a_pinned_revision_resolves_after_the_definition_changes() {
    ensure_operator().await;
    let ns = TestNamespace::new("run-pinned").await;
    let cluster = TestCluster::new(&ns, 3).await;
    let td = "apiVersion: ecs.operator.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {name: job}\nspec:\n  containerDefinitions: [{name: main, image: \"busybox:1.35\", memory: 64}]\n";
    ns.apply_yaml(td).await.expect("td");
    let tds = ns.api_for("TaskDefinition");
    wait_for_object(&tds, "job", WAIT, |o| o.data["status"]["revision"] == 1)
        .await
        .unwrap();
    ns.apply_yaml(&td.replace("busybox:1.35", "busybox:1.36"))
        .await
        .expect("edit");
    wait_for_object(&tds, "job", WAIT, |o| o.data["status"]["revision"] == 2)
        .await
        .unwrap();
    let run = format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: EcsTask\nmetadata: {{name: old}}\nspec: {{cluster: {}, taskDefinition: \"job:1\"}}\n",
        cluster.name
    );
    ns.apply_yaml(&run).await.expect("run");
    let done = wait_for_object(&ns.api_for("EcsTask"), "old", WAIT, |o| {
        o.data["status"]["tasks"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    })
    .await
    .unwrap();
    assert!(
        done.data["status"]["tasks"][0]["taskDefinitionArn"]
            .as_str()
            .unwrap()
            .ends_with("task-definition/job:1")
    );
    let pod = Api::<Pod>::namespaced(ns.client.clone(), &ns.name)
        .get("old-0")
        .await
        .expect("pod");
    assert_eq!(
        pod.spec.unwrap().containers[0].image.as_deref(),
        Some("busybox:1.35"),
        "revision 1's image"
    );
    ns.cleanup().await;
    cluster.cleanup().await;
}
