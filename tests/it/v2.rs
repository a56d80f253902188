//! Model v2 (MODEL.md section 8: reviews, discoveries, preparation). First, deterministic
//! cases of `tests/fixtures/v2/fixed.toml` whose results are computed here by hand from
//! MODEL.md and matched to 1e-9; then properties of random runs of the shipped bakery,
//! which uses every v2 feature: the channels and the drop causes add up, results do not
//! depend on threads, arm order or trial ranges, draws stay keyed, and every command
//! takes the new keys.

use std::path::{Path, PathBuf};

use alignsim::aggregate;
use alignsim::engine::{Batch, DropCause, Model, NO_MONTH, Outcome, Sampling};
use alignsim::scenario::Scenario;
use alignsim::sensitivity::rank::spearman;
use alignsim::sensitivity::{Samples, Sensitivity};
use alignsim::sweep::breakeven::{self, Evaluations, Metric, TargetLevel};
use alignsim::sweep::{self, Base, Plan, path, spec};
use polars::prelude::{DataFrame, ParquetReader, SerReader};

use super::{alignsim, assert_success, on_one_and_two_threads, scenario, simulate};

// ---------------------------------------------------------------------------------------
// Hand-computed cases.

/// The lines of the fixture a case sets; everything else is as the fixture says.
#[derive(Clone, Copy)]
struct Case {
    horizon: u32,
    build_months: u32,
    pilot_months: u32,
    review_months: u32,
    review_grace: u32,
    review_floor: f64,
    discovery_rate: f64,
    discovery_value: f64,
    /// `effects.discovery`.
    w_discovery: f64,
    culture: f64,
    /// The arm's `prepare` list, as TOML.
    prepare: &'static str,
}

/// The fixture as written.
const BASE: Case = Case {
    horizon: 24,
    build_months: 2,
    pilot_months: 0,
    review_months: 0,
    review_grace: 6,
    review_floor: 0.0,
    discovery_rate: 0.0,
    discovery_value: 0.0,
    w_discovery: 1.0,
    culture: 0.9,
    prepare: "[]",
};

fn fixture_text() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/v2/fixed.toml"
    ))
    .expect("tests/fixtures/v2/fixed.toml")
}

