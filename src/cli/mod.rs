//! Subcommands of the binary other than `run`: small, synchronous, no API calls.

pub mod crds;
pub mod import;
pub mod instances;
pub mod run;
