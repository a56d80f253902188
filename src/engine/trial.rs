//! One arm in one trial: the month-by-month recursion of MODEL.md section 3.

use super::months::{Curve, Months};
use crate::scenario::{NSYM, Sym};
use crate::special::round_half_away;

/// Channels of the value breakdown, in the order of MODEL.md section 3.
pub const CHANNELS: [&str; 8] = [
    "uplift",
    "customers_lost",
    "labour",
    "kpi_value",
    "running_cost",
    "incident_cost",
    "upfront",
    "scale_up",
];

/// Sentinel for "no month" in month-valued outcomes.
pub const NO_MONTH: u32 = u32::MAX;

/// Everything one arm produces in one trial, apart from its monthly path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Outcome {
    pub net: f64,
    pub npv: f64,
    pub investment: f64,
    /// `net / investment`, NaN when nothing was invested.
    pub roi: f64,
    /// First month with cumulative cash flow >= 0, or [`NO_MONTH`].
    pub payback_month: u32,
    pub dropped: bool,
    /// Month after which the project was dropped, or [`NO_MONTH`].
    pub dropped_month: u32,
    /// First live month `G` (may exceed the horizon).
    pub go_live_month: u32,
    pub revenue_retained: f64,
    pub adoption_final: f64,
    pub incidents: u64,
    pub kpi_final: f64,
    /// Signed contributions to `net`, in [`CHANNELS`] order.
    pub channels: [f64; 8],
}

/// Draws shared by every arm of a trial (common random numbers).
pub struct Shared<'a> {
    /// `U_inc(t)` at index `t` (index 0 unused).
    pub u_inc: &'a [f64],
    /// `U_ab(t)` at index `t` (index 0 unused).
    pub u_ab: &'a [f64],
    pub z_gate: f64,
}

/// Per-month outputs of one arm, written in place; each slice has `H + 1` entries.
pub struct Monthly<'a> {
    /// Cumulative undiscounted cash flow after month `t`.
    pub cum_cf: &'a mut [f64],
    /// Adoption `A_t`, added to a running sum in fixed point (see [`to_fixed`]).
    pub adoption: &'a mut [i128],
    /// Revenue base `M` after month `t`, added to a running sum in fixed point.
    pub revenue_base: &'a mut [i128],
}

/// One unit in the fixed-point sums of monthly means: 2^60.
pub const FIXED_ONE: f64 = 1_152_921_504_606_846_976.0;

/// A share in [0, 1] as a fixed-point integer (rounded half up). Sums of these are exact
/// and so do not depend on the order of addition: any split of the trials (threads,
/// batches, shards) gives the same monthly means to the last bit.
#[inline]
pub fn to_fixed(x: f64) -> i128 {
    i128::from((x * FIXED_ONE + 0.5) as i64)
}

#[inline]
fn pos(w: f64, a: f64) -> f64 {
    (1.0 - w * (1.0 - a)).max(0.0)
}

#[inline]
fn neg(w: f64, a: f64) -> f64 {
    1.0 + w * (1.0 - a)
}

/// `x.powi(n)` for `n = 0..8`, to the bit: the products that the square-and-multiply of
/// `__powidf2` (which `powi` calls) forms, lowest bit of `n` first. Looked up by the month
/// loop, they spare it a call with a branch per bit of a random `n`.
fn small_powers(x: f64) -> [f64; 8] {
    let (x2, x3) = (x * x, x * (x * x));
    let x4 = x2 * x2;
    [1.0, x, x2, x3, x4, x * x4, x2 * x4, x3 * x4]
}

