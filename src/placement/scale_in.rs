//! Which tasks to stop when a service shrinks (ecs-semantics.md §2.2 "when scaling in", §3.8):
//! the placement strategies read backwards. spread → from the most crowded bucket (zone), then
//! instance; binpack → the task whose instance will have the most of the resource left after
//! stopping it; random → random. The same lexicographic chain and index as placement, with
//! "most first" ordering.

use std::collections::{HashSet, VecDeque};

use super::model::Resources;
use super::ranking::{Direction, Ranking};
use super::request::{RequestError, TaskKind, effective_strategies, service_group};
use super::rng::Rng;
use super::snapshot::Snapshot;
use super::strategy::{BinpackField, MAX_STRATEGIES, Strategy};
use super::tie_index::TieIndex;

/// A request to pick `count` tasks of `group` to stop.
#[derive(Clone, Debug)]
pub struct ScaleInRequest {
    pub group: String,
    pub kind: TaskKind,
    pub count: u32,
    /// Ids of the tasks that may be stopped (e.g. one deployment's); `None` = every task of the
    /// group. Spread balance is always judged on all of the group's tasks.
    pub candidates: Option<Vec<String>>,
    /// Empty = the defaults for `kind` (services: most crowded zone, then instance).
    pub strategies: Vec<Strategy>,
    pub seed: u64,
}

impl ScaleInRequest {
    pub fn service(service_name: &str, count: u32) -> Self {
        Self {
            group: service_group(service_name),
            kind: TaskKind::Service,
            count,
            candidates: None,
            strategies: Vec::new(),
            seed: 0,
        }
    }

    pub fn standalone(group: impl Into<String>, count: u32) -> Self {
        Self {
            group: group.into(),
            kind: TaskKind::Standalone,
            ..Self::service("", count)
        }
    }

    pub fn with_candidates(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.candidates = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    pub fn with_strategies(mut self, strategies: impl IntoIterator<Item = Strategy>) -> Self {
        self.strategies.extend(strategies);
        self
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

impl Snapshot {
    /// The ids of the tasks to stop, in order, at most `count`.
    ///
    /// Tasks on DRAINING instances or on instances missing from the snapshot go first: they
    /// are leaving anyway **[inferred]**. The rest follow the strategies.
    pub fn select_tasks_to_stop(&self, request: &ScaleInRequest) -> Result<Vec<String>, RequestError> {
        if request.strategies.len() > MAX_STRATEGIES {
            return Err(RequestError::TooManyStrategies(request.strategies.len()));
        }
        let wanted = request.count as usize;
        let positions = self.candidate_positions(request);
        let mut chosen = Vec::new();
        let n = self.instances.len();
        let mut per_instance: Vec<VecDeque<usize>> = vec![VecDeque::new(); n];
        for p in positions {
            let Some(record) = self.tasks[p].as_ref() else {
                continue;
            };
            match record.instance {
                Some(i) if self.instances[i as usize].counts_for_spread() => {
                    per_instance[i as usize].push_back(p);
                }
                _ if chosen.len() < wanted => chosen.push(record.task.id.clone()),
                _ => {}
            }
        }
        if chosen.len() >= wanted {
            return Ok(chosen);
        }

        let strategies = effective_strategies(&request.strategies, request.kind);
        let mut group_count = vec![0u32; n];
        for task in self.tasks_of_group(&request.group) {
            if let Some(i) = self.position(&task.instance) {
                group_count[i] += 1;
            }
        }
        // The first binpack resource decides which task of an instance leaves the most.
        let binpack = strategies.iter().find_map(|s| match s {
            Strategy::Binpack(field) => Some(*field),
            _ => None,
        });
        let size = |p: usize| {
            let r = self.tasks[p].as_ref().map_or(Resources::default(), |t| t.task.reservation);
            match binpack {
                Some(BinpackField::Cpu) => r.cpu,
                Some(BinpackField::Memory) => r.memory,
                None => 0,
            }
        };
        for queue in &mut per_instance {
            // Stable: equal sizes keep candidate order.
            queue.make_contiguous().sort_by_key(|&p| std::cmp::Reverse(size(p)));
        }
        let mut remaining: Vec<Resources> = self.instances.iter().map(|r| r.info.remaining).collect();
        let mut ranking = Ranking::new(self, &strategies, &group_count, Direction::MostFirst);
        let class_of = (0..n).map(|i| ranking.class_of(i)).collect();
        let mut index = TieIndex::new(class_of, ranking.class_count());
        let key = |i: usize, queue: &VecDeque<usize>, group_count: &[u32], remaining: &[Resources], ranking: &Ranking| {
            let next = queue.front().and_then(|&p| self.tasks[p].as_ref());
            let after_stop = remaining[i].saturating_add(&next.map_or(Resources::default(), |t| t.task.reservation));
            ranking.instance_key(group_count[i], after_stop)
        };
        for (i, queue) in per_instance.iter().enumerate() {
            if !queue.is_empty() {
                index.insert(i, key(i, queue, &group_count, &remaining, &ranking));
            }
        }
        let mut rng = Rng::new(request.seed);
        while chosen.len() < wanted {
            let Some(i) = index.select(|c, k| ranking.full_key(c, k), &mut rng) else {
                break;
            };
            index.remove(i);
            let Some(p) = per_instance[i].pop_front() else {
                continue;
            };
            let Some(record) = self.tasks[p].as_ref() else {
                continue;
            };
            chosen.push(record.task.id.clone());
            remaining[i] = remaining[i].saturating_add(&record.task.reservation);
            if &*record.group == request.group.as_str() {
                group_count[i] = group_count[i].saturating_sub(1);
                ranking.record(i, true, false);
            }
            if !per_instance[i].is_empty() {
                index.insert(i, key(i, &per_instance[i], &group_count, &remaining, &ranking));
            }
        }
        Ok(chosen)
    }

    /// Candidate task positions, deduplicated, in a deterministic order.
    fn candidate_positions(&self, request: &ScaleInRequest) -> Vec<usize> {
        match &request.candidates {
            None => self
                .by_group
                .get(request.group.as_str())
                .cloned()
                .unwrap_or_default(),
            Some(ids) => {
                let mut seen = HashSet::new();
                ids.iter()
                    .filter_map(|id| self.task_position(id))
                    .filter(|p| seen.insert(*p))
                    .collect()
            }
        }
    }
}
