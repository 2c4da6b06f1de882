//! `aws ecs describe-services` output → EcsService objects, one per service.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::{ImportError, LossKind, LostField};
use super::json;
use super::names::{
    cluster_from_arn, family_of, is_ecs_service_linked_role, metadata_name, service_from_arn,
    task_definition_from_arn,
};
use super::path::JsonPath;
use super::strip::drop_read_only;
use super::typed::{Origin, Target, typed};
use super::{Imported, Note, Options, TaskDefinitionRef, quoted};
use crate::api::{EcsService, EcsServiceSpec};

/// Fields of the ECS `Service` response shape that CreateServiceRequest has no counterpart
/// for: ECS sets them. Dropped on import.
pub const SERVICE_READ_ONLY_FIELDS: &[&str] = &[
    "serviceArn",
    "status",
    "runningCount",
    "pendingCount",
    "platformFamily",
    "taskSets",
    "deployments",
    "events",
    "createdAt",
    "createdBy",
    "currentServiceDeployment",
    "currentServiceRevisions",
    "resourceManagementType",
];

/// Response fields that CreateServiceRequest takes under another name: (response, request).
pub const SERVICE_MAPPED_FIELDS: &[(&str, &str)] =
    &[("clusterArn", "cluster"), ("roleArn", "role")];

/// CreateServiceRequest fields that describe-services reports only on the deployments; the
/// PRIMARY deployment's values are the service's current configuration.
const FROM_PRIMARY_DEPLOYMENT: &[&str] = &[
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];

const EXPECTED: &str = "the output of `aws ecs describe-services` (an object with `services`) \
                        or a service object (with `serviceName`)";

/// Converts a describe-services response (or one service object, or a create-service
/// response `{"service": …}`) into one EcsService per service.
pub fn import_services(
    input: &str,
    options: &Options,
) -> Result<Imported<EcsService>, ImportError> {
    let Located { services, failures } = locate(json::parse(input, EXPECTED)?)?;
    let mut notes: Vec<Note> = failures
        .iter()
        .map(|failure| Note {
            subject: "describe-services".into(),
            message: format!("failure {failure} (not imported)"),
        })
        .collect();
    let mut objects = Vec::new();
    // metadata.name → the input path of the service that got it, to catch collisions
    // such as `My_Service` and `my-service`.
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    for (service, prefix) in services {
        let where_ = prefix.to_string();
        let object = convert(service, prefix, options, &mut notes)?;
        let name = object.metadata.name.clone().unwrap_or_default();
        let this = format!(
            "`{where_}` (`{}`)",
            object.spec.service_name.as_deref().unwrap_or_default()
        );
        if let Some(first) = taken.insert(name.clone(), this.clone()) {
            return Err(ImportError::DuplicateName {
                first,
                second: this,
                name,
            });
        }
        objects.push(object);
    }
    Ok(Imported { objects, notes })
}

/// The service objects with their input paths, and the response's failures.
struct Located {
    services: Vec<(Map<String, Value>, JsonPath)>,
    failures: Vec<String>,
}

fn locate(value: Value) -> Result<Located, ImportError> {
    let Value::Object(mut top) = value else {
        return Err(shape_error(&value));
    };
    if top.contains_key("services") {
        reject_unknown_members(&top, &["services", "failures"], "DescribeServicesResponse")?;
        let failures = top
            .remove("failures")
            .map(describe_failures)
            .unwrap_or_default();
        let Some(Value::Array(items)) = top.remove("services") else {
            return Err(ImportError::Shape {
                expected: EXPECTED,
                found: "an object whose `services` is not a list".into(),
                hint: None,
            });
        };
        if items.is_empty() {
            return Err(ImportError::NoServices { failures });
        }
        let mut services = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::Object(service) => {
                    services.push((service, JsonPath::of("services").index(i)))
                }
                other => {
                    return Err(ImportError::Shape {
                        expected: EXPECTED,
                        found: format!("`services[{i}]` is {}", json::describe(&other)),
                        hint: None,
                    });
                }
            }
        }
        return Ok(Located { services, failures });
    }
    if top.contains_key("service") {
        // create-service / update-service print `{"service": {…}}`.
        reject_unknown_members(&top, &["service"], "CreateServiceResponse")?;
        return match top.remove("service") {
            Some(Value::Object(service)) => Ok(Located {
                services: vec![(service, JsonPath::of("service"))],
                failures: Vec::new(),
            }),
            other => Err(ImportError::Shape {
                expected: EXPECTED,
                found: format!(
                    "an object whose `service` is {}",
                    json::describe(&other.unwrap_or(Value::Null))
                ),
                hint: None,
            }),
        };
    }
    if top.contains_key("serviceName") || top.contains_key("serviceArn") {
        return Ok(Located {
            services: vec![(top, JsonPath::root())],
            failures: Vec::new(),
        });
    }
    Err(shape_error(&Value::Object(top)))
}

