//! Robustness properties: mutated scenario files never panic the validator and either fail
//! validation or simulate to finite-or-null results; random valid scenarios keep the
//! invariants of MODEL.md (channels add up to net, probabilities in [0, 1], ordered
//! quantiles, results independent of the thread count).

use alignsim::aggregate;
use alignsim::engine::{BATCH, Batch, Model};
use alignsim::scenario::{self, Scenario, Sym};
use alignsim::stats::{Stats, Summary};
use proptest::prelude::*;
use proptest::sample::Index;

/// Cases per property: `default`, or `PROPTEST_CASES` for a longer run by hand.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The texts that mutations start from.
fn bases() -> Vec<String> {
    let minimal = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/minimal.toml"
    ))
    .unwrap();
    vec![super::bakery_text(), minimal]
}

/// One edit of a scenario file, its positions chosen by `Index`es.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(Index),
    DuplicateLine(Index),
    /// Replaces the chosen number literal by the given text.
    ReplaceNumber(Index, String),
    /// Swaps the keys of two `key = value` lines.
    SwapKeys(Index, Index),
    /// Keeps only the text before the chosen byte.
    Truncate(Index),
}

/// Number literals from the ordinary to the absurd: huge, tiny, negative, fractional
/// months, integers beyond 64 bits, infinities.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        (-5i64..1300).prop_map(|i| i.to_string()),
        (-1.5f64..1.5).prop_map(|x| format!("{x:?}")),
        any::<f64>()
            .prop_filter("a TOML number", |x| x.is_finite())
            .prop_map(|x| format!("{x:?}")),
        prop::sample::select(vec![
            "0",
            "-0.0",
            "1e308",
            "-1e308",
            "1e-320",
            "5e-324",
            "1e12",
            "0.01",
            "10000",
            "99999999999999999999",
            "inf",
            "-inf",
            "nan",
            "0x7fffffffffffffff",
            "1_000",
        ])
        .prop_map(str::to_string),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
        1 => any::<Index>().prop_map(Mutation::DuplicateLine),
        3 => (any::<Index>(), number_text()).prop_map(|(i, n)| Mutation::ReplaceNumber(i, n)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapKeys(a, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

/// Byte ranges of the number literals in `text` (outside comments and strings, roughly).
fn number_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = (b[i].is_ascii_digit()
            || (b[i] == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
            && i > 0
            && b" =[,".contains(&b[i - 1]);
        if starts {
            let j = (i + 1..b.len())
                .find(|&j| !(b[j].is_ascii_alphanumeric() || b"._+-".contains(&b[j])))
                .unwrap_or(b.len());
            out.push(i..j);
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

fn apply(text: &str, m: &Mutation) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return text.to_string();
    }
    match m {
        Mutation::DeleteLine(i) => {
            let k = i.index(lines.len());
            let mut v = lines.clone();
            v.remove(k);
            v.join("\n")
        }
        Mutation::DuplicateLine(i) => {
            let k = i.index(lines.len());
            let mut v = lines.clone();
            v.insert(k, lines[k]);
            v.join("\n")
        }
        Mutation::ReplaceNumber(i, n) => {
            let spans = number_spans(text);
            if spans.is_empty() {
                return text.to_string();
            }
            let r = spans[i.index(spans.len())].clone();
            format!("{}{}{}", &text[..r.start], n, &text[r.end..])
        }
        Mutation::SwapKeys(a, b) => {
            let keyed: Vec<usize> = (0..lines.len())
                .filter(|&k| lines[k].contains(" = ") && !lines[k].starts_with('#'))
                .collect();
            if keyed.len() < 2 {
                return text.to_string();
            }
            let (x, y) = (keyed[a.index(keyed.len())], keyed[b.index(keyed.len())]);
            let split = |l: &str| {
                let (k, v) = l.split_once(" = ").unwrap();
                (k.to_string(), v.to_string())
            };
            let ((kx, vx), (ky, vy)) = (split(lines[x]), split(lines[y]));
            let mut v: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            v[x] = format!("{ky} = {vx}");
            v[y] = format!("{kx} = {vy}");
            v.join("\n")
        }
        Mutation::Truncate(i) => {
            let mut k = i.index(text.len() + 1);
            while !text.is_char_boundary(k) {
                k -= 1;
            }
            text[..k].to_string()
        }
    }
}

/// Every quantile pair in order, every probability in [0, 1], every number that is there
/// finite, and the mean channels adding up to the mean net.
fn check_summary(s: &Summary, gross: f64) -> Result<(), TestCaseError> {
    for arm in &s.arms {
        for (what, st) in [("roi", &arm.roi), ("npv", &arm.npv), ("net", &arm.net)] {
            check_stats(what, st)?;
        }
        for (what, p) in [
            ("p_roi_negative", arm.p_roi_negative),
            ("p_npv_negative", arm.p_npv_negative),
            ("p_payback", arm.p_payback),
            ("p_dropped", arm.p_dropped),
            ("adoption_final_mean", arm.adoption_final_mean),
        ] {
            if let Some(p) = p {
                prop_assert!((0.0..=1.0).contains(&p), "{}: {} = {}", arm.name, what, p);
            }
        }
        for (what, v) in [
            ("npv_var5", arm.npv_var5),
            ("npv_cvar5", arm.npv_cvar5),
            ("payback_median", arm.payback_median),
            ("incidents_mean", arm.incidents_mean),
            ("kpi_final_mean", arm.kpi_final_mean),
            ("investment_mean", arm.investment_mean),
        ] {
            prop_assert!(
                v.is_none_or(f64::is_finite),
                "{}: {} = {:?}",
                arm.name,
                what,
                v
            );
        }
        if let Some(m) = arm.revenue_retained_mean {
            prop_assert!((0.0..=1.0).contains(&m), "revenue retained {m}");
        }
        for (what, v) in arm.channels.entries() {
            if let Some(v) = v {
                prop_assert!(v.is_finite(), "channel {what} = {v}");
            }
        }
        let parts: Option<Vec<f64>> = arm.channels.entries().iter().map(|(_, v)| *v).collect();
        if let (Some(parts), Some(net)) = (parts, arm.net.mean) {
            let sum: f64 = parts.iter().sum();
            prop_assert!(
                (sum - net).abs() <= tolerance(&parts, gross),
                "{}: channels sum to {sum}, net mean {net}",
                arm.name
            );
        }
    }
    for pair in &s.pairs {
        if let Some(p) = pair.p_a_npv_greater {
            prop_assert!((0.0..=1.0).contains(&p), "P(a > b) = {p}");
        }
        for v in [pair.npv_diff.lo95, pair.npv_diff.mean, pair.npv_diff.hi95] {
            prop_assert!(v.is_none_or(f64::is_finite));
        }
    }
    Ok(())
}

fn check_stats(what: &str, st: &Stats) -> Result<(), TestCaseError> {
    let q = [st.p5, st.p10, st.p25, st.p50, st.p75, st.p90, st.p95];
    for v in q.iter().chain([&st.mean, &st.sd, &st.se]).flatten() {
        prop_assert!(v.is_finite(), "{what}: {v}");
    }
    let present: Vec<f64> = q.iter().flatten().copied().collect();
    for w in present.windows(2) {
        prop_assert!(w[0] <= w[1], "{what} quantiles out of order: {q:?}");
    }
    Ok(())
}

/// An upper bound on the revenue a trial handles, `sum_t R_base(t)`: net is built from
/// differences of revenues (`R_t - R_base(t)`), so its rounding scales with them, not with
/// the (possibly far smaller) channels.
fn gross_revenue(sc: &Scenario) -> f64 {
    let hi = |sym| {
        sc.arms
            .iter()
            .map(|a| a.param(sym).support().1)
            .fold(0.0, f64::max)
    };
    let growth = (1.0 + hi(Sym::RevenueGrowth)).max(1.0);
    hi(Sym::MonthlyRevenue) * growth.powi(sc.horizon_months as i32) * f64::from(sc.horizon_months)
}

/// How far the channels' sum may sit from net: 1e-9 of the channels' magnitude, plus
/// rounding of the order of 1e-14 of the revenue they were computed from.
fn tolerance(channels: &[f64], gross: f64) -> f64 {
    let scale: f64 = channels.iter().map(|c| c.abs()).sum::<f64>().max(1.0);
    1e-9 * scale + 1e-14 * gross
}

/// Channels add up to net in every trial (see [`tolerance`]).
fn check_outcomes(batches: &[Batch], gross: f64) -> Result<(), TestCaseError> {
    for o in batches.iter().flat_map(|b| b.outcomes.iter()) {
        if !o.net.is_finite() {
            continue;
        }
        let sum: f64 = o.channels.iter().sum();
        prop_assert!(
            (sum - o.net).abs() <= tolerance(&o.channels, gross),
            "channels {:?} sum to {sum}, net {}",
            o.channels,
            o.net
        );
        prop_assert!((0.0..=1.0).contains(&o.adoption_final));
    }
    Ok(())
}

fn simulate_and_check(sc: &Scenario, trials: u64) -> Result<Summary, TestCaseError> {
    let model = Model::new(sc);
    let batches = model.run(0..trials, &|_| {});
    let gross = gross_revenue(sc);
    check_outcomes(&batches, gross)?;
    let (summary, _) = aggregate::aggregate(sc, &model, &batches)
        .map_err(|e| TestCaseError::fail(format!("aggregation failed: {e:#}")))?;
    check_summary(&summary, gross)?;
    Ok(summary)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(96), ..ProptestConfig::default() })]

    /// A mutated file is either rejected with errors that point inside it, or simulates.
    #[test]
    fn mutated_scenarios_are_rejected_or_simulate(
        base in 0usize..2,
        edits in prop::collection::vec(mutation(), 1..4),
    ) {
        let mut text = bases()[base].clone();
        for m in &edits {
            text = apply(&text, m);
        }
        match scenario::parse("mutated.toml", "mutated", &text) {
            Err(e) => {
                prop_assert!(!e.errors.is_empty());
                for err in &e.errors {
                    prop_assert!(err.span.start <= text.len() && err.span.end <= text.len());
                    prop_assert!(!err.message.is_empty());
                }
                let rendered = e.render(false);
                prop_assert!(rendered.contains("mutated.toml"));
            }
            Ok(sc) => {
                simulate_and_check(&sc, 200)?;
            }
        }
    }
}

