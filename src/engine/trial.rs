//! One arm in one trial: the month-by-month recursion of MODEL.md section 3, with the
//! reviews, discoveries and preparation of model v2 (section 8).

use std::cell::Cell;

use super::months::{Curve, FixedSums, Months};
use crate::scenario::{NSYM, Sym};
use crate::special::round_half_away;

/// Channels of the value breakdown, in the order of MODEL.md section 3; the scenario
/// format owns the list, since `[labels]` renames them.
pub use crate::scenario::CHANNELS;

/// Why a project was dropped (MODEL.md section 8.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DropCause {
    #[default]
    None,
    /// At the pilot gate (step 7).
    Gate,
    /// At a performance review (step 7b).
    Review,
    /// By the blind monthly hazard (step 8).
    Hazard,
}

impl DropCause {
    /// The causes a dropped trial can have, in the order outputs list them.
    pub const ALL: [DropCause; 3] = [DropCause::Gate, DropCause::Review, DropCause::Hazard];

    /// The cause's place in [`DropCause::ALL`], `None` for a trial that was not dropped.
    pub fn index(self) -> Option<usize> {
        match self {
            DropCause::None => None,
            DropCause::Gate => Some(0),
            DropCause::Review => Some(1),
            DropCause::Hazard => Some(2),
        }
    }

    /// The cause of a name [`DropCause::name`] gives.
    pub fn named(name: &str) -> Option<DropCause> {
        DropCause::ALL.into_iter().find(|c| c.name() == Some(name))
    }

    /// The cause's name in outputs, `None` for a trial that was not dropped.
    pub fn name(self) -> Option<&'static str> {
        match self {
            DropCause::None => None,
            DropCause::Gate => Some("gate"),
            DropCause::Review => Some("review"),
            DropCause::Hazard => Some("hazard"),
        }
    }
}

/// What an arm's preparation (MODEL.md section 8.3) adds to a trial besides the raised
/// scores: its cost `C_p`, paid at month 0, and its months `D_p`, before the build starts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Prep {
    pub cost: f64,
    pub months: f64,
}

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
    /// Why it was dropped.
    pub dropped_by: DropCause,
    /// Discoveries made, `N_d` at the end.
    pub discoveries: u32,
    /// First live month `G` (may exceed the horizon).
    pub go_live_month: u32,
    pub revenue_retained: f64,
    pub adoption_final: f64,
    pub incidents: u64,
    pub kpi_final: f64,
    /// Signed contributions to `net`, in [`CHANNELS`] order.
    pub channels: [f64; 10],
}

/// Draws shared by every arm of a trial (common random numbers).
pub struct Shared<'a> {
    /// `U_inc(t)` at index `t` (index 0 unused).
    pub u_inc: &'a [f64],
    /// `U_ab(t)` at index `t` (index 0 unused).
    pub u_ab: &'a [f64],
    pub z_gate: f64,
    /// `U_rev(t)`, whose normal quantile is the review's `Z_rev(t)`, at index `t`; empty
    /// when no arm holds reviews.
    pub u_rev: &'a [f64],
    /// `Z_rev(t)`, computed by the first arm of the trial whose review needs it (NaN until
    /// then), like `u_rev`.
    pub z_rev: &'a [Cell<f64>],
    /// `U_disc(t)` at index `t`; empty when no arm can make discoveries.
    pub u_disc: &'a [f64],
}

/// Per-month outputs of one arm, written in place.
pub struct Monthly<'a> {
    /// Cumulative undiscounted cash flow after month `t`, `H + 1` entries. `None` for
    /// outcomes only: then neither the monthly paths nor the value breakdown of months 1
    /// on is computed, and the outcome's `channels` hold only what month 0 pays (the
    /// upfront payment and the preparation).
    pub cum_cf: Option<&'a mut [f64]>,
    /// Adoption `A_t` and revenue base `M` after month `t`, added to running sums over
    /// the trials; `None` when only the outcomes are wanted.
    pub sums: Option<&'a mut [FixedSums; 2]>,
}

#[inline]
fn pos(w: f64, a: f64) -> f64 {
    (1.0 - w * (1.0 - a)).max(0.0)
}

#[inline]
fn neg(w: f64, a: f64) -> f64 {
    1.0 + w * (1.0 - a)
}

