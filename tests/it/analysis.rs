//! The analyses of MODEL.md 8.4: the gap attribution (Shapley shares), the alignment
//! levers, the preparation plans, and the commands that write them (`explain`, `plan`, a
//! run's `levers`). Deterministic cases of `tests/fixtures/v2/analysis.toml` are checked
//! against plain runs of the changed file (an independent path: the engine on an ordinary
//! scenario) or against a computation by hand; random cases of the bakery with work
//! packages (`tests/fixtures/work.toml`) against identities that hold exactly or to
//! rounding.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use alignsim::analysis::levers::{self, Lever, Levers};
use alignsim::analysis::plan::{self, Objective, Plan, Search};
use alignsim::analysis::shapley::{self, Attribution, PLAYERS};
use alignsim::engine::Model;
use alignsim::scenario::Scenario;
use serde_json::Value;

use super::{alignsim, assert_success, bakery_path, scenario, simulate};

// ---------------------------------------------------------------------------------------
// Fixtures and plain runs.

/// Trials of the deterministic fixture: every trial is the same, two keep the standard
/// errors defined (and a mean of two equal values is that value, bit for bit).
const FIXED_TRIALS: u64 = 2;

/// Trials of the random cases: small, as the identities they check hold on any trials.
const TRIALS: u64 = 400;

/// Trials of the random attributions, each of which simulates up to 2^9 hybrid arms.
const SHAPLEY_TRIALS: u64 = 100;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixed_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2/analysis.toml")
}

fn fixed_text() -> String {
    read("tests/fixtures/v2/analysis.toml")
}

fn work_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/work.toml")
}

fn work_text() -> String {
    read("tests/fixtures/work.toml")
}

/// `text` with the one line `KEY = ...` of table `[TABLE]` replaced by `KEY = value`.
fn set(text: &str, table: &str, key: &str, value: &str) -> String {
    let (header, head) = (format!("[{table}]"), format!("{key} = "));
    let (mut inside, mut hits) = (false, 0);
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with('[') {
                inside = l == header;
            }
            if inside && l.starts_with(&head) {
                hits += 1;
                format!("{head}{value}")
            } else {
                l.to_string()
            }
        })
        .collect();
    assert_eq!(hits, 1, "one line sets {key} in [{table}]");
    lines.join("\n") + "\n"
}

/// `text` with its one occurrence of `from` replaced by `to`.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "one {from:?}");
    text.replacen(from, to, 1)
}

/// The NPV of every trial of arm `arm` in a plain run of `trials` trials of `text`.
fn plain_npv(text: &str, arm: &str, trials: u64) -> Vec<f64> {
    let sc = scenario(text);
    let index = sc.arms.iter().position(|a| a.name == arm).expect("arm");
    let (_, batches) = simulate(&sc, trials);
    batches
        .iter()
        .flat_map(|b| b.outcomes_of(index).map(|o| o.npv).collect::<Vec<_>>())
        .collect()
}

/// The NPV of the deterministic fixture's arm `arm` (every trial the same).
fn fixed_npv(text: &str, arm: &str) -> f64 {
    let npv = plain_npv(text, arm, FIXED_TRIALS);
    assert!(npv.iter().all(|x| x.to_bits() == npv[0].to_bits()));
    npv[0]
}

/// The mean as the analyses take it: the sum in trial order over the count.
fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// `|got - want| <= tol`.
fn assert_near(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (difference {})",
        got - want
    );
}

/// `got` equals `want` to `rel` relative (of `max(|want|, 1)`).
fn assert_close(got: f64, want: f64, rel: f64, what: &str) {
    assert_near(got, want, rel * want.abs().max(1.0), what);
}

fn attribute(sc: &Scenario, a: &str, b: &str, trials: u64) -> Attribution {
    shapley::attribute(&Model::new(sc), (a, b), trials, &|_| {}).unwrap()
}

fn compute_levers(sc: &Scenario, trials: u64) -> Levers {
    levers::compute(&Model::new(sc), trials, &|_| {}).unwrap()
}

/// The plan search of the deterministic fixture's arm `lead`.
fn search_lead(objective: Objective, budget: Option<f64>) -> Search {
    let model = Model::new(&scenario(&fixed_text()));
    plan::search(&model, "lead", (objective, budget), FIXED_TRIALS, &|_| {}).unwrap()
}

