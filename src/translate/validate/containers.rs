//! Container-level rules: names, images, essential containers, dependsOn (ecs-semantics.md
//! §4.4), health checks (§4.5), environment and secrets (§5.5), privileged, Linux parameters,
//! and the name mappings (roles, registry credentials) that must resolve.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::{ContainerCondition, ContainerDefinition};

use super::super::TranslateOptions;
use super::super::names::{self, DNS1123_LABEL_MAX};
use super::super::paths::Paths;
use super::super::spec::{condition_name, container_index, is_essential, is_fargate};
use super::{Issues, Rule};

const MAX_CONTAINERS: usize = 10;

pub(super) fn check(
    spec: &TaskDefinitionSpec,
    opts: &TranslateOptions,
    paths: &Paths,
    v: &mut Issues,
) {
    let containers = &spec.container_definitions;
    if containers.is_empty() || containers.len() > MAX_CONTAINERS {
        v.push(
            "spec.containerDefinitions",
            Rule::ContainerCount,
            format!(
                "a task definition has 1 to {MAX_CONTAINERS} containers; this one has {}",
                containers.len()
            ),
        );
    }
    names_and_images(containers, paths, v);
    if !containers.is_empty() && !containers.iter().any(is_essential) {
        v.push(
            "spec.containerDefinitions",
            Rule::EssentialContainer,
            "a task definition must have at least one essential container",
        );
    }
    dependencies(spec, paths, v);
    for (i, c) in containers.iter().enumerate() {
        privileged(spec, opts, paths, i, c, v);
        health_check(paths, i, c, v);
        environment(paths, i, c, v);
        linux_parameters(paths, i, c, v);
        system_controls(paths, i, c, v);
        if let Some(creds) = &c.repository_credentials
            && let Err(e) = names::pull_secret_name(&creds.credentials_parameter)
        {
            v.push(
                format!(
                    "{}.credentialsParameter",
                    paths.container(i, "repositoryCredentials")
                ),
                Rule::RepositoryCredentials,
                e,
            );
        }
    }
    if let Some(role) = &spec.task_role_arn
        && let Err(e) = names::service_account_for_role(role)
    {
        v.push(paths.task("taskRoleArn"), Rule::TaskRole, e);
    }
}

fn names_and_images(containers: &[ContainerDefinition], paths: &Paths, v: &mut Issues) {
    let mut seen = BTreeSet::new();
    for (i, c) in containers.iter().enumerate() {
        let field = paths.container(i, "name");
        if c.name.is_empty()
            || c.name.len() > 255
            || !c
                .name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            v.push(
                &field,
                Rule::ContainerName,
                format!(
                    "container name {:?} must be 1-255 letters, numbers, hyphens (-) and underscores (_)",
                    c.name
                ),
            );
        } else if names::sanitize(&c.name, DNS1123_LABEL_MAX).is_none() {
            v.push(
                &field,
                Rule::ContainerName,
                format!(
                    "container name {:?} needs at least one letter or digit to become a Kubernetes container name",
                    c.name
                ),
            );
        }
        if !seen.insert(c.name.as_str()) {
            v.push(
                &field,
                Rule::ContainerName,
                format!(
                    "container name {:?} is used more than once in the task definition",
                    c.name
                ),
            );
        }
        if c.image.trim().is_empty() {
            v.push(
                paths.container(i, "image"),
                Rule::ContainerImage,
                format!("container {:?} has no image", c.name),
            );
        }
    }
}

