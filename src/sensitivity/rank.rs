//! Ranks and rank correlation. Spearman's rho is Pearson's correlation of the ranks, with
//! tied values sharing the average of the ranks they span (so `[10, 20, 20, 30]` ranks as
//! `[1, 2.5, 2.5, 4]`), which is the definition of most statistics packages.

/// Ranks from 1 to n, ties sharing their average rank. NaN sorts last (callers drop it).
pub fn ranks(values: &[f64]) -> Vec<f64> {
    // Tied values share their average rank, so the order among ties does not matter.
    let mut pairs: Vec<(f64, usize)> = values.iter().copied().zip(0..values.len()).collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let order: Vec<usize> = pairs.into_iter().map(|p| p.1).collect();
    let mut out = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let v = values[order[start]];
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == v {
            end += 1;
        }
        // Ranks start..end (0-based) become (start + 1 + end) / 2 (1-based average).
        let avg = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            out[i] = avg;
        }
        start = end;
    }
    out
}

/// Pearson correlation; `None` when fewer than two points or either side is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x[..n].iter().zip(&y[..n]) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Spearman rank correlation over the pairs where both values are finite; `None` when
/// fewer than three such pairs remain or either side is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    let (xs, ys): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .unzip();
    if xs.len() < 3 {
        return None;
    }
    pearson(&ranks(&xs), &ranks(&ys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_average_rank() {
        assert_eq!(ranks(&[10.0, 20.0, 20.0, 30.0]), vec![1.0, 2.5, 2.5, 4.0]);
        assert_eq!(ranks(&[3.0, 1.0, 2.0]), vec![3.0, 1.0, 2.0]);
        assert_eq!(ranks(&[5.0, 5.0, 5.0]), vec![2.0, 2.0, 2.0]);
    }

    #[test]
    fn constant_sides_have_no_correlation() {
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(spearman(&[1.0, 2.0], &[1.0, 2.0]), None);
        assert_eq!(
            spearman(&[1.0, 2.0, 3.0], &[10.0, 100.0, 1000.0]),
            Some(1.0)
        );
    }
}
