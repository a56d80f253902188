//! Rank correlation between inputs, by a Gaussian copula. Each correlated input's keyed
//! uniform becomes a standard normal, the normals are mixed by the Cholesky factor of the
//! Pearson matrix `r = 2 sin(pi rho_s / 6)` that gives the requested Spearman `rho_s`, and
//! mapped back to uniforms. Every marginal is kept exactly (the uniforms stay uniform), the
//! draws stay keyed (a trial's values depend only on that trial), and the rank correlation
//! achieved is the requested one up to Monte Carlo noise.

use crate::scenario::Correlation;
use crate::special::{norm_cdf, norm_inv};

use super::Input;

/// The copula of one scenario, over a subset of its inputs.
#[derive(Debug, Clone)]
pub struct Copula {
    /// Input indexes of the correlated parameters, in matrix order.
    members: Vec<usize>,
    /// Lower-triangular Cholesky factor, row-major `n x n`.
    chol: Vec<f64>,
}

/// Pearson correlation of the Gaussian copula with Spearman correlation `rho`.
pub fn pearson_of_spearman(rho: f64) -> f64 {
    2.0 * (std::f64::consts::PI * rho / 6.0).sin()
}

/// Cholesky factor of a symmetric matrix (row-major), or the index of the first pivot
/// that is not positive (the matrix is not positive definite).
pub fn cholesky(a: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - s;
                if d <= 1e-12 {
                    return Err(i);
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    Ok(l)
}

impl Copula {
    /// The copula of a validated correlation (its matrix is known to factorise).
    pub fn for_inputs(c: &Correlation, inputs: &[Input]) -> Copula {
        let members = c
            .paths
            .iter()
            .map(|p| {
                inputs
                    .iter()
                    .position(|i| &i.path == p)
                    .expect("validated: correlated paths are random")
            })
            .collect();
        let chol = cholesky(&c.pearson(), c.paths.len())
            .expect("validated: correlation matrix is positive definite");
        Copula { members, chol }
    }

    /// Correlates the members' uniforms in place.
    #[inline]
    pub fn apply(&self, u: &mut [f64]) {
        let n = self.members.len();
        let mut z = [0.0f64; 64];
        let z = &mut z[..n];
        for (zi, &m) in z.iter_mut().zip(&self.members) {
            *zi = norm_inv(u[m]);
        }
        for i in 0..n {
            let mixed: f64 = (0..=i).map(|k| self.chol[i * n + k] * z[k]).sum();
            u[self.members[i]] = norm_cdf(mixed).clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_detects_indefinite_matrices() {
        let ok = [1.0, 0.5, 0.5, 1.0];
        let l = cholesky(&ok, 2).unwrap();
        assert!((l[2] - 0.5).abs() < 1e-15 && (l[3] - 0.75f64.sqrt()).abs() < 1e-15);
        let bad = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        assert_eq!(cholesky(&bad, 3), Err(2));
    }
}
