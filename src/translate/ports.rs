//! `portMappings` → container ports per network mode (ecs-semantics.md §5.3), and the host
//! ports the task needs from placement.
//!
//! - `awsvpc`: the Pod IP is the task's ENI address; only `containerPort` is declared.
//! - `bridge`: `hostPort` binds a node port (CNI portmap). A static `hostPort` is declared as
//!   is; `hostPort: 0` or omitted is **dynamic**: the PodSpec leaves it unset and placement
//!   picks a free port from the ephemeral range, which [`bind_host_ports`] writes in.
//! - `host`: `hostNetwork: true`; `hostPort` = `containerPort`.
//! - `none`: no ports (validation refuses port mappings).
//!
//! `containerPortRange` cannot be declared on Kubernetes: in awsvpc mode every port of the Pod
//! IP is reachable anyway (approximated); in bridge mode no host ports are bound for the range
//! (unsupported). Port names become IANA service names (`HTTP_Port` → `http-port`, at most 15
//! characters); the ECS name and `appProtocol` are kept in [`PortInfo`] for the Services the
//! operator builds.

use k8s_openapi::api::core::v1::{ContainerPort, PodSpec};

use crate::api::shapes::{
    ApplicationProtocol, ContainerDefinition, NetworkMode, TransportProtocol,
};
use crate::placement::{HostPort, Protocol};

use super::names;
use super::paths::Paths;
use super::report::Report;

/// How a port mapping binds a host port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostBinding {
    /// No host port (awsvpc; the Pod IP serves the port).
    None,
    /// A fixed host port (bridge `hostPort`, or host mode).
    Static(u16),
    /// bridge `hostPort: 0`/omitted: placement assigns one from the ephemeral range.
    Dynamic,
}

/// One translated port mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortInfo {
    /// The Pod container name.
    pub container: String,
    /// Index into that container's `ports`.
    pub port_index: usize,
    pub container_port: u16,
    pub protocol: Protocol,
    pub host: HostBinding,
    /// The ECS port-mapping name.
    pub name: Option<String>,
    /// The name on the Pod's container port (IANA service name), when one could be made.
    pub pod_port_name: Option<String>,
    pub app_protocol: Option<ApplicationProtocol>,
}

/// One host port the task needs from placement: `port == 0` asks for a dynamic port. The
/// order is the order of [`Translation::host_port_requests`](super::Translation::host_port_requests),
/// which is the order [`bind_host_ports`] expects the assigned ports in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HostPortRequest {
    pub port: u16,
    pub protocol: Protocol,
}

pub(crate) fn protocol(p: Option<TransportProtocol>) -> Protocol {
    match p {
        Some(TransportProtocol::Udp) => Protocol::Udp,
        _ => Protocol::Tcp,
    }
}

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
    }
}

fn port(value: Option<i32>) -> Option<u16> {
    value.and_then(|v| u16::try_from(v).ok()).filter(|&v| v > 0)
}

/// The ports of container `i` (Pod container name `pod_name`). `port_names` keeps Pod-wide
/// port names unique.
pub(crate) fn container_ports(
    c: &ContainerDefinition,
    i: usize,
    pod_name: &str,
    mode: NetworkMode,
    port_names: &mut std::collections::BTreeSet<String>,
    paths: &Paths,
    report: &mut Report,
) -> (Vec<ContainerPort>, Vec<PortInfo>) {
    let mut ports = Vec::new();
    let mut infos = Vec::new();
    if mode == NetworkMode::None {
        return (ports, infos);
    }
    for (k, pm) in c.port_mappings.iter().flatten().enumerate() {
        let field = paths.item(i, "portMappings", k);
        if pm.container_port_range.is_some() {
            match mode {
                NetworkMode::Awsvpc => report.approximated(
                    format!("{field}.containerPortRange"),
                    "the ports of the range are reachable on the task's Pod IP but not declared on the Pod",
                ),
                _ => report.unsupported(
                    format!("{field}.containerPortRange"),
                    "port ranges are not published on the host; they are reachable on the Pod IP only",
                ),
            }
            continue;
        }
        let Some(container_port) = port(pm.container_port) else {
            continue;
        };
        let proto = protocol(pm.protocol);
        let host = match mode {
            NetworkMode::Awsvpc | NetworkMode::None => HostBinding::None,
            NetworkMode::Host => HostBinding::Static(port(pm.host_port).unwrap_or(container_port)),
            NetworkMode::Bridge => match port(pm.host_port) {
                Some(h) => HostBinding::Static(h),
                None => HostBinding::Dynamic,
            },
        };
        let pod_port_name = pm.name.as_deref().and_then(|ecs_name| {
            let name = names::port_name(ecs_name);
            match name {
                Some(n) if port_names.insert(n.clone()) => Some(n),
                _ => {
                    report.approximated(
                        format!("{field}.name"),
                        format!(
                            "no unique Kubernetes port name can be made from {ecs_name:?}; the port is unnamed on the Pod"
                        ),
                    );
                    None
                }
            }
        });
        if pm.app_protocol.is_some() {
            report.approximated(
                format!("{field}.appProtocol"),
                "container ports have no application protocol on Kubernetes; it is applied to the Services \
                 the operator creates",
            );
        }
        ports.push(ContainerPort {
            container_port: i32::from(container_port),
            host_port: match host {
                HostBinding::Static(h) => Some(i32::from(h)),
                _ => None,
            },
            name: pod_port_name.clone(),
            protocol: Some(protocol_name(proto).to_owned()),
            host_ip: None,
        });
        infos.push(PortInfo {
            container: pod_name.to_owned(),
            port_index: ports.len() - 1,
            container_port,
            protocol: proto,
            host,
            name: pm.name.clone(),
            pod_port_name,
            app_protocol: pm.app_protocol,
        });
    }
    (ports, infos)
}

