//! Pod-level settings: network mode, PID/IPC namespaces, DNS, /etc/hosts, hostname, node
//! selection from `runtimePlatform`, roles → ServiceAccount, registry credentials, termination
//! grace, sysctls, and the task-level fields Kubernetes has no place for.
//!
//! Several ECS container-level settings (`dnsServers`, `dnsSearchDomains`, `extraHosts`,
//! `hostname`, `stopTimeout`, `systemControls`) are per Pod on Kubernetes: the union (or the
//! first, or the longest) applies to every container, and differences are reported.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    HostAlias, LocalObjectReference, PodDNSConfig, PodSecurityContext, PodSpec,
};

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::{CPUArchitecture, IpcMode, IsolationMode, NetworkMode, OSFamily, PidMode};
use crate::placement::labels::{
    ARCH_LABEL, ATTR_CPU_ARCHITECTURE, ATTR_OS_FAMILY, ATTR_OS_TYPE, OS_LABEL,
};

use super::names;
use super::paths::Paths;
use super::report::Report;
use super::security;
use super::spec::{container_index, non_empty};
use super::validate::network::dns_name;

/// ECS's default stopTimeout (ecs-semantics.md §4.4).
pub const DEFAULT_STOP_TIMEOUT: i32 = 30;
/// Kubernetes accepts at most 3 nameservers and 32 search domains.
const MAX_NAMESERVERS: usize = 3;
const MAX_SEARCHES: usize = 32;
/// The node labels `runtimePlatform` requires (`kubernetes.io/os`, `kubernetes.io/arch`), and
/// the ECS attributes placement must require for them: `ecs.os-type`, `ecs.cpu-architecture`
/// (derived from the same labels by the placement adapter, so placement and the kubelet's
/// nodeSelector check agree) and `ecs.os-family` (`LINUX` on every Linux node; Windows families
/// come from the node's custom attribute label, as ECS needs data a label does not carry).
pub(crate) fn platform_selector(
    spec: &TaskDefinitionSpec,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut selector = BTreeMap::new();
    let mut attributes = BTreeMap::new();
    let Some(platform) = &spec.runtime_platform else {
        return (selector, attributes);
    };
    if let Some(family) = platform.operating_system_family {
        let os = if family == OSFamily::Linux {
            "linux"
        } else {
            "windows"
        };
        selector.insert(OS_LABEL.to_owned(), os.to_owned());
        attributes.insert(ATTR_OS_TYPE.to_owned(), os.to_owned());
        if let Some(name) = serde_json::to_value(family)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
        {
            attributes.insert(ATTR_OS_FAMILY.to_owned(), name);
        }
    }
    if let Some(arch) = platform.cpu_architecture {
        let (label, attribute) = match arch {
            CPUArchitecture::X8664 => ("amd64", "x86_64"),
            CPUArchitecture::Arm64 => ("arm64", "arm64"),
        };
        selector.insert(ARCH_LABEL.to_owned(), label.to_owned());
        attributes.insert(ATTR_CPU_ARCHITECTURE.to_owned(), attribute.to_owned());
    }
    (selector, attributes)
}

/// Applies every pod-level mapping to `pod`.
pub(crate) fn apply(
    pod: &mut PodSpec,
    spec: &TaskDefinitionSpec,
    mode: NetworkMode,
    paths: &Paths,
    report: &mut Report,
) {
    // ECS replaces tasks; it never restarts them (design.md, "Tasks as Pods").
    pod.restart_policy = Some("Never".to_owned());
    // ECS does not inject Kubernetes service variables into containers.
    pod.enable_service_links = Some(false);
    network(pod, spec, mode, paths, report);
    namespaces(pod, spec, paths, report);
    dns(pod, spec, paths, report);
    host_aliases(pod, spec, paths, report);
    hostname(pod, spec, mode, paths, report);
    roles(pod, spec, paths, report);
    let (selector, _) = platform_selector(spec);
    if !selector.is_empty() {
        pod.node_selector = Some(selector);
    }
    termination_grace(pod, spec, paths, report);
    let sysctls = security::sysctls(spec, paths, report);
    if !sysctls.is_empty() {
        pod.security_context = Some(PodSecurityContext {
            sysctls: Some(sysctls),
            ..Default::default()
        });
    }
    task_level_unsupported(spec, paths, report);
}

