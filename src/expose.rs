//! ECS `loadBalancers` and `serviceRegistries` → Kubernetes Services, pure (design.md,
//! "load balancer / service registry"; mapping table in docs/load-balancers.md).
//!
//! - Each load balancer target (`containerName` + `containerPort`) becomes a ClusterIP
//!   Service `<service>-<container>-<port>` with that port. Its selector picks the
//!   service's tasks, of every deployment still running (PRIMARY and ACTIVE, as an ECS
//!   target group holds both during a rollout); Kubernetes puts only Ready Pods in its
//!   endpoints — RUNNING tasks whose essential health checks pass (the checks are readiness
//!   probes) — which is what ECS registers as healthy targets. Stopping tasks leave the
//!   endpoints as they begin to stop, as ECS deregisters them.
//! - Each service registry (Cloud Map) becomes a headless Service (DNS records for each
//!   healthy task, as Cloud Map's A / SRV records), named after the container and port when
//!   given, else `<service>-registry-<n>`.
//! - The ECS identifiers (target group ARN, load balancer name, registry ARN) are kept as
//!   annotations; they configure nothing in Kubernetes.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::shapes::{LoadBalancer, ServiceRegistry};
use crate::labels::{MANAGED_BY, MANAGED_BY_LABEL, SERVICE_LABEL, dns_label};
use crate::placement::Protocol;
use crate::translate::Translation;

pub const TARGET_GROUP_ANNOTATION: &str = "ecs.operator.dev/target-group-arn";
pub const LOAD_BALANCER_NAME_ANNOTATION: &str = "ecs.operator.dev/load-balancer-name";
pub const REGISTRY_ANNOTATION: &str = "ecs.operator.dev/registry-arn";

/// What the Services are for.
pub struct ExposeInput<'a> {
    pub namespace: &'a str,
    /// The EcsService's metadata.name (the Services' name prefix).
    pub service: &'a str,
    /// The value of the tasks' service label.
    pub selector_value: &'a str,
    pub load_balancers: &'a [LoadBalancer],
    pub registries: &'a [ServiceRegistry],
    /// The PRIMARY deployment's translation (container and port names).
    pub translation: &'a Translation,
    pub owner: OwnerReference,
}

/// A target that names a container or port the task definition does not have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ExposeError {
    pub field: String,
    pub message: String,
}

/// The Services the ECS service should have, by name.
pub fn desired_services(input: &ExposeInput<'_>) -> Result<BTreeMap<String, Service>, ExposeError> {
    let mut out = BTreeMap::new();
    for (i, lb) in input.load_balancers.iter().enumerate() {
        let field = format!("loadBalancers[{i}]");
        let (container, port) = match (&lb.container_name, lb.container_port) {
            (Some(c), Some(p)) => (c.as_str(), p),
            _ => {
                return Err(ExposeError {
                    field,
                    message:
                        "containerName and containerPort are required for a load balancer target"
                            .into(),
                });
            }
        };
        let service_port = target_port(input.translation, container, port, &field)?;
        let mut annotations = BTreeMap::new();
        if let Some(arn) = &lb.target_group_arn {
            annotations.insert(TARGET_GROUP_ANNOTATION.to_string(), arn.clone());
        }
        if let Some(name) = &lb.load_balancer_name {
            annotations.insert(LOAD_BALANCER_NAME_ANNOTATION.to_string(), name.clone());
        }
        let name = dns_label(&format!("{}-{container}-{port}", input.service), 63);
        let svc = service(input, &name, annotations, vec![service_port], false);
        out.insert(name, svc);
    }
    for (i, reg) in input.registries.iter().enumerate() {
        let field = format!("serviceRegistries[{i}]");
        let mut annotations = BTreeMap::new();
        if let Some(arn) = &reg.registry_arn {
            annotations.insert(REGISTRY_ANNOTATION.to_string(), arn.clone());
        }
        let (name, ports) = match (&reg.container_name, reg.container_port) {
            (Some(c), Some(p)) => (
                dns_label(&format!("{}-{c}-{p}", input.service), 63),
                vec![target_port(input.translation, c, p, &field)?],
            ),
            (None, None) => {
                // An A-record registry (awsvpc), or an SRV one with only `port`.
                let ports = reg
                    .port
                    .map(|p| {
                        vec![ServicePort {
                            name: Some(format!("srv-{p}")),
                            port: p,
                            target_port: Some(IntOrString::Int(p)),
                            protocol: Some("TCP".into()),
                            ..Default::default()
                        }]
                    })
                    .unwrap_or_default();
                (
                    dns_label(&format!("{}-registry-{i}", input.service), 63),
                    ports,
                )
            }
            _ => {
                return Err(ExposeError {
                    field,
                    message: "containerName and containerPort go together".into(),
                });
            }
        };
        // A registry of the same container and port as a load balancer target gets its own
        // (headless) Service: a name clash is resolved by suffixing.
        let name = if out.contains_key(&name) {
            dns_label(&format!("{name}-discovery"), 63)
        } else {
            name
        };
        let svc = service(input, &name, annotations, ports, true);
        out.insert(name, svc);
    }
    Ok(out)
}

