//! Shared helpers for the tests against the real kube-apiserver that `make test` starts
//! (hack/with-test-plane.sh exports ECS_TEST_KUBECONFIG). Each test works in its own
//! namespace, so tests run in parallel.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub mod invariants;

use std::time::Duration;

use ecs_operator::api::all_crds;
use k8s_openapi::api::core::v1::{Namespace, ResourceQuota, ServiceAccount};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::Value;
use tokio::sync::OnceCell;

/// The field manager of everything the tests apply.
pub const MANAGER: &str = "ecs-operator-tests";

/// A client for the test control plane. Fails loudly when run outside `make test`.
pub async fn client() -> Client {
    Client::try_from(config().await).expect("build a client")
}

/// The path of the test control plane's (admin) kubeconfig.
pub fn kubeconfig_path() -> String {
    std::env::var("ECS_TEST_KUBECONFIG").expect(
        "ECS_TEST_KUBECONFIG is not set: these tests need the real control plane that `make test` starts \
         (or run them as `hack/with-test-plane.sh cargo test --test operator`)",
    )
}

/// The client configuration of the test control plane (the admin identity).
pub async fn config() -> Config {
    let kubeconfig = Kubeconfig::read_from(kubeconfig_path()).expect("read the test kubeconfig");
    Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("load the test kubeconfig")
}

/// A client that acts as the ServiceAccount `namespace/name`: the admin identity (in
/// system:masters) impersonates it, so every request is authorized with exactly that
/// ServiceAccount's RBAC, as if the operator ran with its token.
pub async fn service_account_client(namespace: &str, name: &str) -> Client {
    let mut config = config().await;
    config.auth_info.impersonate = Some(format!("system:serviceaccount:{namespace}:{name}"));
    config.auth_info.impersonate_groups = Some(vec![
        "system:serviceaccounts".into(),
        format!("system:serviceaccounts:{namespace}"),
        "system:authenticated".into(),
    ]);
    Client::try_from(config).expect("build an impersonating client")
}

static CRDS: OnceCell<()> = OnceCell::const_new();

/// Installs (server-side applies) the four CRDs once per test process and waits until
/// each is Established.
pub async fn ensure_crds() {
    CRDS.get_or_init(|| async {
        let client = client().await;
        install_crds(&client).await;
    })
    .await;
}

/// Applies every CRD and waits for Established; returns their names.
pub async fn install_crds(client: &Client) -> Vec<String> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut names = Vec::new();
    for crd in all_crds() {
        let name = crd.metadata.name.clone().expect("CRD name");
        api.patch(
            &name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&crd),
        )
        .await
        .unwrap_or_else(|e| panic!("apply CRD {name}: {e}"));
        names.push(name);
    }
    for name in &names {
        let cond = kube::runtime::conditions::is_crd_established();
        tokio::time::timeout(
            Duration::from_secs(30),
            kube::runtime::wait::await_condition(api.clone(), name, cond),
        )
        .await
        .unwrap_or_else(|_| panic!("CRD {name} not Established within 30s"))
        .expect("watch CRD");
    }
    names
}

/// A namespace of one test. Deleted by `cleanup`; a failed test leaves it behind for
/// inspection (the whole control plane is thrown away after the run anyway).
pub struct TestNamespace {
    pub name: String,
    pub client: Client,
}