/// The plan search of the bakery's misaligned arm.
fn search_bakery(objective: Objective, budget: Option<f64>) -> Search {
    let model = Model::new(&scenario(&work_text()));
    plan::search(&model, "misaligned", (objective, budget), TRIALS, &|_| {}).unwrap()
}

fn sum_of_shares(at: &Attribution) -> f64 {
    PLAYERS.iter().map(|p| at.shares[*p].share).sum()
}

// ---------------------------------------------------------------------------------------
// 1. Gap attribution.

#[test]
fn shapley_shares_add_up_to_the_gap() {
    for (text, a, b, trials) in [
        (fixed_text(), "lead", "lag", FIXED_TRIALS),
        (work_text(), "aligned", "misaligned", SHAPLEY_TRIALS),
        (work_text(), "misaligned", "aligned", SHAPLEY_TRIALS),
    ] {
        let at = attribute(&scenario(&text), a, b, trials);
        assert_eq!(at.shares.len(), PLAYERS.len());
        assert_close(
            sum_of_shares(&at),
            at.gap,
            1e-9,
            &format!("{a} - {b}: shares"),
        );
        // The gap is the paired mean difference of the two arms as plain runs give them.
        let (na, nb) = (plain_npv(&text, a, trials), plain_npv(&text, b, trials));
        assert_close(
            at.gap,
            mean(&na) - mean(&nb),
            1e-9,
            &format!("{a} - {b}: gap"),
        );
    }
}

#[test]
fn swapping_the_arms_negates_every_share() {
    for (text, a, b, trials) in [
        (fixed_text(), "lead", "lag", FIXED_TRIALS),
        (work_text(), "aligned", "misaligned", SHAPLEY_TRIALS),
    ] {
        let sc = scenario(&text);
        let (ab, ba) = (attribute(&sc, a, b, trials), attribute(&sc, b, a, trials));
        // Each trial's gap is the same two NPVs subtracted the other way round.
        assert_eq!(ab.gap, -ba.gap, "{a}, {b}: gap");
        assert_eq!(ab.gap_se, ba.gap_se, "{a}, {b}: gap se");
        for p in PLAYERS {
            let (x, y) = (ab.shares[p], ba.shares[p]);
            let tol = 1e-9 * ab.gap.abs().max(1.0);
            assert_near(x.share, -y.share, tol, p);
            assert_near(x.se, y.se, tol, p);
        }
    }
}

#[test]
fn a_player_the_arms_share_has_no_share() {
    // The fixture's arms differ in strategic, culture, initiative and prepare only.
    let at = attribute(&scenario(&fixed_text()), "lead", "lag", FIXED_TRIALS);
    for p in ["fit", "measurement", "integration", "ethics", "rollout"] {
        assert_eq!(at.shares[p].share, 0.0, "{p}");
        assert_eq!(at.shares[p].se, 0.0, "{p}");
    }
    for p in ["strategic", "culture", "initiative", "prepare"] {
        assert!(at.shares[p].share.abs() > 1.0, "{p}: {:?}", at.shares[p]);
    }
    // Random: the bakery's arms with the same ethics score.
    let text = replace_once(
        &work_text(),
        "integration = 0.5, ethics = 0.7 }",
        "integration = 0.5, ethics = 0.9 }",
    );
    let at = attribute(&scenario(&text), "aligned", "misaligned", SHAPLEY_TRIALS);
    assert_eq!(at.shares["ethics"].share, 0.0);
    assert_eq!(at.shares["ethics"].se, 0.0);
    assert_close(sum_of_shares(&at), at.gap, 1e-9, "shares");
}

/// The bakery with work packages whose misaligned arm is the aligned one with a culture of
/// 0.4 (same system, roll-out and preparation): the two differ in one player only.
fn bakery_differing_in_culture() -> String {
    let text = work_text();
    let (head, rest) = text.split_once("[arms.misaligned]").unwrap();
    let (_, work) = rest.split_once("[[work]]").unwrap();
    format!(
        "{head}[arms.misaligned]\n\
         alignment = {{ strategic = 0.85, fit = 0.8, culture = 0.4, measurement = 0.8, integration = 0.7, ethics = 0.9 }}\n\
         rollout = {{ pilot_months = 3, pilot_scale = 0.3, pilot_upfront_share = 0.5, gate_noise = 0.15 }}\n\n\
         [[work]]{work}"
    )
}

