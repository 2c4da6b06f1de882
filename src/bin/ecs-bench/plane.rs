//! The benchmark's control plane: etcd, kube-apiserver and kwok from hack/control-plane.sh
//! (on the harness's own ports and state directory), one client identity per actor, and the
//! RBAC / priority-and-fairness objects that keep every arm off `system:masters`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;

use crate::procs;

pub const NAMESPACE: &str = "bench";
pub const CLUSTER: &str = "bench";
pub const ZONES: [&str; 3] = ["zone-a", "zone-b", "zone-c"];
const MANAGER: &str = "ecs-bench";

/// Users of the actors. The bootstrap FlowSchemas `kube-controller-manager` and
/// `kube-scheduler` put the first two at priority level workload-high; the harness adds one
/// FlowSchema that puts the operator and the raw client there too (fairness rule 4).
pub const KCM_USER: &str = "system:kube-controller-manager";
pub const SCHED_USER: &str = "system:kube-scheduler";
pub const OPERATOR_USER: &str = "ecs-bench-operator";
pub const RAW_USER: &str = "ecs-bench-raw";

#[derive(Clone, Debug)]
pub struct Ports {
    pub api: u16,
    pub etcd: u16,
    pub etcd_peer: u16,
    pub kcm: u16,
    pub sched: u16,
    pub kwok: u16,
}

impl Ports {
    /// The first base among `bases` whose six ports are all free: other planes (the shared
    /// test plane, other worktrees' tests) may hold any fixed choice.
    pub fn first_free(bases: &[u16]) -> Option<Self> {
        bases.iter().map(|b| Self::base(*b)).find(|p| {
            [p.api, p.etcd, p.etcd_peer, p.kcm, p.sched, p.kwok]
                .iter()
                .all(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        })
    }

    /// The full benchmark's ports (4xxxx) and the smoke run's (5xxxx), so the smoke run in
    /// `make test` never meets a benchmark or the shared test plane.
    pub fn base(base: u16) -> Self {
        Self {
            api: base + 6443,
            etcd: base + 2379,
            etcd_peer: base + 2380,
            kcm: base + 2257,
            sched: base + 2259,
            kwok: base + 2247,
        }
    }
}

pub struct Plane {
    pub root: PathBuf,
    pub state_dir: PathBuf,
    pub bin_dir: PathBuf,
    pub ports: Ports,
    pub admin: Client,
    pub raw: Client,
    /// Kubeconfig of each actor, by user.
    pub kcm_kubeconfig: PathBuf,
    pub sched_kubeconfig: PathBuf,
    pub operator_kubeconfig: PathBuf,
}

impl Plane {
    fn script_env(
        root: &Path,
        state_dir: &Path,
        bin_dir: &Path,
        ports: &Ports,
    ) -> Vec<(&'static str, String)> {
        let _ = root;
        vec![
            ("STATE_DIR", procs::path_string(state_dir)),
            ("KUBEBUILDER_ASSETS", procs::path_string(bin_dir)),
            // kube-controller-manager and kube-scheduler are the harness's children (each
            // arm starts them with its own flags and identity), so the script starts only these.
            ("COMPONENTS", "etcd kube-apiserver kwok".to_string()),
            ("API_PORT", ports.api.to_string()),
            ("CP_ETCD_PORT", ports.etcd.to_string()),
            ("CP_ETCD_PEER_PORT", ports.etcd_peer.to_string()),
            ("KCM_PORT", ports.kcm.to_string()),
            ("SCHED_PORT", ports.sched.to_string()),
            ("KWOK_PORT", ports.kwok.to_string()),
            // Profiling on (the API server's default; the script turns it off) for the
            // harness's GC before each run (apiserver_gc) and BENCH_APISERVER_PPROF.
            (
                "APISERVER_EXTRA_ARGS",
                format!(
                    "--profiling=true {}",
                    std::env::var("APISERVER_EXTRA_ARGS").unwrap_or_default()
                ),
            ),
            // kwok: more parallel pod stages than the default 4 (a KwokConfiguration replaces the
            // whole options block, so the other parallelism settings are spelled out too), so kwok does not cap
            // "Running"; node leases long, so 1000 nodes are not tens of writes/s of
            // background load (no node lifecycle controller runs to care).
            (
                "KWOK_EXTRA_ARGS",
                format!(
                    "--config={} --node-lease-duration-seconds=3600",
                    procs::path_string(&state_dir.join("kwok-bench.yaml"))
                ),
            ),
        ]
    }