impl TestNamespace {
    /// Creates `<prefix>-<random>` and waits for its default ServiceAccount (made by
    /// kube-controller-manager; the ServiceAccount admission plugin needs it for Pods).
    pub async fn new(prefix: &str) -> Self {
        ensure_crds().await;
        let client = client().await;
        let name = format!("{prefix}-{:08x}", rand_suffix());
        let ns: Namespace = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}
        }))
        .expect("namespace object");
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("create namespace {name}: {e}"));
        let sa: Api<ServiceAccount> = Api::namespaced(client.clone(), &name);
        let found = poll_until(Duration::from_secs(30), || async {
            sa.get_opt("default").await.ok().flatten().is_some()
        })
        .await;
        assert!(
            found,
            "default ServiceAccount of {name} not created within 30s"
        );
        Self { name, client }
    }

    /// The dynamic API of a kind of ours in this namespace (cluster-scoped for EcsCluster).
    pub fn api_for(&self, kind: &str) -> Api<DynamicObject> {
        let ar = api_resource(kind);
        if kind == "EcsCluster" {
            Api::all_with(self.client.clone(), &ar)
        } else {
            Api::namespaced_with(self.client.clone(), &self.name, &ar)
        }
    }

    /// Server-side applies one manifest (a YAML document) with strict field validation,
    /// as `kubectl apply --server-side --validate=strict` does.
    pub async fn apply(&self, manifest: &Value) -> Result<DynamicObject, kube::Error> {
        let kind = manifest["kind"].as_str().expect("manifest kind");
        let name = manifest["metadata"]["name"]
            .as_str()
            .expect("manifest metadata.name");
        let params = PatchParams::apply(MANAGER).force().validation_strict();
        self.api_for(kind)
            .patch(name, &params, &Patch::Apply(manifest))
            .await
    }

    /// Applies every document of a YAML stream; returns the objects.
    pub async fn apply_yaml(&self, yaml: &str) -> Result<Vec<DynamicObject>, kube::Error> {
        let mut out = Vec::new();
        for doc in yaml_documents(yaml) {
            out.push(self.apply(&doc).await?);
        }
        Ok(out)
    }

    /// Caps the namespace at `pods` Pods with a ResourceQuota named `pods` and waits until the
    /// quota controller has counted the namespace (until then the apiserver refuses every
    /// Pod). Raising the cap takes effect once the controller copies it into the status.
    pub async fn limit_pods(&self, pods: usize) -> Api<ResourceQuota> {
        let quotas: Api<ResourceQuota> = Api::namespaced(self.client.clone(), &self.name);
        let quota = serde_json::json!({
            "apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": "pods"},
            "spec": {"hard": {"pods": pods.to_string()}}
        });
        quotas
            .patch(
                "pods",
                &PatchParams::apply(MANAGER).force(),
                &Patch::Apply(quota),
            )
            .await
            .expect("apply the pod quota");
        let counted = poll_until(Duration::from_secs(30), || async {
            quotas
                .get("pods")
                .await
                .ok()
                .and_then(|q| q.status?.hard)
                .is_some_and(|h| h.contains_key("pods"))
        })
        .await;
        assert!(counted, "the quota controller did not count {}", self.name);
        quotas
    }

    pub async fn cleanup(self) {
        let _ = Api::<Namespace>::all(self.client.clone())
            .delete(&self.name, &DeleteParams::background())
            .await;
    }
}

/// Parses a YAML stream into JSON values, skipping empty documents.
pub fn yaml_documents(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(yaml)
        .expect("valid YAML")
        .into_iter()
        .filter(|v| !v.is_null())
        .collect()
}

/// The ApiResource of one of our kinds.
pub fn api_resource(kind: &str) -> ApiResource {
    let plural = match kind {
        "EcsCluster" => "ecsclusters",
        "TaskDefinition" => "taskdefinitions",
        "EcsService" => "ecsservices",
        "EcsTask" => "ecstasks",
        other => panic!("not a kind of ours: {other}"),
    };
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("ecs.operator.dev", "v1alpha1", kind),
        plural,
    )
}

/// Polls `check` every 100 ms until it returns true or `deadline` passes.
pub async fn poll_until<F, Fut>(deadline: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = tokio::time::Instant::now();
    loop {
        if check().await {
            return true;
        }
        if start.elapsed() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish() as u32
}

static OPERATOR: std::sync::OnceLock<()> = std::sync::OnceLock::new();

/// Starts the operator (all controllers) once per test process, in-process on its own
/// thread and runtime, against the test control plane. Tests share it: each works in its
/// own namespace.
pub async fn ensure_operator() {
    ensure_crds().await;
    OPERATOR.get_or_init(|| {
        std::thread::Builder::new()
            .name("ecs-operator".into())
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("operator runtime");
                // ECS_TEST_LOG=<file> writes the operator's logs there (debugging aid).
                let log = std::env::var("ECS_TEST_LOG")
                    .ok()
                    .and_then(|p| std::fs::File::create(p).ok());
                if let Some(file) = log {
                    let _ = tracing_subscriber::fmt()
                        .with_env_filter(tracing_subscriber::EnvFilter::new(
                            "info,ecs_operator=debug",
                        ))
                        .with_writer(std::sync::Mutex::new(file))
                        .with_ansi(false)
                        .try_init();
                }
                runtime.block_on(async {
                    let client = client().await;
                    let config = test_operator_config();
                    if let Err(e) = ecs_operator::controllers::run(client, config).await {
                        panic!("operator stopped: {e:#}");
                    }
                });
            })
            .expect("spawn operator thread");
    });
}

