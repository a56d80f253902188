//! Keyed randomness: results depend only on (seed, trial, parameter path, distribution),
//! never on batches, threads, arm order or unrelated parameters.

use alignsim::aggregate;
use alignsim::engine::{Batch, Model};

use super::{bakery_text, scenario, simulate};

fn outcomes(batches: &[Batch]) -> Vec<alignsim::engine::Outcome> {
    batches
        .iter()
        .flat_map(|b| b.outcomes.iter().copied())
        .collect()
}

fn bits(o: &alignsim::engine::Outcome) -> Vec<u64> {
    let mut v = vec![
        o.net.to_bits(),
        o.npv.to_bits(),
        o.investment.to_bits(),
        o.revenue_retained.to_bits(),
    ];
    v.extend(o.channels.iter().map(|c| c.to_bits()));
    v.extend([
        u64::from(o.payback_month),
        u64::from(o.dropped_month),
        o.incidents,
    ]);
    v
}

#[test]
fn batch_boundaries_do_not_matter() {
    let sc = scenario(&bakery_text());
    let model = Model::new(&sc);
    let whole = model.run_batch(0..3000);
    let parts = [
        model.run_batch(0..1000),
        model.run_batch(1000..1777),
        model.run_batch(1777..3000),
    ];
    let split: Vec<_> = parts
        .iter()
        .flat_map(|b| b.outcomes.iter())
        .map(bits)
        .collect();
    let joined: Vec<_> = whole.outcomes.iter().map(bits).collect();
    assert_eq!(joined, split);
}

#[test]
fn thread_count_does_not_matter() {
    let sc = scenario(&bakery_text());
    let model = Model::new(&sc);
    let (a, b) = super::on_one_and_two_threads(&model, 6000);
    assert_eq!(
        outcomes(&a).iter().map(bits).collect::<Vec<_>>(),
        outcomes(&b).iter().map(bits).collect::<Vec<_>>()
    );
    let (sa, _) = aggregate::aggregate(&sc, &model, &a).unwrap();
    let (sb, _) = aggregate::aggregate(&sc, &model, &b).unwrap();
    assert_eq!(
        serde_json::to_string(&sa).unwrap(),
        serde_json::to_string(&sb).unwrap()
    );
}

#[test]
fn identical_arms_give_identical_results() {
    let text = bakery_text().replace(
        "[arms.misaligned]",
        "[arms.twin]\nlabel = \"copy of aligned\"\nalignment = { strategic = 0.85, fit = 0.8, culture = 0.8, measurement = 0.8, integration = 0.7, ethics = 0.9 }\nrollout = { pilot_months = 3, pilot_scale = 0.3, pilot_upfront_share = 0.5, gate_noise = 0.15 }\n\n[arms.misaligned]",
    );
    let sc = scenario(&text);
    assert_eq!(sc.arms[1].name, "twin");
    let (model, batches) = simulate(&sc, 4000);
    for b in &batches {
        for row in b.outcomes.chunks(model.n_arms()) {
            assert_eq!(bits(&row[0]), bits(&row[1]));
        }
    }
}

#[test]
fn arm_order_does_not_matter() {
    let text = bakery_text();
    let (head, arms) = text.split_at(text.find("[arms.aligned]").unwrap());
    let (aligned, misaligned) = arms.split_at(arms.find("[arms.misaligned]").unwrap());
    let swapped = format!("{head}{misaligned}\n{aligned}");
    let (_, a) = simulate(&scenario(&text), 2500);
    let (_, b) = simulate(&scenario(&swapped), 2500);
    let (a, b) = (outcomes(&a), outcomes(&b));
    for (x, y) in a.chunks(2).zip(b.chunks(2)) {
        assert_eq!(bits(&x[0]), bits(&y[1]), "aligned arm");
        assert_eq!(bits(&x[1]), bits(&y[0]), "misaligned arm");
    }
}

fn input_column(sc: &alignsim::scenario::Scenario, trials: u64, path: &str) -> Vec<f64> {
    let (model, batches) = simulate(sc, trials);
    let df = aggregate::trials_frame(&model, &batches, sc.kpi.is_some()).unwrap();
    let col = df.column(path).unwrap().f64().unwrap().clone();
    col.into_no_null_iter().collect()
}

