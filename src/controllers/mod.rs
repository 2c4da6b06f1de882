//! The I/O shell: one module per kind, each a resolve → validate → plan → apply → status
//! pipeline around the pure core (registry, translate, placement). `run` starts the shared
//! watches and every controller.

mod backoff;
pub mod cache;
pub mod cluster_ref;
pub mod config;
pub mod context;
pub mod ecs_cluster;
pub mod ecs_service;
pub mod ecs_task;
pub mod expectations;
pub mod pacing;
pub mod slow_start;
pub mod task_definition;

use std::sync::Arc;

use futures::future;
use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::runtime::watcher;
use kube::{Api, Client};

pub use config::OperatorConfig;
pub use context::{Context, Stores};

use crate::api::{EcsCluster, TaskDefinition};
use crate::labels::{CLUSTER_LABEL, MANAGED_BY, MANAGED_BY_LABEL};
use crate::operations::http::{Health, Phase, StoresSlot};
use crate::operations::leader::{Deadline, LeaderElector};
use crate::operations::{Shutdown, ShutdownTrigger};
use cache::{PodWatch, SharedWatch, keep_all};

/// Runs every controller until the process is stopped.
pub async fn run(client: Client, config: OperatorConfig) -> anyhow::Result<()> {
    let (trigger, shutdown) = Shutdown::new();
    trigger.clone().on_signals();
    // Endpoints first: /healthz answers while the caches fill.
    let ops = Operations::start(&config, trigger, &shutdown).await?;
    let mut task_definitions = SharedWatch::<TaskDefinition>::new();
    let mut revisions = SharedWatch::<ControllerRevision>::new();
    let mut pods = PodWatch::new();
    let mut nodes = SharedWatch::<crate::slim_node::SlimNode>::new();
    let live = Arc::new(cache::LiveFeed::default());
    let feed = live.clone();
    pods.follow(move |event| feed.pod_event(event));
    let feed = live.clone();
    nodes.follow(move |event| feed.node_event(event));
    let mut clusters = SharedWatch::<EcsCluster>::new();

    let mut services = SharedWatch::<crate::api::EcsService>::new();
    let mut runs = SharedWatch::<crate::api::EcsTask>::new();
    let td_events = task_definitions.subscribe("taskdefinition");
    let service_triggers = ecs_service::Triggers {
        services: services.subscribe("ecsservice"),
        pods: pods.subscribe("ecsservice"),
        nodes: nodes.subscribe("ecsservice"),
        revisions: revisions.subscribe("ecsservice"),
    };
    let cluster_triggers = ecs_cluster::Triggers {
        clusters: clusters.subscribe("ecscluster"),
        nodes: nodes.subscribe("ecscluster"),
        pods: pods.subscribe("ecscluster"),
        services: services.subscribe("ecscluster"),
    };
    let run_triggers = ecs_task::Triggers {
        tasks: runs.subscribe("ecstask"),
        pods: pods.subscribe("ecstask"),
    };

    let managed = format!("{MANAGED_BY_LABEL}={MANAGED_BY}");
    task_definitions.spawn(
        Api::all(client.clone()),
        watcher::Config::default(),
        keep_all,
    );
    revisions.spawn(
        Api::all(client.clone()),
        watcher::Config::default().labels(&managed),
        keep_all,
    );
    // Every pod: placement subtracts the requests of everyone's pods on a container instance.
    pods.spawn(Api::all(client.clone()), watcher::Config::default());
    // Listed 100 at a time: a page is read whole as text before it is deserialized; at the
    // default 500 (then into full Nodes), listing 1,000 nodes was most of the operator's peak
    // heap in a small cluster (17 MB at N=100, M=1000, heaptrack).
    nodes.spawn(
        Api::all(client.clone()),
        watcher::Config::default()
            .labels(CLUSTER_LABEL)
            .page_size(100),
        keep_all,
    );
    clusters.spawn(
        Api::all(client.clone()),
        watcher::Config::default(),
        keep_all,
    );
    services.spawn(
        Api::all(client.clone()),
        watcher::Config::default(),
        keep_all,
    );
    runs.spawn(
        Api::all(client.clone()),
        watcher::Config::default(),
        keep_all,
    );

    let stores = Stores {
        task_definitions: task_definitions.store.clone(),
        revisions: revisions.store.clone(),
        pods: pods.cache.clone(),
        live,
        nodes: nodes.store.clone(),
        clusters: clusters.store.clone(),
        services: services.store.clone(),
    };
    // Reconciling on a partial cache could create duplicates: wait for every initial list
    // (or for a stop request, which must not wait for an unreachable API server).
    let synced = async {
        for (name, ready) in [
            (
                "taskdefinitions",
                stores.task_definitions.wait_until_ready().await.is_ok(),
            ),
            (
                "controllerrevisions",
                stores.revisions.wait_until_ready().await.is_ok(),
            ),
            ("pods", stores.pods.wait_until_ready().await.is_ok()),
            ("nodes", stores.nodes.wait_until_ready().await.is_ok()),
            (
                "ecsclusters",
                stores.clusters.wait_until_ready().await.is_ok(),
            ),
            (
                "ecsservices",
                stores.services.wait_until_ready().await.is_ok(),
            ),
            ("ecstasks", runs.store.wait_until_ready().await.is_ok()),
        ] {
            anyhow::ensure!(ready, "the {name} watch stopped before its first list");
        }
        Ok(())
    };
    tokio::select! {
        synced = synced => synced?,
        _ = shutdown.requested() => return ops.stopped().await,
    }
    let _ = ops.stores.set(stores.clone());

    // With --leader-elect, a synced standby waits here (ready, not writing) for the Lease.
    let leadership = match &ops.election {
        None => None,
        Some(election) => {
            ops.health.set(Phase::Standby);
            let mut elector = LeaderElector::new(
                client.clone(),
                &election.namespace,
                &election.name,
                election.identity.clone(),
                election.timing,
            );
            tracing::info!(
                lease = %election.name,
                namespace = %election.namespace,
                identity = %elector.identity(),
                "caches synced; waiting for the leader Lease"
            );
            let sent = tokio::select! {
                sent = elector.acquire() => sent,
                _ = shutdown.requested() => return ops.stopped().await,
            };
            Some(Leadership::hold(elector, sent))
        }
    };

    tracing::info!("caches synced; starting controllers");
    crate::operations::metrics::metrics().leader.set(1);
    ops.health.set(Phase::Running);
    let ctx = Context::new(client, config, stores, shutdown.clone());
    // Each controller stops taking work on the shutdown request and finishes the
    // reconciles in flight (kube-runtime's graceful shutdown).
    tokio::join!(
        task_definition::controller(ctx.clone(), td_events),
        ecs_service::controller(ctx.clone(), services.store.clone(), service_triggers),
        ecs_task::controller(ctx.clone(), runs.store.clone(), run_triggers),
        ecs_cluster::controller(ctx.clone(), clusters.store.clone(), cluster_triggers),
    );
    crate::operations::metrics::metrics().leader.set(0);
    tracing::info!("controllers stopped");
    // Nothing writes any more: hand the Lease over now rather than after it expires.
    if let Some(leadership) = leadership {
        leadership.release().await;
    }
    ops.stopped().await
}

