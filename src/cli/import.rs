//! `ecs-operator import`: ECS JSON in, manifests out (placeholder, filled in below).

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Convert `aws ecs describe-task-definition` output into a TaskDefinition manifest.
    TaskDefinition {
        /// The JSON file, or - for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Convert `aws ecs describe-services` output into EcsService manifests.
    Service {
        /// The JSON file, or - for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
}

pub fn run(_cmd: ImportCommand) -> ExitCode {
    ExitCode::from(2)
}
