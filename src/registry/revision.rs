//! One registered revision and the decision "does this spec need a new revision?".

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde::{Deserialize, Serialize};

use crate::api::TaskDefinitionSpec;
use crate::labels::{
    FAMILY_ANNOTATION, FAMILY_KEY, MANAGED_BY, MANAGED_BY_LABEL, REVISION_LABEL,
    SPEC_HASH_ANNOTATION, TASK_DEFINITION_LABEL, dns_label, label_value, short_hash,
};

/// A registered task-definition revision.
#[derive(Clone, Debug, PartialEq)]
pub struct Revision {
    pub family: String,
    pub number: i64,
    pub spec: TaskDefinitionSpec,
    pub spec_hash: String,
    /// The TaskDefinition object (metadata.name) that registered it.
    pub registered_by_object: String,
    pub registered_at: Option<Time>,
}

/// What a ControllerRevision's `data` holds.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RevisionData {
    family: String,
    revision: i64,
    spec: TaskDefinitionSpec,
}

/// A stable hash of a spec: of its JSON with object keys sorted (serde_json's default map).
pub fn spec_hash(spec: &TaskDefinitionSpec) -> String {
    let value = serde_json::to_value(spec).unwrap_or_default();
    short_hash(&value.to_string())
}

/// Whether the current spec is already registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevisionDecision {
    /// The latest revision of the family already has this spec.
    Unchanged(i64),
    /// Register this revision number.
    Register(i64),
}

/// Next revision for `family` given every revision of the namespace: unchanged when the
/// latest revision of the family has the same spec hash; otherwise max + 1 (numbers are
/// never reused, also not after the TaskDefinition object was deleted and re-created).
pub fn decide_revision(existing: &[Revision], family: &str, hash: &str) -> RevisionDecision {
    let latest = existing
        .iter()
        .filter(|r| r.family == family)
        .max_by_key(|r| r.number);
    match latest {
        Some(r) if r.spec_hash == hash => RevisionDecision::Unchanged(r.number),
        Some(r) => RevisionDecision::Register(r.number + 1),
        None => RevisionDecision::Register(1),
    }
}

/// The ControllerRevision name of a revision: `td-<family as DNS label>-<number>`.
/// Deterministic, so a second create of the same revision fails with AlreadyExists.
pub fn revision_object_name(family: &str, number: i64) -> String {
    format!("td-{}-{number}", dns_label(family, 40))
}

/// Builds the ControllerRevision that stores `spec` as `family:number`.
pub fn to_controller_revision(
    namespace: &str,
    task_definition: &str,
    family: &str,
    number: i64,
    spec: &TaskDefinitionSpec,
) -> ControllerRevision {
    let hash = spec_hash(spec);
    let data = RevisionData {
        family: family.to_string(),
        revision: number,
        spec: spec.clone(),
    };
    ControllerRevision {
        metadata: ObjectMeta {
            name: Some(revision_object_name(family, number)),
            namespace: Some(namespace.to_string()),
            labels: Some(BTreeMap::from([
                (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
                (FAMILY_KEY.to_string(), label_value(family)),
                (REVISION_LABEL.to_string(), number.to_string()),
                (
                    TASK_DEFINITION_LABEL.to_string(),
                    label_value(task_definition),
                ),
            ])),
            annotations: Some(BTreeMap::from([
                (FAMILY_ANNOTATION.to_string(), family.to_string()),
                (SPEC_HASH_ANNOTATION.to_string(), hash),
            ])),
            ..Default::default()
        },
        revision: number,
        data: Some(RawExtension(
            serde_json::to_value(&data).unwrap_or_default(),
        )),
    }
}

impl Revision {
    /// Reads a revision back from its ControllerRevision; None for objects that are not
    /// revisions of ours or whose data does not parse (never panics on foreign input).
    pub fn from_controller_revision(cr: &ControllerRevision) -> Option<Self> {
        let data: RevisionData = serde_json::from_value(cr.data.as_ref()?.0.clone()).ok()?;
        let annotations = cr.metadata.annotations.as_ref();
        let spec_hash = annotations
            .and_then(|a| a.get(SPEC_HASH_ANNOTATION).cloned())
            .unwrap_or_else(|| spec_hash(&data.spec));
        let registered_by_object = cr
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(TASK_DEFINITION_LABEL).cloned())
            .unwrap_or_default();
        Some(Revision {
            family: data.family,
            number: data.revision,
            spec: data.spec,
            spec_hash,
            registered_by_object,
            registered_at: cr.metadata.creation_timestamp.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(image: &str) -> TaskDefinitionSpec {
        serde_json::from_value(serde_json::json!({
            "family": "web",
            "containerDefinitions": [{"name": "web", "image": image}]
        }))
        .unwrap()
    }

    fn registered(n: i64, s: &TaskDefinitionSpec) -> Revision {
        let cr = to_controller_revision("ns", "web", "web", n, s);
        Revision::from_controller_revision(&cr).unwrap()
    }

    #[test]
    fn first_spec_registers_revision_one() {
        assert_eq!(
            decide_revision(&[], "web", &spec_hash(&spec("a"))),
            RevisionDecision::Register(1)
        );
    }

    #[test]
    fn same_spec_is_unchanged_and_a_change_registers_the_next_number() {
        let r1 = registered(1, &spec("a"));
        let r2 = registered(2, &spec("b"));
        let all = vec![r1, r2];
        assert_eq!(
            decide_revision(&all, "web", &spec_hash(&spec("b"))),
            RevisionDecision::Unchanged(2)
        );
        // Going back to an older spec is a new revision, as in ECS.
        assert_eq!(
            decide_revision(&all, "web", &spec_hash(&spec("a"))),
            RevisionDecision::Register(3)
        );
        assert_eq!(
            decide_revision(&all, "other", "x"),
            RevisionDecision::Register(1)
        );
    }

    #[test]
    fn controller_revisions_round_trip() {
        let s = spec("nginx");
        let cr = to_controller_revision("ns", "web", "web", 7, &s);
        assert_eq!(
            cr.metadata.name.as_deref(),
            Some(revision_object_name("web", 7).as_str())
        );
        let back = Revision::from_controller_revision(&cr).unwrap();
        assert_eq!((back.family.as_str(), back.number), ("web", 7));
        assert_eq!(back.spec, s);
        assert_eq!(back.spec_hash, spec_hash(&s));
    }

    #[test]
    fn foreign_controller_revisions_are_ignored() {
        let cr = ControllerRevision {
            data: Some(RawExtension(serde_json::json!({"spec": {"template": {}}}))),
            ..Default::default()
        };
        assert!(Revision::from_controller_revision(&cr).is_none());
    }
}
