//! Every field of every ECS shape a kind's spec must accept (../shared/reference:
//! ecs-spec-shapes.json names the shapes per kind, ecs-fields.json their fields) is
//! present in the generated schema. A shape is covered when some object in the kind's
//! spec schema declares all of its fields.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use ecs_operator::api::all_crds;
use serde_json::Value;

fn reference(file: &str) -> Value {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "shared",
        "reference",
        file,
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} is needed for the field-coverage test: {e}",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("reference JSON")
}

/// The property-name sets of every object schema under `schema`.
fn object_property_sets(schema: &Value, out: &mut Vec<BTreeSet<String>>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                out.push(props.keys().cloned().collect());
                for child in props.values() {
                    object_property_sets(child, out);
                }
            }
            for key in ["items", "additionalProperties"] {
                if let Some(child) = map.get(key) {
                    object_property_sets(child, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| object_property_sets(i, out)),
        _ => {}
    }
}

#[test]
fn every_ecs_field_is_in_the_schema() {
    let shapes = reference("ecs-spec-shapes.json");
    let fields = reference("ecs-fields.json");
    let mut spec_objects: BTreeMap<String, Vec<BTreeSet<String>>> = BTreeMap::new();
    for crd in all_crds() {
        let schema = serde_json::to_value(&crd.spec.versions[0].schema).expect("schema JSON");
        let spec = &schema["openAPIV3Schema"]["properties"]["spec"];
        assert!(
            spec.is_object(),
            "{} has a spec schema",
            crd.spec.names.kind
        );
        let mut sets = Vec::new();
        object_property_sets(spec, &mut sets);
        spec_objects.insert(crd.spec.names.kind.clone(), sets);
    }

    let mut missing = Vec::new();
    let mut checked = 0;
    for (kind, shape_names) in shapes.as_object().expect("shapes object") {
        if kind.starts_with('_') {
            continue;
        }
        let objects = spec_objects
            .get(kind)
            .unwrap_or_else(|| panic!("no CRD for kind {kind}"));
        for shape in shape_names.as_array().expect("shape list") {
            let shape = shape.as_str().expect("shape name");
            let wanted: BTreeSet<String> = fields[shape]
                .as_array()
                .unwrap_or_else(|| panic!("{shape} not in ecs-fields.json"))
                .iter()
                .map(|f| f.as_str().expect("field name").to_string())
                .collect();
            checked += wanted.len();
            // The object that declares the most of the shape's fields is the shape's schema.
            let best = objects
                .iter()
                .max_by_key(|props| props.intersection(&wanted).count());
            let absent: Vec<&String> = match best {
                Some(props) => wanted.difference(props).collect(),
                None => wanted.iter().collect(),
            };
            if !absent.is_empty() {
                missing.push(format!("{kind}: {shape} lacks {absent:?}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ECS fields missing from the CRD schemas:\n{}",
        missing.join("\n")
    );
    assert!(
        checked > 300,
        "the reference lists hundreds of fields; only {checked} checked"
    );
}
