//! `environment`, `environmentFiles` and `secrets` → env / envFrom (ecs-semantics.md §5.5).
//!
//! - ECS passes values verbatim; Kubernetes expands `$(VAR)` in env values, command and args.
//!   Every `$` is written as `$$` (Kubernetes' escape), so values arrive unchanged.
//! - `environment` wins over `environmentFiles`, as in ECS: env entries override envFrom.
//! - `environmentFiles`: S3 objects cannot be fetched on Kubernetes, so ARNs are reported
//!   unsupported. Documented extension: `configmap:<name>` / `secret:<name>` → envFrom that
//!   ConfigMap / Secret (later files win over earlier ones, Kubernetes' envFrom rule).
//! - `secrets` → `valueFrom.secretKeyRef` through [`names::secret_ref`]; a secret wins over
//!   an `environment` entry of the same name (the agent sets secrets last).

use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, EnvFromSource, EnvVar, EnvVarSource, SecretEnvSource, SecretKeySelector,
};

use crate::api::shapes::ContainerDefinition;

use super::names;
use super::paths::Paths;
use super::report::Report;

/// Escapes Kubernetes' `$(VAR)` expansion: `$` → `$$`.
pub(crate) fn escape(s: &str) -> String {
    s.replace('$', "$$")
}

fn upsert(env: &mut Vec<EnvVar>, var: EnvVar) {
    match env.iter_mut().find(|e| e.name == var.name) {
        Some(existing) => *existing = var,
        None => env.push(var),
    }
}

/// The env and envFrom of container `i`.
pub(crate) fn build(
    c: &ContainerDefinition,
    i: usize,
    paths: &Paths,
    report: &mut Report,
) -> (Vec<EnvVar>, Vec<EnvFromSource>) {
    let mut env: Vec<EnvVar> = Vec::new();
    for kv in c.environment.iter().flatten() {
        // Names are checked by validation; an unnamed entry cannot be expressed at all.
        let Some(name) = kv.name.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        upsert(
            &mut env,
            EnvVar {
                name: name.to_owned(),
                value: Some(escape(kv.value.as_deref().unwrap_or_default())),
                value_from: None,
            },
        );
    }
    for (k, secret) in c.secrets.iter().flatten().enumerate() {
        let Ok(reference) = names::secret_ref(&secret.value_from) else {
            continue;
        };
        if reference.version_ignored {
            report.approximated(
                format!("{}.valueFrom", paths.item(i, "secrets", k)),
                "the Secrets Manager version stage/id is ignored: Kubernetes Secrets have no versions",
            );
        }
        upsert(
            &mut env,
            EnvVar {
                name: secret.name.clone(),
                value: None,
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: reference.name,
                        key: reference.key,
                        optional: Some(false),
                    }),
                    ..Default::default()
                }),
            },
        );
    }
    let mut env_from = Vec::new();
    for (k, file) in c.environment_files.iter().flatten().enumerate() {
        let value = file.value.trim();
        if let Some(name) = value.strip_prefix("configmap:") {
            env_from.push(EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: name.to_owned(),
                    optional: Some(false),
                }),
                ..Default::default()
            });
        } else if let Some(name) = value.strip_prefix("secret:") {
            env_from.push(EnvFromSource {
                secret_ref: Some(SecretEnvSource {
                    name: name.to_owned(),
                    optional: Some(false),
                }),
                ..Default::default()
            });
        } else {
            report.unsupported(
                format!("{}.value", paths.item(i, "environmentFiles", k)),
                format!(
                    "environment file {value:?} is not loaded: S3 objects are not fetched on Kubernetes \
                     (use configmap:<name> or secret:<name>)"
                ),
            );
        }
    }
    (env, env_from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::shapes::{EnvironmentFile, EnvironmentFileType, KeyValuePair, Secret};

    fn kv(name: &str, value: &str) -> KeyValuePair {
        KeyValuePair {
            name: Some(name.into()),
            value: Some(value.into()),
        }
    }

    fn container() -> ContainerDefinition {
        ContainerDefinition {
            name: "app".into(),
            image: "app".into(),
            ..Default::default()
        }
    }

    #[test]
    fn dollar_signs_survive_kubernetes_expansion() {
        assert_eq!(escape("$(HOME) and $$ and $X"), "$$(HOME) and $$$$ and $$X");
        let mut c = container();
        c.environment = Some(vec![kv("A", "$(B)")]);
        let (env, _) = build(&c, 0, &Paths::default(), &mut Report::default());
        assert_eq!(env[0].value.as_deref(), Some("$$(B)"));
    }

    #[test]
    fn later_duplicates_win_and_secrets_win_over_environment() {
        let mut c = container();
        c.environment = Some(vec![kv("A", "1"), kv("B", "2"), kv("A", "3")]);
        c.secrets = Some(vec![Secret {
            name: "B".into(),
            value_from: "db:password".into(),
        }]);
        let (env, _) = build(&c, 0, &Paths::default(), &mut Report::default());
        assert_eq!(env.len(), 2);
        assert_eq!(
            (env[0].name.as_str(), env[0].value.as_deref()),
            ("A", Some("3"))
        );
        let secret = env[1]
            .value_from
            .as_ref()
            .unwrap()
            .secret_key_ref
            .as_ref()
            .unwrap();
        assert_eq!(
            (secret.name.as_str(), secret.key.as_str()),
            ("db", "password")
        );
    }

    #[test]
    fn environment_files() {
        let mut c = container();
        let file = |value: &str| EnvironmentFile {
            value: value.into(),
            r#type: EnvironmentFileType::S3,
        };
        c.environment_files = Some(vec![
            file("configmap:app-env"),
            file("arn:aws:s3:::bucket/app.env"),
            file("secret:app-secrets"),
        ]);
        let mut report = Report::default();
        let (_, env_from) = build(&c, 2, &Paths::default(), &mut report);
        assert_eq!(env_from.len(), 2);
        assert_eq!(env_from[0].config_map_ref.as_ref().unwrap().name, "app-env");
        assert_eq!(env_from[1].secret_ref.as_ref().unwrap().name, "app-secrets");
        assert_eq!(report.unsupported.len(), 1);
        assert_eq!(
            report.unsupported[0].field,
            "spec.containerDefinitions[2].environmentFiles[1].value"
        );
    }

    #[test]
    fn secret_versions_are_reported() {
        let mut c = container();
        c.secrets = Some(vec![Secret {
            name: "PW".into(),
            value_from: "arn:aws:secretsmanager:us-east-1:1:secret:db:password:AWSCURRENT:".into(),
        }]);
        let mut report = Report::default();
        build(&c, 0, &Paths::default(), &mut report);
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[0].secrets[0].valueFrom"
        );
    }
}
