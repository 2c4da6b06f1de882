//! End-to-end mapping tests: ECS JSON in (as users write it), PodSpec and reports out.

use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde_json::{Value, json};

use super::*;
use crate::api::shapes::TaskOverride;

fn spec(value: Value) -> TaskDefinitionSpec {
    serde_json::from_value(value).expect("a TaskDefinitionSpec")
}

fn overrides(value: Value) -> TaskOverride {
    serde_json::from_value(value).expect("a TaskOverride")
}

/// The translation itself, host access allowed (the policy that refuses it by default is
/// tested in validate/policy.rs).
fn host_allowed() -> TranslateOptions {
    TranslateOptions {
        allow_host_namespaces: true,
        allow_host_path: true,
        ..Default::default()
    }
}

fn ok(s: &TaskDefinitionSpec) -> Translation {
    translate(s, None, &host_allowed()).unwrap_or_else(|e| panic!("{e}: {:#?}", e.issues()))
}

fn all_containers(pod: &PodSpec) -> impl Iterator<Item = &Container> {
    pod.init_containers.iter().flatten().chain(&pod.containers)
}

fn container<'a>(pod: &'a PodSpec, name: &str) -> &'a Container {
    all_containers(pod)
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

fn request(c: &Container, resource: &str) -> Option<String> {
    c.resources
        .as_ref()?
        .requests
        .as_ref()?
        .get(resource)
        .map(|q| q.0.clone())
}

fn limit(c: &Container, resource: &str) -> Option<String> {
    c.resources
        .as_ref()?
        .limits
        .as_ref()?
        .get(resource)
        .map(|q| q.0.clone())
}

fn fields(list: &[UnsupportedField]) -> Vec<&str> {
    list.iter().map(|f| f.field.as_str()).collect()
}

/// examples/10-web.yaml, as JSON.
fn web() -> TaskDefinitionSpec {
    spec(json!({
        "family": "web",
        "networkMode": "bridge",
        "requiresCompatibilities": ["EC2"],
        "containerDefinitions": [{
            "name": "web",
            "image": "public.ecr.aws/nginx/nginx:1.27",
            "essential": true,
            "cpu": 256,
            "memory": 512,
            "memoryReservation": 256,
            "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp", "name": "http", "appProtocol": "http"}],
            "environment": [{"name": "NGINX_PORT", "value": "80"}],
            "healthCheck": {
                "command": ["CMD-SHELL", "curl -fs http://localhost/ || exit 1"],
                "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 10
            },
            "logConfiguration": {"logDriver": "json-file", "options": {"max-size": "10m"}}
        }]
    }))
}

