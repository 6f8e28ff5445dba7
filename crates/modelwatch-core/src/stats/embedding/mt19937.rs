//! numpy's legacy random generator (`np.random.seed(i)` / `np.random.RandomState(i)`), which
//! Evidently's embedding bootstraps and pandas' `DataFrame.sample(random_state=0)` use.
//!
//! The generator is the Mersenne Twister MT19937 (Matsumoto and Nishimura 1998, "Mersenne
//! twister: a 623-dimensionally equidistributed uniform pseudo-random number generator"),
//! seeded by its reference `init_genrand` as numpy's legacy seeding does for an integer seed.
//! The draws follow numpy's legacy routines:
//!
//! * `randint(0, n)` (and `choice(n, size)` with replacement): 32-bit words masked to the
//!   smallest all-ones mask covering `n - 1`, rejected while above `n - 1`;
//! * `permutation(n)` (and `choice(n, size, replace=False)`, which takes its first `size`
//!   entries): a Fisher–Yates shuffle of `0..n` from the top, each index drawn like `randint`;
//! * `rand()`: 53-bit doubles `((a >> 5) * 2^26 + (b >> 6)) / 2^53` from two words.
//!
//! Ranges above 2^32 would need numpy's 64-bit paths; they saturate to the 32-bit mask here
//! (no panic), far beyond any number of rows a vector sample has.

/// numpy's legacy `RandomState` for the draws listed in the module documentation.
#[derive(Clone)]
pub struct LegacyRandomState {
    state: [u32; 624],
    index: usize,
}

impl LegacyRandomState {
    /// `np.random.seed(seed)`: MT19937's `init_genrand`.
    pub fn new(seed: u32) -> Self {
        let mut state = [0u32; 624];
        state[0] = seed;
        for i in 1..624 {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        LegacyRandomState { state, index: 624 }
    }

    fn refill(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        for i in 0..624 {
            let y = (self.state[i] & UPPER) | (self.state[(i + 1) % 624] & LOWER);
            let mut next = self.state[(i + 397) % 624] ^ (y >> 1);
            if y & 1 == 1 {
                next ^= 0x9908_b0df;
            }
            self.state[i] = next;
        }
        self.index = 0;
    }

    /// The next 32-bit word (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            self.refill();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A uniform integer in `0..=max` by masked rejection (numpy's `random_interval` and its
    /// masked bounded draw, which agree for 32-bit ranges).
    pub fn interval(&mut self, max: usize) -> usize {
        if max == 0 {
            return 0;
        }
        let max = max.min(u32::MAX as usize) as u32;
        let mask = u32::MAX >> max.leading_zeros();
        loop {
            let v = self.next_u32() & mask;
            if v <= max {
                return v as usize;
            }
        }
    }

    /// `choice(n, size)` with replacement (`randint(0, n, size)`); `n` must be at least 1.
    pub fn choice_with_replacement(&mut self, n: usize, size: usize) -> Vec<usize> {
        (0..size).map(|_| self.interval(n - 1)).collect()
    }

    /// `permutation(n)`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut out: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.interval(i);
            out.swap(i, j);
        }
        out
    }

    /// `rand()`: a uniform double in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }
}

/// The rows pandas' `DataFrame.sample(min(rows, cap), random_state=0)` picks, as a set (in
/// ascending order; the methods that use it do not depend on the order).
pub fn pandas_sample_rows(rows: usize, cap: usize) -> Vec<usize> {
    if rows <= cap {
        return (0..rows).collect();
    }
    let mut picked = LegacyRandomState::new(0).permutation(rows);
    picked.truncate(cap);
    picked.sort_unstable();
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_word_of_the_reference_seed() {
        // MT19937's reference output for init_genrand(5489) starts 3499211612, 581869302.
        let mut g = LegacyRandomState::new(5489);
        assert_eq!((g.next_u32(), g.next_u32()), (3_499_211_612, 581_869_302));
    }

    #[test]
    fn draws_match_numpy() {
        // np.random.seed(3); np.random.choice(300, 6)
        let mut g = LegacyRandomState::new(3);
        assert_eq!(
            g.choice_with_replacement(300, 6),
            vec![152, 249, 131, 256, 277, 147]
        );
        // np.random.seed(0); np.random.choice(1200, 4)
        let mut g = LegacyRandomState::new(0);
        assert_eq!(g.choice_with_replacement(1200, 4), vec![684, 559, 835, 763]);
        // np.random.RandomState(0).permutation(10)
        assert_eq!(
            LegacyRandomState::new(0).permutation(10),
            vec![2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
        );
        // np.random.RandomState(0).choice(1200, 5, replace=False)
        assert_eq!(
            LegacyRandomState::new(0).permutation(1200)[..5],
            [198, 328, 45, 263, 621]
        );
        // np.random.seed(7); np.random.rand(3)
        let mut g = LegacyRandomState::new(7);
        let got: Vec<f64> = (0..3).map(|_| g.uniform()).collect();
        assert_eq!(
            got,
            vec![0.07630828937395717, 0.7799187922401146, 0.4384092314408935]
        );
    }
}
