//! Faults of the control plane under a rolling deployment: kube-apiserver restarted, etcd
//! stopped for a while and restarted, and the operator's own connection cut and restored
//! (the apiserver unreachable for it only, through a proxy).

use std::time::{Duration, Instant};

use super::mode::{counts, mark, report};
use super::operator::{Operators, Options};
use super::plane::{Stopped, wait_api};
use super::proxy::{Proxy, apiserver_addr, kubeconfig_via};
use super::sigkill::STEADY_BOUND;
use super::workload::Workload;

pub async fn apiserver_and_etcd() {
    let scenario = "plane";
    let c = counts();
    let mut w = Workload::new(scenario, 6).await;
    let ops = Operators::start(Options::one(scenario));
    w.steady(STEADY_BOUND).await;
    let mut worst = Duration::ZERO;
    for _ in 0..c.apiserver_restarts {
        w.roll().await;
        w.rollout_started().await;
        let start = Instant::now();
        mark(scenario, "apiserver stop");
        Stopped::stop("kube-apiserver").start();
        wait_api(&w.ns.client).await;
        mark(scenario, "apiserver up");
        report(
            scenario,
            "apiserver_down_seconds",
            start.elapsed().as_secs_f64(),
        );
        worst = worst.max(w.steady(STEADY_BOUND).await);
        mark(scenario, "steady");
    }
    for _ in 0..c.etcd_stops {
        w.roll().await;
        w.rollout_started().await;
        mark(scenario, "etcd stop");
        let etcd = Stopped::stop("etcd");
        // The fault itself: etcd stays down this long.
        tokio::time::sleep(Duration::from_secs(c.etcd_down_seconds)).await;
        etcd.start();
        wait_api(&w.ns.client).await;
        mark(scenario, "etcd up");
        worst = worst.max(w.steady(STEADY_BOUND).await);
        mark(scenario, "steady");
    }
    let panics = ops.panics();
    drop(ops);
    report(scenario, "apiserver_restarts", c.apiserver_restarts);
    report(scenario, "etcd_stops", c.etcd_stops);
    report(scenario, "etcd_down_seconds", c.etcd_down_seconds);
    report(scenario, "max_seconds_to_steady", worst.as_secs_f64());
    assert!(panics.is_empty(), "operator panicked: {panics:#?}");
    w.finish(scenario).await;
}

/// The operator cut off while the user scales and rolls: it catches up once restored.
pub async fn connection_cut() {
    let scenario = "cut";
    let c = counts();
    let mut w = Workload::new(scenario, 6).await;
    let proxy = Proxy::start(apiserver_addr()).await;
    let mut options = Options::one(scenario);
    options.kubeconfig = kubeconfig_via(proxy.port, scenario);
    let mut ops = Operators::start(options);
    w.steady(STEADY_BOUND).await;
    let mut worst = Duration::ZERO;
    for i in 0..c.connection_cuts {
        mark(scenario, "cut");
        proxy.cut();
        w.scale("web", if i % 2 == 0 { 10 } else { 5 }).await;
        w.roll().await;
        // The fault itself: the apiserver is unreachable for the operator this long.
        tokio::time::sleep(Duration::from_secs(c.cut_seconds)).await;
        proxy.restore();
        mark(scenario, "restored");
        worst = worst.max(w.steady(STEADY_BOUND).await);
        mark(scenario, "steady");
    }
    let panics = ops.panics();
    let alive = ops.all_alive();
    drop(ops);
    report(scenario, "connection_cuts", c.connection_cuts);
    report(scenario, "cut_seconds", c.cut_seconds);
    report(scenario, "max_seconds_to_steady", worst.as_secs_f64());
    assert!(panics.is_empty(), "operator panicked: {panics:#?}");
    assert!(alive, "the operator exited while cut off");
    w.finish(scenario).await;
}
