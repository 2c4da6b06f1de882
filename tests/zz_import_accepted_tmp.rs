// Temporary harness (deleted after the run): the api_server modules without editing main.rs.
#[path = "api_server/support.rs"]
mod support;
#[path = "api_server/import_accepted.rs"]
mod import_accepted;
