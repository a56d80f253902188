//! Fully fixed scenarios (no randomness: incident_rate 0, abandon_hazard 0, gate_noise 0)
//! whose results are computed independently here, from MODEL.md's formulas written out in
//! closed form (`(1 + g)^t`, `exp` for the Bass curve), and matched to 1e-9.

use alignsim::engine::{DropCause, NO_MONTH, Outcome};

use super::{scenario, simulate};

/// The knobs the cases vary; everything else is fixed in [`text`].
#[derive(Clone, Copy)]
struct Case {
    horizon: u32,
    build_months: u32,
    monthly_cost: f64,
    pilot_months: u32,
}

fn text(c: Case) -> String {
    format!(
        r#"
[scenario]
horizon_months = {h}
discount_rate_annual = 0.12
[business]
monthly_revenue = 10000
revenue_growth = 0.01
gross_margin = 0.5
process_cost = 2000
[initiative]
upfront_cost = 6000
cost_overrun = 0.5
build_months = {d}
monthly_cost = {cm}
labour_saving = 0.5
revenue_uplift = 0.1
adoption_ceiling = 0.9
adoption_p = 0.2
adoption_q = 0.3
incident_rate = 0
incident_cost = 50
incident_churn = 0.01
erosion = 0.01
abandon_hazard = 0
[rollout]
pilot_months = {pm}
pilot_scale = 0.5
pilot_upfront_share = 0.4
gate_noise = 0
[kpi]
name = "orders per day"
baseline = 100
change = 0.2
value_per_unit = 3
[arms.a]
alignment = {{ strategic = 0.5, fit = 0.5, culture = 0.9, measurement = 0.8, integration = 0.6, ethics = 0.7 }}
"#,
        h = c.horizon,
        d = c.build_months,
        cm = c.monthly_cost,
        pm = c.pilot_months
    )
}

fn run(c: Case) -> Outcome {
    let (_, batches) = simulate(&scenario(&text(c)), 1);
    batches[0].outcomes[0]
}