/// `text` with its one line `KEY = ...` replaced by `KEY = value`.
fn set_line(text: &str, key: &str, value: &str) -> String {
    let head = format!("{key} = ");
    assert_eq!(
        text.lines().filter(|l| l.starts_with(&head)).count(),
        1,
        "one line sets {key}"
    );
    let mut out: String = text
        .lines()
        .map(|l| {
            if l.starts_with(&head) {
                format!("{head}{value}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    if !text.ends_with('\n') {
        out.pop();
    }
    out
}

/// The fixture with the case's lines.
fn text(c: &Case) -> String {
    let alignment = format!(
        "{{ strategic = 0.5, fit = 0.5, culture = {}, measurement = 0.8, integration = 0.6, ethics = 0.7 }}",
        c.culture
    );
    let lines = [
        ("horizon_months", c.horizon.to_string()),
        ("build_months", c.build_months.to_string()),
        ("pilot_months", c.pilot_months.to_string()),
        ("review_months", c.review_months.to_string()),
        ("review_grace", c.review_grace.to_string()),
        ("review_floor", c.review_floor.to_string()),
        ("discovery_rate", c.discovery_rate.to_string()),
        ("discovery_value", c.discovery_value.to_string()),
        ("discovery", c.w_discovery.to_string()),
        ("alignment", alignment),
        ("prepare", c.prepare.to_string()),
    ];
    lines
        .iter()
        .fold(fixture_text(), |t, (k, v)| set_line(&t, k, v))
}

/// The case's one trial: its outcome and its month-0 cash flow.
fn run(c: &Case) -> (Outcome, f64) {
    let (_, batches) = simulate(&scenario(&text(c)), 1);
    (batches[0].outcomes[0], batches[0].cum_cf(0, 0)[0])
}

/// The case's alignment scores `[s, f, c, k, i, e]` as the fixture writes them.
fn scores(c: &Case) -> [f64; 6] {
    [0.5, 0.5, c.culture, 0.8, 0.6, 0.7]
}

/// What MODEL.md gives for a case, worked out by hand.
struct Hand {
    outcome: Outcome,
    cf0: f64,
    /// `OP_t`, the operating cash flow of month `t` (index 0 unused).
    op: Vec<f64>,
}

/// MODEL.md sections 3 and 8 for the fixture, written out month by month from the text:
/// `a` the scores after preparation, `(c_p, d_p)` the preparation's cost and months.
/// Discoveries must be certain or impossible (chance 1.0 or 0.0 in f64) every live month:
/// the uniforms they are drawn against are not known here.
fn by_hand(c: &Case, a: [f64; 6], (c_p, d_p): (f64, f64)) -> Hand {
    let pos = |w: f64, x: f64| (1.0 - w * (1.0 - x)).max(0.0);
    let neg = |w: f64, x: f64| 1.0 + w * (1.0 - x);
    let [s, f, cu, _, i, _] = a;
    let h = c.horizon as usize;
    let (r0, g, m, l) = (10_000.0f64, 0.01f64, 0.5, 2000.0);
    // Section 2 with the default weights; the fixture has no KPI and no incidents.
    let u_r = 0.1 * pos(0.8, s);
    let sigma_r = 0.5 * pos(0.5, i);
    let c0_eff = 6000.0 * (1.0 + 0.5 * neg(1.0, f));
    let d = f64::from(c.build_months);
    let d_eff = d + (1.0 * (1.0 - f) * d).round();
    let cm_eff = 100.0 * neg(0.3, i);
    let amax = 0.9 * pos(0.5, cu);
    let (p, q) = (0.2, 0.3 * pos(0.5, cu));
    let eps = 0.01 * (1.0 - s);
    let rho_eff = c.discovery_rate * pos(c.w_discovery, cu);
    let r_m = 1.12f64.powf(1.0 / 12.0) - 1.0;
    // 8.3: the build starts after the preparation.
    let big_g = (d_p + d_eff) as usize + 1;
    let pilot = c.pilot_months as usize;
    let (phi, k0) = (0.5, 0.4);
    let (w_rev, grace) = (c.review_months as usize, c.review_grace as usize);
    // Month 0 pays the upfront cost (k0 of it with a pilot) and the preparation.
    let upfront = if pilot > 0 { -k0 * c0_eff } else { -c0_eff };
    let rest = if pilot > 0 { (1.0 - k0) * c0_eff } else { 0.0 };
    let cf0 = upfront - c_p;
    let mut ch = [0.0; 10];
    (ch[6], ch[9]) = (upfront, -c_p);
    let (mut cum, mut npv, mut investment) = (cf0, cf0, -cf0);
    let (mut big_m, mut live, mut payback) = (1.0, true, NO_MONTH);
    let (mut dropped_month, mut cause) = (NO_MONTH, DropCause::None);
    let (mut su_next, mut a_t, mut n_d) = (0.0, 0.0, 0u32);
    let mut op = vec![0.0; h + 1];
    for t in 1..=h {
        let r_base = r0 * (1.0 + g).powf(t as f64);
        let active = live && t >= big_g;
        let tau = if active { t - big_g + 1 } else { 0 };
        let scale = if active && tau <= pilot { phi } else { 1.0 };
        a_t = if active {
            let x = (-(p + q) * tau as f64).exp();
            amax * (1.0 - x) / (1.0 + (q / p) * x) * scale
        } else {
            0.0
        };
        big_m *= 1.0 - eps * a_t;
        let r = r_base * big_m * (1.0 + u_r * a_t);
        let ls = sigma_r * l * a_t;
        let rc = if active { cm_eff * scale } else { 0.0 };
        let su = std::mem::take(&mut su_next);
        // 8.2: every discovery made so far adds V_d while live.
        let dv = if active {
            c.discovery_value * f64::from(n_d)
        } else {
            0.0
        };
        let cf = m * (r - r_base) + ls - rc - su + dv;
        op[t] = cf + su;
        if active {
            let chance = -(-rho_eff * a_t).exp_m1();
            assert!(
                chance == 0.0 || chance == 1.0,
                "month {t}: a discovery with chance {chance} needs its uniform"
            );
            n_d += u32::from(chance == 1.0);
        }
        ch[0] += m * r_base * big_m * u_r * a_t;
        ch[1] += m * r_base * (big_m - 1.0);
        ch[2] += ls;
        ch[4] -= rc;
        ch[7] -= su;
        ch[8] += dv;
        investment += su + rc;
        cum += cf;
        npv += cf / (1.0 + r_m).powf(t as f64);
        if payback == NO_MONTH && cum >= 0.0 {
            payback = t as u32;
        }
        // 7. The gate (no KPI, no incidents: NB has only uplift, labour, erosion, cost).
        let mut passed = false;
        if pilot > 0 && active && tau == pilot && t < h {
            let left = (h - t) as f64;
            let nb = amax
                * (m * r_base * big_m * u_r + sigma_r * l - m * r_base * big_m * eps * left / 2.0)
                - cm_eff;
            passed = nb * left >= rest;
            if !passed {
                (live, dropped_month, cause) = (false, t as u32, DropCause::Gate);
            }
        }
        // 7b. The review, without noise: the average OP of the last min(W, tau) months.
        let review = w_rev > 0 && tau >= grace && tau > pilot && t < h;
        if live && active && review && (tau - grace) % w_rev == 0 {
            let w = w_rev.min(tau);
            let avg = op[t + 1 - w..=t].iter().sum::<f64>() / w as f64;
            if avg < c.review_floor {
                (live, dropped_month, cause) = (false, t as u32, DropCause::Review);
            }
        }
        if passed && live && t < h {
            su_next = rest;
        }
    }
    let outcome = Outcome {
        net: cum,
        npv,
        investment,
        roi: cum / investment,
        payback_month: payback,
        dropped: dropped_month != NO_MONTH,
        dropped_month,
        dropped_by: cause,
        discoveries: n_d,
        go_live_month: big_g as u32,
        revenue_retained: big_m,
        adoption_final: a_t,
        incidents: 0,
        kpi_final: 0.0,
        channels: ch,
    };
    Hand { outcome, cf0, op }
}

/// The case without preparation, by hand.
fn plain(c: &Case) -> Hand {
    by_hand(c, scores(c), (0.0, 0.0))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The engine's outcome matches the hand computation: numbers to 1e-9, months, counts
/// and the drop cause exactly; the channels add up to net.
fn assert_matches(got: &Outcome, want: &Outcome, what: &str) {
    let pairs = [
        ("net", got.net, want.net),
        ("npv", got.npv, want.npv),
        ("investment", got.investment, want.investment),
        ("roi", got.roi, want.roi),
        (
            "revenue_retained",
            got.revenue_retained,
            want.revenue_retained,
        ),
        ("adoption_final", got.adoption_final, want.adoption_final),
    ];
    for (name, g, w) in pairs {
        assert!(close(g, w), "{what}: {name}: got {g}, want {w}");
    }
    for (k, (g, w)) in got.channels.iter().zip(&want.channels).enumerate() {
        assert!(close(*g, *w), "{what}: channel {k}: got {g}, want {w}");
    }
    let months = |o: &Outcome| (o.payback_month, o.dropped_month, o.go_live_month);
    assert_eq!(
        months(got),
        months(want),
        "{what}: payback, drop, go-live months"
    );
    let counts = |o: &Outcome| (o.dropped, o.dropped_by, o.discoveries, o.incidents);
    assert_eq!(
        counts(got),
        counts(want),
        "{what}: drop, cause, discoveries"
    );
    let sum: f64 = got.channels.iter().sum();
    assert!(
        close(sum, got.net),
        "{what}: channels {sum} != net {}",
        got.net
    );
}

/// Runs the case and checks it against [`plain`]; returns both.
fn check(c: &Case, what: &str) -> (Outcome, Hand) {
    let (got, cf0) = run(c);
    let want = plain(c);
    assert_matches(&got, &want.outcome, what);
    assert!(close(cf0, want.cf0), "{what}: CF_0 {cf0} vs {}", want.cf0);
    (got, want)
}

#[test]
fn a_floor_above_what_the_project_earns_stops_it_at_its_first_review() {
    // build 2, fit 0.5: D_eff = 2 + round(0.5 * 2) = 3, G = 4. Reviews every 3 months from
    // the 4th live month: the first is in month G + Gr - 1 = 7. The project brings a few
    // hundred a month; a floor of 2000 stops it there.
    let c = Case {
        review_months: 3,
        review_grace: 4,
        review_floor: 2000.0,
        ..BASE
    };
    let (got, _) = check(&c, "floor 2000");
    assert_eq!(got.go_live_month, 4);
    assert_eq!((got.dropped_by, got.dropped_month), (DropCause::Review, 7));
    assert_eq!(got.adoption_final, 0.0, "nothing runs after the drop");
    // With a pilot of 2 months the first review (live month 4 > P) is in the same month;
    // the gate of month 5 passed and the rest of the upfront cost, (1 - 0.4) * C0_eff =
    // 0.6 * 6000 * (1 + 0.5 * 1.5) = 6300, was paid in month 6.
    let piloted = Case {
        pilot_months: 2,
        ..c
    };
    let (got, _) = check(&piloted, "floor 2000, pilot 2");
    assert_eq!((got.dropped_by, got.dropped_month), (DropCause::Review, 7));
    assert!(close(got.channels[7], -6300.0), "{}", got.channels[7]);
    // A floor below what every review sees: it runs to the horizon.
    for c in [c, piloted] {
        let low = Case {
            review_floor: 100.0,
            ..c
        };
        let (got, want) = check(&low, "floor 100");
        assert!(!want.outcome.dropped && !got.dropped);
        assert_eq!(got.dropped_by, DropCause::None);
        assert_eq!(got.dropped_month, NO_MONTH);
    }
}

#[test]
fn reviews_start_after_the_pilot_every_review_months_from_the_grace() {
    // A floor nobody reaches: the first review held stops the project. G = 4.
    // (P, Gr, W, the first live month tau > P with tau >= Gr and (tau - Gr) % W == 0)
    let cases = [
        (0, 6, 3, 6),
        (3, 2, 2, 4),
        (4, 2, 2, 6),
        (4, 4, 3, 7),
        (5, 1, 4, 9),
        (2, 3, 1, 3),
        (6, 6, 1, 7),
    ];
    for (pilot, grace, every, tau) in cases {
        let c = Case {
            horizon: 36,
            pilot_months: pilot,
            review_months: every,
            review_grace: grace,
            review_floor: 1e9,
            ..BASE
        };
        let what = format!("P {pilot}, Gr {grace}, W {every}");
        let (got, _) = check(&c, &what);
        assert_eq!(got.dropped_by, DropCause::Review, "{what}");
        assert_eq!(got.dropped_month, 4 + tau - 1, "{what}");
        // The gate month G + P - 1 had no review: the pilot passed its gate.
        if pilot > 0 {
            assert!(got.dropped_month > 4 + pilot - 1, "{what}");
            assert!(close(got.channels[7], -6300.0), "{what}: scale-up paid");
        }
    }
    // W = 0: never reviewed.
    let never = Case {
        review_floor: 1e9,
        ..BASE
    };
    assert!(!check(&never, "W 0").0.dropped);
    // A review would fall in the last month (G + 6 - 1 = 9 = H): none is held then.
    let last = Case {
        horizon: 9,
        review_months: 3,
        review_floor: 1e9,
        ..BASE
    };
    assert!(!check(&last, "review month H").0.dropped);
}

#[test]
fn a_review_before_w_live_months_averages_only_the_live_months() {
    // Gr 2, W 6: the first review, in month 5 (live month 2), averages w = min(6, 2) = 2
    // months, OP_4 and OP_5; six months back would reach the build months before it.
    let c = Case {
        review_months: 6,
        review_grace: 2,
        ..BASE
    };
    let op = plain(&c).op;
    let avg2 = (op[4] + op[5]) / 2.0;
    assert!(avg2 > 0.0 && op[1..4].iter().all(|&x| x == 0.0));
    // Just below the 2-month average: kept, and the later reviews (live months 8, 14,
    // 20, six months each) see more as use spreads; a 6-month average (avg2 / 3) would
    // have stopped it.
    let kept = Case {
        review_floor: avg2 * (1.0 - 1e-6),
        ..c
    };
    let (got, _) = check(&kept, "floor just below the two-month average");
    assert!(!got.dropped);
    // Just above it: stopped at that first review.
    let stopped = Case {
        review_floor: avg2 * (1.0 + 1e-6),
        ..c
    };
    let (got, _) = check(&stopped, "floor just above the two-month average");
    assert_eq!((got.dropped_by, got.dropped_month), (DropCause::Review, 5));
}

#[test]
fn certain_discoveries_come_every_live_month_and_pay_from_the_next() {
    // rho_eff = 1e6 * pos(1, 0.9) = 9e5 and A_t > 0.15 from the first live month:
    // -expm1(-rho_eff * A_t) is 1.0 in f64, so the uniform always falls below it.
    let none = BASE;
    let c = Case {
        discovery_rate: 1e6,
        discovery_value: 250.0,
        ..BASE
    };
    let (got, _) = check(&c, "certain discoveries");
    // G = 4, H = 24: n = 21 live months, one discovery in each; the k-th live month
    // (k from 0) is worth k * V_d.
    let n = 21u32;
    assert_eq!(got.discoveries, n);
    let value = 250.0 * f64::from((0..n).sum::<u32>()); // 250 * 210
    assert!(close(got.channels[8], value), "{}", got.channels[8]);
    assert!(close(value, 52_500.0));
    let (without, _) = check(&none, "no discoveries");
    assert!(close(got.net - without.net, value));
    let r_m = 1.12f64.powf(1.0 / 12.0) - 1.0;
    let pv: f64 = (0..n)
        .map(|k| 250.0 * f64::from(k) / (1.0 + r_m).powi(4 + k as i32))
        .sum();
    assert!(close(got.npv - without.npv, pv));
    // Culture 0.5 with effects.discovery 2: pos(2, 0.5) = 0, so nothing is found.
    let barren = Case {
        w_discovery: 2.0,
        culture: 0.5,
        ..c
    };
    let (got, _) = check(&barren, "no experimenting culture");
    assert_eq!(got.discoveries, 0);
    assert_eq!(got.channels[8], 0.0);
}

#[test]
fn reviews_see_the_discoveries() {
    // Reviews every 3 months from live month 6 (month 9). With a discovery every live
    // month from month 4, months 7, 8, 9 earn 3, 4 and 5 discoveries' worth: 1000 a month
    // more on average at the first review, and more at each later one.
    let c = Case {
        review_months: 3,
        review_grace: 6,
        discovery_rate: 1e6,
        discovery_value: 250.0,
        ..BASE
    };
    let blind = Case {
        discovery_rate: 0.0,
        ..c
    };
    let op = plain(&blind).op;
    let floor = (op[7] + op[8] + op[9]) / 3.0 + 500.0;
    let (got, _) = check(
        &Case {
            review_floor: floor,
            ..blind
        },
        "without discoveries",
    );
    assert_eq!((got.dropped_by, got.dropped_month), (DropCause::Review, 9));
    let (got, _) = check(
        &Case {
            review_floor: floor,
            ..c
        },
        "with discoveries",
    );
    assert!(!got.dropped);
}

#[test]
fn preparation_raises_scores_capped_at_one_delays_the_build_and_is_paid_up_front() {
    // All three packages: fit 0.5 + 0.3 + 0.4 = 1.2, capped at 1; culture 0.9 + 0.05.
    // C_p = 1500 + 700 + 300 = 2500, D_p = max(1, 2, 0) = 2.
    let c = Case {
        build_months: 3,
        prepare: r#"["stock_link", "data_cleanup", "staff_choice"]"#,
        ..BASE
    };
    let raised = [0.5, 1.0, (0.9f64 + 0.05).min(1.0), 0.8, 0.6, 0.7];
    for pilot in [0, 2] {
        let c = Case {
            pilot_months: pilot,
            ..c
        };
        let what = format!("prepared, pilot {pilot}");
        let (got, cf0) = run(&c);
        let want = by_hand(&c, raised, (2500.0, 2.0));
        assert_matches(&got, &want.outcome, &what);
        // f' = 1: C0_eff = 6000 * (1 + 0.5 * neg(1, 1)) = 9000 (f' = 1.2 would give 8400),
        // D_eff = 3 + round(0 * 3) = 3 (f' = 1.2 would give 3 + round(-0.6) = 2).
        let want_cf0 = if pilot > 0 {
            -0.4 * 9000.0 - 2500.0
        } else {
            -9000.0 - 2500.0
        };
        assert!(close(cf0, want_cf0), "{what}: CF_0 {cf0}");
        assert!(close(got.channels[6], want_cf0 + 2500.0), "{what}: upfront");
        assert_eq!(got.channels[9], -2500.0, "{what}: preparation channel");
        assert_eq!(got.go_live_month, 2 + 3 + 1, "{what}: G = D_p + D_eff + 1");
        // investment = -CF_0 + scale-up + running costs: the preparation is in it.
        let rc = -got.channels[4];
        let su = -got.channels[7];
        assert!(close(got.investment, -want_cf0 + su + rc), "{what}");
    }
    // Without the packages the same arm goes live in month 3 + round(0.5 * 3) + 1 = 6 too,
    // but pays C0_eff = 6000 * (1 + 0.5 * 1.5) = 10500 and nothing for preparation.
    let (got, _) = check(
        &Case {
            build_months: 3,
            ..BASE
        },
        "unprepared",
    );
    assert_eq!(got.go_live_month, 6);
    assert_eq!(got.channels[9], 0.0);
    assert!(close(got.channels[6], -10_500.0));
}

// ---------------------------------------------------------------------------------------
// Properties of the shipped bakery.

fn bakery_v2_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bakery.toml")
}

fn bakery_v2_text() -> String {
    std::fs::read_to_string(bakery_v2_path()).expect("scenarios/bakery.toml")
}

fn bakery_v2() -> Scenario {
    scenario(&bakery_v2_text())
}

/// Every field of an outcome, as bits.
fn bits(o: &Outcome) -> Vec<u64> {
    let mut x = vec![o.net, o.npv, o.investment, o.roi, o.revenue_retained];
    x.extend([o.adoption_final, o.kpi_final]);
    x.extend(o.channels);
    let mut b: Vec<u64> = x.iter().map(|v| v.to_bits()).collect();
    b.extend(
        [
            o.payback_month,
            o.dropped_month,
            o.go_live_month,
            o.discoveries,
        ]
        .map(u64::from),
    );
    b.extend([o.incidents, u64::from(o.dropped)]);
    b.push(o.dropped_by.index().map_or(9, |i| i as u64));
    b
}

/// The outcomes of arm `arm` over the batches, trial by trial, as bits.
fn arm_bits(batches: &[Batch], arm: usize) -> Vec<Vec<u64>> {
    batches
        .iter()
        .flat_map(|b| b.outcomes_of(arm).map(bits).collect::<Vec<_>>())
        .collect()
}

/// Every arm's outcomes as bits, trial by trial, sorted by arm name.
type ArmOutcomes = Vec<(String, Vec<Vec<u64>>)>;

/// The outcomes of every arm, by arm name.
fn by_arm(model: &Model, batches: &[Batch]) -> ArmOutcomes {
    let mut v: Vec<_> = (0..model.n_arms())
        .map(|a| (model.arms[a].name.clone(), arm_bits(batches, a)))
        .collect();
    v.sort();
    v
}

#[test]
fn bakery_channels_add_up_to_net_in_every_trial() {
    let sc = bakery_v2();
    let (model, batches) = simulate(&sc, 3000);
    let mut causes = [0usize; 3];
    let mut found = 0;
    for arm in 0..model.n_arms() {
        let prepares = !model.arms[arm].prepare.is_empty();
        for o in batches.iter().flat_map(|b| b.outcomes_of(arm)) {
            let sum: f64 = o.channels.iter().sum();
            let scale = o.channels.iter().fold(o.net.abs(), |s, c| s.max(c.abs()));
            assert!(
                (sum - o.net).abs() <= 1e-9 * scale.max(1.0),
                "arm {arm}: channels {sum} vs net {}",
                o.net
            );
            assert_eq!(o.channels[9] < 0.0, prepares, "preparation channel");
            if let Some(i) = o.dropped_by.index() {
                causes[i] += 1;
            }
            found += usize::from(o.discoveries > 0);
        }
    }
    // The property is tested on trials of every kind.
    assert!(causes.iter().all(|&c| c > 0), "drops by cause {causes:?}");
    assert!(found > 0);
}

/// Runs `alignsim run` on `file` with `extra` flags into `out`.
fn run_cli(file: &Path, trials: &str, extra: &[&str], out: &Path) {
    let mut args = vec!["run", "--trials", trials, "--quiet", "--charts", "none"];
    args.extend_from_slice(extra);
    args.push("--out");
    assert_success(&alignsim(&args, &[out, file]));
}

fn summary(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json");
    serde_json::from_str(&text).unwrap()
}

fn trials_parquet(dir: &Path) -> DataFrame {
    let file = std::fs::File::open(dir.join("trials.parquet")).unwrap();
    ParquetReader::new(file).finish().unwrap()
}

/// The rows of column `name` of arm `arm` in a trials frame, as f64.
fn column_of(df: &DataFrame, name: &str, arm: &str) -> Vec<f64> {
    let arms = df.column("arm").unwrap().str().unwrap();
    let col = df.column(name).unwrap();
    let col = col.cast(&polars::prelude::DataType::Float64).unwrap();
    col.f64()
        .unwrap()
        .iter()
        .zip(arms.iter())
        .filter(|(_, a)| *a == Some(arm))
        .map(|(v, _)| v.unwrap_or(f64::NAN))
        .collect()
}

#[test]
fn drop_causes_add_up_to_p_dropped_and_trials_name_the_cause_of_every_drop() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run_cli(&bakery_v2_path(), "2000", &[], &out);
    let s = summary(&out);
    assert_eq!(s["model_version"], "2");
    let df = trials_parquet(&out);
    let arms = df.column("arm").unwrap().str().unwrap().clone();
    let dropped = df.column("dropped").unwrap().bool().unwrap().clone();
    let by = df.column("dropped_by").unwrap().str().unwrap().clone();
    for ((a, d), c) in arms.iter().zip(dropped.iter()).zip(by.iter()) {
        assert_eq!(
            d.unwrap(),
            c.is_some(),
            "arm {a:?}: dropped {d:?}, by {c:?}"
        );
    }
    let prepares = [
        vec!["order_kpi", "stock_link"],
        vec![],
        vec!["order_kpi", "stock_link", "staff_choice"],
    ];
    for (arm, prepare) in s["arms"].as_array().unwrap().iter().zip(prepares) {
        let name = arm["name"].as_str().unwrap();
        let rows = || arms.iter().zip(by.iter()).filter(|(a, _)| *a == Some(name));
        let n = rows().count() as u64;
        assert_eq!(n, 2000);
        let count = |cause: &str| rows().filter(|(_, c)| *c == Some(cause)).count() as u64;
        let (gate, review, hazard) = (count("gate"), count("review"), count("hazard"));
        let share = |c: u64| c as f64 / n as f64;
        let p = &arm["p_dropped_by"];
        assert_eq!(p["gate"].as_f64(), Some(share(gate)), "{name}");
        assert_eq!(p["review"].as_f64(), Some(share(review)), "{name}");
        assert_eq!(p["hazard"].as_f64(), Some(share(hazard)), "{name}");
        let all = rows().filter(|(_, c)| c.is_some()).count() as u64;
        assert_eq!(gate + review + hazard, all, "{name}");
        assert_eq!(arm["p_dropped"].as_f64(), Some(share(all)), "{name}");
        assert!(
            review > 0,
            "{name}: the bakery's reviews stop some projects"
        );
        let found: f64 = column_of(&df, "discoveries", name).iter().sum();
        assert_eq!(arm["discoveries_mean"].as_f64(), Some(found / n as f64));
        let listed: Vec<&str> = arm["prepare"]
            .as_array()
            .map(|l| l.iter().map(|x| x.as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(listed, prepare, "{name}");
        for ch in ["discoveries", "preparation"] {
            assert!(arm["channels"][ch].is_number(), "{name}: channel {ch}");
        }
    }
}

#[test]
fn threads_arm_order_and_trial_ranges_change_no_outcome() {
    let text = bakery_v2_text();
    let model = Model::new(&scenario(&text));
    let n = 2500;
    let (one, two) = on_one_and_two_threads(&model, n);
    let whole = by_arm(&model, &one);
    assert_eq!(whole, by_arm(&model, &two), "one and two threads");
    // Two halves, cut inside a batch.
    let mut halves = model.run(0..1300, &|_| {});
    halves.extend(model.run(1300..n, &|_| {}));
    assert_eq!(whole, by_arm(&model, &halves), "0..n and two halves");
    // The [arms.*] tables in reverse order.
    let at = text.find("\n[arms.").expect("arm tables") + 1;
    let (head, tables) = text.split_at(at);
    let mut blocks: Vec<String> = tables
        .split("\n[arms.")
        .enumerate()
        .map(|(i, b)| {
            let b = if i == 0 {
                b.to_string()
            } else {
                format!("[arms.{b}")
            };
            format!("{}\n", b.trim_end())
        })
        .collect();
    assert_eq!(blocks.len(), 3);
    blocks.reverse();
    let reordered = scenario(&format!("{head}{}", blocks.join("\n")));
    let names: Vec<&str> = reordered.arms.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["kiosks_prepared", "misaligned", "aligned"]);
    let reordered_model = Model::new(&reordered);
    let batches = reordered_model.run(0..n, &|_| {});
    assert_eq!(whole, by_arm(&reordered_model, &batches), "arm order");
}

#[test]
fn thread_count_changes_no_output_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = ["1", "2"].map(|t| {
        let out = tmp.path().join(format!("threads{t}"));
        run_cli(&bakery_v2_path(), "1500", &["--threads", t], &out);
        out
    });
    for f in ["summary.json", "sensitivity.json", "monthly.parquet"] {
        assert!(
            std::fs::read(dirs[0].join(f)).unwrap() == std::fs::read(dirs[1].join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(trials_parquet(&dirs[0]).equals_missing(&trials_parquet(&dirs[1])));
}

/// The bakery with `extra` inserted at the start of the `[arms.NAME]` table (`None`:
/// before the first arm table).
fn bakery_with(arm: Option<&str>, extra: &str) -> String {
    let text = bakery_v2_text();
    let (at, line) = match arm {
        Some(name) => {
            let header = format!("[arms.{name}]\n");
            (
                text.find(&header).expect("arm table") + header.len(),
                extra.to_string(),
            )
        }
        None => (
            text.find("\n[arms.").expect("arm tables") + 1,
            format!("{extra}\n"),
        ),
    };
    format!("{}{line}{}", &text[..at], &text[at..])
}

/// The parameter columns of a run of `text`, with the outcomes of every arm.
fn frame_and_outcomes(text: &str, n: u64) -> (DataFrame, ArmOutcomes) {
    let sc = scenario(text);
    let (model, batches) = simulate(&sc, n);
    let df = aggregate::trials_frame(&model, &batches, sc.kpi.is_some()).unwrap();
    (df, by_arm(&model, &batches))
}

/// The original run's parameter columns are in the other frame, with the same values in
/// every row.
fn same_parameters(model: &Model, base: &DataFrame, other: &DataFrame, what: &str) {
    for v in &model.varying {
        let (a, b) = (
            base.column(&v.path).unwrap(),
            other.column(&v.path).unwrap(),
        );
        assert!(a.equals_missing(b), "{what}: column {}", v.path);
    }
}

const NEW_PACKAGE: &str = r#"[[work]]
name = "till_training"
dimension = "integration"
gain = { dist = "pert", min = 0.05, mode = 0.1, max = 0.2 }
cost = { dist = "triangular", min = 300, mode = 500, max = 900 }
months = { dist = "uniform_int", min = 0, max = 2 }
"#;

#[test]
fn v2_keys_and_packages_of_one_arm_change_no_draw_of_anything_else() {
    let n = 1500;
    let base_sc = bakery_v2();
    let base_model = Model::new(&base_sc);
    let (base_df, base) = frame_and_outcomes(&bakery_v2_text(), n);
    let others = |v: &[(String, Vec<Vec<u64>>)]| -> ArmOutcomes {
        v.iter()
            .filter(|(a, _)| a != "misaligned")
            .cloned()
            .collect()
    };
    let edits = [
        (
            "a random review floor for one arm",
            bakery_with(
                Some("misaligned"),
                "rollout = { review_floor = { dist = \"uniform\", min = -300, max = 300 } }\n",
            ),
        ),
        (
            "a new package prepared by one arm",
            bakery_with(Some("misaligned"), "prepare = [\"till_training\"]\n").replacen(
                "\n[arms.",
                &format!("\n{NEW_PACKAGE}\n[arms."),
                1,
            ),
        ),
    ];
    for (what, text) in &edits {
        let (df, got) = frame_and_outcomes(text, n);
        assert_eq!(others(&got), others(&base), "{what}: the other arms");
        assert_ne!(got, base, "{what}: the arm itself changes");
        same_parameters(&base_model, &base_df, &df, what);
    }
    // A package no arm prepares: nothing changes at all.
    let (df, got) = frame_and_outcomes(&bakery_with(None, NEW_PACKAGE), n);
    assert_eq!(got, base, "an unprepared package");
    same_parameters(&base_model, &base_df, &df, "an unprepared package");
    assert!(df.column("work.till_training.cost").is_ok());
}

fn sweep_plan(vary: &str, trials: u64) -> Plan {
    let base = Base::load(&bakery_v2_path()).expect("bakery.toml loads");
    let (source, axes) = spec::parse_args(&[vary.to_string()]).expect("well-formed --vary");
    match Plan::new(base, source, axes, Some(trials), None, "test".into()) {
        Ok(p) => p,
        Err(e) => panic!("plan rejected:\n{}", e.render(false)),
    }
}

#[test]
fn sweeps_run_over_review_floors_and_package_costs() {
    // Reviews before the first drop see the same months whatever the floor, and a higher
    // floor stops every project a lower one stops: P(dropped) does not fall as it rises.
    let s = sweep::simulate(&sweep_plan("rollout.review_floor=-400:400:3", 800), &|_| {})
        .expect("sweep runs");
    assert_eq!(s.points.len(), 3);
    for arm in 0..3 {
        let p: Vec<f64> = s
            .points
            .iter()
            .map(|pt| pt.arms[arm].p_dropped.unwrap())
            .collect();
        assert!(p[0] <= p[1] && p[1] <= p[2], "arm {arm}: {p:?}");
        assert!(p[0] < p[2], "arm {arm}: {p:?}");
    }
    // A package's cost is paid at month 0 and changes nothing else: the arms that prepare
    // it lose exactly the difference in mean npv, the other arm nothing.
    let s = sweep::simulate(
        &sweep_plan("work.stock_link.cost=1000:3000:3", 800),
        &|_| {},
    )
    .expect("sweep runs");
    let (lo, hi) = (&s.points[0].arms, &s.points[2].arms);
    for arm in 0..3 {
        assert_eq!(lo[arm].p_dropped, hi[arm].p_dropped, "arm {arm}");
        let diff = hi[arm].npv_mean.unwrap() - lo[arm].npv_mean.unwrap();
        let want = if lo[arm].arm == "misaligned" {
            0.0
        } else {
            -2000.0
        };
        assert!((diff - want).abs() < 1e-6, "{}: {diff}", lo[arm].arm);
    }
}

#[test]
fn breakeven_finds_the_package_cost_that_meets_a_mean_npv() {
    // Mean npv falls one for one with the stock link's cost: the cost at which the
    // aligned arm's mean npv is 1000 below its value at cost 0 is 1000.
    let b = Base::load(&bakery_v2_path()).unwrap();
    let target = path::resolve(&b.doc, "work.stock_link.cost").unwrap();
    let trials = 500;
    let mut ev = Evaluations::new(|x| {
        let sc = b.with(&b.doc, &[(&target, x)])?;
        Ok(sweep::run_point(&sc, trials, 7, &|_| {})?.remove(0))
    });
    let at_zero = ev.at(0.0).unwrap().npv_mean.unwrap();
    let goal = TargetLevel {
        metric: Metric::MeanNpv,
        level: at_zero - 1000.0,
    };
    let solved = breakeven::solve(&mut ev, goal, (0.0, 5000.0), false, trials).unwrap();
    let (x, dir) = solved.found.expect("the mean npv crosses the level");
    assert_eq!(dir, breakeven::Direction::Falling);
    assert!((x - 1000.0).abs() < 5.0, "{x}");
}

#[test]
fn the_tornado_ranks_package_values_and_discoveries() {
    let sc = bakery_v2();
    let (model, batches) = simulate(&sc, 2000);
    let s = Sensitivity::of_samples(&sc, model.seed, &Samples::from_batches(&model, &batches));
    let aligned = s.tornado.iter().find(|t| t.arm == "aligned").unwrap();
    let paths: Vec<&str> = aligned.drivers.iter().map(|d| d.path.as_str()).collect();
    for p in [
        "work.stock_link.cost",
        "work.stock_link.gain",
        "work.order_kpi.gain",
        "initiative.discovery_rate",
        "initiative.discovery_value",
    ] {
        let d = aligned.drivers.iter().find(|d| d.path == p);
        let d = d.unwrap_or_else(|| panic!("{p} not among {paths:?}"));
        assert!(d.rho_npv.is_some_and(f64::is_finite), "{p}");
    }
}

#[test]
fn a_correlation_with_a_package_value_is_imposed() {
    let rho = 0.6;
    let text = format!(
        "{}\n[[correlation]]\nbetween = [\"work.stock_link.cost\", \"business.monthly_revenue\"]\nrho = {rho}\n",
        bakery_v2_text()
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bakery.toml");
    std::fs::write(&file, text).unwrap();
    let out = tmp.path().join("run");
    let n = 3000u64;
    run_cli(&file, &n.to_string(), &[], &out);
    let df = trials_parquet(&out);
    let a = column_of(&df, "work.stock_link.cost", "aligned");
    let b = column_of(&df, "business.monthly_revenue", "aligned");
    assert_eq!(a.len() as u64, n);
    let got = spearman(&a, &b).unwrap();
    // Four standard errors of Spearman's rho, which (1 - rho^2) / sqrt(n - 3) bounds.
    let tol = 4.0 * (1.0 - rho * rho) / ((n - 3) as f64).sqrt();
    assert!((got - rho).abs() < tol, "{got} vs {rho} +- {tol}");
    assert_eq!(summary(&out)["correlations"][0][2].as_f64(), Some(rho));
}

#[test]
fn latin_hypercube_strata_cover_the_v2_inputs() {
    let sc = bakery_v2();
    let n = 500u64;
    let mut model = Model::new(&sc);
    model.sampling = Sampling::LatinHypercube { trials: n };
    let v2: Vec<usize> = (0..model.inputs.len())
        .filter(|&i| {
            let p = &model.inputs[i].path;
            p.starts_with("work.") || p.starts_with("initiative.discovery_")
        })
        .collect();
    assert!(v2.len() >= 7, "{v2:?}");
    let mut seen = vec![vec![false; n as usize]; v2.len()];
    let mut u = vec![0.0; model.inputs.len()];
    for trial in 0..n {
        model.input_uniforms(trial, &mut u);
        for (k, &i) in v2.iter().enumerate() {
            let stratum = (u[i] * n as f64) as usize;
            assert!(
                !seen[k][stratum],
                "{}: stratum {stratum} twice",
                model.inputs[i].path
            );
            seen[k][stratum] = true;
        }
    }
    // And the command runs it.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("lhs");
    run_cli(&bakery_v2_path(), "500", &["--sampling", "lhs"], &out);
    assert_eq!(summary(&out)["sampling"], "latin_hypercube");
}

#[test]
fn a_sketched_run_counts_drops_and_discoveries_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let [exact, sketch] = ["exact", "sketch"].map(|q| {
        let out = tmp.path().join(q);
        run_cli(&bakery_v2_path(), "1500", &["--quantiles", q], &out);
        summary(&out)
    });
    assert_eq!(sketch["quantiles"]["method"], "sketch");
    let arms = |s: &serde_json::Value| s["arms"].as_array().unwrap().clone();
    for (a, b) in arms(&exact).iter().zip(arms(&sketch).iter()) {
        for key in ["p_dropped", "p_dropped_by", "discoveries_mean", "prepare"] {
            assert_eq!(a[key], b[key], "{}: {key}", a["name"]);
        }
    }
}

#[test]
fn merged_shards_of_the_v2_bakery_equal_the_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    run_cli(&bakery_v2_path(), "2100", &[], &whole);
    let shards: Vec<PathBuf> = [2, 1]
        .map(|k| {
            let dir = tmp.path().join(format!("shard{k}"));
            run_cli(
                &bakery_v2_path(),
                "2100",
                &["--shard", &format!("{k}/2")],
                &dir,
            );
            dir
        })
        .to_vec();
    let merged = tmp.path().join("merged");
    let mut args: Vec<&Path> = vec![&merged];
    args.extend(shards.iter().map(PathBuf::as_path));
    assert_success(&alignsim(
        &["merge", "--quiet", "--charts", "none", "--out"],
        &args,
    ));
    assert!(
        std::fs::read(merged.join("summary.json")).unwrap()
            == std::fs::read(whole.join("summary.json")).unwrap(),
        "summary.json"
    );
    assert!(trials_parquet(&merged).equals_missing(&trials_parquet(&whole)));
}

/// Every number in the shipped bakery says where it comes from: each numeric setting has
/// a source comment beside or above it, which the report shows.
#[test]
fn every_number_of_the_shipped_bakery_has_a_source() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bakery.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let sc = super::scenario(&text);
    let doc: toml::Table = text.parse().unwrap();
    let mut missing = Vec::new();
    numbers(&toml::Value::Table(doc), "", &mut |p| {
        if sc.source(p).is_none() && !p.starts_with("scenario.") {
            missing.push(p.to_string());
        }
    });
    assert!(missing.is_empty(), "numbers without a source: {missing:?}");
    assert_eq!(
        sc.source("initiative.upfront_cost")
            .map(|s| s.starts_with("Implementation, integration")),
        Some(true)
    );
}

/// Calls `f` with the path of every numeric setting (a number or a distribution table)
/// below `v`; `[[work]]` entries by name.
fn numbers(v: &toml::Value, path: &str, f: &mut impl FnMut(&str)) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        toml::Value::Table(t) if t.contains_key("dist") => f(path),
        toml::Value::Table(t) => t.iter().for_each(|(k, v)| numbers(v, &join(k), f)),
        toml::Value::Array(a) => a.iter().for_each(|e| {
            let name = e.get("name").and_then(|n| n.as_str()).unwrap_or("?");
            numbers(e, &join(name), f)
        }),
        toml::Value::Integer(_) | toml::Value::Float(_) => f(path),
        _ => {}
    }
}
