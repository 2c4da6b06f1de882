//! `ecs-operator import` without an API server: the conversion (library) on the testdata in
//! testdata/import/, the field coverage of that testdata, and the binary's exit codes and
//! messages. tests/api_server/import_accepted.rs applies the same output to a real server.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ecs_operator::api::{EcsService, TaskDefinition};
use ecs_operator::import::{
    self, ImportError, LossKind, Options, SERVICE_MAPPED_FIELDS, SERVICE_READ_ONLY_FIELDS,
    TASK_DEFINITION_READ_ONLY_FIELDS, TaskDefinitionRef,
};
use serde_json::{Value, json};

// ---------------------------------------------------------------- helpers

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/import")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(testdata(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

/// Every task definition file of testdata/import (all but the describe-services one).
fn task_definition_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(testdata(""))
        .expect("testdata/import")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with("task-definition.json"))
        .collect();
    files.sort();
    files
}

fn task_definition(name: &str) -> TaskDefinition {
    let imported = import::import_task_definition(&read(name), &Options::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(imported.objects.len(), 1);
    imported.objects.into_iter().next().expect("one object")
}

fn services(json: &str, options: &Options) -> Vec<EcsService> {
    import::import_services(json, options)
        .unwrap_or_else(|e| panic!("{e}"))
        .objects
}

/// ../shared/reference/<file>, the ECS field lists the project is built against.
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
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is needed for the coverage tests: {e}", path.display()));
    serde_json::from_str(&text).expect("reference JSON")
}

fn fields_of(shape: &str) -> BTreeSet<String> {
    reference("ecs-fields.json")[shape]
        .as_array()
        .unwrap_or_else(|| panic!("{shape} not in ecs-fields.json"))
        .iter()
        .map(|f| f.as_str().expect("field name").to_owned())
        .collect()
}

fn as_set(fields: &[&str]) -> BTreeSet<String> {
    fields.iter().map(|f| (*f).to_owned()).collect()
}

fn td_error(json: &str) -> ImportError {
    import::import_task_definition(json, &Options::default()).expect_err("the import should fail")
}

fn service_error(json: &str) -> ImportError {
    import::import_services(json, &Options::default()).expect_err("the import should fail")
}

/// The smallest task definition, with `extra` merged into its first container.
fn td_with_container(extra: Value) -> String {
    let mut container = json!({"name": "app", "image": "busybox"});
    for (k, v) in extra.as_object().expect("object") {
        container[k] = v.clone();
    }
    json!({"family": "app", "containerDefinitions": [container]}).to_string()
}

/// The kube-derived root types have no PartialEq; compare their JSON.
fn as_json<T: serde::Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).expect("JSON")
}

fn run_cli(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecs-operator"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ecs-operator");
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(stdin.unwrap_or_default())
        .expect("write stdin");
    drop(pipe);
    child.wait_with_output().expect("wait for ecs-operator")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the binary on bad input: exit code 2, no panic, and the message contains `expect`.
fn assert_input_error(args: &[&str], stdin: &[u8], expect: &str) {
    let out = run_cli(args, Some(stdin));
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code for {args:?}; stderr: {err}"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout on error");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(expect),
        "stderr should contain {expect:?}: {err}"
    );
}

// ---------------------------------------------------------------- testdata coverage

#[test]
fn testdata_uses_every_container_definition_field() {
    let mut used = BTreeSet::new();
    for file in task_definition_files() {
        let spec = serde_json::to_value(&task_definition(&file).spec).expect("spec JSON");
        for container in spec["containerDefinitions"].as_array().expect("containers") {
            used.extend(container.as_object().expect("container").keys().cloned());
        }
    }
    let missing: Vec<_> = fields_of("ContainerDefinition")
        .difference(&used)
        .cloned()
        .collect();
    assert!(missing.is_empty(), "no testdata container uses {missing:?}");
}

#[test]
fn testdata_uses_every_register_task_definition_field() {
    let mut used = BTreeSet::new();
    for file in task_definition_files() {
        let spec = serde_json::to_value(&task_definition(&file).spec).expect("spec JSON");
        used.extend(spec.as_object().expect("spec").keys().cloned());
    }
    let missing: Vec<_> = fields_of("RegisterTaskDefinitionRequest")
        .difference(&used)
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "no testdata task definition uses {missing:?}"
    );
}

