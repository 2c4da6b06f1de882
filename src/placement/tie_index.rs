//! The ordered index behind every decision: per class, the eligible instances grouped by
//! instance key in a `BTreeMap`, each key holding its tied instances in a vector. Selecting
//! the best instance costs O(classes) + O(log n); moving an instance after it took a task
//! costs O(log n). Nothing scans all instances per decision.

use std::collections::BTreeMap;

use super::ranking::{FullKey, InstanceKey};
use super::rng::Rng;

const ABSENT: u32 = u32::MAX;

pub(crate) struct TieIndex {
    classes: Vec<BTreeMap<InstanceKey, Vec<u32>>>,
    class_of: Vec<u32>,
    key_of: Vec<InstanceKey>,
    /// Position in the tie vector; `ABSENT` when not indexed.
    slot_of: Vec<u32>,
    len: usize,
}

impl TieIndex {
    pub(crate) fn new(class_of: Vec<u32>, class_count: usize) -> Self {
        let n = class_of.len();
        Self {
            classes: (0..class_count).map(|_| BTreeMap::new()).collect(),
            class_of,
            key_of: vec![[0; 3]; n],
            slot_of: vec![ABSENT; n],
            len: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn contains(&self, item: usize) -> bool {
        self.slot_of[item] != ABSENT
    }

    pub(crate) fn insert(&mut self, item: usize, key: InstanceKey) {
        if self.contains(item) {
            self.remove(item);
        }
        let class = self.class_of[item] as usize;
        let ties = self.classes[class].entry(key).or_default();
        self.slot_of[item] = ties.len() as u32;
        ties.push(item as u32);
        self.key_of[item] = key;
        self.len += 1;
    }

    pub(crate) fn remove(&mut self, item: usize) {
        let slot = self.slot_of[item];
        if slot == ABSENT {
            return;
        }
        let class = self.class_of[item] as usize;
        let key = self.key_of[item];
        let map = &mut self.classes[class];
        if let Some(ties) = map.get_mut(&key) {
            ties.swap_remove(slot as usize);
            if let Some(&moved) = ties.get(slot as usize) {
                self.slot_of[moved as usize] = slot;
            }
            if ties.is_empty() {
                map.remove(&key);
            }
        }
        self.slot_of[item] = ABSENT;
        self.len -= 1;
    }

    /// The instance with the smallest full key; ties (within and across classes) are broken
    /// uniformly at random.
    pub(crate) fn select(
        &self,
        full_key: impl Fn(usize, &InstanceKey) -> FullKey,
        rng: &mut Rng,
    ) -> Option<usize> {
        let mut best: Option<FullKey> = None;
        let mut tied = 0usize;
        for (class, map) in self.classes.iter().enumerate() {
            let Some((key, ties)) = map.first_key_value() else {
                continue;
            };
            let full = full_key(class, key);
            match best {
                Some(b) if full > b => {}
                Some(b) if full == b => tied += ties.len(),
                _ => {
                    best = Some(full);
                    tied = ties.len();
                }
            }
        }
        let best = best?;
        let mut pick = if tied > 1 { rng.below(tied) } else { 0 };
        for (class, map) in self.classes.iter().enumerate() {
            let Some((key, ties)) = map.first_key_value() else {
                continue;
            };
            if full_key(class, key) != best {
                continue;
            }
            if pick < ties.len() {
                return Some(ties[pick] as usize);
            }
            pick -= ties.len();
        }
        None
    }

    /// Every indexed instance.
    #[cfg(test)]
    pub(crate) fn all(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.slot_of.len()).filter(|&i| self.contains(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_remove_select() {
        let mut index = TieIndex::new(vec![0, 0, 1, 1], 2);
        let mut rng = Rng::new(1);
        index.insert(0, [5, 0, 0]);
        index.insert(1, [3, 0, 0]);
        index.insert(2, [3, 0, 0]);
        index.insert(3, [9, 0, 0]);
        assert_eq!(index.len(), 4);
        let key = |_: usize, k: &InstanceKey| [k[0], 0, 0, 0, 0];
        let mut seen = [false; 4];
        for _ in 0..64 {
            let i = index.select(key, &mut rng).unwrap();
            assert!(i == 1 || i == 2);
            seen[i] = true;
        }
        assert!(seen[1] && seen[2], "ties across classes are both reachable");
        index.remove(1);
        index.remove(2);
        assert_eq!(index.select(key, &mut rng), Some(0));
        index.insert(0, [10, 0, 0]);
        assert_eq!(index.select(key, &mut rng), Some(3));
        index.remove(0);
        index.remove(3);
        index.remove(3);
        assert_eq!(index.len(), 0);
        assert_eq!(index.select(key, &mut rng), None);
    }

    #[test]
    fn swap_remove_keeps_slots_consistent() {
        let mut index = TieIndex::new(vec![0; 5], 1);
        for i in 0..5 {
            index.insert(i, [0; 3]);
        }
        index.remove(0);
        index.remove(4);
        index.remove(2);
        let mut rng = Rng::new(3);
        let key = |_: usize, _: &InstanceKey| [0; 5];
        for _ in 0..32 {
            let i = index.select(key, &mut rng).unwrap();
            assert!(i == 1 || i == 3);
        }
        assert_eq!(index.all().collect::<Vec<_>>(), vec![1, 3]);
    }
}