/// The Service port for `container:port`, which must be one of the container's port
/// mappings (ECS rejects a target on an unmapped port the same way).
fn target_port(
    translation: &Translation,
    container: &str,
    port: i32,
    field: &str,
) -> Result<ServicePort, ExposeError> {
    let info = translation
        .container(container)
        .ok_or_else(|| ExposeError {
            field: format!("{field}.containerName"),
            message: format!("the task definition has no container named {container}"),
        })?;
    let mapping = translation
        .ports
        .iter()
        .find(|p| p.container == info.name && i32::from(p.container_port) == port)
        .ok_or_else(|| ExposeError {
            field: format!("{field}.containerPort"),
            message: format!("container {container} has no port mapping for containerPort {port}"),
        })?;
    Ok(ServicePort {
        name: Some(dns_label(&format!("{container}-{port}"), 15)),
        port,
        target_port: Some(IntOrString::Int(port)),
        protocol: Some(
            match mapping.protocol {
                Protocol::Udp => "UDP",
                Protocol::Tcp => "TCP",
            }
            .into(),
        ),
        ..Default::default()
    })
}

fn service(
    input: &ExposeInput<'_>,
    name: &str,
    annotations: BTreeMap<String, String>,
    ports: Vec<ServicePort>,
    headless: bool,
) -> Service {
    Service {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(input.namespace.to_string()),
            labels: Some(BTreeMap::from([
                (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
                (SERVICE_LABEL.to_string(), input.selector_value.to_string()),
            ])),
            annotations: Some(annotations),
            owner_references: Some(vec![input.owner.clone()]),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            selector: Some(BTreeMap::from([(
                SERVICE_LABEL.to_string(),
                input.selector_value.to_string(),
            )])),
            ports: Some(ports),
            cluster_ip: headless.then(|| "None".to_string()),
            // Cloud Map answers for healthy instances only; so does a headless Service
            // without this (the default false).
            publish_not_ready_addresses: None,
            ..Default::default()
        }),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TaskDefinitionSpec;
    use crate::translate::{TranslateOptions, translate};

    fn translation() -> Translation {
        let spec: TaskDefinitionSpec = serde_json::from_value(serde_json::json!({
            "family": "web",
            "containerDefinitions": [{
                "name": "web_app", "image": "nginx", "memory": 128,
                "portMappings": [{"containerPort": 8080}, {"containerPort": 53, "protocol": "udp"}]
            }]
        }))
        .unwrap();
        translate(&spec, None, &TranslateOptions::default()).unwrap()
    }

    fn input<'a>(
        t: &'a Translation,
        lbs: &'a [LoadBalancer],
        regs: &'a [ServiceRegistry],
    ) -> ExposeInput<'a> {
        ExposeInput {
            namespace: "ns",
            service: "web",
            selector_value: "web",
            load_balancers: lbs,
            registries: regs,
            translation: t,
            owner: OwnerReference::default(),
        }
    }

    #[test]
    fn a_target_group_becomes_a_cluster_ip_service_on_the_container_port() {
        let t = translation();
        let lbs = [LoadBalancer {
            target_group_arn: Some("arn:aws:elasticloadbalancing:x:1:targetgroup/web/1".into()),
            container_name: Some("web_app".into()),
            container_port: Some(8080),
            ..Default::default()
        }];
        let out = desired_services(&input(&t, &lbs, &[])).unwrap();
        assert_eq!(out.len(), 1);
        let (name, svc) = out.iter().next().unwrap();
        assert!(name.starts_with("web-web-app-8080-"), "{name}");
        let spec = svc.spec.as_ref().unwrap();
        assert_eq!(spec.selector.as_ref().unwrap()[SERVICE_LABEL], "web");
        assert_eq!(spec.ports.as_ref().unwrap()[0].port, 8080);
        assert_eq!(spec.cluster_ip, None);
        assert!(
            svc.metadata
                .annotations
                .as_ref()
                .unwrap()
                .contains_key(TARGET_GROUP_ANNOTATION)
        );
    }

    #[test]
    fn a_registry_becomes_a_headless_service() {
        let t = translation();
        let regs = [ServiceRegistry {
            registry_arn: Some("arn:aws:servicediscovery:x:1:service/srv-1".into()),
            container_name: Some("web_app".into()),
            container_port: Some(53),
            ..Default::default()
        }];
        let out = desired_services(&input(&t, &[], &regs)).unwrap();
        let svc = out.values().next().unwrap();
        let spec = svc.spec.as_ref().unwrap();
        assert_eq!(spec.cluster_ip.as_deref(), Some("None"));
        assert_eq!(
            spec.ports.as_ref().unwrap()[0].protocol.as_deref(),
            Some("UDP")
        );
    }

    #[test]
    fn a_target_on_an_unmapped_port_is_an_error_naming_the_field() {
        let t = translation();
        let lbs = [LoadBalancer {
            container_name: Some("web_app".into()),
            container_port: Some(9999),
            ..Default::default()
        }];
        let err = desired_services(&input(&t, &lbs, &[])).unwrap_err();
        assert_eq!(err.field, "loadBalancers[0].containerPort");
        let lbs = [LoadBalancer {
            container_name: Some("nope".into()),
            container_port: Some(80),
            ..Default::default()
        }];
        let err = desired_services(&input(&t, &lbs, &[])).unwrap_err();
        assert_eq!(err.field, "loadBalancers[0].containerName");
    }
}
