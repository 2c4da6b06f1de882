//! Order statistics for the report, and how far a ratio of two arms' medians can be trusted.
//!
//! At N = 1000 on two cores one arm's all-bound times vary 2–3× within an invocation (the API
//! server's cost per Pod moves with the machine), so a ratio of two 6-run medians swings by
//! ±25 % between invocations of the same code. The report therefore shows, beside the ratio,
//! a bootstrap interval for it and the median of the per-repetition ratios (R and O of one
//! repetition run back to back, so a slow spell of the machine tends to hit both).

pub fn median(v: &[f64]) -> Option<f64> {
    quantile(v, 0.5)
}

/// The `q` quantile (0 ≤ q ≤ 1) by linear interpolation between order statistics; for q = 0.5
/// the usual median (the mean of the middle two of an even count).
pub fn quantile(v: &[f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

/// A percentile-bootstrap interval (central `level`, e.g. 0.9) of median(num) / median(den):
/// both samples resampled with replacement, independently, `resamples` times. Seeded, so a
/// report renders the same interval every time. None when either sample is empty or a
/// resampled denominator is zero.
pub fn ratio_of_medians_interval(
    num: &[f64],
    den: &[f64],
    level: f64,
    resamples: usize,
) -> Option<(f64, f64)> {
    if num.is_empty() || den.is_empty() || resamples == 0 {
        return None;
    }
    let mut rng = Rng::seeded(0x5EED_0FBE);
    let mut draw = |v: &[f64]| -> Vec<f64> {
        (0..v.len())
            .map(|_| v[(rng.next() % v.len() as u64) as usize])
            .collect()
    };
    let mut ratios = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let (n, d) = (median(&draw(num))?, median(&draw(den))?);
        if d == 0.0 {
            return None;
        }
        ratios.push(n / d);
    }
    let tail = (1.0 - level) / 2.0;
    Some((quantile(&ratios, tail)?, quantile(&ratios, 1.0 - tail)?))
}

/// xorshift64*: enough to shuffle four arms and to resample a few dozen runs.
pub struct Rng(u64);

impl Rng {
    /// Seeded from the OS.
    pub fn new() -> Self {
        let mut b = [0u8; 8];
        let _ = getrandom::fill(&mut b);
        Self::seeded(u64::from_le_bytes(b))
    }

    pub fn seeded(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.25), Some(2.0));
        assert_eq!(quantile(&[1.0, 2.0], 0.0), Some(1.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn the_interval_brackets_the_ratio_and_narrows_with_more_runs() {
        // Times spread ±30 % around 1.0 (num) and 1.25 (den): ratio of medians 0.8.
        let spread = |centre: f64, k: usize| -> Vec<f64> {
            (0..k)
                .map(|i| centre * (0.7 + 0.6 * i as f64 / (k - 1) as f64))
                .collect()
        };
        let (lo6, hi6) =
            ratio_of_medians_interval(&spread(1.0, 6), &spread(1.25, 6), 0.9, 2000).unwrap();
        let (lo40, hi40) =
            ratio_of_medians_interval(&spread(1.0, 40), &spread(1.25, 40), 0.9, 2000).unwrap();
        assert!(lo6 < 0.8 && 0.8 < hi6, "{lo6}–{hi6}");
        assert!(lo40 < 0.8 && 0.8 < hi40, "{lo40}–{hi40}");
        assert!(
            hi40 - lo40 < hi6 - lo6,
            "6 runs {lo6}–{hi6}, 40 runs {lo40}–{hi40}"
        );
        // Seeded: the same report renders the same interval.
        assert_eq!(
            ratio_of_medians_interval(&spread(1.0, 6), &spread(1.25, 6), 0.9, 2000),
            Some((lo6, hi6))
        );
        assert_eq!(ratio_of_medians_interval(&[], &[1.0], 0.9, 100), None);
        assert_eq!(ratio_of_medians_interval(&[1.0], &[0.0], 0.9, 100), None);
    }
}