/// A fixed value or a uniform range inside `[lo, hi]`, written as TOML.
fn value_in(lo: f64, hi: f64) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (lo..=hi).prop_map(|x| format!("{x:?}")),
        1 => (lo..=hi, lo..=hi)
            .prop_filter("a proper range", |(a, b)| a != b)
            .prop_map(|(a, b)| format!(
                "{{ dist = \"uniform\", min = {:?}, max = {:?} }}",
                a.min(b),
                a.max(b)
            )),
    ]
}

fn months(hi: i64) -> impl Strategy<Value = String> {
    (0..=hi).prop_map(|m| m.to_string())
}

/// A random valid scenario: every parameter inside its domain, horizons of 1 to 60 months,
/// one to three arms, with or without pilot, KPI and effects.
fn valid_scenario() -> impl Strategy<Value = String> {
    let business = (
        prop_oneof![0.01f64..1.0, 1.0f64..1e6, 1e6f64..1e12].prop_map(|x| format!("{x:?}")),
        value_in(-0.05, 0.05),
        value_in(0.0, 1.0),
        value_in(0.0, 1e6),
    );
    let costs = (
        prop_oneof![Just("0".to_string()), value_in(0.0, 1e6)],
        value_in(0.0, 2.0),
        months(24),
        value_in(0.0, 1e4),
        value_in(0.0, 1.0),
        value_in(-1.0, 1.0),
    );
    let adoption = (
        value_in(0.01, 1.0),
        value_in(0.001, 1.0),
        value_in(0.0, 2.0),
        prop_oneof![value_in(0.0, 100.0), value_in(100.0, 10_000.0)],
        value_in(0.0, 1e4),
        value_in(0.0, 0.99),
        value_in(0.0, 0.99),
        value_in(0.0, 1.0),
    );
    let rollout = prop::option::of((
        months(12),
        value_in(0.01, 1.0),
        value_in(0.0, 1.0),
        value_in(0.0, 2.0),
    ));
    let kpi = prop::option::of((
        value_in(-1e3, 1e3),
        value_in(-1.0, 1.0),
        value_in(-10.0, 10.0),
    ));
    let effects = prop::option::of(prop::collection::vec(value_in(0.0, 5.0), 11));
    let arms = prop::collection::vec(
        (
            prop::collection::vec(value_in(0.0, 1.0), 6),
            prop::option::of((value_in(0.0, 1e6), value_in(0.0, 1.0))),
            prop::option::of(months(6)),
        ),
        1..=3,
    );
    (1u32..=60, -0.5f64..1.0, business, costs, adoption, rollout, kpi, effects, arms).prop_map(
        |(h, r, b, c, a, rollout, kpi, effects, arms)| {
            let mut t = format!(
                "[scenario]\nhorizon_months = {h}\ndiscount_rate_annual = {r:?}\nseed = 11\n\n\
                 [business]\nmonthly_revenue = {}\nrevenue_growth = {}\ngross_margin = {}\nprocess_cost = {}\n\n\
                 [initiative]\nupfront_cost = {}\ncost_overrun = {}\nbuild_months = {}\nmonthly_cost = {}\n\
                 labour_saving = {}\nrevenue_uplift = {}\nadoption_ceiling = {}\nadoption_p = {}\n\
                 adoption_q = {}\nincident_rate = {}\nincident_cost = {}\nincident_churn = {}\n\
                 erosion = {}\nabandon_hazard = {}\n",
                b.0, b.1, b.2, b.3, c.0, c.1, c.2, c.3, c.4, c.5, a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7
            );
            if let Some((p, s, k0, g)) = rollout {
                t += &format!("\n[rollout]\npilot_months = {p}\npilot_scale = {s}\npilot_upfront_share = {k0}\ngate_noise = {g}\n");
            }
            if let Some((base, change, value)) = kpi {
                t += &format!("\n[kpi]\nname = \"orders\"\nbaseline = {base}\nchange = {change}\nvalue_per_unit = {value}\n");
            }
            if let Some(w) = effects {
                let keys = ["uplift", "labour", "overrun", "delay", "silo", "ceiling", "speed", "incidents", "trust", "noise", "abandon"];
                t += "\n[effects]\n";
                for (k, v) in keys.iter().zip(w) {
                    t += &format!("{k} = {v}\n");
                }
            }
            for (n, (scores, init, pilot)) in arms.into_iter().enumerate() {
                t += &format!(
                    "\n[arms.arm{n}]\nalignment = {{ strategic = {}, fit = {}, culture = {}, measurement = {}, integration = {}, ethics = {} }}\n",
                    scores[0], scores[1], scores[2], scores[3], scores[4], scores[5]
                );
                if let Some((upfront, saving)) = init {
                    t += &format!("initiative = {{ upfront_cost = {upfront}, labour_saving = {saving} }}\n");
                }
                if let Some(p) = pilot {
                    t += &format!("rollout = {{ pilot_months = {p} }}\n");
                }
            }
            t
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    /// Valid scenarios keep the model's invariants, and two batches run on one thread or on
    /// two give the same summary to the last bit.
    #[test]
    fn valid_scenarios_keep_the_invariants(text in valid_scenario()) {
        let sc = match scenario::parse("random.toml", "random", &text) {
            Ok(sc) => sc,
            Err(e) => return Err(TestCaseError::fail(format!("{}\n{text}", e.render(false)))),
        };
        let trials = 2 * BATCH + 37;
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
        let one = pool(1).install(|| simulate_and_check(&sc, trials))?;
        let two = pool(2).install(|| simulate_and_check(&sc, trials))?;
        prop_assert_eq!(
            serde_json::to_string(&one).unwrap(),
            serde_json::to_string(&two).unwrap()
        );
    }
}

/// The number scanner finds the literals the mutations replace.
#[test]
fn number_spans_find_literals() {
    let text = "a = 12\nb = { min = -3.5, max = 1e3 }\nc = [1, 2]\nname = \"x2\"";
    let found: Vec<&str> = number_spans(text).into_iter().map(|r| &text[r]).collect();
    assert_eq!(found, ["12", "-3.5", "1e3", "1", "2"]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(4000), ..ProptestConfig::default() })]

    /// The fuzz target of fuzz/fuzz_targets/scenario.rs as a bounded random loop (cargo-fuzz
    /// needs a nightly compiler): arbitrary bytes and arbitrary text through the loader's
    /// checks and the validator never panic. Run by hand: it takes a minute.
    #[test]
    #[ignore = "long: run with cargo test --test it robustness -- --ignored"]
    fn arbitrary_input_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        text in "(\\PC|\n|=|\\[|\\]|\\{|\\}|\"|[0-9]|\\.|,| ){0,400}",
        base in 0usize..2,
        cut in any::<Index>(),
    ) {
        if let Ok(s) = std::str::from_utf8(&bytes) {
            let _ = scenario::parse("bytes.toml", "bytes", s);
        }
        let _ = scenario::parse("text.toml", "text", &text);
        // Arbitrary text spliced into a valid file, where it is most likely to reach the
        // validator rather than the TOML parser.
        let b = &bases()[base];
        let mut k = cut.index(b.len() + 1);
        while !b.is_char_boundary(k) {
            k -= 1;
        }
        let spliced = format!("{}{}{}", &b[..k], text, &b[k..]);
        if let Ok(sc) = scenario::parse("spliced.toml", "spliced", &spliced) {
            simulate_and_check(&sc, 50)?;
        }
    }
}

