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
    pub fn select_tasks_to_stop(
        &self,
        request: &ScaleInRequest,
    ) -> Result<Vec<String>, RequestError> {
        if request.strategies.len() > MAX_STRATEGIES {
            return Err(RequestError::TooManyStrategies(request.strategies.len()));
        }
        let wanted = request.count as usize;
        let mut chosen = Vec::new();
        let mut queues: Vec<VecDeque<usize>> = vec![VecDeque::new(); self.instances.len()];
        for p in self.candidate_positions(request) {
            let Some(record) = self.tasks[p].as_ref() else {
                continue;
            };
            match record.instance {
                Some(i) if self.instances[i as usize].counts_for_spread() => {
                    queues[i as usize].push_back(p);
                }
                _ if chosen.len() < wanted => chosen.push(record.task.id.to_string()),
                _ => {}
            }
        }
        if chosen.len() < wanted {
            let mut selection = Selection::new(self, request, queues);
            let mut rng = Rng::new(request.seed);
            while chosen.len() < wanted {
                match selection.next(&mut rng) {
                    Some(id) => chosen.push(id),
                    None => break,
                }
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

/// The strategy-driven part of scale-in: instances holding candidates, ranked "most first".
struct Selection<'a> {
    snapshot: &'a Snapshot,
    group: &'a str,
    /// Candidate task positions per instance, the one to stop first in front.
    queues: Vec<VecDeque<usize>>,
    group_count: Vec<u32>,
    remaining: Vec<Resources>,
    ranking: Ranking,
    index: TieIndex,
}

impl<'a> Selection<'a> {
    fn new(
        snapshot: &'a Snapshot,
        request: &'a ScaleInRequest,
        mut queues: Vec<VecDeque<usize>>,
    ) -> Self {
        let strategies = effective_strategies(&request.strategies, request.kind);
        let n = snapshot.instances.len();
        let mut group_count = vec![0u32; n];
        for task in snapshot.tasks_of_group(&request.group) {
            if let Some(i) = snapshot.position(&task.instance) {
                group_count[i] += 1;
            }
        }
        // Within an instance, stop first the task whose departure frees the most of the first
        // binpack resource (stable: equal sizes keep candidate order).
        let binpack = strategies.iter().find_map(|s| match s {
            Strategy::Binpack(field) => Some(*field),
            _ => None,
        });
        let size = |p: usize| {
            let r = reservation_at(snapshot, p);
            match binpack {
                Some(BinpackField::Cpu) => r.cpu,
                Some(BinpackField::Memory) => r.memory,
                None => 0,
            }
        };
        for queue in &mut queues {
            queue
                .make_contiguous()
                .sort_by_key(|&p| std::cmp::Reverse(size(p)));
        }
        let ranking = Ranking::new(snapshot, &strategies, &group_count, Direction::MostFirst);
        let class_of = (0..n).map(|i| ranking.class_of(i)).collect();
        let index = TieIndex::new(class_of, ranking.class_count());
        let mut selection = Selection {
            snapshot,
            group: &request.group,
            queues,
            group_count,
            remaining: snapshot
                .instances
                .iter()
                .map(|r| r.info.remaining)
                .collect(),
            ranking,
            index,
        };
        for i in 0..n {
            selection.reindex(i);
        }
        selection
    }

    /// Binpack ranks by what the instance will have left once its next candidate stops.
    fn reindex(&mut self, i: usize) {
        self.index.remove(i);
        let Some(&next) = self.queues[i].front() else {
            return;
        };
        let after_stop = self.remaining[i].saturating_add(&reservation_at(self.snapshot, next));
        let key = self.ranking.instance_key(self.group_count[i], after_stop);
        self.index.insert(i, key);
    }

    /// The next task to stop.
    fn next(&mut self, rng: &mut Rng) -> Option<String> {
        loop {
            let i = self.index.select(|c, k| self.ranking.full_key(c, k), rng)?;
            let Some(p) = self.queues[i].pop_front() else {
                self.index.remove(i);
                continue;
            };
            let Some(record) = self.snapshot.tasks[p].as_ref() else {
                self.reindex(i);
                continue;
            };
            self.remaining[i] = self.remaining[i].saturating_add(&record.task.reservation);
            if &*record.group == self.group {
                self.group_count[i] = self.group_count[i].saturating_sub(1);
                self.ranking.record(i, true, false);
            }
            self.reindex(i);
            return Some(record.task.id.to_string());
        }
    }
}

fn reservation_at(snapshot: &Snapshot, position: usize) -> Resources {
    snapshot.tasks[position]
        .as_ref()
        .map_or(Resources::default(), |t| t.task.reservation)
}

#[cfg(test)]
mod tests;
