//! `ecs-operator import`: reads ECS JSON from a file or stdin, prints manifests on stdout,
//! notes and errors on stderr. The conversion itself is `crate::import`.

use std::io::Read;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::import::{self, ImportError, Imported, Options, TaskDefinitionRef};

/// Exit code for bad input (unreadable, not JSON, wrong shape, unknown fields).
const INPUT_ERROR: u8 = 2;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Convert `aws ecs describe-task-definition` output into a TaskDefinition manifest.
    ///
    /// Takes the whole response or its `taskDefinition` object. Read-only fields
    /// (taskDefinitionArn, revision, status, requiresAttributes, compatibilities, registeredAt,
    /// registeredBy, deregisteredAt, deleteRequestedAt) are dropped and listed on stderr; the
    /// response's `tags` become spec.tags. metadata.name is the family made DNS-1123
    /// (lowercase, `_` → `-`); spec.family keeps the ECS name. Any other field that is not
    /// part of RegisterTaskDefinitionRequest is an error. Exit code 2 on bad input.
    TaskDefinition {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Convert `aws ecs describe-services` output into EcsService manifests.
    ///
    /// Takes the whole response (one YAML document per service), one service object, or a
    /// create-service response. Response-only fields (serviceArn, status, counts, deployments,
    /// events, createdAt, …) are dropped and listed on stderr; clusterArn becomes cluster (the
    /// name), roleArn becomes role (left out if it is the ECS service-linked role);
    /// serviceConnectConfiguration, volumeConfigurations and vpcLatticeConfigurations come
    /// from the PRIMARY deployment. metadata.name is the service name made DNS-1123;
    /// spec.serviceName keeps the ECS name. Any other field that is not part of
    /// CreateServiceRequest is an error. Exit code 2 on bad input.
    Service {
        #[command(flatten)]
        input: InputArgs,
        /// How the services refer to their task definition.
        #[arg(long, value_enum, default_value_t = RefMode::Revision)]
        task_definition_ref: RefMode,
    },
}

#[derive(Args)]
pub struct InputArgs {
    /// The JSON file, or - for standard input.
    #[arg(default_value = "-")]
    file: String,
    /// Set metadata.namespace in the manifests (by default they have none, so `kubectl -n` decides).
    #[arg(long, short = 'n', value_parser = parse_namespace)]
    namespace: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RefMode {
    /// family:revision from the ARN (web-app:14), the revision the service ran.
    Revision,
    /// The family alone (web-app): its latest ACTIVE revision. Use it when the task
    /// definitions are imported too, as their revisions restart at 1 in the cluster.
    Family,
    /// The value as ECS printed it (usually the full ARN; the operator ignores its
    /// region and account).
    Arn,
}

pub fn run(cmd: ImportCommand) -> ExitCode {
    match cmd {
        ImportCommand::TaskDefinition { input } => {
            let options = options(&input, TaskDefinitionRef::default());
            convert(&input.file, |json| {
                import::import_task_definition(json, &options)
            })
        }
        ImportCommand::Service {
            input,
            task_definition_ref,
        } => {
            let mode = match task_definition_ref {
                RefMode::Revision => TaskDefinitionRef::Revision,
                RefMode::Family => TaskDefinitionRef::Family,
                RefMode::Arn => TaskDefinitionRef::Arn,
            };
            let options = options(&input, mode);
            convert(&input.file, |json| import::import_services(json, &options))
        }
    }
}

fn options(input: &InputArgs, task_definition_ref: TaskDefinitionRef) -> Options {
    Options {
        namespace: input.namespace.clone(),
        task_definition_ref,
    }
}

/// Reads `file`, converts, prints; the exit code says who is at fault.
fn convert<K: Serialize>(
    file: &str,
    import: impl Fn(&str) -> Result<Imported<K>, ImportError>,
) -> ExitCode {
    let json = match read_input(file) {
        Ok(json) => json,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    let result = import(&json).and_then(|imported| {
        let yaml = import::to_yaml(&imported.objects)?;
        Ok((yaml, imported.notes))
    });
    match result {
        Ok((yaml, notes)) => {
            for note in notes {
                eprintln!("note: {note}");
            }
            print!("{yaml}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", display_name(file));
            if e.is_input_error() {
                ExitCode::from(INPUT_ERROR)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn read_input(file: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    let read = if file == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(file).map(|b| bytes = b)
    };
    read.map_err(|e| format!("cannot read {}: {e}", display_name(file)))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            display_name(file),
            e.utf8_error().valid_up_to()
        )
    })
}

fn display_name(file: &str) -> &str {
    if file == "-" { "<stdin>" } else { file }
}

fn parse_namespace(value: &str) -> Result<String, String> {
    import::validate_namespace(value).map(|()| value.to_owned())
}
