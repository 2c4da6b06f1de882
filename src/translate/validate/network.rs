//! Network-mode rules (ecs-semantics.md §5.3): port mappings per mode, port conflicts inside
//! the task, links/hostname/extraHosts, DNS settings and the sysctls a mode allows.
//!
//! One Kubernetes-specific rule: all containers of a Pod share one network namespace (like
//! awsvpc), so two containers of a bridge-mode task cannot both listen on the same
//! containerPort the way they can on a Docker bridge. That is refused here rather than left
//! to fail at runtime with "address already in use".

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::{IpcMode, NetworkMode};
use crate::placement::Protocol;

use super::super::names;
use super::super::paths::Paths;
use super::super::ports;
use super::super::spec::{container_index, is_fargate, network_mode, network_mode_name, non_empty};
use super::{Issues, Rule};

pub(super) fn check(spec: &TaskDefinitionSpec, paths: &Paths, v: &mut Issues) {
    let mode = network_mode(spec);
    if is_fargate(spec) && mode != NetworkMode::Awsvpc {
        v.push(
            paths.task("networkMode"),
            Rule::FargateNetworkMode,
            "Fargate only supports network mode 'awsvpc'",
        );
    }
    per_container(spec, paths, mode, v);
    ports(spec, paths, mode, v);
    sysctls(spec, paths, mode, v);
}

/// `8000-8010` → (8000, 8010); ECS requires start < end within 1..=65535.
pub(crate) fn parse_port_range(range: &str) -> Option<(u16, u16)> {
    let (start, end) = range.trim().split_once('-')?;
    let start: u16 = start.trim().parse().ok()?;
    let end: u16 = end.trim().parse().ok()?;
    (start >= 1 && start < end).then_some((start, end))
}

/// A DNS name Kubernetes accepts for hostAliases and search domains, once lowercased and
/// without a trailing dot.
pub(crate) fn dns_name(name: &str) -> Option<String> {
    let lowered = name.trim().trim_end_matches('.').to_ascii_lowercase();
    names::is_dns1123_subdomain(&lowered).then_some(lowered)
}

fn per_container(spec: &TaskDefinitionSpec, paths: &Paths, mode: NetworkMode, v: &mut Issues) {
    for (i, c) in spec.container_definitions.iter().enumerate() {
        if mode == NetworkMode::Awsvpc {
            let set = [
                ("links", non_empty(&c.links).is_some()),
                ("hostname", c.hostname.is_some()),
                ("extraHosts", non_empty(&c.extra_hosts).is_some()),
            ];
            for (field, is_set) in set {
                if is_set {
                    v.push(
                        paths.container(i, field),
                        Rule::NetworkModeAwsvpc,
                        format!("{field} is not supported in network mode awsvpc"),
                    );
                }
            }
        }
        if let Some(links) = non_empty(&c.links) {
            if !matches!(mode, NetworkMode::Bridge | NetworkMode::Awsvpc) {
                v.push(
                    paths.container(i, "links"),
                    Rule::LinksRequireBridge,
                    format!(
                        "links are only supported in network mode bridge, not {}",
                        network_mode_name(mode)
                    ),
                );
            }
            for (k, link) in links.iter().enumerate() {
                let target = link.split(':').next().unwrap_or_default();
                match container_index(spec, target) {
                    Some(t) if t == i => v.push(
                        paths.item(i, "links", k),
                        Rule::Link,
                        format!("container {:?} cannot link to itself", c.name),
                    ),
                    Some(_) => {}
                    None => v.push(
                        paths.item(i, "links", k),
                        Rule::Link,
                        format!("link {link:?} does not name a container in the task definition"),
                    ),
                }
            }
        }
        if let Some(hostname) = &c.hostname
            && names::sanitize(hostname.split('.').next().unwrap_or_default(), 63).is_none()
        {
            v.push(
                paths.container(i, "hostname"),
                Rule::Hostname,
                format!("hostname {hostname:?} needs at least one letter or digit"),
            );
        }
        for (k, entry) in c.extra_hosts.iter().flatten().enumerate() {
            let base = paths.item(i, "extraHosts", k);
            if entry.ip_address.trim().parse::<IpAddr>().is_err() {
                v.push(
                    format!("{base}.ipAddress"),
                    Rule::ExtraHost,
                    format!("{:?} is not an IP address", entry.ip_address),
                );
            }
            if dns_name(&entry.hostname).is_none() {
                v.push(
                    format!("{base}.hostname"),
                    Rule::ExtraHost,
                    format!("{:?} is not a valid host name", entry.hostname),
                );
            }
        }
        for (k, server) in c.dns_servers.iter().flatten().enumerate() {
            if server.trim().parse::<IpAddr>().is_err() {
                v.push(
                    paths.item(i, "dnsServers", k),
                    Rule::Dns,
                    format!("DNS server {server:?} is not an IP address"),
                );
            }
        }
        for (k, domain) in c.dns_search_domains.iter().flatten().enumerate() {
            if dns_name(domain).is_none() {
                v.push(
                    paths.item(i, "dnsSearchDomains", k),
                    Rule::Dns,
                    format!("DNS search domain {domain:?} is not a valid domain name"),
                );
            }
        }
    }
}

