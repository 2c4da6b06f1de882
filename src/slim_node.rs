//! The Node as the operator caches it: the same shape and field names as k8s-openapi's `Node`,
//! with only what something in the operator reads. The watch deserializes straight into it, so
//! a listed page never becomes full Nodes (a kwok Node is ~3.5 KB of JSON: images, addresses,
//! managed fields, five conditions with their texts; at 1,000 nodes the first list was most of
//! the operator's peak heap in a small cluster).
//!
//! Readers: placement (`placement::kube_adapter`: labels, cordon, provider id, allocatable or
//! capacity, Ready, kubelet version, creation time), task classification (Ready and when it
//! last changed), the service and cluster controllers (labels, cordon, Ready, allocatable).
//! A reader that needs another field adds it here.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::Resource;
use serde::Deserialize;

use crate::wire_meta::WireMeta;

/// The Node as the watch delivers it; `From` keeps the Ready condition only.
#[derive(Deserialize)]
struct WireNode {
    #[serde(default)]
    metadata: WireMeta,
    spec: Option<SlimNodeSpec>,
    status: Option<WireNodeStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireNodeStatus {
    allocatable: Option<BTreeMap<String, Quantity>>,
    capacity: Option<BTreeMap<String, Quantity>>,
    #[serde(default)]
    conditions: Vec<SlimNodeCondition>,
    node_info: Option<SlimNodeInfo>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(from = "WireNode")]
pub struct SlimNode {
    /// Without annotations and managed fields.
    pub metadata: ObjectMeta,
    pub spec: Option<SlimNodeSpec>,
    pub status: Option<SlimNodeStatus>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SlimNodeSpec {
    #[serde(rename = "providerID")]
    pub provider_id: Option<String>,
    pub unschedulable: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlimNodeStatus {
    pub allocatable: Option<BTreeMap<String, Quantity>>,
    pub capacity: Option<BTreeMap<String, Quantity>>,
    /// The Ready condition, the only one read (agent connected; how long a node has been
    /// NotReady). Kept without its reason, message and heartbeat: a heartbeat then changes
    /// nothing the cache holds.
    pub ready: Option<SlimNodeCondition>,
    pub node_info: Option<SlimNodeInfo>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SlimNodeCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub last_transition_time: Option<Time>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SlimNodeInfo {
    #[serde(default)]
    pub kubelet_version: String,
}

impl SlimNode {
    /// Whether the Ready condition is True (the ECS agent is connected).
    pub fn is_ready(&self) -> bool {
        self.ready().is_some_and(|c| c.status == "True")
    }

    pub fn ready(&self) -> Option<&SlimNodeCondition> {
        self.status.as_ref()?.ready.as_ref()
    }

    /// Cordoned: `spec.unschedulable`.
    pub fn is_cordoned(&self) -> bool {
        self.spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false)
    }
}

impl From<WireNode> for SlimNode {
    fn from(wire: WireNode) -> Self {
        let mut metadata = ObjectMeta::from(wire.metadata);
        metadata.annotations = None;
        SlimNode {
            metadata,
            spec: wire.spec,
            status: wire.status.map(|s| SlimNodeStatus {
                allocatable: s.allocatable,
                capacity: s.capacity,
                ready: s.conditions.into_iter().find(|c| c.type_ == "Ready"),
                node_info: s.node_info,
            }),
        }
    }
}

/// For callers holding a k8s-openapi `Node` (the watch and the CLI read `SlimNode`s off the wire;
/// the tests check that both ways agree).
impl From<Node> for SlimNode {
    fn from(node: Node) -> Self {
        let spec = node.spec.map(|s| SlimNodeSpec {
            provider_id: s.provider_id,
            unschedulable: s.unschedulable,
        });
        let status = node.status.map(|s| SlimNodeStatus {
            allocatable: s.allocatable,
            capacity: s.capacity,
            ready: s
                .conditions
                .into_iter()
                .flatten()
                .find(|c| c.type_ == "Ready")
                .map(|c| SlimNodeCondition {
                    type_: c.type_,
                    status: c.status,
                    last_transition_time: c.last_transition_time,
                }),
            node_info: s.node_info.map(|i| SlimNodeInfo {
                kubelet_version: i.kubelet_version,
            }),
        });
        let mut metadata = node.metadata;
        metadata.annotations = None;
        metadata.managed_fields = None;
        SlimNode {
            metadata,
            spec,
            status,
        }
    }
}

impl Resource for SlimNode {
    type DynamicType = ();
    type Scope = k8s_openapi::ClusterResourceScope;

    fn kind(dt: &()) -> Cow<'_, str> {
        Node::kind(dt)
    }
    fn group(dt: &()) -> Cow<'_, str> {
        Node::group(dt)
    }
    fn version(dt: &()) -> Cow<'_, str> {
        Node::version(dt)
    }
    fn plural(dt: &()) -> Cow<'_, str> {
        Node::plural(dt)
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

#[cfg(test)]
mod tests;