/// The process around the controllers: probes, metrics endpoint, shutdown, election.
struct Operations {
    health: Arc<Health>,
    stores: StoresSlot,
    servers: Vec<tokio::task::JoinHandle<()>>,
    trigger: ShutdownTrigger,
    election: Option<Election>,
}

struct Election {
    namespace: String,
    name: String,
    identity: String,
    timing: crate::operations::config::LeaseTiming,
}

impl Operations {
    async fn start(
        config: &OperatorConfig,
        trigger: ShutdownTrigger,
        shutdown: &Shutdown,
    ) -> anyhow::Result<Self> {
        let ops = &config.operations;
        let election = match ops.leader_elect {
            false => None,
            true => Some(Election {
                namespace: ops.lease_namespace(),
                name: ops.leader_election_id.clone(),
                identity: crate::operations::config::identity(),
                timing: ops.lease_timing()?,
            }),
        };
        let health = Arc::new(Health::default());
        let stores = StoresSlot::default();
        let servers = crate::operations::http::serve(
            ops.metrics_addr()?,
            ops.health_addr()?,
            health.clone(),
            stores.clone(),
            shutdown.clone(),
        )
        .await?;
        Ok(Self {
            health,
            stores,
            servers,
            trigger,
            election,
        })
    }

    /// Stops the HTTP servers (after the controllers and the Lease).
    async fn stopped(self) -> anyhow::Result<()> {
        self.health.set(Phase::Stopping);
        self.trigger.trigger();
        for server in self.servers {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
        }
        tracing::info!("ecs-operator stopped");
        Ok(())
    }
}

/// Holding the Lease: renewals in the background; losing it exits the process (fail-stop,
/// see operations::leader); a graceful stop releases it.
struct Leadership {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Leadership {
    fn hold(mut elector: LeaderElector, sent: std::time::Instant) -> Self {
        // `hold` arms the deadline on its first poll; the watchdog thread enforces it.
        let deadline = Deadline::new();
        let watchdog = deadline.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            tokio::select! {
                reason = elector.hold(sent, &deadline) => {
                    tracing::error!(%reason, "lost the leader Lease; exiting so that only one replica writes");
                    std::process::exit(1);
                }
                _ = stopped => {}
            }
            deadline.disarm();
            if let Err(e) = elector.release().await {
                tracing::warn!(error = %e, "could not release the Lease; a standby takes over when it expires");
            }
        });
        watchdog.spawn_watchdog();
        Self { stop, task }
    }

    async fn release(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Shared with every controller: the reconcile outcome is logged, never fatal.
pub(crate) fn log_result<T: std::fmt::Debug, E: std::fmt::Display>(
    controller: &'static str,
) -> impl FnMut(Result<T, E>) -> future::Ready<()> {
    move |result| {
        match result {
            Ok(obj) => tracing::debug!(controller, ?obj, "reconciled"),
            Err(e) => tracing::warn!(controller, error = %e, "reconcile failed"),
        }
        future::ready(())
    }
}

pub(crate) type Ctx = Arc<Context>;