/// MODEL.md section 3 for the scenario of [`text`], written out independently.
fn expected(c: Case) -> Outcome {
    let h = c.horizon as usize;
    let (r0, g, m, l) = (10_000.0f64, 0.01f64, 0.5, 2000.0);
    let (s, f, cu, i) = (0.5f64, 0.5f64, 0.9f64, 0.6f64);
    // Alignment effects with the default weights.
    let u_r = 0.1 * (1.0 - 0.8 * (1.0 - s)); // 0.06
    let sigma_r = 0.5 * (1.0 - 0.5 * (1.0 - i)); // 0.4
    let c0_eff = 6000.0 * (1.0 + 0.5 * (1.0 + 1.0 * (1.0 - f))); // 10,500
    let d = f64::from(c.build_months);
    let d_eff = d + (1.0 * (1.0 - f) * d).round();
    let cm_eff = c.monthly_cost * (1.0 + 0.3 * (1.0 - i));
    let amax = 0.9 * (1.0 - 0.5 * (1.0 - cu));
    let q = 0.3 * (1.0 - 0.5 * (1.0 - cu));
    let p = 0.2;
    let eps = 0.01 * (1.0 - s);
    let kv_unit = 3.0 * 100.0 * 0.2 * (1.0 - 0.8 * (1.0 - s));
    let r_m = 1.12f64.powf(1.0 / 12.0) - 1.0;
    let big_g = d_eff as usize + 1;
    let pilot = c.pilot_months as usize;
    let (phi, k0) = (0.5, 0.4);

    let cf0 = if pilot > 0 { -k0 * c0_eff } else { -c0_eff };
    let rest = if pilot > 0 { (1.0 - k0) * c0_eff } else { 0.0 };
    let mut ch = [0.0; 10];
    ch[6] = cf0;
    let (mut cum, mut npv, mut investment) = (cf0, cf0, -cf0);
    let (mut big_m, mut live, mut dropped_month, mut payback) = (1.0, true, NO_MONTH, NO_MONTH);
    let (mut su_next, mut a) = (0.0, 0.0);
    for t in 1..=h {
        let r_base = r0 * (1.0 + g).powf(t as f64);
        let active = live && t >= big_g;
        let tau = if active { t - big_g + 1 } else { 0 };
        let scale = if active && tau <= pilot { phi } else { 1.0 };
        a = if active {
            let x = (-(p + q) * tau as f64).exp();
            amax * (1.0 - x) / (1.0 + (q / p) * x) * scale
        } else {
            0.0
        };
        big_m *= 1.0 - eps * a;
        let r = r_base * big_m * (1.0 + u_r * a);
        let (ls, kv) = (sigma_r * l * a, kv_unit * a);
        let rc = if active { cm_eff * scale } else { 0.0 };
        let su = std::mem::take(&mut su_next);
        let cf = m * (r - r_base) + ls + kv - rc - su;
        ch[0] += m * r_base * big_m * u_r * a;
        ch[1] += m * r_base * (big_m - 1.0);
        ch[2] += ls;
        ch[3] += kv;
        ch[4] -= rc;
        ch[7] -= su;
        investment += su + rc;
        cum += cf;
        npv += cf / (1.0 + r_m).powf(t as f64);
        if payback == NO_MONTH && cum >= 0.0 {
            payback = t as u32;
        }
        if pilot > 0 && active && tau == pilot && t < h {
            let left = (h - t) as f64;
            let nb = amax
                * (m * r_base * big_m * u_r + sigma_r * l + kv_unit
                    - m * r_base * big_m * eps * left / 2.0)
                - cm_eff;
            if nb * left >= rest {
                su_next = rest;
            } else {
                live = false;
                dropped_month = t as u32;
            }
        }
    }
    Outcome {
        net: cum,
        npv,
        investment,
        roi: cum / investment,
        payback_month: payback,
        dropped: dropped_month != NO_MONTH,
        dropped_month,
        dropped_by: if dropped_month == NO_MONTH {
            DropCause::None
        } else {
            DropCause::Gate
        },
        discoveries: 0,
        go_live_month: big_g as u32,
        revenue_retained: big_m,
        adoption_final: a,
        incidents: 0,
        kpi_final: 100.0 * (1.0 + 0.2 * (1.0 - 0.8 * (1.0 - s)) * a),
        channels: ch,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn assert_matches(got: Outcome, want: Outcome) {
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
        ("kpi_final", got.kpi_final, want.kpi_final),
    ];
    for (what, g, w) in pairs {
        assert!(close(g, w), "{what}: got {g}, want {w}");
    }
    for k in 0..8 {
        assert!(
            close(got.channels[k], want.channels[k]),
            "channel {k}: got {}, want {}",
            got.channels[k],
            want.channels[k]
        );
    }
    assert_eq!(got.payback_month, want.payback_month, "payback month");
    assert_eq!(got.dropped_month, want.dropped_month, "dropped month");
    assert_eq!(got.go_live_month, want.go_live_month, "go-live month");
    let sum: f64 = got.channels.iter().sum();
    assert!(close(sum, got.net), "channels sum {sum} != net {}", got.net);
}

#[test]
fn big_bang_with_delay_rounding_half_away_from_zero() {
    // build_months 1, fit 0.5, delay weight 1: 1 * 0.5 * 1 = 0.5 rounds to 1, so G = 3.
    let c = Case {
        horizon: 24,
        build_months: 1,
        monthly_cost: 100.0,
        pilot_months: 0,
    };
    let got = run(c);
    assert_eq!(got.go_live_month, 3);
    // Month 0 pays all of C0_eff = 6000 * (1 + 0.5 * 1.5) = 10,500 without a pilot.
    assert!(close(got.channels[6], -10_500.0));
    assert!(!got.dropped);
    assert_matches(got, expected(c));
}

#[test]
fn delay_of_three_half_months_rounds_up() {
    // 1 * (1 - 0.5) * 3 = 1.5 rounds half away from zero to 2: G = 3 + 2 + 1 = 6.
    let c = Case {
        horizon: 24,
        build_months: 3,
        monthly_cost: 100.0,
        pilot_months: 0,
    };
    let got = run(c);
    assert_eq!(got.go_live_month, 6);
    assert_matches(got, expected(c));
}

#[test]
fn pilot_that_passes_its_gate() {
    let c = Case {
        horizon: 24,
        build_months: 1,
        monthly_cost: 100.0,
        pilot_months: 2,
    };
    let got = run(c);
    assert!(!got.dropped);
    // 40 % paid at month 0, the other 60 % the month after the gate (month 3 + 2 - 1 + 1 = 5).
    assert!(close(got.channels[6], -4_200.0));
    assert!(close(got.channels[7], -6_300.0));
    assert_matches(got, expected(c));
}

#[test]
fn pilot_dropped_at_its_gate() {
    // Running cost far above what the system brings: the gate says no after month 4.
    let c = Case {
        horizon: 24,
        build_months: 1,
        monthly_cost: 3000.0,
        pilot_months: 2,
    };
    let got = run(c);
    assert!(got.dropped);
    assert_eq!(got.dropped_month, 4);
    assert_eq!(
        got.channels[7], 0.0,
        "no scale-up payment after a failed gate"
    );
    assert!(close(got.channels[6], -4_200.0));
    assert_eq!(got.adoption_final, 0.0);
    assert_matches(got, expected(c));
}

#[test]
fn project_that_never_goes_live() {
    // build 5 months, delay round(0.5 * 5) = 3: G = 9 > H = 6. Only month 0 counts.
    let c = Case {
        horizon: 6,
        build_months: 5,
        monthly_cost: 100.0,
        pilot_months: 0,
    };
    let got = run(c);
    assert_eq!(got.go_live_month, 9);
    assert_eq!(got.net, -10_500.0);
    assert_eq!(got.npv, -10_500.0);
    assert_eq!(got.investment, 10_500.0);
    assert_eq!(got.roi, -1.0);
    assert_eq!(got.payback_month, NO_MONTH);
    assert!(!got.dropped);
    assert_eq!(got.revenue_retained, 1.0);
    assert_matches(got, expected(c));
}

#[test]
fn pilot_project_that_never_goes_live_pays_only_its_first_share() {
    let c = Case {
        horizon: 6,
        build_months: 5,
        monthly_cost: 100.0,
        pilot_months: 2,
    };
    let got = run(c);
    assert_eq!(got.net, -4_200.0);
    assert_eq!(got.channels[7], 0.0);
    assert_matches(got, expected(c));
}