#[test]
fn the_web_example() {
    let mut t = ok(&web());
    let pod = &t.pod_spec;
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    assert_eq!(pod.node_name, None);
    assert!(pod.init_containers.is_none());
    let c = container(pod, "web");
    assert_eq!(c.image.as_deref(), Some("public.ecr.aws/nginx/nginx:1.27"));
    assert_eq!(request(c, "cpu").as_deref(), Some("250m"));
    assert_eq!(request(c, "memory").as_deref(), Some("256Mi"));
    assert_eq!(limit(c, "memory").as_deref(), Some("512Mi"));
    assert_eq!(limit(c, "cpu"), None);
    let port = &c.ports.as_ref().unwrap()[0];
    assert_eq!(
        (port.container_port, port.host_port, port.name.as_deref()),
        (80, None, Some("http"))
    );
    let probe = c.readiness_probe.as_ref().unwrap();
    assert_eq!(
        probe.exec.as_ref().unwrap().command.as_deref().unwrap(),
        ["/bin/sh", "-c", "curl -fs http://localhost/ || exit 1"]
    );
    assert_eq!(
        (
            probe.period_seconds,
            probe.timeout_seconds,
            probe.failure_threshold
        ),
        (Some(30), Some(5), Some(3))
    );
    assert!(
        c.liveness_probe.is_none(),
        "ECS health checks never restart containers"
    );
    assert_eq!(c.env.as_ref().unwrap()[0].name, "NGINX_PORT");
    assert_eq!(t.reservation, Resources::new(256, 256));
    assert_eq!(t.annotations[RESERVED_CPU], "256");
    assert_eq!(t.annotations[RESERVED_MEMORY], "256");
    assert_eq!(t.annotations[CONTAINER_NAMES], r#"{"web":"web"}"#);
    assert!(t.annotations.contains_key(LOG_CONFIGURATION));
    assert!(t.unsupported.is_empty(), "{:#?}", t.unsupported);
    assert_eq!(
        fields(&t.approximated),
        [
            "spec.containerDefinitions[0].portMappings[0].appProtocol",
            "spec.containerDefinitions[0].logConfiguration"
        ]
    );
    assert_eq!(t.essential_container_names(), ["web"]);
    assert_eq!(t.health_checked_container_names(), ["web"]);
    let info = t.container("web").unwrap();
    assert_eq!(info.health_check.unwrap().start_period, 10);
    assert_eq!(info.role, ContainerRole::Main);

    // Dynamic host port: requested as 0, then bound.
    assert!(t.has_dynamic_host_ports());
    assert_eq!(
        t.host_port_requests(),
        [HostPortRequest {
            port: 0,
            protocol: crate::placement::Protocol::Tcp
        }]
    );
    assert!(t.static_host_ports().is_empty());
    t.bind_host_ports(&[HostPort::tcp(49160)]).unwrap();
    assert_eq!(
        container(&t.pod_spec, "web").ports.as_ref().unwrap()[0].host_port,
        Some(49160)
    );
}

#[test]
fn depends_on_orders_init_containers_and_sidecars() {
    let t = ok(&spec(json!({
        "family": "app",
        "containerDefinitions": [
            {"name": "app", "image": "app", "memory": 256, "dependsOn": [
                {"containerName": "envoy", "condition": "HEALTHY"},
                {"containerName": "migrate", "condition": "SUCCESS"}
            ]},
            {"name": "envoy", "image": "envoy", "memory": 128, "dependsOn": [
                {"containerName": "config", "condition": "COMPLETE"}
            ], "healthCheck": {"command": ["CMD", "curl", "-f", "localhost:9901/ready"], "startPeriod": 20, "interval": 10}},
            {"name": "migrate", "image": "migrate", "memory": 64, "essential": false},
            {"name": "config", "image": "config", "memory": 32, "essential": false},
            {"name": "sidecar-log", "image": "log", "memory": 32, "essential": false}
        ]
    })));
    let pod = &t.pod_spec;
    let init: Vec<&str> = pod
        .init_containers
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(init, ["migrate", "config", "envoy"]);
    let main: Vec<&str> = pod.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(main, ["app", "sidecar-log"]);
    let envoy = container(pod, "envoy");
    assert_eq!(envoy.restart_policy.as_deref(), Some("Always"));
    let startup = envoy.startup_probe.as_ref().unwrap();
    assert_eq!(
        (startup.period_seconds, startup.failure_threshold),
        (Some(10), Some(5))
    );
    assert!(envoy.readiness_probe.is_some());
    assert_eq!(container(pod, "migrate").restart_policy, None);
    assert!(container(pod, "app").startup_probe.is_none());
    assert_eq!(t.container("envoy").unwrap().role, ContainerRole::Sidecar);
    assert_eq!(t.container("config").unwrap().role, ContainerRole::Init);
    assert_eq!(
        fields(&t.approximated),
        ["spec.containerDefinitions[1].dependsOn[0].condition"],
        "COMPLETE is approximated"
    );
}

#[test]
fn network_modes() {
    let base = |mode: &str| {
        spec(json!({
            "family": "n", "networkMode": mode,
            "containerDefinitions": [{"name": "a", "image": "a", "memory": 64,
                "portMappings": [{"containerPort": 8080}, {"containerPort": 53, "protocol": "udp"}]}]
        }))
    };
    let host = ok(&base("host"));
    assert_eq!(host.pod_spec.host_network, Some(true));
    let ports: Vec<(i32, Option<i32>, Option<&str>)> = host.pod_spec.containers[0]
        .ports
        .iter()
        .flatten()
        .map(|p| (p.container_port, p.host_port, p.protocol.as_deref()))
        .collect();
    assert_eq!(
        ports,
        [(8080, Some(8080), Some("TCP")), (53, Some(53), Some("UDP"))]
    );
    assert_eq!(
        host.static_host_ports(),
        [HostPort::tcp(8080), HostPort::udp(53)]
    );

    let awsvpc = ok(&base("awsvpc"));
    assert_eq!(awsvpc.pod_spec.host_network, None);
    assert!(awsvpc.host_port_requests().is_empty());
    assert!(
        awsvpc.pod_spec.containers[0]
            .ports
            .iter()
            .flatten()
            .all(|p| p.host_port.is_none())
    );

    let mut none = base("none");
    none.container_definitions[0].port_mappings = None;
    let none = ok(&none);
    assert_eq!(fields(&none.approximated), ["spec.networkMode"]);
}

#[test]
fn privileged_is_refused_unless_allowed() {
    let s = spec(json!({
        "family": "p",
        "containerDefinitions": [{"name": "a", "image": "a", "memory": 64, "privileged": true}]
    }));
    let err = translate(&s, None, &TranslateOptions::default()).unwrap_err();
    assert_eq!(err.reason(), "InvalidTaskDefinition");
    assert_eq!(err.issues()[0].rule, Rule::PrivilegedNotAllowed);
    assert_eq!(
        err.issues()[0].field,
        "spec.containerDefinitions[0].privileged"
    );
    assert!(err.to_string().contains("privileged"), "{err}");
    let allowed = TranslateOptions {
        allow_privileged: true,
        ..Default::default()
    };
    let t = translate(&s, None, &allowed).unwrap();
    assert_eq!(
        t.pod_spec.containers[0]
            .security_context
            .as_ref()
            .unwrap()
            .privileged,
        Some(true)
    );
}

#[test]
fn task_level_cpu_and_memory_are_requested_in_full() {
    let t = ok(&spec(json!({
        "family": "t", "cpu": "1 vCPU", "memory": "2 GB",
        "containerDefinitions": [
            {"name": "sidecar", "image": "s", "essential": false, "cpu": 128, "memoryReservation": 128},
            {"name": "app", "image": "a", "cpu": 256, "memory": 512},
            {"name": "worker", "image": "w", "essential": true}
        ]
    })));
    let pod = &t.pod_spec;
    let app = container(pod, "app");
    // app has its own 512 MiB hard limit; the rest goes to the next essential container.
    assert_eq!(request(app, "cpu").as_deref(), Some("875m"));
    assert_eq!(request(app, "memory").as_deref(), Some("512Mi"));
    assert_eq!(limit(app, "memory").as_deref(), Some("512Mi"));
    assert_eq!(limit(app, "cpu").as_deref(), Some("1000m"));
    let worker = container(pod, "worker");
    assert_eq!(request(worker, "memory").as_deref(), Some("1408Mi"));
    assert_eq!(limit(worker, "memory").as_deref(), Some("2048Mi"));
    assert_eq!(request(worker, "cpu").as_deref(), Some("0"));
    let requests = pod_requests(pod);
    assert_eq!(requests.cpu_millicores, 1000);
    assert_eq!(requests.memory_bytes, 2048 << 20);
    assert_eq!(t.reservation, Resources::new(1024, 2048));
    assert_eq!(fields(&t.approximated), ["spec.cpu", "spec.memory"]);
}

#[test]
fn gpus_and_ephemeral_storage() {
    let t = ok(&spec(json!({
        "family": "g", "ephemeralStorage": {"sizeInGiB": 40},
        "containerDefinitions": [{"name": "a", "image": "a", "memory": 64,
            "resourceRequirements": [{"type": "GPU", "value": "2"}]}]
    })));
    let c = &t.pod_spec.containers[0];
    assert_eq!(limit(c, "nvidia.com/gpu").as_deref(), Some("2"));
    assert_eq!(request(c, "ephemeral-storage").as_deref(), Some("40Gi"));
    assert_eq!(fields(&t.approximated), ["spec.ephemeralStorage"]);
}

#[test]
fn command_entry_point_env_and_names() {
    let t = ok(&spec(json!({
        "family": "c",
        "taskRoleArn": "arn:aws:iam::123456789012:role/Web_Role",
        "containerDefinitions": [{
            "name": "Web_App", "image": "a", "memory": 64,
            "entryPoint": ["sh", "-c"], "command": ["echo $(HOME) $HOME"],
            "workingDirectory": "/srv", "user": "1000:1000", "readonlyRootFilesystem": true,
            "interactive": true, "pseudoTerminal": true,
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:prod/db-AbCdEf:password::"}]
        }]
    })));
    let pod = &t.pod_spec;
    let c = container(pod, "web-app");
    assert_eq!(c.command.as_deref().unwrap(), ["sh", "-c"]);
    assert_eq!(c.args.as_deref().unwrap(), ["echo $$(HOME) $$HOME"]);
    assert_eq!(c.working_dir.as_deref(), Some("/srv"));
    assert_eq!((c.stdin, c.tty), (Some(true), Some(true)));
    let sc = c.security_context.as_ref().unwrap();
    assert_eq!(
        (
            sc.run_as_user,
            sc.run_as_group,
            sc.read_only_root_filesystem
        ),
        (Some(1000), Some(1000), Some(true))
    );
    let secret = c.env.as_ref().unwrap()[0]
        .value_from
        .as_ref()
        .unwrap()
        .secret_key_ref
        .as_ref()
        .unwrap();
    assert_eq!(
        (secret.name.as_str(), secret.key.as_str()),
        ("db-abcdef", "password")
    );
    assert_eq!(pod.service_account_name.as_deref(), Some("web-role"));
    assert_eq!(t.annotations[CONTAINER_NAMES], r#"{"web-app":"Web_App"}"#);
    assert_eq!(t.containers[0].ecs_name, "Web_App");
    assert_eq!(t.containers[0].name, "web-app");
}

#[test]
fn volumes_and_mounts() {
    let t = ok(&spec(json!({
        "family": "v",
        "volumes": [
            {"name": "data", "host": {"sourcePath": "/srv/data"}},
            {"name": "scratch"},
            {"name": "shared", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": true, "driver": "local"}}
        ],
        "containerDefinitions": [
            {"name": "app", "image": "a", "memory": 64,
             "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": true}],
             "volumesFrom": [{"sourceContainer": "helper"}],
             "linuxParameters": {"sharedMemorySize": 128, "tmpfs": [{"containerPath": "/run", "size": 64}]}},
            {"name": "helper", "image": "h", "memory": 64,
             "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/scratch"}, {"sourceVolume": "shared", "containerPath": "/shared"}]}
        ]
    })));
    let pod = &t.pod_spec;
    let volumes: Vec<&str> = pod
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(
        volumes,
        ["data", "scratch", "shared", "shm-app", "tmpfs-app-0"]
    );
    let mounts: Vec<(&str, &str, Option<bool>)> = container(pod, "app")
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| (m.name.as_str(), m.mount_path.as_str(), m.read_only))
        .collect();
    assert_eq!(
        mounts,
        [
            ("data", "/data", Some(true)),
            ("scratch", "/scratch", None),
            ("shared", "/shared", None),
            ("shm-app", "/dev/shm", None),
            ("tmpfs-app-0", "/run", None)
        ]
    );
    assert_eq!(
        fields(&t.approximated),
        ["spec.volumes[2].dockerVolumeConfiguration.scope"]
    );
}