#[test]
fn adding_an_unrelated_parameter_leaves_other_draws_unchanged() {
    let base = scenario(&bakery_text());
    // A new random parameter (the silo effect weight), and one fixed parameter made random.
    let text = bakery_text()
        .replace(
            "[arms.aligned]",
            "[effects]\nsilo = { dist = \"uniform\", min = 0.1, max = 0.5 }\n\n[arms.aligned]",
        )
        .replace(
            "adoption_p = 0.1",
            "adoption_p = { dist = \"uniform\", min = 0.08, max = 0.12 }",
        );
    let extended = scenario(&text);
    for path in [
        "initiative.upfront_cost",
        "business.monthly_revenue",
        "initiative.incident_rate",
        "initiative.build_months",
    ] {
        assert_eq!(
            input_column(&base, 3000, path),
            input_column(&extended, 3000, path),
            "{path}"
        );
    }
    assert_eq!(input_column(&extended, 10, "effects.silo").len(), 20);
}

#[test]
fn arms_with_the_same_distribution_share_the_value() {
    let sc = scenario(&bakery_text());
    let (model, batches) = simulate(&sc, 500);
    let df = aggregate::trials_frame(&model, &batches, false).unwrap();
    let rev: Vec<f64> = df
        .column("business.monthly_revenue")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let cost: Vec<f64> = df
        .column("initiative.upfront_cost")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    for (r, c) in rev.chunks(2).zip(cost.chunks(2)) {
        assert_eq!(r[0], r[1], "business draws are common to both arms");
        assert_ne!(c[0], c[1], "the misaligned arm overrides upfront_cost");
    }
}

#[test]
fn channels_sum_to_net_in_every_trial() {
    let sc = scenario(&bakery_text());
    let (_, batches) = simulate(&sc, 5000);
    for o in outcomes(&batches) {
        let sum: f64 = o.channels.iter().sum();
        assert!(
            (sum - o.net).abs() <= 1e-9 * o.net.abs().max(1.0) * 100.0,
            "{sum} vs {}",
            o.net
        );
    }
}

#[test]
fn clamped_draws_are_counted_per_parameter_and_arm() {
    // A normal overrun centred at 0.1 with sd 0.2 falls below 0 about 31 % of the time.
    let text = bakery_text().replace(
        "cost_overrun = { dist = \"lognormal\", median = 0.15, p90 = 0.6 }",
        "cost_overrun = { dist = \"normal\", mean = 0.1, sd = 0.2 }",
    );
    let sc = scenario(&text);
    let (model, batches) = simulate(&sc, 20_000);
    let (summary, _) = aggregate::aggregate(&sc, &model, &batches).unwrap();
    for arm in &summary.arms {
        let n = arm.clamped["initiative.cost_overrun"] as f64;
        let p: f64 = 0.308_537_538_725_986_9; // Phi(-0.5)
        let se = (p * (1.0 - p) / 20_000.0).sqrt();
        assert!(
            (n / 20_000.0 - p).abs() < 4.0 * se,
            "{} clamped {n}",
            arm.name
        );
        assert_eq!(arm.clamped["initiative.upfront_cost"], 0);
    }
}

#[test]
fn each_trials_cash_flow_path_runs_from_its_upfront_payment_to_its_net() {
    // Pins the layout of a batch's paths: month 0 is the upfront payment and month H the
    // net of the same trial and arm, and the monthly bands at H are the net's percentiles.
    let sc = scenario(&bakery_text());
    let (model, batches) = simulate(&sc, 3_000);
    let (h, n_arms) = (model.horizon, model.n_arms());
    for b in &batches {
        for ai in 0..n_arms {
            for (j, (first, last)) in b.cum_cf(ai, 0).iter().zip(b.cum_cf(ai, h)).enumerate() {
                let o = &b.outcomes[j * n_arms + ai];
                assert_eq!(
                    first.to_bits(),
                    o.channels[6].to_bits(),
                    "trial {j} arm {ai}"
                );
                assert_eq!(last.to_bits(), o.net.to_bits(), "trial {j} arm {ai}");
            }
        }
    }
    let mut acc = aggregate::Accumulator::new(&model, false);
    batches.iter().for_each(|b| acc.push(b));
    let (summary, frames) = acc.finish(&sc).unwrap();
    let monthly = &frames.monthly;
    let last: Vec<usize> = (0..monthly.height())
        .filter(|&i| {
            monthly
                .column("month")
                .unwrap()
                .get(i)
                .unwrap()
                .try_extract::<u32>()
                .unwrap() as usize
                == h
        })
        .collect();
    assert_eq!(last.len(), n_arms);
    for (arm, &row) in summary.arms.iter().zip(&last) {
        for (band, want) in [
            ("p5", arm.net.p5),
            ("p50", arm.net.p50),
            ("p95", arm.net.p95),
        ] {
            let got = monthly.column(band).unwrap().f64().unwrap().get(row);
            assert_eq!(got, want, "{} {band}", arm.name);
        }
    }
}
