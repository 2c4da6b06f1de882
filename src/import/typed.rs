//! JSON object → typed spec, with two guarantees: a wrong type names its path, and nothing
//! of the input is silently lost (serde ignores unknown fields, so the typed spec is
//! serialized back and compared with what went in).

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use super::error::{ImportError, LossKind, LostField};
use super::json::strip_nulls;
use super::path::{JsonPath, Step};

/// Where the members of a spec came from in the input, to name both paths in errors.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The input path of the object the spec was taken from (`services[1]`).
    prefix: JsonPath,
    /// Spec members that came from elsewhere: renamed (`cluster` ← `clusterArn`), lifted
    /// from a deployment, or taken from the response wrapper (`tags`).
    moved: BTreeMap<String, JsonPath>,
}

impl Origin {
    pub fn new(prefix: JsonPath) -> Self {
        Self {
            prefix,
            moved: BTreeMap::new(),
        }
    }

    /// Records that spec member `key` came from `input_path`.
    pub fn moved(&mut self, key: &str, input_path: JsonPath) {
        self.moved.insert(key.to_owned(), input_path);
    }

    /// The input path of a path relative to the spec.
    pub fn input_path(&self, in_spec: &JsonPath) -> JsonPath {
        if let Some((Step::Key(key), rest)) = in_spec.split_first()
            && let Some(from) = self.moved.get(key)
        {
            return from.join(&rest);
        }
        self.prefix.join(in_spec)
    }
}

/// What is being converted, for messages: `task definition `web`` and its ECS shape.
pub struct Target<'a> {
    pub subject: &'a str,
    pub shape: &'static str,
}

/// Deserializes `spec` into `T` and fails if any value of it does not survive the round trip.
/// Members set to `null` count as absent (ECS JSON means "not set" by them).
pub fn typed<T: DeserializeOwned + Serialize>(
    spec: Map<String, Value>,
    origin: &Origin,
    target: &Target<'_>,
) -> Result<T, ImportError> {
    let input = strip_nulls(Value::Object(spec));
    let typed: T = serde_path_to_error::deserialize(input.clone()).map_err(|e| {
        let in_spec: JsonPath = e.path().iter().map(step_of).collect();
        ImportError::InvalidField {
            subject: target.subject.to_owned(),
            spec_path: JsonPath::of("spec").join(&in_spec),
            input_path: origin.input_path(&in_spec),
            message: e.into_inner().to_string(),
        }
    })?;
    // Serializing plain data types into a Value cannot fail; if it ever did, report the
    // whole spec as unrepresentable rather than panic.
    let output = serde_json::to_value(&typed).unwrap_or(Value::Null);
    let mut losses = Vec::new();
    compare(&input, &output, &JsonPath::root(), &mut losses);
    if losses.is_empty() {
        return Ok(typed);
    }
    let fields = losses
        .into_iter()
        .map(|(in_spec, kind)| LostField {
            spec_path: Some(JsonPath::of("spec").join(&in_spec)),
            input_path: origin.input_path(&in_spec),
            kind,
        })
        .collect();
    Err(ImportError::UnknownFields {
        subject: target.subject.to_owned(),
        shape: target.shape,
        fields,
    })
}

fn step_of(segment: &serde_path_to_error::Segment) -> Step {
    use serde_path_to_error::Segment;
    match segment {
        Segment::Seq { index } => Step::Index(*index),
        Segment::Map { key } => Step::Key(key.clone()),
        Segment::Enum { variant } => Step::Key(variant.clone()),
        Segment::Unknown => Step::Key("?".into()),
    }
}

/// Collects every path of `input` that is missing from, or different in, `output`.
pub fn compare(
    input: &Value,
    output: &Value,
    at: &JsonPath,
    losses: &mut Vec<(JsonPath, LossKind)>,
) {
    match (input, output) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                match b.get(key) {
                    Some(back) => compare(value, back, &at.key(key), losses),
                    None => losses.push((at.key(key), LossKind::Unknown)),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (value, back)) in a.iter().zip(b).enumerate() {
                compare(value, back, &at.index(i), losses);
            }
        }
        (Value::Number(a), Value::Number(b)) if same_number(a, b) => {}
        (a, b) if a == b => {}
        _ => losses.push((at.clone(), LossKind::Altered)),
    }
}

/// `10` read into an f64 field comes back as `10.0`: the same number.
fn same_number(a: &Number, b: &Number) -> bool {
    a == b || matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Inner {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cpu: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<f64>,
    }

    #[derive(Debug, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Outer {
        items: Vec<Inner>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cluster: Option<String>,
    }

    fn run(spec: Value) -> Result<Outer, ImportError> {
        let mut origin = Origin::new(JsonPath::of("services").index(1));
        origin.moved(
            "cluster",
            JsonPath::of("services").index(1).key("clusterArn"),
        );
        let target = Target {
            subject: "service `api`",
            shape: "CreateServiceRequest",
        };
        let Value::Object(map) = spec else {
            unreachable!()
        };
        typed(map, &origin, &target)
    }

    #[test]
    fn unknown_fields_are_reported_with_both_paths() {
        let err =
            run(json!({"items": [{"cpu": 1}, {"cpu": 2, "foo": true}], "bar": 1})).unwrap_err();
        let ImportError::UnknownFields { fields, .. } = &err else {
            panic!("{err:?}")
        };
        let shown: Vec<String> = fields.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "unknown field `spec.bar` (input: `services[1].bar`)",
                "unknown field `spec.items[1].foo` (input: `services[1].items[1].foo`)",
            ]
        );
    }

    #[test]
    fn type_errors_name_the_spec_and_input_paths() {
        let err = run(json!({"items": [{"cpu": "x"}]})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value at `spec.items[0].cpu` (input: `services[1].items[0].cpu`) in service `api`: \
             invalid type: string \"x\", expected i32"
        );
        let err = run(json!({"items": [], "cluster": 5})).unwrap_err();
        assert!(
            err.to_string()
                .contains("(input: `services[1].clusterArn`)"),
            "{err}"
        );
    }

    #[test]
    fn integers_in_float_fields_survive() {
        assert!(run(json!({"items": [{"percent": 10}]})).is_ok());
    }
}
