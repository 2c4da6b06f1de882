//! `aws ecs describe-task-definition` output → a TaskDefinition object.

use serde_json::{Map, Value};

use super::error::{ImportError, LossKind, LostField};
use super::json;
use super::names::metadata_name;
use super::path::JsonPath;
use super::strip::drop_read_only;
use super::typed::{Origin, Target, typed};
use super::{Imported, Note, Options};
use crate::api::{TaskDefinition, TaskDefinitionSpec};

/// Fields of the ECS `TaskDefinition` response shape that RegisterTaskDefinitionRequest
/// does not take: ECS sets them. Dropped on import.
pub const TASK_DEFINITION_READ_ONLY_FIELDS: &[&str] = &[
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
    "deleteRequestedAt",
];

const EXPECTED: &str = "the output of `aws ecs describe-task-definition` (an object with `taskDefinition`) \
                        or a task definition object (with `family` and `containerDefinitions`)";

/// Members of the describe-task-definition response besides `taskDefinition`.
const RESPONSE_MEMBERS: &[&str] = &["taskDefinition", "tags"];

/// Converts a describe-task-definition response (or its `taskDefinition` object alone).
pub fn import_task_definition(
    input: &str,
    options: &Options,
) -> Result<Imported<TaskDefinition>, ImportError> {
    let Located {
        mut definition,
        prefix,
        response_tags,
    } = locate(json::parse(input, EXPECTED)?)?;
    let mut origin = Origin::new(prefix);
    let subject = match definition.get("family").and_then(Value::as_str) {
        Some(family) => format!("task definition `{family}`"),
        None => "the task definition".to_owned(),
    };
    let mut notes = Vec::new();

    if let Some(message) = drop_read_only(
        &mut definition,
        TASK_DEFINITION_READ_ONLY_FIELDS,
        "taskDefinitionArn",
    ) {
        notes.push(Note {
            subject: subject.clone(),
            message,
        });
    }

    if let Some(tags) = response_tags {
        merge_response_tags(&mut definition, tags, &mut origin)?;
    }

    let target = Target {
        subject: &subject,
        shape: "RegisterTaskDefinitionRequest",
    };
    let spec: TaskDefinitionSpec = typed(definition, &origin, &target)?;

    let (name, note) = metadata_name(spec.family.as_deref(), &subject, "family")?;
    if let Some(message) = note {
        notes.push(Note { subject, message });
    }
    let mut object = TaskDefinition::new(&name, spec);
    object.metadata.namespace.clone_from(&options.namespace);
    Ok(Imported {
        objects: vec![object],
        notes,
    })
}

/// The task definition object and where it sits in the input.
struct Located {
    definition: Map<String, Value>,
    prefix: JsonPath,
    /// The response-level `tags` (describe-task-definition `--include TAGS`).
    response_tags: Option<Value>,
}

fn locate(value: Value) -> Result<Located, ImportError> {
    let Value::Object(mut top) = value else {
        return Err(shape_error(&value));
    };
    if top.contains_key("taskDefinition") {
        let unknown: Vec<LostField> = top
            .keys()
            .filter(|k| !RESPONSE_MEMBERS.contains(&k.as_str()))
            .map(|k| LostField {
                spec_path: None,
                input_path: JsonPath::of(k),
                kind: LossKind::Unknown,
            })
            .collect();
        if !unknown.is_empty() {
            return Err(ImportError::UnknownFields {
                subject: "the describe-task-definition response".into(),
                shape: "DescribeTaskDefinitionResponse",
                fields: unknown,
            });
        }
        return match top.remove("taskDefinition") {
            Some(Value::Object(definition)) => Ok(Located {
                definition,
                prefix: JsonPath::of("taskDefinition"),
                response_tags: top.remove("tags").filter(|t| !is_empty_list(t)),
            }),
            other => Err(ImportError::Shape {
                expected: EXPECTED,
                found: format!(
                    "an object whose `taskDefinition` is {}",
                    json::describe(&other.unwrap_or(Value::Null))
                ),
                hint: None,
            }),
        };
    }
    if ["containerDefinitions", "family", "taskDefinitionArn"]
        .iter()
        .any(|k| top.contains_key(*k))
    {
        return Ok(Located {
            definition: top,
            prefix: JsonPath::root(),
            response_tags: None,
        });
    }
    Err(shape_error(&Value::Object(top)))
}

fn shape_error(value: &Value) -> ImportError {
    let looks_like_services = value
        .as_object()
        .is_some_and(|m| m.contains_key("services") || m.contains_key("serviceName"));
    ImportError::Shape {
        expected: EXPECTED,
        found: json::describe(value),
        hint: looks_like_services.then_some(
            "this looks like describe-services output: use `ecs-operator import service`",
        ),
    }
}

/// Puts the response's `tags` into the spec (`spec.tags` is where RegisterTaskDefinition takes them).
fn merge_response_tags(
    definition: &mut Map<String, Value>,
    tags: Value,
    origin: &mut Origin,
) -> Result<(), ImportError> {
    match definition.get("tags") {
        Some(own) if *own == tags => Ok(()),
        Some(own) if !is_empty_list(own) => Err(ImportError::ConflictingTags),
        _ => {
            definition.insert("tags".into(), tags);
            origin.moved("tags", JsonPath::of("tags"));
            Ok(())
        }
    }
}

fn is_empty_list(value: &Value) -> bool {
    value.as_array().is_some_and(Vec::is_empty)
}
