//! `ecs-operator run`: logging setup and the async runtime around `controllers::run`.

use std::process::ExitCode;

use crate::controllers::{self, OperatorConfig};

/// `RUST_LOG` filters (default `info`); `json` switches to one JSON object per line.
pub fn init_tracing(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // No colour codes in a log file or a container log.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    if format == "json" {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init();
    } else {
        builder.init();
    }
}

pub fn run(config: OperatorConfig, threads: usize) -> ExitCode {
    let runtime = match runtime(threads) {
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

/// The async runtime: with one thread, tokio's current-thread scheduler (every task on the
/// thread that runs the controllers); otherwise a work-stealing pool of `threads` workers
/// (0: one per core).
fn runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        if threads > 1 {
            builder.worker_threads(threads);
        }
        builder
    };
    builder.enable_all().build()
}

/// `--log-format json`: each line carries the innermost span (`span`) and every enclosing
/// one (`spans`) with their fields, so a reconcile's lines name the object.
#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_lines_carry_the_reconcile_span_fields() {
        let buf = Buffer::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "reconcile",
                controller = "ecsservice",
                kind = "EcsService",
                object = "web",
                namespace = "prod"
            );
            let _guard = span.enter();
            tracing::info!("reconciled");
        });
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        assert_eq!(line["span"]["name"], "reconcile", "{line}");
        assert_eq!(line["span"]["object"], "web", "{line}");
        assert_eq!(line["span"]["kind"], "EcsService", "{line}");
        assert_eq!(line["span"]["namespace"], "prod", "{line}");
        assert_eq!(line["spans"][0]["controller"], "ecsservice", "{line}");
    }

    #[test]
    fn one_runtime_thread_is_the_current_thread_scheduler_and_more_a_pool() {
        use tokio::runtime::RuntimeFlavor;
        let flavor = |threads| super::runtime(threads).unwrap().handle().runtime_flavor();
        assert_eq!(flavor(1), RuntimeFlavor::CurrentThread);
        assert_eq!(flavor(2), RuntimeFlavor::MultiThread);
        assert_eq!(flavor(0), RuntimeFlavor::MultiThread);
        let workers = super::runtime(3).unwrap().metrics().num_workers();
        assert_eq!(workers, 3);
    }
}
