//! Volume rules (ecs-semantics.md §5.4): named, unique, one type per volume, EFS settings that
//! ECS refuses; mount points that name existing volumes; one mount per path per container;
//! volumesFrom naming another container.

use std::collections::BTreeSet;

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::{EFSAuthorizationConfigIAM, EFSTransitEncryption, Scope, Volume};

use super::super::names::{self, DNS1123_LABEL_MAX};
use super::super::paths::Paths;
use super::super::spec::{container_index, is_fargate, is_windows};
use super::{Issues, Rule};

/// The path where `linuxParameters.sharedMemorySize` is mounted.
pub(crate) const SHM_PATH: &str = "/dev/shm";

/// `containerPath` without trailing slashes, for comparing mount points.
pub(crate) fn normalize_path(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() && path.starts_with('/') {
        "/"
    } else {
        trimmed
    }
}

/// A root directory usable as a volumeMount subPath: relative, no `..`. `None` for the
/// volume root.
pub(crate) fn sub_path(root: &str) -> Result<Option<String>, String> {
    let relative = root.trim().trim_matches('/');
    if relative.is_empty() {
        return Ok(None);
    }
    if relative.split('/').any(|part| part == "..") {
        return Err(format!("root directory {root:?} must not contain '..'"));
    }
    Ok(Some(relative.to_owned()))
}

fn types_set(volume: &Volume) -> Vec<&'static str> {
    let mut set = Vec::new();
    if volume.host.is_some() {
        set.push("host");
    }
    if volume.docker_volume_configuration.is_some() {
        set.push("dockerVolumeConfiguration");
    }
    if volume.efs_volume_configuration.is_some() {
        set.push("efsVolumeConfiguration");
    }
    if volume.s3files_volume_configuration.is_some() {
        set.push("s3filesVolumeConfiguration");
    }
    if volume
        .fsx_windows_file_server_volume_configuration
        .is_some()
    {
        set.push("fsxWindowsFileServerVolumeConfiguration");
    }
    if volume.configured_at_launch == Some(true) {
        set.push("configuredAtLaunch");
    }
    set
}

pub(super) fn check(spec: &TaskDefinitionSpec, paths: &Paths, v: &mut Issues) {
    let mut names_seen = BTreeSet::new();
    for (k, volume) in spec.volumes.iter().flatten().enumerate() {
        let base = format!("{}[{k}]", paths.task("volumes"));
        match volume.name.as_deref() {
            None | Some("") => v.push(
                format!("{base}.name"),
                Rule::Volume,
                "a volume needs a name",
            ),
            Some(name) => {
                if names::sanitize(name, DNS1123_LABEL_MAX).is_none() {
                    v.push(
                        format!("{base}.name"),
                        Rule::Volume,
                        format!("volume name {name:?} needs at least one letter or digit"),
                    );
                }
                if !names_seen.insert(name) {
                    v.push(
                        format!("{base}.name"),
                        Rule::Volume,
                        format!("volume name {name:?} is used more than once"),
                    );
                }
            }
        }
        volume_settings(spec, &base, volume, v);
    }
    let known: BTreeSet<&str> = spec
        .volumes
        .iter()
        .flatten()
        .filter_map(|vol| vol.name.as_deref())
        .collect();
    for (i, c) in spec.container_definitions.iter().enumerate() {
        let mut mount_paths: BTreeSet<String> = BTreeSet::new();
        let mut claim = |path: &str, field: String, v: &mut Issues| {
            if !mount_paths.insert(normalize_path(path).to_owned()) {
                v.push(
                    field,
                    Rule::DuplicateMountPoint,
                    format!(
                        "container {:?} mounts more than one thing at {path:?}",
                        c.name
                    ),
                );
            }
        };
        for (k, mp) in c.mount_points.iter().flatten().enumerate() {
            let base = paths.item(i, "mountPoints", k);
            match mp.source_volume.as_deref() {
                None | Some("") => v.push(
                    format!("{base}.sourceVolume"),
                    Rule::MountPoint,
                    "a mount point needs a sourceVolume",
                ),
                Some(name) if !known.contains(name) => v.push(
                    format!("{base}.sourceVolume"),
                    Rule::MountPointUnknownVolume,
                    format!(
                        "mount point source volume {name:?} is not a volume of the task definition"
                    ),
                ),
                Some(_) => {}
            }
            match mp.container_path.as_deref().map(str::trim) {
                None | Some("") => v.push(
                    format!("{base}.containerPath"),
                    Rule::MountPoint,
                    "a mount point needs a containerPath",
                ),
                Some(path) if !is_windows(spec) && !path.starts_with('/') => v.push(
                    format!("{base}.containerPath"),
                    Rule::MountPoint,
                    format!("containerPath {path:?} must be an absolute path"),
                ),
                Some(path) => claim(path, format!("{base}.containerPath"), v),
            }
        }
        if let Some(lp) = &c.linux_parameters {
            let base = paths.container(i, "linuxParameters");
            if lp.shared_memory_size.is_some() {
                claim(SHM_PATH, format!("{base}.sharedMemorySize"), v);
            }
            for (k, tmpfs) in lp.tmpfs.iter().flatten().enumerate() {
                claim(
                    &tmpfs.container_path,
                    format!("{base}.tmpfs[{k}].containerPath"),
                    v,
                );
            }
        }
        for (k, from) in c.volumes_from.iter().flatten().enumerate() {
            let field = format!("{}.sourceContainer", paths.item(i, "volumesFrom", k));
            match from.source_container.as_deref() {
                None | Some("") => v.push(field, Rule::VolumesFrom, "volumesFrom needs a sourceContainer"),
                Some(name) => match container_index(spec, name) {
                    None => v.push(
                        field,
                        Rule::VolumesFrom,
                        format!("volumesFrom source container {name:?} is not a container in the task definition"),
                    ),
                    Some(t) if t == i => v.push(
                        field,
                        Rule::VolumesFrom,
                        format!("container {:?} cannot take volumes from itself", c.name),
                    ),
                    Some(_) => {}
                },
            }
        }
    }
}

