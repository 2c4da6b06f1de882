//! Resolving `family`, `family:N` or an ARN to a registered revision (ecs-semantics.md
//! §5.1): a bare family means the latest ACTIVE revision; a family is ACTIVE while a
//! TaskDefinition object registers it.

use std::collections::HashSet;

use super::Revision;
use crate::arn::parse_task_definition_ref;

/// A resolved reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved<'a> {
    pub revision: &'a Revision,
    /// False when the family has no TaskDefinition object any more (INACTIVE): running
    /// tasks stay, new services and tasks may not start from it.
    pub active: bool,
}

/// Why a reference did not resolve, ECS-worded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("Invalid task definition reference: {0}")]
    InvalidReference(String),
    #[error("Unable to describe task definition {0}: the family has no registered revision")]
    FamilyNotFound(String),
    #[error("Unable to describe task definition {0}: the revision does not exist")]
    RevisionNotFound(String),
    #[error("TaskDefinition {0} is inactive: its TaskDefinition object was deleted")]
    Inactive(String),
}

impl ResolveError {
    /// The condition / event / metric reason.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidReference(_) => "InvalidTaskDefinitionReference",
            Self::FamilyNotFound(_) | Self::RevisionNotFound(_) => "TaskDefinitionNotFound",
            Self::Inactive(_) => "TaskDefinitionInactive",
        }
    }
}

/// Resolves `reference` among `revisions` (those of one namespace). `active_families` are
/// the families that currently have a TaskDefinition object.
pub fn resolve<'a>(
    reference: &str,
    revisions: &'a [Revision],
    active_families: &HashSet<String>,
) -> Result<Resolved<'a>, ResolveError> {
    let r = parse_task_definition_ref(reference).map_err(ResolveError::InvalidReference)?;
    let active = active_families.contains(&r.family);
    let mut of_family = revisions
        .iter()
        .filter(|rev| rev.family == r.family)
        .peekable();
    if of_family.peek().is_none() {
        return Err(ResolveError::FamilyNotFound(r.to_string()));
    }
    match r.revision {
        Some(n) => of_family
            .find(|rev| rev.number == n)
            .map(|revision| Resolved { revision, active })
            .ok_or_else(|| ResolveError::RevisionNotFound(r.to_string())),
        None if !active => Err(ResolveError::Inactive(r.to_string())),
        None => {
            let revision = of_family
                .max_by_key(|rev| rev.number)
                .expect("peeked non-empty");
            Ok(Resolved { revision, active })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{spec_hash, to_controller_revision};

    fn rev(family: &str, n: i64) -> Revision {
        let spec = serde_json::from_value(serde_json::json!({
            "containerDefinitions": [{"name": "c", "image": format!("img:{n}")}]
        }))
        .unwrap();
        let cr = to_controller_revision("ns", family, family, n, &spec);
        let r = Revision::from_controller_revision(&cr).unwrap();
        assert_eq!(r.spec_hash, spec_hash(&spec));
        r
    }

    #[test]
    fn family_resolves_to_latest_and_pins_resolve_exactly() {
        let revs = vec![rev("web", 1), rev("web", 2), rev("db", 1)];
        let active = HashSet::from(["web".to_string(), "db".to_string()]);
        assert_eq!(resolve("web", &revs, &active).unwrap().revision.number, 2);
        assert_eq!(resolve("web:1", &revs, &active).unwrap().revision.number, 1);
        let arn = crate::arn::ArnContext::default().task_definition("web", 1);
        assert_eq!(resolve(&arn, &revs, &active).unwrap().revision.number, 1);
        assert!(matches!(
            resolve("web:9", &revs, &active),
            Err(ResolveError::RevisionNotFound(_))
        ));
        assert!(matches!(
            resolve("api", &revs, &active),
            Err(ResolveError::FamilyNotFound(_))
        ));
        assert!(matches!(
            resolve("we b", &revs, &active),
            Err(ResolveError::InvalidReference(_))
        ));
    }

    #[test]
    fn inactive_families_resolve_only_when_pinned() {
        let revs = vec![rev("web", 1)];
        let none = HashSet::new();
        assert!(matches!(
            resolve("web", &revs, &none),
            Err(ResolveError::Inactive(_))
        ));
        let pinned = resolve("web:1", &revs, &none).unwrap();
        assert!(!pinned.active);
    }
}
