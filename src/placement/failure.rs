//! Why tasks could not be placed, in ECS terms (ecs-semantics.md §2.5): a reason per
//! instance (RunTask `failures[]`) and the service-event sentence naming the closest match.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// ECS placement failure reasons, in pipeline order (ecs-semantics.md §2.1, §2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureReason {
    /// The agent is disconnected (node NotReady).
    Agent,
    /// A `requiresAttributes` attribute is missing.
    Attribute,
    ResourceCpu,
    ResourceMemory,
    ResourcePorts,
    MemberOf,
    DistinctInstance,
}

impl FailureReason {
    /// The exact ECS `reason` string.
    pub fn as_ecs(&self) -> &'static str {
        match self {
            FailureReason::Agent => "AGENT",
            FailureReason::Attribute => "ATTRIBUTE",
            FailureReason::ResourceCpu => "RESOURCE:CPU",
            FailureReason::ResourceMemory => "RESOURCE:MEMORY",
            FailureReason::ResourcePorts => "RESOURCE:PORTS",
            FailureReason::MemberOf => "MemberOf placement constraint unsatisfied",
            FailureReason::DistinctInstance => "DistinctInstance placement constraint unsatisfied",
        }
    }

    /// Capacity shortfalls go away when tasks stop; the others need a cluster or spec change.
    pub fn is_capacity(&self) -> bool {
        matches!(
            self,
            FailureReason::ResourceCpu
                | FailureReason::ResourceMemory
                | FailureReason::ResourcePorts
        )
    }

    /// How near an instance failing (first) for this reason is to fitting; smaller = nearer.
    /// An instance that only lacks free capacity is the most useful one to name
    /// **[inferred: ECS does not document how it picks the closest match]**.
    fn distance(&self) -> u8 {
        match self {
            FailureReason::ResourceCpu
            | FailureReason::ResourceMemory
            | FailureReason::ResourcePorts => 0,
            FailureReason::DistinctInstance => 1,
            FailureReason::MemberOf => 2,
            FailureReason::Attribute => 3,
            FailureReason::Agent => 4,
        }
    }

    /// The end of the service event sentence (ecs-semantics.md §2.5). ECS documents the
    /// wording for CPU, memory, ports and AGENT; the `encountered error "<reason>"` form is
    /// reused for the others **[inferred]**.
    fn event_clause(&self) -> String {
        match self {
            FailureReason::ResourceCpu => "has insufficient CPU units available.".into(),
            FailureReason::ResourceMemory => "has insufficient memory available.".into(),
            FailureReason::ResourcePorts => "is already using a port required by your task.".into(),
            other => format!("encountered error \"{}\".", other.as_ecs()),
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_ecs())
    }
}

/// One failed check on one instance, with a human detail
/// (`needs 512 MiB, 256 MiB remaining`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortfall {
    pub reason: FailureReason,
    pub detail: String,
}

/// An instance and the first check it failed (the RunTask `failures[]` entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceRejection {
    pub instance: Arc<str>,
    pub reason: FailureReason,
    pub detail: String,
}

/// Why `unplaced` tasks of a request could not be placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementFailure {
    pub unplaced: u32,
    /// One entry per ACTIVE-or-disconnected instance (DRAINING instances are not candidates
    /// and are left out), in snapshot order.
    pub rejections: Vec<InstanceRejection>,
    /// The instance that came closest: fewest failed checks, then the nearest reason, then
    /// the smallest id.
    pub closest: Option<InstanceRejection>,
}

impl PlacementFailure {
    pub(crate) fn from_diagnoses(
        unplaced: u32,
        diagnoses: impl IntoIterator<Item = (Arc<str>, Vec<Shortfall>)>,
    ) -> PlacementFailure {
        let mut rejections = Vec::new();
        let mut closest: Option<(usize, u8, InstanceRejection)> = None;
        for (instance, shortfalls) in diagnoses {
            let Some(first) = shortfalls.first() else {
                continue;
            };
            let rejection = InstanceRejection {
                instance,
                reason: first.reason,
                detail: first.detail.clone(),
            };
            let rank = (shortfalls.len(), first.reason.distance());
            let better = match &closest {
                None => true,
                Some((count, distance, best)) => {
                    rank < (*count, *distance)
                        || (rank == (*count, *distance) && rejection.instance < best.instance)
                }
            };
            if better {
                closest = Some((rank.0, rank.1, rejection.clone()));
            }
            rejections.push(rejection);
        }
        PlacementFailure {
            unplaced,
            rejections,
            closest: closest.map(|(_, _, r)| r),
        }
    }