fn dependencies(spec: &TaskDefinitionSpec, paths: &Paths, v: &mut Issues) {
    let containers = &spec.container_definitions;
    // Edges dependent → target, for the cycle check.
    let mut edges: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, c) in containers.iter().enumerate() {
        for (k, dep) in c.depends_on.iter().flatten().enumerate() {
            let field = format!("{}.containerName", paths.item(i, "dependsOn", k));
            let condition = condition_name(dep.condition);
            let Some(t) = container_index(spec, &dep.container_name) else {
                v.push(
                    field,
                    Rule::DependsOnUnknownContainer,
                    format!(
                        "container {:?} depends on {:?}, which is not a container in the task definition",
                        c.name, dep.container_name
                    ),
                );
                continue;
            };
            if t == i {
                v.push(
                    field,
                    Rule::DependsOnSelf,
                    format!("container {:?} cannot depend on itself", c.name),
                );
                continue;
            }
            let target = &containers[t];
            match dep.condition {
                ContainerCondition::Complete | ContainerCondition::Success
                    if is_essential(target) =>
                {
                    v.push(
                        field,
                        Rule::DependsOnEssentialContainer,
                        format!(
                            "dependency condition {condition} requires container {:?} to be non-essential \
                             (set essential: false on it)",
                            target.name
                        ),
                    );
                }
                ContainerCondition::Healthy if target.health_check.is_none() => {
                    v.push(
                        field,
                        Rule::DependsOnHealthCheck,
                        format!(
                            "dependency condition HEALTHY requires container {:?} to have a healthCheck",
                            target.name
                        ),
                    );
                }
                _ => {}
            }
            edges.entry(i).or_default().push(t);
        }
    }
    if let Some(cycle) = find_cycle(containers.len(), &edges) {
        let names: Vec<&str> = cycle
            .iter()
            .filter_map(|&i| containers.get(i).map(|c| c.name.as_str()))
            .collect();
        v.push(
            paths.container(cycle[0], "dependsOn"),
            Rule::DependencyCycle,
            format!("container dependencies form a cycle: {}", names.join(" → ")),
        );
    }
}

