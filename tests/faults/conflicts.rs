//! A conflict storm: another client rewrites the labels and annotations of the same
//! EcsServices, TaskDefinition and task Pods the operator is reconciling — read, modify,
//! replace with the resourceVersion read — while the services scale and roll. The operator's
//! writes that lose a race (409 Conflict) must be retried, never dropped: the services end
//! steady, every object keeps the storm's last labels, no spec changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DynamicObject, ListParams, PostParams};
use kube::{Client, ResourceExt};

use super::mode::{counts, report};
use super::operator::{Operators, Options};
use super::sigkill::STEADY_BOUND;
use super::workload::{SERVICES, Workload};

#[derive(Default)]
struct Tally {
    writes: AtomicUsize,
    conflicts: AtomicUsize,
    other_errors: AtomicUsize,
}

fn stamp(meta: &mut kube::api::ObjectMeta, n: usize) {
    meta.labels
        .get_or_insert_default()
        .insert("storm.test/n".into(), n.to_string());
    meta.annotations
        .get_or_insert_default()
        .insert("storm.test/note".into(), format!("rewrite {n}"));
}

async fn rewrite_dynamic(api: &Api<DynamicObject>, name: &str, n: usize, tally: &Tally) {
    let Ok(Some(mut obj)) = api.get_opt(name).await else {
        return;
    };
    stamp(&mut obj.metadata, n);
    count(
        api.replace(name, &PostParams::default(), &obj)
            .await
            .map(|_| ()),
        tally,
    );
}

fn count(result: Result<(), kube::Error>, tally: &Tally) {
    match result {
        Ok(()) => tally.writes.fetch_add(1, Ordering::Relaxed),
        Err(kube::Error::Api(e)) if e.code == 409 => {
            tally.conflicts.fetch_add(1, Ordering::Relaxed)
        }
        Err(_) => tally.other_errors.fetch_add(1, Ordering::Relaxed),
    };
}

async fn storm(client: Client, namespace: String, writes: usize, tally: Arc<Tally>) {
    let services: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        &namespace,
        &super::support::api_resource("EcsService"),
    );
    let definitions: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        &namespace,
        &super::support::api_resource("TaskDefinition"),
    );
    let pods: Api<Pod> = Api::namespaced(client, &namespace);
    for n in 0..writes {
        match n % 4 {
            0 | 1 => rewrite_dynamic(&services, SERVICES[n % 3], n, &tally).await,
            2 => rewrite_dynamic(&definitions, "app", n, &tally).await,
            _ => {
                let list = pods
                    .list(&ListParams::default().labels("ecs.operator.dev/service"))
                    .await
                    .map(|l| l.items)
                    .unwrap_or_default();
                if let Some(mut p) = list.into_iter().nth(n % 7) {
                    let name = p.name_any();
                    stamp(&mut p.metadata, n);
                    count(
                        pods.replace(&name, &PostParams::default(), &p)
                            .await
                            .map(|_| ()),
                        &tally,
                    );
                }
            }
        }
    }
}

pub async fn storm_while_rolling() {
    let scenario = "conflicts";
    let c = counts();
    let mut w = Workload::new(scenario, 6).await;
    let ops = Operators::start(Options::one(scenario));
    w.steady(STEADY_BOUND).await;
    let tally = Arc::new(Tally::default());
    let storm = tokio::spawn(storm(
        w.ns.client.clone(),
        w.ns.name.clone(),
        c.storm_writes,
        tally.clone(),
    ));
    // Keep the operator busy writing the same objects while the storm lasts.
    let mut changes = 0;
    while !storm.is_finished() {
        match changes % 3 {
            0 => w.scale("web", 12).await,
            1 => w.roll().await,
            _ => w.scale("web", 4).await,
        }
        changes += 1;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), async {
            while !storm.is_finished() {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
        .await;
    }
    storm.await.expect("storm task");
    let to_steady = w.steady(STEADY_BOUND).await;
    // The storm's last successful label on each service is still there: the operator's
    // writes (status, finalizers) never replaced metadata it does not own.
    for s in SERVICES {
        let obj = w.ns.api_for("EcsService").get(s).await.expect("service");
        assert!(
            obj.labels().contains_key("storm.test/n"),
            "{s} lost the storm's label: {:?}",
            obj.labels()
        );
    }
    // A 409 in the operator's log reads "Conflict" / "the object has been modified" (task ids
    // are hex: "409" alone matches them).
    let operator_conflicts = ops.grep("Conflict").len() + ops.grep("has been modified").len();
    let panics = ops.panics();
    drop(ops);
    report(
        scenario,
        "storm_writes_ok",
        tally.writes.load(Ordering::Relaxed),
    );
    report(
        scenario,
        "storm_conflicts",
        tally.conflicts.load(Ordering::Relaxed),
    );
    report(
        scenario,
        "storm_other_errors",
        tally.other_errors.load(Ordering::Relaxed),
    );
    report(scenario, "user_changes_during_storm", changes);
    report(scenario, "operator_conflict_log_lines", operator_conflicts);
    report(
        scenario,
        "seconds_to_steady_after_storm",
        to_steady.as_secs_f64(),
    );
    assert!(panics.is_empty(), "operator panicked: {panics:#?}");
    w.finish(scenario).await;
}
