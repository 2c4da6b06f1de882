//! Shared copies of strings that many cached objects repeat. Every task of a service carries
//! the same label and annotation keys and nearly the same values (service, cluster, group,
//! family, task-definition ARN); one `Arc<str>` each instead of one `String` per Pod.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex};

/// Below this many entries the pool is never pruned.
const MIN_PRUNE_AT: usize = 1024;

struct Pool {
    strings: HashSet<Arc<str>>,
    /// The pool drops strings no one else holds when it grows to this size, so strings of
    /// deleted objects (task ids, ARNs) do not accumulate; doubling keeps that amortised O(1).
    prune_at: usize,
}

static POOL: LazyLock<Mutex<Pool>> = LazyLock::new(|| {
    Mutex::new(Pool {
        strings: HashSet::new(),
        prune_at: MIN_PRUNE_AT,
    })
});

/// The shared copy of `s`.
pub fn intern(s: &str) -> Arc<str> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(shared) = pool.strings.get(s) {
        return shared.clone();
    }
    if pool.strings.len() >= pool.prune_at {
        pool.strings.retain(|s| Arc::strong_count(s) > 1);
        pool.prune_at = (pool.strings.len() * 2).max(MIN_PRUNE_AT);
    }
    let shared: Arc<str> = Arc::from(s);
    pool.strings.insert(shared.clone());
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_copy() {
        let a = intern("ecs.operator.dev/service");
        let b = intern(&String::from("ecs.operator.dev/service"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &intern("ecs.operator.dev/cluster")));
    }

    #[test]
    fn strings_no_one_holds_are_dropped_as_the_pool_grows() {
        let kept = intern("interned-test-kept");
        for i in 0..4 * MIN_PRUNE_AT {
            intern(&format!("interned-test-{i}"));
        }
        let pool = POOL.lock().unwrap();
        assert!(pool.strings.contains("interned-test-kept"));
        assert!(
            pool.strings.len() <= 2 * MIN_PRUNE_AT + 1,
            "unheld strings pruned: {} left",
            pool.strings.len()
        );
        drop(pool);
        drop(kept);
    }
}
