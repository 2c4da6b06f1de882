//! The pure placement engine (issue 3): a snapshot of container instances and tasks in,
//! placement decisions out. No API calls.
