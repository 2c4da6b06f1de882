//! What every reconcile gets: the client, configuration, an Event recorder and the shared
//! caches (one watch per resource type, shared by all controllers).

use std::collections::HashSet;
use std::sync::Arc;

use crate::slim_node::SlimNode;
use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::Client;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::Store;
use kube::{Resource, ResourceExt};

use super::config::OperatorConfig;
use crate::api::{EcsCluster, TaskDefinition};
use crate::registry::Revision;
use crate::slim_pod::SlimPod;

/// Read-only views of the shared watches.
#[derive(Clone)]
pub struct Stores {
    pub task_definitions: Store<TaskDefinition>,
    pub revisions: Store<ControllerRevision>,
    /// Every Pod in the cluster as `SlimPod` (src/slim_pod.rs): only what the operator reads,
    /// indexed by controller owner.
    pub pods: Arc<super::cache::PodCache>,
    /// Each cluster's placement snapshot, kept current from the Pod and Node watches.
    pub live: Arc<super::cache::LiveFeed>,
    pub nodes: Store<SlimNode>,
    pub clusters: Store<EcsCluster>,
    pub services: Store<crate::api::EcsService>,
}

pub struct Context {
    pub client: Client,
    pub expectations: super::expectations::Expectations,
    /// The last EcsService status this process wrote, by UID (see ecs_service::status::previous).
    pub written_status:
        std::sync::Mutex<std::collections::HashMap<String, crate::api::EcsServiceStatus>>,
    /// When this process last wrote each EcsService's status (by UID): count-only changes
    /// are written at most once a second.
    pub status_written_at: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    /// A fingerprint of the Kubernetes Services last applied for each EcsService (by UID):
    /// they are re-applied only when what they should be changes.
    pub exposed: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// Spacing of expensive reconciles (see pacing).
    pub pacing: super::pacing::Pacing,
    /// Where each service's next create round starts its slow start (see slow_start).
    pub slow_start: super::slow_start::SlowStart,
    pub config: OperatorConfig,
    pub recorder: Recorder,
    pub stores: Stores,
    /// Process shutdown: every controller stops taking work when it is requested.
    pub shutdown: crate::operations::Shutdown,
}

impl Context {
    pub fn new(
        client: Client,
        config: OperatorConfig,
        stores: Stores,
        shutdown: crate::operations::Shutdown,
    ) -> Arc<Self> {
        let reporter = Reporter {
            controller: config.manager.clone(),
            instance: std::env::var("POD_NAME").ok(),
        };
        let recorder = Recorder::new(client.clone(), reporter);
        Arc::new(Self {
            client,
            config,
            recorder,
            stores,
            shutdown,
            expectations: Default::default(),
            written_status: Default::default(),
            exposed: Default::default(),
            status_written_at: Default::default(),
            pacing: Default::default(),
            slow_start: Default::default(),
        })
    }

    /// Publishes an Event about `obj`; failures are logged, never fatal (an Event is a
    /// notification, not state).
    pub async fn event<K: Resource<DynamicType = ()>>(
        &self,
        obj: &K,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) {
        let event = Event {
            type_,
            reason: reason.to_string(),
            note: Some(truncate_note(note)),
            action: action.to_string(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&event, &obj.object_ref(&())).await {
            tracing::warn!(error = %e, object = %obj.name_any(), reason, "failed to publish event");
        }
    }

    /// The Pods in `namespace` whose controller is the object with `uid`, from the cache.
    pub fn owned_pods(&self, namespace: &str, uid: &str) -> Vec<Arc<SlimPod>> {
        self.stores.pods.owned(namespace, uid)
    }

    /// Every registered revision in `namespace`, from the shared cache.
    pub fn revisions_in(&self, namespace: &str) -> Vec<Revision> {
        self.stores
            .revisions
            .state()
            .iter()
            .filter(|cr| cr.metadata.namespace.as_deref() == Some(namespace))
            .filter_map(|cr| Revision::from_controller_revision(cr))
            .collect()
    }

    /// Families that have a live TaskDefinition object in `namespace` (ACTIVE families).
    pub fn active_families_in(&self, namespace: &str) -> HashSet<String> {
        self.stores
            .task_definitions
            .state()
            .iter()
            .filter(|td| td.metadata.namespace.as_deref() == Some(namespace))
            .filter(|td| td.metadata.deletion_timestamp.is_none())
            .map(|td| crate::controllers::task_definition::family_of(td))
            .collect()
    }
}

/// The Events API refuses a note over 1024 bytes (and the whole Event with it), which long
/// ECS messages listing many tasks exceed: keep the start, cut on a character boundary.
fn truncate_note(mut note: String) -> String {
    const MAX: usize = 1024;
    if note.len() > MAX {
        let mut end = MAX - '…'.len_utf8();
        while !note.is_char_boundary(end) {
            end -= 1;
        }
        note.truncate(end);
        note.push('…');
    }
    note
}

#[cfg(test)]
mod tests {
    #[test]
    fn event_notes_fit_the_events_api_limit() {
        let long = "é".repeat(700);
        let cut = super::truncate_note(long);
        assert!(cut.len() <= 1024 && cut.ends_with('…'));
        assert_eq!(super::truncate_note("short".into()), "short");
    }
}