fn volume_settings(spec: &TaskDefinitionSpec, base: &str, volume: &Volume, v: &mut Issues) {
    let types = types_set(volume);
    if types.len() > 1 {
        v.push(
            base,
            Rule::Volume,
            format!("a volume has one type; this one sets {}", types.join(", ")),
        );
    }
    if is_fargate(spec) {
        if volume
            .host
            .as_ref()
            .is_some_and(|h| h.source_path.is_some())
        {
            v.push(
                format!("{base}.host.sourcePath"),
                Rule::FargateUnsupported,
                "host volumes with a sourcePath are not supported on Fargate",
            );
        }
        if volume.docker_volume_configuration.is_some() {
            v.push(
                format!("{base}.dockerVolumeConfiguration"),
                Rule::FargateUnsupported,
                "Docker volumes are not supported on Fargate",
            );
        }
    }
    if let Some(docker) = &volume.docker_volume_configuration
        && docker.autoprovision == Some(true)
        && docker.scope.unwrap_or(Scope::Task) != Scope::Shared
    {
        v.push(
            format!("{base}.dockerVolumeConfiguration.autoprovision"),
            Rule::Volume,
            "autoprovision is only supported for Docker volumes with scope shared",
        );
    }
    if let Some(efs) = &volume.efs_volume_configuration {
        let efs_base = format!("{base}.efsVolumeConfiguration");
        let auth = efs.authorization_config.as_ref();
        if auth.is_some_and(|a| a.access_point_id.is_some())
            && efs
                .root_directory
                .as_deref()
                .is_some_and(|r| !r.trim().is_empty() && r.trim() != "/")
        {
            v.push(
                format!("{efs_base}.rootDirectory"),
                Rule::Volume,
                "with an EFS access point the rootDirectory must be omitted or \"/\"",
            );
        }
        if auth.is_some_and(|a| a.iam == Some(EFSAuthorizationConfigIAM::Enabled))
            && efs.transit_encryption != Some(EFSTransitEncryption::Enabled)
        {
            v.push(
                format!("{efs_base}.transitEncryption"),
                Rule::Volume,
                "EFS IAM authorization requires transitEncryption ENABLED",
            );
        }
        root_directory(
            &format!("{efs_base}.rootDirectory"),
            efs.root_directory.as_deref(),
            v,
        );
    }
    if let Some(s3) = &volume.s3files_volume_configuration {
        root_directory(
            &format!("{base}.s3filesVolumeConfiguration.rootDirectory"),
            s3.root_directory.as_deref(),
            v,
        );
    }
    if let Some(fsx) = &volume.fsx_windows_file_server_volume_configuration {
        root_directory(
            &format!("{base}.fsxWindowsFileServerVolumeConfiguration.rootDirectory"),
            Some(&fsx.root_directory),
            v,
        );
    }
}