/// Whether a month with adoption `a` makes a discovery at rate `rate` (8.2):
/// `u < -expm1(-rate * a)`, the same decision to the bit. `1 - exp(-y)` lies between
/// `y - y^2 / 2` and `y` for `y >= 0`, and libm's `expm1` within an ulp of it, so a `u`
/// clearly outside that band (by a relative margin a million times an ulp) is decided
/// without the call; only the few inside it (a share of about `y^2 / 2`) make it.
#[inline(always)]
fn discovers(u: f64, rate: f64, a: f64) -> bool {
    const MARGIN: f64 = 1e-9;
    let y = rate * a;
    if y > 0.0 {
        if u > y * (1.0 + MARGIN) {
            return false;
        }
        // Below 1 the lower bound is at least y / 2: no cancellation in its arithmetic.
        if y <= 1.0 && u < (y - 0.5 * y * y) * (1.0 - MARGIN) {
            return true;
        }
    }
    u < -(-rate * a).exp_m1()
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
/// by [`Sym`], with the scores its preparation `prep` raised; `discount[t]` is
/// `(1 + r_m)^t`.
///
/// Adoption and incidents do not depend on the rest of the state, only on whether the
/// project is still live, and a dropped project never comes back. So they are computed
/// first for every month from go-live to the horizon, as if the project were never
/// dropped ([`super::months::Fill::fill`], shared by the arms of the trial with the same
/// curve), and the recursion then uses them up to the drop and zeros
/// after it: the same numbers as computing them month by month, but the months' Poisson
/// inversions are vectorised and no longer wait for each other's results.
pub fn simulate(
    p: &[f64; NSYM],
    prep: Prep,
    horizon: usize,
    discount: &[f64],
    shared: &Shared,
    out: Monthly,
    months: &mut Months,
) -> Outcome {
    let Monthly { cum_cf, sums } = out;
    match cum_cf {
        Some(cum_cf) => {
            simulate_as::<true>(p, prep, (horizon, discount), shared, cum_cf, sums, months)
        }
        None => simulate_as::<false>(p, prep, (horizon, discount), shared, &mut [], None, months),
    }
}

/// [`simulate`], with the monthly paths and the value breakdown when `FULL`, else the
/// outcome with only month 0's channels.
#[inline(always)]
fn simulate_as<const FULL: bool>(
    p: &[f64; NSYM],
    prep: Prep,
    (horizon, discount): (usize, &[f64]),
    shared: &Shared,
    cum_cf: &mut [f64],
    sums: Option<&mut [FixedSums; 2]>,
    months: &mut Months,
) -> Outcome {
    let x = Effects::of(p, prep);
    // Month 0.
    let mut st = State::start(p[Sym::MonthlyRevenue as usize], &x);

    // 1.-2. Adoption and incidents of every month from go-live, live throughout.
    let g_month = x.go_live_month as usize;
    let fill = months.fills.get(&x.curve(), g_month, shared.u_inc);

    let h = horizon;
    let k = x.terms();
    let mut path = if FULL {
        Path {
            discount: &discount[..=h],
            cum_cf: &mut cum_cf[..=h],
            adoption: &mut months.adoption_path[..=h],
            revenue_base: &mut months.revenue_base_path[..=h],
        }
    } else {
        Path {
            discount: &discount[..=h],
            cum_cf: &mut [],
            adoption: &mut [],
            revenue_base: &mut [],
        }
    };
    if FULL {
        path.cum_cf[0] = x.cf0();
        path.adoption[0] = 0.0;
        path.revenue_base[0] = 1.0;
    }

    // Months before go-live: nothing runs yet.
    let live_from = g_month.min(h + 1);
    for t in 1..live_from {
        st.month::<FULL>(&k, t, Drive::IDLE, &mut path);
    }
    let live = Live {
        scale: &fill.scale,
        adoption: &fill.adoption,
        incidents: &fill.incidents,
        u_ab: &shared.u_ab[..=h],
        z_gate: shared.z_gate,
        u_rev: shared.u_rev,
        z_rev: shared.z_rev,
        u_disc: shared.u_disc,
    };
    // Without reviews and discoveries the months skip their steps entirely.
    let (t, dropped_month, cause) = if x.review_every > 0 || x.discovery_rate > 0.0 {
        st.live_months::<true, FULL>(&x, &k, &live, (live_from, h), &mut path, &mut months.op)
    } else {
        st.live_months::<false, FULL>(&x, &k, &live, (live_from, h), &mut path, &mut months.op)
    };
    // Months after the drop: customers lost stay lost, nothing else happens.
    for t in t..=h {
        st.month::<FULL>(&k, t, Drive::IDLE, &mut path);
    }
    // Adoption in the last month: the fill's if the project was live in it (and so not
    // dropped before it), else zero.
    let a = if t > h && live_from <= h {
        live.adoption[h]
    } else {
        0.0
    };
    if let Some([adoption, revenue_base]) = sums {
        adoption.add(&months.adoption_path);
        revenue_base.add(&months.revenue_base_path);
    }
    x.outcome(&st, a, dropped_month, cause)
}

/// One arm's parameters after the alignment effects of MODEL.md section 2 (`[effects]`),
/// and what follows from them before month 1.
struct Effects {
    m: f64,
    /// `L`.
    labour_base: f64,
    /// `1 + g`.
    growth: f64,
    /// `pos(uplift, s)`.
    uplift_factor: f64,
    u_r: f64,
    sigma_r: f64,
    cm_eff: f64,
    amax_eff: f64,
    lambda_eff: f64,
    chi_eff: f64,
    sigma_g: f64,
    h_eff: f64,
    /// `eps0 * (1 - s)`.
    eps_s: f64,
    /// `vK * K0 * dK * pos(uplift, s)`.
    kpi_unit: f64,
    kpi_baseline: f64,
    kpi_change: f64,
    incident_cost: f64,
    /// Pilot months `P` and the pilot's scale `phi`.
    pilot: usize,
    pilot_scale: f64,
    /// First live month `G`, at most `u32::MAX - 1`.
    go_live_month: u32,
    /// `exp(-(p + q_eff))` and `q_eff / p` of the Bass curve.
    decay: f64,
    imitation_ratio: f64,
    /// The upfront cost paid at month 0 (negative), the preparation's cost `C_p`, and the
    /// rest of the upfront cost paid at scale-up.
    upfront0: f64,
    prep_cost: f64,
    rest: f64,
    /// Performance reviews (MODEL.md 8.1): every `review_every` months (0: none) from
    /// `review_grace` live months on, stopping the project when the measured operating cash
    /// flow is below `review_floor`; `review_sigma` is `rho_0 * neg(noise, k)`.
    review_every: usize,
    review_grace: usize,
    review_floor: f64,
    review_sigma: f64,
    /// `rho_d * pos(discovery, c)`, and the monthly value of each discovery (8.2).
    discovery_rate: f64,
    discovery_value: f64,
}

impl Effects {
    /// The effective parameters of an arm's drawn parameters `p`.
    #[inline(always)]
    fn of(p: &[f64; NSYM], prep: Prep) -> Effects {
        let v = |s: Sym| p[s as usize];
        let (s, f, c) = (v(Sym::Strategic), v(Sym::Fit), v(Sym::Culture));
        let (k, i, e) = (v(Sym::Measurement), v(Sym::Integration), v(Sym::Ethics));
        let uplift_factor = pos(v(Sym::WUplift), s);
        let c0_eff = v(Sym::UpfrontCost) * (1.0 + v(Sym::CostOverrun) * neg(v(Sym::WOverrun), f));
        let d = v(Sym::BuildMonths);
        let d_eff = d + round_half_away(v(Sym::WDelay) * (1.0 - f) * d);
        let bass_p = v(Sym::AdoptionP);
        let q_eff = v(Sym::AdoptionQ) * pos(v(Sym::WSpeed), c);
        let pilot = v(Sym::PilotMonths) as usize;
        let k0 = v(Sym::PilotUpfrontShare);
        let (upfront0, rest) = if pilot > 0 {
            (-k0 * c0_eff, (1.0 - k0) * c0_eff)
        } else {
            (-c0_eff, 0.0)
        };
        let go_live = prep.months + d_eff + 1.0;
        Effects {
            m: v(Sym::GrossMargin),
            labour_base: v(Sym::ProcessCost),
            growth: 1.0 + v(Sym::RevenueGrowth),
            uplift_factor,
            u_r: v(Sym::RevenueUplift) * uplift_factor,
            sigma_r: v(Sym::LabourSaving) * pos(v(Sym::WLabour), i),
            cm_eff: v(Sym::MonthlyCost) * neg(v(Sym::WSilo), i),
            amax_eff: v(Sym::AdoptionCeiling) * pos(v(Sym::WCeiling), c),
            lambda_eff: v(Sym::IncidentRate) * neg(v(Sym::WIncidents), f),
            chi_eff: (v(Sym::IncidentChurn) * neg(v(Sym::WTrust), e)).min(1.0),
            sigma_g: v(Sym::GateNoise) * neg(v(Sym::WNoise), k),
            h_eff: (v(Sym::AbandonHazard) * neg(v(Sym::WAbandon), s)).min(1.0),
            eps_s: v(Sym::Erosion) * (1.0 - s),
            kpi_unit: v(Sym::KpiValuePerUnit)
                * v(Sym::KpiBaseline)
                * v(Sym::KpiChange)
                * uplift_factor,
            kpi_baseline: v(Sym::KpiBaseline),
            kpi_change: v(Sym::KpiChange),
            incident_cost: v(Sym::IncidentCost),
            pilot,
            pilot_scale: v(Sym::PilotScale),
            go_live_month: if go_live > (u32::MAX - 1) as f64 {
                u32::MAX - 1
            } else {
                go_live as u32
            },
            decay: (-(bass_p + q_eff)).exp(),
            imitation_ratio: q_eff / bass_p,
            upfront0,
            prep_cost: prep.cost,
            rest,
            review_every: v(Sym::ReviewMonths) as usize,
            review_grace: v(Sym::ReviewGrace) as usize,
            review_floor: v(Sym::ReviewFloor),
            review_sigma: v(Sym::ReviewNoise) * neg(v(Sym::WNoise), k),
            discovery_rate: v(Sym::DiscoveryRate) * pos(v(Sym::WDiscovery), c),
            discovery_value: v(Sym::DiscoveryValue),
        }
    }

    /// Cash flow of month 0: the upfront payment and the preparation.
    #[inline(always)]
    fn cf0(&self) -> f64 {
        self.upfront0 - self.prep_cost
    }

    /// The live month `tau` of the first review (step 7b: from the grace period on, every
    /// `review_every` months, never before the pilot gate), `usize::MAX` for none; the
    /// next ones follow every `review_every` months. A review is held only in a month
    /// before the horizon.
    #[inline(always)]
    fn first_review(&self) -> usize {
        let (every, grace) = (self.review_every, self.review_grace);
        if every == 0 {
            return usize::MAX;
        }
        // The first `grace + j * every` that is at least 1 and after the pilot.
        let from = grace.max(self.pilot.saturating_add(1));
        (from - grace)
            .div_ceil(every)
            .checked_mul(every)
            .and_then(|x| x.checked_add(grace))
            .unwrap_or(usize::MAX)
    }

    /// Step 7b: whether the review of month `t` (live month `tau`) keeps the project, given
    /// each month's operating cash flow `op` and the month's normal `Z_rev(t)`.
    #[inline(never)]
    fn review_passes(&self, op: &[f64], t: usize, tau: usize, live: &Live) -> bool {
        let w = self.review_every.min(tau);
        let total = op[t + 1 - w..=t].iter().fold(0.0, |s, x| s + x);
        let avg = total / w as f64;
        let z = live.z_rev(t);
        let measured = avg + self.review_sigma * avg.abs() * z;
        measured >= self.review_floor
    }

    /// The adoption and incident curve [`super::months::Fill::fill`] computes.
    #[inline(always)]
    fn curve(&self) -> Curve {
        Curve {
            ceiling: self.amax_eff,
            decay: self.decay,
            imitation_ratio: self.imitation_ratio,
            incident_rate: self.lambda_eff,
            pilot: self.pilot,
            pilot_scale: self.pilot_scale,
        }
    }

    /// What the month loop holds constant.
    #[inline(always)]
    fn terms(&self) -> Terms {
        let churn_keep = 1.0 - self.chi_eff;
        Terms {
            growth: self.growth,
            m: self.m,
            u_r: self.u_r,
            // `sigma_r * L * A_t` multiplies left to right: the first product is the same
            // each month.
            labour_unit: self.sigma_r * self.labour_base,
            kpi_unit: self.kpi_unit,
            incident_cost: self.incident_cost,
            eps_s: self.eps_s,
            churn_keep,
            churn_powers: small_powers(churn_keep),
        }
    }

    /// Step 7, the pilot gate, after a month with `rest_months` months left: whether the
    /// measured net benefit of the months left pays the rest of the upfront cost.
    #[inline(always)]
    fn gate_passes(&self, st: &State, rest_months: usize, z_gate: f64) -> bool {
        let (m, r_base, mm) = (self.m, st.r_base, st.mm);
        let rest_h = rest_months as f64;
        let nb = self.amax_eff
            * (m * r_base * mm * self.u_r + self.sigma_r * self.labour_base + self.kpi_unit
                - self.incident_cost * self.lambda_eff
                - m * r_base * mm * (self.eps_s + self.chi_eff * self.lambda_eff) * rest_h / 2.0)
            - self.cm_eff;
        let measured = nb + self.sigma_g * nb.abs() * z_gate;
        measured * rest_h >= self.rest
    }

    /// The outcome of a finished recursion, with adoption `a` in the last month.
    #[inline(always)]
    fn outcome(&self, st: &State, a: f64, dropped_month: u32, cause: DropCause) -> Outcome {
        let net = st.cum;
        let investment = st.investment;
        Outcome {
            net,
            npv: st.npv,
            investment,
            roi: if investment == 0.0 {
                f64::NAN
            } else {
                net / investment
            },
            payback_month: st.payback,
            dropped: dropped_month != NO_MONTH,
            dropped_month,
            dropped_by: cause,
            discoveries: st.discoveries,
            go_live_month: self.go_live_month,
            revenue_retained: st.mm,
            adoption_final: a,
            incidents: st.incidents,
            kpi_final: self.kpi_baseline * (1.0 + self.kpi_change * self.uplift_factor * a),
            channels: st.ch,
        }
    }
}

/// What the live months read besides the state: the months' adoption, incidents and scale
/// from [`super::months::Fill::fill`], and the trial's abandonment uniforms and gate normal.
struct Live<'a> {
    scale: &'a [f64],
    adoption: &'a [f64],
    incidents: &'a [u32],
    /// `U_ab(t)` up to the horizon.
    u_ab: &'a [f64],
    z_gate: f64,
    u_rev: &'a [f64],
    z_rev: &'a [Cell<f64>],
    u_disc: &'a [f64],
}

