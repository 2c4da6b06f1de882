//! Integer bounds in the CRD schemas. The Rust types hold ECS's integers as `i32`, and
//! schemars marks them `format: int32`, but the apiserver does not enforce integer formats:
//! without an explicit `maximum` it accepts 3216442768270147616 for maximumPercent, and the
//! operator then cannot read the object at all (the fault suite's generated manifests found
//! EcsServices that way, with no status and no condition). Every int32 field therefore gets
//! the int32 range as `minimum` / `maximum` where its own bounds are wider, so such a value
//! is refused at admission with the field named.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::Value;

/// Adds the int32 range to every `type: integer, format: int32` schema of `crd`.
pub fn bound_int32(crd: CustomResourceDefinition) -> CustomResourceDefinition {
    let mut value = serde_json::to_value(&crd).expect("a CRD serializes");
    walk(&mut value);
    serde_json::from_value(value).expect("a CRD with bounds deserializes")
}

fn walk(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("integer")
                && map.get("format").and_then(Value::as_str) == Some("int32")
            {
                let (lo, hi) = (f64::from(i32::MIN), f64::from(i32::MAX));
                let min = map.get("minimum").and_then(Value::as_f64);
                if min.is_none_or(|m| m < lo) {
                    map.insert("minimum".into(), Value::from(lo));
                }
                let max = map.get("maximum").and_then(Value::as_f64);
                if max.is_none_or(|m| m > hi) {
                    map.insert("maximum".into(), Value::from(hi));
                }
            }
            map.values_mut().for_each(walk);
        }
        Value::Array(items) => items.iter_mut().for_each(walk),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int32_fields_get_the_int32_range_and_keep_narrower_bounds() {
        let mut v = serde_json::json!({"properties": {
            "a": {"type": "integer", "format": "int32", "minimum": 0.0},
            "b": {"type": "integer", "format": "int32", "minimum": 1.0, "maximum": 10.0},
            "c": {"type": "integer", "format": "int64"},
            "d": {"type": "array", "items": {"type": "integer", "format": "int32"}}
        }});
        walk(&mut v);
        let p = &v["properties"];
        assert_eq!(
            (p["a"]["minimum"].as_f64(), p["a"]["maximum"].as_f64()),
            (Some(0.0), Some(2147483647.0))
        );
        assert_eq!(
            (p["b"]["minimum"].as_f64(), p["b"]["maximum"].as_f64()),
            (Some(1.0), Some(10.0))
        );
        assert!(p["c"].get("maximum").is_none());
        assert_eq!(p["d"]["items"]["minimum"].as_f64(), Some(-2147483648.0));
    }

    #[test]
    fn every_crd_bounds_its_int32_fields() {
        for crd in crate::api::all_crds() {
            let text = serde_json::to_string(&crd).expect("json");
            let int32 = text.matches("\"format\":\"int32\"").count();
            let bounded = text.matches("\"maximum\":").count();
            assert!(
                bounded >= int32,
                "{}: {int32} int32 fields, {bounded} maxima",
                crd.metadata.name.unwrap_or_default()
            );
        }
    }
}