    /// Starts a fresh plane (a leftover one in the same state dir is stopped first).
    pub async fn up(root: &Path, state_dir: &Path, bin_dir: &Path, ports: Ports) -> Result<Self> {
        std::fs::create_dir_all(state_dir)?;
        std::fs::write(
            state_dir.join("kwok-bench.yaml"),
            "apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions:\n  podPlayStageParallelism: 16\n  nodePlayStageParallelism: 16\n  nodeLeaseParallelism: 16\n  podsOnNodeSyncParallelism: 4\n",
        )?;
        let script = root.join("hack/control-plane.sh");
        let script = procs::path_string(&script);
        let env = Self::script_env(root, state_dir, bin_dir, &ports);
        let _ = procs::run(&script, &["down"], &env);
        if let Err(e) = procs::run(&script, &["up"], &env) {
            // The script's `die` exits without its ERR trap: stop what it started.
            let _ = procs::run(&script, &["down"], &env);
            return Err(e.context("hack/control-plane.sh up"));
        }
        let admin = client(&state_dir.join("kubeconfig")).await?;
        let pki = state_dir.join("pki");
        let server = format!("https://127.0.0.1:{}", ports.api);
        let kcm_kubeconfig = identity(&pki, &server, KCM_USER)?;
        let sched_kubeconfig = identity(&pki, &server, SCHED_USER)?;
        let operator_kubeconfig = identity(&pki, &server, OPERATOR_USER)?;
        let raw_kubeconfig = identity(&pki, &server, RAW_USER)?;
        let plane = Self {
            root: root.to_path_buf(),
            state_dir: state_dir.to_path_buf(),
            bin_dir: bin_dir.to_path_buf(),
            raw: client(&raw_kubeconfig).await?,
            ports,
            admin,
            kcm_kubeconfig,
            sched_kubeconfig,
            operator_kubeconfig,
        };
        plane.install().await?;
        Ok(plane)
    }

    pub fn down(&self) {
        let script = procs::path_string(&self.root.join("hack/control-plane.sh"));
        let env = Self::script_env(&self.root, &self.state_dir, &self.bin_dir, &self.ports);
        if let Err(e) = procs::run(&script, &["down"], &env) {
            eprintln!("[bench] stopping the control plane: {e:#}");
        }
    }

    pub fn logs(&self) -> PathBuf {
        self.state_dir.join("logs")
    }

    /// RBAC, the FlowSchema, the CRDs, the namespace and the EcsCluster.
    async fn install(&self) -> Result<()> {
        // Every actor may do anything RBAC-wise (cluster-admin), but none is in
        // system:masters, so none is exempt from priority and fairness.
        let subjects: Vec<_> = [KCM_USER, SCHED_USER, OPERATOR_USER, RAW_USER]
            .iter()
            .map(|u| json!({"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": u}))
            .collect();
        self.apply(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            "clusterrolebindings",
            json!({"metadata": {"name": "ecs-bench-actors"},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                   "subjects": subjects}),
        )
        .await?;
        // Precedence 900: after the bootstrap system schemas, before global-default (9900).
        self.apply(
            "flowcontrol.apiserver.k8s.io/v1",
            "FlowSchema",
            "flowschemas",
            json!({"metadata": {"name": "ecs-bench-workload-high"},
                   "spec": {"priorityLevelConfiguration": {"name": "workload-high"},
                            "matchingPrecedence": 900,
                            "distinguisherMethod": {"type": "ByUser"},
                            "rules": [{
                                "subjects": [
                                    {"kind": "User", "user": {"name": OPERATOR_USER}},
                                    {"kind": "User", "user": {"name": RAW_USER}}],
                                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"],
                                                   "clusterScope": true, "namespaces": ["*"]}],
                                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}]}]}}),
        )
        .await?;
        let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
            Api::all(self.admin.clone());
        for crd in ecs_operator::api::all_crds() {
            let name = crd.metadata.name.clone().unwrap_or_default();
            crds.patch(
                &name,
                &PatchParams::apply(MANAGER).force(),
                &Patch::Apply(&crd),
            )
            .await
            .with_context(|| format!("apply CRD {name}"))?;
            tokio::time::timeout(
                Duration::from_secs(30),
                kube::runtime::wait::await_condition(
                    crds.clone(),
                    &name,
                    kube::runtime::conditions::is_crd_established(),
                ),
            )
            .await
            .with_context(|| format!("CRD {name} Established"))??;
        }
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": NAMESPACE}}))?;
        Api::<Namespace>::all(self.admin.clone())
            .patch(
                NAMESPACE,
                &PatchParams::apply(MANAGER).force(),
                &Patch::Apply(&json!({
                "apiVersion": "v1", "kind": "Namespace", "metadata": ns.metadata})),
            )
            .await?;
        self.apply(
            "ecs.operator.dev/v1alpha1",
            "EcsCluster",
            "ecsclusters",
            json!({"metadata": {"name": CLUSTER}, "spec": {"clusterName": CLUSTER}}),
        )
        .await?;
        Ok(())
    }

    /// Server-side applies one object (cluster-scoped unless it names a namespace).
    pub async fn apply(
        &self,
        api_version: &str,
        kind: &str,
        plural: &str,
        mut obj: serde_json::Value,
    ) -> Result<DynamicObject> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let ar =
            ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
        obj["apiVersion"] = json!(api_version);
        obj["kind"] = json!(kind);
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let api: Api<DynamicObject> = match obj["metadata"]["namespace"].as_str() {
            Some(ns) => Api::namespaced_with(self.admin.clone(), ns, &ar),
            None => Api::all_with(self.admin.clone(), &ar),
        };
        api.patch(
            &name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&obj),
        )
        .await
        .with_context(|| format!("apply {kind} {name}"))
    }

    /// M kwok container instances `bench-<i>`, zones round-robin, room for `pods` pods each;
    /// waits until kwok reports all of them Ready.
    pub async fn create_nodes(&self, m: usize, pods: usize) -> Result<Vec<String>> {
        let api: Api<Node> = Api::all(self.admin.clone());
        let names: Vec<String> = (0..m).map(node_name).collect();
        futures::stream::iter(names.iter().enumerate().map(|(i, name)| {
            let api = api.clone();
            async move {
                let node: Node = serde_json::from_value(json!({
                    "metadata": {"name": name,
                        "labels": {"type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                   "kubernetes.io/arch": "amd64", "topology.kubernetes.io/zone": ZONES[i % 3],
                                   "node.kubernetes.io/instance-type": "m5.4xlarge", "ecs.operator.dev/cluster": CLUSTER},
                        "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"}},
                    "status": {"allocatable": {"cpu": "64", "memory": "256Gi", "pods": pods.to_string()},
                               "capacity": {"cpu": "64", "memory": "256Gi", "pods": pods.to_string()}}}))?;
                api.create(&Default::default(), &node).await.with_context(|| format!("create node {name}"))?;
                anyhow::Ok(())
            }
        }))
        .buffer_unordered(16)
        .try_collect::<Vec<()>>()
        .await?;
        let start = std::time::Instant::now();
        loop {
            let ready = api
                .list(&ListParams::default().labels(&format!("ecs.operator.dev/cluster={CLUSTER}")))
                .await?
                .items
                .iter()
                .filter(|n| {
                    n.status
                        .as_ref()
                        .and_then(|s| s.conditions.as_ref())
                        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
                })
                .count();
            if ready >= m {
                break;
            }
            if start.elapsed() > Duration::from_secs(180) {
                bail!("only {ready} of {m} nodes Ready after 180 s");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        // The API server taints every new Node not-ready (TaintNodesByCondition); the node
        // lifecycle controller, which is not running here, would lift it once kwok reports
        // Ready. Do its job once, so kube-scheduler sees what the operator sees.
        futures::stream::iter(names.iter().map(|name| {
            let api = api.clone();
            async move {
                api.patch(
                    name,
                    &PatchParams::default(),
                    &Patch::Merge(json!({"spec": {"taints": null}})),
                )
                .await
                .with_context(|| format!("untaint node {name}"))
            }
        }))
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
        Ok(names)
    }
}

