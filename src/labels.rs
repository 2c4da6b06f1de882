//! Every label and annotation key the operator writes or reads, in one place. Keys for
//! nodes and placement live in `placement::labels` (re-exported here); the keys below mark
//! the objects the controllers create.

pub use crate::placement::labels::*;

/// `app.kubernetes.io/managed-by` value on everything the operator creates; the Pod and
/// ControllerRevision caches select on it.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "ecs-operator";

/// Pod label: the EcsService a task belongs to (metadata.name of the service).
pub const SERVICE_LABEL: &str = "ecs.operator.dev/service";
/// Pod label: the EcsTask (RunTask) a standalone task belongs to.
pub const TASK_RUN_LABEL: &str = "ecs.operator.dev/ecs-task";
/// Pod and ControllerRevision label: the task-definition revision number.
pub const REVISION_LABEL: &str = "ecs.operator.dev/revision";
/// Pod label: the service deployment the task belongs to (deployment id, label-safe form).
pub const DEPLOYMENT_LABEL: &str = "ecs.operator.dev/deployment";
/// `DAEMON` on the tasks of DAEMON services: draining stops them last (ecs-semantics.md §6.2).
pub const SCHEDULING_STRATEGY_LABEL: &str = "ecs.operator.dev/scheduling-strategy";
/// ControllerRevision label: the TaskDefinition object (metadata.name) that registered it.
pub const TASK_DEFINITION_LABEL: &str = "ecs.operator.dev/task-definition";
/// Annotation with the full ECS family name (label values cannot hold every family name).
pub const FAMILY_ANNOTATION: &str = "ecs.operator.dev/family-name";
/// Annotation with the hash of the registered spec, to tell "changed" cheaply.
pub const SPEC_HASH_ANNOTATION: &str = "ecs.operator.dev/spec-hash";
/// Pod annotation: the task ARN.
pub const TASK_ARN_ANNOTATION: &str = "ecs.operator.dev/task-arn";
/// Pod annotation: the task-definition ARN the task runs.
pub const TASK_DEFINITION_ARN_ANNOTATION: &str = "ecs.operator.dev/task-definition-arn";
/// Pod annotation: comma-separated names of the essential containers (ECS `essential`).
pub const ESSENTIAL_CONTAINERS_ANNOTATION: &str = "ecs.operator.dev/essential-containers";
/// Pod annotation: comma-separated names of containers with an ECS `healthCheck`.
pub const HEALTH_CHECKED_CONTAINERS_ANNOTATION: &str = "ecs.operator.dev/health-checked-containers";
/// Pod annotation: the ECS task id (the last part of the task ARN).
pub const TASK_ID_ANNOTATION: &str = "ecs.operator.dev/task-id";
/// Who started the task (ECS `startedBy`).
pub const STARTED_BY_ANNOTATION: &str = "ecs.operator.dev/started-by";

/// A label value for an arbitrary string: itself when it is a valid label value, otherwise
/// a stable hash (`h-<16 hex>`). ECS names may be up to 255 characters; label values 63.
pub fn label_value(s: &str) -> String {
    let valid = !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        s.to_string()
    } else {
        format!("h-{}", short_hash(s))
    }
}

/// A DNS-1123 label made from an ECS name: lowercase, `_` → `-`, other characters dropped,
/// trimmed to `max` characters; a hash suffix keeps distinct ECS names distinct
/// (`My_App` and `my-app` differ).
pub fn dns_label(s: &str, max: usize) -> String {
    let mut base: String = s
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            '_' | '.' => Some('-'),
            _ => None,
        })
        .collect();
    let hash = &short_hash(s)[..6];
    let room = max.saturating_sub(hash.len() + 1);
    base.truncate(room);
    let base = base.trim_matches('-');
    if base.is_empty() {
        format!("x-{hash}")
    } else {
        format!("{base}-{hash}")
    }
}

/// 16 hex characters of SHA-256: stable across processes and versions.
pub fn short_hash(s: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(s.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_pass_through_when_valid_and_hash_otherwise() {
        assert_eq!(label_value("web"), "web");
        assert_eq!(label_value("My_Service"), "My_Service");
        assert!(label_value("service:web").starts_with("h-"));
        assert_eq!(label_value(&"a".repeat(64)).len(), 18);
        assert_eq!(label_value("x_"), label_value("x_"));
    }

    #[test]
    fn dns_labels_are_valid_and_distinct() {
        let a = dns_label("My_App", 40);
        let b = dns_label("my-app", 40);
        assert_ne!(a, b);
        for s in [a, b, dns_label("__", 40), dns_label(&"Z".repeat(300), 40)] {
            assert!(s.len() <= 40, "{s}");
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{s}"
            );
            assert!(!s.starts_with('-') && !s.ends_with('-'), "{s}");
        }
    }
}