#[test]
fn testdata_has_both_input_forms() {
    let forms: BTreeSet<bool> = task_definition_files()
        .iter()
        .map(|f| {
            serde_json::from_str::<Value>(&read(f))
                .expect("JSON")
                .get("taskDefinition")
                .is_some()
        })
        .collect();
    assert_eq!(
        forms.len(),
        2,
        "whole describe-task-definition responses and bare task definitions"
    );
}

#[test]
fn read_only_lists_match_the_ecs_shapes() {
    let task_definition_only: BTreeSet<_> = fields_of("TaskDefinition")
        .difference(&fields_of("RegisterTaskDefinitionRequest"))
        .cloned()
        .collect();
    assert_eq!(
        task_definition_only,
        as_set(TASK_DEFINITION_READ_ONLY_FIELDS)
    );

    let service_only: BTreeSet<_> = fields_of("Service")
        .difference(&fields_of("CreateServiceRequest"))
        .cloned()
        .collect();
    let mut handled = as_set(SERVICE_READ_ONLY_FIELDS);
    handled.extend(
        SERVICE_MAPPED_FIELDS
            .iter()
            .map(|(from, _)| (*from).to_owned()),
    );
    assert_eq!(service_only, handled);
    for (_, to) in SERVICE_MAPPED_FIELDS {
        assert!(fields_of("CreateServiceRequest").contains(*to), "{to}");
    }
}

// ---------------------------------------------------------------- task definitions

#[test]
fn task_definitions_convert_with_names_and_without_read_only_fields() {
    let expected = [
        (
            "gpu-inference.describe-task-definition.json",
            "gpu-inference",
            "gpu-inference",
        ),
        (
            "orders-api.task-definition.json",
            "orders-api",
            "orders_api",
        ),
        (
            "web-app.describe-task-definition.json",
            "web-app",
            "web-app",
        ),
        (
            "windows-iis.describe-task-definition.json",
            "intranet-iis",
            "Intranet_IIS",
        ),
    ];
    assert_eq!(
        task_definition_files(),
        expected.map(|(f, _, _)| f.to_owned())
    );
    for (file, name, family) in expected {
        let td = task_definition(file);
        assert_eq!(td.metadata.name.as_deref(), Some(name), "{file}");
        assert_eq!(
            td.metadata.namespace, None,
            "{file}: no namespace unless --namespace"
        );
        assert_eq!(
            td.spec.family.as_deref(),
            Some(family),
            "{file}: spec.family is kept"
        );
        let manifest = serde_json::to_value(&td).expect("JSON");
        assert_eq!(manifest["apiVersion"], "ecs.operator.dev/v1alpha1");
        assert_eq!(manifest["kind"], "TaskDefinition");
        assert!(
            manifest.get("status").is_none(),
            "{file}: no status in a manifest"
        );
        for field in TASK_DEFINITION_READ_ONLY_FIELDS {
            assert!(
                manifest["spec"].get(*field).is_none(),
                "{file}: {field} dropped"
            );
        }
    }
}

#[test]
fn response_tags_go_into_spec_tags() {
    let td = task_definition("web-app.describe-task-definition.json");
    let tags = serde_json::to_value(&td.spec.tags).expect("JSON");
    assert_eq!(
        tags,
        json!([{"key": "team", "value": "storefront"}, {"key": "cost-center", "value": "4711"}])
    );
    // `"tags": []` (describe-task-definition --include TAGS, no tags) adds nothing.
    assert_eq!(
        task_definition("windows-iis.describe-task-definition.json")
            .spec
            .tags,
        None
    );
}

#[test]
fn whole_response_and_inner_object_give_the_same_spec() {
    let response: Value =
        serde_json::from_str(&read("gpu-inference.describe-task-definition.json")).expect("JSON");
    let inner = response["taskDefinition"].to_string();
    let from_inner =
        import::import_task_definition(&inner, &Options::default()).expect("inner form");
    assert_eq!(
        as_json(&from_inner.objects),
        as_json(&[task_definition(
            "gpu-inference.describe-task-definition.json"
        )])
    );
}

