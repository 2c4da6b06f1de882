//! Errors of the TaskDefinition pipeline. The variant name is the condition reason, the
//! Event reason and the metric label.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("family {family} is already registered by TaskDefinition {owner} in this namespace")]
    FamilyConflict { family: String, owner: String },
    #[error("{0}")]
    Invalid(String),
    #[error("a revision was registered concurrently; retrying")]
    Conflict,
    #[error("Kubernetes API error: {0}")]
    Kube(#[source] kube::Error),
}

impl Error {
    pub fn reason(&self) -> &'static str {
        match self {
            Error::FamilyConflict { .. } => "FamilyConflict",
            Error::Invalid(_) => "Invalid",
            Error::Conflict => "Conflict",
            Error::Kube(_) => "KubeError",
        }
    }

    /// The spec must change before anything else can happen (no retry loop).
    pub fn is_spec_problem(&self) -> bool {
        matches!(self, Error::FamilyConflict { .. } | Error::Invalid(_))
    }
}