/// Incident rates far beyond any business (1e300 a month) once made the Poisson inversion
/// loop forever; they now simulate at once, with counts held at the largest count.
#[test]
fn absurd_incident_rates_simulate() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/minimal.toml"
    ))
    .unwrap();
    for rate in ["10000", "1e7", "1e12", "1e300"] {
        let sc = super::scenario(
            &text.replace("incident_rate = 0.5", &format!("incident_rate = {rate}")),
        );
        let started = std::time::Instant::now();
        let model = Model::new(&sc);
        let batches = model.run(0..200, &|_| {});
        assert!(
            started.elapsed().as_secs() < 30,
            "{rate}: {:?}",
            started.elapsed()
        );
        let o = batches[0].outcomes[0];
        assert!(o.incidents > 0 && o.net.is_finite(), "{rate}: {o:?}");
        let (summary, _) = aggregate::aggregate(&sc, &model, &batches).unwrap();
        assert!(
            summary.arms[0].npv.mean.is_some_and(f64::is_finite),
            "{rate}"
        );
    }
}

/// Numbers at the edges of `f64` and of the keys' domains: what a slip of the keyboard or a
/// hostile file puts into a scenario.
const EXTREMES: [f64; 16] = [
    0.0,
    -0.0,
    5e-324,
    1e-300,
    1e-9,
    0.9999999999,
    1.0,
    -0.9999999999,
    600.0,
    1e10,
    1e15,
    9_007_199_254_740_993.0,
    1e300,
    1.7e308,
    -1.7e308,
    f64::MAX,
];