impl Live<'_> {
    /// `Z_rev(t) = PhiInverse(U_rev(t))`, computed once per trial and shared by its arms.
    #[inline]
    fn z_rev(&self, t: usize) -> f64 {
        let cached = self.z_rev[t].get();
        if !cached.is_nan() {
            return cached;
        }
        let z = crate::special::norm_inv(self.u_rev[t]);
        self.z_rev[t].set(z);
        z
    }
}

/// What drives one month's steps 3 to 6: adoption `a`, incidents `n`, running cost `rc` and
/// the discoveries' value `dv`, all zero while the project is not live.
#[derive(Clone, Copy)]
struct Drive {
    a: f64,
    n: u32,
    rc: f64,
    dv: f64,
}

impl Drive {
    /// A month in which the project is not live.
    const IDLE: Drive = Drive {
        a: 0.0,
        n: 0,
        rc: 0.0,
        dv: 0.0,
    };
}

/// What does not change from month to month in the recursion of one arm.
struct Terms {
    growth: f64,
    m: f64,
    u_r: f64,
    /// `sigma_r * L`.
    labour_unit: f64,
    /// `vK * K0 * dK * pos(uplift, s)`.
    kpi_unit: f64,
    incident_cost: f64,
    /// `eps0 * (1 - s)`.
    eps_s: f64,
    /// `1 - chi_eff`, and its powers 0 to 7.
    churn_keep: f64,
    churn_powers: [f64; 8],
}

