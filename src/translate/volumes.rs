//! Task volumes → Pod volumes; `mountPoints`, `volumesFrom`, `linuxParameters.tmpfs` and
//! `sharedMemorySize` → volumeMounts (ecs-semantics.md §5.4).
//!
//! | ECS volume | Pod volume |
//! |---|---|
//! | `host.sourcePath` | hostPath (DirectoryOrCreate: the agent creates it too) |
//! | `host {}` / no configuration | emptyDir (Docker-managed path, no persistence promise) |
//! | `dockerVolumeConfiguration`, scope task | emptyDir (`driverOpts.type: tmpfs` → medium Memory) |
//! | `dockerVolumeConfiguration`, scope shared | hostPath `<root>/<name>` on the node (a local Docker volume is per host and outlives the task), or a PVC named after the volume ([`SharedVolumes`]) |
//! | `efsVolumeConfiguration` | PVC named after `fileSystemId`; `rootDirectory` → subPath |
//! | `fsxWindowsFileServerVolumeConfiguration` | PVC named after `fileSystemId`; `rootDirectory` → subPath |
//! | `s3filesVolumeConfiguration` | PVC named after the last segment of `fileSystemArn`; `rootDirectory` → subPath |
//! | `configuredAtLaunch` | emptyDir placeholder (a per-task volume, like the default EBS volume), listed in `Translation::launch_volumes` |
//!
//! Network file systems become PersistentVolumeClaims by a documented name rather than an
//! emptyDir: an ECS user who mounts EFS expects shared, durable data, and an emptyDir would
//! lose it silently. The claims must exist in the task's namespace (EFS CSI driver, or any
//! ReadWriteMany storage); until they do, the Pod waits in ContainerCreating.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, HostPathVolumeSource, PersistentVolumeClaimVolumeSource, Volume,
    VolumeMount,
};

use crate::api::TaskDefinitionSpec;
use crate::api::shapes::{
    ContainerDefinition, DockerVolumeConfiguration, Scope, Volume as EcsVolume,
};

use super::names::{self, DNS1123_LABEL_MAX, DNS1123_SUBDOMAIN_MAX, NameAllocator};
use super::paths::Paths;
use super::report::Report;
use super::resources::mebibytes;
use super::spec::container_index;
use super::validate::volumes::{SHM_PATH, normalize_path, sub_path};
use super::{SharedVolumes, TranslateOptions};

/// The Pod volume behind an ECS volume.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target {
    pod_name: String,
    sub_path: Option<String>,
}

/// The Pod's volumes, built once per task, extended with per-container memory volumes.
#[derive(Clone, Debug)]
pub(crate) struct PodVolumes {
    pub volumes: Vec<Volume>,
    /// `configuredAtLaunch` volumes: ECS name → Pod volume name.
    pub launch_volumes: BTreeMap<String, String>,
    targets: BTreeMap<String, Target>,
    names: NameAllocator,
}

fn empty_dir(name: String, memory: bool, size_mib: Option<u64>) -> Volume {
    Volume {
        name,
        empty_dir: Some(EmptyDirVolumeSource {
            medium: memory.then(|| "Memory".to_owned()),
            size_limit: size_mib.map(mebibytes),
        }),
        ..Default::default()
    }
}

fn host_path(name: String, path: String, type_: &str) -> Volume {
    Volume {
        name,
        host_path: Some(HostPathVolumeSource {
            path,
            type_: Some(type_.to_owned()),
        }),
        ..Default::default()
    }
}

fn claim(name: String, claim_name: String) -> Volume {
    Volume {
        name,
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name,
            read_only: None,
        }),
        ..Default::default()
    }
}

fn claim_name(id: &str) -> String {
    let last = id
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(id);
    names::sanitize(last, DNS1123_SUBDOMAIN_MAX).unwrap_or_else(|| "volume".to_owned())
}

impl PodVolumes {
    pub fn plan(
        spec: &TaskDefinitionSpec,
        opts: &TranslateOptions,
        paths: &Paths,
        report: &mut Report,
    ) -> Self {
        let mut pod = PodVolumes {
            volumes: Vec::new(),
            launch_volumes: BTreeMap::new(),
            targets: BTreeMap::new(),
            names: NameAllocator::new(DNS1123_LABEL_MAX),
        };
        for (k, volume) in spec.volumes.iter().flatten().enumerate() {
            let Some(ecs_name) = volume.name.as_deref().filter(|n| !n.is_empty()) else {
                continue;
            };
            if pod.targets.contains_key(ecs_name) {
                continue;
            }
            let base = format!("{}[{k}]", paths.task("volumes"));
            let pod_name = pod.names.allocate(ecs_name, &format!("volume-{k}"));
            let (source, sub) = source(volume, ecs_name, &pod_name, opts, &base, report);
            if volume.configured_at_launch == Some(true) {
                pod.launch_volumes
                    .insert(ecs_name.to_owned(), pod_name.clone());
            }
            pod.volumes.push(source);
            pod.targets.insert(
                ecs_name.to_owned(),
                Target {
                    pod_name,
                    sub_path: sub,
                },
            );
        }
        pod
    }

