//! `ecs-operator import`, the pure part: ECS JSON as `aws ecs describe-task-definition` and
//! `aws ecs describe-services` print it → TaskDefinition / EcsService objects → YAML.
//!
//! - Read-only response fields (the ECS response shape minus the request shape) are dropped
//!   and reported as [`Note`]s; response fields with a request counterpart are mapped
//!   (`clusterArn` → `cluster`, `roleArn` → `role`, response-level `tags` → `spec.tags`,
//!   the PRIMARY deployment's `serviceConnectConfiguration` / `volumeConfigurations` /
//!   `vpcLatticeConfigurations` → the service spec).
//! - Every other field must survive deserialization into the typed spec and back; one that
//!   does not is an error naming its path, never a silent drop.
//! - metadata.name is the ECS name made DNS-1123 ([`kubernetes_name`]); the ECS name stays
//!   in `spec.family` / `spec.serviceName`. No namespace unless [`Options::namespace`].
//! - A service's `taskDefinition` ARN becomes `family:revision` by default
//!   ([`TaskDefinitionRef`]).

mod error;
mod json;
mod names;
mod path;
mod service;
mod strip;
mod task_definition;
mod typed;

use std::fmt;

use serde::Serialize;

pub use error::{ImportError, LossKind, LostField};
pub use names::kubernetes_name;
pub use path::{JsonPath, Step};
pub use service::{SERVICE_MAPPED_FIELDS, SERVICE_READ_ONLY_FIELDS, import_services};
pub use task_definition::{TASK_DEFINITION_READ_ONLY_FIELDS, import_task_definition};

/// How an imported service refers to its task definition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TaskDefinitionRef {
    /// `family:revision` taken from the ARN (`web:7`): the same pinned revision, in the
    /// short form the operator resolves in the service's namespace.
    #[default]
    Revision,
    /// The family alone (`web`): the latest ACTIVE revision, which is what exists after
    /// importing the task definition into a fresh namespace (it starts at revision 1).
    Family,
    /// The value exactly as ECS printed it (usually the full ARN).
    Arn,
}

/// Choices of the caller.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Sets metadata.namespace on every object; `None` leaves it to `kubectl -n`.
    pub namespace: Option<String>,
    pub task_definition_ref: TaskDefinitionRef,
}

/// Something the import did on purpose that the user may want to know about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// What it is about, e.g. "task definition `web`".
    pub subject: String,
    pub message: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

/// The converted objects and the notes about them.
#[derive(Clone, Debug)]
pub struct Imported<K> {
    pub objects: Vec<K>,
    pub notes: Vec<Note>,
}

/// The objects as a YAML stream, documents separated by `---`. Strings stay on one line
/// (no folded `>` blocks), as `kubectl get -o yaml` prints them, so ARNs and commands read
/// and diff as they were in the ECS JSON.
pub fn to_yaml<K: Serialize>(objects: &[K]) -> Result<String, ImportError> {
    let options = serde_saphyr::ser_options! { prefer_block_scalars: false };
    Ok(serde_saphyr::to_string_multiple_with_options(
        objects, options,
    )?)
}

/// Validates a `--namespace` value (a DNS-1123 label), so a typo fails here and not at apply.
pub fn validate_namespace(namespace: &str) -> Result<(), String> {
    let ok = !namespace.is_empty()
        && namespace.len() <= 63
        && namespace
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !namespace.starts_with('-')
        && !namespace.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{namespace}` is not a valid namespace name: at most 63 lowercase letters, digits and '-', \
             starting and ending with a letter or digit"
        ))
    }
}

/// `` `a`, `b` `` for notes.
fn quoted(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
