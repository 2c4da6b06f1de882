//! The I/O shell: one module per kind, each a resolve → validate → plan → apply → status
//! pipeline around the pure core (registry, translate, placement). `run` starts the shared
//! watches and every controller.

pub mod config;
pub mod context;
pub mod ecs_service;
pub mod expectations;
pub mod task_definition;

use std::sync::Arc;

use futures::{StreamExt, future};
use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::runtime::reflector::{self, ReflectHandle, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;

pub use config::OperatorConfig;
pub use context::{Context, Stores};

use crate::api::{EcsCluster, TaskDefinition};
use crate::labels::{CLUSTER_LABEL, MANAGED_BY, MANAGED_BY_LABEL};

/// Events buffered per subscriber of a shared watch before the watch waits for it.
const SUBSCRIBER_BUFFER: usize = 1024;

/// A shared watch: its store, one subscription per controller that wants events, and the
/// future that drives it.
struct SharedWatch<K: Resource + Clone + 'static>
where
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    store: Store<K>,
    writer: Option<reflector::store::Writer<K>>,
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
        let (store, writer) = reflector::store_shared(SUBSCRIBER_BUFFER);
        Self {
            store,
            writer: Some(writer),
        }
    }

    fn subscribe(&self) -> ReflectHandle<K> {
        self.writer
            .as_ref()
            .and_then(|w| w.subscribe())
            .expect("shared store")
    }

    /// Spawns the watch; managedFields are stripped before caching (memory).
    fn spawn(&mut self, api: Api<K>, config: watcher::Config) {
        let writer = self.writer.take().expect("spawned once");
        let stream = watcher(api, config)
            .default_backoff()
            .modify(|o| o.meta_mut().managed_fields = None)
            .reflect_shared(writer)
            .for_each(|event| {
                if let Err(e) = event {
                    tracing::warn!(error = %e, kind = %K::kind(&()), "watch error (retrying with backoff)");
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
    let td_events = task_definitions.subscribe();
    let service_triggers = ecs_service::Triggers {
        services: services.subscribe(),
        pods: pods.subscribe(),
        nodes: nodes.subscribe(),
        revisions: revisions.subscribe(),
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

    let stores = Stores {
        task_definitions: task_definitions.store.clone(),
        revisions: revisions.store.clone(),
        pods: pods.store.clone(),
        nodes: nodes.store.clone(),
        clusters: clusters.store.clone(),
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
