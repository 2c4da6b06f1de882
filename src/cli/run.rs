//! `ecs-operator run`: logging setup and the async runtime around `controllers::run`.

use std::process::ExitCode;

use crate::controllers::{self, OperatorConfig};

/// `RUST_LOG` filters (default `info`); `json` switches to one JSON object per line.
pub fn init_tracing(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub fn run(config: OperatorConfig) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let client = kube::Client::try_default().await?;
        controllers::run(client, config).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "ecs-operator stopped");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
