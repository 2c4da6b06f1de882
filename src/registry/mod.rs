//! The task-definition registry, pure: revisions are immutable snapshots of a
//! TaskDefinition's spec, stored as `apps/v1` ControllerRevision objects, numbered per
//! family and never reused (ecs-semantics.md §5.1).
//!
//! Revisions are deliberately *not* owned by the TaskDefinition object: deleting the
//! TaskDefinition leaves them (and the tasks running from them) in place, and its family
//! becomes INACTIVE — existing services keep running and may still scale from them, new
//! services and tasks cannot start from them, and re-creating the family continues the
//! numbering instead of reusing numbers.

mod resolve;
mod revision;

pub use resolve::{ResolveError, Resolved, resolve};
pub use revision::{
    Revision, RevisionDecision, decide_revision, spec_hash, to_controller_revision,
};
