//! Status shapes shared by several kinds.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// A task that could not be started (ECS Failure shape): arn, reason (RESOURCE:MEMORY, AGENT, ...) and detail.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// The ARN of the failed resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The ECS reason, e.g. RESOURCE:MEMORY or "MemberOf placement constraint unsatisfied".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Details of the failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// An accepted ECS field that cannot be honoured on Kubernetes, reported instead of dropped.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnsupportedField {
    /// The field path, e.g. spec.containerDefinitions[0].linuxParameters.devices.
    pub field: String,
    /// Why it is not honoured, and what happens instead.
    pub reason: String,
}
