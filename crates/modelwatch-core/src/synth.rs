//! Deterministic synthetic numbers for tests, examples and benchmarks: xorshift64 uniforms
//! and Box-Muller normals. Not for statistics on user data.
//!
//! The normal draw uses 2*pi rounded to 6.283185307 on purpose: the data of the sort test
//! `sort::tests::narrow_band_with_many_ties` (an input that crashes `voracious_radix_sort`)
//! comes from these exact draws, and a more precise constant would change it.

/// A xorshift64 generator (Marsaglia 2003, shifts 13, 7, 17).
#[derive(Debug, Clone)]
pub struct Synth(u64);

impl Synth {
    /// A generator from a non-zero seed (zero is replaced by a fixed odd constant).
    pub fn new(seed: u64) -> Self {
        Synth(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        let s = &mut self.0;
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal by Box-Muller (one of the pair; two uniforms per draw).
    #[allow(clippy::approx_constant)]
    pub fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        let w = self.uniform();
        (-2.0 * u.ln()).sqrt() * (6.283185307 * w).cos()
    }
}
