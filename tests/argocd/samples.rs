//! The sample objects have the shapes the operator writes: each one survives a round trip
//! through the Rust type of its kind unchanged (a field the type does not have, or a
//! misspelled one, would be dropped and the comparison would fail).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use ecs_operator::api::{EcsCluster, EcsService, EcsTask, TaskDefinition};

use crate::{KINDS, cases, sample};

fn round_trip<K: DeserializeOwned + Serialize>(obj: &Value) -> Value {
    let typed: K = serde_json::from_value(obj.clone()).expect("deserialize the sample");
    serde_json::to_value(&typed).expect("serialize")
}

/// Drops what a round trip may add or normalise but the sample leaves out.
fn normalise(mut v: Value) -> Value {
    if let Some(status) = v.get_mut("status").and_then(Value::as_object_mut) {
        status.retain(|_, x| !x.is_null() && x != &Value::Array(vec![]));
    }
    v
}

#[test]
fn samples_match_the_rust_types() {
    for kind in KINDS {
        for case in cases(kind) {
            let obj = sample(kind, &case.input_path);
            let back = match kind {
                "EcsCluster" => round_trip::<EcsCluster>(&obj),
                "TaskDefinition" => round_trip::<TaskDefinition>(&obj),
                "EcsService" => round_trip::<EcsService>(&obj),
                "EcsTask" => round_trip::<EcsTask>(&obj),
                other => unreachable!("{other}"),
            };
            assert_eq!(
                normalise(back)["status"],
                normalise(obj.clone())["status"],
                "{kind} {}: the sample status has fields the operator does not write",
                case.input_path
            );
        }
    }
}