fn proto_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
    }
}

fn ports(spec: &TaskDefinitionSpec, paths: &Paths, mode: NetworkMode, v: &mut Issues) {
    // (port, protocol) → the container that first used it.
    let mut host_ports: BTreeMap<(i32, Protocol), String> = BTreeMap::new();
    let mut container_ports: BTreeMap<(i32, Protocol), String> = BTreeMap::new();
    let mut port_names: BTreeMap<String, String> = BTreeMap::new();
    for (i, c) in spec.container_definitions.iter().enumerate() {
        let Some(mappings) = non_empty(&c.port_mappings) else {
            continue;
        };
        if mode == NetworkMode::None {
            v.push(
                paths.container(i, "portMappings"),
                Rule::NetworkModeNone,
                "port mappings are not supported in network mode none",
            );
            continue;
        }
        for (k, pm) in mappings.iter().enumerate() {
            let base = paths.item(i, "portMappings", k);
            let protocol = ports::protocol(pm.protocol);
            if let Some(name) = &pm.name
                && let Some(first) = port_names.insert(name.clone(), c.name.clone())
            {
                v.push(
                    format!("{base}.name"),
                    Rule::PortMapping,
                    format!("port mapping name {name:?} is already used by container {first:?}"),
                );
            }
            if let Some(range) = &pm.container_port_range {
                port_range(&base, range, pm.container_port, pm.host_port, mode, v);
                continue;
            }
            let Some(port) = pm.container_port.filter(|p| (1..=65535).contains(p)) else {
                v.push(
                    format!("{base}.containerPort"),
                    Rule::PortMapping,
                    "a port mapping needs a containerPort between 1 and 65535 (or a containerPortRange)",
                );
                continue;
            };
            let host = pm.host_port.filter(|&h| h != 0);
            if matches!(mode, NetworkMode::Host | NetworkMode::Awsvpc)
                && let Some(h) = host
                && h != port
            {
                v.push(
                    format!("{base}.hostPort"),
                    Rule::HostPortMismatch,
                    format!(
                        "in network mode {} the hostPort must be omitted or equal the containerPort ({port}); got {h}",
                        network_mode_name(mode)
                    ),
                );
            }
            if let Some(first) = container_ports.insert((port, protocol), c.name.clone()) {
                let why = if mode == NetworkMode::Bridge {
                    "; on Kubernetes all containers of a task share one network namespace, as in awsvpc mode"
                } else {
                    ""
                };
                v.push(
                    format!("{base}.containerPort"),
                    Rule::PortConflict,
                    format!(
                        "container port {port}/{} is already used by container {first:?}{why}",
                        proto_name(protocol)
                    ),
                );
            }
            // In host mode the host port is the container port, checked above.
            if mode == NetworkMode::Bridge
                && let Some(h) = host
                && let Some(first) = host_ports.insert((h, protocol), c.name.clone())
            {
                v.push(
                    format!("{base}.hostPort"),
                    Rule::PortConflict,
                    format!(
                        "host port {h}/{} is already used by container {first:?}",
                        proto_name(protocol)
                    ),
                );
            }
        }
    }
}

fn port_range(
    base: &str,
    range: &str,
    container_port: Option<i32>,
    host_port: Option<i32>,
    mode: NetworkMode,
    v: &mut Issues,
) {
    if parse_port_range(range).is_none() {
        v.push(
            format!("{base}.containerPortRange"),
            Rule::PortMapping,
            format!("containerPortRange {range:?} must look like \"8000-8010\" with 1 <= start < end <= 65535"),
        );
    }
    if container_port.is_some() {
        v.push(
            format!("{base}.containerPort"),
            Rule::PortMapping,
            "containerPort and containerPortRange cannot both be set",
        );
    }
    if host_port.is_some_and(|h| h != 0) {
        v.push(
            format!("{base}.hostPort"),
            Rule::PortMapping,
            "hostPort cannot be set together with containerPortRange",
        );
    }
    if mode == NetworkMode::Host {
        v.push(
            format!("{base}.containerPortRange"),
            Rule::PortMapping,
            "containerPortRange is only supported in network modes bridge and awsvpc",
        );
    }
}

