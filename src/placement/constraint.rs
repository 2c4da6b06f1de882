//! Placement constraints (ecs-semantics.md §2.3): hard filters after the resource check.

use std::fmt;

use super::query::{Expression, ParseError};

/// ECS allows at most ten constraints per task, task definition and runtime ones together
/// (ecs-semantics.md §2.3, §7).
pub const MAX_CONSTRAINTS: usize = 10;

#[derive(Clone, Debug)]
pub enum Constraint {
    /// Every task of the group on a different instance.
    DistinctInstance,
    /// The instance must satisfy a cluster-query-language expression.
    MemberOf(Expression),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConstraintError {
    #[error("unknown placement constraint type '{0}' (expected distinctInstance or memberOf)")]
    UnknownType(String),
    #[error("the distinctInstance placement constraint takes no expression")]
    UnexpectedExpression,
    #[error("the memberOf placement constraint needs an expression")]
    MissingExpression,
    #[error("memberOf expression: {0}")]
    InvalidExpression(#[from] ParseError),
}

impl Constraint {
    /// Reads `{"type": ..., "expression": ...}` as the ECS API does.
    pub fn parse(constraint_type: &str, expression: Option<&str>) -> Result<Self, ConstraintError> {
        let expression = expression.filter(|e| !e.trim().is_empty());
        match constraint_type.trim().to_ascii_lowercase().as_str() {
            "distinctinstance" => match expression {
                None => Ok(Constraint::DistinctInstance),
                Some(_) => Err(ConstraintError::UnexpectedExpression),
            },
            "memberof" => {
                let source = expression.ok_or(ConstraintError::MissingExpression)?;
                Ok(Constraint::MemberOf(Expression::parse(source)?))
            }
            other => Err(ConstraintError::UnknownType(other.to_string())),
        }
    }

    /// `memberOf(<expression>)`, parsed.
    pub fn member_of(expression: &str) -> Result<Self, ParseError> {
        Expression::parse(expression).map(Constraint::MemberOf)
    }

    /// Whether the constraint's outcome on an instance can change as tasks are placed.
    pub fn depends_on_tasks(&self) -> bool {
        match self {
            Constraint::DistinctInstance => true,
            Constraint::MemberOf(expr) => expr.depends_on_tasks(),
        }
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::DistinctInstance => f.write_str("distinctInstance"),
            Constraint::MemberOf(expr) => write!(f, "memberOf({expr})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        assert!(matches!(
            Constraint::parse("distinctInstance", None),
            Ok(Constraint::DistinctInstance)
        ));
        assert!(matches!(
            Constraint::parse("memberOf", Some("attribute:a exists")),
            Ok(Constraint::MemberOf(_))
        ));
        assert_eq!(
            Constraint::parse("distinctInstance", Some("attribute:a exists")).unwrap_err(),
            ConstraintError::UnexpectedExpression
        );
        assert_eq!(
            Constraint::parse("memberOf", None).unwrap_err(),
            ConstraintError::MissingExpression
        );
        assert!(matches!(
            Constraint::parse("memberOf", Some("attribute:a ==")).unwrap_err(),
            ConstraintError::InvalidExpression(_)
        ));
        assert_eq!(
            Constraint::parse("affinity", None).unwrap_err(),
            ConstraintError::UnknownType("affinity".into())
        );
        let c = Constraint::member_of("attribute:a exists").unwrap();
        assert_eq!(c.to_string(), "memberOf(attribute:a exists)");
        assert!(Constraint::DistinctInstance.depends_on_tasks());
        assert!(!c.depends_on_tasks());
    }
}