/// Runs the operator (all controllers) on the current runtime with `client` — e.g. one
/// from `service_account_client`, to run it with a ServiceAccount's permissions. Abort the
/// handle to stop it; a failing operator panics the task (seen through the handle).
/// Lost-node detection after 3 s instead of 60 s, and tasks without a health check healthy
/// after 2 s instead of ECS's 40 s, so tests wait seconds, not minutes (both are operator
/// flags).
pub fn test_operator_config() -> ecs_operator::controllers::OperatorConfig {
    ecs_operator::controllers::OperatorConfig {
        node_lost_after_seconds: 3,
        healthy_after_seconds: 2,
        ..Default::default()
    }
}

pub fn spawn_operator_with(client: Client) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let config = test_operator_config();
        if let Err(e) = ecs_operator::controllers::run(client, config).await {
            panic!("operator stopped: {e:#}");
        }
    })
}

/// Polls `get` until `check` accepts the object or `deadline` passes; returns the last
/// object seen (for the assertion message).
pub async fn wait_for_object(
    api: &Api<DynamicObject>,
    name: &str,
    deadline: Duration,
    check: impl Fn(&DynamicObject) -> bool,
) -> Result<DynamicObject, String> {
    let start = tokio::time::Instant::now();
    let mut last = None;
    loop {
        if let Ok(Some(obj)) = api.get_opt(name).await {
            if check(&obj) {
                return Ok(obj);
            }
            last = Some(obj);
        }
        if start.elapsed() > deadline {
            return Err(format!(
                "{name} did not reach the expected state within {deadline:?}; last seen: {:?}",
                last.map(|o| o.data)
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A test's own ECS cluster: an EcsCluster named after the namespace and kwok nodes
/// labeled for it (Node objects are cluster-scoped, so names carry the namespace).
pub struct TestCluster {
    pub name: String,
    pub nodes: Vec<String>,
    next_node: usize,
    client: Client,
}

/// Zones the test nodes are spread over.
pub const ZONES: [&str; 3] = ["zone-a", "zone-b", "zone-c"];

impl TestCluster {
    /// `nodes` container instances, round-robin over three zones, each 4 vCPU / 8 GiB.
    pub async fn new(ns: &TestNamespace, nodes: usize) -> Self {
        let cluster = Self {
            name: ns.name.clone(),
            nodes: Vec::new(),
            next_node: 0,
            client: ns.client.clone(),
        };
        let ecs_cluster = serde_json::json!({
            "apiVersion": "ecs.operator.dev/v1alpha1", "kind": "EcsCluster",
            "metadata": {"name": ns.name}, "spec": {"clusterName": ns.name}
        });
        ns.apply(&ecs_cluster).await.expect("apply EcsCluster");
        let mut cluster = cluster;
        for i in 0..nodes {
            cluster.add_node(ZONES[i % 3], &[]).await;
        }
        cluster
    }

    /// Adds a node in `zone` with extra labels; returns its name.
    pub async fn add_node(&mut self, zone: &str, extra_labels: &[(&str, &str)]) -> String {
        self.next_node += 1;
        let name = format!("{}-n{}", self.name, self.next_node);
        let mut labels = serde_json::json!({
            "type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "topology.kubernetes.io/zone": zone, "node.kubernetes.io/instance-type": "m5.xlarge",
            "ecs.operator.dev/cluster": self.name,
        });
        for (k, v) in extra_labels {
            labels[*k] = serde_json::json!(v);
        }
        let node: k8s_openapi::api::core::v1::Node = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels, "annotations": {"kwok.x-k8s.io/node": "fake"}},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}}
        }))
        .expect("node object");
        let api: Api<k8s_openapi::api::core::v1::Node> = Api::all(self.client.clone());
        api.create(&PostParams::default(), &node)
            .await
            .expect("create node");
        // kwok marks it Ready; wait so placement sees a connected agent.
        let ready = poll_until(Duration::from_secs(30), || async {
            api.get_opt(&name).await.ok().flatten().is_some_and(|n| {
                n.status
                    .and_then(|s| s.conditions)
                    .unwrap_or_default()
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True")
            })
        })
        .await;
        assert!(ready, "node {name} Ready");
        self.nodes.push(name.clone());
        name
    }

    /// Disconnects the node's "agent": kwok stops managing it and its Ready condition turns
    /// False (as the node lifecycle controller would after its grace period).
    pub async fn disconnect_node(&self, name: &str) {
        let api: Api<k8s_openapi::api::core::v1::Node> = Api::all(self.client.clone());
        let unmanaged =
            serde_json::json!({"metadata": {"annotations": {"kwok.x-k8s.io/node": null}}});
        api.patch(name, &PatchParams::default(), &Patch::Merge(&unmanaged))
            .await
            .expect("unmanage node");
        let now = k8s_openapi::jiff::Timestamp::now().to_string();
        let not_ready = serde_json::json!({"status": {"conditions": [{"type": "Ready", "status": "False",
            "reason": "KubeletNotReady", "message": "agent disconnected (test)",
            "lastHeartbeatTime": now, "lastTransitionTime": now}]}});
        api.patch_status(name, &PatchParams::default(), &Patch::Merge(&not_ready))
            .await
            .expect("node NotReady");
    }

    pub async fn delete_node(&mut self, name: &str) {
        let api: Api<k8s_openapi::api::core::v1::Node> = Api::all(self.client.clone());
        api.delete(name, &DeleteParams::default())
            .await
            .expect("delete node");
        self.nodes.retain(|n| n != name);
    }

    pub async fn cleanup(self) {
        let api: Api<k8s_openapi::api::core::v1::Node> = Api::all(self.client.clone());
        for n in &self.nodes {
            let _ = api.delete(n, &DeleteParams::default()).await;
        }
        let clusters =
            Api::<DynamicObject>::all_with(self.client.clone(), &api_resource("EcsCluster"));
        let _ = clusters.delete(&self.name, &DeleteParams::default()).await;
    }
}

