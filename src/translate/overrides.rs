//! RunTask `overrides` (TaskOverride / ContainerOverride) applied on top of a task definition,
//! without changing it (ecs-semantics.md §5.5): the result is the effective spec of one task,
//! plus where each replaced field came from (for field paths).
//!
//! - `command`, `environmentFiles`, `cpu`, `memory`, `memoryReservation`,
//!   `resourceRequirements` replace the container's value;
//! - `environment` adds variables and overrides those with the same name;
//! - task `cpu`, `memory`, `taskRoleArn`, `executionRoleArn`, `ephemeralStorage` replace the
//!   definition's;
//! - `inferenceAcceleratorOverrides` are reported unsupported.

use std::collections::BTreeSet;

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::{KeyValuePair, TaskOverride};

use super::paths::{OVERRIDES, Paths, SPEC};
use super::report::Report;
use super::spec::container_index;
use super::validate::resources::overrides_too_large;
use super::validate::{Issues, Rule, ValidationIssue};

/// One task's effective definition.
pub(crate) struct Effective {
    pub spec: TaskDefinitionSpec,
    pub paths: Paths,
    /// Problems with the overrides themselves (names, size).
    pub issues: Vec<ValidationIssue>,
    pub report: Report,
}

pub(crate) fn apply(spec: &TaskDefinitionSpec, overrides: Option<&TaskOverride>) -> Effective {
    let mut effective = Effective {
        spec: spec.clone(),
        paths: Paths::default(),
        issues: Vec::new(),
        report: Report::default(),
    };
    let Some(o) = overrides else {
        return effective;
    };
    let mut issues = Issues::default();
    if let Some(len) = overrides_too_large(o) {
        issues.push(
            OVERRIDES,
            Rule::Override,
            format!("overrides may be at most 8192 characters as JSON; these are {len}"),
        );
    }
    let out = &mut effective.spec;
    let paths = &mut effective.paths;
    let mut task_field = |field: &str, set: bool| {
        if set {
            paths.task.insert(field.to_owned());
        }
    };
    task_field("cpu", o.cpu.is_some());
    task_field("memory", o.memory.is_some());
    task_field("taskRoleArn", o.task_role_arn.is_some());
    task_field("executionRoleArn", o.execution_role_arn.is_some());
    task_field("ephemeralStorage", o.ephemeral_storage.is_some());
    if let Some(cpu) = &o.cpu {
        out.cpu = Some(cpu.clone());
    }
    if let Some(memory) = &o.memory {
        out.memory = Some(memory.clone());
    }
    if let Some(role) = &o.task_role_arn {
        out.task_role_arn = Some(role.clone());
    }
    if let Some(role) = &o.execution_role_arn {
        out.execution_role_arn = Some(role.clone());
    }
    if let Some(storage) = &o.ephemeral_storage {
        out.ephemeral_storage = Some(storage.clone());
    }
    if o.inference_accelerator_overrides
        .as_ref()
        .is_some_and(|l| !l.is_empty())
    {
        effective.report.unsupported(
            format!("{OVERRIDES}.inferenceAcceleratorOverrides"),
            "Elastic Inference accelerators do not exist on Kubernetes (the service is discontinued)",
        );
    }
    let mut seen = BTreeSet::new();
    for (j, co) in o.container_overrides.iter().flatten().enumerate() {
        let base = format!("{OVERRIDES}.containerOverrides[{j}]");
        let Some(name) = co.name.as_deref() else {
            issues.push(
                format!("{base}.name"),
                Rule::Override,
                "a container override needs the container name",
            );
            continue;
        };
        let Some(i) = container_index(out, name) else {
            issues.push(
                format!("{base}.name"),
                Rule::Override,
                format!("Override for container named {name} is not a container in the target task definition."),
            );
            continue;
        };
        if !seen.insert(i) {
            issues.push(
                format!("{base}.name"),
                Rule::Override,
                format!("container {name} is overridden more than once"),
            );
            continue;
        }
        let c = &mut out.container_definitions[i];
        let mut mark = |field: &str| {
            paths.container.insert((i, field.to_owned()), j);
        };
        if let Some(command) = &co.command {
            c.command = Some(command.clone());
            mark("command");
        }
        if let Some(files) = &co.environment_files {
            c.environment_files = Some(files.clone());
            mark("environmentFiles");
        }
        if let Some(cpu) = co.cpu {
            c.cpu = Some(cpu);
            mark("cpu");
        }
        if let Some(memory) = co.memory {
            c.memory = Some(memory);
            mark("memory");
        }
        if let Some(reservation) = co.memory_reservation {
            c.memory_reservation = Some(reservation);
            mark("memoryReservation");
        }
        if let Some(requirements) = &co.resource_requirements {
            c.resource_requirements = Some(requirements.clone());
            mark("resourceRequirements");
        }
        if let Some(env) = &co.environment {
            let (merged, origins) = merge_environment(
                c.environment.as_deref().unwrap_or_default(),
                env,
                &format!("{SPEC}.containerDefinitions[{i}].environment"),
                &format!("{base}.environment"),
            );
            c.environment = Some(merged);
            paths.environment.insert(i, origins);
        }
    }
    effective.issues = issues.into_vec();
    effective
}

