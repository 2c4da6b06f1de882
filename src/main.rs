//! The `ecs-operator` binary: `run` the controllers, print the `crds`, `import` ECS JSON.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ecs_operator::cli;

/// jemalloc, returning freed pages at once. The operator's memory is a cache of every Pod
/// that churns with each watch event; with glibc's malloc its peak RSS stood 25–30 MB above
/// its peak heap (ecs-bench N=10000 M=1000: 70–76 MB RSS for a 46 MB heap, heaptrack). Measured
/// there, one run each: jemalloc as shipped 71 MB; with a 1 s decay 69 MB; with immediate
/// purging 61 MB — and 5.4–6.0 CPU-s against glibc's 6.5–7.1.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's `malloc_conf` (its symbols carry the `_rjem_` prefix); `_RJEM_MALLOC_CONF` in the
/// environment still overrides it.
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: ConfString = ConfString(c"dirty_decay_ms:0,muzzy_decay_ms:0".as_ptr());

/// A C string pointer jemalloc reads once at start-up.
#[repr(transparent)]
struct ConfString(*const std::ffi::c_char);
// SAFETY: it points at a static string that is never written.
unsafe impl Sync for ConfString {}

#[derive(Parser)]
#[command(
    name = "ecs-operator",
    version,
    about = "Amazon ECS semantics on any Kubernetes cluster"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every controller against the cluster in KUBECONFIG / in-cluster config.
    Run {
        #[command(flatten)]
        config: ecs_operator::controllers::OperatorConfig,
        /// Log format: text or json.
        #[arg(long, env = "ECS_OPERATOR_LOG_FORMAT", default_value = "text")]
        log_format: String,
        /// Threads running the controllers and their watches: 1 (the default), all on one
        /// thread (tokio's current-thread scheduler: the operator waits on the API server far
        /// more than it computes, and one thread spares it the wake-ups between threads;
        /// ecs-bench N=1000: ~20 % less CPU); n > 1, a pool of n; 0, a pool of one per core.
        #[arg(long, env = "ECS_OPERATOR_RUNTIME_THREADS", default_value_t = 1)]
        runtime_threads: usize,
    },
    /// Print the four CustomResourceDefinitions as YAML, or write one file per CRD.
    Crds {
        /// Write `<crd name>.yaml` files into this directory instead of printing (`make crds`).
        #[arg(long)]
        out_dir: Option<std::path::PathBuf>,
    },
    /// List a cluster's container instances (describe-container-instances).
    Instances(cli::instances::InstancesArgs),
    /// Convert ECS JSON (describe-task-definition / describe-services output) into manifests.
    #[command(subcommand)]
    Import(cli::import::ImportCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            config,
            log_format,
            runtime_threads,
        } => {
            cli::run::init_tracing(&log_format);
            cli::run::run(config, runtime_threads)
        }
        Command::Crds { out_dir } => {
            let result = match out_dir {
                Some(dir) => cli::crds::write_dir(&dir),
                None => cli::crds::render_all().map(|yaml| print!("{yaml}")),
            };
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Import(cmd) => cli::import::run(cmd),
        Command::Instances(args) => cli::instances::run(args),
    }
}