#[test]
fn overrides_apply_without_changing_the_definition() {
    let definition = web();
    let o = overrides(json!({
        "cpu": "512", "memory": "1024",
        "taskRoleArn": "serviceaccount:batch",
        "containerOverrides": [{
            "name": "web", "command": ["nginx", "-g", "daemon off;"],
            "environment": [{"name": "NGINX_PORT", "value": "8080"}, {"name": "EXTRA", "value": "1"}],
            "cpu": 384, "memoryReservation": 300
        }]
    }));
    let t = translate(&definition, Some(&o), &TranslateOptions::default()).unwrap();
    let c = container(&t.pod_spec, "web");
    assert_eq!(c.args.as_deref().unwrap(), ["nginx", "-g", "daemon off;"]);
    let env: Vec<(&str, Option<&str>)> = c
        .env
        .iter()
        .flatten()
        .map(|e| (e.name.as_str(), e.value.as_deref()))
        .collect();
    assert_eq!(env, [("NGINX_PORT", Some("8080")), ("EXTRA", Some("1"))]);
    assert_eq!(
        request(c, "memory").as_deref(),
        Some("512Mi"),
        "topped up to the 512 MiB hard limit"
    );
    assert_eq!(request(c, "cpu").as_deref(), Some("500m"));
    assert_eq!(t.pod_spec.service_account_name.as_deref(), Some("batch"));
    assert_eq!(t.reservation, Resources::new(512, 1024));
    assert!(fields(&t.approximated).contains(&"spec.overrides.memory"));
    assert_eq!(definition, web());
}