/// Where the recursion writes each month: the cumulative cash flow, and the adoption and
/// revenue base whose sums over the trials make the monthly means.
struct Path<'a> {
    discount: &'a [f64],
    cum_cf: &'a mut [f64],
    adoption: &'a mut [f64],
    revenue_base: &'a mut [f64],
}

/// The running state of one arm's recursion.
struct State {
    /// `R_base(t)`.
    r_base: f64,
    /// Revenue base `M`.
    mm: f64,
    cum: f64,
    npv: f64,
    investment: f64,
    ch: [f64; 10],
    payback: u32,
    incidents: u64,
    /// Scale-up payment due next month.
    su_next: f64,
    /// Discoveries so far, `N_d`.
    discoveries: u32,
}

impl State {
    /// The state after month 0: revenue base `R_base(0)`, and the month's cash flow (the
    /// upfront payment and the preparation) as cash, NPV, investment and their channels.
    #[inline(always)]
    fn start(r_base: f64, x: &Effects) -> State {
        let cf0 = x.cf0();
        let mut st = State {
            r_base,
            mm: 1.0,
            cum: cf0,
            npv: cf0,
            investment: -cf0,
            ch: [0.0; 10],
            payback: NO_MONTH,
            incidents: 0,
            su_next: 0.0,
            discoveries: 0,
        };
        st.ch[6] = x.upfront0;
        // `0.0 - x`: no preparation is a cost of 0, not -0.
        st.ch[9] = 0.0 - x.prep_cost;
        st
    }

