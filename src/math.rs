//! Linear algebra of rank correlation, below both the scenario (which validates that a
//! requested correlation matrix is usable) and the engine (whose Gaussian copula mixes
//! normals with the same factor): the Spearman-to-Pearson map of the Gaussian copula and
//! the Cholesky factor.

/// Pearson correlation of the Gaussian copula with Spearman correlation `rho`:
/// `r = 2 sin(pi rho / 6)`.
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
