//! The ECS cluster query language (ecs-semantics.md §2.4), used by `memberOf` constraints.
//!
//! ```
//! use ecs_operator::placement::{ContainerInstance, Expression, Resources};
//!
//! let expr = Expression::parse("attribute:ecs.instance-type =~ t2.* and not(task:group == db)")?;
//! let node = ContainerInstance::new("node-a", Resources::new(2048, 4096))
//!     .with_attribute("ecs.instance-type", "t2.small");
//! assert!(expr.matches(&node));
//! # Ok::<(), ecs_operator::placement::ParseError>(())
//! ```

mod ast;
mod error;
mod eval;
mod parser;
mod values;

use std::fmt;

pub use ast::{Expr, Operand, Operator, Pattern, Predicate, Subject, Value};
pub use error::ParseError;
pub use eval::InstanceFacts;
pub use parser::{MAX_EXPRESSION_CHARS, MAX_NESTING};
pub use values::{TimeSpan, Version};

use super::model::ContainerInstance;

/// A parsed, ready-to-evaluate expression (regexes compiled once).
#[derive(Clone, Debug)]
pub struct Expression {
    source: String,
    root: Expr,
    depends_on_tasks: bool,
}

impl Expression {
    pub fn parse(source: &str) -> Result<Expression, ParseError> {
        let root = parser::parse(source)?;
        let depends_on_tasks = mentions_task_state(&root);
        Ok(Expression {
            source: source.to_string(),
            root,
            depends_on_tasks,
        })
    }

    /// The text the expression was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn root(&self) -> &Expr {
        &self.root
    }

    /// True when the expression reads `task:group` or `runningTasksCount`, whose values change
    /// as tasks are placed; other expressions can be evaluated once per instance and cached.
    pub fn depends_on_tasks(&self) -> bool {
        self.depends_on_tasks
    }

    pub fn matches<F: InstanceFacts + ?Sized>(&self, facts: &F) -> bool {
        eval::eval(&self.root, facts)
    }
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for Expression {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Expression::parse(s)
    }
}

fn mentions_task_state(expr: &Expr) -> bool {
    match expr {
        Expr::Or(items) | Expr::And(items) => items.iter().any(mentions_task_state),
        Expr::Not(inner) => mentions_task_state(inner),
        Expr::Predicate(p) => p.subject.depends_on_tasks(),
    }
}

/// A bare instance with no tasks on it.
impl InstanceFacts for ContainerInstance {
    fn attribute(&self, name: &str) -> Option<&str> {
        ContainerInstance::attribute(self, name)
    }

    fn ec2_instance_id(&self) -> &str {
        ContainerInstance::ec2_instance_id(self)
    }

    fn agent_connected(&self) -> bool {
        self.agent_connected
    }

    fn agent_version(&self) -> Option<&str> {
        self.agent_version.as_deref()
    }

    fn registered_at(&self) -> Option<i64> {
        self.registered_at
    }

    fn running_tasks_count(&self) -> u64 {
        0
    }

    fn any_task_group(&self, _test: &mut dyn FnMut(&str) -> bool) -> bool {
        false
    }
}

#[cfg(test)]
mod tests;
