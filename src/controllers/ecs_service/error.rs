//! Errors of the EcsService pipeline. The variant name is the condition reason, the Event
//! reason and the metric label; messages are ECS-worded.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Cluster(#[from] crate::controllers::cluster_ref::ClusterError),
    #[error("ClientException: {0}")]
    TaskDefinition(#[from] crate::registry::ResolveError),
    #[error("InvalidParameterException: {0}")]
    InvalidParameter(String),
    #[error("ClientException: task definition cannot run on Kubernetes: {0}")]
    Translate(String),
    #[error("Kubernetes API error: {0}")]
    Kube(#[source] kube::Error),
    #[error("finalizer: {0}")]
    Finalizer(String),
    #[error("service is DRAINING: {0} tasks still stopping")]
    Draining(usize),
}

impl Error {
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Cluster(e) => e.reason(),
            Error::TaskDefinition(e) => e.reason(),
            Error::InvalidParameter(_) => "InvalidParameter",
            Error::Translate(_) => "TaskDefinitionNotRunnable",
            Error::Kube(_) => "KubeError",
            Error::Finalizer(_) => "FinalizerError",
            Error::Draining(_) => "Draining",
        }
    }

    /// Needs a change of the spec or of another object, not a retry loop.
    pub fn is_configuration_problem(&self) -> bool {
        !matches!(
            self,
            Error::Kube(_) | Error::Finalizer(_) | Error::Draining(_)
        )
    }
}