#[test]
fn invalid_overrides_name_the_override() {
    let o = overrides(json!({"containerOverrides": [{"name": "web", "memoryReservation": 1024}]}));
    let err = translate(&web(), Some(&o), &TranslateOptions::default()).unwrap_err();
    assert_eq!(err.reason(), "InvalidOverrides");
    assert_eq!(err.issues()[0].rule, Rule::MemoryReservation);
    assert_eq!(
        err.issues()[0].field,
        "spec.overrides.containerOverrides[0].memoryReservation"
    );
    let o = overrides(json!({"containerOverrides": [{"name": "db"}]}));
    let err = translate(&web(), Some(&o), &TranslateOptions::default()).unwrap_err();
    assert_eq!(err.issues()[0].rule, Rule::Override);
    let o = overrides(json!({"cpu": "lots"}));
    let err = translate(&web(), Some(&o), &TranslateOptions::default()).unwrap_err();
    assert_eq!(
        (err.issues()[0].rule, err.issues()[0].field.as_str()),
        (Rule::TaskCpu, "spec.overrides.cpu")
    );
}

#[test]
fn an_invalid_definition_never_becomes_a_pod_spec() {
    let s = spec(json!({
        "family": "bad",
        "containerDefinitions": [
            {"name": "a", "image": "a", "memory": 64, "dependsOn": [{"containerName": "b", "condition": "SUCCESS"}]},
            {"name": "b", "image": "b", "memory": 64}
        ]
    }));
    let err = translate(&s, None, &TranslateOptions::default()).unwrap_err();
    assert_eq!(
        err,
        TranslateError::InvalidTaskDefinition(validate(&s, &TranslateOptions::default()))
    );
    assert_eq!(err.issues()[0].rule, Rule::DependsOnEssentialContainer);
}

