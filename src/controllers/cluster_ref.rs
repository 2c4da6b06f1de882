//! Resolving the cluster a service or task names (`cluster`, name or ARN, default
//! `default`) to an EcsCluster, and enforcing its namespace allow-list (a documented
//! Kubernetes extension).

use kube::ResourceExt;

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
    Ok(cluster)
}