fn shape_error(value: &Value) -> ImportError {
    let looks_like_task_definition = value.as_object().is_some_and(|m| {
        ["taskDefinition", "containerDefinitions", "family"]
            .iter()
            .any(|k| m.contains_key(*k))
    });
    let hint = if looks_like_task_definition {
        Some(
            "this looks like describe-task-definition output: use `ecs-operator import task-definition`",
        )
    } else if value.is_array() {
        Some("pass the whole describe-services output, `{\"services\": [...]}`")
    } else {
        None
    };
    ImportError::Shape {
        expected: EXPECTED,
        found: json::describe(value),
        hint,
    }
}

fn reject_unknown_members(
    top: &Map<String, Value>,
    known: &[&str],
    shape: &'static str,
) -> Result<(), ImportError> {
    let fields: Vec<LostField> = top
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| LostField {
            spec_path: None,
            input_path: JsonPath::of(k),
            kind: LossKind::Unknown,
        })
        .collect();
    if fields.is_empty() {
        Ok(())
    } else {
        Err(ImportError::UnknownFields {
            subject: "the response".into(),
            shape,
            fields,
        })
    }
}

/// `arn:…:service/prod/old: MISSING` for each entry of the response's `failures`.
fn describe_failures(failures: Value) -> Vec<String> {
    let Value::Array(items) = failures else {
        return Vec::new();
    };
    items
        .iter()
        .map(|f| {
            let field = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("");
            let mut text = format!("{}: {}", field("arn"), field("reason"));
            if !field("detail").is_empty() {
                text.push_str(&format!(" ({})", field("detail")));
            }
            text
        })
        .collect()
}

/// One ECS Service object → an EcsService.
fn convert(
    mut service: Map<String, Value>,
    prefix: JsonPath,
    options: &Options,
    notes: &mut Vec<Note>,
) -> Result<EcsService, ImportError> {
    let mut origin = Origin::new(prefix.clone());
    let service_arn = service
        .get("serviceArn")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if !service.contains_key("serviceName")
        && let Some(name) = service_arn.as_deref().and_then(service_from_arn)
    {
        service.insert("serviceName".into(), Value::String(name.to_owned()));
        origin.moved("serviceName", prefix.key("serviceArn"));
    }
    let subject = match service.get("serviceName").and_then(Value::as_str) {
        Some(name) => format!("service `{name}`"),
        None => format!("the service at `{prefix}`"),
    };
    let mut note = |message: String| {
        notes.push(Note {
            subject: subject.clone(),
            message,
        })
    };

    let lifted = lift_from_primary_deployment(&mut service, &prefix, &mut origin);
    if !lifted.is_empty() {
        note(format!(
            "took {} from the PRIMARY deployment",
            quoted(&lifted)
        ));
    }
    if let Some(message) = drop_read_only(&mut service, SERVICE_READ_ONLY_FIELDS, "serviceArn") {
        note(message);
    }
    map_response_names(&mut service, &prefix, &mut origin, &mut note);
    if let Some(Value::String(reference)) = service.get_mut("taskDefinition") {
        let short = short_task_definition(reference, options.task_definition_ref);
        let mut message = Vec::new();
        if short != *reference {
            message.push(format!("taskDefinition {reference} → {short}"));
        }
        // The operator numbers a family's revisions from 1, so an ECS revision number only
        // resolves once that many revisions exist in the namespace.
        if options.task_definition_ref == TaskDefinitionRef::Revision && short != family_of(&short)
        {
            message.push(format!(
                "`{short}` pins a revision, which must exist in the namespace (a task definition \
                 imported into a new namespace starts at revision 1; `--task-definition-ref family` \
                 follows the latest instead)"
            ));
        }
        if !message.is_empty() {
            note(message.join("; "));
        }
        *reference = short;
    }

    let target = Target {
        subject: &subject,
        shape: "CreateServiceRequest",
    };
    let spec: EcsServiceSpec = typed(service, &origin, &target)?;
    let (name, name_note) = metadata_name(spec.service_name.as_deref(), &subject, "serviceName")?;
    if let Some(message) = name_note {
        note(message);
    }
    let mut object = EcsService::new(&name, spec);
    object.metadata.namespace.clone_from(&options.namespace);
    Ok(object)
}

