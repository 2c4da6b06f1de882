//! The Pod of one task: the translated PodSpec, placed on a node (`spec.nodeName`, the
//! operator is the scheduler), with the labels and annotations that tie it to its service
//! or run, its task definition revision and its ECS identity.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::labels::{
    ESSENTIAL_CONTAINERS_ANNOTATION, FAMILY_ANNOTATION, FAMILY_KEY, GROUP_KEY,
    HEALTH_CHECKED_CONTAINERS_ANNOTATION, MANAGED_BY, MANAGED_BY_LABEL, REVISION_LABEL,
    STARTED_BY_ANNOTATION, TASK_ARN_ANNOTATION, TASK_DEFINITION_ARN_ANNOTATION, TASK_ID_ANNOTATION,
    label_value,
};

/// What identifies one task's Pod.
#[derive(Clone, Debug)]
pub struct TaskPod<'a> {
    pub namespace: &'a str,
    /// The Pod name; also unique per namespace, so the task id is derived from it.
    pub name: String,
    pub task_id: String,
    pub task_arn: String,
    pub family: &'a str,
    pub revision: i64,
    pub task_definition_arn: &'a str,
    pub group: &'a str,
    pub started_by: Option<&'a str>,
    pub essential_containers: &'a [String],
    pub health_checked_containers: &'a [String],
    /// Extra labels (service / run / deployment).
    pub labels: BTreeMap<String, String>,
    pub owner: OwnerReference,
}

/// A new ECS task id: 32 lowercase hex characters, as ECS task ids are.
pub fn new_task_id() -> String {
    let mut bytes = [0u8; 16];
    // The OS RNG does not fail on the platforms we run on; a zero id would still be
    // unique per pod name, which is what identifies the Pod.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh seed for placement's random tie-breaking.
pub fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// Builds the Pod for `task` from `spec`, bound to `node`.
pub fn build_pod(task: &TaskPod<'_>, mut spec: PodSpec, node: &str) -> Pod {
    spec.node_name = Some(node.to_string());
    let mut labels = task.labels.clone();
    labels.insert(MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string());
    labels.insert(FAMILY_KEY.to_string(), label_value(task.family));
    labels.insert(REVISION_LABEL.to_string(), task.revision.to_string());
    let mut annotations = BTreeMap::from([
        (GROUP_KEY.to_string(), task.group.to_string()),
        (FAMILY_ANNOTATION.to_string(), task.family.to_string()),
        (TASK_ID_ANNOTATION.to_string(), task.task_id.clone()),
        (TASK_ARN_ANNOTATION.to_string(), task.task_arn.clone()),
        (
            TASK_DEFINITION_ARN_ANNOTATION.to_string(),
            task.task_definition_arn.to_string(),
        ),
        (
            ESSENTIAL_CONTAINERS_ANNOTATION.to_string(),
            task.essential_containers.join(","),
        ),
        (
            HEALTH_CHECKED_CONTAINERS_ANNOTATION.to_string(),
            task.health_checked_containers.join(","),
        ),
    ]);
    if let Some(by) = task.started_by {
        annotations.insert(STARTED_BY_ANNOTATION.to_string(), by.to_string());
    }
    Pod {
        metadata: ObjectMeta {
            name: Some(task.name.clone()),
            namespace: Some(task.namespace.to_string()),
            labels: Some(labels),
            annotations: Some(annotations),
            owner_references: Some(vec![task.owner.clone()]),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_are_32_hex_characters_and_differ() {
        let a = new_task_id();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, new_task_id());
    }

    #[test]
    fn the_pod_is_bound_owned_and_labeled() {
        let owner = OwnerReference {
            name: "web".into(),
            uid: "u".into(),
            controller: Some(true),
            ..Default::default()
        };
        let essential = vec!["web".to_string()];
        let task = TaskPod {
            namespace: "ns",
            name: "web-abc".into(),
            task_id: "abc".into(),
            task_arn: "arn:aws:ecs:local:0:task/default/abc".into(),
            family: "web",
            revision: 3,
            task_definition_arn: "arn:td",
            group: "service:web",
            started_by: Some("ecs-svc/1"),
            essential_containers: &essential,
            health_checked_containers: &[],
            labels: BTreeMap::from([("ecs.operator.dev/service".into(), "web".into())]),
            owner,
        };
        let pod = build_pod(&task, PodSpec::default(), "node-1");
        assert_eq!(
            pod.spec.as_ref().unwrap().node_name.as_deref(),
            Some("node-1")
        );
        let labels = pod.metadata.labels.unwrap();
        assert_eq!(labels[REVISION_LABEL], "3");
        assert_eq!(labels["ecs.operator.dev/service"], "web");
        assert_eq!(pod.metadata.annotations.unwrap()[GROUP_KEY], "service:web");
        assert_eq!(
            pod.metadata.owner_references.unwrap()[0].controller,
            Some(true)
        );
    }
}