/// Every field that cannot be honoured is reported when set.
#[test]
fn everything_set_is_reported() {
    let s = spec(json!({
        "family": "sink",
        "executionRoleArn": "arn:aws:iam::1:role/exec",
        "ipcMode": "none",
        "proxyConfiguration": {"type": "APPMESH", "containerName": "a", "properties": [{"name": "AppPorts", "value": "80"}]},
        "inferenceAccelerators": [{"deviceName": "d1", "deviceType": "eia2.medium"}],
        "enableFaultInjection": true,
        "trustedExecutionConfiguration": {"isolationMode": "ISOLATED_SANDBOX", "attestationPolicy": "p"},
        "volumes": [
            {"name": "efs", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "transitEncryption": "ENABLED"}},
            {"name": "fsx", "fsxWindowsFileServerVolumeConfiguration": {"fileSystemId": "fs-2", "rootDirectory": "share", "authorizationConfig": {"credentialsParameter": "arn:x", "domain": "d"}}},
            {"name": "s3", "s3filesVolumeConfiguration": {"fileSystemArn": "arn:aws:s3files:us-east-1:1:file-system/fs-3"}},
            {"name": "ebs", "configuredAtLaunch": true},
            {"name": "dv", "dockerVolumeConfiguration": {"scope": "task", "driver": "rexray", "driverOpts": {"a": "b"}, "labels": {"l": "v"}}}
        ],
        "containerDefinitions": [{
            "name": "a", "image": "a", "memory": 64,
            "user": "nginx",
            "disableNetworking": true,
            "links": [],
            "linuxParameters": {"devices": [{"hostPath": "/dev/fuse"}], "maxSwap": 0, "swappiness": 10, "initProcessEnabled": true,
                                "tmpfs": [{"containerPath": "/t", "size": 8, "mountOptions": ["noexec"]}]},
            "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
            "firelensConfiguration": {"type": "fluentbit"},
            "credentialSpecs": ["arn:aws:s3:::b/cred.json"],
            "startTimeout": 60,
            "versionConsistency": "enabled",
            "restartPolicy": {"enabled": true},
            "dockerSecurityOptions": ["credentialspec:file://x.json"],
            "dockerLabels": {"bad key": "v"},
            "logConfiguration": {"logDriver": "awslogs", "secretOptions": [{"name": "t", "valueFrom": "a:b"}]},
            "environmentFiles": [{"value": "arn:aws:s3:::bucket/app.env", "type": "s3"}],
            "resourceRequirements": [{"type": "InferenceAccelerator", "value": "d1"}],
            "portMappings": [{"containerPortRange": "8000-8010"}]
        }]
    }));
    let o = overrides(
        json!({"inferenceAcceleratorOverrides": [{"deviceName": "d1", "deviceType": "eia2.medium"}]}),
    );
    let t = translate(&s, Some(&o), &TranslateOptions::default()).unwrap();
    let unsupported = fields(&t.unsupported);
    for field in [
        "spec.overrides.inferenceAcceleratorOverrides",
        "spec.proxyConfiguration",
        "spec.inferenceAccelerators",
        "spec.enableFaultInjection",
        "spec.trustedExecutionConfiguration.isolationMode",
        "spec.trustedExecutionConfiguration.attestationPolicy",
        "spec.containerDefinitions[0].user",
        "spec.containerDefinitions[0].disableNetworking",
        "spec.containerDefinitions[0].linuxParameters.devices",
        "spec.containerDefinitions[0].linuxParameters.maxSwap",
        "spec.containerDefinitions[0].linuxParameters.swappiness",
        "spec.containerDefinitions[0].ulimits",
        "spec.containerDefinitions[0].firelensConfiguration",
        "spec.containerDefinitions[0].credentialSpecs",
        "spec.containerDefinitions[0].restartPolicy",
        "spec.containerDefinitions[0].dockerSecurityOptions[0]",
        "spec.containerDefinitions[0].dockerLabels.bad key",
        "spec.containerDefinitions[0].logConfiguration.secretOptions",
        "spec.containerDefinitions[0].environmentFiles[0].value",
        "spec.containerDefinitions[0].resourceRequirements[0]",
        "spec.containerDefinitions[0].portMappings[0].containerPortRange",
        "spec.volumes[4].dockerVolumeConfiguration.labels",
    ] {
        assert!(
            unsupported.contains(&field),
            "{field} not reported unsupported: {unsupported:#?}"
        );
    }
    let approximated = fields(&t.approximated);
    for field in [
        "spec.executionRoleArn",
        "spec.ipcMode",
        "spec.volumes[0].efsVolumeConfiguration",
        "spec.volumes[1].fsxWindowsFileServerVolumeConfiguration",
        "spec.volumes[2].s3filesVolumeConfiguration",
        "spec.volumes[3].configuredAtLaunch",
        "spec.volumes[4].dockerVolumeConfiguration.driver",
        "spec.volumes[4].dockerVolumeConfiguration.driverOpts",
        "spec.containerDefinitions[0].linuxParameters.initProcessEnabled",
        "spec.containerDefinitions[0].linuxParameters.tmpfs[0].mountOptions",
        "spec.containerDefinitions[0].startTimeout",
        "spec.containerDefinitions[0].versionConsistency",
        "spec.containerDefinitions[0].logConfiguration",
    ] {
        assert!(
            approximated.contains(&field),
            "{field} not reported approximated: {approximated:#?}"
        );
    }
    assert_eq!(t.launch_volumes["ebs"], "ebs");
    let reported = t.reported_fields();
    assert_eq!(reported.len(), t.unsupported.len() + t.approximated.len());
    assert!(
        reported
            .last()
            .unwrap()
            .reason
            .starts_with("approximated: ")
    );
}

