//! Resolving the cluster a service or task names (`cluster`, name or ARN, default
//! `default`) to an EcsCluster, and enforcing its namespace allow-list (a documented
//! Kubernetes extension).

use std::sync::Arc;

use kube::ResourceExt;

use crate::api::EcsCluster;
use crate::api::shapes::CapacityProviderStrategyItem;
use crate::rollout::capacity::ProviderShare;

use super::Ctx;
use crate::arn::cluster_name;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    #[error("ClusterNotFoundException: Cluster not found: {0}")]
    NotFound(String),
    #[error(
        "AccessDeniedException: namespace {namespace} may not use cluster {cluster} (not in its allowedNamespaces)"
    )]
    NamespaceNotAllowed { namespace: String, cluster: String },
}

impl ClusterError {
    pub fn reason(&self) -> &'static str {
        match self {
            ClusterError::NotFound(_) => "ClusterNotFound",
            ClusterError::NamespaceNotAllowed { .. } => "NamespaceNotAllowed",
        }
    }
}

/// The ECS cluster name of `reference` (default `default`) if an EcsCluster with that
/// clusterName exists and admits `namespace`.
pub fn resolve_cluster(
    ctx: &Ctx,
    reference: Option<&str>,
    namespace: &str,
) -> Result<String, ClusterError> {
    resolve_cluster_object(ctx, reference, namespace).map(|(name, _)| name)
}

/// Like `resolve_cluster`, with the EcsCluster object.
pub fn resolve_cluster_object(
    ctx: &Ctx,
    reference: Option<&str>,
    namespace: &str,
) -> Result<(String, Arc<EcsCluster>), ClusterError> {
    let cluster = cluster_name(reference.unwrap_or("default")).to_string();
    let ecs_cluster = ctx
        .stores
        .clusters
        .state()
        .into_iter()
        .find(|c| {
            c.metadata.deletion_timestamp.is_none()
                && c.spec.cluster_name.clone().unwrap_or_else(|| c.name_any()) == cluster
        })
        .ok_or_else(|| ClusterError::NotFound(cluster.clone()))?;
    let allowed = ecs_cluster
        .spec
        .allowed_namespaces
        .as_deref()
        .unwrap_or_default();
    // An empty or absent list admits every namespace.
    if !allowed.is_empty() && !allowed.iter().any(|a| a == namespace) {
        return Err(ClusterError::NamespaceNotAllowed {
            namespace: namespace.to_string(),
            cluster,
        });
    }
    Ok((cluster, ecs_cluster))
}

/// The capacity provider strategy tasks of a service or run use (ecs-semantics.md §6.3):
/// their own, else — when they set no launchType either — the cluster's default. Every
/// provider must be associated with the cluster when the cluster lists its providers.
pub fn capacity_strategy(
    own: Option<&[CapacityProviderStrategyItem]>,
    has_launch_type: bool,
    cluster: &EcsCluster,
) -> Result<Vec<ProviderShare>, String> {
    let items: &[CapacityProviderStrategyItem] = match own.filter(|s| !s.is_empty()) {
        Some(own) => own,
        None if has_launch_type => &[],
        None => cluster
            .spec
            .default_capacity_provider_strategy
            .as_deref()
            .unwrap_or_default(),
    };
    let associated = cluster
        .spec
        .capacity_providers
        .as_deref()
        .unwrap_or_default();
    if items.iter().filter(|i| i.base.unwrap_or(0) > 0).count() > 1 {
        return Err("only one capacity provider in a strategy can have a base defined".into());
    }
    if !items.is_empty() && items.iter().all(|i| i.weight.unwrap_or(0) == 0) {
        return Err(
            "at least one capacity provider in a strategy must have a weight greater than 0".into(),
        );
    }
    items
        .iter()
        .map(|i| {
            if !associated.is_empty() && !associated.contains(&i.capacity_provider) {
                return Err(format!(
                    "The specified capacity provider {} is not associated with the cluster",
                    i.capacity_provider
                ));
            }
            Ok(ProviderShare {
                name: i.capacity_provider.clone(),
                base: i.base.unwrap_or(0).max(0) as u32,
                weight: i.weight.unwrap_or(0).max(0) as u32,
            })
        })
        .collect()
}
