//! Reading the input: JSON syntax errors with line and column, and short descriptions of
//! values for "expected …, found …" messages.

use serde_json::{Map, Value};

use super::error::ImportError;

/// Parses the input. `expected` says what a good input looks like, for the empty case.
pub fn parse(input: &str, expected: &'static str) -> Result<Value, ImportError> {
    // PowerShell redirection writes a UTF-8 byte-order mark; JSON parsers reject it.
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    if input.trim().is_empty() {
        return Err(ImportError::Empty { expected });
    }
    serde_json::from_str(input).map_err(|e| ImportError::Json {
        line: e.line(),
        column: e.column(),
        message: without_position(&e.to_string()),
    })
}

/// serde_json appends " at line L column C"; the error carries those separately.
fn without_position(message: &str) -> String {
    match message.rsplit_once(" at line ") {
        Some((head, _)) => head.to_owned(),
        None => message.to_owned(),
    }
}

/// "a JSON array", "an object with keys `a`, `b`", … for error messages.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "a JSON array".into(),
        Value::Object(map) if map.is_empty() => "an empty object".into(),
        Value::Object(map) => {
            const SHOWN: usize = 6;
            let mut keys: Vec<String> = map.keys().take(SHOWN).map(|k| format!("`{k}`")).collect();
            if map.len() > SHOWN {
                keys.push(format!("… ({} in all)", map.len()));
            }
            format!("an object with keys {}", keys.join(", "))
        }
    }
}

/// Removes object members whose value is `null`, recursively: `null` means "not set" in
/// ECS JSON, and the typed spec drops it too, so it must not count as lost.
pub fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_line_column_and_expectation() {
        let err = parse("{\n  \"family\": \"web\"\n  \"cpu\": \"256\"\n}", "x").unwrap_err();
        match err {
            ImportError::Json {
                line,
                column,
                message,
            } => {
                assert_eq!((line, column), (3, 3));
                assert_eq!(message, "expected `,` or `}`");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn empty_and_bom_inputs() {
        assert!(matches!(parse(" \n", "x"), Err(ImportError::Empty { .. })));
        assert_eq!(parse("\u{feff}{}", "x").unwrap(), serde_json::json!({}));
    }

    #[test]
    fn nulls_are_removed_from_objects_only() {
        let v = serde_json::json!({"a": null, "b": [null, {"c": null, "d": 1}]});
        assert_eq!(strip_nulls(v), serde_json::json!({"b": [null, {"d": 1}]}));
    }
}