/// Simulates one arm over `horizon` months. `p` holds the arm's drawn parameters indexed
/// by [`Sym`]; `discount[t]` is `(1 + r_m)^t`.
///
/// Adoption and incidents do not depend on the rest of the state, only on whether the
/// project is still live, and a dropped project never comes back. So they are computed
/// first for every month from go-live to the horizon, as if the project were never
/// dropped ([`Months::fill`]), and the recursion then uses them up to the drop and zeros
/// after it: the same numbers as computing them month by month, but the months' Poisson
/// inversions are vectorised and no longer wait for each other's results.
pub fn simulate(
    p: &[f64; NSYM],
    horizon: usize,
    discount: &[f64],
    shared: &Shared,
    out: Monthly,
    months: &mut Months,
) -> Outcome {
    let v = |s: Sym| p[s as usize];
    let (s, f, c) = (v(Sym::Strategic), v(Sym::Fit), v(Sym::Culture));
    let (k, i, e) = (v(Sym::Measurement), v(Sym::Integration), v(Sym::Ethics));
    let m = v(Sym::GrossMargin);
    let labour_base = v(Sym::ProcessCost);
    let growth = 1.0 + v(Sym::RevenueGrowth);

    // Alignment effects (MODEL.md section 2, [effects]).
    let uplift_factor = pos(v(Sym::WUplift), s);
    let u_r = v(Sym::RevenueUplift) * uplift_factor;
    let sigma_r = v(Sym::LabourSaving) * pos(v(Sym::WLabour), i);
    let c0_eff = v(Sym::UpfrontCost) * (1.0 + v(Sym::CostOverrun) * neg(v(Sym::WOverrun), f));
    let d = v(Sym::BuildMonths);
    let d_eff = d + round_half_away(v(Sym::WDelay) * (1.0 - f) * d);
    let cm_eff = v(Sym::MonthlyCost) * neg(v(Sym::WSilo), i);
    let amax_eff = v(Sym::AdoptionCeiling) * pos(v(Sym::WCeiling), c);
    let bass_p = v(Sym::AdoptionP);
    let q_eff = v(Sym::AdoptionQ) * pos(v(Sym::WSpeed), c);
    let lambda_eff = v(Sym::IncidentRate) * neg(v(Sym::WIncidents), f);
    let chi_eff = (v(Sym::IncidentChurn) * neg(v(Sym::WTrust), e)).min(1.0);
    let sigma_g = v(Sym::GateNoise) * neg(v(Sym::WNoise), k);
    let h_eff = (v(Sym::AbandonHazard) * neg(v(Sym::WAbandon), s)).min(1.0);
    let eps_s = v(Sym::Erosion) * (1.0 - s);
    let kpi_unit =
        v(Sym::KpiValuePerUnit) * v(Sym::KpiBaseline) * v(Sym::KpiChange) * uplift_factor;
    let (incident_cost, pilot, phi, k0) = (
        v(Sym::IncidentCost),
        v(Sym::PilotMonths),
        v(Sym::PilotScale),
        v(Sym::PilotUpfrontShare),
    );
    let pilot = pilot as usize;
    let go_live = d_eff + 1.0;
    let go_live_month = if go_live > (u32::MAX - 1) as f64 {
        u32::MAX - 1
    } else {
        go_live as u32
    };
    let g_month = go_live_month as usize;
    let decay = (-(bass_p + q_eff)).exp();
    let imitation_ratio = q_eff / bass_p;
    let churn_keep = 1.0 - chi_eff;
    let churn_powers = small_powers(churn_keep);
    // `sigma_r * L * A_t` multiplies left to right: the first product is the same each month.
    let labour_unit = sigma_r * labour_base;
    let h = horizon;

    // Month 0.
    let (cf0, rest) = if pilot > 0 {
        (-k0 * c0_eff, (1.0 - k0) * c0_eff)
    } else {
        (-c0_eff, 0.0)
    };
    let mut ch = [0.0f64; 8];
    ch[6] = cf0;
    let mut investment = -cf0;
    let mut cum = cf0;
    let mut npv = cf0;
    let mut payback = NO_MONTH;
    out.cum_cf[0] = cf0;
    out.revenue_base[0] += to_fixed(1.0);

    // 1.-2. Adoption and incidents of every month from go-live, live throughout.
    let curve = Curve {
        ceiling: amax_eff,
        decay,
        imitation_ratio,
        incident_rate: lambda_eff,
        pilot,
        pilot_scale: phi,
    };
    months.fill(&curve, g_month, shared.u_inc);

    let mut mm = 1.0f64;
    let mut live = true;
    let mut dropped_month = NO_MONTH;
    let mut su_next = 0.0;
    let mut r_base = v(Sym::MonthlyRevenue);
    let mut a = 0.0f64;
    let mut incidents = 0u64;
    for t in 1..=h {
        r_base *= growth;
        let active = live && t >= g_month;
        let tau = if active { t + 1 - g_month } else { 0 };
        let scale = if tau <= pilot { phi } else { 1.0 };
        // 1.-2. Adoption and incidents: as computed above while live, else none.
        let n;
        (a, n) = if active {
            (months.adoption[t], months.incidents[t])
        } else {
            (0.0, 0)
        };
        incidents += u64::from(n);
        // 3. Revenue base: erosion and churn while live; frozen once dropped.
        // M * (1 - eps_t) * (1 - chi)^N, left to right as MODEL.md writes it.
        if a > 0.0 {
            mm *= 1.0 - eps_s * a;
        }
        mm *= match churn_powers.get(n as usize) {
            Some(&f) => f,
            None => churn_keep.powi(n as i32),
        };
        // 4.-6. Revenue and cash flow.
        let rm = r_base * mm;
        let r_t = rm * (1.0 + u_r * a);
        let ls = labour_unit * a;
        let kv = kpi_unit * a;
        let rc = if active { cm_eff * scale } else { 0.0 };
        let ic = incident_cost * f64::from(n);
        let su = su_next;
        su_next = 0.0;
        let cf = m * (r_t - r_base) + ls + kv - rc - ic - su;
        ch[0] += m * rm * u_r * a;
        ch[1] += m * r_base * (mm - 1.0);
        ch[2] += ls;
        ch[3] += kv;
        ch[4] -= rc;
        ch[5] -= ic;
        ch[7] -= su;
        investment += su + rc + ic;
        cum += cf;
        npv += cf / discount[t];
        if payback == NO_MONTH && cum >= 0.0 {
            payback = t as u32;
        }
        out.cum_cf[t] = cum;
        out.adoption[t] += to_fixed(a);
        out.revenue_base[t] += to_fixed(mm);
        // 7. Pilot gate.
        let mut passed = false;
        if pilot > 0 && active && tau == pilot && t < h {
            let rest_h = (h - t) as f64;
            let nb = amax_eff
                * (m * r_base * mm * u_r + sigma_r * labour_base + kpi_unit
                    - incident_cost * lambda_eff
                    - m * r_base * mm * (eps_s + chi_eff * lambda_eff) * rest_h / 2.0)
                - cm_eff;
            let measured = nb + sigma_g * nb.abs() * shared.z_gate;
            if measured * rest_h >= rest {
                passed = true;
            } else {
                live = false;
                dropped_month = t as u32;
            }
        }
        // 8. Abandonment.
        if live && t >= g_month && shared.u_ab[t] < h_eff {
            live = false;
            dropped_month = t as u32;
        }
        // 9. Scale-up payment next month.
        if passed && live && t < h {
            su_next = rest;
        }
    }
    let net = cum;
    Outcome {
        net,
        npv,
        investment,
        roi: if investment == 0.0 {
            f64::NAN
        } else {
            net / investment
        },
        payback_month: payback,
        dropped: dropped_month != NO_MONTH,
        dropped_month,
        go_live_month,
        revenue_retained: mm,
        adoption_final: a,
        incidents,
        kpi_final: v(Sym::KpiBaseline) * (1.0 + v(Sym::KpiChange) * uplift_factor * a),
        channels: ch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_powers_match_powi_to_the_bit() {
        // black_box: with both operands known, the compiler would fold `powi` at build
        // time (to a correctly rounded power), not call `__powidf2` as the engine does.
        use std::hint::black_box;
        for x in [
            0.999_8,
            0.5,
            1.0 - 1e-12,
            0.0,
            1.0,
            0.3,
            f64::MIN_POSITIVE,
            0.123_456_789,
        ] {
            for (n, p) in small_powers(x).iter().enumerate() {
                assert_eq!(
                    p.to_bits(),
                    black_box(x).powi(black_box(n as i32)).to_bits(),
                    "{x}^{n}"
                );
            }
        }
    }
}
