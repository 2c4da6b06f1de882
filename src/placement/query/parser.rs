//! Recursive-descent parser for the cluster query language (ecs-semantics.md §2.4).
//!
//! Why hand-written rather than a parser crate (winnow, chumsky, pest, nom): the grammar is
//! tiny (four precedence levels, seven subjects, a dozen operators) but context-sensitive in
//! ways combinator crates make awkward — `!` is negation before a subject and part of `!=`,
//! `!~`, `!in`, `!exists` after one; bare values such as `t2.*`, `2018-06-18T22:28:28+00:00`
//! or `i-abc` run until whitespace or a delimiter; operand types depend on the subject. A
//! hand-written parser gives exactly one error per input with the column, the alternatives
//! that were valid *there* ("an operator that runningTasksCount supports (==, !=, …)") and the
//! offending token, which is what a user editing a constraint in YAML needs; generic crates
//! report merged "expected one of" sets and need extra work for typed operands. It allocates
//! only for the AST, runs in one pass over ≤ 2000 characters, adds no dependency, and bounds
//! its own recursion (`MAX_NESTING`) so no input can exhaust the stack.

use regex::RegexBuilder;

use super::ast::{Arity, Expr, Operand, Operator, Pattern, Predicate, Subject, Value};
use super::error::ParseError;
use super::values::{TimeSpan, Version, parse_integer, parse_number};

/// ECS limit on a constraint expression (ecs-semantics.md §2.3, §7).
pub const MAX_EXPRESSION_CHARS: usize = 2000;
/// How deep parentheses and negations may nest.
pub const MAX_NESTING: usize = 32;

/// Compiled regexes are capped so a hostile pattern cannot take much memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

const SUBJECT_EXPECTED: &str = "a subject (attribute:<name>, task:group, agentConnected, \
     agentVersion, ec2InstanceId, registeredAt, runningTasksCount), 'not' or '('";
const OPERATOR_EXPECTED: &str = "an operator (==, !=, >, >=, <, <=, =~, !~, exists, !exists, \
     in, !in, or a word form such as equals, not_equals, greater_than, matches, not_in)";

/// Parses an expression into its syntax tree.
pub fn parse(source: &str) -> Result<Expr, ParseError> {
    let length = source.chars().count();
    if length > MAX_EXPRESSION_CHARS {
        return Err(ParseError {
            position: MAX_EXPRESSION_CHARS + 1,
            expected: format!("an expression of at most {MAX_EXPRESSION_CHARS} characters"),
            found: format!("{length} characters"),
        });
    }
    let mut parser = Parser {
        src: source,
        pos: 0,
        depth: 0,
    };
    let expr = parser.parse_or()?;
    parser.skip_ws();
    if parser.pos < source.len() {
        return Err(parser.error(parser.pos, "'and', 'or' or end of input"));
    }
    Ok(expr)
}

#[derive(Clone, Copy)]
enum ValueContext {
    Plain,
    Pattern,
}

struct Parser<'a> {
    src: &'a str,
    /// Byte offset; always on a char boundary.
    pos: usize,
    depth: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_attribute_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '\\' | '.' | '@')
}