fn root_directory(field: &str, root: Option<&str>, v: &mut Issues) {
    if let Some(root) = root
        && let Err(e) = sub_path(root)
    {
        v.push(field, Rule::Volume, e);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::api::shapes::{
        DockerVolumeConfiguration, EFSAuthorizationConfig, EFSVolumeConfiguration,
        HostVolumeProperties, LinuxParameters, MountPoint, VolumeFrom,
    };

    fn volume(name: &str) -> Volume {
        Volume {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    fn mount(volume: &str, path: &str) -> MountPoint {
        MountPoint {
            source_volume: Some(volume.into()),
            container_path: Some(path.into()),
            read_only: None,
        }
    }

    #[test]
    fn mount_points_name_existing_volumes() {
        let mut a = container("a");
        a.mount_points = Some(vec![mount("data", "/data")]);
        let mut s = spec(vec![a]);
        assert_only(
            &s,
            Rule::MountPointUnknownVolume,
            "spec.containerDefinitions[0].mountPoints[0].sourceVolume",
        );
        s.volumes = Some(vec![volume("data")]);
        assert_valid(&s);
        s.container_definitions[0].mount_points = Some(vec![mount("data", "data")]);
        assert_only(
            &s,
            Rule::MountPoint,
            "spec.containerDefinitions[0].mountPoints[0].containerPath",
        );
    }

    #[test]
    fn one_mount_per_path() {
        let mut a = container("a");
        a.mount_points = Some(vec![mount("data", "/dev/shm/")]);
        a.linux_parameters = Some(LinuxParameters {
            shared_memory_size: Some(64),
            ..Default::default()
        });
        let mut s = spec(vec![a]);
        s.volumes = Some(vec![volume("data")]);
        assert_only(
            &s,
            Rule::DuplicateMountPoint,
            "spec.containerDefinitions[0].linuxParameters.sharedMemorySize",
        );
    }

    #[test]
    fn volume_names_and_types() {
        let mut s = spec(vec![container("a")]);
        s.volumes = Some(vec![volume("x"), volume("x")]);
        assert_only(&s, Rule::Volume, "spec.volumes[1].name");
        let mut both = volume("y");
        both.host = Some(HostVolumeProperties::default());
        both.docker_volume_configuration = Some(DockerVolumeConfiguration::default());
        s.volumes = Some(vec![both]);
        assert_only(&s, Rule::Volume, "spec.volumes[0]");
        let mut unnamed = volume("z");
        unnamed.name = None;
        s.volumes = Some(vec![unnamed]);
        assert_only(&s, Rule::Volume, "spec.volumes[0].name");
    }

    #[test]
    fn docker_autoprovision_needs_shared_scope() {
        let mut vol = volume("d");
        vol.docker_volume_configuration = Some(DockerVolumeConfiguration {
            autoprovision: Some(true),
            ..Default::default()
        });
        let mut s = spec(vec![container("a")]);
        s.volumes = Some(vec![vol]);
        assert_only(
            &s,
            Rule::Volume,
            "spec.volumes[0].dockerVolumeConfiguration.autoprovision",
        );
    }

    #[test]
    fn efs_rules() {
        let mut vol = volume("e");
        vol.efs_volume_configuration = Some(EFSVolumeConfiguration {
            file_system_id: "fs-1".into(),
            root_directory: Some("/data".into()),
            authorization_config: Some(EFSAuthorizationConfig {
                access_point_id: Some("fsap-1".into()),
                iam: Some(EFSAuthorizationConfigIAM::Enabled),
            }),
            ..Default::default()
        });
        let mut s = spec(vec![container("a")]);
        s.volumes = Some(vec![vol]);
        let broken = broken(&s);
        assert!(broken.contains(&(
            Rule::Volume,
            "spec.volumes[0].efsVolumeConfiguration.rootDirectory".into()
        )));
        assert!(broken.contains(&(
            Rule::Volume,
            "spec.volumes[0].efsVolumeConfiguration.transitEncryption".into()
        )));
        assert_eq!(sub_path("/a/b/").unwrap().as_deref(), Some("a/b"));
        assert_eq!(sub_path("/").unwrap(), None);
        assert!(sub_path("/a/../b").is_err());
    }

    #[test]
    fn volumes_from_needs_another_container() {
        let mut a = container("a");
        a.volumes_from = Some(vec![VolumeFrom {
            source_container: Some("a".into()),
            read_only: None,
        }]);
        assert_only(
            &spec(vec![a.clone()]),
            Rule::VolumesFrom,
            "spec.containerDefinitions[0].volumesFrom[0].sourceContainer",
        );
        a.volumes_from = Some(vec![VolumeFrom {
            source_container: Some("b".into()),
            read_only: None,
        }]);
        assert_only(
            &spec(vec![a.clone()]),
            Rule::VolumesFrom,
            "spec.containerDefinitions[0].volumesFrom[0].sourceContainer",
        );
        assert_valid(&spec(vec![a, container("b")]));
    }
}