#[test]
fn yaml_output_reads_back_into_the_same_objects() {
    for file in task_definition_files() {
        let td = task_definition(&file);
        let yaml = import::to_yaml(std::slice::from_ref(&td)).expect("YAML");
        let back: Vec<TaskDefinition> = serde_saphyr::from_multiple(&yaml).expect("YAML parses");
        assert_eq!(as_json(&back), as_json(&[td]), "{file}");
    }
    let all = services(&read("describe-services.json"), &Options::default());
    let yaml = import::to_yaml(&all).expect("YAML");
    assert_eq!(yaml.matches("\n---\n").count(), 1, "two documents:\n{yaml}");
    let back: Vec<EcsService> = serde_saphyr::from_multiple(&yaml).expect("YAML parses");
    assert_eq!(as_json(&back), as_json(&all));
}

#[test]
fn notes_list_what_was_dropped_or_renamed() {
    let imported = import::import_task_definition(
        &read("windows-iis.describe-task-definition.json"),
        &Options::default(),
    )
    .expect("import");
    let notes: Vec<String> = imported.notes.iter().map(ToString::to_string).collect();
    assert!(notes[0].contains("`deregisteredAt`"), "{notes:?}");
    assert!(
        notes[0].contains("task-definition/Intranet_IIS:3"),
        "{notes:?}"
    );
    assert!(
        notes[1].contains("metadata.name `intranet-iis`"),
        "{notes:?}"
    );
}

#[test]
fn names_follow_dns_1123() {
    assert_eq!(
        import::kubernetes_name("My_Service").as_deref(),
        Some("my-service")
    );
    assert_eq!(import::kubernetes_name("-_x_-").as_deref(), Some("x"));
    assert_eq!(
        import::kubernetes_name(&"A".repeat(255)).map(|n| n.len()),
        Some(253)
    );
    let err =
        td_error(r#"{"family": "___", "containerDefinitions": [{"name": "a", "image": "b"}]}"#);
    assert!(matches!(err, ImportError::UnusableName { .. }), "{err:?}");
    let err = td_error(r#"{"containerDefinitions": [{"name": "a", "image": "b"}]}"#);
    assert_eq!(
        err.to_string(),
        "the task definition has no `family`, so it has no name to derive metadata.name from"
    );
}

#[test]
fn namespace_option_sets_metadata_namespace() {
    let options = Options {
        namespace: Some("shop".into()),
        ..Options::default()
    };
    let td = import::import_task_definition(&read("orders-api.task-definition.json"), &options)
        .expect("import");
    assert_eq!(td.objects[0].metadata.namespace.as_deref(), Some("shop"));
    assert!(
        services(&read("describe-services.json"), &options)
            .iter()
            .all(|s| s.metadata.namespace.as_deref() == Some("shop"))
    );
    assert!(import::validate_namespace("Shop").is_err());
}

#[test]
fn null_members_count_as_absent() {
    let json = td_with_container(json!({"cpu": null, "linuxParameters": {"devices": null}}));
    let td = import::import_task_definition(&json, &Options::default()).expect("import");
    assert_eq!(td.objects[0].spec.container_definitions[0].cpu, None);
}

// ---------------------------------------------------------------- task definition errors

#[test]
fn unknown_fields_are_errors_naming_every_path() {
    let mut response: Value =
        serde_json::from_str(&read("web-app.describe-task-definition.json")).expect("JSON");
    response["taskDefinition"]["containerDefinitions"][0]["foo"] = json!(1);
    response["taskDefinition"]["containerDefinitions"][1]["healthCheck"]["intervalSeconds"] =
        json!(5);
    response["taskDefinition"]["runtimePlatform"]["osVersion"] = json!("x");
    let ImportError::UnknownFields { fields, shape, .. } = td_error(&response.to_string()) else {
        panic!("expected UnknownFields");
    };
    assert_eq!(shape, "RegisterTaskDefinitionRequest");
    let shown: Vec<String> = fields.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "unknown field `spec.containerDefinitions[0].foo` (input: `taskDefinition.containerDefinitions[0].foo`)",
            "unknown field `spec.containerDefinitions[1].healthCheck.intervalSeconds` (input: `taskDefinition.containerDefinitions[1].healthCheck.intervalSeconds`)",
            "unknown field `spec.runtimePlatform.osVersion` (input: `taskDefinition.runtimePlatform.osVersion`)",
        ]
    );
    assert!(fields.iter().all(|f| f.kind == LossKind::Unknown));
}