/// Every numeric key of the v1 bakery that a sweep can set.
const KEYS: [&str; 24] = [
    "business.monthly_revenue",
    "business.revenue_growth",
    "business.gross_margin",
    "business.process_cost",
    "initiative.upfront_cost",
    "initiative.cost_overrun",
    "initiative.build_months",
    "initiative.monthly_cost",
    "initiative.labour_saving",
    "initiative.revenue_uplift",
    "initiative.adoption_ceiling",
    "initiative.adoption_p",
    "initiative.adoption_q",
    "initiative.incident_rate",
    "initiative.incident_cost",
    "initiative.incident_churn",
    "initiative.erosion",
    "initiative.abandon_hazard",
    "arms.aligned.alignment.strategic",
    "arms.misaligned.alignment.fit",
    "arms.aligned.rollout.pilot_months",
    "arms.aligned.rollout.gate_noise",
    "effects.incidents",
    "effects.noise",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    /// One or two numeric keys of the bakery set to extreme values: the scenario is refused
    /// with an input error, or it simulates, aggregates and draws every chart with finite
    /// ranges. Never a panic; a hang would stop the test suite.
    #[test]
    fn numeric_extremes_are_refused_or_run_to_the_end(
        keys in prop::collection::vec((0..KEYS.len(), 0..EXTREMES.len()), 1..3),
    ) {
        let base = alignsim::sweep::Base::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/v1/bakery.toml"
        )))
        .unwrap();
        let targets: Vec<_> = keys
            .iter()
            .filter_map(|&(k, v)| {
                let t = alignsim::sweep::path::resolve(&base.doc, KEYS[k]).ok()?;
                Some((t, EXTREMES[v]))
            })
            .collect();
        let values: Vec<_> = targets.iter().map(|(t, v)| (t, *v)).collect();
        let Ok(sc) = base.with(&base.doc, &values) else {
            return Ok(());
        };
        let model = Model::new(&sc);
        let batches = model.run(0..64, &|_| {});
        let (summary, frames) = aggregate::aggregate(&sc, &model, &batches)
            .map_err(|e| TestCaseError::fail(format!("aggregation failed: {e:#}")))?;
        let data = alignsim::plot::RunData::from_frames(
            summary,
            &frames.trials,
            &frames.monthly,
            Some(sc.clone()),
            None,
        )
        .map_err(|e| TestCaseError::fail(format!("chart data: {e:#}")))?;
        alignsim::plot::render_all_svg(&data)
            .map_err(|e| TestCaseError::fail(format!("charts: {e:#}")))?;
    }
}
