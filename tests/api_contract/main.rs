//! The API contract on a real kube-apiserver + etcd (started by `make test`), with no
//! operator running: CRDs install, manifests are admitted or rejected with the field named,
//! scale and status subresources behave.

#[path = "../support/mod.rs"]
mod support;

mod admission;
mod crds;
mod examples;
mod import_accepted;
mod pod_dry_run;
mod subresources;
