//! The `ecs-operator` binary: `run` the controllers, print the `crds`, `import` ECS JSON.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ecs_operator::cli;

#[derive(Parser)]
#[command(name = "ecs-operator", version, about = "Amazon ECS semantics on any Kubernetes cluster")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the four CustomResourceDefinitions as YAML (what `make crds` writes to crds/).
    Crds,
    /// Convert ECS JSON (describe-task-definition / describe-services output) into manifests.
    #[command(subcommand)]
    Import(cli::import::ImportCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crds => match cli::crds::render_all() {
            Ok(yaml) => {
                print!("{yaml}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Import(cmd) => cli::import::run(cmd),
    }
}
