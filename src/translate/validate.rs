//! Semantic validation of a task definition: the ECS rules that the CRD schema (types, ranges,
//! CEL) cannot express, plus the rules Kubernetes adds because a task becomes one Pod. Pure.
//!
//! The TaskDefinition controller reports the issues in `Accepted=False` (and an Event);
//! [`translate`](super::translate) refuses any definition with issues, so an invalid revision
//! never reaches a Pod. Each issue names the field and the rule, in ECS's words where ECS has
//! them (ecs-semantics.md §4.4, §5).

mod containers;
pub(crate) mod network;
mod policy;
pub(crate) mod resources;
pub(crate) mod volumes;

use std::fmt;

use crate::api::TaskDefinitionSpec;

use super::TranslateOptions;
use super::paths::Paths;

macro_rules! rules {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The rule an issue breaks. `as_str` is PascalCase, usable as a condition or Event
        /// reason.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $($(#[$doc])* $name,)*
        }

        impl Rule {
            /// Every rule, in declaration order.
            pub const ALL: &'static [Rule] = &[$(Rule::$name,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Rule::$name => stringify!($name),)*
                }
            }
        }
    };
}

rules! {
    /// 1 to 10 containers per task definition.
    ContainerCount,
    /// Container names: present, `[A-Za-z0-9_-]`, unique.
    ContainerName,
    /// Every container needs an image.
    ContainerImage,
    /// At least one container must be essential.
    EssentialContainer,
    /// Task-level `cpu`: units or vCPUs, 128–196608 units.
    TaskCpu,
    /// Task-level `memory`: MiB or GB, at least 6 MiB.
    TaskMemory,
    /// Fargate needs a valid task cpu/memory pair (ecs-semantics.md §5.2 table).
    FargateCpuMemory,
    /// Fargate needs network mode awsvpc.
    FargateNetworkMode,
    /// A field Fargate does not support.
    FargateUnsupported,
    /// Without task-level memory every container needs memory or memoryReservation.
    ContainerMemoryRequired,
    /// Container memory/memoryReservation at least 6 MiB; cpu not negative.
    ContainerResources,
    /// memoryReservation must be less than memory.
    MemoryReservation,
    /// The containers' cpu may not add up to more than the task cpu.
    TaskCpuExceeded,
    /// The containers' reserved memory may not add up to more than the task memory.
    TaskMemoryExceeded,
    /// A dependsOn target must be a container of the task.
    DependsOnUnknownContainer,
    /// A container cannot depend on itself.
    DependsOnSelf,
    /// COMPLETE and SUCCESS targets must be non-essential.
    DependsOnEssentialContainer,
    /// HEALTHY targets need a healthCheck.
    DependsOnHealthCheck,
    /// dependsOn may not form a cycle.
    DependencyCycle,
    /// Volumes: named, unique, one type, consistent settings.
    Volume,
    /// Mount points need sourceVolume and an absolute containerPath.
    MountPoint,
    /// A mount point must name a volume of the task.
    MountPointUnknownVolume,
    /// One container cannot mount two things at the same path.
    DuplicateMountPoint,
    /// volumesFrom must name another container of the task.
    VolumesFrom,
    /// links, hostname and extraHosts are not supported in awsvpc mode.
    NetworkModeAwsvpc,
    /// links need network mode bridge.
    LinksRequireBridge,
    /// A link must name another container of the task.
    Link,
    /// Port mappings: a valid containerPort or containerPortRange, unique names.
    PortMapping,
    /// Two port mappings of the task use the same port.
    PortConflict,
    /// In host and awsvpc mode hostPort must be omitted or equal containerPort.
    HostPortMismatch,
    /// Network mode none allows no port mappings.
    NetworkModeNone,
    /// Privileged containers are refused unless the operator allows them.
    PrivilegedNotAllowed,
    /// Host network / PID / IPC namespaces are refused unless the operator allows them.
    HostNamespaceNotAllowed,
    /// Host-path volumes (`host.sourcePath`) are refused unless the operator allows them.
    HostPathNotAllowed,
    /// healthCheck: CMD / CMD-SHELL form and ECS ranges.
    HealthCheck,
    /// Environment variables need a name without `=`.
    Environment,
    /// environmentFiles entries need a value; conventions must name a valid object.
    EnvironmentFile,
    /// secrets: a valid variable name and a mappable valueFrom.
    Secret,
    /// systemControls: a valid sysctl, allowed by the network and IPC modes.
    SystemControl,
    /// dnsServers are IP addresses; dnsSearchDomains are DNS names.
    Dns,
    /// extraHosts: an IP address and a DNS name.
    ExtraHost,
    /// hostname must leave a usable DNS label.
    Hostname,
    /// resourceRequirements: a positive count, one entry per type.
    ResourceRequirement,
    /// ephemeralStorage.sizeInGiB 21–200.
    EphemeralStorage,
    /// linuxParameters: positive sizes, absolute tmpfs paths.
    LinuxParameters,
    /// taskRoleArn must map to a ServiceAccount.
    TaskRole,
    /// repositoryCredentials must map to an image-pull Secret.
    RepositoryCredentials,
    /// RunTask overrides: named, existing containers, at most 8192 characters.
    Override,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule: the field path (`spec.containerDefinitions[1].dependsOn[0].containerName`),
/// the rule and an ECS-worded message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationIssue {
    pub field: String,
    pub rule: Rule,
    pub message: String,
}