fn is_delimiter(c: char) -> bool {
    matches!(c, '(' | ')' | '[' | ']' | ',' | '\'' | '"')
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.is_char_boundary(prefix.len())
        && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
    }

    fn column(&self, at: usize) -> usize {
        self.src[..at].chars().count() + 1
    }

    /// A short quote of the input at `at`, for "found …".
    fn describe(&self, at: usize) -> String {
        let rest = &self.src[at..];
        match rest.chars().next() {
            None => "end of input".into(),
            Some(c) if is_delimiter(c) => format!("'{c}'"),
            Some(_) => {
                let token: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !is_delimiter(*c))
                    .take(24)
                    .collect();
                format!("'{token}'")
            }
        }
    }

    fn error(&self, at: usize, expected: impl Into<String>) -> ParseError {
        ParseError {
            position: self.column(at),
            expected: expected.into(),
            found: self.describe(at),
        }
    }

    /// Consumes `keyword` (case-insensitive) when it stands as a whole word.
    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let rest = self.rest();
        if !starts_with_ignore_case(rest, keyword) {
            return false;
        }
        if rest[keyword.len()..]
            .chars()
            .next()
            .is_some_and(is_word_char)
        {
            return false;
        }
        self.pos += keyword.len();
        true
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        if self.rest().starts_with(symbol) {
            self.pos += symbol.len();
            true
        } else {
            false
        }
    }

    fn enter(&mut self, at: usize) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(ParseError {
                position: self.column(at),
                expected: format!("at most {MAX_NESTING} nested parentheses or negations"),
                found: "deeper nesting".into(),
            });
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn parse_or(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.parse_and()?];
        loop {
            self.skip_ws();
            if self.eat_symbol("||") || self.eat_keyword("or") {
                items.push(self.parse_and()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn parse_and(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.parse_unary()?];
        loop {
            self.skip_ws();
            if self.eat_symbol("&&") || self.eat_keyword("and") {
                items.push(self.parse_unary()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn parse_unary(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        let start = self.pos;
        let rest = self.rest();
        if rest.starts_with('(') {
            self.enter(start)?;
            self.pos += 1;
            let inner = self.parse_or()?;
            self.skip_ws();
            if !self.eat_symbol(")") {
                return Err(self.error(self.pos, "'and', 'or' or ')'"));
            }
            self.leave();
            return Ok(inner);
        }
        let bang_negation = rest.starts_with('!') && !rest[1..].starts_with(['=', '~']);
        if bang_negation || self.eat_keyword("not") {
            if bang_negation {
                self.pos += 1;
            }
            self.enter(start)?;
            let inner = self.parse_unary()?;
            self.leave();
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.parse_predicate().map(Expr::Predicate)
    }

    fn parse_predicate(&mut self) -> Result<Predicate, ParseError> {
        let subject = self.parse_subject()?;
        self.skip_ws();
        let operator_at = self.pos;
        let operator = self.parse_operator()?;
        let allowed = subject.allowed_operators();
        if !allowed.contains(&operator) {
            let list: Vec<&str> = allowed.iter().map(Operator::symbol).collect();
            return Err(ParseError {
                position: self.column(operator_at),
                expected: format!(
                    "an operator that {} supports ({})",
                    subject.name(),
                    list.join(", ")
                ),
                found: format!("'{}'", operator.symbol()),
            });
        }
        let operand = match operator.arity() {
            Arity::Nothing => Operand::None,
            Arity::Value => {
                self.skip_ws();
                if self.peek() == Some('[') {
                    return Err(self.error(
                        self.pos,
                        "a single value (a bracketed list goes with 'in' or '!in')",
                    ));
                }
                let (text, at) = self.parse_raw_value(ValueContext::Plain)?;
                Operand::Value(self.typed_value(&subject, text, at)?)
            }
            Arity::List => Operand::List(self.parse_list(&subject)?),
            Arity::Pattern => {
                let (text, at) = self.parse_raw_value(ValueContext::Pattern)?;
                Operand::Pattern(self.pattern(text, at)?)
            }
        };
        Ok(Predicate {
            subject,
            operator,
            operand,
        })
    }

    fn parse_subject(&mut self) -> Result<Subject, ParseError> {
        let start = self.pos;
        let rest = self.rest();
        if starts_with_ignore_case(rest, "attribute:") {
            self.pos += "attribute:".len();
            let name_len = self
                .rest()
                .find(|c: char| !is_attribute_name_char(c))
                .unwrap_or(self.rest().len());
            if name_len == 0 {
                return Err(self.error(self.pos, "an attribute name after 'attribute:'"));
            }
            let name = self.rest()[..name_len].to_string();
            self.pos += name_len;
            return Ok(Subject::Attribute(name));
        }
        let word_len = rest
            .find(|c: char| !(is_word_char(c) || c == ':'))
            .unwrap_or(rest.len());
        let word = &rest[..word_len];
        let subject = match word.to_ascii_lowercase().as_str() {
            "task:group" => Subject::TaskGroup,
            "agentconnected" => Subject::AgentConnected,
            "agentversion" => Subject::AgentVersion,
            "ec2instanceid" | "instanceid" => Subject::Ec2InstanceId,
            "registeredat" => Subject::RegisteredAt,
            "runningtaskscount" => Subject::RunningTasksCount,
            "memberof" => {
                return Err(self.error(
                    start,
                    "a subject (write the expression without the memberOf(...) wrapper)",
                ));
            }
            _ => return Err(self.error(start, SUBJECT_EXPECTED)),
        };
        self.pos += word_len;
        Ok(subject)
    }

    fn parse_operator(&mut self) -> Result<Operator, ParseError> {
        let rest = self.rest();
        for (symbol, operator) in Operator::SYMBOLS {
            if !starts_with_ignore_case(rest, symbol) {
                continue;
            }
            let ends_in_letter = symbol.ends_with(|c: char| c.is_ascii_alphabetic());
            if ends_in_letter
                && rest[symbol.len()..]
                    .chars()
                    .next()
                    .is_some_and(is_word_char)
            {
                continue;
            }
            self.pos += symbol.len();
            return Ok(operator);
        }
        let word_len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
        match Operator::from_word(&rest[..word_len]) {
            Some(operator) if word_len > 0 => {
                self.pos += word_len;
                Ok(operator)
            }
            _ => Err(self.error(self.pos, OPERATOR_EXPECTED)),
        }
    }

    /// A bare or quoted value; returns its text and where it started.
    fn parse_raw_value(&mut self, context: ValueContext) -> Result<(&'a str, usize), ParseError> {
        let ends_value = |c: char| match context {
            ValueContext::Plain => c.is_whitespace() || is_delimiter(c),
            // A bare pattern may hold a character class (`[0-9]+`, `[a,b]`): no list can
            // follow `=~`, so only parentheses, quotes and whitespace end it.
            ValueContext::Pattern => c.is_whitespace() || matches!(c, '(' | ')' | '\'' | '"'),
        };
        self.skip_ws();
        let start = self.pos;
        let rest = self.rest();
        match rest.chars().next() {
            None => Err(self.error(start, "a value")),
            Some(quote @ ('\'' | '"')) => {
                let body = &rest[1..];
                match body.find(quote) {
                    Some(end) => {
                        self.pos += 1 + end + 1;
                        Ok((&body[..end], start))
                    }
                    None => Err(ParseError {
                        position: self.column(self.src.len()),
                        expected: format!(
                            "a closing {quote} for the value opened at column {}",
                            self.column(start)
                        ),
                        found: "end of input".into(),
                    }),
                }
            }
            Some(c) if ends_value(c) => Err(self.error(start, "a value")),
            Some(_) => {
                let mut end = rest.len();
                let mut previous = '\0';
                for (i, c) in rest.char_indices() {
                    if ends_value(c) {
                        end = i;
                        break;
                    }
                    // `&&` / `||` end a bare value; a single `|` stays (regex alternation).
                    if (c == '&' && previous == '&') || (c == '|' && previous == '|') {
                        end = i - 1;
                        break;
                    }
                    previous = c;
                }
                if end == 0 {
                    return Err(self.error(start, "a value"));
                }
                self.pos += end;
                Ok((&rest[..end], start))
            }
        }
    }

    fn parse_list(&mut self, subject: &Subject) -> Result<Vec<Value>, ParseError> {
        self.skip_ws();
        if !self.eat_symbol("[") {
            return Err(self.error(self.pos, "'[' starting a list of values, such as [a, b]"));
        }
        let mut values = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(']') && values.is_empty() {
                return Err(self.error(self.pos, "at least one value in the list"));
            }
            let (text, at) = self.parse_raw_value(ValueContext::Plain)?;
            values.push(self.typed_value(subject, text, at)?);
            self.skip_ws();
            if self.eat_symbol(",") {
                continue;
            }
            if self.eat_symbol("]") {
                return Ok(values);
            }
            return Err(self.error(self.pos, "',' or ']'"));
        }
    }

    fn typed_value(&self, subject: &Subject, text: &str, at: usize) -> Result<Value, ParseError> {
        let invalid = |expected: &str| ParseError {
            position: self.column(at),
            expected: format!("{expected} for {}", subject.name()),
            found: format!("'{text}'"),
        };
        match subject {
            Subject::Attribute(_) | Subject::TaskGroup | Subject::Ec2InstanceId => {
                Ok(Value::Text {
                    text: text.to_string(),
                    number: parse_number(text),
                })
            }
            Subject::AgentConnected => match text.to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(invalid("true or false")),
            },
            Subject::AgentVersion => {
                let plausible = text
                    .trim_start_matches(['v', 'V'])
                    .starts_with(|c: char| c.is_ascii_digit());
                match Version::parse(text) {
                    Some(version) if plausible => Ok(Value::Version(version)),
                    _ => Err(invalid("a version such as 1.14.5")),
                }
            }
            Subject::RegisteredAt => TimeSpan::parse(text)
                .map(Value::Time)
                .ok_or_else(|| invalid("a date such as 2018-06-18 or 2018-06-18T22:28:28Z")),
            Subject::RunningTasksCount => parse_integer(text)
                .map(Value::Integer)
                .ok_or_else(|| invalid("a non-negative integer")),
        }
    }

    fn pattern(&self, text: &str, at: usize) -> Result<Pattern, ParseError> {
        RegexBuilder::new(&format!("^(?:{text})$"))
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(|regex| Pattern {
                source: text.to_string(),
                regex,
            })
            .map_err(|_| ParseError {
                position: self.column(at),
                expected: "a valid regular expression".into(),
                found: format!("'{text}'"),
            })
    }
}
