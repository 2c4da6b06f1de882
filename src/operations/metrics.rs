//! Prometheus metrics (`ecs_operator_*`), one process-wide registry.
//!
//! Counters and histograms are updated where things happen (reconcile wrapper, placement
//! timer, trigger fan-out); the object gauges (tasks by lastStatus, services steady or not)
//! are computed from the shared caches at scrape time, so they are never stale and need
//! no bookkeeping on deletes.

use std::future::Future;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use futures::FutureExt;
use futures::future::BoxFuture;
use kube::Resource;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tracing::Instrument;

use crate::controllers::Stores;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabels {
    pub controller: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub controller: String,
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub controller: String,
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LastStatusLabels {
    pub last_status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric of the operator.
pub struct Metrics {
    registry: Registry,
    pub reconciles: Family<ResultLabels, Counter>,
    pub reconcile_errors: Family<ReasonLabels, Counter>,
    pub reconcile_duration: HistogramFamily<ControllerLabels>,
    pub reconciles_in_flight: Family<ControllerLabels, Gauge>,
    pub placement_duration: Histogram,
    pub tasks: Family<LastStatusLabels, Gauge>,
    pub services: Family<StateLabels, Gauge>,
    pub workqueue_depth: Family<ControllerLabels, Gauge>,
    pub leader: Gauge,
}

fn reconcile_histogram() -> Histogram {
    // 1 ms .. ~33 s: a reconcile is a few API calls, a drain or a big scale-up is more.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("ecs_operator");
        let reconciles = Family::<ResultLabels, Counter>::default();
        registry.register(
            "reconcile",
            "Reconciles by controller and result (success|error)",
            reconciles.clone(),
        );
        let reconcile_errors = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "reconcile_errors",
            "Failed reconciles by controller and reason (the error variant name)",
            reconcile_errors.clone(),
        );
        let reconcile_duration: HistogramFamily<ControllerLabels> =
            Family::new_with_constructor(reconcile_histogram);
        registry.register(
            "reconcile_duration_seconds",
            "Duration of one reconcile by controller",
            reconcile_duration.clone(),
        );
        let reconciles_in_flight = Family::<ControllerLabels, Gauge>::default();
        registry.register(
            "reconciles_in_flight",
            "Reconciles running now by controller",
            reconciles_in_flight.clone(),
        );
        // 10 µs .. ~2.6 s: placement is pure and in memory; thousands of nodes stay in ms.
        let placement_duration = Histogram::new(exponential_buckets(0.00001, 4.0, 10));
        registry.register(
            "placement_duration_seconds",
            "Duration of one placement decision (snapshot.place) for a batch of tasks",
            placement_duration.clone(),
        );
        let tasks = Family::<LastStatusLabels, Gauge>::default();
        registry.register(
            "tasks",
            "Task Pods (of EcsServices and EcsTasks) by ECS lastStatus, from the SlimPod cache",
            tasks.clone(),
        );
        let services = Family::<StateLabels, Gauge>::default();
        registry.register(
            "services",
            "EcsServices by state: steady (Ready=True) or not_steady, from the EcsService cache",
            services.clone(),
        );
        let workqueue_depth = Family::<ControllerLabels, Gauge>::default();
        registry.register(
            "workqueue_depth",
            "Watch events forwarded to a controller and not yet taken by it (the trigger \
             channels in front of kube-runtime's own queue, which is not observable)",
            workqueue_depth.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "leader",
            "1 while this process runs the controllers (holds the Lease with --leader-elect), else 0",
            leader.clone(),
        );
        Self {
            registry,
            reconciles,
            reconcile_errors,
            reconcile_duration,
            reconciles_in_flight,
            placement_duration,
            tasks,
            services,
            workqueue_depth,
            leader,
        }
    }

    /// The OpenMetrics text exposition, after refreshing the cache-derived gauges.
    pub fn encode(&self, stores: Option<&Stores>) -> String {
        if let Some(stores) = stores {
            self.refresh_from(stores);
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    fn refresh_from(&self, stores: &Stores) {
        let now = k8s_openapi::jiff::Timestamp::now();
        let mut by_status = std::collections::BTreeMap::<&'static str, i64>::new();
        for pod in stores.pods.state() {
            if is_task_pod(&pod) {
                let status = crate::tasks::observe::observe(&pod, now)
                    .last_status
                    .as_str();
                *by_status.entry(status).or_default() += 1;
            }
        }
        // Every status is reported, zeros included, so a status that empties shows 0
        // instead of its last value.
        for status in crate::tasks::observe::LastStatus::ALL {
            let n = by_status.get(status.as_str()).copied().unwrap_or(0);
            self.tasks
                .get_or_create(&LastStatusLabels {
                    last_status: status.as_str().into(),
                })
                .set(n);
        }
        let (mut steady, mut not_steady) = (0, 0);
        for svc in stores.services.state() {
            let ready = svc
                .status
                .as_ref()
                .is_some_and(|s| crate::api::conditions::is_true(&s.conditions, "Ready"));
            if ready {
                steady += 1;
            } else {
                not_steady += 1;
            }
        }
        self.services
            .get_or_create(&StateLabels {
                state: "steady".into(),
            })
            .set(steady);
        self.services
            .get_or_create(&StateLabels {
                state: "not_steady".into(),
            })
            .set(not_steady);
    }
}

/// A Pod the operator created for a task: its controller is an EcsService or an EcsTask.
fn is_task_pod(pod: &crate::slim_pod::SlimPod) -> bool {
    pod.owner_references().iter().any(|o| {
        o.controller == Some(true)
            && o.api_version.starts_with("ecs.operator.dev/")
            && (o.kind == "EcsService" || o.kind == "EcsTask")
    })
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// Times one placement decision: `time_placement(|| snapshot.place(&request))`.
pub fn time_placement<T>(place: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = place();
    metrics()
        .placement_duration
        .observe(start.elapsed().as_secs_f64());
    out
}

/// A reconcile error's label: the variant name of the controller's error enum.
pub trait ErrorReason {
    fn reason(&self) -> &'static str;
}

/// Wraps a controller's reconcile function: a `reconcile` span carrying the object (kind,
/// `object` = name, namespace), the reconcile counters by result and error reason, the duration
/// histogram and the in-flight gauge.
pub fn measured<K, C, E, F, Fut>(
    controller: &'static str,
    mut reconcile: F,
) -> impl FnMut(Arc<K>, Arc<C>) -> BoxFuture<'static, Result<Action, E>>
where
    K: Resource<DynamicType = ()> + Send + Sync + 'static,
    C: Send + Sync + 'static,
    E: ErrorReason + Send + 'static,
    F: FnMut(Arc<K>, Arc<C>) -> Fut,
    Fut: Future<Output = Result<Action, E>> + Send + 'static,
{
    move |obj, ctx| {
        let span = tracing::info_span!(
            "reconcile",
            controller,
            kind = %K::kind(&()),
            // Not `name`: the JSON formatter writes the span's own name under that key.
            object = %obj.name_any(),
            namespace = obj.namespace().unwrap_or_default(),
        );
        let fut = reconcile(obj, ctx);
        async move {
            let m = metrics();
            let labels = ControllerLabels {
                controller: controller.into(),
            };
            let in_flight = m.reconciles_in_flight.get_or_create_owned(&labels);
            in_flight.inc();
            let start = Instant::now();
            let result = fut.await;
            in_flight.dec();
            m.reconcile_duration
                .get_or_create(&labels)
                .observe(start.elapsed().as_secs_f64());
            let outcome = if result.is_ok() { "success" } else { "error" };
            m.reconciles
                .get_or_create(&ResultLabels {
                    controller: controller.into(),
                    result: outcome.into(),
                })
                .inc();
            if let Err(e) = &result {
                m.reconcile_errors
                    .get_or_create(&ReasonLabels {
                        controller: controller.into(),
                        reason: e.reason().into(),
                    })
                    .inc();
            }
            result
        }
        .instrument(span)
        .boxed()
    }
}

/// Counts the watch events queued for one controller (see `workqueue_depth`).
#[derive(Clone)]
pub struct QueueDepth(Gauge);

impl QueueDepth {
    pub fn of(controller: &str) -> Self {
        Self(
            metrics()
                .workqueue_depth
                .get_or_create_owned(&ControllerLabels {
                    controller: controller.into(),
                }),
        )
    }
    pub fn pushed(&self) {
        self.0.inc();
    }
    pub fn taken(&self) {
        self.0.dec();
    }
}

impl ErrorReason for crate::controllers::ecs_service::Error {
    fn reason(&self) -> &'static str {
        crate::controllers::ecs_service::Error::reason(self)
    }
}

impl ErrorReason for crate::controllers::task_definition::Error {
    fn reason(&self) -> &'static str {
        crate::controllers::task_definition::Error::reason(self)
    }
}

impl ErrorReason for crate::controllers::ecs_task::Error {
    fn reason(&self) -> &'static str {
        crate::controllers::ecs_task::Error::reason(self)
    }
}

