//! Running the operator as a well-behaved process: Prometheus metrics, health probes,
//! leader election on a Lease, and graceful shutdown on SIGTERM / SIGINT.

pub mod config;
pub mod http;
pub mod leader;
pub mod metrics;

pub use config::OperationsConfig;

use tokio::sync::watch;

/// A process-wide stop request, cloned into every part that must stop on it (controllers,
/// HTTP servers, the standby wait).
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// The sending side of [`Shutdown`].
#[derive(Clone)]
pub struct ShutdownTrigger(std::sync::Arc<watch::Sender<bool>>);

impl Shutdown {
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger(std::sync::Arc::new(tx)), Shutdown(rx))
    }

    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once shutdown is requested (or the trigger is gone).
    pub fn requested(&self) -> impl std::future::Future<Output = ()> + Send + Sync + 'static {
        let mut rx = self.0.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        let _ = self.0.send(true);
    }

    /// SIGTERM or SIGINT requests a graceful shutdown; a second one exits at once (as
    /// controller-runtime does), for a shutdown that hangs.
    pub fn on_signals(self) {
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown requested: stopping");
            self.trigger();
            wait_for_signal().await;
            tracing::warn!("second signal: exiting without waiting");
            std::process::exit(1);
        });
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the operator");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