#[test]
fn unknown_members_of_the_response_wrapper_are_errors() {
    let err = td_error(
        r#"{"taskDefinition": {"family": "a", "containerDefinitions": []}, "nextToken": "x"}"#,
    );
    assert!(
        err.to_string()
            .starts_with("unknown field `nextToken` of the response"),
        "{err}"
    );
}

#[test]
fn wrong_types_name_the_path() {
    let err = td_error(&td_with_container(
        json!({"portMappings": [{"containerPort": "80"}]}),
    ));
    assert_eq!(
        err.to_string(),
        "invalid value at `spec.containerDefinitions[0].portMappings[0].containerPort` \
         (input: `containerDefinitions[0].portMappings[0].containerPort`) in task definition `app`: \
         invalid type: string \"80\", expected i32"
    );
    let err = td_error(&td_with_container(
        json!({"logConfiguration": {"logDriver": "loki"}}),
    ));
    assert!(
        err.to_string()
            .contains("`spec.containerDefinitions[0].logConfiguration.logDriver`"),
        "{err}"
    );
    assert!(err.to_string().contains("unknown variant `loki`"), "{err}");
    let err = td_error(r#"{"family": "a"}"#);
    assert!(
        err.to_string()
            .contains("missing field `containerDefinitions`"),
        "{err}"
    );
}

#[test]
fn shapes_that_are_not_a_task_definition_say_what_was_expected() {
    for (input, found) in [
        (r#"{"foo": 1}"#, "found an object with keys `foo`"),
        ("[]", "found a JSON array"),
        (r#""web""#, "found a string"),
        (
            r#"{"taskDefinition": [1]}"#,
            "found an object whose `taskDefinition` is a JSON array",
        ),
    ] {
        let err = td_error(input);
        let text = err.to_string();
        assert!(matches!(err, ImportError::Shape { .. }), "{input}: {err:?}");
        assert!(
            text.contains("expected the output of `aws ecs describe-task-definition`"),
            "{text}"
        );
        assert!(text.contains(found), "{input}: {text}");
    }
    let text = td_error(&read("describe-services.json")).to_string();
    assert!(text.contains("use `ecs-operator import service`"), "{text}");
}

#[test]
fn conflicting_tags_are_an_error() {
    let input = json!({
        "taskDefinition": {"family": "a", "containerDefinitions": [{"name": "a", "image": "b"}], "tags": [{"key": "a"}]},
        "tags": [{"key": "b"}]
    });
    assert!(matches!(
        td_error(&input.to_string()),
        ImportError::ConflictingTags
    ));
}

// ---------------------------------------------------------------- services

#[test]
fn describe_services_gives_one_service_per_entry() {
    let imported = import::import_services(&read("describe-services.json"), &Options::default())
        .expect("import");
    let [web, orders] = imported.objects.as_slice() else {
        panic!("two services expected");
    };
    assert_eq!(web.metadata.name.as_deref(), Some("web"));
    assert_eq!(orders.metadata.name.as_deref(), Some("orders-api"));
    assert_eq!(orders.spec.service_name.as_deref(), Some("Orders_API"));
    for service in [web, orders] {
        assert_eq!(
            service.spec.cluster.as_deref(),
            Some("storefront"),
            "clusterArn → cluster"
        );
        let manifest = serde_json::to_value(service).expect("JSON");
        assert!(manifest.get("status").is_none());
        for field in SERVICE_READ_ONLY_FIELDS
            .iter()
            .chain(&["clusterArn", "roleArn"])
        {
            assert!(manifest["spec"].get(*field).is_none(), "{field} dropped");
        }
    }
    assert_eq!(web.spec.task_definition.as_deref(), Some("web-app:14"));
    assert_eq!(
        orders.spec.task_definition.as_deref(),
        Some("orders_api:31")
    );
    assert_eq!(web.spec.role, None, "the service-linked role is left out");
    assert_eq!(
        orders.spec.role.as_deref(),
        Some("arn:aws:iam::123456789012:role/ecsServiceRole")
    );
    // Reported on the PRIMARY deployment only, and CreateService takes them.
    let connect = web
        .spec
        .service_connect_configuration
        .as_ref()
        .expect("serviceConnectConfiguration");
    assert!(connect.enabled);
    assert_eq!(
        web.spec.volume_configurations.as_ref().map(Vec::len),
        Some(1)
    );
    assert!(orders.spec.service_connect_configuration.is_none());

    let notes: Vec<String> = imported.notes.iter().map(ToString::to_string).collect();
    assert!(
        notes.iter().any(|n| n.contains("checkout-legacy: MISSING")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("from the PRIMARY deployment")),
        "{notes:?}"
    );
}

#[test]
fn task_definition_reference_modes() {
    let json = read("describe-services.json");
    let refs = |mode| -> Vec<String> {
        let options = Options {
            task_definition_ref: mode,
            ..Options::default()
        };
        services(&json, &options)
            .into_iter()
            .map(|s| s.spec.task_definition.unwrap_or_default())
            .collect()
    };
    assert_eq!(
        refs(TaskDefinitionRef::Revision),
        ["web-app:14", "orders_api:31"]
    );
    assert_eq!(refs(TaskDefinitionRef::Family), ["web-app", "orders_api"]);
    assert_eq!(
        refs(TaskDefinitionRef::Arn),
        [
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/web-app:14",
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/orders_api:31"
        ]
    );
}

#[test]
fn a_single_service_object_and_a_create_service_response_work_too() {
    let response: Value = serde_json::from_str(&read("describe-services.json")).expect("JSON");
    let second = &response["services"][1];
    let from_inner = services(&second.to_string(), &Options::default());
    let from_create = services(&json!({"service": second}).to_string(), &Options::default());
    let all = services(&response.to_string(), &Options::default());
    assert_eq!(as_json(&from_inner), as_json(&all[1..]));
    assert_eq!(as_json(&from_create), as_json(&all[1..]));
}

#[test]
fn service_name_falls_back_to_the_arn() {
    let input = json!({"serviceArn": "arn:aws:ecs:eu-west-1:1:service/prod/Billing_Worker", "desiredCount": 1});
    let service = services(&input.to_string(), &Options::default()).remove(0);
    assert_eq!(service.metadata.name.as_deref(), Some("billing-worker"));
    assert_eq!(service.spec.service_name.as_deref(), Some("Billing_Worker"));
}

#[test]
fn request_field_names_win_over_response_names() {
    let input = json!({
        "serviceName": "api",
        "cluster": "prod",
        "clusterArn": "arn:aws:ecs:eu-west-1:1:cluster/staging",
        "roleArn": "arn:aws:iam::1:role/ecsServiceRole"
    });
    let imported =
        import::import_services(&input.to_string(), &Options::default()).expect("import");
    let spec = &imported.objects[0].spec;
    assert_eq!(spec.cluster.as_deref(), Some("prod"));
    assert_eq!(
        spec.role.as_deref(),
        Some("arn:aws:iam::1:role/ecsServiceRole")
    );
    let notes: Vec<String> = imported.notes.iter().map(ToString::to_string).collect();
    assert_eq!(
        notes,
        ["service `api`: kept `cluster` and left out `clusterArn`"]
    );
}

// ---------------------------------------------------------------- service errors

#[test]
fn service_errors() {
    let mut response: Value = serde_json::from_str(&read("describe-services.json")).expect("JSON");
    response["services"][1]["deploymentConfiguration"]["maximumPercent"] = json!("150%");
    response["services"][1]["launchTypo"] = json!("EC2");
    let text = service_error(&response.to_string()).to_string();
    assert!(
        text.contains("`spec.deploymentConfiguration.maximumPercent` (input: `services[1].deploymentConfiguration.maximumPercent`) in service `Orders_API`"),
        "{text}"
    );

    response["services"][1]["deploymentConfiguration"]["maximumPercent"] = json!(150);
    let text = service_error(&response.to_string()).to_string();
    assert!(
        text.starts_with("unknown field `spec.launchTypo` (input: `services[1].launchTypo`)"),
        "{text}"
    );
    assert!(text.contains("CreateServiceRequest"), "{text}");

    response["services"][1]["clusterArn"] = json!(7);
    response["services"][1]
        .as_object_mut()
        .expect("object")
        .remove("launchTypo");
    let text = service_error(&response.to_string()).to_string();
    assert!(
        text.contains("`spec.cluster` (input: `services[1].clusterArn`)"),
        "{text}"
    );

    let err = service_error(
        r#"{"services": [], "failures": [{"arn": "arn:aws:ecs:r:1:service/c/x", "reason": "MISSING"}]}"#,
    );
    assert_eq!(
        err.to_string(),
        "the describe-services response holds no services; failures: arn:aws:ecs:r:1:service/c/x: MISSING"
    );

    let err =
        service_error(r#"{"services": [{"serviceName": "My_Api"}, {"serviceName": "my-api"}]}"#);
    assert!(
        matches!(err, ImportError::DuplicateName { ref name, .. } if name == "my-api"),
        "{err:?}"
    );

    let text = service_error(r#"[{"serviceName": "a"}]"#).to_string();
    assert!(text.contains("found a JSON array"), "{text}");
    let text = service_error(&read("web-app.describe-task-definition.json")).to_string();
    assert!(
        text.contains("use `ecs-operator import task-definition`"),
        "{text}"
    );
}

// ---------------------------------------------------------------- the binary

#[test]
fn cli_prints_yaml_from_a_file_and_from_stdin() {
    let file = testdata("web-app.describe-task-definition.json");
    let out = run_cli(
        &["import", "task-definition", file.to_str().expect("path")],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let yaml = String::from_utf8(out.stdout.clone()).expect("UTF-8");
    assert!(
        yaml.starts_with("apiVersion: ecs.operator.dev/v1alpha1\nkind: TaskDefinition\n"),
        "{yaml}"
    );
    assert!(
        stderr(&out).contains("note: task definition `web-app`: imported from"),
        "{}",
        stderr(&out)
    );

    let json = read("describe-services.json");
    let out = run_cli(
        &[
            "import",
            "service",
            "-",
            "--namespace",
            "shop",
            "--task-definition-ref",
            "family",
        ],
        Some(json.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(&String::from_utf8(out.stdout).expect("UTF-8")).expect("YAML");
    assert_eq!(docs.len(), 2);
    assert!(docs.iter().all(|d| d["metadata"]["namespace"] == "shop"));
    assert_eq!(docs[0]["spec"]["taskDefinition"], "web-app");

    // No FILE argument means standard input.
    let out = run_cli(
        &["import", "task-definition"],
        Some(read("orders-api.task-definition.json").as_bytes()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn cli_invalid_json_exits_2_with_line_and_column() {
    let input = b"{\n  \"family\": \"web\"\n  \"cpu\": \"256\"\n}";
    assert_input_error(
        &["import", "task-definition", "-"],
        input,
        "invalid JSON at line 3, column 3: expected `,` or `}`",
    );
    assert_input_error(
        &["import", "service"],
        b"{\"services\": [",
        "invalid JSON at line 1, column 14: EOF while parsing",
    );
    assert_input_error(
        &["import", "service"],
        b"",
        "the input is empty: expected the output of `aws ecs describe-services`",
    );
    assert_input_error(
        &["import", "task-definition"],
        b"{\"family\": \"\xff\"}",
        "<stdin> is not UTF-8 text (invalid byte at offset 12)",
    );
}

#[test]
fn cli_unknown_shape_exits_2_saying_what_was_expected() {
    assert_input_error(
        &["import", "task-definition"],
        br#"{"foo": 1}"#,
        "expected the output of `aws ecs describe-task-definition` (an object with `taskDefinition`) or a task definition object",
    );
    assert_input_error(&["import", "service"], b"[1, 2]", "found a JSON array");
}

#[test]
fn cli_unknown_field_and_wrong_type_exit_2() {
    let input = td_with_container(json!({"foo": "bar"}));
    assert_input_error(
        &["import", "task-definition"],
        input.as_bytes(),
        "unknown field `spec.containerDefinitions[0].foo`",
    );
    let input = td_with_container(json!({"memory": "512MiB"}));
    assert_input_error(
        &["import", "task-definition"],
        input.as_bytes(),
        "`spec.containerDefinitions[0].memory`",
    );
}

#[test]
fn cli_bad_arguments_exit_2() {
    let missing = testdata("no-such-file.json");
    assert_input_error(
        &["import", "service", missing.to_str().expect("path")],
        b"",
        "cannot read",
    );
    assert_input_error(
        &["import", "service", "--namespace", "Bad_NS"],
        b"",
        "not a valid namespace name",
    );
}
