//! Schema checks that need no API server: crds/ is what the Rust types generate, and every
//! field of every ECS shape a kind must accept is in that kind's schema.

mod crds_in_sync;
mod field_coverage;
