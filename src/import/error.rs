//! Why an import failed. Every variant but `Yaml` is a problem with the input (exit code 2).

use std::fmt;

use super::path::JsonPath;

/// A value of the input that the typed spec cannot carry, so importing would lose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostField {
    /// Where it would have gone in the manifest (`spec.containerDefinitions[0].foo`); `None`
    /// for members of the response wrapper, which has no place in the manifest.
    pub spec_path: Option<JsonPath>,
    /// Where it is in the input (`taskDefinition.containerDefinitions[0].foo`).
    pub input_path: JsonPath,
    /// Present in the input but absent from the typed spec (an unknown field), or present
    /// in both with a different value.
    pub kind: LossKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    Unknown,
    Altered,
}

impl fmt::Display for LostField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.spec_path, self.kind) {
            (Some(spec), LossKind::Unknown) => {
                write!(f, "unknown field `{spec}` (input: `{}`)", self.input_path)
            }
            (Some(spec), LossKind::Altered) => write!(
                f,
                "the value of `{spec}` (input: `{}`) cannot be represented exactly",
                self.input_path
            ),
            (None, _) => write!(f, "unknown field `{}` of the response", self.input_path),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the input is empty: expected {expected}")]
    Empty { expected: &'static str },

    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },

    #[error("unexpected input: expected {expected}; found {found}{}", hint_suffix(.hint))]
    Shape {
        expected: &'static str,
        found: String,
        hint: Option<&'static str>,
    },

    #[error("invalid value at `{spec_path}` (input: `{input_path}`) in {subject}: {message}")]
    InvalidField {
        subject: String,
        spec_path: JsonPath,
        input_path: JsonPath,
        message: String,
    },

    #[error(
        "{}\nthese fields of {subject} are not part of the ECS {shape} shape, so importing would lose them; remove or correct them",
        list(.fields)
    )]
    UnknownFields {
        subject: String,
        shape: &'static str,
        fields: Vec<LostField>,
    },

    #[error("{subject} has no `{field}`, so it has no name to derive metadata.name from")]
    MissingName {
        subject: String,
        field: &'static str,
    },

    #[error("cannot derive metadata.name from {field} `{ecs_name}`: it has no letters or digits")]
    UnusableName {
        field: &'static str,
        ecs_name: String,
    },

    #[error(
        "{first} and {second} would both get metadata.name `{name}`; a Kubernetes name must be unique per kind and namespace"
    )]
    DuplicateName {
        first: String,
        second: String,
        name: String,
    },

    #[error("the describe-services response holds no services{}", failures_suffix(.failures))]
    NoServices { failures: Vec<String> },

    #[error(
        "the task definition carries `tags` and the response carries different `tags`; keep one of them"
    )]
    ConflictingTags,

    /// Not an input problem: the manifests could not be written.
    #[error("cannot write the manifests as YAML: {0}")]
    Yaml(#[from] serde_saphyr::ser::Error),
}

impl ImportError {
    /// Whether the input is at fault (the CLI exits with 2 then).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, ImportError::Yaml(_))
    }
}

fn hint_suffix(hint: &Option<&'static str>) -> String {
    hint.map(|h| format!(" ({h})")).unwrap_or_default()
}

fn failures_suffix(failures: &[String]) -> String {
    if failures.is_empty() {
        String::new()
    } else {
        format!("; failures: {}", failures.join("; "))
    }
}

fn list(fields: &[LostField]) -> String {
    fields
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
