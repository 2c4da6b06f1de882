//! The I/O shell: one module per kind, each a resolve → validate → plan → apply → status
//! pipeline around the pure core (registry, translate, placement). `run` starts the shared
//! watches and every controller.

mod backoff;
pub mod cluster_ref;
pub mod config;
pub mod context;
pub mod ecs_cluster;
pub mod ecs_service;
pub mod ecs_task;
pub mod expectations;
pub mod task_definition;

use std::sync::Arc;

use futures::{Stream, StreamExt, future};
use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

pub use config::OperatorConfig;
pub use context::{Context, Stores};

use crate::api::{EcsCluster, TaskDefinition};
use crate::labels::{CLUSTER_LABEL, MANAGED_BY, MANAGED_BY_LABEL};

/// One watch per resource type, shared by every controller: a reflector store for reads
/// and a fan-out of every changed object to each subscribed controller.
///
/// kube's own shared streams (`reflect_shared` + `ReflectHandle`) stall a subscriber when
/// an object is deleted before the subscriber reads its event (the handle then returns
/// Pending without a wake-up) and, once its buffer is full, the whole watch. This fan-out
/// forwards the objects themselves, deleted ones included, over unbounded channels.
struct SharedWatch<K: Resource + Clone + 'static>
where
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    store: Store<K>,
    writer: Option<reflector::store::Writer<K>>,
    subscribers: Vec<mpsc::UnboundedSender<K>>,
}

impl<K> SharedWatch<K>
where
    K: Resource<DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    fn new() -> Self {
        let (store, writer) = reflector::store();
        Self {
            store,
            writer: Some(writer),
            subscribers: Vec::new(),
        }
    }

    /// A trigger stream for one controller.
    fn subscribe(&mut self) -> impl Stream<Item = Result<K, watcher::Error>> + Send + 'static {
        let (tx, rx) = mpsc::unbounded_channel();
        self.subscribers.push(tx);
        futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|obj| (Ok(obj), rx))
        })
    }

    /// Spawns the watch; managedFields are stripped before caching (memory).
    fn spawn(&mut self, api: Api<K>, config: watcher::Config) {
        let writer = self.writer.take().expect("spawned once");
        let subscribers = std::mem::take(&mut self.subscribers);
        let stream = watcher(api, config)
            .backoff(backoff::WatchBackoff::default())
            .modify(|o| o.meta_mut().managed_fields = None)
            .reflect(writer)
            .for_each(move |event| {
                match event {
                    Ok(watcher::Event::Apply(obj) | watcher::Event::InitApply(obj) | watcher::Event::Delete(obj)) => {
                        for tx in &subscribers {
                            let _ = tx.send(obj.clone());
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, kind = %K::kind(&()), "watch error (retrying with backoff)"),
                }
                future::ready(())
            });
        tokio::spawn(stream);
    }
}

/// Runs every controller until the process is stopped.
pub async fn run(client: Client, config: OperatorConfig) -> anyhow::Result<()> {
    let mut task_definitions = SharedWatch::<TaskDefinition>::new();
    let mut revisions = SharedWatch::<ControllerRevision>::new();
    let mut pods = SharedWatch::<Pod>::new();
    let mut nodes = SharedWatch::<Node>::new();
    let mut clusters = SharedWatch::<EcsCluster>::new();

    let mut services = SharedWatch::<crate::api::EcsService>::new();
    let mut runs = SharedWatch::<crate::api::EcsTask>::new();
    let td_events = task_definitions.subscribe();
    let service_triggers = ecs_service::Triggers {
        services: services.subscribe(),
        pods: pods.subscribe(),
        nodes: nodes.subscribe(),
        revisions: revisions.subscribe(),
    };
    let cluster_triggers = ecs_cluster::Triggers {
        clusters: clusters.subscribe(),
        nodes: nodes.subscribe(),
        pods: pods.subscribe(),
        services: services.subscribe(),
    };
    let run_triggers = ecs_task::Triggers {
        tasks: runs.subscribe(),
        pods: pods.subscribe(),
    };

    let managed = format!("{MANAGED_BY_LABEL}={MANAGED_BY}");
    task_definitions.spawn(Api::all(client.clone()), watcher::Config::default());
    revisions.spawn(
        Api::all(client.clone()),
        watcher::Config::default().labels(&managed),
    );
    // Every pod: placement subtracts the requests of everyone's pods on a container instance.
    pods.spawn(Api::all(client.clone()), watcher::Config::default());
    nodes.spawn(
        Api::all(client.clone()),
        watcher::Config::default().labels(CLUSTER_LABEL),
    );
    clusters.spawn(Api::all(client.clone()), watcher::Config::default());
    services.spawn(Api::all(client.clone()), watcher::Config::default());
    runs.spawn(Api::all(client.clone()), watcher::Config::default());

    let stores = Stores {
        task_definitions: task_definitions.store.clone(),
        revisions: revisions.store.clone(),
        pods: pods.store.clone(),
        nodes: nodes.store.clone(),
        clusters: clusters.store.clone(),
        services: services.store.clone(),
    };
    // Reconciling on a partial cache could create duplicates: wait for every initial list.
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
    ] {
        anyhow::ensure!(ready, "the {name} watch stopped before its first list");
    }
    tracing::info!("caches synced; starting controllers");
    let ctx = Context::new(client, config, stores);

    anyhow::ensure!(
        services.store.wait_until_ready().await.is_ok(),
        "the ecsservices watch stopped"
    );
    tokio::join!(
        task_definition::controller(ctx.clone(), td_events),
        ecs_service::controller(ctx.clone(), services.store.clone(), service_triggers),
        ecs_task::controller(ctx.clone(), runs.store.clone(), run_triggers),
        ecs_cluster::controller(ctx.clone(), clusters.store.clone(), cluster_triggers),
    );
    Ok(())
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
