//! Container security settings → `securityContext`: `privileged` (only when the operator allows
//! it; validation refuses it otherwise), `readonlyRootFilesystem`, `user`,
//! `linuxParameters.capabilities`, `dockerSecurityOptions`; and the pod-level sysctls from
//! `systemControls`.

use k8s_openapi::api::core::v1::{
    AppArmorProfile, Capabilities, SELinuxOptions, SecurityContext, Sysctl,
};

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::ContainerDefinition;

use super::paths::Paths;
use super::report::Report;

/// `user` → (uid, gid). Kubernetes takes numbers only: `uid`, `uid:gid`, and `root` (uid 0)
/// map; user or group names cannot be resolved without the image and are reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct User {
    pub uid: Option<i64>,
    pub gid: Option<i64>,
    pub unresolved: Option<String>,
}

fn numeric_id(part: &str) -> Option<i64> {
    if part == "root" {
        return Some(0);
    }
    part.parse::<i64>()
        .ok()
        .filter(|id| (0..=i64::from(i32::MAX)).contains(id))
}

pub(crate) fn parse_user(user: &str) -> User {
    let user = user.trim();
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let uid = numeric_id(u);
    let gid = g.and_then(numeric_id);
    let mut unresolved = Vec::new();
    if uid.is_none() {
        unresolved.push(format!("user {u:?}"));
    }
    if let Some(g) = g
        && gid.is_none()
    {
        unresolved.push(format!("group {g:?}"));
    }
    User {
        // A group without a user would run as the image's user with another group; keep it.
        uid,
        gid,
        unresolved: (!unresolved.is_empty()).then(|| unresolved.join(" and ")),
    }
}

/// `CAP_NET_ADMIN` / `net_admin` → `NET_ADMIN`, as the container runtime expects.
fn capability(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    upper.strip_prefix("CAP_").unwrap_or(&upper).to_owned()
}

/// The container securityContext, if anything is set.
pub(crate) fn container_security(
    c: &ContainerDefinition,
    i: usize,
    allow_privileged: bool,
    paths: &Paths,
    report: &mut Report,
) -> Option<SecurityContext> {
    let mut sc = SecurityContext::default();
    let privileged = c.privileged == Some(true) && allow_privileged;
    if privileged {
        sc.privileged = Some(true);
    }
    if let Some(ro) = c.readonly_root_filesystem {
        sc.read_only_root_filesystem = Some(ro);
    }
    if let Some(user) = &c.user {
        let parsed = parse_user(user);
        sc.run_as_user = parsed.uid;
        sc.run_as_group = parsed.gid;
        if let Some(what) = parsed.unresolved {
            report.unsupported(
                paths.container(i, "user"),
                format!(
                    "{what} cannot be used: Kubernetes needs numeric ids, so the image's default applies \
                     (use \"uid\" or \"uid:gid\")"
                ),
            );
        }
    }
    if let Some(caps) = c
        .linux_parameters
        .as_ref()
        .and_then(|lp| lp.capabilities.as_ref())
    {
        let add: Vec<String> = caps.add.iter().flatten().map(|s| capability(s)).collect();
        let drop: Vec<String> = caps.drop.iter().flatten().map(|s| capability(s)).collect();
        if !add.is_empty() || !drop.is_empty() {
            sc.capabilities = Some(Capabilities {
                add: (!add.is_empty()).then_some(add),
                drop: (!drop.is_empty()).then_some(drop),
            });
        }
    }
    for (k, option) in c.docker_security_options.iter().flatten().enumerate() {
        security_option(
            &mut sc,
            option,
            privileged,
            &paths.item(i, "dockerSecurityOptions", k),
            report,
        );
    }
    (sc != SecurityContext::default()).then_some(sc)
}