    /// The volumeMounts of container `i` (Pod name `pod_container`), adding its memory-backed
    /// volumes (`sharedMemorySize`, `tmpfs`) to the Pod.
    pub fn mounts(
        &mut self,
        spec: &TaskDefinitionSpec,
        i: usize,
        pod_container: &str,
        paths: &Paths,
        report: &mut Report,
    ) -> Vec<VolumeMount> {
        let Some(c) = spec.container_definitions.get(i) else {
            return Vec::new();
        };
        let mut mounts: Vec<VolumeMount> = Vec::new();
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for mp in c.mount_points.iter().flatten() {
            let (Some(volume), Some(path)) =
                (mp.source_volume.as_deref(), mp.container_path.as_deref())
            else {
                continue;
            };
            self.push_mount(
                &mut mounts,
                &mut taken,
                volume,
                path,
                mp.read_only == Some(true),
            );
        }
        // volumesFrom: the source's mounts (its own and, like Docker, those it inherits); the
        // container's own mounts win on the same path.
        let mut inherited = Vec::new();
        let mut visited = BTreeSet::from([i]);
        for from in c.volumes_from.iter().flatten() {
            if let Some(source) = from
                .source_container
                .as_deref()
                .and_then(|n| container_index(spec, n))
            {
                collect_inherited(
                    spec,
                    source,
                    from.read_only == Some(true),
                    &mut visited,
                    &mut inherited,
                );
            }
        }
        for (volume, path, read_only) in inherited {
            self.push_mount(&mut mounts, &mut taken, &volume, &path, read_only);
        }
        if let Some(lp) = &c.linux_parameters {
            let base = paths.container(i, "linuxParameters");
            if let Some(size) = lp
                .shared_memory_size
                .and_then(|s| u64::try_from(s).ok())
                .filter(|&s| s > 0)
                && taken.insert(SHM_PATH.to_owned())
            {
                let name = self.names.allocate(&format!("shm-{pod_container}"), "shm");
                self.volumes.push(empty_dir(name.clone(), true, Some(size)));
                mounts.push(mount(name, SHM_PATH, false, None));
            }
            for (k, tmpfs) in lp.tmpfs.iter().flatten().enumerate() {
                let Some(size) = u64::try_from(tmpfs.size).ok().filter(|&s| s > 0) else {
                    continue;
                };
                if !taken.insert(normalize_path(&tmpfs.container_path).to_owned()) {
                    continue;
                }
                let name = self
                    .names
                    .allocate(&format!("tmpfs-{pod_container}-{k}"), "tmpfs");
                self.volumes.push(empty_dir(name.clone(), true, Some(size)));
                mounts.push(mount(name, &tmpfs.container_path, false, None));
                if tmpfs.mount_options.as_ref().is_some_and(|o| !o.is_empty()) {
                    report.approximated(
                        format!("{base}.tmpfs[{k}].mountOptions"),
                        "tmpfs mount options are not applied: the memory-backed emptyDir uses the kubelet's options",
                    );
                }
            }
        }
        mounts
    }

    fn push_mount(
        &self,
        mounts: &mut Vec<VolumeMount>,
        taken: &mut BTreeSet<String>,
        volume: &str,
        path: &str,
        read_only: bool,
    ) {
        let Some(target) = self.targets.get(volume) else {
            return;
        };
        if !taken.insert(normalize_path(path).to_owned()) {
            return;
        }
        mounts.push(mount(
            target.pod_name.clone(),
            path,
            read_only,
            target.sub_path.clone(),
        ));
    }
}

fn mount(name: String, path: &str, read_only: bool, sub_path: Option<String>) -> VolumeMount {
    VolumeMount {
        name,
        mount_path: path.to_owned(),
        read_only: read_only.then_some(true),
        sub_path,
        ..Default::default()
    }
}

