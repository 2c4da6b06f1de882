//! Evaluating an expression against one container instance.

use std::cmp::Ordering;

use super::ast::{Expr, Operand, Operator, Predicate, Subject, Value};
use super::values::{Version, parse_number};

/// What the query language can ask about a container instance.
pub trait InstanceFacts {
    fn attribute(&self, name: &str) -> Option<&str>;
    fn ec2_instance_id(&self) -> &str;
    fn agent_connected(&self) -> bool;
    fn agent_version(&self) -> Option<&str>;
    /// Seconds since the Unix epoch.
    fn registered_at(&self) -> Option<i64>;
    fn running_tasks_count(&self) -> u64;
    /// Whether the group of any task on the instance satisfies `test`.
    fn any_task_group(&self, test: &mut dyn FnMut(&str) -> bool) -> bool;
}

pub(super) fn eval<F: InstanceFacts + ?Sized>(expr: &Expr, facts: &F) -> bool {
    match expr {
        Expr::Or(items) => items.iter().any(|e| eval(e, facts)),
        Expr::And(items) => items.iter().all(|e| eval(e, facts)),
        Expr::Not(inner) => !eval(inner, facts),
        Expr::Predicate(p) => eval_predicate(p, facts),
    }
}

fn eval_predicate<F: InstanceFacts + ?Sized>(p: &Predicate, facts: &F) -> bool {
    let op = p.operator;
    match &p.subject {
        // A missing attribute satisfies only `!exists`: AWS's "`attribute:stack != prod` lists
        // instances that have `stack` with another value" (ecs-semantics.md §2.4) [inferred].
        Subject::Attribute(name) => match facts.attribute(name) {
            Some(value) => text_test(op, &p.operand, value),
            None => op == Operator::NotExists,
        },
        // `task:group` is a set. Positive operators hold when some task's group matches;
        // negated ones when none does, so `task:group != db` means "hosts no db task", the
        // same as `not(task:group == db)` [inferred: ECS documents only == and not(...)].
        Subject::TaskGroup => {
            let positive = positive_form(op);
            let any = facts.any_task_group(&mut |group| text_test(positive, &p.operand, group));
            any != op.is_negated()
        }
        Subject::Ec2InstanceId => text_test(op, &p.operand, facts.ec2_instance_id()),
        Subject::AgentConnected => {
            let connected = facts.agent_connected();
            if let Operand::Pattern(pattern) = &p.operand {
                let text = if connected { "true" } else { "false" };
                return pattern.regex.is_match(text) != (op == Operator::NotMatches);
            }
            ordered_test(op, &p.operand, |value| match value {
                Value::Bool(b) => Some(connected.cmp(b)),
                _ => None,
            })
        }
        Subject::AgentVersion => {
            let Some(version) = facts.agent_version().and_then(Version::parse) else {
                return false;
            };
            ordered_test(op, &p.operand, |value| match value {
                Value::Version(other) => Some(version.cmp(other)),
                _ => None,
            })
        }
        Subject::RegisteredAt => {
            let Some(instant) = facts.registered_at() else {
                return false;
            };
            ordered_test(op, &p.operand, |value| match value {
                Value::Time(span) => Some(span.locate(instant)),
                _ => None,
            })
        }
        Subject::RunningTasksCount => {
            let count = facts.running_tasks_count();
            ordered_test(op, &p.operand, |value| match value {
                Value::Integer(n) => Some(count.cmp(n)),
                _ => None,
            })
        }
    }
}

fn positive_form(op: Operator) -> Operator {
    match op {
        Operator::NotEquals => Operator::Equals,
        Operator::NotMatches => Operator::Matches,
        Operator::NotIn => Operator::In,
        Operator::NotExists => Operator::Exists,
        other => other,
    }
}

/// String subjects: equality, lists, patterns, and ordering (numeric when both sides are
/// numbers, else lexicographic — ECS says "value string compare"; numeric order is what
/// `attribute:cores > 4` users mean) [inferred].
fn text_test(op: Operator, operand: &Operand, value: &str) -> bool {
    match op {
        Operator::Exists => true,
        Operator::NotExists => false,
        Operator::Matches | Operator::NotMatches => match operand {
            Operand::Pattern(pattern) => {
                pattern.regex.is_match(value) != (op == Operator::NotMatches)
            }
            _ => false,
        },
        _ => {
            // Equality and lists compare strings; only ordering reads numbers.
            let ordering = matches!(
                op,
                Operator::GreaterThan
                    | Operator::GreaterThanEqual
                    | Operator::LessThan
                    | Operator::LessThanEqual
            );
            let value_number = if ordering { parse_number(value) } else { None };
            ordered_test(op, operand, |other| match other {
                Value::Text { text, number } => Some(match (value_number, number) {
                    (Some(a), Some(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
                    _ => value.cmp(text.as_str()),
                }),
                _ => None,
            })
        }
    }
}

/// Equality, ordering and list membership given "how does the instance's value compare with
/// this operand value". A type mismatch (impossible after parsing) is false.
fn ordered_test(
    op: Operator,
    operand: &Operand,
    compare: impl Fn(&Value) -> Option<Ordering>,
) -> bool {
    let holds = |value: &Value, wanted: fn(Ordering) -> bool| compare(value).is_some_and(wanted);
    match (op, operand) {
        (Operator::Equals, Operand::Value(v)) => holds(v, Ordering::is_eq),
        (Operator::NotEquals, Operand::Value(v)) => holds(v, Ordering::is_ne),
        (Operator::GreaterThan, Operand::Value(v)) => holds(v, Ordering::is_gt),
        (Operator::GreaterThanEqual, Operand::Value(v)) => holds(v, Ordering::is_ge),
        (Operator::LessThan, Operand::Value(v)) => holds(v, Ordering::is_lt),
        (Operator::LessThanEqual, Operand::Value(v)) => holds(v, Ordering::is_le),
        (Operator::In, Operand::List(values)) => values.iter().any(|v| holds(v, Ordering::is_eq)),
        (Operator::NotIn, Operand::List(values)) => values
            .iter()
            .all(|v| compare(v).is_some_and(Ordering::is_ne)),
        _ => false,
    }
}