    /// The live months from `from` to the drop or the horizon `h`: steps 3 to 6 of each
    /// (with the discoveries' value), the month's discovery, then 7 (pilot gate), 7b
    /// (review), 8 (abandonment) and 9 (scale-up payment next month). `op` is room for each
    /// month's operating cash flow, which reviews look back on. Returns the first month
    /// after them, the month after which the project was dropped or [`NO_MONTH`], and why.
    /// `V2` is false when the arm neither reviews nor discovers, whose steps it then skips.
    #[inline(always)]
    fn live_months<const V2: bool, const FULL: bool>(
        &mut self,
        x: &Effects,
        k: &Terms,
        live: &Live,
        (from, h): (usize, usize),
        path: &mut Path,
        op: &mut [f64],
    ) -> (usize, u32, DropCause) {
        let go_live = x.go_live_month as usize;
        let gate_month = if x.pilot > 0 {
            go_live.saturating_add(x.pilot - 1)
        } else {
            usize::MAX
        };
        // The live month `tau` of the next review.
        let mut next_review = x.first_review();
        let mut t = from;
        while t <= h {
            let a = live.adoption[t];
            let month = Drive {
                a,
                n: live.incidents[t],
                rc: x.cm_eff * live.scale[t],
                dv: if V2 {
                    x.discovery_value * f64::from(self.discoveries)
                } else {
                    0.0
                },
            };
            let month_op = self.month::<FULL>(k, t, month, path);
            if V2 {
                op[t] = month_op;
                // 8.2: at most one discovery a month, paying from the next.
                if x.discovery_rate > 0.0 && discovers(live.u_disc[t], x.discovery_rate, a) {
                    self.discoveries += 1;
                }
            }
            // 7. Pilot gate.
            let mut passed = false;
            let mut cause = DropCause::None;
            if t == gate_month && t < h {
                if x.gate_passes(self, h - t, live.z_gate) {
                    passed = true;
                } else {
                    cause = DropCause::Gate;
                }
            }
            // 7b. Performance review.
            let tau = t + 1 - go_live;
            if V2 && tau == next_review {
                next_review = next_review.saturating_add(x.review_every);
                if cause == DropCause::None && t < h && !x.review_passes(op, t, tau, live) {
                    cause = DropCause::Review;
                }
            }
            // 8. Abandonment.
            if cause == DropCause::None && live.u_ab[t] < x.h_eff {
                cause = DropCause::Hazard;
            }
            // 9. Scale-up payment next month.
            if passed && cause == DropCause::None && t < h {
                self.su_next = x.rest;
            }
            t += 1;
            if cause != DropCause::None {
                return (t, (t - 1) as u32, cause);
            }
        }
        (t, NO_MONTH, DropCause::None)
    }

    /// Steps 3 to 6 of month `t` in the order MODEL.md writes them, given what drives the
    /// month (all zero while the project is not live). Returns the month's operating cash
    /// flow `OP_t`: its cash flow before the scale-up payment.
    #[inline(always)]
    fn month<const FULL: bool>(
        &mut self,
        k: &Terms,
        t: usize,
        month: Drive,
        path: &mut Path,
    ) -> f64 {
        let Drive { a, n, rc, dv } = month;
        self.r_base *= k.growth;
        self.incidents += u64::from(n);
        // 3. Revenue base: erosion and churn while live; frozen once dropped.
        // M * (1 - eps_t) * (1 - chi)^N, left to right as MODEL.md writes it.
        if a > 0.0 {
            self.mm *= 1.0 - k.eps_s * a;
        }
        self.mm *= match k.churn_powers.get(n as usize) {
            Some(&f) => f,
            None => k.churn_keep.powi(n as i32),
        };
        // 4.-6. Revenue and cash flow.
        let (r_base, mm, m) = (self.r_base, self.mm, k.m);
        let rm = r_base * mm;
        let r_t = rm * (1.0 + k.u_r * a);
        let ls = k.labour_unit * a;
        let kv = k.kpi_unit * a;
        let ic = k.incident_cost * f64::from(n);
        let su = self.su_next;
        self.su_next = 0.0;
        let mut op = m * (r_t - r_base) + ls + kv - rc - ic;
        // Only when there is a value: adding 0.0 would turn a -0.0 into 0.0.
        if dv != 0.0 {
            op += dv;
        }
        let cf = op - su;
        if FULL {
            let ch = &mut self.ch;
            ch[0] += m * rm * k.u_r * a;
            ch[1] += m * r_base * (mm - 1.0);
            ch[2] += ls;
            ch[3] += kv;
            ch[4] -= rc;
            ch[5] -= ic;
            ch[7] -= su;
            ch[8] += dv;
        }
        self.investment += su + rc + ic;
        self.cum += cf;
        self.npv += cf / path.discount[t];
        if self.payback == NO_MONTH && self.cum >= 0.0 {
            self.payback = t as u32;
        }
        if FULL {
            path.cum_cf[t] = self.cum;
            path.adoption[t] = a;
            path.revenue_base[t] = mm;
        }
        op
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::months::to_fixed;

    #[test]
    fn discoveries_are_decided_as_by_expm1() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(3);
        let mut u = move || crate::dist::open01(rng.next_u64());
        let exact = |u: f64, rate: f64, a: f64| u < -(-rate * a).exp_m1();
        for case in 0..200_000 {
            let rate = [1e-300, 1e-9, 0.01, 0.3, 1.0, 5.0, 80.0][case % 7] * u();
            let a = if case % 11 == 0 { 0.0 } else { u() };
            let y = -(-rate * a).exp_m1();
            // Uniforms anywhere, and next to the bounds and the value itself.
            let near = [u(), y, rate * a, rate * a - 0.5 * (rate * a).powi(2)];
            for x in near {
                for v in [
                    x,
                    f64::from_bits(x.to_bits().wrapping_add(1)),
                    f64::from_bits(x.to_bits().wrapping_sub(1)),
                ] {
                    if v > 0.0 && v < 1.0 {
                        assert_eq!(discovers(v, rate, a), exact(v, rate, a), "{v} {rate} {a}");
                    }
                }
            }
        }
    }

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

