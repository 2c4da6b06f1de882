//! Pod annotations the translation produces: what the operator needs to read a task back from
//! its Pod alone (ECS container names, the ECS reservation), and the ECS settings Kubernetes has
//! no field for (`dockerLabels`, `logConfiguration`). Essential and health-checked containers
//! are annotated by the task Pod builder (`crate::labels`) from
//! `Translation::essential_container_names` / `health_checked_container_names`.

use std::collections::BTreeMap;

use serde_json::json;

use crate::api::TaskDefinitionSpec;
use crate::placement::Resources;

use super::names::is_annotation_name;
use super::paths::Paths;
use super::report::Report;

/// JSON object: Pod container name → ECS container name.
pub const CONTAINER_NAMES: &str = "ecs.operator.dev/container-names";
/// CPU units placement reserved for the task (ECS accounting, §5.2).
pub const RESERVED_CPU: &str = "ecs.operator.dev/reserved-cpu";
/// MiB placement reserved for the task.
pub const RESERVED_MEMORY: &str = "ecs.operator.dev/reserved-memory";
/// Seconds after a task starts during which a health-checked container that is not ready (yet)
/// is UNKNOWN rather than UNHEALTHY: the longest start period + retries × interval + timeout of
/// the task's health checks (ecs-semantics.md §4.5). Absent without health checks.
pub const HEALTH_UNKNOWN_WINDOW: &str = "ecs.operator.dev/health-unknown-window-seconds";
/// JSON object: ECS container name → its `logConfiguration` (logDriver, options).
pub const LOG_CONFIGURATION: &str = "ecs.operator.dev/log-configuration";
/// Prefix of the annotations that carry `dockerLabels`: `docker-label.ecs.operator.dev/<key>`.
pub const DOCKER_LABEL_PREFIX: &str = "docker-label.ecs.operator.dev/";

/// Everything but the docker labels: names, reservation, log settings.
pub(crate) fn bookkeeping(
    spec: &TaskDefinitionSpec,
    pod_names: &[String],
    reservation: Resources,
    paths: &Paths,
    report: &mut Report,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let names: BTreeMap<&str, &str> = pod_names
        .iter()
        .zip(&spec.container_definitions)
        .map(|(pod, c)| (pod.as_str(), c.name.as_str()))
        .collect();
    out.insert(CONTAINER_NAMES.to_owned(), json!(names).to_string());
    out.insert(RESERVED_CPU.to_owned(), reservation.cpu.to_string());
    out.insert(RESERVED_MEMORY.to_owned(), reservation.memory.to_string());
    let window = spec
        .container_definitions
        .iter()
        .filter_map(|c| c.health_check.as_ref())
        .map(|hc| super::health::HealthCheckTiming::of(hc).unknown_window_seconds())
        .max();
    if let Some(window) = window {
        out.insert(HEALTH_UNKNOWN_WINDOW.to_owned(), window.to_string());
    }
    let mut logs = serde_json::Map::new();
    for (i, c) in spec.container_definitions.iter().enumerate() {
        let Some(log) = &c.log_configuration else {
            continue;
        };
        let field = paths.container(i, "logConfiguration");
        report.approximated(
            &field,
            format!(
                "logs go to the container runtime (kubectl logs); the log driver is not applied and is recorded in \
                 the Pod annotation {LOG_CONFIGURATION}"
            ),
        );
        if log.secret_options.as_ref().is_some_and(|s| !s.is_empty()) {
            report.unsupported(
                format!("{field}.secretOptions"),
                "log driver secrets are not read: the log driver is not applied",
            );
        }
        logs.insert(
            c.name.clone(),
            json!({ "logDriver": log.log_driver, "options": log.options }),
        );
    }
    if !logs.is_empty() {
        out.insert(
            LOG_CONFIGURATION.to_owned(),
            serde_json::Value::Object(logs).to_string(),
        );
    }
    out
}

/// `dockerLabels` → `docker-label.ecs.operator.dev/<key>` annotations. Labels are per container
/// in ECS and per Pod here: a key whose value differs between containers keeps the first
/// value; keys that cannot be annotation names are dropped. Both are reported.
pub(crate) fn docker_labels(
    spec: &TaskDefinitionSpec,
    paths: &Paths,
    report: &mut Report,
) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (i, c) in spec.container_definitions.iter().enumerate() {
        for (key, value) in c.docker_labels.iter().flatten() {
            let field = format!("{}.{key}", paths.container(i, "dockerLabels"));
            if !is_annotation_name(key) {
                report.unsupported(
                    field,
                    "this label key cannot be a Kubernetes annotation name (at most 63 letters, digits, '-', '_', '.')",
                );
                continue;
            }
            let annotation = format!("{DOCKER_LABEL_PREFIX}{key}");
            match out.get(&annotation) {
                Some(existing) if existing != value => report.approximated(
                    field,
                    format!("labels are per Pod: {annotation} keeps the value {existing:?} of an earlier container"),
                ),
                Some(_) => {}
                None => {
                    out.insert(annotation, value.clone());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::shapes::{ContainerDefinition, LogConfiguration, LogDriver, Secret};

    fn c(name: &str) -> ContainerDefinition {
        ContainerDefinition {
            name: name.into(),
            image: "x".into(),
            ..Default::default()
        }
    }

    #[test]
    fn bookkeeping_annotations() {
        let mut web = c("Web_App");
        web.log_configuration = Some(LogConfiguration {
            log_driver: LogDriver::Awslogs,
            options: Some([("awslogs-group".to_owned(), "/ecs/web".to_owned())].into()),
            secret_options: Some(vec![Secret {
                name: "token".into(),
                value_from: "x:y".into(),
            }]),
        });
        let spec = TaskDefinitionSpec {
            container_definitions: vec![web, c("log")],
            ..Default::default()
        };
        let mut report = Report::default();
        let out = bookkeeping(
            &spec,
            &["web-app".into(), "log".into()],
            Resources::new(256, 512),
            &Paths::default(),
            &mut report,
        );
        assert_eq!(out[CONTAINER_NAMES], r#"{"log":"log","web-app":"Web_App"}"#);
        assert_eq!(out[RESERVED_CPU], "256");
        assert_eq!(out[RESERVED_MEMORY], "512");
        assert_eq!(
            out[LOG_CONFIGURATION],
            r#"{"Web_App":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/web"}}}"#
        );
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[0].logConfiguration"
        );
        assert_eq!(
            report.unsupported[0].field,
            "spec.containerDefinitions[0].logConfiguration.secretOptions"
        );
    }

    #[test]
    fn docker_label_annotations() {
        let mut a = c("a");
        a.docker_labels = Some(
            [
                ("com.example.team".to_owned(), "web".to_owned()),
                ("bad key".to_owned(), "x".to_owned()),
            ]
            .into(),
        );
        let mut b = c("b");
        b.docker_labels = Some([("com.example.team".to_owned(), "ops".to_owned())].into());
        let spec = TaskDefinitionSpec {
            container_definitions: vec![a, b],
            ..Default::default()
        };
        let mut report = Report::default();
        let out = docker_labels(&spec, &Paths::default(), &mut report);
        assert_eq!(out.len(), 1);
        assert_eq!(out["docker-label.ecs.operator.dev/com.example.team"], "web");
        assert_eq!(
            report.unsupported[0].field,
            "spec.containerDefinitions[0].dockerLabels.bad key"
        );
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[1].dockerLabels.com.example.team"
        );
    }
}