pub fn node_name(i: usize) -> String {
    format!("bench-{i:04}")
}

pub async fn client(kubeconfig: &Path) -> Result<Client> {
    let kc = Kubeconfig::read_from(kubeconfig)
        .with_context(|| format!("read {}", kubeconfig.display()))?;
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
    Ok(Client::try_from(config)?)
}

/// A client certificate for `user` (CN, no organisation: no groups beyond
/// system:authenticated), signed by the plane's CA, and a kubeconfig using it.
fn identity(pki: &Path, server: &str, user: &str) -> Result<PathBuf> {
    let file = user.replace(':', "-");
    let key = pki.join(format!("{file}.key"));
    let csr = pki.join(format!("{file}.csr"));
    let crt = pki.join(format!("{file}.crt"));
    let ext = pki.join("client.ext");
    std::fs::write(
        &ext,
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
    )?;
    let s = procs::path_string;
    procs::run(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &s(&key),
        ],
        &[],
    )?;
    procs::run(
        "openssl",
        &[
            "req",
            "-new",
            "-key",
            &s(&key),
            "-subj",
            &format!("/CN={user}"),
            "-out",
            &s(&csr),
        ],
        &[],
    )?;
    procs::run(
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            &s(&csr),
            "-CA",
            &s(&pki.join("ca.crt")),
            "-CAkey",
            &s(&pki.join("ca.key")),
            "-CAcreateserial",
            "-days",
            "30",
            "-sha256",
            "-extfile",
            &s(&ext),
            "-out",
            &s(&crt),
        ],
        &[],
    )?;
    let b64 = |p: &Path| -> Result<String> {
        let out = procs::run("base64", &["-w0", &s(p)], &[])?;
        Ok(out.trim().to_string())
    };
    let kubeconfig = pki.join(format!("{file}.kubeconfig"));
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: bench\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\nusers:\n- name: {user}\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {keydata}\ncontexts:\n- name: bench\n  context:\n    cluster: bench\n    user: \"{user}\"\n    namespace: {NAMESPACE}\ncurrent-context: bench\n",
            ca = b64(&pki.join("ca.crt"))?,
            cert = b64(&crt)?,
            keydata = b64(&key)?,
        ),
    )?;
    Ok(kubeconfig)
}

/// Retries a request whose connection failed (a pooled keep-alive connection the API server
/// closed is reported as "connection closed before message completed"); API answers are
/// returned as they are.
pub async fn retry<T, F, Fut>(mut call: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(kube::Error::Service(e)) if attempt < 3 => {
                attempt += 1;
                eprintln!("[bench] retrying after a connection error: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}