fn network(
    pod: &mut PodSpec,
    spec: &TaskDefinitionSpec,
    mode: NetworkMode,
    paths: &Paths,
    report: &mut Report,
) {
    match mode {
        NetworkMode::Host => pod.host_network = Some(true),
        NetworkMode::None => report.approximated(
            paths.task("networkMode"),
            "a Pod always has a network interface on Kubernetes; network mode none publishes no ports",
        ),
        NetworkMode::Awsvpc | NetworkMode::Bridge => {}
    }
    for (i, c) in spec.container_definitions.iter().enumerate() {
        if c.disable_networking == Some(true) {
            report.unsupported(
                paths.container(i, "disableNetworking"),
                "containers of a Pod share its network namespace; networking cannot be turned off for one container",
            );
        }
    }
}

fn namespaces(pod: &mut PodSpec, spec: &TaskDefinitionSpec, paths: &Paths, report: &mut Report) {
    match spec.pid_mode {
        Some(PidMode::Host) => pod.host_pid = Some(true),
        Some(PidMode::Task) => pod.share_process_namespace = Some(true),
        None => {}
    }
    match spec.ipc_mode {
        Some(IpcMode::Host) => pod.host_ipc = Some(true),
        // The containers of a Pod always share one IPC namespace, which is what `task` asks for.
        Some(IpcMode::Task) => {}
        Some(IpcMode::None) => report.approximated(
            paths.task("ipcMode"),
            "the containers of a Pod always share one IPC namespace; ipcMode none is not isolated",
        ),
        None => {}
    }
    for (i, c) in spec.container_definitions.iter().enumerate() {
        if c.linux_parameters
            .as_ref()
            .and_then(|lp| lp.init_process_enabled)
            != Some(true)
        {
            continue;
        }
        let field = format!(
            "{}.initProcessEnabled",
            paths.container(i, "linuxParameters")
        );
        if pod.host_pid == Some(true) {
            report.unsupported(
                field,
                "with pidMode host no init process can be added (Kubernetes refuses shareProcessNamespace with hostPID)",
            );
        } else {
            pod.share_process_namespace = Some(true);
            report.approximated(
                field,
                "the Pod's pause process runs as PID 1 of a shared process namespace and reaps zombies, \
                 instead of an init process inside the container",
            );
        }
    }
}

fn dns(pod: &mut PodSpec, spec: &TaskDefinitionSpec, paths: &Paths, report: &mut Report) {
    let mut servers: Vec<String> = Vec::new();
    let mut searches: Vec<String> = Vec::new();
    let mut first_servers: Option<Vec<String>> = None;
    let mut first_searches: Option<Vec<String>> = None;
    for (i, c) in spec.container_definitions.iter().enumerate() {
        if let Some(list) = non_empty(&c.dns_servers) {
            let mine: Vec<String> = list.iter().map(|s| s.trim().to_owned()).collect();
            match &first_servers {
                Some(first) if *first != mine => report.approximated(
                    paths.container(i, "dnsServers"),
                    "DNS servers apply to the whole Pod: the servers of all containers are combined",
                ),
                Some(_) => {}
                None => first_servers = Some(mine.clone()),
            }
            for s in mine {
                if !servers.contains(&s) {
                    servers.push(s);
                }
            }
        }
        if let Some(list) = non_empty(&c.dns_search_domains) {
            let mine: Vec<String> = list.iter().filter_map(|d| dns_name(d)).collect();
            match &first_searches {
                Some(first) if *first != mine => report.approximated(
                    paths.container(i, "dnsSearchDomains"),
                    "DNS search domains apply to the whole Pod: the domains of all containers are combined",
                ),
                Some(_) => {}
                None => first_searches = Some(mine.clone()),
            }
            for d in mine {
                if !searches.contains(&d) {
                    searches.push(d);
                }
            }
        }
    }
    if servers.len() > MAX_NAMESERVERS {
        report.approximated(
            "spec.containerDefinitions",
            format!("Kubernetes uses at most {MAX_NAMESERVERS} DNS servers per Pod; the first {MAX_NAMESERVERS} apply"),
        );
        servers.truncate(MAX_NAMESERVERS);
    }
    if searches.len() > MAX_SEARCHES {
        report.approximated(
            "spec.containerDefinitions",
            format!("Kubernetes uses at most {MAX_SEARCHES} DNS search domains per Pod; the first {MAX_SEARCHES} apply"),
        );
        searches.truncate(MAX_SEARCHES);
    }
    if servers.is_empty() && searches.is_empty() {
        return;
    }
    if !servers.is_empty() {
        // Custom servers replace the resolver configuration, as in Docker.
        pod.dns_policy = Some("None".to_owned());
    }
    pod.dns_config = Some(PodDNSConfig {
        nameservers: (!servers.is_empty()).then_some(servers),
        searches: (!searches.is_empty()).then_some(searches),
        options: None,
    });
}

