//! The two small HTTP endpoints: `/metrics` and the probes `/healthz` + `/readyz`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::Shutdown;
use crate::controllers::Stores;

/// What `/readyz` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Caches not yet synced.
    Starting = 0,
    /// Synced, waiting for the Lease: ready (a healthy standby must not stall a rollout).
    Standby = 1,
    /// Synced, controllers running.
    Running = 2,
    /// Shutting down: no longer ready.
    Stopping = 3,
}

/// Shared state of the probes.
#[derive(Default)]
pub struct Health(AtomicU8);

impl Health {
    pub fn set(&self, phase: Phase) {
        self.0.store(phase as u8, Ordering::SeqCst);
    }

    pub fn phase(&self) -> Phase {
        match self.0.load(Ordering::SeqCst) {
            1 => Phase::Standby,
            2 => Phase::Running,
            3 => Phase::Stopping,
            _ => Phase::Starting,
        }
    }
}

/// The caches, once synced (the metrics endpoint starts before they are).
pub type StoresSlot = Arc<OnceLock<Stores>>;

/// Binds both listeners now (a taken port fails the start, not later) and serves them until
/// shutdown is requested.
pub async fn serve(
    metrics_addr: Option<SocketAddr>,
    health_addr: Option<SocketAddr>,
    health: Arc<Health>,
    stores: StoresSlot,
    shutdown: Shutdown,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut servers = Vec::new();
    if let Some(addr) = metrics_addr {
        let router = Router::new()
            .route("/metrics", get(metrics))
            .with_state(stores);
        servers.push(spawn("metrics", addr, router, shutdown.clone()).await?);
    }
    if let Some(addr) = health_addr {
        let router = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(readyz))
            .with_state(health);
        servers.push(spawn("health probes", addr, router, shutdown).await?);
    }
    Ok(servers)
}

async fn spawn(
    what: &'static str,
    addr: SocketAddr,
    router: Router,
    shutdown: Shutdown,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr} for {what}: {e}"))?;
    tracing::info!(%addr, "serving {what}");
    Ok(tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.requested().await })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "{what} server failed");
        }
    }))
}

async fn metrics(State(stores): State<StoresSlot>) -> impl IntoResponse {
    let body = super::metrics::metrics().encode(stores.get());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}

async fn readyz(State(health): State<Arc<Health>>) -> impl IntoResponse {
    match health.phase() {
        Phase::Standby => (StatusCode::OK, "ok (standby: waiting for the leader Lease)"),
        Phase::Running => (StatusCode::OK, "ok"),
        Phase::Starting => (StatusCode::SERVICE_UNAVAILABLE, "caches not synced yet"),
        Phase::Stopping => (StatusCode::SERVICE_UNAVAILABLE, "shutting down"),
    }
}