/// Mounts container `source` exposes to `volumesFrom`: its mountPoints and, transitively,
/// what it takes from others. `read_only` forces every mount read-only.
fn collect_inherited(
    spec: &TaskDefinitionSpec,
    source: usize,
    read_only: bool,
    visited: &mut BTreeSet<usize>,
    out: &mut Vec<(String, String, bool)>,
) {
    if !visited.insert(source) {
        return;
    }
    let Some(c): Option<&ContainerDefinition> = spec.container_definitions.get(source) else {
        return;
    };
    for mp in c.mount_points.iter().flatten() {
        if let (Some(volume), Some(path)) = (&mp.source_volume, &mp.container_path) {
            out.push((
                volume.clone(),
                path.clone(),
                read_only || mp.read_only == Some(true),
            ));
        }
    }
    for from in c.volumes_from.iter().flatten() {
        if let Some(next) = from
            .source_container
            .as_deref()
            .and_then(|n| container_index(spec, n))
        {
            collect_inherited(
                spec,
                next,
                read_only || from.read_only == Some(true),
                visited,
                out,
            );
        }
    }
}

/// The Pod volume for one ECS volume, and the subPath its mounts use.
fn source(
    volume: &EcsVolume,
    ecs_name: &str,
    pod_name: &str,
    opts: &TranslateOptions,
    base: &str,
    report: &mut Report,
) -> (Volume, Option<String>) {
    let name = pod_name.to_owned();
    if volume.configured_at_launch == Some(true) {
        report.approximated(
            format!("{base}.configuredAtLaunch"),
            "the launch-time volume (volumeConfigurations of RunTask/CreateService) is not attached; \
             the task gets an empty per-task volume",
        );
        return (empty_dir(name, false, None), None);
    }
    if let Some(efs) = &volume.efs_volume_configuration {
        let claim_name = claim_name(&efs.file_system_id);
        report.approximated(
            format!("{base}.efsVolumeConfiguration"),
            format!(
                "mounted from the PersistentVolumeClaim {claim_name:?} in the task's namespace (EFS file system {}); \
                 transit encryption, access point and IAM settings belong to its PersistentVolume",
                efs.file_system_id
            ),
        );
        let sub = efs
            .root_directory
            .as_deref()
            .and_then(|r| sub_path(r).ok().flatten());
        return (claim(name, claim_name), sub);
    }
    if let Some(fsx) = &volume.fsx_windows_file_server_volume_configuration {
        let claim_name = claim_name(&fsx.file_system_id);
        report.approximated(
            format!("{base}.fsxWindowsFileServerVolumeConfiguration"),
            format!(
                "mounted from the PersistentVolumeClaim {claim_name:?} in the task's namespace (FSx file system {}); \
                 the domain credentials belong to its PersistentVolume",
                fsx.file_system_id
            ),
        );
        return (
            claim(name, claim_name),
            sub_path(&fsx.root_directory).ok().flatten(),
        );
    }
    if let Some(s3) = &volume.s3files_volume_configuration {
        let claim_name = claim_name(&s3.file_system_arn);
        report.approximated(
            format!("{base}.s3filesVolumeConfiguration"),
            format!(
                "mounted from the PersistentVolumeClaim {claim_name:?} in the task's namespace; \
                 access point and transit encryption settings belong to its PersistentVolume"
            ),
        );
        let sub = s3
            .root_directory
            .as_deref()
            .and_then(|r| sub_path(r).ok().flatten());
        return (claim(name, claim_name), sub);
    }
    if let Some(docker) = &volume.docker_volume_configuration {
        return (
            docker_volume(docker, ecs_name, name, opts, base, report),
            None,
        );
    }
    match volume.host.as_ref().and_then(|h| h.source_path.as_deref()) {
        Some(path) if !path.trim().is_empty() => {
            (host_path(name, path.to_owned(), "DirectoryOrCreate"), None)
        }
        _ => (empty_dir(name, false, None), None),
    }
}

