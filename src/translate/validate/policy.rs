//! The operator's host-access policy: a task definition that asks for the node's network,
//! PID or IPC namespace, or mounts a path of the node (`volumes[].host.sourcePath`), reaches
//! outside its Pod. Such definitions are refused unless the operator is configured to allow
//! them (`--allow-host-namespaces`, `--allow-host-path`), as privileged containers are.
//! Shared Docker volumes are not affected: their node directory is the operator's own
//! (a configured root plus a sanitised name), not one the user picks.

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::{IpcMode, NetworkMode, PidMode};

use super::super::TranslateOptions;
use super::super::paths::Paths;
use super::{Issues, Rule};

pub(super) fn check(
    spec: &TaskDefinitionSpec,
    opts: &TranslateOptions,
    paths: &Paths,
    v: &mut Issues,
) {
    if !opts.allow_host_namespaces {
        let hosts = [
            (
                "networkMode",
                spec.network_mode == Some(NetworkMode::Host),
                "the host's network",
            ),
            (
                "pidMode",
                spec.pid_mode == Some(PidMode::Host),
                "the host's process",
            ),
            (
                "ipcMode",
                spec.ipc_mode == Some(IpcMode::Host),
                "the host's IPC",
            ),
        ];
        for (field, _, what) in hosts.into_iter().filter(|h| h.1) {
            v.push(
                paths.task(field),
                Rule::HostNamespaceNotAllowed,
                format!(
                    "{field} host shares {what} namespace, and this operator does not run tasks in host \
                     namespaces (it can be allowed in the operator configuration)"
                ),
            );
        }
    }
    if !opts.allow_host_path {
        for (i, volume) in spec.volumes.iter().flatten().enumerate() {
            if let Some(path) = volume.host.as_ref().and_then(|h| h.source_path.as_deref()) {
                v.push(
                    format!("spec.volumes[{i}].host.sourcePath"),
                    Rule::HostPathNotAllowed,
                    format!(
                        "volume {:?} mounts the host path {path:?}, and this operator does not mount host \
                         paths (it can be allowed in the operator configuration)",
                        volume.name
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::validate;
    use super::*;
    use crate::api::shapes::{HostVolumeProperties, Volume};

    #[test]
    fn host_namespaces_are_refused_unless_allowed() {
        for (field, mut s) in [
            ("spec.networkMode", spec(vec![container("a")])),
            ("spec.pidMode", spec(vec![container("a")])),
            ("spec.ipcMode", spec(vec![container("a")])),
        ] {
            match field {
                "spec.networkMode" => s.network_mode = Some(NetworkMode::Host),
                "spec.pidMode" => s.pid_mode = Some(PidMode::Host),
                _ => s.ipc_mode = Some(IpcMode::Host),
            }
            assert_only_with(
                &s,
                &TranslateOptions::default(),
                Rule::HostNamespaceNotAllowed,
                field,
            );
            let allowed = TranslateOptions {
                allow_host_namespaces: true,
                ..Default::default()
            };
            assert!(validate(&s, &allowed).is_empty(), "{field} allowed");
        }
    }

    #[test]
    fn host_paths_are_refused_unless_allowed() {
        let mut s = spec(vec![container("a")]);
        s.volumes = Some(vec![
            Volume {
                name: Some("scratch".into()),
                host: Some(HostVolumeProperties { source_path: None }),
                ..Default::default()
            },
            Volume {
                name: Some("root".into()),
                host: Some(HostVolumeProperties {
                    source_path: Some("/".into()),
                }),
                ..Default::default()
            },
        ]);
        assert_only_with(
            &s,
            &TranslateOptions::default(),
            Rule::HostPathNotAllowed,
            "spec.volumes[1].host.sourcePath",
        );
        let allowed = TranslateOptions {
            allow_host_path: true,
            ..Default::default()
        };
        assert!(validate(&s, &allowed).is_empty());
    }
}