/// Sysctls in the IPC namespace (Kubernetes and ECS refuse them with a host IPC namespace).
pub(crate) fn is_ipc_sysctl(name: &str) -> bool {
    name.starts_with("kernel.shm")
        || name.starts_with("kernel.msg")
        || name == "kernel.sem"
        || name.starts_with("fs.mqueue.")
}

fn sysctls(spec: &TaskDefinitionSpec, paths: &Paths, mode: NetworkMode, v: &mut Issues) {
    for (i, c) in spec.container_definitions.iter().enumerate() {
        for (k, sc) in c.system_controls.iter().flatten().enumerate() {
            let Some(name) = sc.namespace.as_deref() else {
                continue;
            };
            let field = format!("{}.namespace", paths.item(i, "systemControls", k));
            if mode == NetworkMode::Host && name.starts_with("net.") {
                v.push(
                    &field,
                    Rule::SystemControl,
                    format!(
                        "network system control {name:?} is not supported in network mode host"
                    ),
                );
            }
            if spec.ipc_mode == Some(IpcMode::Host) && is_ipc_sysctl(name) {
                v.push(
                    &field,
                    Rule::SystemControl,
                    format!("IPC system control {name:?} is not supported with ipcMode host"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::api::shapes::{HostEntry, PortMapping, SystemControl, TransportProtocol};

    fn pm(container: i32, host: Option<i32>) -> PortMapping {
        PortMapping {
            container_port: Some(container),
            host_port: host,
            ..Default::default()
        }
    }

    fn with_ports(mode: NetworkMode, ports: Vec<Vec<PortMapping>>) -> TaskDefinitionSpec {
        let containers = ports
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let mut c = container(&format!("c{i}"));
                c.port_mappings = Some(p);
                c
            })
            .collect();
        let mut s = spec(containers);
        s.network_mode = Some(mode);
        s
    }

    #[test]
    fn bridge_ports() {
        assert_valid(&with_ports(
            NetworkMode::Bridge,
            vec![vec![pm(80, Some(0)), pm(81, None), pm(82, Some(8082))]],
        ));
        assert_only(
            &with_ports(
                NetworkMode::Bridge,
                vec![vec![pm(80, Some(8080))], vec![pm(81, Some(8080))]],
            ),
            Rule::PortConflict,
            "spec.containerDefinitions[1].portMappings[0].hostPort",
        );
        assert_only(
            &with_ports(
                NetworkMode::Bridge,
                vec![vec![pm(80, Some(8080)), pm(81, Some(8080))]],
            ),
            Rule::PortConflict,
            "spec.containerDefinitions[0].portMappings[1].hostPort",
        );
        assert_only(
            &with_ports(
                NetworkMode::Bridge,
                vec![vec![pm(80, None)], vec![pm(80, None)]],
            ),
            Rule::PortConflict,
            "spec.containerDefinitions[1].portMappings[0].containerPort",
        );
        let mut udp = pm(80, Some(8080));
        udp.protocol = Some(TransportProtocol::Udp);
        assert_valid(&with_ports(
            NetworkMode::Bridge,
            vec![vec![pm(80, Some(8080)), udp]],
        ));
    }

    #[test]
    fn host_and_awsvpc_host_ports_must_match() {
        for mode in [NetworkMode::Host, NetworkMode::Awsvpc] {
            assert_valid(&with_ports(
                mode,
                vec![vec![pm(80, Some(80)), pm(81, None)]],
            ));
            assert_only(
                &with_ports(mode, vec![vec![pm(80, Some(8080))]]),
                Rule::HostPortMismatch,
                "spec.containerDefinitions[0].portMappings[0].hostPort",
            );
            assert_only(
                &with_ports(mode, vec![vec![pm(80, None)], vec![pm(80, None)]]),
                Rule::PortConflict,
                "spec.containerDefinitions[1].portMappings[0].containerPort",
            );
        }
    }

    #[test]
    fn none_mode_has_no_ports() {
        assert_only(
            &with_ports(NetworkMode::None, vec![vec![pm(80, None)]]),
            Rule::NetworkModeNone,
            "spec.containerDefinitions[0].portMappings",
        );
    }

    #[test]
    fn port_mapping_shapes() {
        let mut no_port = pm(0, None);
        no_port.container_port = None;
        assert_only(
            &with_ports(NetworkMode::Bridge, vec![vec![no_port]]),
            Rule::PortMapping,
            "spec.containerDefinitions[0].portMappings[0].containerPort",
        );
        let range = PortMapping {
            container_port_range: Some("9000-8000".into()),
            ..Default::default()
        };
        assert_only(
            &with_ports(NetworkMode::Awsvpc, vec![vec![range]]),
            Rule::PortMapping,
            "spec.containerDefinitions[0].portMappings[0].containerPortRange",
        );
        let range = PortMapping {
            container_port_range: Some("8000-8010".into()),
            ..Default::default()
        };
        assert_valid(&with_ports(NetworkMode::Awsvpc, vec![vec![range.clone()]]));
        assert_only(
            &with_ports(NetworkMode::Host, vec![vec![range]]),
            Rule::PortMapping,
            "spec.containerDefinitions[0].portMappings[0].containerPortRange",
        );
        let mut a = pm(80, None);
        a.name = Some("web".into());
        let mut b = pm(81, None);
        b.name = Some("web".into());
        assert_only(
            &with_ports(NetworkMode::Awsvpc, vec![vec![a], vec![b]]),
            Rule::PortMapping,
            "spec.containerDefinitions[1].portMappings[0].name",
        );
        assert_eq!(parse_port_range(" 1-2 "), Some((1, 2)));
        assert_eq!(parse_port_range("0-2"), None);
    }

    #[test]
    fn awsvpc_refuses_links_hostname_extra_hosts() {
        let mut a = container("a");
        a.hostname = Some("h".into());
        let mut s = spec(vec![a, container("b")]);
        s.network_mode = Some(NetworkMode::Awsvpc);
        assert_only(
            &s,
            Rule::NetworkModeAwsvpc,
            "spec.containerDefinitions[0].hostname",
        );
        s.container_definitions[0].hostname = None;
        s.container_definitions[0].links = Some(vec!["b".into()]);
        assert_only(
            &s,
            Rule::NetworkModeAwsvpc,
            "spec.containerDefinitions[0].links",
        );
    }

    #[test]
    fn links_need_bridge_and_a_target() {
        let mut a = container("a");
        a.links = Some(vec!["b:db".into()]);
        let mut s = spec(vec![a, container("b")]);
        assert_valid(&s);
        s.network_mode = Some(NetworkMode::Host);
        assert_only(
            &s,
            Rule::LinksRequireBridge,
            "spec.containerDefinitions[0].links",
        );
        s.network_mode = None;
        s.container_definitions[0].links = Some(vec!["nope".into()]);
        assert_only(&s, Rule::Link, "spec.containerDefinitions[0].links[0]");
    }

    #[test]
    fn dns_and_extra_hosts() {
        let mut a = container("a");
        a.dns_servers = Some(vec!["10.0.0.2".into(), "resolver".into()]);
        assert_only(
            &spec(vec![a.clone()]),
            Rule::Dns,
            "spec.containerDefinitions[0].dnsServers[1]",
        );
        a.dns_servers = None;
        a.dns_search_domains = Some(vec!["Example.COM.".into(), "bad_domain".into()]);
        assert_only(
            &spec(vec![a.clone()]),
            Rule::Dns,
            "spec.containerDefinitions[0].dnsSearchDomains[1]",
        );
        a.dns_search_domains = None;
        a.extra_hosts = Some(vec![HostEntry {
            hostname: "db.local".into(),
            ip_address: "300.1.1.1".into(),
        }]);
        assert_only(
            &spec(vec![a]),
            Rule::ExtraHost,
            "spec.containerDefinitions[0].extraHosts[0].ipAddress",
        );
    }

    #[test]
    fn sysctls_by_mode() {
        let mut a = container("a");
        a.system_controls = Some(vec![SystemControl {
            namespace: Some("net.core.somaxconn".into()),
            value: Some("1024".into()),
        }]);
        let mut s = spec(vec![a]);
        assert_valid(&s);
        s.network_mode = Some(NetworkMode::Host);
        assert_only(
            &s,
            Rule::SystemControl,
            "spec.containerDefinitions[0].systemControls[0].namespace",
        );
        s.network_mode = None;
        s.ipc_mode = Some(IpcMode::Host);
        s.container_definitions[0].system_controls.as_mut().unwrap()[0].namespace =
            Some("kernel.shmmax".into());
        assert_only(
            &s,
            Rule::SystemControl,
            "spec.containerDefinitions[0].systemControls[0].namespace",
        );
    }
}
