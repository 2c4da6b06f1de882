//! The `ecs-operator` binary: `run` the controllers, print the `crds`, `import` ECS JSON.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ecs_operator::cli;

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
        Command::Run { config, log_format } => {
            cli::run::init_tracing(&log_format);
            cli::run::run(config)
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
