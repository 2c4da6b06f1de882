//! Tests against a real kube-apiserver + etcd (started by `make test`): CRDs install,
//! manifests are admitted or rejected with the field named, scale and status subresources.

mod support;

mod admission;
mod crds;
mod examples;
mod subresources;
mod task_definitions;
