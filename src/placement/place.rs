//! `Snapshot::place`: the placement loop. Filters once, then per task: pick the best indexed
//! instance, reserve on it, re-check and re-key only that instance.

use super::failure::PlacementFailure;
use super::ranking::{Direction, Ranking};
use super::request::{Placement, PlacementRequest, RequestError};
use super::rng::Rng;
use super::snapshot::Snapshot;
use super::tie_index::TieIndex;
use super::working::Working;

/// The decisions for one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlacementOutcome {
    /// One per placed task, in decision order.
    pub placements: Vec<Placement>,
    /// Set when fewer than `count` tasks were placed.
    pub failure: Option<PlacementFailure>,
}

impl PlacementOutcome {
    pub fn is_complete(&self) -> bool {
        self.failure.is_none()
    }
}

impl Snapshot {
    /// Places `request.count` tasks: resources → constraints → strategies for each, as ECS
    /// does (ecs-semantics.md §2.1). Pure: the snapshot is not modified; feed the placements
    /// back with `record_placement` to plan further requests against them.
    pub fn place(&self, request: &PlacementRequest) -> Result<PlacementOutcome, RequestError> {
        request.validate()?;
        let strategies = request.effective_strategies();
        let mut working = Working::new(self, request);
        let mut ranking = Ranking::new(
            self,
            &strategies,
            &working.group_count,
            Direction::FewestFirst,
        );
        let class_of = (0..working.len()).map(|i| ranking.class_of(i)).collect();
        let mut index = TieIndex::new(class_of, ranking.class_count());
        if request.count > 0 {
            for i in 0..working.len() {
                if working.eligible(i) {
                    index.insert(
                        i,
                        ranking.instance_key(working.group_count[i], working.remaining[i]),
                    );
                }
            }
        }
        let mut rng = Rng::new(request.seed);
        let mut placements = Vec::with_capacity(request.count.min(1 << 16) as usize);
        while placements.len() < request.count as usize {
            let Some(i) = index.select(|c, k| ranking.full_key(c, k), &mut rng) else {
                break;
            };
            #[cfg(test)]
            oracle::check_choice(&working, &ranking, i);
            index.remove(i);
            let Some(placement) = working.place_on(i) else {
                continue;
            };
            ranking.record(i, self.instances[i].counts_for_spread(), true);
            if working.eligible(i) {
                index.insert(
                    i,
                    ranking.instance_key(working.group_count[i], working.remaining[i]),
                );
            }
            placements.push(placement);
        }
        let placed = placements.len() as u32;
        let failure = (placed < request.count).then(|| {
            PlacementFailure::from_diagnoses(
                request.count - placed,
                (0..working.len())
                    .filter(|&i| self.instances[i].counts_for_spread())
                    .map(|i| (self.instances[i].id.clone(), working.diagnose(i))),
            )
        });
        Ok(PlacementOutcome {
            placements,
            failure,
        })
    }
}

/// In unit-test builds every decision is checked against a brute-force scan: the chosen
/// instance must be eligible and no eligible instance may have a smaller key.
#[cfg(test)]
mod oracle {
    use super::super::ranking::Ranking;
    use super::super::working::Working;

    pub(super) fn check_choice(working: &Working<'_>, ranking: &Ranking, chosen: usize) {
        assert!(working.eligible(chosen), "chose an ineligible instance");
        assert!(
            working.diagnose(chosen).is_empty(),
            "diagnose disagrees with eligible"
        );
        let key = |i: usize| {
            ranking.full_key(
                ranking.class_of(i) as usize,
                &ranking.instance_key(working.group_count[i], working.remaining[i]),
            )
        };
        let chosen_key = key(chosen);
        for i in 0..working.len() {
            if working.eligible(i) {
                assert!(
                    key(i) >= chosen_key,
                    "instance {i} ranks better than the choice {chosen}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