/// A cycle in the graph (as a closed walk, first node repeated at the end), if any. Iterative
/// DFS so deep inputs cannot overflow the stack.
pub(crate) fn find_cycle(n: usize, edges: &BTreeMap<usize, Vec<usize>>) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; n];
    for start in 0..n {
        if mark[start] != Mark::New {
            continue;
        }
        // Stack of (node, next edge index); `path` mirrors the open nodes.
        let mut stack = vec![(start, 0usize)];
        mark[start] = Mark::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let targets = edges.get(&node).map(Vec::as_slice).unwrap_or_default();
            if let Some(&t) = targets.get(*next) {
                *next += 1;
                if t >= n {
                    continue;
                }
                match mark[t] {
                    Mark::New => {
                        mark[t] = Mark::Open;
                        stack.push((t, 0));
                    }
                    Mark::Open => {
                        let from = stack.iter().position(|&(s, _)| s == t).unwrap_or(0);
                        let mut cycle: Vec<usize> = stack[from..].iter().map(|&(s, _)| s).collect();
                        cycle.push(t);
                        return Some(cycle);
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    None
}

fn privileged(
    spec: &TaskDefinitionSpec,
    opts: &TranslateOptions,
    paths: &Paths,
    i: usize,
    c: &ContainerDefinition,
    v: &mut Issues,
) {
    if c.privileged != Some(true) {
        return;
    }
    let field = paths.container(i, "privileged");
    if is_fargate(spec) {
        v.push(
            &field,
            Rule::FargateUnsupported,
            "privileged containers are not supported on Fargate",
        );
    }
    if !opts.allow_privileged {
        v.push(
            field,
            Rule::PrivilegedNotAllowed,
            format!(
                "container {:?} is privileged, and this operator does not run privileged containers \
                 (it can be allowed in the operator configuration)",
                c.name
            ),
        );
    }
}

fn health_check(paths: &Paths, i: usize, c: &ContainerDefinition, v: &mut Issues) {
    let Some(hc) = &c.health_check else { return };
    let base = paths.container(i, "healthCheck");
    let valid_form = match hc.command.split_first() {
        Some((kind, rest)) if kind == "CMD" => !rest.is_empty() && !rest[0].is_empty(),
        Some((kind, rest)) if kind == "CMD-SHELL" => rest.iter().any(|s| !s.trim().is_empty()),
        _ => false,
    };
    if !valid_form {
        v.push(
            format!("{base}.command"),
            Rule::HealthCheck,
            "a health check command starts with \"CMD\" (followed by the program and its arguments) \
             or \"CMD-SHELL\" (followed by a shell command)",
        );
    }
    let ranges = [
        ("interval", hc.interval, 5, 300),
        ("timeout", hc.timeout, 2, 60),
        ("retries", hc.retries, 1, 10),
        ("startPeriod", hc.start_period, 0, 300),
    ];
    for (field, value, min, max) in ranges {
        if let Some(value) = value
            && !(min..=max).contains(&value)
        {
            v.push(
                format!("{base}.{field}"),
                Rule::HealthCheck,
                format!("health check {field} must be between {min} and {max}; got {value}"),
            );
        }
    }
}

/// Environment variable names Kubernetes accepts (1.33: any printable ASCII except `=`).
pub(crate) fn valid_env_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_graphic() && c != '=')
}

fn environment(paths: &Paths, i: usize, c: &ContainerDefinition, v: &mut Issues) {
    for (k, kv) in c.environment.iter().flatten().enumerate() {
        let name = kv.name.as_deref().unwrap_or_default();
        if !valid_env_name(name) {
            v.push(
                format!("{}.name", paths.item(i, "environment", k)),
                Rule::Environment,
                format!(
                    "environment variable name {name:?} must be non-empty printable characters without '='"
                ),
            );
        }
    }
    for (k, file) in c.environment_files.iter().flatten().enumerate() {
        let field = format!("{}.value", paths.item(i, "environmentFiles", k));
        let value = file.value.trim();
        if value.is_empty() {
            v.push(
                field,
                Rule::EnvironmentFile,
                "an environment file needs a value",
            );
            continue;
        }
        let named = value
            .strip_prefix("configmap:")
            .or_else(|| value.strip_prefix("secret:"));
        if let Some(name) = named
            && !names::is_dns1123_subdomain(name)
        {
            v.push(
                field,
                Rule::EnvironmentFile,
                format!("{name:?} is not a valid ConfigMap or Secret name"),
            );
        }
    }
    for (k, secret) in c.secrets.iter().flatten().enumerate() {
        let base = paths.item(i, "secrets", k);
        if !valid_env_name(&secret.name) {
            v.push(
                format!("{base}.name"),
                Rule::Secret,
                format!(
                    "secret variable name {:?} must be non-empty printable characters without '='",
                    secret.name
                ),
            );
        }
        if let Err(e) = names::secret_ref(&secret.value_from) {
            v.push(format!("{base}.valueFrom"), Rule::Secret, e);
        }
    }
}

fn linux_parameters(paths: &Paths, i: usize, c: &ContainerDefinition, v: &mut Issues) {
    let Some(lp) = &c.linux_parameters else {
        return;
    };
    let base = paths.container(i, "linuxParameters");
    if let Some(size) = lp.shared_memory_size
        && size <= 0
    {
        v.push(
            format!("{base}.sharedMemorySize"),
            Rule::LinuxParameters,
            format!("sharedMemorySize must be a positive number of MiB; got {size}"),
        );
    }
    for (k, tmpfs) in lp.tmpfs.iter().flatten().enumerate() {
        if tmpfs.size <= 0 {
            v.push(
                format!("{base}.tmpfs[{k}].size"),
                Rule::LinuxParameters,
                format!(
                    "tmpfs size must be a positive number of MiB; got {}",
                    tmpfs.size
                ),
            );
        }
        if !tmpfs.container_path.starts_with('/') {
            v.push(
                format!("{base}.tmpfs[{k}].containerPath"),
                Rule::LinuxParameters,
                format!(
                    "tmpfs containerPath {:?} must be an absolute path",
                    tmpfs.container_path
                ),
            );
        }
    }
}

fn system_controls(paths: &Paths, i: usize, c: &ContainerDefinition, v: &mut Issues) {
    for (k, sc) in c.system_controls.iter().flatten().enumerate() {
        let field = format!("{}.namespace", paths.item(i, "systemControls", k));
        match sc.namespace.as_deref() {
            None | Some("") => v.push(
                field,
                Rule::SystemControl,
                "a system control needs a namespace",
            ),
            Some(name) if !valid_sysctl_name(name) => v.push(
                field,
                Rule::SystemControl,
                format!("{name:?} is not a valid sysctl name"),
            ),
            Some(_) => {}
        }
    }
}

/// Kubernetes' sysctl name syntax (dots or slashes between `[a-z0-9]([-_a-z0-9]*[a-z0-9])?`).
pub(crate) fn valid_sysctl_name(name: &str) -> bool {
    name.len() <= 253
        && !name.is_empty()
        && name.split(['.', '/']).all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
                && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::validate;
    use super::*;
    use crate::api::shapes::{ContainerDependency, HealthCheck, KeyValuePair, Secret};

    fn dep(name: &str, condition: ContainerCondition) -> ContainerDependency {
        ContainerDependency {
            container_name: name.to_owned(),
            condition,
        }
    }

    fn hc(command: &[&str]) -> HealthCheck {
        HealthCheck {
            command: command.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn container_count() {
        assert_only(
            &spec(vec![]),
            Rule::ContainerCount,
            "spec.containerDefinitions",
        );
        let many = (0..11).map(|i| container(&format!("c{i}"))).collect();
        assert_only(
            &spec(many),
            Rule::ContainerCount,
            "spec.containerDefinitions",
        );
    }

    #[test]
    fn container_names() {
        assert_only(
            &spec(vec![container("a"), container("a")]),
            Rule::ContainerName,
            "spec.containerDefinitions[1].name",
        );
        assert_only(
            &spec(vec![container("a b")]),
            Rule::ContainerName,
            "spec.containerDefinitions[0].name",
        );
        assert_only(
            &spec(vec![container("___")]),
            Rule::ContainerName,
            "spec.containerDefinitions[0].name",
        );
        let mut c = container("a");
        c.image = " ".into();
        assert_only(
            &spec(vec![c]),
            Rule::ContainerImage,
            "spec.containerDefinitions[0].image",
        );
    }

    #[test]
    fn at_least_one_essential_container() {
        let mut c = container("a");
        c.essential = Some(false);
        assert_only(
            &spec(vec![c]),
            Rule::EssentialContainer,
            "spec.containerDefinitions",
        );
    }

    #[test]
    fn depends_on_targets_must_exist_and_not_be_self() {
        let mut a = container("a");
        a.depends_on = Some(vec![dep("nope", ContainerCondition::Start)]);
        assert_only(
            &spec(vec![a.clone()]),
            Rule::DependsOnUnknownContainer,
            "spec.containerDefinitions[0].dependsOn[0].containerName",
        );
        a.depends_on = Some(vec![dep("a", ContainerCondition::Start)]);
        assert_only(
            &spec(vec![a]),
            Rule::DependsOnSelf,
            "spec.containerDefinitions[0].dependsOn[0].containerName",
        );
    }

    #[test]
    fn complete_and_success_targets_must_be_non_essential() {
        for condition in [ContainerCondition::Complete, ContainerCondition::Success] {
            let mut a = container("a");
            a.depends_on = Some(vec![dep("init", condition)]);
            let init = container("init");
            assert_only(
                &spec(vec![a.clone(), init.clone()]),
                Rule::DependsOnEssentialContainer,
                "spec.containerDefinitions[0].dependsOn[0].containerName",
            );
            let mut init = init;
            init.essential = Some(false);
            assert_valid(&spec(vec![a, init]));
        }
    }

    #[test]
    fn healthy_targets_need_a_health_check() {
        let mut a = container("a");
        a.depends_on = Some(vec![dep("db", ContainerCondition::Healthy)]);
        let mut db = container("db");
        assert_only(
            &spec(vec![a.clone(), db.clone()]),
            Rule::DependsOnHealthCheck,
            "spec.containerDefinitions[0].dependsOn[0].containerName",
        );
        db.health_check = Some(hc(&["CMD", "true"]));
        assert_valid(&spec(vec![a, db]));
    }

    #[test]
    fn dependency_cycles_are_refused() {
        let mut a = container("a");
        a.depends_on = Some(vec![dep("b", ContainerCondition::Start)]);
        let mut b = container("b");
        b.depends_on = Some(vec![dep("c", ContainerCondition::Start)]);
        let mut c = container("c");
        c.depends_on = Some(vec![dep("a", ContainerCondition::Start)]);
        let issues = validate(&spec(vec![a, b, c]), &TranslateOptions::default());
        assert_eq!(issues.len(), 1, "{issues:#?}");
        assert_eq!(issues[0].rule, Rule::DependencyCycle);
        assert!(
            issues[0].message.contains("a → b → c → a"),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn cycle_finder() {
        let mut edges = BTreeMap::new();
        edges.insert(0, vec![1]);
        edges.insert(1, vec![2]);
        assert_eq!(find_cycle(3, &edges), None);
        edges.insert(2, vec![1]);
        assert_eq!(find_cycle(3, &edges), Some(vec![1, 2, 1]));
        let mut out_of_range = BTreeMap::new();
        out_of_range.insert(0, vec![7]);
        assert_eq!(find_cycle(1, &out_of_range), None);
    }

    #[test]
    fn privileged_is_refused_unless_allowed() {
        let mut a = container("a");
        a.privileged = Some(true);
        let s = spec(vec![a]);
        assert_only(
            &s,
            Rule::PrivilegedNotAllowed,
            "spec.containerDefinitions[0].privileged",
        );
        let allowed = TranslateOptions {
            allow_privileged: true,
            ..Default::default()
        };
        assert!(validate(&s, &allowed).is_empty());
    }

    #[test]
    fn health_check_form_and_ranges() {
        let mut a = container("a");
        a.health_check = Some(hc(&["curl", "localhost"]));
        assert_only(
            &spec(vec![a.clone()]),
            Rule::HealthCheck,
            "spec.containerDefinitions[0].healthCheck.command",
        );
        a.health_check = Some(hc(&["CMD-SHELL"]));
        assert_only(
            &spec(vec![a.clone()]),
            Rule::HealthCheck,
            "spec.containerDefinitions[0].healthCheck.command",
        );
        let mut check = hc(&["CMD", "true"]);
        check.interval = Some(1);
        a.health_check = Some(check);
        assert_only(
            &spec(vec![a]),
            Rule::HealthCheck,
            "spec.containerDefinitions[0].healthCheck.interval",
        );
    }

    #[test]
    fn environment_and_secrets() {
        let mut a = container("a");
        a.environment = Some(vec![KeyValuePair {
            name: Some("A=B".into()),
            value: None,
        }]);
        assert_only(
            &spec(vec![a.clone()]),
            Rule::Environment,
            "spec.containerDefinitions[0].environment[0].name",
        );
        a.environment = None;
        a.secrets = Some(vec![Secret {
            name: "DB".into(),
            value_from: "arn:aws:kms:us-east-1:1:key/x".into(),
        }]);
        assert_only(
            &spec(vec![a]),
            Rule::Secret,
            "spec.containerDefinitions[0].secrets[0].valueFrom",
        );
    }

    #[test]
    fn environment_file_conventions() {
        use crate::api::shapes::{EnvironmentFile, EnvironmentFileType};
        let mut a = container("a");
        a.environment_files = Some(vec![EnvironmentFile {
            value: "configmap:Bad_Name".into(),
            r#type: EnvironmentFileType::S3,
        }]);
        assert_only(
            &spec(vec![a]),
            Rule::EnvironmentFile,
            "spec.containerDefinitions[0].environmentFiles[0].value",
        );
    }

    #[test]
    fn linux_parameters_and_sysctls() {
        use crate::api::shapes::{LinuxParameters, SystemControl, Tmpfs};
        let mut a = container("a");
        a.linux_parameters = Some(LinuxParameters {
            tmpfs: Some(vec![Tmpfs {
                container_path: "tmp".into(),
                size: 0,
                mount_options: None,
            }]),
            ..Default::default()
        });
        let broken = broken(&spec(vec![a.clone()]));
        assert!(broken.contains(&(
            Rule::LinuxParameters,
            "spec.containerDefinitions[0].linuxParameters.tmpfs[0].size".into()
        )));
        assert!(broken.contains(&(
            Rule::LinuxParameters,
            "spec.containerDefinitions[0].linuxParameters.tmpfs[0].containerPath".into()
        )));
        a.linux_parameters = None;
        a.system_controls = Some(vec![SystemControl {
            namespace: Some("Net.Bad".into()),
            value: Some("1".into()),
        }]);
        assert_only(
            &spec(vec![a]),
            Rule::SystemControl,
            "spec.containerDefinitions[0].systemControls[0].namespace",
        );
        assert!(valid_sysctl_name("net.ipv4.ip_local_port_range"));
        assert!(valid_sysctl_name("kernel/shm_rmid_forced"));
    }

    #[test]
    fn role_and_registry_credentials_must_map() {
        use crate::api::shapes::RepositoryCredentials;
        let mut s = spec(vec![container("a")]);
        s.task_role_arn = Some("arn:aws:iam::1:user/bob".into());
        assert_only(&s, Rule::TaskRole, "spec.taskRoleArn");
        let mut a = container("a");
        a.repository_credentials = Some(RepositoryCredentials {
            credentials_parameter: "arn:aws:ssm:us-east-1:1:parameter/x".into(),
        });
        assert_only(
            &spec(vec![a]),
            Rule::RepositoryCredentials,
            "spec.containerDefinitions[0].repositoryCredentials.credentialsParameter",
        );
    }
}
