//! Evidently's `hellinger` drift score (`hellinger_distance.py`), the Hellinger distance
//! `H = sqrt(1 - BC)` with the Bhattacharyya coefficient `BC` clipped to `[0, 1]`.
//!
//! * Categorical columns: `BC = Σ_k sqrt(r_k · c_k)` over the shares `count / n` of every
//!   category seen on either side.
//! * Numerical columns: Evidently does not use `get_binned_data` here. It takes Sturges edges
//!   over the distinct values of the pooled sample, builds `density=True` histograms of each
//!   side, and integrates `BC = Σ_i sqrt(f_i · g_i) · w` with the single mean bin width
//!   `w = (max edge - min edge) / (number of bins)` (see
//!   [`super::binning::hellinger_density_bins`]).

use super::binning::{hellinger_density_bins, present_categories};
use super::StatError;

fn distance_from_coefficient(bc: f64) -> f64 {
    (1.0 - bc.clamp(0.0, 1.0)).sqrt()
}

/// Evidently's Hellinger distance for a numerical column (finite samples sorted ascending).
pub fn hellinger_numeric(reference: &[f64], current: &[f64]) -> Result<f64, StatError> {
    let bins = hellinger_density_bins(reference, current)?;
    let bc: f64 = bins
        .reference_density
        .iter()
        .zip(&bins.current_density)
        .map(|(&f, &g)| (f * g).sqrt() * bins.mean_width)
        .sum();
    Ok(distance_from_coefficient(bc))
}

/// Evidently's Hellinger distance for a categorical column given aligned category counts.
pub fn hellinger_counts(reference: &[u64], current: &[u64]) -> Result<f64, StatError> {
    let (reference, current) = present_categories(reference, current)?;
    let n_ref: u64 = reference.iter().sum();
    let n_cur: u64 = current.iter().sum();
    let bc: f64 = reference
        .iter()
        .zip(&current)
        .map(|(&r, &c)| ((r as f64 / n_ref as f64) * (c as f64 / n_cur as f64)).sqrt())
        .sum();
    Ok(distance_from_coefficient(bc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_is_zero() {
        assert_eq!(hellinger_counts(&[3, 5], &[3, 5]).unwrap(), 0.0);
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!(hellinger_numeric(&x, &x).unwrap() < 1e-7);
        assert_eq!(hellinger_numeric(&[2.0], &[2.0, 2.0]).unwrap(), 0.0);
    }

    #[test]
    fn disjoint_is_one() {
        assert_eq!(hellinger_counts(&[3, 0], &[0, 5]).unwrap(), 1.0);
    }

    #[test]
    fn numeric_matches_evidently() {
        // Evidently _hellinger_distance(pd.Series([0., 1, 2, 3, 4]),
        //                              pd.Series([2., 3, 4, 5, 6]), ColumnType.Numerical, 0.1)
        let d = hellinger_numeric(&[0.0, 1.0, 2.0, 3.0, 4.0], &[2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        assert!((d - 0.6324555320336758).abs() < 1e-12, "{d}");
    }

    #[test]
    fn empty_is_error() {
        assert!(hellinger_numeric(&[], &[1.0]).is_err());
        assert!(hellinger_counts(&[1], &[0]).is_err());
    }
}
