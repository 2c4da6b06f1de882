//! Shared copies of what many cached objects repeat. Every task of a service carries the same
//! label and annotation keys and nearly the same values (service, cluster, group, family,
//! task-definition ARN); one `Arc<str>` each instead of one `String` per Pod, and one shared
//! list of them per deployment instead of one per Pod.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::{Arc, LazyLock, Mutex};

/// Below this many entries a pool is never pruned.
const MIN_PRUNE_AT: usize = 1024;

/// A key and its value, both shared.
pub type Pair = (Arc<str>, Arc<str>);

struct Pool<T: ?Sized> {
    items: HashSet<Arc<T>>,
    /// The pool drops items no one else holds when it grows to this size, so those of deleted
    /// objects do not accumulate; doubling keeps that amortised O(1).
    prune_at: usize,
}

impl<T: ?Sized + Hash + Eq> Pool<T> {
    fn new() -> Mutex<Self> {
        Mutex::new(Pool {
            items: HashSet::new(),
            prune_at: MIN_PRUNE_AT,
        })
    }

    fn get_or_insert(pool: &Mutex<Self>, item: &T, make: impl FnOnce(&T) -> Arc<T>) -> Arc<T> {
        let mut pool = pool.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(shared) = pool.items.get(item) {
            return shared.clone();
        }
        if pool.items.len() >= pool.prune_at {
            pool.items.retain(|s| Arc::strong_count(s) > 1);
            pool.prune_at = (pool.items.len() * 2).max(MIN_PRUNE_AT);
        }
        let shared = make(item);
        pool.items.insert(shared.clone());
        shared
    }
}

static STRINGS: LazyLock<Mutex<Pool<str>>> = LazyLock::new(Pool::new);
static PAIR_LISTS: LazyLock<Mutex<Pool<[Pair]>>> = LazyLock::new(Pool::new);

/// The shared copy of `s`.
pub fn intern(s: &str) -> Arc<str> {
    Pool::get_or_insert(&STRINGS, s, |s| Arc::from(s))
}

/// The shared copy of a list of pairs (a Pod's labels, say: every task of a deployment has
/// the same ones).
pub fn intern_pairs(pairs: &[Pair]) -> Arc<[Pair]> {
    Pool::get_or_insert(&PAIR_LISTS, pairs, |p| Arc::from(p))
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
        let pool = STRINGS.lock().unwrap();
        assert!(pool.items.contains("interned-test-kept"));
        assert!(
            pool.items.len() <= 2 * MIN_PRUNE_AT + 1,
            "unheld strings pruned: {} left",
            pool.items.len()
        );
        drop(pool);
        drop(kept);
    }

    #[test]
    fn equal_pair_lists_share_one_copy() {
        let pair = |k: &str, v: &str| (intern(k), intern(v));
        let a = intern_pairs(&[pair("a", "1"), pair("b", "2")]);
        let b = intern_pairs(&[pair("a", "1"), pair("b", "2")]);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &intern_pairs(&[pair("a", "1")])));
    }
}
