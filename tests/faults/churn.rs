//! Node churn while services roll: an instance deleted, one cordoned (DRAINING), one
//! disconnected (NotReady) and reconnected, one added — every round.

use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};

use super::mode::{counts, report};
use super::operator::{Operators, Options};
use super::rng::Rng;
use super::sigkill::STEADY_BOUND;
use super::support::ZONES;
use super::workload::Workload;

async fn cordon(client: &kube::Client, node: &str, on: bool) {
    let api: Api<Node> = Api::all(client.clone());
    api.patch(
        node,
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"spec": {"unschedulable": on}})),
    )
    .await
    .expect("cordon");
}

/// Gives the node back to kwok, which reports it Ready again.
async fn reconnect(client: &kube::Client, node: &str) {
    let api: Api<Node> = Api::all(client.clone());
    api.patch(
        node,
        &PatchParams::default(),
        &Patch::Merge(
            serde_json::json!({"metadata": {"annotations": {"kwok.x-k8s.io/node": "fake"}}}),
        ),
    )
    .await
    .expect("reconnect");
    let ready = super::support::poll_until(Duration::from_secs(60), || async {
        api.get_opt(node).await.ok().flatten().is_some_and(|n| {
            n.status
                .and_then(|s| s.conditions)
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        })
    })
    .await;
    assert!(ready, "{node} Ready again");
}

pub async fn churn_while_rolling() {
    let scenario = "churn";
    let c = counts();
    let mut rng = Rng::new(scenario);
    let mut w = Workload::new(scenario, 9).await;
    let ops = Operators::start(Options::one(scenario));
    w.steady(STEADY_BOUND).await;
    let client = w.ns.client.clone();
    let mut worst = Duration::ZERO;
    let (mut deleted, mut cordoned, mut disconnected, mut added) = (0, 0, 0, 0);
    for round in 0..c.churn_rounds {
        w.roll().await;
        w.scale("web", 8 + (round as u64 % 3)).await;
        w.rollout_started().await;
        let nodes = w.cluster.nodes.clone();
        let pick = |rng: &mut Rng| nodes[rng.below(nodes.len())].clone();
        let gone = pick(&mut rng);
        w.watch.exempt(&gone);
        w.cluster.delete_node(&gone).await;
        deleted += 1;
        let mut drained = pick(&mut rng);
        while drained == gone {
            drained = pick(&mut rng);
        }
        // Draining is the operator's to do within minimumHealthyPercent: not exempt.
        cordon(&client, &drained, true).await;
        cordoned += 1;
        let mut lost = pick(&mut rng);
        while lost == gone || lost == drained {
            lost = pick(&mut rng);
        }
        w.watch.exempt(&lost);
        w.cluster.disconnect_node(&lost).await;
        disconnected += 1;
        // Past --node-lost-after-seconds (3 s): the operator replaces its tasks.
        tokio::time::sleep(Duration::from_secs(5)).await;
        reconnect(&client, &lost).await;
        cordon(&client, &drained, false).await;
        w.cluster.add_node(ZONES[round % 3], &[]).await;
        added += 1;
        worst = worst.max(w.steady(STEADY_BOUND).await);
    }
    let panics = ops.panics();
    drop(ops);
    report(scenario, "rounds", c.churn_rounds);
    report(scenario, "nodes_deleted", deleted);
    report(scenario, "nodes_cordoned", cordoned);
    report(scenario, "nodes_notready_and_back", disconnected);
    report(scenario, "nodes_added", added);
    report(scenario, "max_seconds_to_steady", worst.as_secs_f64());
    assert!(panics.is_empty(), "operator panicked: {panics:#?}");
    w.finish(scenario).await;
}
