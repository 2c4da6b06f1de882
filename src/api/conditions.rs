//! Kubernetes status conditions (metav1.Condition) and the one rule that matters for them:
//! `lastTransitionTime` moves only when `status` flips, so a reconcile that changes nothing
//! writes nothing (Argo CD and other watchers see no churn).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// The `status.conditions` list of every kind, a list-map keyed by `type`.
pub type Conditions = Vec<Condition>;

/// Condition status values.
pub const TRUE: &str = "True";
pub const FALSE: &str = "False";
pub const UNKNOWN: &str = "Unknown";

/// The desired state of one condition, before timestamps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionUpdate<'a> {
    pub type_: &'a str,
    pub status: &'a str,
    pub reason: &'a str,
    pub message: String,
    pub observed_generation: Option<i64>,
}

/// Sets a condition in place. Returns true when anything changed. `lastTransitionTime` is
/// set to `now` only when the condition is new or its status flips.
pub fn set_condition(conditions: &mut Conditions, update: ConditionUpdate<'_>, now: Time) -> bool {
    match conditions.iter_mut().find(|c| c.type_ == update.type_) {
        Some(existing) => {
            let flipped = existing.status != update.status;
            let changed = flipped
                || existing.reason != update.reason
                || existing.message != update.message
                || existing.observed_generation != update.observed_generation;
            if flipped {
                existing.last_transition_time = now;
            }
            existing.status = update.status.to_string();
            existing.reason = update.reason.to_string();
            existing.message = update.message;
            existing.observed_generation = update.observed_generation;
            changed
        }
        None => {
            conditions.push(Condition {
                type_: update.type_.to_string(),
                status: update.status.to_string(),
                reason: update.reason.to_string(),
                message: update.message,
                observed_generation: update.observed_generation,
                last_transition_time: now,
            });
            true
        }
    }
}

/// Finds a condition by type.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// True when the condition exists with status "True".
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find(conditions, type_).is_some_and(|c| c.status == TRUE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(secs: i64) -> Time {
        Time(k8s_openapi::jiff::Timestamp::from_second(secs).unwrap())
    }

    fn ready(status: &str, reason: &str) -> ConditionUpdate<'static> {
        ConditionUpdate {
            type_: "Ready",
            status: if status == TRUE { TRUE } else { FALSE },
            reason: if reason == "A" { "A" } else { "B" },
            message: String::new(),
            observed_generation: Some(1),
        }
    }

    #[test]
    fn transition_time_moves_only_on_flip() {
        let mut c = Conditions::new();
        assert!(set_condition(&mut c, ready(TRUE, "A"), time(10)));
        assert!(!set_condition(&mut c, ready(TRUE, "A"), time(20)));
        assert_eq!(c[0].last_transition_time, time(10));
        // Reason changes are changes, but not transitions.
        assert!(set_condition(&mut c, ready(TRUE, "B"), time(30)));
        assert_eq!(c[0].last_transition_time, time(10));
        assert!(set_condition(&mut c, ready(FALSE, "B"), time(40)));
        assert_eq!(c[0].last_transition_time, time(40));
        assert_eq!(c.len(), 1);
        assert!(!is_true(&c, "Ready"));
    }
}
