//! The parsed form of a cluster-query-language expression (ecs-semantics.md §2.4).

use regex::Regex;

use super::values::{TimeSpan, Version};

/// A boolean expression. `And`/`Or` are n-ary so that long chains (`a and b and c …`) stay
/// flat: evaluation and drop recursion are bounded by the parenthesis/`not` depth only.
#[derive(Clone, Debug)]
pub enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Predicate(Predicate),
}

/// `subject operator [operand]`.
#[derive(Clone, Debug)]
pub struct Predicate {
    pub subject: Subject,
    pub operator: Operator,
    pub operand: Operand,
}

/// What a predicate looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// `attribute:<name>`: a built-in or custom attribute.
    Attribute(String),
    /// `task:group`: the groups of the tasks running on the instance (a set).
    TaskGroup,
    AgentConnected,
    AgentVersion,
    /// `ec2InstanceId` (alias `instanceId`).
    Ec2InstanceId,
    RegisteredAt,
    RunningTasksCount,
}

impl Subject {
    /// The subject as written in ECS documentation.
    pub fn name(&self) -> String {
        match self {
            Subject::Attribute(name) => format!("attribute:{name}"),
            Subject::TaskGroup => "task:group".into(),
            Subject::AgentConnected => "agentConnected".into(),
            Subject::AgentVersion => "agentVersion".into(),
            Subject::Ec2InstanceId => "ec2InstanceId".into(),
            Subject::RegisteredAt => "registeredAt".into(),
            Subject::RunningTasksCount => "runningTasksCount".into(),
        }
    }

    /// Operators the subject supports: the ones ECS documents for it (ecs-semantics.md §2.4),
    /// plus `in`/`!in` wherever `==` makes sense, and `exists` only where a value can be
    /// missing.
    pub fn allowed_operators(&self) -> &'static [Operator] {
        use Operator::*;
        match self {
            Subject::Attribute(_) => &[
                Equals,
                NotEquals,
                GreaterThan,
                GreaterThanEqual,
                LessThan,
                LessThanEqual,
                Matches,
                NotMatches,
                Exists,
                NotExists,
                In,
                NotIn,
            ],
            Subject::TaskGroup => &[
                Equals, NotEquals, In, NotIn, Matches, NotMatches, Exists, NotExists,
            ],
            Subject::AgentConnected | Subject::Ec2InstanceId => {
                &[Equals, NotEquals, In, NotIn, Matches, NotMatches]
            }
            Subject::AgentVersion | Subject::RunningTasksCount => &[
                Equals,
                NotEquals,
                GreaterThan,
                GreaterThanEqual,
                LessThan,
                LessThanEqual,
                In,
                NotIn,
            ],
            Subject::RegisteredAt => &[
                Equals,
                NotEquals,
                GreaterThan,
                GreaterThanEqual,
                LessThan,
                LessThanEqual,
            ],
        }
    }

    /// Whether the subject changes while tasks are placed (so cached results go stale).
    pub fn depends_on_tasks(&self) -> bool {
        matches!(self, Subject::TaskGroup | Subject::RunningTasksCount)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Equals,
    NotEquals,
    GreaterThan,
    GreaterThanEqual,
    LessThan,
    LessThanEqual,
    Matches,
    NotMatches,
    Exists,
    NotExists,
    In,
    NotIn,
}

impl Operator {
    /// The symbol form, for messages.
    pub fn symbol(&self) -> &'static str {
        match self {
            Operator::Equals => "==",
            Operator::NotEquals => "!=",
            Operator::GreaterThan => ">",
            Operator::GreaterThanEqual => ">=",
            Operator::LessThan => "<",
            Operator::LessThanEqual => "<=",
            Operator::Matches => "=~",
            Operator::NotMatches => "!~",
            Operator::Exists => "exists",
            Operator::NotExists => "!exists",
            Operator::In => "in",
            Operator::NotIn => "!in",
        }
    }

    /// The word form (`equals`, `not_in`, …).
    pub fn from_word(word: &str) -> Option<Operator> {
        let op = match word.to_ascii_lowercase().as_str() {
            "equals" => Operator::Equals,
            "not_equals" => Operator::NotEquals,
            "greater_than" => Operator::GreaterThan,
            "greater_than_equal" => Operator::GreaterThanEqual,
            "less_than" => Operator::LessThan,
            "less_than_equal" => Operator::LessThanEqual,
            "matches" => Operator::Matches,
            "not_matches" => Operator::NotMatches,
            "exists" => Operator::Exists,
            "not_exists" => Operator::NotExists,
            "in" => Operator::In,
            "not_in" => Operator::NotIn,
            _ => return None,
        };
        Some(op)
    }

    /// Symbol forms, longest first so that `==` is not read as `=`…
    pub const SYMBOLS: [(&'static str, Operator); 10] = [
        ("!exists", Operator::NotExists),
        ("!in", Operator::NotIn),
        ("==", Operator::Equals),
        ("!=", Operator::NotEquals),
        (">=", Operator::GreaterThanEqual),
        ("<=", Operator::LessThanEqual),
        ("=~", Operator::Matches),
        ("!~", Operator::NotMatches),
        (">", Operator::GreaterThan),
        ("<", Operator::LessThan),
    ];

    /// What the operator takes after it.
    pub fn arity(&self) -> Arity {
        match self {
            Operator::Exists | Operator::NotExists => Arity::Nothing,
            Operator::In | Operator::NotIn => Arity::List,
            Operator::Matches | Operator::NotMatches => Arity::Pattern,
            _ => Arity::Value,
        }
    }

    /// `!=`, `!~`, `!in`, `!exists`: on the multi-valued `task:group` these mean "no task
    /// group satisfies the positive form".
    pub fn is_negated(&self) -> bool {
        matches!(
            self,
            Operator::NotEquals | Operator::NotMatches | Operator::NotIn | Operator::NotExists
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    Nothing,
    Value,
    List,
    Pattern,
}

/// The right-hand side of a predicate, already typed for its subject.
#[derive(Clone, Debug)]
pub enum Operand {
    None,
    Value(Value),
    List(Vec<Value>),
    Pattern(Pattern),
}

/// A typed value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string; `number` is set when it also reads as a decimal number (attribute ordering).
    Text {
        text: String,
        number: Option<f64>,
    },
    Integer(u64),
    Bool(bool),
    Version(Version),
    Time(TimeSpan),
}

/// A `=~` / `!~` pattern, compiled once. It must match the whole value (Java's
/// `Pattern.matches()`, the default reading of ECS's `t2.*`; ecs-semantics.md §2.4).
#[derive(Clone, Debug)]
pub struct Pattern {
    pub source: String,
    pub regex: Regex,
}
