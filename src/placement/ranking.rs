//! Strategy chains as lexicographic sort keys (ecs-semantics.md §2.2: "later strategies only
//! break ties"), split so that selection stays cheap:
//!
//! - `spread(attribute:X)` ranks by the task count of the instance's *bucket* (all instances
//!   sharing the value of X). Instances with the same values for every spread attribute form
//!   a *class*; inside a class those components are equal, so they are computed once per class
//!   per decision from per-bucket counters.
//! - `spread(instanceId)`, `binpack(cpu)`, `binpack(memory)` rank by the instance's own state
//!   (its task count of the group, its remaining cpu or memory): the *instance key*, kept in an
//!   ordered index per class (tie_index.rs) and updated only for the instance that changed.
//! - `random` ends the key: everything after it can never break a tie, and the remaining tie
//!   is broken uniformly at random. Without `random`, the final tie is broken randomly too.
//!
//! Repeated components are dropped (a second `binpack(memory)` can never break a tie the
//! first left), so an instance key has at most three parts and a full key at most five.

use std::collections::HashMap;

use super::model::Resources;
use super::snapshot::Snapshot;
use super::strategy::{BinpackField, MAX_STRATEGIES, SpreadField, Strategy};

pub(crate) const INSTANCE_PARTS: usize = 3;
pub(crate) type InstanceKey = [u64; INSTANCE_PARTS];
pub(crate) type FullKey = [u64; MAX_STRATEGIES];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Task count of the instance's bucket for spread attribute slot `n`.
    Bucket(usize),
    /// Task count of the group on the instance.
    InstanceTasks,
    RemainingCpu,
    RemainingMemory,
}

/// Placement prefers small values (fewest tasks, least remaining); scale-in prefers large
/// ones (most crowded bucket, most resources left after stopping, ecs-semantics.md §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    FewestFirst,
    MostFirst,
}

pub(crate) struct Ranking {
    parts: Vec<Part>,
    direction: Direction,
    /// slot → instance → bucket.
    bucket_of: Vec<Vec<u32>>,
    /// slot → bucket → tasks of the group in it.
    counts: Vec<Vec<u64>>,
    /// instance → class.
    class_of: Vec<u32>,
    /// class → slot → bucket.
    class_buckets: Vec<Vec<u32>>,
}

impl Ranking {
    /// `group_counts[i]` = tasks of the group on instance `i`. Only ACTIVE instances count
    /// towards buckets (see `InstanceRecord::counts_for_spread`).
    pub(crate) fn new(
        snapshot: &Snapshot,
        strategies: &[Strategy],
        group_counts: &[u32],
        direction: Direction,
    ) -> Ranking {
        let (mut parts, attributes) = compile(strategies);
        let n = snapshot.instances.len();
        let mut bucket_of: Vec<Vec<u32>> = Vec::with_capacity(attributes.len());
        let mut counts: Vec<Vec<u64>> = Vec::with_capacity(attributes.len());
        let mut degenerate = Vec::with_capacity(attributes.len());
        for name in &attributes {
            let mut ids = BucketIds::default();
            let mut slot_buckets = Vec::with_capacity(n);
            let mut slot_counts: Vec<u64> = Vec::new();
            let mut sizes: Vec<u32> = Vec::new();
            for (i, record) in snapshot.instances.iter().enumerate() {
                let value = record.info.attribute(name);
                let next = ids.len();
                let bucket = ids.get_or_insert(value);
                if bucket == next {
                    slot_counts.push(0);
                    sizes.push(0);
                }
                if record.counts_for_spread() {
                    slot_counts[bucket as usize] += u64::from(group_counts[i]);
                    sizes[bucket as usize] += 1;
                }
                slot_buckets.push(bucket);
            }
            // Every bucket holds at most one instance (e.g. spread by a per-node attribute):
            // the bucket count is the instance's own count, so rank per instance instead of
            // making one class per instance.
            degenerate.push(sizes.iter().all(|&s| s <= 1));
            bucket_of.push(slot_buckets);
            counts.push(slot_counts);
        }
        let mut kept_slots = Vec::new();
        let mut seen_instance_tasks = parts.contains(&Part::InstanceTasks);
        parts.retain_mut(|part| {
            let Part::Bucket(slot) = *part else {
                return true;
            };
            if !degenerate[slot] {
                *part = Part::Bucket(kept_slots.len());
                kept_slots.push(slot);
                return true;
            }
            if seen_instance_tasks {
                return false;
            }
            seen_instance_tasks = true;
            *part = Part::InstanceTasks;
            true
        });
        // A later InstanceTasks duplicate of a converted slot is dropped.
        let mut first_seen = Vec::new();
        parts.retain(|p| {
            if first_seen.contains(p) {
                false
            } else {
                first_seen.push(*p);
                true
            }
        });
        let bucket_of: Vec<Vec<u32>> = kept_slots
            .iter()
            .map(|&s| std::mem::take(&mut bucket_of[s]))
            .collect();
        let counts: Vec<Vec<u64>> = kept_slots
            .iter()
            .map(|&s| std::mem::take(&mut counts[s]))
            .collect();

        let (class_of, class_buckets) = classes(&bucket_of, &counts, n);
        Ranking {
            parts,
            direction,
            bucket_of,
            counts,
            class_of,
            class_buckets,
        }
    }