/// The node a task Pod was placed on ("" before placement).
pub fn node_of(p: &k8s_openapi::api::core::v1::Pod) -> String {
    p.spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_default()
}

/// The live (not deleting, not terminal) task Pods of a service, with their nodes.
pub async fn live_task_pods(
    ns: &TestNamespace,
    service: &str,
) -> Vec<k8s_openapi::api::core::v1::Pod> {
    let api: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(ns.client.clone(), &ns.name);
    let list = api
        .list(
            &kube::api::ListParams::default()
                .labels(&format!("ecs.operator.dev/service={service}")),
        )
        .await
        .expect("list pods");
    list.items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            !matches!(
                p.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            )
        })
        .collect()
}

/// Waits until `check` holds for the live task Pods of `service`.
pub async fn wait_for_tasks(
    ns: &TestNamespace,
    service: &str,
    deadline: Duration,
    check: impl Fn(&[k8s_openapi::api::core::v1::Pod]) -> bool,
) -> Vec<k8s_openapi::api::core::v1::Pod> {
    let start = tokio::time::Instant::now();
    loop {
        let pods = live_task_pods(ns, service).await;
        if check(&pods) {
            return pods;
        }
        if start.elapsed() > deadline {
            let nodes: Vec<_> = pods
                .iter()
                .map(|p| p.spec.as_ref().and_then(|s| s.node_name.clone()))
                .collect();
            panic!(
                "tasks of {service} did not reach the expected state within {deadline:?}: {} pods on {nodes:?}",
                pods.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