fn host_aliases(pod: &mut PodSpec, spec: &TaskDefinitionSpec, paths: &Paths, report: &mut Report) {
    let mut by_ip: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |ip: &str, host: String| match by_ip.iter_mut().find(|(i, _)| i == ip) {
        Some((_, hosts)) => {
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        None => by_ip.push((ip.to_owned(), vec![host])),
    };
    for c in &spec.container_definitions {
        for entry in c.extra_hosts.iter().flatten() {
            if let Some(host) = dns_name(&entry.hostname) {
                add(entry.ip_address.trim(), host);
            }
        }
    }
    for (i, c) in spec.container_definitions.iter().enumerate() {
        for (k, link) in c.links.iter().flatten().enumerate() {
            let (target, alias) = match link.split_once(':') {
                Some((t, a)) => (t, Some(a)),
                None => (link.as_str(), None),
            };
            if container_index(spec, target).is_none() {
                continue;
            }
            // Containers of a Pod share localhost: the linked container's name and alias
            // resolve to 127.0.0.1, where it listens.
            let hosts: Vec<String> = [Some(target), alias]
                .into_iter()
                .flatten()
                .filter_map(dns_name)
                .collect();
            let field = paths.item(i, "links", k);
            if hosts.is_empty() {
                report.unsupported(
                    field,
                    format!("link {link:?} has no name usable as a host name"),
                );
                continue;
            }
            report.approximated(
                field,
                "containers of a Pod share localhost: the linked name resolves to 127.0.0.1 (/etc/hosts)",
            );
            for host in hosts {
                add("127.0.0.1", host);
            }
        }
    }
    if !by_ip.is_empty() {
        pod.host_aliases = Some(
            by_ip
                .into_iter()
                .map(|(ip, hostnames)| HostAlias {
                    ip,
                    hostnames: Some(hostnames),
                })
                .collect(),
        );
    }
}

fn hostname(
    pod: &mut PodSpec,
    spec: &TaskDefinitionSpec,
    mode: NetworkMode,
    paths: &Paths,
    report: &mut Report,
) {
    let mut chosen: Option<String> = None;
    for (i, c) in spec.container_definitions.iter().enumerate() {
        let Some(wanted) = c.hostname.as_deref() else {
            continue;
        };
        let field = paths.container(i, "hostname");
        if mode == NetworkMode::Host {
            report.approximated(
                field,
                "with the host network the Pod has the node's hostname",
            );
            continue;
        }
        let first_label = wanted.split('.').next().unwrap_or_default();
        let Some(label) = names::sanitize(first_label, names::DNS1123_LABEL_MAX) else {
            continue;
        };
        match &chosen {
            Some(existing) if *existing != label => {
                report.approximated(
                    field,
                    format!("the hostname applies to the whole Pod; {existing:?} from an earlier container is used"),
                );
            }
            Some(_) => {}
            None => {
                if label != wanted {
                    report.approximated(
                        field,
                        format!("the Pod hostname is the DNS label {label:?} (Kubernetes sets the domain)"),
                    );
                }
                chosen = Some(label);
            }
        }
    }
    pod.hostname = chosen;
}

fn roles(pod: &mut PodSpec, spec: &TaskDefinitionSpec, paths: &Paths, report: &mut Report) {
    match spec
        .task_role_arn
        .as_deref()
        .map(names::service_account_for_role)
    {
        Some(Ok(account)) => {
            report.approximated(
                paths.task("taskRoleArn"),
                format!(
                    "the task runs as the ServiceAccount {account:?}, which must exist in its namespace; AWS credentials \
                     come with it only through IRSA or EKS Pod Identity"
                ),
            );
            pod.service_account_name = Some(account);
        }
        Some(Err(_)) => {}
        // Like an ECS task without a task role: no credentials for the Kubernetes API either.
        None => pod.automount_service_account_token = Some(false),
    }
    if spec.execution_role_arn.is_some() {
        report.approximated(
            paths.task("executionRoleArn"),
            "not used: the kubelet pulls images (imagePullSecrets from repositoryCredentials) and reads Secrets itself",
        );
    }
    let mut pull_secrets: Vec<String> = Vec::new();
    for c in &spec.container_definitions {
        if let Some(Ok(name)) = c
            .repository_credentials
            .as_ref()
            .map(|r| names::pull_secret_name(&r.credentials_parameter))
            && !pull_secrets.contains(&name)
        {
            pull_secrets.push(name);
        }
    }
    if !pull_secrets.is_empty() {
        pod.image_pull_secrets = Some(
            pull_secrets
                .into_iter()
                .map(|name| LocalObjectReference { name })
                .collect(),
        );
    }
}

fn termination_grace(
    pod: &mut PodSpec,
    spec: &TaskDefinitionSpec,
    paths: &Paths,
    report: &mut Report,
) {
    let timeouts: Vec<i32> = spec
        .container_definitions
        .iter()
        .map(|c| c.stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT).max(0))
        .collect();
    let longest = timeouts
        .iter()
        .copied()
        .max()
        .unwrap_or(DEFAULT_STOP_TIMEOUT);
    if timeouts.iter().any(|&t| t != longest) {
        for (i, c) in spec.container_definitions.iter().enumerate() {
            if c.stop_timeout.is_some_and(|t| t != longest) {
                report.approximated(
                    paths.container(i, "stopTimeout"),
                    format!("the grace period is per Pod: the longest stopTimeout ({longest} s) applies to every container"),
                );
            }
        }
    }
    pod.termination_grace_period_seconds = Some(i64::from(longest));
}