fn docker_volume(
    docker: &DockerVolumeConfiguration,
    ecs_name: &str,
    name: String,
    opts: &TranslateOptions,
    base: &str,
    report: &mut Report,
) -> Volume {
    let base = format!("{base}.dockerVolumeConfiguration");
    let opts_map = docker.driver_opts.clone().unwrap_or_default();
    let local = docker.driver.as_deref().is_none_or(|d| d == "local");
    let tmpfs = local && opts_map.get("type").map(String::as_str) == Some("tmpfs");
    if !local {
        report.approximated(
            format!("{base}.driver"),
            format!(
                "the Docker volume driver {:?} is not used",
                docker.driver.as_deref().unwrap_or_default()
            ),
        );
    }
    let only_tmpfs_opts = tmpfs && opts_map.keys().all(|k| k == "type" || k == "device");
    if !opts_map.is_empty() && !only_tmpfs_opts {
        report.approximated(
            format!("{base}.driverOpts"),
            "Docker volume driver options are not applied",
        );
    }
    if docker.labels.as_ref().is_some_and(|l| !l.is_empty()) {
        report.unsupported(
            format!("{base}.labels"),
            "Docker volume labels are not applied",
        );
    }
    match docker.scope.unwrap_or(Scope::Task) {
        Scope::Task => empty_dir(name, tmpfs, None),
        Scope::Shared => {
            let dir =
                names::sanitize(ecs_name, DNS1123_LABEL_MAX).unwrap_or_else(|| "volume".to_owned());
            match &opts.shared_volumes {
                SharedVolumes::HostPath { root } => {
                    let path = format!("{}/{dir}", root.trim_end_matches('/'));
                    let autoprovision = docker.autoprovision == Some(true);
                    report.approximated(
                        format!("{base}.scope"),
                        format!(
                            "a shared Docker volume is the node directory {path} (kept after the task and shared by \
                             the tasks on that node, like a local Docker volume){}",
                            if autoprovision { "" } else { "; without autoprovision it must already exist" }
                        ),
                    );
                    host_path(
                        name,
                        path,
                        if autoprovision {
                            "DirectoryOrCreate"
                        } else {
                            "Directory"
                        },
                    )
                }
                SharedVolumes::PersistentVolumeClaim => {
                    report.approximated(
                        format!("{base}.scope"),
                        format!(
                            "a shared Docker volume is the PersistentVolumeClaim {dir:?} in the task's namespace"
                        ),
                    );
                    claim(name, dir)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::shapes::{
        EFSVolumeConfiguration, HostVolumeProperties, LinuxParameters, MountPoint, Tmpfs,
        VolumeFrom,
    };

    fn vol(name: &str) -> EcsVolume {
        EcsVolume {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    fn mp(volume: &str, path: &str, ro: bool) -> MountPoint {
        MountPoint {
            source_volume: Some(volume.into()),
            container_path: Some(path.into()),
            read_only: ro.then_some(true),
        }
    }

    fn c(name: &str) -> ContainerDefinition {
        ContainerDefinition {
            name: name.into(),
            image: "x".into(),
            ..Default::default()
        }
    }

    fn plan(spec: &TaskDefinitionSpec) -> (PodVolumes, Report) {
        let mut report = Report::default();
        let v = PodVolumes::plan(
            spec,
            &TranslateOptions::default(),
            &Paths::default(),
            &mut report,
        );
        (v, report)
    }

    #[test]
    fn volume_kinds() {
        let mut host = vol("Host_Data");
        host.host = Some(HostVolumeProperties {
            source_path: Some("/srv/data".into()),
        });
        let mut scratch = vol("scratch");
        scratch.host = Some(HostVolumeProperties::default());
        let mut task_docker = vol("cache");
        task_docker.docker_volume_configuration = Some(DockerVolumeConfiguration {
            scope: Some(Scope::Task),
            driver: Some("local".into()),
            driver_opts: Some(
                [
                    ("type".to_owned(), "tmpfs".to_owned()),
                    ("device".to_owned(), "tmpfs".to_owned()),
                ]
                .into(),
            ),
            ..Default::default()
        });
        let mut shared = vol("shared");
        shared.docker_volume_configuration = Some(DockerVolumeConfiguration {
            scope: Some(Scope::Shared),
            autoprovision: Some(true),
            ..Default::default()
        });
        let mut efs = vol("efs");
        efs.efs_volume_configuration = Some(EFSVolumeConfiguration {
            file_system_id: "fs-0123".into(),
            root_directory: Some("/exports/app".into()),
            ..Default::default()
        });
        let mut launch = vol("ebs");
        launch.configured_at_launch = Some(true);
        let spec = TaskDefinitionSpec {
            volumes: Some(vec![host, scratch, task_docker, shared, efs, launch]),
            ..Default::default()
        };
        let (v, report) = plan(&spec);
        let vols = &v.volumes;
        assert_eq!(vols[0].name, "host-data");
        assert_eq!(vols[0].host_path.as_ref().unwrap().path, "/srv/data");
        assert_eq!(
            vols[0].host_path.as_ref().unwrap().type_.as_deref(),
            Some("DirectoryOrCreate")
        );
        assert_eq!(vols[1].empty_dir, Some(EmptyDirVolumeSource::default()));
        assert_eq!(
            vols[2].empty_dir.as_ref().unwrap().medium.as_deref(),
            Some("Memory")
        );
        assert_eq!(
            vols[3].host_path.as_ref().unwrap().path,
            "/var/lib/ecs-operator/volumes/shared"
        );
        assert_eq!(
            vols[4].persistent_volume_claim.as_ref().unwrap().claim_name,
            "fs-0123"
        );
        assert!(vols[5].empty_dir.is_some());
        assert_eq!(v.launch_volumes["ebs"], "ebs");
        let reported: Vec<&str> = report
            .approximated
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            reported,
            [
                "spec.volumes[3].dockerVolumeConfiguration.scope",
                "spec.volumes[4].efsVolumeConfiguration",
                "spec.volumes[5].configuredAtLaunch"
            ]
        );
        assert_eq!(v.targets["efs"].sub_path.as_deref(), Some("exports/app"));
    }

    #[test]
    fn shared_volumes_as_claims() {
        let mut shared = vol("Shared");
        shared.docker_volume_configuration = Some(DockerVolumeConfiguration {
            scope: Some(Scope::Shared),
            ..Default::default()
        });
        let spec = TaskDefinitionSpec {
            volumes: Some(vec![shared]),
            ..Default::default()
        };
        let opts = TranslateOptions {
            shared_volumes: SharedVolumes::PersistentVolumeClaim,
            ..Default::default()
        };
        let v = PodVolumes::plan(&spec, &opts, &Paths::default(), &mut Report::default());
        assert_eq!(
            v.volumes[0]
                .persistent_volume_claim
                .as_ref()
                .unwrap()
                .claim_name,
            "shared"
        );
    }

    #[test]
    fn mounts_volumes_from_and_memory_volumes() {
        let mut app = c("app");
        app.mount_points = Some(vec![mp("data", "/data", false)]);
        app.volumes_from = Some(vec![VolumeFrom {
            source_container: Some("side".into()),
            read_only: Some(true),
        }]);
        app.linux_parameters = Some(LinuxParameters {
            shared_memory_size: Some(64),
            tmpfs: Some(vec![Tmpfs {
                container_path: "/run".into(),
                size: 16,
                mount_options: Some(vec!["noexec".into()]),
            }]),
            ..Default::default()
        });
        let mut side = c("side");
        side.mount_points = Some(vec![mp("data", "/data", false), mp("logs", "/logs", false)]);
        side.volumes_from = Some(vec![VolumeFrom {
            source_container: Some("app".into()),
            read_only: None,
        }]);
        let spec = TaskDefinitionSpec {
            container_definitions: vec![app, side],
            volumes: Some(vec![vol("data"), vol("logs")]),
            ..Default::default()
        };
        let (mut v, _) = plan(&spec);
        let mut report = Report::default();
        let mounts = v.mounts(&spec, 0, "app", &Paths::default(), &mut report);
        let summary: Vec<(&str, &str, Option<bool>)> = mounts
            .iter()
            .map(|m| (m.name.as_str(), m.mount_path.as_str(), m.read_only))
            .collect();
        assert_eq!(
            summary,
            [
                ("data", "/data", None),
                ("logs", "/logs", Some(true)),
                ("shm-app", "/dev/shm", None),
                ("tmpfs-app-0", "/run", None),
            ]
        );
        assert_eq!(v.volumes.len(), 4);
        assert_eq!(
            v.volumes[2]
                .empty_dir
                .as_ref()
                .unwrap()
                .size_limit
                .as_ref()
                .unwrap()
                .0,
            "64Mi"
        );
        assert_eq!(
            report.approximated[0].field,
            "spec.containerDefinitions[0].linuxParameters.tmpfs[0].mountOptions"
        );
        // The cycle side → app → side terminates.
        let side_mounts = v.mounts(&spec, 1, "side", &Paths::default(), &mut report);
        assert_eq!(side_mounts.len(), 2);
    }

    #[test]
    fn internal_names_never_collide_with_user_volumes() {
        let mut app = c("app");
        app.linux_parameters = Some(LinuxParameters {
            shared_memory_size: Some(8),
            ..Default::default()
        });
        let spec = TaskDefinitionSpec {
            container_definitions: vec![app],
            volumes: Some(vec![vol("shm-app")]),
            ..Default::default()
        };
        let (mut v, _) = plan(&spec);
        let mounts = v.mounts(&spec, 0, "app", &Paths::default(), &mut Report::default());
        assert_eq!(mounts[0].name, "shm-app-2");
    }

    #[test]
    fn claim_names() {
        assert_eq!(claim_name("fs-0123abcd"), "fs-0123abcd");
        assert_eq!(
            claim_name("arn:aws:s3files:us-east-1:1:file-system/fs-9"),
            "fs-9"
        );
        assert_eq!(claim_name("___"), "volume");
    }
}
