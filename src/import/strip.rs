//! Dropping the read-only members of an ECS response object, with a note saying what went.

use serde_json::{Map, Value};

use super::quoted;

/// Removes `fields` from `object`; returns the note to print, naming the object's ARN
/// (read from `arn_field` before it goes) so the user can tell where the manifest came from.
pub fn drop_read_only(
    object: &mut Map<String, Value>,
    fields: &[&str],
    arn_field: &str,
) -> Option<String> {
    let arn = object
        .get(arn_field)
        .and_then(Value::as_str)
        .map(str::to_owned);
    let dropped: Vec<&str> = fields
        .iter()
        .copied()
        .filter(|f| object.remove(*f).is_some())
        .collect();
    if dropped.is_empty() {
        return None;
    }
    let from = arn
        .map(|a| format!("imported from {a}; "))
        .unwrap_or_default();
    Some(format!(
        "{from}dropped read-only fields {}",
        quoted(&dropped)
    ))
}