    pub(crate) fn class_count(&self) -> usize {
        self.class_buckets.len()
    }

    pub(crate) fn class_of(&self, instance: usize) -> u32 {
        self.class_of[instance]
    }

    fn orient(&self, value: u64) -> u64 {
        match self.direction {
            Direction::FewestFirst => value,
            Direction::MostFirst => u64::MAX - value,
        }
    }

    /// The per-instance part of the key.
    pub(crate) fn instance_key(&self, group_tasks: u32, remaining: Resources) -> InstanceKey {
        let mut key = [0; INSTANCE_PARTS];
        let mut at = 0;
        for part in &self.parts {
            let value = match part {
                Part::Bucket(_) => continue,
                Part::InstanceTasks => u64::from(group_tasks),
                Part::RemainingCpu => remaining.cpu,
                Part::RemainingMemory => remaining.memory,
            };
            if at < INSTANCE_PARTS {
                key[at] = self.orient(value);
                at += 1;
            }
        }
        key
    }

    /// The whole key of an instance of `class` whose instance key is `key`.
    pub(crate) fn full_key(&self, class: usize, key: &InstanceKey) -> FullKey {
        let mut full = [0; MAX_STRATEGIES];
        let mut at = 0;
        for (n, part) in self.parts.iter().take(MAX_STRATEGIES).enumerate() {
            full[n] = match part {
                Part::Bucket(slot) => {
                    let bucket = self.class_buckets[class][*slot] as usize;
                    self.orient(self.counts[*slot][bucket])
                }
                _ => {
                    let value = key.get(at).copied().unwrap_or(0);
                    at += 1;
                    value
                }
            };
        }
        full
    }

    /// A task of the group was added to (`added`) or removed from instance `i`; only tasks on
    /// instances that count for spread move the bucket counters.
    pub(crate) fn record(&mut self, i: usize, counts_for_spread: bool, added: bool) {
        if !counts_for_spread {
            return;
        }
        for (slot, buckets) in self.bucket_of.iter().enumerate() {
            let count = &mut self.counts[slot][buckets[i] as usize];
            *count = if added {
                count.saturating_add(1)
            } else {
                count.saturating_sub(1)
            };
        }
    }

    /// The compiled key parts (tests).
    #[cfg(test)]
    pub(crate) fn parts(&self) -> &[Part] {
        &self.parts
    }
}

/// Attribute value → bucket id. Spread attributes usually have a handful of values (zones),
/// where a linear scan beats hashing; many values switch to a map.
#[derive(Default)]
struct BucketIds<'a> {
    values: Vec<Option<&'a str>>,
    map: HashMap<Option<&'a str>, u32>,
}

impl<'a> BucketIds<'a> {
    const SCAN_LIMIT: usize = 16;

    fn len(&self) -> u32 {
        self.values.len() as u32
    }

    fn get_or_insert(&mut self, value: Option<&'a str>) -> u32 {
        if self.values.len() <= Self::SCAN_LIMIT {
            if let Some(at) = self.values.iter().position(|v| *v == value) {
                return at as u32;
            }
        } else if let Some(&id) = self.map.get(&value) {
            return id;
        }
        let id = self.len();
        self.values.push(value);
        if self.values.len() > Self::SCAN_LIMIT {
            if self.map.is_empty() {
                self.map
                    .extend(self.values.iter().enumerate().map(|(i, v)| (*v, i as u32)));
            } else {
                self.map.insert(value, id);
            }
        }
        id
    }
}

