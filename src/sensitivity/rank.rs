//! Ranks and rank correlation. Spearman's rho is Pearson's correlation of the ranks, with
//! tied values sharing the average of the ranks they span (so `[10, 20, 20, 30]` ranks as
//! `[1, 2.5, 2.5, 4]`), which is the definition of most statistics packages.

/// Ranks from 1 to n, ties sharing their average rank. NaN sorts last (callers drop it).
pub fn ranks(values: &[f64]) -> Vec<f64> {
    // Tied values share their average rank, so the order among ties does not matter, with
    // one exception: NaN equals nothing, so NaNs of the same bits take the ranks of the
    // places they are sorted to. Those keep the order of the sort they always had.
    let order = if values.iter().any(|v| v.is_nan()) {
        let mut pairs: Vec<(f64, usize)> = values.iter().copied().zip(0..values.len()).collect();
        pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        pairs.into_iter().map(|p| p.1).collect()
    } else {
        order(values)
    };
    ranks_in(values, &order)
}

/// The ranks of `values` given their `order` (indexes sorted by value).
fn ranks_in(values: &[f64], order: &[usize]) -> Vec<f64> {
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

/// Bits of the key sorted by each pass of [`order`]: six passes cover 64 bits.
const DIGIT: u32 = 11;

/// The indexes of `values` sorted by [`f64::total_cmp`], equal values by index: the order
/// of sorting `(value, index)` pairs, by a stable radix sort on the bits (six passes of 11
/// bits instead of some twenty comparisons per value).
pub fn order(values: &[f64]) -> Vec<usize> {
    let n = values.len();
    if n < 1024 {
        let mut pairs: Vec<(f64, usize)> = values.iter().copied().zip(0..n).collect();
        pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        return pairs.into_iter().map(|p| p.1).collect();
    }
    let passes = 64u32.div_ceil(DIGIT);
    let digit = |k: u64, d: u32| (k >> (DIGIT * d)) as usize & ((1 << DIGIT) - 1);
    let mut items: Vec<(u64, usize)> = values.iter().map(|v| total_key(*v)).zip(0..n).collect();
    let mut counts = vec![[0usize; 1 << DIGIT]; passes as usize];
    for &(k, _) in &items {
        for (d, c) in (0..).zip(counts.iter_mut()) {
            c[digit(k, d)] += 1;
        }
    }
    let mut spare = vec![(0u64, 0usize); n];
    for (d, c) in (0..).zip(counts.iter_mut()) {
        // A digit that all keys share leaves the order as it is.
        if c.contains(&n) {
            continue;
        }
        let mut at = 0;
        for c in c.iter_mut() {
            (*c, at) = (at, at + *c);
        }
        for &(k, i) in &items {
            let slot = &mut c[digit(k, d)];
            spare[*slot] = (k, i);
            *slot += 1;
        }
        std::mem::swap(&mut items, &mut spare);
    }
    items.into_iter().map(|p| p.1).collect()
}

/// An unsigned key in the order of [`f64::total_cmp`].
#[inline]
fn total_key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
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
    fn the_radix_order_is_the_order_of_sorting_value_index_pairs() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in [0, 5, 1023, 1024, 5000, 70_000] {
            let values: Vec<f64> = (0..n)
                .map(|i| match next() % 9 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => f64::NAN,
                    3 => -f64::NAN,
                    4 => f64::INFINITY,
                    5 => (i % 7) as f64,
                    _ => f64::from_bits(next()),
                })
                .collect();
            let mut pairs: Vec<(f64, usize)> = values.iter().copied().zip(0..n).collect();
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let want: Vec<usize> = pairs.into_iter().map(|p| p.1).collect();
            assert_eq!(order(&values), want, "n={n}");
            // Without NaN, the ranks of the radix order are the ranks of any sort.
            let finite: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            let mut pairs: Vec<(f64, usize)> = finite.iter().copied().zip(0..).collect();
            pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            let by_sort: Vec<usize> = pairs.into_iter().map(|p| p.1).collect();
            let (a, b) = (ranks(&finite), ranks_in(&finite, &by_sort));
            assert!(a.iter().zip(&b).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
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