    /// MODEL.md section 3 month by month, as written: the oracle of [`simulate`], which
    /// computes the same numbers in another order of work.
    #[allow(clippy::needless_range_loop)]
    fn as_written(p: &[f64; NSYM], prep: Prep, h: usize, discount: &[f64], sh: &Shared) -> Written {
        use crate::special::poisson_inv;
        let v = |s: Sym| p[s as usize];
        let (s, f, c) = (v(Sym::Strategic), v(Sym::Fit), v(Sym::Culture));
        let (k, i, e) = (v(Sym::Measurement), v(Sym::Integration), v(Sym::Ethics));
        let m = v(Sym::GrossMargin);
        let uplift = pos(v(Sym::WUplift), s);
        let u_r = v(Sym::RevenueUplift) * uplift;
        let sigma_r = v(Sym::LabourSaving) * pos(v(Sym::WLabour), i);
        let c0 = v(Sym::UpfrontCost) * (1.0 + v(Sym::CostOverrun) * neg(v(Sym::WOverrun), f));
        let d = v(Sym::BuildMonths);
        let d_eff = d + (v(Sym::WDelay) * (1.0 - f) * d).round();
        let cm = v(Sym::MonthlyCost) * neg(v(Sym::WSilo), i);
        let amax = v(Sym::AdoptionCeiling) * pos(v(Sym::WCeiling), c);
        let (bp, q) = (
            v(Sym::AdoptionP),
            v(Sym::AdoptionQ) * pos(v(Sym::WSpeed), c),
        );
        let lambda = v(Sym::IncidentRate) * neg(v(Sym::WIncidents), f);
        let chi = (v(Sym::IncidentChurn) * neg(v(Sym::WTrust), e)).min(1.0);
        let sigma_g = v(Sym::GateNoise) * neg(v(Sym::WNoise), k);
        let h_eff = (v(Sym::AbandonHazard) * neg(v(Sym::WAbandon), s)).min(1.0);
        let eps_s = v(Sym::Erosion) * (1.0 - s);
        let kpi_unit = v(Sym::KpiValuePerUnit) * v(Sym::KpiBaseline) * v(Sym::KpiChange) * uplift;
        let (ci, pilot, phi, k0) = (
            v(Sym::IncidentCost),
            v(Sym::PilotMonths) as usize,
            v(Sym::PilotScale),
            v(Sym::PilotUpfrontShare),
        );
        let g = (prep.months + d_eff + 1.0) as usize;
        let (up0, rest) = if pilot > 0 {
            (-k0 * c0, (1.0 - k0) * c0)
        } else {
            (-c0, 0.0)
        };
        let cf0 = up0 - prep.cost;
        // Model v2: reviews (8.1) and discoveries (8.2).
        let (rw, gr) = (v(Sym::ReviewMonths) as usize, v(Sym::ReviewGrace) as usize);
        let sigma_rev = v(Sym::ReviewNoise) * neg(v(Sym::WNoise), k);
        let rho = v(Sym::DiscoveryRate) * pos(v(Sym::WDiscovery), c);
        let mut n_d = 0u32;
        let mut op_hist = vec![0.0; h + 1];
        let mut w = Written {
            cum: vec![cf0],
            a: vec![0.0],
            mm: vec![1.0],
            ..Written::default()
        };
        let o = &mut w.outcome;
        o.channels[6] = up0;
        o.channels[9] = 0.0 - prep.cost;
        (o.investment, o.net, o.npv) = (-cf0, cf0, cf0);
        (o.payback_month, o.dropped_month) = (NO_MONTH, NO_MONTH);
        let (mut mm, mut live, mut su_next, mut r_base) = (1.0, true, 0.0, v(Sym::MonthlyRevenue));
        let mut e_tau = 1.0f64;
        let mut a = 0.0;
        for t in 1..=h {
            r_base *= 1.0 + v(Sym::RevenueGrowth);
            let active = live && t >= g;
            let tau = if active { t + 1 - g } else { 0 };
            let scale = if tau <= pilot { phi } else { 1.0 };
            if t >= g {
                e_tau *= (-(bp + q)).exp();
            }
            a = if active {
                amax * ((1.0 - e_tau) / (1.0 + q / bp * e_tau)) * scale
            } else {
                0.0
            };
            let n = if lambda * a > 0.0 {
                poisson_inv(sh.u_inc[t], lambda * a)
            } else {
                0
            };
            o.incidents += u64::from(n);
            if a > 0.0 {
                mm *= 1.0 - eps_s * a;
            }
            mm *= (1.0 - chi).powi(n as i32);
            let r_t = r_base * mm * (1.0 + u_r * a);
            let (ls, kv) = (sigma_r * v(Sym::ProcessCost) * a, kpi_unit * a);
            let rc = if active { cm * scale } else { 0.0 };
            let ic = ci * f64::from(n);
            let su = std::mem::take(&mut su_next);
            let dv = if active {
                v(Sym::DiscoveryValue) * f64::from(n_d)
            } else {
                0.0
            };
            let cf = m * (r_t - r_base) + ls + kv - rc - ic + dv - su;
            op_hist[t] = cf + su;
            if active && sh.u_disc.get(t).is_some_and(|&u| u < -(-rho * a).exp_m1()) {
                n_d += 1;
            }
            o.channels[8] += dv;
            let ch = &mut o.channels;
            ch[0] += m * (r_base * mm) * u_r * a;
            ch[1] += m * r_base * (mm - 1.0);
            (ch[2], ch[3], ch[4], ch[5], ch[7]) =
                (ch[2] + ls, ch[3] + kv, ch[4] - rc, ch[5] - ic, ch[7] - su);
            o.investment += su + rc + ic;
            o.net += cf;
            o.npv += cf / discount[t];
            if o.payback_month == NO_MONTH && o.net >= 0.0 {
                o.payback_month = t as u32;
            }
            w.cum.push(o.net);
            w.a.push(a);
            w.mm.push(mm);
            let mut passed = false;
            if pilot > 0 && active && tau == pilot && t < h {
                let rest_h = (h - t) as f64;
                let nb = amax
                    * (m * r_base * mm * u_r + sigma_r * v(Sym::ProcessCost) + kpi_unit
                        - ci * lambda
                        - m * r_base * mm * (eps_s + chi * lambda) * rest_h / 2.0)
                    - cm;
                passed = (nb + sigma_g * nb.abs() * sh.z_gate) * rest_h >= rest;
                if !passed {
                    (live, o.dropped_month) = (false, t as u32);
                    o.dropped_by = DropCause::Gate;
                }
            }
            if live && rw > 0 && active && tau >= gr && (tau - gr) % rw == 0 && tau > pilot && t < h
            {
                let w = rw.min(tau);
                let avg = op_hist[t + 1 - w..=t].iter().sum::<f64>() / w as f64;
                let z = crate::special::norm_inv(sh.u_rev[t]);
                if avg + sigma_rev * avg.abs() * z < v(Sym::ReviewFloor) {
                    (live, o.dropped_month) = (false, t as u32);
                    o.dropped_by = DropCause::Review;
                }
            }
            if live && t >= g && sh.u_ab[t] < h_eff {
                (live, o.dropped_month) = (false, t as u32);
                o.dropped_by = DropCause::Hazard;
            }
            if passed && live && t < h {
                su_next = rest;
            }
        }
        o.roi = if o.investment == 0.0 {
            f64::NAN
        } else {
            o.net / o.investment
        };
        o.dropped = o.dropped_month != NO_MONTH;
        o.discoveries = n_d;
        o.go_live_month = g as u32;
        (o.revenue_retained, o.adoption_final) = (mm, a);
        o.kpi_final = v(Sym::KpiBaseline) * (1.0 + v(Sym::KpiChange) * uplift * a);
        w
    }

