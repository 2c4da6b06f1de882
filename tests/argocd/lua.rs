//! Runs each health.lua the way Argo CD does: the object as the global `obj`, the script's
//! returned table read as {status, message}, and only Lua's base library loaded (Argo CD
//! opens no other library unless resource.customizations.useOpenLibs is set).

use mlua::{Lua, LuaOptions, LuaSerdeExt, SerializeOptions, StdLib, Table};

use crate::{Health, KINDS, cases, health_script, sample};

fn evaluate(script: &str, obj: &serde_json::Value) -> mlua::Result<Health> {
    let lua = Lua::new_with(StdLib::NONE, LuaOptions::default())?;
    // JSON null is an absent field in Argo CD's object (nil), not a sentinel value.
    let options = SerializeOptions::new()
        .serialize_none_to_null(false)
        .serialize_unit_to_null(false);
    lua.globals().set("obj", lua.to_value_with(obj, options)?)?;
    let result: Table = lua.load(script).eval()?;
    Ok(Health {
        status: result.get("status")?,
        message: result.get("message")?,
    })
}

#[test]
fn every_kind_has_healthy_progressing_and_degraded_cases_and_they_pass() {
    for kind in KINDS {
        let script = health_script(kind);
        let cases = cases(kind);
        for case in &cases {
            let obj = sample(kind, &case.input_path);
            let got = evaluate(&script, &obj)
                .unwrap_or_else(|e| panic!("{kind}/health.lua on {}: {e}", case.input_path));
            assert_eq!(got, case.health_status, "{kind} {}", case.input_path);
        }
        let statuses: Vec<&str> = cases
            .iter()
            .map(|c| c.health_status.status.as_str())
            .collect();
        for needed in ["Healthy", "Progressing"] {
            assert!(statuses.contains(&needed), "{kind}: no {needed} case");
        }
        if kind != "EcsCluster" {
            // A cluster never fails on its own: without instances it waits for them.
            assert!(statuses.contains(&"Degraded"), "{kind}: no Degraded case");
        }
        assert!(
            cases
                .iter()
                .any(|c| c.input_path.contains("generation-lagging")),
            "{kind}: no lagging observedGeneration case"
        );
    }
}

#[test]
fn a_status_written_for_an_older_generation_is_never_healthy() {
    for kind in KINDS {
        let script = health_script(kind);
        for case in cases(kind)
            .iter()
            .filter(|c| c.health_status.status == "Healthy")
        {
            let mut obj = sample(kind, &case.input_path);
            let generation = obj["metadata"]["generation"].as_i64().expect("generation");
            obj["metadata"]["generation"] = (generation + 1).into();
            let got = evaluate(&script, &obj).expect("evaluate");
            assert_eq!(
                got.status, "Progressing",
                "{kind} {} one generation ahead",
                case.input_path
            );
        }
    }
}

#[test]
fn an_object_without_status_or_conditions_is_progressing() {
    for kind in KINDS {
        let script = health_script(kind);
        let bare = serde_json::json!({
            "apiVersion": "ecs.operator.dev/v1alpha1", "kind": kind,
            "metadata": {"name": "x", "generation": 1}, "spec": {}
        });
        assert_eq!(
            evaluate(&script, &bare).expect("evaluate").status,
            "Progressing",
            "{kind}"
        );
        let mut no_conditions = bare.clone();
        no_conditions["status"] = serde_json::json!({"observedGeneration": 1});
        assert_eq!(
            evaluate(&script, &no_conditions).expect("evaluate").status,
            "Progressing",
            "{kind} with an empty status"
        );
    }
}