/// The host ports for placement, in [`PortInfo`] order: static ports as is, dynamic ones as 0.
pub(crate) fn host_port_requests(ports: &[PortInfo]) -> Vec<HostPortRequest> {
    ports
        .iter()
        .filter_map(|p| match p.host {
            HostBinding::None => None,
            HostBinding::Static(port) => Some(HostPortRequest {
                port,
                protocol: p.protocol,
            }),
            HostBinding::Dynamic => Some(HostPortRequest {
                port: 0,
                protocol: p.protocol,
            }),
        })
        .collect()
}

/// Why host ports could not be bound.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    #[error("placement assigned {assigned} host ports, the task needs {needed}")]
    CountMismatch { needed: usize, assigned: usize },
    #[error("host port {index} was requested as {requested:?} but assigned {assigned:?}")]
    Mismatch {
        index: usize,
        requested: HostPortRequest,
        assigned: HostPort,
    },
    #[error("the Pod has no port {port_index} on container {container:?}")]
    MissingPort {
        container: String,
        port_index: usize,
    },
}

/// Writes the host ports placement assigned (one per [`host_port_requests`] entry, in order,
/// as `Placement::host_ports`) into `pod`. Static ports must come back unchanged; dynamic
/// ones must be non-zero and of the requested protocol.
pub fn bind_host_ports(
    pod: &mut PodSpec,
    ports: &[PortInfo],
    assigned: &[HostPort],
) -> Result<(), BindError> {
    let bound: Vec<&PortInfo> = ports
        .iter()
        .filter(|p| p.host != HostBinding::None)
        .collect();
    if bound.len() != assigned.len() {
        return Err(BindError::CountMismatch {
            needed: bound.len(),
            assigned: assigned.len(),
        });
    }
    // Check everything before writing anything, so a failed bind leaves the PodSpec as it was.
    for (index, (info, got)) in bound.iter().zip(assigned).enumerate() {
        let requested = HostPortRequest {
            port: match info.host {
                HostBinding::Static(p) => p,
                _ => 0,
            },
            protocol: info.protocol,
        };
        let ok = got.protocol == info.protocol
            && got.port != 0
            && (requested.port == 0 || requested.port == got.port);
        if !ok {
            return Err(BindError::Mismatch {
                index,
                requested,
                assigned: *got,
            });
        }
        if find_port(pod, &info.container, info.port_index).is_none() {
            return Err(BindError::MissingPort {
                container: info.container.clone(),
                port_index: info.port_index,
            });
        }
    }
    for (info, got) in bound.iter().zip(assigned) {
        if let Some(port) = find_port(pod, &info.container, info.port_index) {
            port.host_port = Some(i32::from(got.port));
        }
    }
    Ok(())
}