/// One `dockerSecurityOptions` entry: `no-new-privileges`, `apparmor:<profile>`,
/// `label:<user|role|type|level>:<value>` map; `label:disable` approximates with type
/// `spc_t`; `credentialspec:` and anything else is reported unsupported.
fn security_option(
    sc: &mut SecurityContext,
    option: &str,
    privileged: bool,
    field: &str,
    report: &mut Report,
) {
    let option = option.trim();
    if option == "no-new-privileges" || option == "no-new-privileges:true" {
        if privileged {
            report.unsupported(
                field,
                "no-new-privileges cannot be combined with a privileged container on Kubernetes",
            );
        } else {
            sc.allow_privilege_escalation = Some(false);
        }
        return;
    }
    if let Some(profile) = option.strip_prefix("apparmor:") {
        sc.app_armor_profile = Some(match profile {
            "unconfined" => AppArmorProfile {
                type_: "Unconfined".into(),
                localhost_profile: None,
            },
            "docker-default" | "runtime/default" => AppArmorProfile {
                type_: "RuntimeDefault".into(),
                localhost_profile: None,
            },
            name => AppArmorProfile {
                type_: "Localhost".into(),
                localhost_profile: Some(name.to_owned()),
            },
        });
        return;
    }
    if let Some(label) = option.strip_prefix("label:") {
        let se = sc
            .se_linux_options
            .get_or_insert_with(SELinuxOptions::default);
        match label.split_once(':') {
            Some(("user", v)) => se.user = Some(v.to_owned()),
            Some(("role", v)) => se.role = Some(v.to_owned()),
            Some(("type", v)) => se.type_ = Some(v.to_owned()),
            Some(("level", v)) => se.level = Some(v.to_owned()),
            None if label == "disable" => {
                se.type_ = Some("spc_t".into());
                report.approximated(
                    field,
                    "label:disable is approximated by the SELinux type spc_t (unconfined container)",
                );
            }
            _ => {
                report.unsupported(
                    field,
                    format!("SELinux option {option:?} has no Kubernetes equivalent"),
                );
            }
        }
        if sc.se_linux_options == Some(SELinuxOptions::default()) {
            sc.se_linux_options = None;
        }
        return;
    }
    if option.starts_with("credentialspec:") {
        report.unsupported(
            field,
            "gMSA credential specs are not applied (Kubernetes uses GMSACredentialSpec resources)",
        );
        return;
    }
    report.unsupported(
        field,
        format!("security option {option:?} is not supported"),
    );
}

