//! Shared helpers for the tests against the real kube-apiserver that `make test` starts
//! (hack/with-test-plane.sh exports ECS_TEST_KUBECONFIG). Each test works in its own
//! namespace, so tests run in parallel.

use std::time::Duration;

use ecs_operator::api::all_crds;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
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
    let path = std::env::var("ECS_TEST_KUBECONFIG").expect(
        "ECS_TEST_KUBECONFIG is not set: these tests need the real control plane that `make test` starts \
         (or run them as `hack/with-test-plane.sh cargo test --test api_server`)",
    );
    let kubeconfig = Kubeconfig::read_from(&path).expect("read the test kubeconfig");
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("load the test kubeconfig");
    Client::try_from(config).expect("build a client")
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
                runtime.block_on(async {
                    let client = client().await;
                    let config = ecs_operator::controllers::OperatorConfig::default();
                    if let Err(e) = ecs_operator::controllers::run(client, config).await {
                        panic!("operator stopped: {e:#}");
                    }
                });
            })
            .expect("spawn operator thread");
    });
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