fn find_port<'a>(
    pod: &'a mut PodSpec,
    container: &str,
    index: usize,
) -> Option<&'a mut ContainerPort> {
    pod.init_containers
        .iter_mut()
        .flatten()
        .chain(pod.containers.iter_mut())
        .find(|c| c.name == container)?
        .ports
        .as_mut()?
        .get_mut(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::shapes::PortMapping;
    use k8s_openapi::api::core::v1::Container;
    use std::collections::BTreeSet;

    fn pm(container: i32, host: Option<i32>, name: Option<&str>) -> PortMapping {
        PortMapping {
            container_port: Some(container),
            host_port: host,
            name: name.map(str::to_owned),
            ..Default::default()
        }
    }

    fn def(ports: Vec<PortMapping>) -> ContainerDefinition {
        ContainerDefinition {
            name: "web".into(),
            image: "nginx".into(),
            port_mappings: Some(ports),
            ..Default::default()
        }
    }

    fn translate(
        mode: NetworkMode,
        ports: Vec<PortMapping>,
    ) -> (Vec<ContainerPort>, Vec<PortInfo>, Report) {
        let mut report = Report::default();
        let (p, i) = container_ports(
            &def(ports),
            0,
            "web",
            mode,
            &mut BTreeSet::new(),
            &Paths::default(),
            &mut report,
        );
        (p, i, report)
    }

    #[test]
    fn awsvpc_declares_container_ports_only() {
        let (ports, infos, _) =
            translate(NetworkMode::Awsvpc, vec![pm(80, Some(80), Some("HTTP"))]);
        assert_eq!(ports[0].container_port, 80);
        assert_eq!(ports[0].host_port, None);
        assert_eq!(ports[0].name.as_deref(), Some("http"));
        assert_eq!(ports[0].protocol.as_deref(), Some("TCP"));
        assert_eq!(infos[0].host, HostBinding::None);
        assert!(host_port_requests(&infos).is_empty());
    }

    #[test]
    fn bridge_static_and_dynamic() {
        let mut udp = pm(53, Some(5353), None);
        udp.protocol = Some(TransportProtocol::Udp);
        let (ports, infos, _) = translate(
            NetworkMode::Bridge,
            vec![pm(80, Some(0), None), pm(81, None, None), udp],
        );
        assert_eq!(
            ports.iter().map(|p| p.host_port).collect::<Vec<_>>(),
            [None, None, Some(5353)]
        );
        assert_eq!(
            host_port_requests(&infos),
            [
                HostPortRequest {
                    port: 0,
                    protocol: Protocol::Tcp
                },
                HostPortRequest {
                    port: 0,
                    protocol: Protocol::Tcp
                },
                HostPortRequest {
                    port: 5353,
                    protocol: Protocol::Udp
                },
            ]
        );
    }

    #[test]
    fn host_mode_binds_the_container_port() {
        let (ports, infos, _) = translate(NetworkMode::Host, vec![pm(8080, None, None)]);
        assert_eq!(ports[0].host_port, Some(8080));
        assert_eq!(infos[0].host, HostBinding::Static(8080));
    }

    #[test]
    fn none_mode_has_no_ports() {
        let (ports, infos, _) = translate(NetworkMode::None, vec![pm(80, None, None)]);
        assert!(ports.is_empty() && infos.is_empty());
    }

    #[test]
    fn ranges_and_app_protocols_are_reported() {
        let range = PortMapping {
            container_port_range: Some("8000-8010".into()),
            ..Default::default()
        };
        let mut grpc = pm(9000, None, None);
        grpc.app_protocol = Some(ApplicationProtocol::Grpc);
        let (_, infos, report) = translate(NetworkMode::Bridge, vec![range.clone(), grpc]);
        assert_eq!(infos.len(), 1);
        assert_eq!(
            report.unsupported[0].field,
            "spec.containerDefinitions[0].portMappings[0].containerPortRange"
        );
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[0].portMappings[1].appProtocol"
        );
        let (_, _, report) = translate(NetworkMode::Awsvpc, vec![range]);
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[0].portMappings[0].containerPortRange"
        );
    }

    #[test]
    fn port_names_stay_unique() {
        let (ports, _, report) = translate(
            NetworkMode::Awsvpc,
            vec![
                pm(80, None, Some("web")),
                pm(81, None, Some("WEB")),
                pm(82, None, Some("1234")),
            ],
        );
        assert_eq!(
            ports.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
            [Some("web".into()), None, None]
        );
        assert_eq!(report.approximated.len(), 2);
    }

    fn pod_with(ports: Vec<ContainerPort>) -> PodSpec {
        PodSpec {
            containers: vec![Container {
                name: "web".into(),
                ports: Some(ports),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn binding_fills_dynamic_ports() {
        let (ports, infos, _) = translate(
            NetworkMode::Bridge,
            vec![pm(80, None, None), pm(81, Some(8081), None)],
        );
        let mut pod = pod_with(ports);
        bind_host_ports(
            &mut pod,
            &infos,
            &[HostPort::tcp(49153), HostPort::tcp(8081)],
        )
        .unwrap();
        let bound: Vec<Option<i32>> = pod.containers[0]
            .ports
            .as_ref()
            .unwrap()
            .iter()
            .map(|p| p.host_port)
            .collect();
        assert_eq!(bound, [Some(49153), Some(8081)]);
    }

    #[test]
    fn binding_refuses_wrong_answers_without_touching_the_pod() {
        let (ports, infos, _) = translate(
            NetworkMode::Bridge,
            vec![pm(80, None, None), pm(81, Some(8081), None)],
        );
        let mut pod = pod_with(ports);
        let before = pod.clone();
        assert!(matches!(
            bind_host_ports(&mut pod, &infos, &[HostPort::tcp(49153)]),
            Err(BindError::CountMismatch {
                needed: 2,
                assigned: 1
            })
        ));
        assert!(matches!(
            bind_host_ports(
                &mut pod,
                &infos,
                &[HostPort::tcp(49153), HostPort::tcp(9999)]
            ),
            Err(BindError::Mismatch { index: 1, .. })
        ));
        assert!(matches!(
            bind_host_ports(
                &mut pod,
                &infos,
                &[HostPort::udp(49153), HostPort::tcp(8081)]
            ),
            Err(BindError::Mismatch { index: 0, .. })
        ));
        assert!(matches!(
            bind_host_ports(&mut pod, &infos, &[HostPort::tcp(0), HostPort::tcp(8081)]),
            Err(BindError::Mismatch { index: 0, .. })
        ));
        assert_eq!(pod, before);
        let mut empty = PodSpec::default();
        assert!(matches!(
            bind_host_ports(
                &mut empty,
                &infos,
                &[HostPort::tcp(49153), HostPort::tcp(8081)]
            ),
            Err(BindError::MissingPort { .. })
        ));
    }
}
