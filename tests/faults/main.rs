//! Fault injection on the real local control plane, under an independent invariant watcher
//! (watch.rs): the operator SIGKILLed at random moments (one replica, and two with leader
//! election), kube-apiserver restarted and etcd stopped mid-rollout, the operator's
//! connection cut, conflict storms, node churn, many objects, generated hostile manifests,
//! and security boundaries. `make test` runs the short mode; `make faults` the long one
//! (`ECS_FAULTS=long`, counts in mode.rs). Results: docs/reliability.md.
//!
//! Runs on the shared test plane (`hack/with-test-plane.sh`), one scenario at a time (they
//! stop parts of the plane and measure the operator); every component a scenario stops is
//! started again by a drop guard, also when the scenario fails. The operator always runs as
//! a real subprocess.

#[path = "../support/mod.rs"]
mod support;

mod checks;
mod churn;
mod conflicts;
mod manifests;
mod mode;
mod operator;
mod plane;
mod plane_faults;
mod proxy;
mod rng;
mod scale;
mod security;
mod sigkill;
mod watch;
mod workload;

/// One scenario at a time: they share (and some of them stop) the plane.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

macro_rules! scenario {
    ($name:ident, $body:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let _serial = SERIAL.lock().await;
            support::ensure_crds().await;
            $body().await;
        }
    };
}

scenario!(sigkill_one_replica_at_random_moments, sigkill::one_replica);
scenario!(sigkill_leader_of_two_replicas, sigkill::two_replicas);
scenario!(
    apiserver_restart_and_etcd_stop_mid_rollout,
    plane_faults::apiserver_and_etcd
);
scenario!(
    operator_connection_cut_and_restored,
    plane_faults::connection_cut
);
scenario!(conflict_storm_while_rolling, conflicts::storm_while_rolling);
scenario!(node_churn_while_rolling, churn::churn_while_rolling);
scenario!(many_objects_memory_and_latency, scale::many_objects);
scenario!(
    generated_manifests_rejected_or_reconciled,
    manifests::generated_manifests
);
scenario!(
    namespace_allow_list_holds_for_any_fields,
    security::namespace_allow_list
);
scenario!(
    host_access_refused_unless_allowed,
    security::host_access_policy
);
scenario!(
    secret_values_never_copied,
    security::secret_values_never_copied
);
