//! The shipped portfolio reproduces the article's figure it was written for: fewer than
//! 30 % of adopting small businesses see a significant return (ROI >= 50 % in three years),
//! aligned adopters far more often than technology-first ones.

use alignsim::engine::Model;

/// Per arm of `scenarios/smb_portfolio.toml`: the share of its trials (with an ROI) that
/// reach ROI >= 0.5, and its binomial standard error.
fn significant_shares(trials: u64) -> Vec<(String, f64, f64)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/smb_portfolio.toml");
    let sc = alignsim::scenario::load(&path).expect("the portfolio validates").scenario;
    let model = Model::new(&sc);
    let batches = model.run(0..trials, &|_| {});
    (0..model.n_arms())
        .map(|arm| {
            let (mut hits, mut n) = (0u64, 0u64);
            for o in batches.iter().flat_map(|b| b.outcomes_of(arm)) {
                if o.roi.is_finite() {
                    n += 1;
                    hits += u64::from(o.roi >= 0.5);
                }
            }
            let p = hits as f64 / n as f64;
            (model.arms[arm].name.clone(), p, (p * (1.0 - p) / n as f64).sqrt())
        })
        .collect()
}

#[test]
fn fewer_than_thirty_percent_of_adopters_see_a_significant_return() {
    let shares = significant_shares(20_000);
    eprintln!("share of trials with roi >= 0.5: {shares:?}");
    let of = |name: &str| shares.iter().find(|s| s.0 == name).expect("arm").clone();
    let (_, adopters, se) = of("adopters");
    // Below 30 % by more than four standard errors (about 0.013 at 20,000 trials).
    assert!(adopters + 4.0 * se < 0.30, "adopters {adopters} +- {se}");
    let (_, aligned, se_a) = of("aligned");
    let (_, tech, se_t) = of("misaligned");
    assert!(aligned - 4.0 * se_a > adopters && adopters > tech + 4.0 * se_t);
}
