//! JSON paths (`containerDefinitions[0].dockerLabels["com.example.team"]`) for error messages.

use std::fmt;

/// One step into a JSON document: an object member or an array element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A path from some root (the input document, or `spec`) to a value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonPath(Vec<Step>);

impl JsonPath {
    /// The root itself.
    pub fn root() -> Self {
        Self::default()
    }

    /// A path of one object member, e.g. `spec` or `taskDefinition`.
    pub fn of(key: &str) -> Self {
        Self::root().key(key)
    }

    /// This path extended by an object member.
    pub fn key(&self, key: &str) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Key(key.to_owned()));
        Self(steps)
    }

    /// This path extended by an array element.
    pub fn index(&self, index: usize) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Index(index));
        Self(steps)
    }

    /// This path followed by `rest`.
    pub fn join(&self, rest: &JsonPath) -> Self {
        let mut steps = self.0.clone();
        steps.extend(rest.0.iter().cloned());
        Self(steps)
    }

    /// The path without its first step (and that step), if it has one.
    pub fn split_first(&self) -> Option<(&Step, JsonPath)> {
        self.0
            .split_first()
            .map(|(first, rest)| (first, JsonPath(rest.to_vec())))
    }
}

impl FromIterator<Step> for JsonPath {
    fn from_iter<I: IntoIterator<Item = Step>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Keys that read unambiguously after a dot; anything else (map keys such as Docker labels
/// `com.example.team`) is written as `["…"]` so the path can be followed back.
fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(key) if is_plain_key(key) && i == 0 => f.write_str(key)?,
                Step::Key(key) if is_plain_key(key) => write!(f, ".{key}")?,
                Step::Key(key) => write!(f, "[{key:?}]")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_keys_indexes_and_quoted_map_keys() {
        let path = JsonPath::of("spec")
            .key("containerDefinitions")
            .index(0)
            .key("dockerLabels")
            .key("com.example.team");
        assert_eq!(
            path.to_string(),
            r#"spec.containerDefinitions[0].dockerLabels["com.example.team"]"#
        );
        assert_eq!(JsonPath::root().to_string(), "(top level)");
        assert_eq!(JsonPath::root().index(2).key("a").to_string(), "[2].a");
    }
}
