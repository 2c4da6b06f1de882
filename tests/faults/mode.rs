//! How much of each fault to inject. `make test` runs the short mode (a few minutes on two
//! cores); `make faults` sets `ECS_FAULTS=long` for the full counts. Single counts can be
//! overridden by environment (e.g. `ECS_FAULTS_SIGKILLS=50`) to dig into one fault.

/// The counts of one run.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    /// SIGKILLs of the operator (one replica), spread over scale-ups, scale-downs, rollouts.
    pub sigkills: usize,
    /// SIGKILLs of the leader of two replicas (leader election).
    pub sigkills_two_replicas: usize,
    /// kube-apiserver restarts mid-rollout.
    pub apiserver_restarts: usize,
    /// etcd stopped for `etcd_down_seconds`, then started, mid-rollout.
    pub etcd_stops: usize,
    pub etcd_down_seconds: u64,
    /// The operator's connection to the apiserver cut for `cut_seconds`, then restored.
    pub connection_cuts: usize,
    pub cut_seconds: u64,
    /// Label/annotation rewrites by a competing client during the conflict storm.
    pub storm_writes: usize,
    /// Node churn rounds (delete, cordon, NotReady and back, add) while a service rolls.
    pub churn_rounds: usize,
    /// Many objects: services × tasks on nodes.
    pub scale_services: usize,
    pub scale_tasks: usize,
    pub scale_nodes: usize,
    /// Generated manifests applied to the apiserver.
    pub manifests: usize,
    /// Field combinations tried against a namespace allow-list.
    pub namespace_combinations: usize,
}

pub fn counts() -> Counts {
    let long = std::env::var("ECS_FAULTS").is_ok_and(|m| m == "long");
    let base = if long {
        Counts {
            sigkills: 20,
            sigkills_two_replicas: 20,
            apiserver_restarts: 3,
            etcd_stops: 2,
            etcd_down_seconds: 10,
            connection_cuts: 2,
            cut_seconds: 30,
            storm_writes: 3000,
            churn_rounds: 6,
            scale_services: 200,
            scale_tasks: 10,
            scale_nodes: 100,
            manifests: 10_000,
            namespace_combinations: 200,
        }
    } else {
        Counts {
            sigkills: 4,
            sigkills_two_replicas: 2,
            apiserver_restarts: 1,
            etcd_stops: 1,
            etcd_down_seconds: 10,
            connection_cuts: 1,
            cut_seconds: 10,
            storm_writes: 300,
            churn_rounds: 1,
            scale_services: 20,
            scale_tasks: 5,
            scale_nodes: 10,
            manifests: 1_000,
            namespace_combinations: 24,
        }
    };
    let env = |name: &str, default: usize| {
        std::env::var(format!("ECS_FAULTS_{name}"))
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    Counts {
        sigkills: env("SIGKILLS", base.sigkills),
        sigkills_two_replicas: env("SIGKILLS_TWO_REPLICAS", base.sigkills_two_replicas),
        apiserver_restarts: env("APISERVER_RESTARTS", base.apiserver_restarts),
        etcd_stops: env("ETCD_STOPS", base.etcd_stops),
        etcd_down_seconds: env("ETCD_DOWN_SECONDS", base.etcd_down_seconds as usize) as u64,
        connection_cuts: env("CONNECTION_CUTS", base.connection_cuts),
        cut_seconds: env("CUT_SECONDS", base.cut_seconds as usize) as u64,
        storm_writes: env("STORM_WRITES", base.storm_writes),
        churn_rounds: env("CHURN_ROUNDS", base.churn_rounds),
        scale_services: env("SCALE_SERVICES", base.scale_services),
        scale_tasks: env("SCALE_TASKS", base.scale_tasks),
        scale_nodes: env("SCALE_NODES", base.scale_nodes),
        manifests: env("MANIFESTS", base.manifests),
        namespace_combinations: env("NAMESPACE_COMBINATIONS", base.namespace_combinations),
    }
}

/// Prints one measured figure in a greppable form (`make faults` collects these lines into
/// the numbers of docs/reliability.md).
pub fn report(scenario: &str, figure: &str, value: impl std::fmt::Display) {
    println!("FAULTS {scenario} {figure}={value}");
}

/// Prints when something happened (UTC, as the operator's logs have it), to line the
/// suite's faults up with the operator's logs.
pub fn mark(scenario: &str, what: &str) {
    println!(
        "FAULTS {scenario} at {} {what}",
        k8s_openapi::jiff::Timestamp::now()
    );
}