#[test]
fn one_differing_player_takes_the_whole_gap() {
    // The fixture's lag arm made the lead arm but for strategic alignment (its upfront
    // cost written out as the base's, which is the same value).
    let mut text = fixed_text();
    text = set(&text, "arms.lag.alignment", "culture", "0.9");
    text = set(&text, "arms.lag.initiative", "upfront_cost", "6000");
    text = set(&text, "arms.lag", "prepare", "[\"stock_link\"]");
    for (text, a, b, player, trials) in [
        (text, "lead", "lag", "strategic", FIXED_TRIALS),
        (
            bakery_differing_in_culture(),
            "aligned",
            "misaligned",
            "culture",
            SHAPLEY_TRIALS,
        ),
    ] {
        let at = attribute(&scenario(&text), a, b, trials);
        assert!(at.gap.abs() > 100.0, "{player}: gap {}", at.gap);
        let (na, nb) = (plain_npv(&text, a, trials), plain_npv(&text, b, trials));
        assert_close(at.gap, mean(&na) - mean(&nb), 1e-9, "gap");
        assert_close(at.shares[player].share, at.gap, 1e-9, player);
        for p in PLAYERS.iter().filter(|p| **p != player) {
            assert_eq!(at.shares[*p].share, 0.0, "{p}");
            assert_eq!(at.shares[*p].se, 0.0, "{p}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// 2. Levers.

fn assert_no_lever(l: &Lever, what: &str) {
    let zero = Lever {
        npv: 0.0,
        npv_se: 0.0,
        p_loss: 0.0,
        p_loss_se: 0.0,
    };
    assert_eq!(*l, zero, "{what}");
}

#[test]
fn a_dimension_no_formula_uses_has_no_lever() {
    // Ethics acts only through effects.trust; with trust 0 it does nothing, whatever the
    // incidents drawn.
    let with_trust = compute_levers(&scenario(&work_text()), TRIALS);
    let inert = compute_levers(
        &scenario(&(work_text() + "\n[effects]\ntrust = 0\n")),
        TRIALS,
    );
    for arm in ["aligned", "misaligned"] {
        assert!(with_trust[arm]["ethics"].npv > 0.0, "{arm}: ethics matters");
        assert_no_lever(&inert[arm]["ethics"], arm);
    }
    // The fixture has no incidents (ethics does nothing), no pilot and no reviews
    // (measurement only sets the noise of the gate and of the reviews).
    let fixed = compute_levers(&scenario(&fixed_text()), FIXED_TRIALS);
    for arm in ["lead", "lag"] {
        assert_no_lever(&fixed[arm]["ethics"], arm);
        assert_no_lever(&fixed[arm]["measurement"], arm);
    }
}

/// The fixture made linear in strategic alignment: no erosion and `effects.uplift = 1`, so
/// that `u_r = u * pos(1, s) = u * s` and strategic alignment acts only through it (no
/// abandonment, no KPI, no gate).
fn linear_text() -> String {
    let text = set(&fixed_text(), "initiative", "erosion", "0");
    set(&text, "effects", "uplift", "1")
}

/// MODEL.md sections 2-3 by hand for arm `lag` of [`linear_text`] (fit 0.5, culture 0.6,
/// no preparation): `d npv / d s = sum_t m * R_base(t) * u * A_t / (1 + r_m)^t`, since
/// `M = 1` (no erosion, no incidents) and `CF_t` holds `m * (R_t - R_base(t)) =
/// m * R_base(t) * u_r * A_t`; nothing else depends on s.
fn npv_per_unit_of_strategic() -> f64 {
    let pos = |w: f64, x: f64| (1.0 - w * (1.0 - x)).max(0.0);
    let (r0, g, m, u) = (10_000.0f64, 0.01f64, 0.5, 0.1);
    let (f, c, d) = (0.5, 0.6, 4.0f64);
    let d_eff = d + (1.0 * (1.0 - f) * d).round();
    let big_g = d_eff as usize + 1;
    let amax = 0.9 * pos(0.5, c);
    let (p, q) = (0.2, 0.3 * pos(0.5, c));
    let r_m = 1.12f64.powf(1.0 / 12.0) - 1.0;
    (big_g..=24)
        .map(|t| {
            let tau = (t - big_g + 1) as f64;
            let x = (-(p + q) * tau).exp();
            let a_t = amax * (1.0 - x) / (1.0 + (q / p) * x);
            let r_base = r0 * (1.0 + g).powf(t as f64);
            m * r_base * u * a_t / (1.0 + r_m).powf(t as f64)
        })
        .sum()
}

#[test]
fn a_lever_is_the_hand_computed_value_of_a_step() {
    let k = npv_per_unit_of_strategic();
    let l = compute_levers(&scenario(&linear_text()), FIXED_TRIALS)["lag"]["strategic"];
    assert!(k > 1000.0, "the uplift matters: {k}");
    assert_close(l.npv, levers::STEP * k, 1e-9, "lever");
    assert!(l.npv_se.abs() < 1e-9 * l.npv, "se {}", l.npv_se);
    // The NPV keeps its sign on both sides of the step.
    assert_eq!((l.p_loss, l.p_loss_se), (0.0, 0.0));
}

#[test]
fn a_lever_of_random_scores_is_rescaled_by_the_mean_width_of_the_step() {
    // Scores between 0.9 and 1: about half the trials step to 1 only (a clamped step, of
    // width 0.05 to 0.1). In the linear case each trial's difference is k times its width,
    // so the lever is exactly a step of 0.1 whatever the widths.
    let text = set(
        &linear_text(),
        "arms.lag.alignment",
        "strategic",
        "{ dist = \"uniform\", min = 0.9, max = 1.0 }",
    );
    let l = compute_levers(&scenario(&text), TRIALS)["lag"]["strategic"];
    let k = npv_per_unit_of_strategic();
    assert_close(l.npv, levers::STEP * k, 1e-9, "lever");
    assert!(l.npv_se.abs() < 1e-9 * l.npv, "se {}", l.npv_se);
}

/// Arm `arm`'s lever of `dim` against two plain runs of `text` with the score written at
/// the clamped ends of the step around `a`: `0.1 * (npv(hi) - npv(lo)) / (hi - lo)`.
fn check_against_plain_runs(text: &str, arm: &str, dim: &str, a: f64) {
    let table = format!("arms.{arm}.alignment");
    let text = set(text, &table, dim, &a.to_string());
    let lever = compute_levers(&scenario(&text), FIXED_TRIALS)[arm][dim];
    let (hi, lo) = ((a + 0.05).min(1.0), (a - 0.05).max(0.0));
    // `{}` writes the shortest decimal that reads back as the same f64.
    let npv = |x: f64| fixed_npv(&set(&text, &table, dim, &x.to_string()), arm);
    let (npv_hi, npv_lo) = (npv(hi), npv(lo));
    let what = format!("{arm}.{dim} at {a}");
    assert_close(
        lever.npv,
        levers::STEP * (npv_hi - npv_lo) / (hi - lo),
        1e-9,
        &what,
    );
    let loss = |x: f64| f64::from(u8::from(x < 0.0));
    let p_loss = levers::STEP * (loss(npv_hi) - loss(npv_lo)) / (hi - lo);
    assert_close(lever.p_loss, p_loss, 1e-9, &what);
}

#[test]
fn a_lever_equals_two_plain_runs_half_a_step_apart() {
    // Every dimension of both arms at the fixture's scores; the lead arm prepares
    // stock_link (fit + 0.3), so its fit lever also checks that the step comes before the
    // preparation.
    let scores = [
        ("lead", [0.8, 0.5, 0.9, 0.8, 0.6, 0.7]),
        ("lag", [0.4, 0.5, 0.6, 0.8, 0.6, 0.7]),
    ];
    let levers = compute_levers(&scenario(&fixed_text()), FIXED_TRIALS);
    for (arm, values) in scores {
        for (dim, a) in PLAYERS.iter().zip(values) {
            check_against_plain_runs(&fixed_text(), arm, dim, a);
        }
        for dim in ["strategic", "culture", "integration"] {
            assert!(levers[arm][dim].npv > 100.0, "{arm}.{dim} raises the NPV");
        }
    }
    // Fit saves overrun, upfront cost * 0.5 per point, without delaying go-live (the delay
    // rounds to the same months): 6,000 * 0.5 * 0.1 = 300 for lead, 9,000 * 0.5 * 0.1 =
    // 450 for lag.
    assert_close(levers["lead"]["fit"].npv, 300.0, 1e-9, "lead fit");
    assert_close(levers["lag"]["fit"].npv, 450.0, 1e-9, "lag fit");
}

#[test]
fn a_lever_at_the_end_of_the_scale_takes_the_clamped_step() {
    // Score 1: hi = 1, lo = 0.95, the lever is (npv(1) - npv(0.95)) * 2; score 0 likewise.
    for (arm, dim, a) in [
        ("lead", "strategic", 1.0),
        ("lead", "culture", 1.0),
        ("lag", "strategic", 0.0),
        ("lag", "integration", 0.0),
    ] {
        check_against_plain_runs(&fixed_text(), arm, dim, a);
    }
    let text = set(&fixed_text(), "arms.lead.alignment", "strategic", "1");
    let l = compute_levers(&scenario(&text), FIXED_TRIALS)["lead"]["strategic"];
    let at = |s: &str| fixed_npv(&set(&text, "arms.lead.alignment", "strategic", s), "lead");
    assert_close(l.npv, (at("1") - at("0.95")) * 2.0, 1e-9, "score 1");
}

// ---------------------------------------------------------------------------------------
// 3. Preparation plans.

/// The catalogue's packages, in order.
const PACKAGES: [&str; 3] = ["stock_link", "data_cleanup", "staff_choice"];

/// Every subset of the fixture's catalogue, in catalogue order, with its total cost.
fn subsets() -> Vec<(Vec<String>, f64)> {
    let cost = [600.0, 700.0, 300.0];
    (0..8usize)
        .map(|m| {
            let s: Vec<usize> = (0..3).filter(|i| m & (1 << i) != 0).collect();
            let names = s.iter().map(|&i| PACKAGES[i].to_string()).collect();
            (names, s.iter().map(|&i| cost[i]).sum())
        })
        .collect()
}

/// `["a", "b"]`: a `prepare` list as TOML.
fn toml_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

fn plan_of<'a>(s: &'a Search, packages: &[String]) -> &'a Plan {
    let found: Vec<&Plan> = s.plans.iter().filter(|p| p.packages == packages).collect();
    assert_eq!(found.len(), 1, "{packages:?} listed once");
    found[0]
}

/// The lead arm's NPV with each subset written into the file as its `prepare` list.
fn lead_by_plain_runs() -> Vec<(Vec<String>, f64, f64)> {
    subsets()
        .into_iter()
        .map(|(names, cost)| {
            let text = set(&fixed_text(), "arms.lead", "prepare", &toml_list(&names));
            let npv = fixed_npv(&text, "lead");
            (names, cost, npv)
        })
        .collect()
}

/// The best of `plain` within `budget` for mean NPV (no two tie in this fixture).
fn best_by_plain_runs(plain: &[(Vec<String>, f64, f64)], budget: f64) -> Vec<String> {
    let fits = plain.iter().filter(|(_, cost, _)| *cost <= budget);
    let best = fits.max_by(|x, y| x.2.total_cmp(&y.2)).unwrap();
    best.0.clone()
}

#[test]
fn a_plan_finds_the_subset_plain_runs_say_is_best() {
    let plain = lead_by_plain_runs();
    let s = search_lead(Objective::MeanNpv, None);
    assert!(s.exhaustive);
    assert_eq!(s.plans.len(), 8);
    for (names, cost, npv) in &plain {
        let p = plan_of(&s, names);
        assert_eq!(p.npv_mean.to_bits(), npv.to_bits(), "{names:?}");
        assert_eq!(p.cost_mean, *cost, "{names:?}");
        assert_eq!(p.npv_cvar5.to_bits(), npv.to_bits(), "{names:?}");
        assert_eq!(
            p.p_npv_negative,
            f64::from(u8::from(*npv < 0.0)),
            "{names:?}"
        );
    }
    assert_eq!(s.best.packages, best_by_plain_runs(&plain, f64::INFINITY));
    // By hand: the fit packages save overrun (6,000 * 0.5 per point of fit) without
    // delaying go-live (build 4 months: the delay rounds to the months they take), so
    // stock_link (fit + 0.3, 600) returns 300 and data_cleanup (+ 0.4, 700) 500; both
    // together are capped at fit 1 and return 1,500 - 1,300 = 200: data_cleanup alone,
    // with staff_choice, which is worth more than its 300.
    assert_eq!(s.best.packages, ["data_cleanup", "staff_choice"]);
    let npv = |names: &[&str]| {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        plan_of(&s, &names).npv_mean
    };
    let none = npv(&[]);
    assert_close(npv(&["stock_link"]) - none, 300.0, 1e-9, "stock_link");
    assert_close(npv(&["data_cleanup"]) - none, 500.0, 1e-9, "data_cleanup");
    let both = npv(&["stock_link", "data_cleanup"]) - none;
    assert_close(both, 200.0, 1e-9, "both");
}

#[test]
fn a_plan_keeps_to_its_budget() {
    let plain = lead_by_plain_runs();
    let unbounded = search_lead(Objective::MeanNpv, None).best;
    for (budget, want) in [
        (1000.0, &["data_cleanup", "staff_choice"][..]),
        (999.0, &["data_cleanup"][..]),
        (699.0, &["stock_link"][..]),
        (299.0, &[][..]),
        (0.0, &[][..]),
    ] {
        let s = search_lead(Objective::MeanNpv, Some(budget));
        assert_eq!(s.budget, Some(budget));
        assert!(s.best.cost_mean <= budget, "{budget}: {:?}", s.best);
        assert_eq!(
            s.best.packages,
            best_by_plain_runs(&plain, budget),
            "{budget}"
        );
        assert_eq!(s.best.packages, want, "{budget}");
        if budget < unbounded.cost_mean {
            assert_ne!(s.best.packages, unbounded.packages, "{budget}");
        }
        // The budget picks among the plans; it does not change what they are.
        assert_eq!(s.plans.len(), 8);
    }
}

#[test]
fn the_empty_plan_is_the_arm_without_preparation() {
    // The bakery's misaligned arm prepares two packages; without them it is the plain run
    // of the file with `prepare = []`.
    let s = search_bakery(Objective::MeanNpv, None);
    let without = replace_once(
        &work_text(),
        "prepare = [\"kpi_definition\", \"data_cleanup\"]",
        "prepare = []",
    );
    let npv = plain_npv(&without, "misaligned", TRIALS);
    let empty = plan_of(&s, &[]);
    assert_eq!(empty.npv_mean.to_bits(), mean(&npv).to_bits());
    assert_eq!(empty.cost_mean, 0.0);
    let p_loss = npv.iter().filter(|x| **x < 0.0).count() as f64 / npv.len() as f64;
    assert_eq!(empty.p_npv_negative, p_loss);
}

/// CVaR 5 % as MODEL.md section 6 defines it: the mean of the NPVs at or below the 5th
/// percentile, which interpolates linearly between order statistics.
fn cvar5(npv: &[f64]) -> f64 {
    let mut x = npv.to_vec();
    x.sort_by(f64::total_cmp);
    let h = 0.05 * (x.len() - 1) as f64;
    let (i, frac) = (h.floor() as usize, h - h.floor());
    let var5 = x[i] + frac * (x[(i + 1).min(x.len() - 1)] - x[i]);
    let tail: Vec<f64> = x.into_iter().filter(|v| *v <= var5).collect();
    mean(&tail)
}

/// The best of `plans` for `score` (higher is better), the cheaper on a tie.
fn pick(plans: &[Plan], score: impl Fn(&Plan) -> f64) -> &Plan {
    plans
        .iter()
        .max_by(|a, b| {
            score(a)
                .total_cmp(&score(b))
                .then(b.cost_mean.total_cmp(&a.cost_mean))
        })
        .unwrap()
}

#[test]
fn p_loss_and_cvar5_objectives_pick_by_their_definitions() {
    let (mean_npv, p_loss, cvar) = (
        search_bakery(Objective::MeanNpv, None),
        search_bakery(Objective::PLoss, None),
        search_bakery(Objective::Cvar5, None),
    );
    assert_eq!(p_loss.plans, mean_npv.plans);
    assert_eq!(cvar.plans, mean_npv.plans);
    // Each plan's figures are those of a plain run with its packages written in the file.
    for p in &mean_npv.plans {
        let text = replace_once(
            &work_text(),
            "prepare = [\"kpi_definition\", \"data_cleanup\"]",
            &format!("prepare = {}", toml_list(&p.packages)),
        );
        let npv = plain_npv(&text, "misaligned", TRIALS);
        let what = format!("{:?}", p.packages);
        assert_eq!(p.npv_mean.to_bits(), mean(&npv).to_bits(), "{what}");
        let loss = npv.iter().filter(|x| **x < 0.0).count() as f64 / npv.len() as f64;
        assert_eq!(p.p_npv_negative, loss, "{what}");
        assert_close(p.npv_cvar5, cvar5(&npv), 1e-12, &what);
    }
    let plans = &mean_npv.plans;
    assert_eq!(mean_npv.best, *pick(plans, |p| p.npv_mean));
    assert_eq!(p_loss.best, *pick(plans, |p| -p.p_npv_negative));
    assert_eq!(cvar.best, *pick(plans, |p| p.npv_cvar5));
    // In this bakery the objectives disagree: each is its own choice.
    assert_ne!(p_loss.best.packages, mean_npv.best.packages);
    // With a budget, among the plans that fit.
    let s = search_bakery(Objective::PLoss, Some(1000.0));
    let fits: Vec<Plan> = plans
        .iter()
        .filter(|p| p.cost_mean <= 1000.0)
        .cloned()
        .collect();
    assert_eq!(s.best, *pick(&fits, |p| -p.p_npv_negative));
}

// ---------------------------------------------------------------------------------------
// 4. The commands.

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn dims() -> BTreeSet<String> {
    PLAYERS[..6].iter().map(|p| p.to_string()).collect()
}

#[test]
fn explain_writes_levers_and_the_attribution_of_nine_players() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("explain");
    let args = [
        "explain",
        "--pair",
        "aligned,misaligned",
        "--trials",
        "100",
        "--quiet",
        "--out",
    ];
    assert_success(&alignsim(&args, &[&out, &work_path()]));
    let e = json(&out.join("explain.json"));
    assert_eq!(e["trials"], 100);
    assert_eq!(
        keys(&e["levers"]),
        BTreeSet::from(["aligned", "misaligned"].map(String::from))
    );
    for arm in ["aligned", "misaligned"] {
        assert_eq!(keys(&e["levers"][arm]), dims());
    }
    let at: Attribution = serde_json::from_value(e["attribution"].clone()).unwrap();
    assert_eq!((at.a.as_str(), at.b.as_str()), ("aligned", "misaligned"));
    let players: BTreeSet<String> = PLAYERS.iter().map(|p| p.to_string()).collect();
    assert_eq!(at.shares.keys().cloned().collect::<BTreeSet<_>>(), players);
    // The command's figures are the library's on the same trials and seed.
    let sc = scenario(&work_text());
    assert_eq!(at, attribute(&sc, "aligned", "misaligned", 100));
    let levers: Levers = serde_json::from_value(e["levers"].clone()).unwrap();
    assert_eq!(levers, compute_levers(&sc, 100));
    assert!(e["sentence"].as_str().unwrap().contains("more on average"));

    // Without --pair: the two arms with the highest mean NPV, the better first.
    let out = tmp.path().join("default-pair");
    let args = ["explain", "--trials", "2", "--quiet", "--out"];
    assert_success(&alignsim(&args, &[&out, &fixed_path()]));
    let e = json(&out.join("explain.json"));
    assert_eq!(e["attribution"]["a"], "lead");
    assert_eq!(e["attribution"]["b"], "lag");
}

#[test]
fn plan_writes_its_plans_and_the_best() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan");
    let args = [
        "plan", "--arm", "lead", "--budget", "999", "--trials", "2", "--quiet", "--out",
    ];
    assert_success(&alignsim(&args, &[&out, &fixed_path()]));
    let p = json(&out.join("plan.json"));
    assert_eq!(p["arm"], "lead");
    assert_eq!(p["objective"], "mean_npv");
    assert_eq!(p["budget"], 999.0);
    let plans: Vec<Plan> = serde_json::from_value(p["plans"].clone()).unwrap();
    let best: Plan = serde_json::from_value(p["best"].clone()).unwrap();
    let lib = search_lead(Objective::MeanNpv, Some(999.0));
    assert_eq!(plans, lib.plans);
    assert_eq!(best, lib.best);
    assert_eq!(best.packages, ["data_cleanup"]);
    let csv = std::fs::read_to_string(out.join("plans.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 8, "{csv}");
    assert!(lines[0].starts_with("packages,cost_mean,npv_mean"), "{csv}");
    assert!(csv.contains("\nstock_link+data_cleanup,"), "{csv}");
}

/// Fails unless the program exited with status 2 and said every one of `words`.
fn assert_usage_error(output: &std::process::Output, words: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for w in words {
        assert!(stderr.contains(w), "{w:?} in {stderr}");
    }
}

#[test]
fn a_bad_arm_or_pair_exits_2_with_a_did_you_mean() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--trials", "2", "--quiet", "--out"]);
        alignsim(&all, &[&out, &work_path()])
    };
    let hint = ["did you mean \"misaligned\"?"];
    assert_usage_error(&run(&["plan", "--arm", "misalinged"]), &hint);
    assert_usage_error(&run(&["explain", "--pair", "aligned,misalinged"]), &hint);
    assert_usage_error(&run(&["explain", "--pair", "misalignd,aligned"]), &hint);
    assert_usage_error(&run(&["explain", "--pair", "aligned"]), &["A,B"]);
    assert_usage_error(&run(&["explain", "--pair", "aligned,aligned"]), &["twice"]);
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn plan_without_work_packages_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let args = [
        "plan", "--arm", "aligned", "--trials", "2", "--quiet", "--out",
    ];
    let output = alignsim(&args, &[&out, &bakery_path()]);
    assert_usage_error(&output, &["bakery.toml", "no [[work]] packages"]);
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn explain_and_plan_replace_their_own_folders() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("explain", vec!["explain"]),
        ("plan", vec!["plan", "--arm", "lead"]),
    ] {
        let out = tmp.path().join(name);
        let mut args = args;
        args.extend(["--trials", "2", "--quiet", "--out"]);
        assert_success(&alignsim(&args, &[&out, &fixed_path()]));
        assert_success(&alignsim(&args, &[&out, &fixed_path()]));
    }
}