    /// The ECS service-event text without the `service X was` prefix:
    /// `unable to place a task because no container instance met all of its requirements.
    /// The closest matching container-instance <id> has insufficient memory available.`
    pub fn message(&self) -> String {
        const HEAD: &str =
            "unable to place a task because no container instance met all of its requirements.";
        match &self.closest {
            Some(c) => format!(
                "{HEAD} The closest matching container-instance {} {}",
                c.instance,
                c.reason.event_clause()
            ),
            None => format!("{HEAD} Reason: No Container Instances were found in your cluster."),
        }
    }

    /// The full service event: `service <name> was unable to place a task because …`.
    pub fn service_event(&self, service_name: &str) -> String {
        format!("service {service_name} was {}", self.message())
    }

    /// How many instances failed for each reason.
    pub fn reason_counts(&self) -> BTreeMap<FailureReason, usize> {
        let mut counts = BTreeMap::new();
        for r in &self.rejections {
            *counts.entry(r.reason).or_insert(0) += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(reason: FailureReason) -> Shortfall {
        Shortfall {
            reason,
            detail: String::new(),
        }
    }

    #[test]
    fn closest_prefers_fewest_failures_then_capacity_reasons() {
        let failure = PlacementFailure::from_diagnoses(
            2,
            vec![
                (Arc::from("a"), vec![s(FailureReason::Agent)]),
                (Arc::from("b"), vec![s(FailureReason::MemberOf)]),
                (Arc::from("d"), vec![s(FailureReason::ResourceMemory)]),
                (Arc::from("c"), vec![s(FailureReason::ResourceMemory)]),
                (
                    Arc::from("e"),
                    vec![
                        s(FailureReason::ResourceCpu),
                        s(FailureReason::ResourceMemory),
                    ],
                ),
            ],
        );
        assert_eq!(failure.closest.as_ref().unwrap().instance.as_ref(), "c");
        assert_eq!(
            failure.message(),
            "unable to place a task because no container instance met all of its requirements. \
             The closest matching container-instance c has insufficient memory available."
        );
        assert_eq!(failure.reason_counts()[&FailureReason::ResourceMemory], 2);
        assert_eq!(failure.rejections.len(), 5);
    }

    #[test]
    fn event_wording_per_reason() {
        let cases = [
            (
                FailureReason::ResourceCpu,
                "has insufficient CPU units available.",
            ),
            (
                FailureReason::ResourceMemory,
                "has insufficient memory available.",
            ),
            (
                FailureReason::ResourcePorts,
                "is already using a port required by your task.",
            ),
            (FailureReason::Agent, "encountered error \"AGENT\"."),
            (FailureReason::Attribute, "encountered error \"ATTRIBUTE\"."),
            (
                FailureReason::MemberOf,
                "encountered error \"MemberOf placement constraint unsatisfied\".",
            ),
            (
                FailureReason::DistinctInstance,
                "encountered error \"DistinctInstance placement constraint unsatisfied\".",
            ),
        ];
        for (reason, clause) in cases {
            let f =
                PlacementFailure::from_diagnoses(1, vec![(Arc::from("node-1"), vec![s(reason)])]);
            assert_eq!(
                f.service_event("web"),
                format!(
                    "service web was unable to place a task because no container instance met \
                     all of its requirements. The closest matching container-instance node-1 {clause}"
                )
            );
        }
        let empty = PlacementFailure::from_diagnoses(1, Vec::new());
        assert!(
            empty
                .message()
                .ends_with("Reason: No Container Instances were found in your cluster.")
        );
    }
}