/// The definition's variables with the override's applied: same name → replaced in place,
/// new names appended. Returns each entry's path.
fn merge_environment(
    base: &[KeyValuePair],
    overrides: &[KeyValuePair],
    base_path: &str,
    override_path: &str,
) -> (Vec<KeyValuePair>, Vec<String>) {
    let mut merged: Vec<KeyValuePair> = base.to_vec();
    let mut origins: Vec<String> = (0..base.len())
        .map(|k| format!("{base_path}[{k}]"))
        .collect();
    for (k, kv) in overrides.iter().enumerate() {
        let path = format!("{override_path}[{k}]");
        let existing = kv
            .name
            .as_ref()
            .and_then(|name| merged.iter().rposition(|e| e.name.as_ref() == Some(name)));
        match existing {
            Some(pos) => {
                merged[pos] = kv.clone();
                origins[pos] = path;
            }
            None => {
                merged.push(kv.clone());
                origins.push(path);
            }
        }
    }
    (merged, origins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::shapes::{
        ContainerDefinition, ContainerOverride, EphemeralStorage, InferenceAcceleratorOverride,
    };

    fn kv(name: &str, value: &str) -> KeyValuePair {
        KeyValuePair {
            name: Some(name.into()),
            value: Some(value.into()),
        }
    }

    fn spec() -> TaskDefinitionSpec {
        TaskDefinitionSpec {
            container_definitions: vec![ContainerDefinition {
                name: "app".into(),
                image: "app".into(),
                command: Some(vec!["serve".into()]),
                environment: Some(vec![kv("A", "1"), kv("B", "2")]),
                memory: Some(256),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn no_overrides_is_the_definition() {
        let e = apply(&spec(), None);
        assert_eq!(e.spec, spec());
        assert_eq!(e.paths, Paths::default());
    }

    #[test]
    fn container_and_task_overrides_apply() {
        let o = TaskOverride {
            cpu: Some("512".into()),
            memory: Some("1 GB".into()),
            task_role_arn: Some("arn:aws:iam::1:role/other".into()),
            ephemeral_storage: Some(EphemeralStorage { size_in_gi_b: 30 }),
            container_overrides: Some(vec![ContainerOverride {
                name: Some("app".into()),
                command: Some(vec!["migrate".into()]),
                environment: Some(vec![kv("B", "3"), kv("C", "4")]),
                memory: Some(512),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let e = apply(&spec(), Some(&o));
        assert!(e.issues.is_empty());
        let c = &e.spec.container_definitions[0];
        assert_eq!(c.command.as_deref().unwrap(), ["migrate"]);
        assert_eq!(
            c.environment.as_deref().unwrap(),
            [kv("A", "1"), kv("B", "3"), kv("C", "4")]
        );
        assert_eq!(c.memory, Some(512));
        assert_eq!(e.spec.cpu.as_deref(), Some("512"));
        assert_eq!(
            e.spec.ephemeral_storage,
            Some(EphemeralStorage { size_in_gi_b: 30 })
        );
        assert_eq!(e.paths.task("memory"), "spec.overrides.memory");
        assert_eq!(
            e.paths.container(0, "memory"),
            "spec.overrides.containerOverrides[0].memory"
        );
        assert_eq!(
            e.paths.container(0, "cpu"),
            "spec.containerDefinitions[0].cpu"
        );
        assert_eq!(
            e.paths.item(0, "environment", 0),
            "spec.containerDefinitions[0].environment[0]"
        );
        assert_eq!(
            e.paths.item(0, "environment", 1),
            "spec.overrides.containerOverrides[0].environment[0]"
        );
        assert_eq!(
            e.paths.item(0, "environment", 2),
            "spec.overrides.containerOverrides[0].environment[1]"
        );
        // The definition itself is untouched.
        assert_eq!(spec().container_definitions[0].memory, Some(256));
    }

    #[test]
    fn unknown_unnamed_and_repeated_containers() {
        let o = TaskOverride {
            container_overrides: Some(vec![
                ContainerOverride {
                    name: Some("nope".into()),
                    ..Default::default()
                },
                ContainerOverride::default(),
                ContainerOverride {
                    name: Some("app".into()),
                    ..Default::default()
                },
                ContainerOverride {
                    name: Some("app".into()),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        let e = apply(&spec(), Some(&o));
        let fields: Vec<&str> = e.issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "spec.overrides.containerOverrides[0].name",
                "spec.overrides.containerOverrides[1].name",
                "spec.overrides.containerOverrides[3].name"
            ]
        );
        assert!(
            e.issues[0]
                .message
                .contains("is not a container in the target task definition")
        );
    }

    #[test]
    fn inference_accelerator_overrides_are_reported() {
        let o = TaskOverride {
            inference_accelerator_overrides: Some(vec![InferenceAcceleratorOverride::default()]),
            ..Default::default()
        };
        let e = apply(&spec(), Some(&o));
        assert_eq!(
            e.report.unsupported[0].field,
            "spec.overrides.inferenceAcceleratorOverrides"
        );
    }
}