/// `clusterArn` → `cluster` (the name after `cluster/`), `roleArn` → `role` (unless it is
/// the service-linked role). A request-named field already present wins.
fn map_response_names(
    service: &mut Map<String, Value>,
    prefix: &JsonPath,
    origin: &mut Origin,
    note: &mut impl FnMut(String),
) {
    for (from, to) in SERVICE_MAPPED_FIELDS {
        let Some(value) = service.remove(*from) else {
            continue;
        };
        let value = match (*from, value) {
            ("clusterArn", Value::String(arn)) => {
                Value::String(cluster_from_arn(&arn).unwrap_or(&arn).to_owned())
            }
            ("roleArn", Value::String(arn)) if is_ecs_service_linked_role(&arn) => {
                note(format!(
                    "left out roleArn {arn}: it is the ECS service-linked role, which ECS uses when `role` is not set"
                ));
                continue;
            }
            (_, other) => other,
        };
        if service.contains_key(*to) {
            note(format!("kept `{to}` and left out `{from}`"));
            continue;
        }
        service.insert((*to).to_owned(), value);
        origin.moved(to, prefix.key(from));
    }
}

/// Copies FROM_PRIMARY_DEPLOYMENT fields the service lacks from its PRIMARY deployment.
fn lift_from_primary_deployment(
    service: &mut Map<String, Value>,
    prefix: &JsonPath,
    origin: &mut Origin,
) -> Vec<&'static str> {
    let Some(Value::Array(deployments)) = service.get("deployments") else {
        return Vec::new();
    };
    let Some((index, primary)) = deployments
        .iter()
        .enumerate()
        .find(|(_, d)| d.get("status").and_then(Value::as_str) == Some("PRIMARY"))
    else {
        return Vec::new();
    };
    let found: Vec<(&'static str, Value)> = FROM_PRIMARY_DEPLOYMENT
        .iter()
        .filter(|field| !service.contains_key(**field))
        .filter_map(|field| {
            primary
                .get(*field)
                .filter(|v| !v.is_null())
                .map(|v| (*field, v.clone()))
        })
        .collect();
    let deployment_path = prefix.key("deployments").index(index);
    found
        .into_iter()
        .map(|(field, value)| {
            service.insert(field.into(), value);
            origin.moved(field, deployment_path.key(field));
            field
        })
        .collect()
}

/// The task definition reference the EcsService gets, per `--task-definition-ref`.
fn short_task_definition(reference: &str, mode: TaskDefinitionRef) -> String {
    let revision = task_definition_from_arn(reference).unwrap_or(reference);
    match mode {
        TaskDefinitionRef::Arn => reference.to_owned(),
        TaskDefinitionRef::Revision => revision.to_owned(),
        TaskDefinitionRef::Family => family_of(revision).to_owned(),
    }
}
