//! Capacity provider strategies (ecs-semantics.md §6.3): the first `base` tasks go to the
//! one provider with a base, the rest are split in proportion to `weight`; weight-0
//! providers get no task beyond their base. On Kubernetes a capacity provider is the set of
//! container instances labeled `ecs.operator.dev/capacity-provider=<name>`.

/// One item of a strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderShare {
    pub name: String,
    pub base: u32,
    pub weight: u32,
}

/// How many of `total` tasks each provider should run, in strategy order. Deterministic:
/// each task after the base goes to the provider furthest below its weighted share (ties
/// to the earlier item), which is ECS's documented 1:4 style proportion.
pub fn split(total: u32, strategy: &[ProviderShare]) -> Vec<(String, u32)> {
    let mut counts: Vec<u32> = vec![0; strategy.len()];
    let mut left = total;
    // Base first (ECS allows a base on one item only; honour them in order anyway).
    for (i, item) in strategy.iter().enumerate() {
        let take = item.base.min(left);
        counts[i] += take;
        left -= take;
    }
    let weight_sum: u64 = strategy.iter().map(|s| u64::from(s.weight)).sum();
    if weight_sum > 0 {
        let mut weighted = vec![0u64; strategy.len()];
        for _ in 0..left {
            // Pick the item minimising (assigned + 1) / weight, i.e. furthest below share.
            let mut best: Option<usize> = None;
            for (i, item) in strategy.iter().enumerate() {
                if item.weight == 0 {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some(b) => {
                        (weighted[i] + 1) * u64::from(strategy[b].weight)
                            < (weighted[b] + 1) * u64::from(item.weight)
                    }
                };
                if better {
                    best = Some(i);
                }
            }
            if let Some(b) = best {
                weighted[b] += 1;
                counts[b] += 1;
            }
        }
    }
    strategy
        .iter()
        .zip(counts)
        .map(|(s, c)| (s.name.clone(), c))
        .collect()
}

/// Splits `start` new tasks so that, with `running` tasks already on each provider, the
/// service approaches `split(desired)`: providers furthest below target first.
pub fn allocate_starts(
    start: u32,
    desired: u32,
    running: &[(String, u32)],
    strategy: &[ProviderShare],
) -> Vec<(String, u32)> {
    let targets = split(desired, strategy);
    let mut deficits: Vec<(String, u32)> = targets
        .iter()
        .map(|(name, target)| {
            let have = running
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, c)| *c)
                .unwrap_or(0);
            (name.clone(), target.saturating_sub(have))
        })
        .collect();
    let mut out: Vec<(String, u32)> = targets.iter().map(|(n, _)| (n.clone(), 0)).collect();
    let mut left = start;
    while left > 0 {
        let Some(i) = (0..deficits.len())
            .filter(|&i| deficits[i].1 > 0)
            .max_by_key(|&i| (deficits[i].1, std::cmp::Reverse(i)))
        else {
            break;
        };
        deficits[i].1 -= 1;
        out[i].1 += 1;
        left -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, base: u32, weight: u32) -> ProviderShare {
        ProviderShare {
            name: name.into(),
            base,
            weight,
        }
    }

    #[test]
    fn base_first_then_weights() {
        let s = [item("a", 2, 1), item("b", 0, 1)];
        assert_eq!(split(6, &s), [("a".to_string(), 4), ("b".to_string(), 2)]);
        assert_eq!(split(1, &s), [("a".to_string(), 1), ("b".to_string(), 0)]);
    }

    #[test]
    fn one_to_four() {
        let s = [item("on-demand", 0, 1), item("spot", 0, 4)];
        assert_eq!(
            split(10, &s),
            [("on-demand".to_string(), 2), ("spot".to_string(), 8)]
        );
    }

    #[test]
    fn weight_zero_gets_only_its_base() {
        let s = [item("a", 1, 0), item("b", 0, 1)];
        assert_eq!(split(5, &s), [("a".to_string(), 1), ("b".to_string(), 4)]);
    }

    #[test]
    fn starts_fill_the_largest_deficit_first() {
        let s = [item("a", 0, 1), item("b", 0, 1)];
        let running = [("a".to_string(), 3), ("b".to_string(), 0)];
        assert_eq!(
            allocate_starts(3, 6, &running, &s),
            [("a".to_string(), 0), ("b".to_string(), 3)]
        );
    }

    #[test]
    fn splits_always_add_up_when_a_weight_is_positive() {
        for total in 0..40 {
            for (w1, w2, b) in [(1, 1, 0), (1, 4, 3), (0, 2, 5), (3, 0, 0)] {
                let s = [item("a", b, w1), item("b", 0, w2)];
                let sum: u32 = split(total, &s).iter().map(|(_, c)| c).sum();
                assert_eq!(sum, total, "total {total} {s:?}");
            }
        }
    }
}