impl fmt::Display for ValidationIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Collects issues in the order they are found.
#[derive(Default)]
pub(crate) struct Issues(Vec<ValidationIssue>);

impl Issues {
    pub fn push(&mut self, field: impl Into<String>, rule: Rule, message: impl Into<String>) {
        self.0.push(ValidationIssue {
            field: field.into(),
            rule,
            message: message.into(),
        });
    }

    pub fn into_vec(self) -> Vec<ValidationIssue> {
        self.0
    }
}

/// Every semantic issue of `spec`; empty when the definition is valid. `opts` matters for the
/// rules the operator configures (privileged containers).
pub fn validate(spec: &TaskDefinitionSpec, opts: &TranslateOptions) -> Vec<ValidationIssue> {
    validate_with(spec, opts, &Paths::default())
}

/// [`validate`] naming fields through `paths` (so fields replaced by overrides point there).
pub(crate) fn validate_with(
    spec: &TaskDefinitionSpec,
    opts: &TranslateOptions,
    paths: &Paths,
) -> Vec<ValidationIssue> {
    let mut issues = Issues::default();
    containers::check(spec, opts, paths, &mut issues);
    resources::check(spec, paths, &mut issues);
    network::check(spec, paths, &mut issues);
    volumes::check(spec, paths, &mut issues);
    policy::check(spec, opts, paths, &mut issues);
    issues.into_vec()
}

/// A short human summary of issues: the first three, then a count.
pub fn summarize(issues: &[ValidationIssue]) -> String {
    let mut parts: Vec<String> = issues.iter().take(3).map(ToString::to_string).collect();
    if issues.len() > 3 {
        parts.push(format!("and {} more", issues.len() - 3));
    }
    parts.join("; ")
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::api::TaskDefinitionSpec;
    use crate::api::shapes::ContainerDefinition;

    use super::*;

    pub fn container(name: &str) -> ContainerDefinition {
        ContainerDefinition {
            name: name.to_owned(),
            image: "busybox".to_owned(),
            memory: Some(128),
            ..Default::default()
        }
    }

    pub fn spec(containers: Vec<ContainerDefinition>) -> TaskDefinitionSpec {
        TaskDefinitionSpec {
            family: Some("f".to_owned()),
            container_definitions: containers,
            ..Default::default()
        }
    }

    /// The ECS rules, without the operator's host-access policy (tested on its own in
    /// validate/policy.rs): host network, PID, IPC and paths allowed.
    pub fn ecs_rules() -> TranslateOptions {
        TranslateOptions {
            allow_host_namespaces: true,
            allow_host_path: true,
            ..Default::default()
        }
    }

    /// The rules `spec` breaks, with their fields.
    pub fn broken(spec: &TaskDefinitionSpec) -> Vec<(Rule, String)> {
        validate(spec, &ecs_rules())
            .into_iter()
            .map(|i| (i.rule, i.field))
            .collect()
    }

    pub fn assert_only(spec: &TaskDefinitionSpec, rule: Rule, field: &str) {
        assert_only_with(spec, &ecs_rules(), rule, field);
    }

    pub fn assert_only_with(
        spec: &TaskDefinitionSpec,
        opts: &TranslateOptions,
        rule: Rule,
        field: &str,
    ) {
        let issues = validate(spec, opts);
        assert!(
            issues.iter().any(|i| i.rule == rule && i.field == field),
            "expected {rule} at {field}, got {issues:#?}"
        );
        assert!(
            issues.iter().all(|i| i.rule == rule),
            "expected only {rule}, got {issues:#?}"
        );
    }

    pub fn assert_valid(spec: &TaskDefinitionSpec) {
        let issues = validate(spec, &ecs_rules());
        assert!(issues.is_empty(), "expected no issues, got {issues:#?}");
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn a_minimal_definition_is_valid() {
        assert_valid(&spec(vec![container("web")]));
    }

    #[test]
    fn rule_names_are_pascal_case_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in Rule::ALL {
            let name = rule.as_str();
            assert!(name.starts_with(|c: char| c.is_ascii_uppercase()), "{name}");
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "{name}");
            assert!(seen.insert(name), "{name} twice");
        }
    }

    #[test]
    fn issues_display_field_and_message() {
        let issue = ValidationIssue {
            field: "spec.cpu".into(),
            rule: Rule::TaskCpu,
            message: "bad".into(),
        };
        assert_eq!(issue.to_string(), "spec.cpu: bad");
        let many = vec![issue.clone(), issue.clone(), issue.clone(), issue];
        assert_eq!(
            summarize(&many),
            "spec.cpu: bad; spec.cpu: bad; spec.cpu: bad; and 1 more"
        );
    }
}
