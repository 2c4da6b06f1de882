//! Placement strategies (ecs-semantics.md §2.2): how fitting instances are ranked.

use std::fmt;

use super::labels::ATTR_AVAILABILITY_ZONE;

/// ECS allows at most five strategies per service or RunTask (ecs-semantics.md §7).
pub const MAX_STRATEGIES: usize = 5;

/// One placement strategy. A list of them is a lexicographic ranking: later strategies only
/// break the ties of earlier ones (ecs-semantics.md §2.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Place into the bucket holding the fewest tasks of the same group.
    Spread(SpreadField),
    /// Place on the fitting instance with the least of the resource left.
    Binpack(BinpackField),
    /// Any fitting instance, uniformly (seeded).
    Random,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SpreadField {
    /// `instanceId` or its alias `host`: every instance is its own bucket.
    InstanceId,
    /// `attribute:<name>`: instances sharing the attribute value form a bucket; instances
    /// without the attribute form one more bucket of their own **[inferred; undocumented]**.
    Attribute(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinpackField {
    Cpu,
    Memory,
}

/// Why a strategy from the API could not be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StrategyError {
    #[error("unknown placement strategy type '{0}' (expected random, spread or binpack)")]
    UnknownType(String),
    #[error("the {0} placement strategy needs a field")]
    MissingField(&'static str),
    #[error("invalid spread field '{0}' (expected instanceId, host or attribute:<name>)")]
    InvalidSpreadField(String),
    #[error("invalid binpack field '{0}' (expected cpu or memory)")]
    InvalidBinpackField(String),
}

impl Strategy {
    /// Reads `{"type": ..., "field": ...}` as ECS does: types and the well-known fields are
    /// case-insensitive; `random` ignores its field.
    pub fn parse(strategy_type: &str, field: Option<&str>) -> Result<Strategy, StrategyError> {
        let field = field.map(str::trim).filter(|f| !f.is_empty());
        match strategy_type.trim().to_ascii_lowercase().as_str() {
            "random" => Ok(Strategy::Random),
            "spread" => {
                let field = field.ok_or(StrategyError::MissingField("spread"))?;
                if field.eq_ignore_ascii_case("instanceId") || field.eq_ignore_ascii_case("host") {
                    return Ok(Strategy::Spread(SpreadField::InstanceId));
                }
                match field.split_once(':') {
                    Some((prefix, name))
                        if prefix.eq_ignore_ascii_case("attribute") && !name.is_empty() =>
                    {
                        Ok(Strategy::Spread(SpreadField::Attribute(name.to_string())))
                    }
                    _ => Err(StrategyError::InvalidSpreadField(field.to_string())),
                }
            }
            "binpack" => {
                let field = field.ok_or(StrategyError::MissingField("binpack"))?;
                if field.eq_ignore_ascii_case("cpu") {
                    Ok(Strategy::Binpack(BinpackField::Cpu))
                } else if field.eq_ignore_ascii_case("memory") {
                    Ok(Strategy::Binpack(BinpackField::Memory))
                } else {
                    Err(StrategyError::InvalidBinpackField(field.to_string()))
                }
            }
            other => Err(StrategyError::UnknownType(other.to_string())),
        }
    }

    /// `spread(attribute:<name>)`.
    pub fn spread_attribute(name: impl Into<String>) -> Strategy {
        Strategy::Spread(SpreadField::Attribute(name.into()))
    }

    /// `spread(attribute:ecs.availability-zone)`.
    pub fn spread_zone() -> Strategy {
        Strategy::spread_attribute(ATTR_AVAILABILITY_ZONE)
    }

    /// `spread(instanceId)`.
    pub fn spread_instance() -> Strategy {
        Strategy::Spread(SpreadField::InstanceId)
    }

    /// The ECS `type` value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Strategy::Spread(_) => "spread",
            Strategy::Binpack(_) => "binpack",
            Strategy::Random => "random",
        }
    }

    /// The ECS `field` value.
    pub fn field(&self) -> Option<String> {
        match self {
            Strategy::Spread(SpreadField::InstanceId) => Some("instanceId".into()),
            Strategy::Spread(SpreadField::Attribute(name)) => Some(format!("attribute:{name}")),
            Strategy::Binpack(BinpackField::Cpu) => Some("cpu".into()),
            Strategy::Binpack(BinpackField::Memory) => Some("memory".into()),
            Strategy::Random => None,
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field() {
            Some(field) => write!(f, "{}({field})", self.type_name()),
            None => write!(f, "{}", self.type_name()),
        }
    }
}

/// Service tasks without strategies: spread over zones, then the instance with the fewest
/// tasks of the service (ecs-semantics.md §2.2 "Defaults").
pub fn default_service_strategies() -> Vec<Strategy> {
    vec![Strategy::spread_zone(), Strategy::spread_instance()]
}

/// Standalone (RunTask) tasks without strategies: random.
pub fn default_standalone_strategies() -> Vec<Strategy> {
    vec![Strategy::Random]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases: Vec<(&str, Option<&str>, Result<Strategy, StrategyError>)> = vec![
            ("random", None, Ok(Strategy::Random)),
            ("RANDOM", Some("ignored"), Ok(Strategy::Random)),
            (
                "spread",
                Some("instanceId"),
                Ok(Strategy::spread_instance()),
            ),
            ("spread", Some("host"), Ok(Strategy::spread_instance())),
            (
                "spread",
                Some("attribute:ecs.availability-zone"),
                Ok(Strategy::spread_zone()),
            ),
            (
                "spread",
                Some("attribute:stack"),
                Ok(Strategy::spread_attribute("stack")),
            ),
            ("spread", None, Err(StrategyError::MissingField("spread"))),
            (
                "spread",
                Some("zone"),
                Err(StrategyError::InvalidSpreadField("zone".into())),
            ),
            (
                "spread",
                Some("attribute:"),
                Err(StrategyError::InvalidSpreadField("attribute:".into())),
            ),
            (
                "binpack",
                Some("memory"),
                Ok(Strategy::Binpack(BinpackField::Memory)),
            ),
            (
                "binpack",
                Some("CPU"),
                Ok(Strategy::Binpack(BinpackField::Cpu)),
            ),
            (
                "binpack",
                Some("disk"),
                Err(StrategyError::InvalidBinpackField("disk".into())),
            ),
            (
                "binpack",
                Some(""),
                Err(StrategyError::MissingField("binpack")),
            ),
            ("pack", None, Err(StrategyError::UnknownType("pack".into()))),
        ];
        for (kind, field, want) in cases {
            assert_eq!(Strategy::parse(kind, field), want, "{kind} {field:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            Strategy::spread_zone(),
            Strategy::spread_instance(),
            Strategy::Binpack(BinpackField::Cpu),
            Strategy::Random,
        ] {
            assert_eq!(
                Strategy::parse(s.type_name(), s.field().as_deref()),
                Ok(s.clone())
            );
        }
        assert_eq!(
            Strategy::spread_zone().to_string(),
            "spread(attribute:ecs.availability-zone)"
        );
    }
}