    #[derive(Default)]
    struct Written {
        outcome: Outcome,
        cum: Vec<f64>,
        a: Vec<f64>,
        mm: Vec<f64>,
    }

    #[test]
    fn simulate_matches_the_model_as_written() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(17);
        let mut u = move || crate::dist::open01(rng.next_u64());
        let (mut gates, mut drops, mut causes, mut found) = (0, 0, [0; 3], 0);
        for case in 0..3_000 {
            let h = 1 + (u() * 48.0) as usize;
            let mut p = [0.0; NSYM];
            for (x, def) in p.iter_mut().zip(crate::scenario::PARAMS) {
                *x = def.default.unwrap_or(0.5);
            }
            let mut set = |s: Sym, x: f64| p[s as usize] = x;
            set(Sym::MonthlyRevenue, 1000.0 + 90_000.0 * u());
            set(Sym::RevenueGrowth, 0.02 * u() - 0.01);
            set(Sym::GrossMargin, u());
            set(Sym::ProcessCost, 20_000.0 * u());
            set(
                Sym::UpfrontCost,
                if case % 9 == 0 { 0.0 } else { 50_000.0 * u() },
            );
            set(Sym::CostOverrun, u());
            set(Sym::BuildMonths, (u() * 8.0).floor());
            set(Sym::MonthlyCost, 2_000.0 * u());
            set(Sym::LabourSaving, u());
            set(Sym::RevenueUplift, 0.3 * u() - 0.1);
            set(Sym::AdoptionCeiling, 0.01 + 0.99 * u());
            set(Sym::AdoptionP, 0.005 + 0.3 * u());
            set(Sym::AdoptionQ, u());
            // Incident rates for every number of Poisson terms, and none.
            set(
                Sym::IncidentRate,
                [0.0, 1.0, 3.0, 6.0, 12.0, 60.0][case % 6] * u(),
            );
            set(Sym::IncidentCost, 300.0 * u());
            set(Sym::IncidentChurn, 0.05 * u());
            set(Sym::Erosion, 0.02 * u());
            set(Sym::AbandonHazard, [0.0, 0.01, 0.2][case % 3] * u());
            set(Sym::PilotMonths, (u() * 5.0).floor());
            set(Sym::PilotScale, 0.05 + 0.95 * u());
            set(Sym::PilotUpfrontShare, u());
            set(Sym::GateNoise, u());
            set(Sym::KpiBaseline, 100.0 * u());
            set(Sym::KpiChange, u() - 0.5);
            set(Sym::KpiValuePerUnit, 50.0 * u() - 25.0);
            for s in [Sym::Strategic, Sym::Fit, Sym::Culture, Sym::Measurement] {
                set(s, u());
            }
            set(Sym::Integration, u());
            set(Sym::Ethics, u());
            // Model v2 in two cases of three: reviews, discoveries, preparation.
            let v2 = case % 3 != 0;
            if v2 {
                set(Sym::ReviewMonths, [0.0, 1.0, 2.0, 3.0, 6.0][case % 5]);
                set(Sym::ReviewGrace, 1.0 + (u() * 8.0).floor());
                set(Sym::ReviewFloor, 2_000.0 * u() - 1_000.0);
                set(Sym::ReviewNoise, u());
                set(Sym::DiscoveryRate, [0.0, 0.1, 1.0, 5.0][case % 4] * u());
                set(Sym::DiscoveryValue, 500.0 * u());
                set(Sym::WDiscovery, 2.0 * u());
            }
            let prep = if v2 && case % 4 == 1 {
                Prep {
                    cost: 5_000.0 * u(),
                    months: (u() * 4.0).floor(),
                }
            } else {
                Prep::default()
            };
            let r_m = 0.1 * u() / 12.0;
            let discount: Vec<f64> = (0..=h).map(|t| (1.0 + r_m).powi(t as i32)).collect();
            let (u_inc, u_ab): (Vec<f64>, Vec<f64>) = (0..=h).map(|_| (u(), u())).unzip();
            let (u_rev, u_disc): (Vec<f64>, Vec<f64>) = if v2 {
                (0..=h).map(|_| (u(), u())).unzip()
            } else {
                (Vec::new(), Vec::new())
            };
            let sh = Shared {
                u_inc: &u_inc,
                u_ab: &u_ab,
                z_gate: crate::special::norm_inv(u()),
                u_rev: &u_rev,
                z_rev: &vec![Cell::new(f64::NAN); u_rev.len()],
                u_disc: &u_disc,
            };
            let want = as_written(&p, prep, h, &discount, &sh);
            let mut cum = vec![0.0; h + 1];
            let mut sums = [FixedSums::new(h + 1), FixedSums::new(h + 1)];
            let mut months = Months::new(h);
            let monthly = Monthly {
                cum_cf: Some(&mut cum),
                sums: Some(&mut sums),
            };
            let got = simulate(&p, prep, h, &discount, &sh, monthly, &mut months);
            // A second arm with the same curve in the same trial reuses the first one's
            // months and review normals: the same outcome.
            let mut again = vec![0.0; h + 1];
            let monthly = Monthly {
                cum_cf: Some(&mut again),
                sums: None,
            };
            let twin = simulate(&p, prep, h, &discount, &sh, monthly, &mut months);
            // Outcomes only: the same outcome, with only month 0's channels.
            let monthly = Monthly {
                cum_cf: None,
                sums: None,
            };
            let lean = simulate(&p, prep, h, &discount, &sh, monthly, &mut months);
            let mut month0 = [0.0; 10];
            (month0[6], month0[9]) = (got.channels[6], got.channels[9]);
            assert_eq!(
                lean.channels.map(f64::to_bits),
                month0.map(f64::to_bits),
                "case {case}"
            );
            // Debug text: every field, floats to the bit (NaN ROI included).
            let with_channels = Outcome {
                channels: got.channels,
                ..lean
            };
            assert_eq!(
                format!("{with_channels:?}"),
                format!("{got:?}"),
                "case {case}"
            );
            let [adoption, revenue_base] = &sums;
            let bits = |o: &Outcome| {
                let mut x = vec![o.net, o.npv, o.investment, o.roi, o.revenue_retained];
                x.extend([o.adoption_final, o.kpi_final]);
                x.extend(o.channels);
                x.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            };
            assert_eq!(bits(&got), bits(&want.outcome), "case {case}");
            assert_eq!(bits(&twin), bits(&got), "case {case}");
            assert_eq!(twin.dropped_by, got.dropped_by, "case {case}");
            assert_eq!(again, cum, "case {case}");
            let months_of = |o: &Outcome| (o.payback_month, o.dropped_month, o.go_live_month);
            assert_eq!(months_of(&got), months_of(&want.outcome), "case {case}");
            assert_eq!(
                (got.incidents, got.dropped, got.dropped_by, got.discoveries),
                (
                    want.outcome.incidents,
                    want.outcome.dropped,
                    want.outcome.dropped_by,
                    want.outcome.discoveries
                ),
                "case {case}"
            );
            assert_eq!(
                cum.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                want.cum.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "case {case}"
            );
            for t in 0..=h {
                assert_eq!(adoption.total(t), to_fixed(want.a[t]), "case {case} t={t}");
                assert_eq!(
                    revenue_base.total(t),
                    to_fixed(want.mm[t]),
                    "case {case} t={t}"
                );
            }
            gates += usize::from(p[Sym::PilotMonths as usize] > 0.0);
            drops += usize::from(got.dropped);
            if let Some(i) = got.dropped_by.index() {
                causes[i] += 1;
            }
            found += usize::from(got.discoveries > 0);
        }
        // The cases cover pilots, gates, drops of every cause and discoveries.
        assert!(gates > 1_000 && drops > 300, "gates {gates} drops {drops}");
        assert!(causes.iter().all(|&c| c > 100), "drops by cause {causes:?}");
        assert!(found > 100, "trials with discoveries {found}");
    }
}
