//! A small seeded generator for fault timing: the seed is printed, and `ECS_FAULTS_SEED`
//! replays a run's choices.

pub struct Rng(u64);

impl Rng {
    pub fn new(scenario: &str) -> Self {
        let seed = std::env::var("ECS_FAULTS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            });
        super::mode::report(scenario, "seed", seed);
        Self(seed | 1)
    }

    /// xorshift64*.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn millis(&mut self, max: u64) -> std::time::Duration {
        std::time::Duration::from_millis(self.next_u64() % max.max(1))
    }
}