/// Instance → class and class → bucket per slot. One class per combination of bucket values
/// that occurs; the common cases (no spread attribute, one) skip the tuple hashing.
fn classes(bucket_of: &[Vec<u32>], counts: &[Vec<u64>], n: usize) -> (Vec<u32>, Vec<Vec<u32>>) {
    match bucket_of {
        [] => (vec![0; n], vec![Vec::new()]),
        [only] => {
            let class_buckets = (0..counts[0].len() as u32).map(|b| vec![b]).collect();
            (only.clone(), class_buckets)
        }
        _ => {
            let mut class_ids: HashMap<Vec<u32>, u32> = HashMap::new();
            let mut class_buckets: Vec<Vec<u32>> = Vec::new();
            let mut class_of = Vec::with_capacity(n);
            let mut tuple = Vec::with_capacity(bucket_of.len());
            for i in 0..n {
                tuple.clear();
                tuple.extend(bucket_of.iter().map(|slot| slot[i]));
                let class = match class_ids.get(&tuple) {
                    Some(&c) => c,
                    None => {
                        let c = class_buckets.len() as u32;
                        class_ids.insert(tuple.clone(), c);
                        class_buckets.push(tuple.clone());
                        c
                    }
                };
                class_of.push(class);
            }
            if class_buckets.is_empty() {
                class_buckets.push(Vec::new());
            }
            (class_of, class_buckets)
        }
    }
}

/// Strategies → key parts and the attribute of each bucket slot.
fn compile(strategies: &[Strategy]) -> (Vec<Part>, Vec<String>) {
    let mut parts = Vec::new();
    let mut attributes: Vec<String> = Vec::new();
    for strategy in strategies.iter().take(MAX_STRATEGIES) {
        let part = match strategy {
            Strategy::Random => break,
            Strategy::Spread(SpreadField::InstanceId) => Part::InstanceTasks,
            Strategy::Spread(SpreadField::Attribute(name)) => {
                match attributes.iter().position(|a| a == name) {
                    Some(slot) => Part::Bucket(slot),
                    None => {
                        attributes.push(name.clone());
                        Part::Bucket(attributes.len() - 1)
                    }
                }
            }
            Strategy::Binpack(BinpackField::Cpu) => Part::RemainingCpu,
            Strategy::Binpack(BinpackField::Memory) => Part::RemainingMemory,
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    (parts, attributes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::{ContainerInstance, Resources};

    fn snapshot(zones: &[&str]) -> Snapshot {
        Snapshot::new(
            zones.iter().enumerate().map(|(i, z)| {
                ContainerInstance::new(format!("n{i}"), Resources::new(1024, 1024))
                    .with_attribute("ecs.availability-zone", *z)
                    .with_attribute("hostname", format!("n{i}"))
            }),
            [],
        )
    }

    #[test]
    fn compile_dedupes_and_cuts_at_random() {
        let (parts, attrs) = compile(&[
            Strategy::spread_zone(),
            Strategy::Binpack(BinpackField::Memory),
            Strategy::spread_zone(),
            Strategy::Random,
            Strategy::spread_instance(),
        ]);
        assert_eq!(parts, vec![Part::Bucket(0), Part::RemainingMemory]);
        assert_eq!(attrs, vec!["ecs.availability-zone".to_string()]);
    }

    #[test]
    fn classes_follow_attribute_values_and_unique_values_rank_per_instance() {
        let snap = snapshot(&["a", "b", "a", "c"]);
        let r = Ranking::new(
            &snap,
            &[Strategy::spread_zone()],
            &[0; 4],
            Direction::FewestFirst,
        );
        assert_eq!(r.class_count(), 3);
        assert_eq!(r.class_of(0), r.class_of(2));
        let r = Ranking::new(
            &snap,
            &[
                Strategy::spread_attribute("hostname"),
                Strategy::spread_instance(),
            ],
            &[0; 4],
            Direction::FewestFirst,
        );
        assert_eq!(r.parts(), &[Part::InstanceTasks]);
        assert_eq!(r.class_count(), 1);
    }

    #[test]
    fn keys_are_lexicographic_in_chain_order() {
        let snap = snapshot(&["a", "b", "a", "b"]);
        let mut r = Ranking::new(
            &snap,
            &[
                Strategy::Binpack(BinpackField::Cpu),
                Strategy::spread_zone(),
            ],
            &[0; 4],
            Direction::FewestFirst,
        );
        r.record(0, true, true);
        let k = r.instance_key(1, Resources::new(100, 5));
        assert_eq!(k, [100, 0, 0]);
        assert_eq!(r.full_key(r.class_of(0) as usize, &k), [100, 1, 0, 0, 0]);
        let down = Ranking::new(
            &snap,
            &[Strategy::spread_zone()],
            &[3, 1, 0, 0],
            Direction::MostFirst,
        );
        assert!(
            down.full_key(down.class_of(0) as usize, &[0; 3])
                < down.full_key(down.class_of(1) as usize, &[0; 3])
        );
    }
}