fn task_level_unsupported(spec: &TaskDefinitionSpec, paths: &Paths, report: &mut Report) {
    if spec.proxy_configuration.is_some() {
        report.unsupported(
            paths.task("proxyConfiguration"),
            "App Mesh proxy configuration is not applied (no traffic interception is set up)",
        );
    }
    if non_empty(&spec.inference_accelerators).is_some() {
        report.unsupported(
            paths.task("inferenceAccelerators"),
            "Elastic Inference accelerators do not exist on Kubernetes (the service is discontinued)",
        );
    }
    if spec.enable_fault_injection == Some(true) {
        report.unsupported(
            paths.task("enableFaultInjection"),
            "the ECS fault-injection endpoints are not provided",
        );
    }
    if let Some(te) = &spec.trusted_execution_configuration {
        if te.isolation_mode != IsolationMode::Shared {
            report.unsupported(
                format!("{}.isolationMode", paths.task("trustedExecutionConfiguration")),
                "sandboxed isolation is not applied; tasks run with the node's default container runtime",
            );
        }
        if te.attestation_policy.is_some() {
            report.unsupported(
                format!(
                    "{}.attestationPolicy",
                    paths.task("trustedExecutionConfiguration")
                ),
                "attestation is not performed",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::shapes::{ContainerDefinition, HostEntry, RuntimePlatform};

    fn c(name: &str) -> ContainerDefinition {
        ContainerDefinition {
            name: name.into(),
            image: "x".into(),
            ..Default::default()
        }
    }

    fn apply_to(spec: &TaskDefinitionSpec) -> (PodSpec, Report) {
        let mut pod = PodSpec::default();
        let mut report = Report::default();
        apply(
            &mut pod,
            spec,
            super::super::spec::network_mode(spec),
            &Paths::default(),
            &mut report,
        );
        (pod, report)
    }

    fn spec(containers: Vec<ContainerDefinition>) -> TaskDefinitionSpec {
        TaskDefinitionSpec {
            container_definitions: containers,
            ..Default::default()
        }
    }

    #[test]
    fn defaults() {
        let (pod, report) = apply_to(&spec(vec![c("a")]));
        assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
        assert_eq!(pod.enable_service_links, Some(false));
        assert_eq!(pod.termination_grace_period_seconds, Some(30));
        assert_eq!(pod.automount_service_account_token, Some(false));
        assert_eq!(pod.host_network, None);
        assert_eq!(report, Report::default());
    }

    #[test]
    fn host_network_and_namespaces() {
        let mut s = spec(vec![c("a")]);
        s.network_mode = Some(NetworkMode::Host);
        s.pid_mode = Some(PidMode::Task);
        s.ipc_mode = Some(IpcMode::Host);
        let (pod, _) = apply_to(&s);
        assert_eq!(pod.host_network, Some(true));
        assert_eq!(pod.share_process_namespace, Some(true));
        assert_eq!(pod.host_ipc, Some(true));
        s.pid_mode = Some(PidMode::Host);
        let (pod, _) = apply_to(&s);
        assert_eq!(
            (pod.host_pid, pod.share_process_namespace),
            (Some(true), None)
        );
    }

    #[test]
    fn init_process_shares_the_pid_namespace() {
        use crate::api::shapes::LinuxParameters;
        let mut a = c("a");
        a.linux_parameters = Some(LinuxParameters {
            init_process_enabled: Some(true),
            ..Default::default()
        });
        let (pod, report) = apply_to(&spec(vec![a]));
        assert_eq!(pod.share_process_namespace, Some(true));
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[0].linuxParameters.initProcessEnabled"
        );
    }

    #[test]
    fn dns_settings() {
        let mut a = c("a");
        a.dns_search_domains = Some(vec!["Corp.Example.".into()]);
        let (pod, _) = apply_to(&spec(vec![a.clone()]));
        assert_eq!(pod.dns_policy, None);
        assert_eq!(pod.dns_config.unwrap().searches.unwrap(), ["corp.example"]);
        a.dns_servers = Some(vec!["10.0.0.2".into()]);
        let mut b = c("b");
        b.dns_servers = Some(vec!["10.0.0.3".into()]);
        let (pod, report) = apply_to(&spec(vec![a, b]));
        assert_eq!(pod.dns_policy.as_deref(), Some("None"));
        assert_eq!(
            pod.dns_config.unwrap().nameservers.unwrap(),
            ["10.0.0.2", "10.0.0.3"]
        );
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[1].dnsServers"
        );
    }

    #[test]
    fn extra_hosts_and_links_become_host_aliases() {
        let mut a = c("a");
        a.extra_hosts = Some(vec![
            HostEntry {
                hostname: "DB.local".into(),
                ip_address: "10.0.0.5".into(),
            },
            HostEntry {
                hostname: "cache.local".into(),
                ip_address: "10.0.0.5".into(),
            },
        ]);
        a.links = Some(vec!["b:backend".into()]);
        let (pod, report) = apply_to(&spec(vec![a, c("b")]));
        let aliases = pod.host_aliases.unwrap();
        assert_eq!(aliases[0].ip, "10.0.0.5");
        assert_eq!(
            aliases[0].hostnames.as_ref().unwrap(),
            &["db.local", "cache.local"]
        );
        assert_eq!(aliases[1].ip, "127.0.0.1");
        assert_eq!(aliases[1].hostnames.as_ref().unwrap(), &["b", "backend"]);
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[0].links[0]"
        );
    }

    #[test]
    fn hostname_is_a_dns_label() {
        let mut a = c("a");
        a.hostname = Some("Web_1.example.com".into());
        let mut b = c("b");
        b.hostname = Some("other".into());
        let (pod, report) = apply_to(&spec(vec![a, b]));
        assert_eq!(pod.hostname.as_deref(), Some("web-1"));
        assert_eq!(report.approximated.len(), 2);
    }

    #[test]
    fn runtime_platform_selects_nodes() {
        let mut s = spec(vec![c("a")]);
        s.runtime_platform = Some(RuntimePlatform {
            cpu_architecture: Some(CPUArchitecture::Arm64),
            operating_system_family: Some(OSFamily::Linux),
        });
        let (pod, _) = apply_to(&s);
        let selector = pod.node_selector.unwrap();
        assert_eq!(selector[OS_LABEL], "linux");
        assert_eq!(selector[ARCH_LABEL], "arm64");
        s.runtime_platform = Some(RuntimePlatform {
            cpu_architecture: Some(CPUArchitecture::X8664),
            operating_system_family: Some(OSFamily::WindowsServer2022Core),
        });
        let (selector, attributes) = platform_selector(&s);
        assert_eq!(selector.len(), 2);
        assert_eq!(selector[OS_LABEL], "windows");
        assert_eq!(selector[ARCH_LABEL], "amd64");
        assert_eq!(attributes["ecs.cpu-architecture"], "x86_64");
        assert_eq!(attributes["ecs.os-type"], "windows");
        assert_eq!(attributes["ecs.os-family"], "WINDOWS_SERVER_2022_CORE");
    }

    #[test]
    fn roles_and_pull_secrets() {
        use crate::api::shapes::RepositoryCredentials;
        let mut a = c("a");
        a.repository_credentials = Some(RepositoryCredentials {
            credentials_parameter: "arn:aws:secretsmanager:us-east-1:1:secret:regcred-AbCdEf"
                .into(),
        });
        let mut s = spec(vec![a.clone(), a]);
        s.task_role_arn = Some("arn:aws:iam::1:role/web".into());
        s.execution_role_arn = Some("arn:aws:iam::1:role/exec".into());
        let (pod, report) = apply_to(&s);
        assert_eq!(pod.service_account_name.as_deref(), Some("web"));
        assert_eq!(pod.automount_service_account_token, None);
        assert_eq!(
            pod.image_pull_secrets.unwrap(),
            [LocalObjectReference {
                name: "regcred-abcdef".into()
            }]
        );
        let fields: Vec<&str> = report
            .approximated
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["spec.taskRoleArn", "spec.executionRoleArn"]);
    }

    #[test]
    fn longest_stop_timeout_wins() {
        let mut a = c("a");
        a.stop_timeout = Some(10);
        let mut b = c("b");
        b.stop_timeout = Some(90);
        let (pod, report) = apply_to(&spec(vec![a.clone(), b]));
        assert_eq!(pod.termination_grace_period_seconds, Some(90));
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[0].stopTimeout"
        );
        let (pod, _) = apply_to(&spec(vec![a]));
        assert_eq!(pod.termination_grace_period_seconds, Some(10));
    }

    #[test]
    fn task_level_fields_without_a_place() {
        use crate::api::shapes::{
            InferenceAccelerator, ProxyConfiguration, TrustedExecutionConfiguration,
        };
        let mut s = spec(vec![c("a")]);
        s.proxy_configuration = Some(ProxyConfiguration {
            container_name: "envoy".into(),
            ..Default::default()
        });
        s.inference_accelerators = Some(vec![InferenceAccelerator::default()]);
        s.enable_fault_injection = Some(true);
        s.trusted_execution_configuration = Some(TrustedExecutionConfiguration {
            isolation_mode: IsolationMode::IsolatedSandbox,
            attestation_policy: None,
        });
        s.ipc_mode = Some(IpcMode::None);
        let (_, report) = apply_to(&s);
        let fields: Vec<&str> = report
            .unsupported
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "spec.proxyConfiguration",
                "spec.inferenceAccelerators",
                "spec.enableFaultInjection",
                "spec.trustedExecutionConfiguration.isolationMode"
            ]
        );
        assert_eq!(report.approximated[0].field, "spec.ipcMode");
    }
}