/// `systemControls` of every container → pod `securityContext.sysctls` (Kubernetes sets
/// sysctls per Pod; ECS applies namespaced sysctls per task namespace as well). When two
/// containers set the same sysctl differently, the later container wins and is reported.
pub(crate) fn sysctls(
    spec: &TaskDefinitionSpec,
    paths: &Paths,
    report: &mut Report,
) -> Vec<Sysctl> {
    let mut out: Vec<Sysctl> = Vec::new();
    for (i, c) in spec.container_definitions.iter().enumerate() {
        for (k, sc) in c.system_controls.iter().flatten().enumerate() {
            let Some(name) = sc.namespace.as_deref().filter(|n| !n.is_empty()) else {
                continue;
            };
            let value = sc.value.clone().unwrap_or_default();
            match out.iter_mut().find(|s| s.name == name) {
                Some(existing) if existing.value != value => {
                    report.approximated(
                        paths.item(i, "systemControls", k),
                        format!(
                            "sysctls apply to the whole Pod: {name} = {value:?} replaces {:?} set by an earlier container",
                            existing.value
                        ),
                    );
                    existing.value = value;
                }
                Some(_) => {}
                None => out.push(Sysctl {
                    name: name.to_owned(),
                    value,
                }),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::shapes::{KernelCapabilities, LinuxParameters, SystemControl};

    fn container() -> ContainerDefinition {
        ContainerDefinition {
            name: "app".into(),
            image: "app".into(),
            ..Default::default()
        }
    }

    #[test]
    fn users() {
        assert_eq!(
            parse_user("1000"),
            User {
                uid: Some(1000),
                gid: None,
                unresolved: None
            }
        );
        assert_eq!(
            parse_user("1000:100"),
            User {
                uid: Some(1000),
                gid: Some(100),
                unresolved: None
            }
        );
        assert_eq!(
            parse_user("root:root"),
            User {
                uid: Some(0),
                gid: Some(0),
                unresolved: None
            }
        );
        assert_eq!(
            parse_user("nginx").unresolved.as_deref(),
            Some("user \"nginx\"")
        );
        let mixed = parse_user("1000:staff");
        assert_eq!((mixed.uid, mixed.gid), (Some(1000), None));
        assert_eq!(mixed.unresolved.as_deref(), Some("group \"staff\""));
        assert_eq!(parse_user("-1").uid, None);
        assert_eq!(parse_user("99999999999").uid, None);
    }

    #[test]
    fn nothing_set_means_no_security_context() {
        assert_eq!(
            container_security(
                &container(),
                0,
                false,
                &Paths::default(),
                &mut Report::default()
            ),
            None
        );
    }

    #[test]
    fn fields_map() {
        let mut c = container();
        c.privileged = Some(true);
        c.readonly_root_filesystem = Some(true);
        c.user = Some("1000:1000".into());
        c.linux_parameters = Some(LinuxParameters {
            capabilities: Some(KernelCapabilities {
                add: Some(vec!["CAP_NET_ADMIN".into(), "sys_time".into()]),
                drop: Some(vec!["ALL".into()]),
            }),
            ..Default::default()
        });
        let sc =
            container_security(&c, 0, true, &Paths::default(), &mut Report::default()).unwrap();
        assert_eq!(sc.privileged, Some(true));
        assert_eq!(sc.read_only_root_filesystem, Some(true));
        assert_eq!((sc.run_as_user, sc.run_as_group), (Some(1000), Some(1000)));
        let caps = sc.capabilities.unwrap();
        assert_eq!(caps.add.unwrap(), ["NET_ADMIN", "SYS_TIME"]);
        assert_eq!(caps.drop.unwrap(), ["ALL"]);
        // Not allowed: never privileged (validation refuses the definition before this).
        let sc =
            container_security(&c, 0, false, &Paths::default(), &mut Report::default()).unwrap();
        assert_eq!(sc.privileged, None);
    }

    #[test]
    fn docker_security_options() {
        let mut c = container();
        c.docker_security_options = Some(vec![
            "no-new-privileges".into(),
            "apparmor:my-profile".into(),
            "label:type:container_t".into(),
            "label:level:s0:c1,c2".into(),
            "credentialspec:file://x.json".into(),
            "seccomp=unconfined".into(),
        ]);
        let mut report = Report::default();
        let sc = container_security(&c, 1, false, &Paths::default(), &mut report).unwrap();
        assert_eq!(sc.allow_privilege_escalation, Some(false));
        let aa = sc.app_armor_profile.unwrap();
        assert_eq!(
            (aa.type_.as_str(), aa.localhost_profile.as_deref()),
            ("Localhost", Some("my-profile"))
        );
        let se = sc.se_linux_options.unwrap();
        assert_eq!(se.type_.as_deref(), Some("container_t"));
        assert_eq!(se.level.as_deref(), Some("s0:c1,c2"));
        let fields: Vec<&str> = report
            .unsupported
            .iter()
            .map(|u| u.field.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "spec.containerDefinitions[1].dockerSecurityOptions[4]",
                "spec.containerDefinitions[1].dockerSecurityOptions[5]"
            ]
        );
    }

    #[test]
    fn user_names_are_reported() {
        let mut c = container();
        c.user = Some("nginx".into());
        let mut report = Report::default();
        assert_eq!(
            container_security(&c, 0, false, &Paths::default(), &mut report),
            None
        );
        assert_eq!(
            report.unsupported[0].field,
            "spec.containerDefinitions[0].user"
        );
    }

    #[test]
    fn sysctls_merge_later_wins() {
        let sysctl = |name: &str, value: &str| SystemControl {
            namespace: Some(name.into()),
            value: Some(value.into()),
        };
        let mut a = container();
        a.system_controls = Some(vec![sysctl("net.core.somaxconn", "1024")]);
        let mut b = container();
        b.name = "b".into();
        b.system_controls = Some(vec![
            sysctl("net.core.somaxconn", "2048"),
            sysctl("kernel.shmmax", "1"),
        ]);
        let spec = TaskDefinitionSpec {
            container_definitions: vec![a, b],
            ..Default::default()
        };
        let mut report = Report::default();
        let out = sysctls(&spec, &Paths::default(), &mut report);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].value, "2048");
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[1].systemControls[0]"
        );
    }
}