impl ErrorReason for crate::controllers::ecs_cluster::Error {
    fn reason(&self) -> &'static str {
        crate::controllers::ecs_cluster::Error::reason(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Boom;
    impl ErrorReason for Boom {
        fn reason(&self) -> &'static str {
            "Boom"
        }
    }

    #[tokio::test]
    async fn measured_counts_results_reasons_and_durations() {
        let ok = |_: Arc<k8s_openapi::api::core::v1::ConfigMap>, _: Arc<()>| async {
            Ok::<_, Boom>(Action::await_change())
        };
        let err = |_: Arc<k8s_openapi::api::core::v1::ConfigMap>, _: Arc<()>| async {
            Err::<Action, _>(Boom)
        };
        let obj = Arc::new(k8s_openapi::api::core::v1::ConfigMap::default());
        measured("unit-ok", ok)(obj.clone(), Arc::new(()))
            .await
            .unwrap();
        measured("unit-err", err)(obj.clone(), Arc::new(()))
            .await
            .unwrap_err();
        let text = metrics().encode(None);
        assert!(
            text.contains(
                r#"ecs_operator_reconcile_total{controller="unit-ok",result="success"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"ecs_operator_reconcile_errors_total{controller="unit-err",reason="Boom"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"ecs_operator_reconcile_duration_seconds_count{controller="unit-ok"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"ecs_operator_reconciles_in_flight{controller="unit-ok"} 0"#),
            "{text}"
        );
    }

    fn placement_count() -> u64 {
        let text = metrics().encode(None);
        text.lines()
            .find_map(|l| l.strip_prefix("ecs_operator_placement_duration_seconds_count "))
            .and_then(|v| v.trim().parse().ok())
            .expect("placement count in the exposition")
    }

    #[test]
    fn placement_timer_observes_and_passes_the_result_through() {
        let before = placement_count();
        assert_eq!(time_placement(|| 42), 42);
        assert!(placement_count() > before);
    }
}