// ---------------------------------------------------------------------------------------
// 5. A run's levers.

/// `alignsim run` of the bakery with work packages into `out` with `extra` arguments.
fn run_into(out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["run", "--quiet", "--charts", "none", "--no-trials"];
    args.extend_from_slice(extra);
    args.push("--out");
    assert_success(&alignsim(&args, &[out, &work_path()]));
    json(&out.join("summary.json"))
}

#[test]
fn a_run_reports_levers_for_every_arm_and_dimension() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(&work_text());
    let summary = run_into(
        &tmp.path().join("a"),
        &["--trials", "300", "--levers", "200"],
    );
    let got: Levers = serde_json::from_value(summary["levers"].clone()).unwrap();
    let arms: BTreeSet<String> = ["aligned", "misaligned"].map(String::from).into();
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), arms);
    for dims_of in got.values() {
        assert_eq!(dims_of.keys().cloned().collect::<BTreeSet<_>>(), dims());
        for l in dims_of.values() {
            let all = [l.npv, l.npv_se, l.p_loss, l.p_loss_se];
            assert!(all.iter().all(|x| x.is_finite()), "{l:?}");
        }
    }
    // On the run's first 200 trials, with the run's seed.
    assert_eq!(got, compute_levers(&sc, 200));
    // Fewer trials than --levers: on all of them; --seed: with that seed.
    let summary = run_into(&tmp.path().join("b"), &["--trials", "150", "--seed", "11"]);
    let got: Levers = serde_json::from_value(summary["levers"].clone()).unwrap();
    let want = levers::compute(&Model::seeded(&sc, 11), 150, &|_| {}).unwrap();
    assert_eq!(got, want);
    // --levers 0: none.
    let summary = run_into(&tmp.path().join("c"), &["--trials", "150", "--levers", "0"]);
    assert!(summary.get("levers").is_none(), "{summary}");
    assert!(summary.get("arms").is_some());
}

#[test]
fn shards_and_merge_give_the_levers_of_the_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let common = ["--trials", "301", "--levers", "250"];
    let whole = run_into(&tmp.path().join("whole"), &common);
    let mut dirs = Vec::new();
    for k in 1..=3 {
        let dir = tmp.path().join(format!("shard-{k}"));
        let mut args = vec!["run", "--quiet", "--charts", "none"];
        args.extend(common);
        let shard = format!("{k}/3");
        args.extend(["--shard", &shard, "--out"]);
        assert_success(&alignsim(&args, &[&dir, &work_path()]));
        dirs.push(dir);
    }
    let merged = tmp.path().join("merged");
    let mut paths: Vec<&Path> = vec![&merged];
    paths.extend(dirs.iter().map(PathBuf::as_path));
    let args = [
        "merge", "--levers", "250", "--quiet", "--charts", "none", "--out",
    ];
    assert_success(&alignsim(&args, &paths));
    let merged = json(&merged.join("summary.json"));
    assert!(whole["levers"].is_object());
    assert_eq!(merged["levers"], whole["levers"]);
    let levers: Levers = serde_json::from_value(merged["levers"].clone()).unwrap();
    assert_eq!(levers, compute_levers(&scenario(&work_text()), 250));
}
