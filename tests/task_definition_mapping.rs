//! docs/task-definition-mapping.md has one row per field of every shape a TaskDefinition spec
//! accepts (../shared/reference/ecs-spec-shapes.json → ecs-fields.json), plus the RunTask
//! override shapes, each marked honoured, approximated or unsupported. Rows for fields that do
//! not exist fail too, so the document cannot drift from the ECS model.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const SHAPES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/reference/ecs-spec-shapes.json"
);
const FIELDS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/reference/ecs-fields.json"
);
const DOC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/task-definition-mapping.md"
);

/// The override shapes of RunTask that the translation applies.
const OVERRIDE_SHAPES: [&str; 3] = [
    "TaskOverride",
    "ContainerOverride",
    "InferenceAcceleratorOverride",
];
const SUPPORT: [&str; 3] = ["honoured", "approximated", "unsupported"];

fn json(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `Shape.field` the document must cover.
fn wanted() -> BTreeSet<String> {
    let shapes = json(SHAPES);
    let fields = json(FIELDS);
    let mut names: Vec<String> = shapes["TaskDefinition"]
        .as_array()
        .expect("TaskDefinition shapes")
        .iter()
        .map(|s| s.as_str().expect("shape name").to_owned())
        .collect();
    names.extend(OVERRIDE_SHAPES.iter().map(|s| s.to_string()));
    let mut out = BTreeSet::new();
    for shape in names {
        let list = fields[&shape]
            .as_array()
            .unwrap_or_else(|| panic!("{shape} is not in ecs-fields.json"));
        for field in list {
            out.insert(format!("{shape}.{}", field.as_str().expect("field name")));
        }
    }
    out
}

/// `Shape.field` → support, from the document's table rows.
fn rows() -> (BTreeMap<String, String>, Vec<String>) {
    let doc = std::fs::read_to_string(DOC).unwrap_or_else(|e| panic!("{DOC}: {e}"));
    let mut rows = BTreeMap::new();
    let mut problems = Vec::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if cells.len() < 3 || !line.trim_start().starts_with('|') {
            continue;
        }
        let key = cells[0].trim_matches('`');
        let Some((shape, field)) = key.split_once('.') else {
            continue;
        };
        let is_name = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
        if !is_name(shape)
            || !is_name(field)
            || !shape.starts_with(|c: char| c.is_ascii_uppercase())
        {
            continue;
        }
        let support = cells[1].to_owned();
        if !SUPPORT.contains(&support.as_str()) {
            problems.push(format!(
                "{key}: support {support:?} is not one of {SUPPORT:?}"
            ));
        }
        if cells[2].is_empty() {
            problems.push(format!("{key}: the row does not say how"));
        }
        if rows.insert(key.to_owned(), support).is_some() {
            problems.push(format!("{key}: more than one row"));
        }
    }
    (rows, problems)
}

#[test]
fn every_task_definition_field_has_a_row() {
    let wanted = wanted();
    let (rows, mut problems) = rows();
    for field in &wanted {
        if !rows.contains_key(field) {
            problems.push(format!(
                "{field}: no row in docs/task-definition-mapping.md"
            ));
        }
    }
    for field in rows.keys() {
        if !wanted.contains(field) {
            problems.push(format!(
                "{field}: row for a field that is not in the ECS model"
            ));
        }
    }
    assert!(
        wanted.len() > 150,
        "suspiciously few fields: {}",
        wanted.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
