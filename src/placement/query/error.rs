//! Parse errors of the cluster query language: where, what was expected, what was found.

use std::fmt;

/// A cluster-query-language parse error.
///
/// `position` is the 1-based column (in characters) of the offending input, so it can be
/// shown under the expression with a caret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub position: usize,
    pub expected: String,
    pub found: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid expression at column {}: expected {}, found {}",
            self.position, self.expected, self.found
        )
    }
}

impl std::error::Error for ParseError {}