#[test]
fn runtime_platform_and_required_attributes() {
    let t = ok(&spec(json!({
        "family": "r",
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"},
        "containerDefinitions": [{"name": "a", "image": "a", "memory": 64}]
    })));
    let selector = t.pod_spec.node_selector.as_ref().unwrap();
    assert_eq!(selector["kubernetes.io/os"], "linux");
    assert_eq!(selector["kubernetes.io/arch"], "arm64");
    assert_eq!(t.required_attributes["ecs.cpu-architecture"], "arm64");
    assert_eq!(t.required_attributes["ecs.os-type"], "linux");
    assert_eq!(t.required_attributes["ecs.os-family"], "LINUX");
}

#[test]
fn quantities_are_canonical() {
    assert_eq!(resources::millicores(0), Quantity("0".into()));
    assert_eq!(resources::mebibytes(512), Quantity("512Mi".into()));
}

/// Every TaskDefinition in examples/ (what `make dev` applies) translates.
#[test]
fn the_examples_translate() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut seen = 0;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("examples/")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        let text = std::fs::read_to_string(&path).expect("read example");
        let docs: Vec<Value> = serde_saphyr::from_multiple(&text).expect("example YAML");
        for doc in docs.into_iter().filter(|d| d["kind"] == "TaskDefinition") {
            let s = spec(doc["spec"].clone());
            // As `make dev` runs them: the log agent example needs host access.
            let t = translate(&s, None, &host_allowed())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                t.unsupported.is_empty(),
                "{}: {:#?}",
                path.display(),
                t.unsupported
            );
            seen += 1;
        }
    }
    assert!(seen >= 3, "only {seen} example task definitions");
}
