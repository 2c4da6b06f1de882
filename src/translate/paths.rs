//! Field paths for reports and validation issues (`spec.containerDefinitions[1].cpu`). A field
//! that a RunTask override replaced is named where the value came from
//! (`spec.overrides.containerOverrides[0].cpu`), so an `EcsTask` whose overrides break a rule
//! points at its own spec.

use std::collections::{BTreeMap, BTreeSet};

/// Where each effective field came from. The default names everything in the definition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Paths {
    /// Task-level fields replaced by `overrides.<field>`.
    pub task: BTreeSet<String>,
    /// (container index, field) → index of the `containerOverrides` entry that replaced it.
    pub container: BTreeMap<(usize, String), usize>,
    /// Per container whose environment was merged with an override: the path of each entry.
    pub environment: BTreeMap<usize, Vec<String>>,
}

pub(crate) const SPEC: &str = "spec";
pub(crate) const OVERRIDES: &str = "spec.overrides";

impl Paths {
    /// The path of a task-level field (`spec.cpu` or `spec.overrides.cpu`).
    pub fn task(&self, field: &str) -> String {
        if self.task.contains(field) {
            format!("{OVERRIDES}.{field}")
        } else {
            format!("{SPEC}.{field}")
        }
    }

    /// The path of container `i` itself.
    pub fn container_root(&self, i: usize) -> String {
        format!("{SPEC}.containerDefinitions[{i}]")
    }

    /// The path of a field of container `i`.
    pub fn container(&self, i: usize, field: &str) -> String {
        match self.container.get(&(i, field.to_owned())) {
            Some(j) => format!("{OVERRIDES}.containerOverrides[{j}].{field}"),
            None => format!("{SPEC}.containerDefinitions[{i}].{field}"),
        }
    }

    /// The path of entry `k` of a list field of container `i`.
    pub fn item(&self, i: usize, field: &str, k: usize) -> String {
        if field == "environment"
            && let Some(path) = self.environment.get(&i).and_then(|paths| paths.get(k))
        {
            return path.clone();
        }
        format!("{}[{k}]", self.container(i, field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_and_override_paths() {
        let mut paths = Paths::default();
        assert_eq!(paths.task("cpu"), "spec.cpu");
        assert_eq!(
            paths.container(1, "memory"),
            "spec.containerDefinitions[1].memory"
        );
        assert_eq!(
            paths.item(0, "portMappings", 2),
            "spec.containerDefinitions[0].portMappings[2]"
        );
        paths.task.insert("cpu".into());
        paths.container.insert((1, "memory".into()), 0);
        paths.environment.insert(
            0,
            vec!["spec.overrides.containerOverrides[0].environment[0]".into()],
        );
        assert_eq!(paths.task("cpu"), "spec.overrides.cpu");
        assert_eq!(
            paths.container(1, "memory"),
            "spec.overrides.containerOverrides[0].memory"
        );
        assert_eq!(
            paths.item(0, "environment", 0),
            "spec.overrides.containerOverrides[0].environment[0]"
        );
        assert_eq!(
            paths.item(0, "environment", 1),
            "spec.containerDefinitions[0].environment[1]"
        );
    }
}
