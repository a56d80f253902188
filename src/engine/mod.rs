//! The Monte Carlo engine: keyed draws for every parameter of every arm, the monthly
//! recursion per arm, parallel over fixed batches of trials with rayon. It knows neither
//! Polars nor plotters: it hands back plain batches, in trial order.

pub mod copula;
pub mod months;
pub mod rng;
pub mod trial;

use std::ops::Range;

use rand::Rng;
use rayon::prelude::*;

use crate::dist::{Dist, open01};
use crate::scenario::{Domain, NSYM, PARAMS, Scenario, Sym, WorkField};
use crate::stats::targets::Target;
pub use trial::{CHANNELS, DropCause, NO_MONTH, Outcome, Prep};

/// Trials per batch. Results never depend on it; it only sets the grain of parallelism.
pub const BATCH: u64 = 1024;
/// Trials whose monthly paths are moved into a batch together: one cache line of each
/// month.
const PATH_GROUP: usize = 8;
/// Batches simulated in parallel before they are handed on in order.
pub const WINDOW: usize = 64;

/// A random input: a parameter path whose keyed uniform is drawn once per trial and shared
/// by every arm, whatever distribution each arm maps it through.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: String,
    /// Key of the path's random stream; replacing it gives an independent draw (used by
    /// variance-based sensitivity to build its resampled matrices).
    pub key: u64,
}

/// One distinct value per trial: a parameter path with one distribution. Arms that give a
/// parameter the same distribution share its slot (and so its value).
#[derive(Debug, Clone)]
pub struct Slot {
    pub path: String,
    /// Index into [`Model::inputs`]; `None` for fixed values.
    pub input: Option<usize>,
    pub dist: Dist,
    pub domain: Domain,
}

/// How each input's uniform is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Independent keyed uniforms.
    MonteCarlo,
    /// Sliced Latin hypercube over `trials` trials: each input's range is cut into `trials`
    /// equal strata and every stratum is used exactly once, and the trials of each of
    /// [`Sampling::slices`] slices (trial number modulo the slice count) form a Latin
    /// hypercube of their own on a coarser grid, so that the spread of the slice means gives
    /// the run a standard error (MODEL.md 6.3a). Strata come from keyed permutations
    /// computed one trial at a time, so any trial is computed on its own.
    LatinHypercube { trials: u64 },
}

/// Most slices of a Latin hypercube run.
pub const LHS_SLICES: u64 = 20;
/// Fewest trials in a slice of a Latin hypercube run.
pub const LHS_SLICE_TRIALS: u64 = 10;

impl Sampling {
    /// The slices of a Latin hypercube run: [`LHS_SLICES`], fewer when a slice would hold
    /// less than [`LHS_SLICE_TRIALS`] trials, at least 2 for two trials or more; 0 for
    /// plain Monte Carlo (no slices).
    pub fn slices(self) -> u64 {
        match self {
            Sampling::MonteCarlo => 0,
            Sampling::LatinHypercube { trials } => (trials / LHS_SLICE_TRIALS)
                .clamp(2, LHS_SLICES)
                .min(trials.max(1)),
        }
    }
}

/// The stratum, out of `n`, of `trial` for the input keyed `key` in a sliced Latin
/// hypercube of `r` slices: the trial's slice `trial % r` takes coarse stratum `c` from a
/// keyed permutation of its own trials, and the `r` trials (one per slice) that share a
/// coarse stratum share out its `r` fine strata `c r .. c r + r` by a permutation keyed by
/// `c`. When `r` does not divide `n`, the last coarse stratum has only `n % r` fine strata,
/// taken by the first `n % r` slices, which are one trial longer.
pub fn sliced_stratum(key: u64, trial: u64, n: u64, r: u64) -> u64 {
    let (slice, local) = (trial % r, trial / r);
    let (full, rest) = (n / r, n % r);
    let len = full + u64::from(slice < rest);
    let coarse = rng::permute(rng::mix64(key ^ slice), local, len);
    let width = if coarse < full { r } else { rest };
    coarse * r + rng::permute(rng::mix64(!key ^ coarse), slice, width)
}

/// One arm compiled for the engine.
#[derive(Debug, Clone)]
pub struct ArmModel {
    pub name: String,
    pub label: String,
    /// Slot index of each parameter, indexed by `Sym as usize`.
    pub slot: [usize; NSYM],
    /// The packages of [`Model::work`] the arm prepares, in catalogue order.
    pub prepare: Vec<usize>,
    /// An alignment score moved by a step after it is drawn and before any preparation,
    /// clamped to [0, 1]: the shifted arms that value a step of alignment (MODEL.md 8.4).
    pub shift: Option<(Sym, f64)>,
}

/// A `[[work]]` package compiled for the engine (MODEL.md section 8.3).
#[derive(Debug, Clone)]
pub struct WorkModel {
    pub name: String,
    pub label: String,
    /// The alignment score it raises.
    pub dimension: Sym,
    /// Slot of its gain, cost and months, indexed by `WorkField as usize`.
    pub slot: [usize; 3],
}

/// A random value recorded per trial and arm (a column of `trials.parquet`, an input of
/// the sensitivity measures): a parameter that varies in at least one arm, or a work
/// package's value.
#[derive(Debug, Clone)]
pub struct Varying {
    pub path: String,
    /// The slot of each arm's value, in arm order.
    pub slots: Vec<usize>,
}

/// A scenario compiled for simulation.
#[derive(Debug, Clone)]
pub struct Model {
    pub horizon: usize,
    pub seed: u64,
    /// `(1 + r_m)^t` for `t = 0..=H`.
    pub discount: Vec<f64>,
    pub inputs: Vec<Input>,
    pub slots: Vec<Slot>,
    pub arms: Vec<ArmModel>,
    pub sampling: Sampling,
    /// Rank correlation imposed on some inputs (Gaussian copula), if any.
    pub copula: Option<copula::Copula>,
    /// Parameters that vary between trials in at least one arm, in table order, then the
    /// random values of work packages in catalogue order.
    pub varying: Vec<Varying>,
    /// The `[[work]]` catalogue.
    pub work: Vec<WorkModel>,
    /// The targets whose share of trials is counted (the scenario's `[report] targets`,
    /// then a run's `--target`s).
    pub targets: Vec<Target>,
    incident_key: u64,
    abandon_key: u64,
    gate_key: u64,
    review_key: u64,
    discovery_key: u64,
    /// Outcomes only: batches carry neither monthly paths, sums, input values nor clamp
    /// counts, and outcomes carry only month 0's channels (what the analyses that simulate many variants of the
    /// arms need, at a fraction of the memory and work).
    pub lean: bool,
    /// Whether any arm may hold reviews or make discoveries: only then are their monthly
    /// uniforms drawn.
    reviews: bool,
    discoveries: bool,
    /// Buffers of consumed batches, reused by the next ones.
    spare: Spare,
}

impl Model {
    /// The scenario compiled with its own seed.
    pub fn new(sc: &Scenario) -> Model {
        Model::seeded(sc, sc.seed)
    }

    /// The scenario compiled with the random seed `seed` (a run's `--seed` overrides the
    /// file's without changing the validated scenario).
    pub fn seeded(sc: &Scenario, seed: u64) -> Model {
        let mut slots = Slots {
            seed,
            slots: Vec::new(),
            inputs: Vec::new(),
        };
        let arms = sc
            .arms
            .iter()
            .map(|arm| {
                let mut slot = [0usize; NSYM];
                for def in PARAMS {
                    slot[def.sym as usize] = slots.of(def.path(), arm.param(def.sym), def.domain);
                }
                ArmModel {
                    name: arm.name.clone(),
                    label: arm.label.clone(),
                    slot,
                    prepare: arm.prepare.clone(),
                    shift: None,
                }
            })
            .collect::<Vec<_>>();
        let work: Vec<WorkModel> = sc
            .work
            .iter()
            .map(|w| WorkModel {
                name: w.name.clone(),
                label: w.label.clone(),
                dimension: w.dimension,
                slot: WorkField::ALL.map(|f| slots.of(f.path(&w.name), w.value(f), f.domain())),
            })
            .collect();
        let Slots { slots, inputs, .. } = slots;
        // Beta and PERT tables take a few milliseconds each: build them side by side.
        slots.par_iter().for_each(|s| s.dist.prepare());
        let varying = varying(&slots, &arms, &work);
        let (reviews, discoveries) = monthly_draws(&slots, &arms);
        let r_m = (1.0 + sc.discount_rate_annual).powf(1.0 / 12.0) - 1.0;
        let horizon = sc.horizon_months as usize;
        Model {
            horizon,
            seed,
            discount: (0..=horizon).map(|t| (1.0 + r_m).powi(t as i32)).collect(),
            copula: sc
                .correlation
                .as_ref()
                .map(|c| copula::Copula::for_inputs(c, &inputs)),
            inputs,
            slots,
            reviews,
            discoveries,
            lean: false,
            arms,
            varying,
            work,
            targets: sc.targets.clone(),
            sampling: Sampling::MonteCarlo,
            incident_key: rng::key(seed, rng::INCIDENT_STREAM),
            abandon_key: rng::key(seed, rng::ABANDON_STREAM),
            gate_key: rng::key(seed, rng::GATE_STREAM),
            review_key: rng::key(seed, rng::REVIEW_STREAM),
            discovery_key: rng::key(seed, rng::DISCOVERY_STREAM),
            spare: Spare::default(),
        }
    }

    /// The same scenario with other arms, built from this model's slots (so they share its
    /// draws: common random numbers), simulating outcomes only ([`Model::lean`]): the
    /// variants that value alignment, attribute a gap or search preparation plans.
    pub fn variant(&self, arms: Vec<ArmModel>) -> Model {
        let (reviews, discoveries) = monthly_draws(&self.slots, &arms);
        Model {
            reviews,
            discoveries,
            varying: varying(&self.slots, &arms, &self.work),
            arms,
            lean: true,
            spare: Spare::default(),
            ..self.clone()
        }
    }

    /// The value of every slot in trial `trial`, as the simulation draws it.
    pub fn drawn(&self, trial: u64) -> Vec<f64> {
        let mut d = Draws::new(self);
        self.draw_values(trial, &mut d);
        d.values
    }

    /// Each slot's value in one trial (clamped to its domain, clamps counted), into `d`:
    /// the parameter part of [`Model::draw`], without the monthly uniforms.
    #[inline]
    fn draw_values(&self, trial: u64, d: &mut Draws) {
        self.input_uniforms(trial, &mut d.u);
        for (si, slot) in self.slots.iter().enumerate() {
            if let Some(k) = slot.input {
                let (x, moved) = slot.domain.clamp(slot.dist.quantile(d.u[k]));
                d.values[si] = x;
                d.clamped[si] += u64::from(moved);
            }
        }
    }

    /// Clamped-draw counters per arm: one per parameter, then one per value of every work
    /// package (counted for the arms that prepare it).
    pub fn clamp_stride(&self) -> usize {
        NSYM + 3 * self.work.len()
    }

    /// What arm `arm`'s preparation does in a trial whose slot values are `values`: raises
    /// the scores in `p` (capped at 1) and returns its cost and months.
    #[inline]
    fn prepare(&self, arm: &ArmModel, values: &[f64], p: &mut [f64; NSYM]) -> Prep {
        let mut prep = Prep::default();
        if arm.prepare.is_empty() {
            return prep;
        }
        // Each dimension's gains, summed from 0 in catalogue order; `raised` has the bit of
        // every dimension a package raises.
        const { assert!(NSYM <= 64) };
        let mut gain = [0.0f64; NSYM];
        let mut raised = 0u64;
        for w in arm.prepare.iter().map(|&i| &self.work[i]) {
            let value = |f: WorkField| values[w.slot[f as usize]];
            let d = w.dimension as usize;
            gain[d] += value(WorkField::Gain);
            raised |= 1 << d;
            prep.cost += value(WorkField::Cost);
            prep.months = prep.months.max(value(WorkField::Months));
        }
        while raised != 0 {
            let d = raised.trailing_zeros() as usize;
            p[d] = (p[d] + gain[d]).min(1.0);
            raised &= raised - 1;
        }
        prep
    }

    pub fn n_arms(&self) -> usize {
        self.arms.len()
    }

    /// Simulates `trials` in parallel batches; `progress` is told how many trials each
    /// finished batch held. The batches come back in trial order.
    pub fn run(&self, trials: Range<u64>, progress: &(dyn Fn(u64) + Sync)) -> Vec<Batch> {
        let mut out = Vec::new();
        self.run_each(trials, progress, |b| out.push(b));
        out
    }

    /// Simulates `trials` and hands every batch to `consume`, in trial order, as soon as
    /// it and all batches before it are done. At most [`WINDOW`] batches are in memory at
    /// once, so memory does not grow with the number of trials. After Ctrl-C
    /// ([`crate::interrupt`]) it returns early, between windows.
    pub fn run_each(
        &self,
        trials: Range<u64>,
        progress: &(dyn Fn(u64) + Sync),
        consume: impl FnMut(Batch) + Send,
    ) {
        self.run_map(trials, progress, |b| b, consume);
    }

    /// Trials per batch: [`BATCH`], fewer for a lean variant of many arms, so that its
    /// batches (the grain the threads share) take about as long as a run's.
    pub fn batch_trials(&self) -> u64 {
        if self.lean {
            (BATCH * 4 / self.n_arms().max(1) as u64).clamp(64, BATCH)
        } else {
            BATCH
        }
    }

    /// [`Model::run_each`], with each batch turned into what `map` makes of it on the
    /// thread that simulated it, as soon as it is simulated (its buffers then serve the
    /// next batch): `consume` is handed those, in trial order.
    pub fn run_map<T: Send>(
        &self,
        trials: Range<u64>,
        progress: &(dyn Fn(u64) + Sync),
        map: impl Fn(Batch) -> T + Sync,
        mut consume: impl FnMut(T) + Send,
    ) {
        let step = self.batch_trials();
        let starts: Vec<u64> = (trials.start..trials.end).step_by(step as usize).collect();
        // While one window is simulated, the previous one is handed on: the consumer's work
        // overlaps the engine's instead of following it.
        let mut ready: Vec<T> = Vec::new();
        for window in starts.chunks(WINDOW) {
            // After Ctrl-C: stop between windows; the caller commits nothing.
            if crate::interrupt::requested() {
                break;
            }
            let (batches, ()) = rayon::join(
                || {
                    window
                        .par_iter()
                        .map(|&start| {
                            let batch = self.run_batch(start..(start + step).min(trials.end));
                            progress(batch.n as u64);
                            map(batch)
                        })
                        .collect::<Vec<T>>()
                },
                || ready.drain(..).for_each(&mut consume),
            );
            ready = batches;
        }
        if !crate::interrupt::requested() {
            ready.into_iter().for_each(&mut consume);
        }
        // The run is over: give the spare buffers back to the system. A lean variant keeps
        // them for its next range (the analyses simulate theirs a slice at a time); they go
        // when it is dropped.
        if !self.lean
            && let Ok(mut spare) = self.spare.0.lock()
        {
            spare.clear();
        }
    }

    /// Simulates one contiguous range of trials.
    pub fn run_batch(&self, trials: Range<u64>) -> Batch {
        let n = (trials.end - trials.start) as usize;
        let (h1, n_arms) = (self.horizon + 1, self.n_arms());
        let n_inputs = if self.lean { 0 } else { self.varying.len() };
        let shape = (n_arms, self.clamp_stride(), !self.lean);
        let mut batch = Batch::new(&self.spare, trials.start, n, shape, n_inputs, h1);
        let mut d = Draws::new(self);
        let mut p = [0.0f64; NSYM];
        let mut months = months::Months::new(self.horizon);
        // The paths of a few trials, `[arm][trial][month]`, moved into the batch's
        // month-major paths a cache line (PATH_GROUP trials of one month) at a time.
        let mut paths = vec![
            0.0;
            if self.lean {
                0
            } else {
                n_arms * PATH_GROUP * h1
            }
        ];
        // Lean batches carry no monthly means: no sums to add to.
        let mut sums: Vec<[months::FixedSums; 2]> = (0..if self.lean { 0 } else { n_arms })
            .map(|_| [months::FixedSums::new(h1), months::FixedSums::new(h1)])
            .collect();
        for (j, trial) in trials.enumerate() {
            self.draw(trial, &mut d);
            months.fills.next_trial();
            let shared = trial::Shared {
                u_inc: &d.u_inc,
                u_ab: &d.u_ab,
                z_gate: d.z_gate,
                u_rev: &d.u_rev,
                z_rev: &d.z_rev,
                u_disc: &d.u_disc,
            };
            let g = j % PATH_GROUP;
            let mut arm_sums = sums.iter_mut();
            for ai in 0..n_arms {
                let prep = self.arm_params(ai, &d.values, &mut p, &mut batch.inputs);
                let at = (ai * PATH_GROUP + g) * h1;
                let monthly = trial::Monthly {
                    cum_cf: (!self.lean).then(|| &mut paths[at..at + h1]),
                    sums: arm_sums.next(),
                };
                batch.outcomes.push(trial::simulate(
                    &p,
                    prep,
                    self.horizon,
                    &self.discount,
                    &shared,
                    monthly,
                    &mut months,
                ));
            }
            if !self.lean && (g + 1 == PATH_GROUP || j + 1 == n) {
                batch.move_paths(&paths, j - g, g + 1);
            }
        }
        for (ai, [adoption, revenue_base]) in sums.iter().enumerate() {
            for t in 0..h1 {
                batch.adoption_sum[ai * h1 + t] = adoption.total(t);
                batch.revenue_base_sum[ai * h1 + t] = revenue_base.total(t);
            }
        }
        if !self.lean {
            self.count_clamped(&d.clamped, &mut batch.clamped);
        }
        batch
    }

    /// Arm `ai`'s parameters in a trial whose slot values are `values`, into `p`: its
    /// varying values recorded in `inputs` (unless lean), then its shift and its
    /// preparation applied. Returns what the preparation costs and takes.
    #[inline]
    fn arm_params(
        &self,
        ai: usize,
        values: &[f64],
        p: &mut [f64; NSYM],
        inputs: &mut Vec<f64>,
    ) -> Prep {
        let arm = &self.arms[ai];
        for (dst, &si) in p.iter_mut().zip(arm.slot.iter()) {
            *dst = values[si];
        }
        if !self.lean {
            inputs.extend(self.varying.iter().map(|v| values[v.slots[ai]]));
        }
        if let Some((s, step)) = arm.shift {
            p[s as usize] = (p[s as usize] + step).clamp(0.0, 1.0);
        }
        self.prepare(arm, values, p)
    }

    /// The clamped draws of every arm (per slot in `by_slot`), laid out per arm as
    /// [`Model::clamp_stride`] says, into `out`.
    fn count_clamped(&self, by_slot: &[u64], out: &mut [u64]) {
        let stride = self.clamp_stride();
        for (arm, counts) in self.arms.iter().zip(out.chunks_mut(stride)) {
            for (count, &si) in counts.iter_mut().zip(arm.slot.iter()) {
                *count = by_slot[si];
            }
            for &wi in &arm.prepare {
                for (f, &si) in self.work[wi].slot.iter().enumerate() {
                    counts[NSYM + 3 * wi + f] = by_slot[si];
                }
            }
        }
    }
}

impl Model {
    /// The uniform of every input in one trial: keyed, stratified under Latin hypercube
    /// sampling, then correlated by the copula if the scenario asks for it.
    #[inline]
    pub fn input_uniforms(&self, trial: u64, u: &mut [f64]) {
        for (ui, input) in u.iter_mut().zip(&self.inputs) {
            let v = open01(rng::stream(input.key, trial).next_u64());
            *ui = match self.sampling {
                Sampling::MonteCarlo => v,
                Sampling::LatinHypercube { trials } => {
                    let slices = self.sampling.slices();
                    (sliced_stratum(input.key, trial, trials, slices) as f64 + v) / trials as f64
                }
            };
        }
        if let Some(c) = &self.copula {
            c.apply(u);
        }
    }

    /// Every random draw of one trial, into `d`: each slot's value (clamped to its domain,
    /// clamps counted), the monthly uniforms and the gate normal.
    #[inline]
    fn draw(&self, trial: u64, d: &mut Draws) {
        self.draw_values(trial, d);
        // The keyed monthly uniforms, U_inc(t) and U_ab(t) at index t (calendar month t).
        rng::fill_open01(&mut d.u_inc, self.incident_key, trial);
        rng::fill_open01(&mut d.u_ab, self.abandon_key, trial);
        d.z_gate = crate::special::norm_inv(open01(rng::stream(self.gate_key, trial).next_u64()));
        if self.reviews {
            rng::fill_open01(&mut d.u_rev, self.review_key, trial);
            d.z_rev.iter().for_each(|z| z.set(f64::NAN));
        }
        if self.discoveries {
            rng::fill_open01(&mut d.u_disc, self.discovery_key, trial);
        }
    }

    /// Makes exactly the keyed draws that simulating `trials` makes (every random
    /// parameter, the monthly uniforms, the gate normal) and nothing else; returns their
    /// sum so the work cannot be optimised away. The baseline of the engine benchmark.
    pub fn draw_only(&self, trials: Range<u64>) -> f64 {
        let starts: Vec<u64> = (trials.start..trials.end).step_by(BATCH as usize).collect();
        let sums: Vec<f64> = starts
            .into_par_iter()
            .map(|start| {
                let mut d = Draws::new(self);
                let mut acc = 0.0;
                for trial in start..(start + BATCH).min(trials.end) {
                    self.draw(trial, &mut d);
                    acc += d.values.iter().sum::<f64>()
                        + d.u_inc[self.horizon]
                        + d.u_ab[self.horizon]
                        + d.z_gate
                        + d.u_rev.last().unwrap_or(&0.0)
                        + d.u_disc.last().unwrap_or(&0.0);
                }
                acc
            })
            .collect();
        sums.iter().sum()
    }
}

/// The slots and inputs of a model as they are compiled.
struct Slots {
    seed: u64,
    slots: Vec<Slot>,
    inputs: Vec<Input>,
}

impl Slots {
    /// The slot of the value at `path` with distribution `dist`: an existing one when the
    /// path and distribution are the same (so arms share the value), else a new slot, with
    /// the path's input (keyed by the path) when the value is random.
    fn of(&mut self, path: String, dist: &Dist, domain: Domain) -> usize {
        if let Some(i) = self
            .slots
            .iter()
            .position(|s| s.path == path && s.dist == *dist)
        {
            return i;
        }
        let input = (!dist.is_fixed()).then(|| {
            self.inputs
                .iter()
                .position(|i| i.path == path)
                .unwrap_or_else(|| {
                    self.inputs.push(Input {
                        key: rng::key(self.seed, &path),
                        path: path.clone(),
                    });
                    self.inputs.len() - 1
                })
        });
        self.slots.push(Slot {
            input,
            path,
            dist: dist.clone(),
            domain,
        });
        self.slots.len() - 1
    }
}

/// Whether some arm of `arms` may hold a review and whether one may make a discovery: only
/// then are the months' review and discovery uniforms drawn.
fn monthly_draws(slots: &[Slot], arms: &[ArmModel]) -> (bool, bool) {
    let uses = |sym: Sym| {
        arms.iter()
            .any(|a| slots[a.slot[sym as usize]].dist != Dist::Fixed(0.0))
    };
    (uses(Sym::ReviewMonths), uses(Sym::DiscoveryRate))
}

/// The values recorded per trial: every parameter that varies in some arm (table order),
/// then every random work package value (catalogue order).
fn varying(slots: &[Slot], arms: &[ArmModel], work: &[WorkModel]) -> Vec<Varying> {
    let params = PARAMS.iter().filter_map(|d| {
        let s = d.sym as usize;
        arms.iter()
            .any(|a| !slots[a.slot[s]].dist.is_fixed())
            .then(|| Varying {
                path: d.path(),
                slots: arms.iter().map(|a| a.slot[s]).collect(),
            })
    });
    let packages = work.iter().flat_map(|w| {
        w.slot
            .iter()
            .filter(|&&si| !slots[si].dist.is_fixed())
            .map(|&si| Varying {
                path: slots[si].path.clone(),
                slots: vec![si; arms.len()],
            })
    });
    params.chain(packages).collect()
}

/// Scratch space for one trial's draws, reused across the trials of a batch.
struct Draws {
    /// Input uniforms, indexed like [`Model::inputs`].
    u: Vec<f64>,
    /// Value of each slot (fixed slots keep their number).
    values: Vec<f64>,
    /// Clamped draws per slot, summed over the trials drawn so far.
    clamped: Vec<u64>,
    u_inc: Vec<f64>,
    u_ab: Vec<f64>,
    z_gate: f64,
    /// `U_rev(t)` and `U_disc(t)`, empty unless some arm uses them.
    u_rev: Vec<f64>,
    u_disc: Vec<f64>,
    /// `Z_rev(t)`, computed by the first arm of the trial that reviews in month `t` (NaN
    /// until then), as long as `u_rev`.
    z_rev: Vec<std::cell::Cell<f64>>,
}

impl Draws {
    fn new(model: &Model) -> Draws {
        let h1 = model.horizon + 1;
        Draws {
            u: vec![0.0; model.inputs.len()],
            values: model
                .slots
                .iter()
                .map(|s| if let Dist::Fixed(v) = s.dist { v } else { 0.0 })
                .collect(),
            clamped: vec![0; model.slots.len()],
            u_inc: vec![0.0; h1],
            u_ab: vec![0.0; h1],
            z_gate: 0.0,
            u_rev: vec![0.0; if model.reviews { h1 } else { 0 }],
            z_rev: vec![std::cell::Cell::new(f64::NAN); if model.reviews { h1 } else { 0 }],
            u_disc: vec![0.0; if model.discoveries { h1 } else { 0 }],
        }
    }
}

/// Whether the CPU runs the engine's AVX-512 paths (foundation and double/quad-word
/// instructions).
#[cfg(target_arch = "x86_64")]
fn avx512() -> bool {
    std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512dq")
}

/// The vector instructions the engine's SIMD paths use. Every path gives the same bits;
/// they differ only in speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    Avx512,
    Avx2,
    Baseline,
}

impl Simd {
    /// The best path this CPU runs.
    fn detected() -> Simd {
        #[cfg(target_arch = "x86_64")]
        {
            if avx512() {
                return Simd::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") {
                return Simd::Avx2;
            }
        }
        Simd::Baseline
    }

    /// The path named by `ALIGNSIM_SIMD` (`avx512`, `avx2` or `baseline`) when the CPU has
    /// it, so that benchmarks can measure each path on any machine; otherwise the best the
    /// CPU has, with a warning that says why.
    fn chosen(request: Option<&str>) -> Simd {
        let best = Simd::detected();
        let Some(name) = request else {
            return best;
        };
        let wanted = match name.trim().to_ascii_lowercase().as_str() {
            "avx512" => Simd::Avx512,
            "avx2" => Simd::Avx2,
            "baseline" => Simd::Baseline,
            other => {
                eprintln!(
                    "warning: ALIGNSIM_SIMD={other:?} is not one of avx512, avx2, baseline; using {}",
                    best.name()
                );
                return best;
            }
        };
        // Paths are ordered: a CPU with AVX-512 also runs AVX2 and the baseline.
        if (wanted as u8) < (best as u8) {
            eprintln!(
                "warning: ALIGNSIM_SIMD={} asks for instructions this processor does not have; using {}",
                wanted.name(),
                best.name()
            );
            return best;
        }
        wanted
    }

    pub fn name(self) -> &'static str {
        match self {
            Simd::Avx512 => "avx512",
            Simd::Avx2 => "avx2",
            Simd::Baseline => "baseline",
        }
    }
}

/// The SIMD path of this process, chosen once (see [`Simd`]).
pub fn simd() -> Simd {
    static CHOSEN: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
    *CHOSEN.get_or_init(|| Simd::chosen(std::env::var("ALIGNSIM_SIMD").ok().as_deref()))
}

/// The results of one batch of trials, rows ordered by trial then arm.
///
/// Its buffers go back to the model that made it when it is dropped, for the next batch to
/// reuse: a run hands on and drops batches by the thousand, and fresh memory for each would
/// cost a page fault per 4 KiB (in the kernel, and serialised between threads).
#[derive(Debug, Clone)]
pub struct Batch {
    pub first_trial: u64,
    pub n: usize,
    pub outcomes: Vec<Outcome>,
    /// The arm's value of each varying parameter, `model.varying.len()` per row.
    pub inputs: Vec<f64>,
    /// Cumulative cash flow after each month: for each arm and month `0..=H`, the batch's
    /// `n` trials in order (see [`Batch::cum_cf`]), so that a month's values over the
    /// trials lie side by side.
    cum_cf: Vec<f64>,
    /// `H + 1`.
    months: usize,
    /// Sum over the batch's trials of adoption per arm and month, `H + 1` per arm, in
    /// fixed point ([`months::to_fixed`]).
    pub adoption_sum: Vec<i128>,
    /// Sum over the batch's trials of the revenue base per arm and month.
    pub revenue_base_sum: Vec<i128>,
    /// Clamped draws per arm and parameter, [`Model::clamp_stride`] per arm.
    pub clamped: Vec<u64>,
    /// Where the buffers go when the batch is dropped.
    spare: Spare,
}

/// Buffers of dropped batches, shared by a model and the batches it made.
#[derive(Debug, Clone, Default)]
struct Spare(std::sync::Arc<std::sync::Mutex<Vec<Buffers>>>);

/// Most buffers kept: one window's worth, what the engine makes while the previous window
/// is consumed.
const SPARE_MAX: usize = WINDOW;

#[derive(Debug, Default)]
struct Buffers {
    outcomes: Vec<Outcome>,
    inputs: Vec<f64>,
    cum_cf: Vec<f64>,
    adoption_sum: Vec<i128>,
    revenue_base_sum: Vec<i128>,
    clamped: Vec<u64>,
}

impl Batch {
    /// Moves the paths of `count` trials from `first` on, `[arm][trial][month]` in `paths`
    /// (room for [`PATH_GROUP`] trials per arm), into the batch's month-major paths.
    fn move_paths(&mut self, paths: &[f64], first: usize, count: usize) {
        let (n, h1) = (self.n, self.months);
        let n_arms = self.cum_cf.len() / (n * h1).max(1);
        for ai in 0..n_arms {
            let group = &paths[ai * PATH_GROUP * h1..][..count * h1];
            for t in 0..h1 {
                let dst = &mut self.cum_cf[(ai * h1 + t) * n + first..][..count];
                for (k, dst) in dst.iter_mut().enumerate() {
                    *dst = group[k * h1 + t];
                }
            }
        }
    }

    /// The outcomes of arm `arm`, one per trial of the batch, in trial order.
    pub fn outcomes_of(&self, arm: usize) -> impl Iterator<Item = &Outcome> + Clone {
        let n_arms = (self.outcomes.len() / self.n.max(1)).max(1);
        self.outcomes.iter().skip(arm).step_by(n_arms)
    }

    /// The cumulative cash flow after month `month` of arm `arm`, in each of the batch's
    /// trials.
    pub fn cum_cf(&self, arm: usize, month: usize) -> &[f64] {
        let start = (arm * self.months + month) * self.n;
        &self.cum_cf[start..start + self.n]
    }

    fn new(
        spare: &Spare,
        first_trial: u64,
        n: usize,
        (n_arms, clamp_stride, paths): (usize, usize, bool),
        n_inputs: usize,
        h1: usize,
    ) -> Batch {
        let reused = spare.0.lock().ok().and_then(|mut s| s.pop());
        let mut b = reused.unwrap_or_default();
        b.outcomes.clear();
        b.outcomes.reserve(n * n_arms);
        b.inputs.clear();
        b.inputs.reserve(n * n_arms * n_inputs);
        // Every entry of the cash-flow paths is written by the simulation: no need to
        // clear a reused buffer of the right length.
        let len = if paths { n * n_arms * h1 } else { 0 };
        if b.cum_cf.len() != len {
            b.cum_cf.clear();
            b.cum_cf.resize(len, 0.0);
        }
        // Lean batches (no paths) carry neither monthly sums nor clamp counts.
        let full = |len: usize| if paths { len } else { 0 };
        for v in [&mut b.adoption_sum, &mut b.revenue_base_sum] {
            v.clear();
            v.resize(full(n_arms * h1), 0);
        }
        b.clamped.clear();
        b.clamped.resize(full(n_arms * clamp_stride), 0);
        Batch {
            first_trial,
            n,
            outcomes: b.outcomes,
            inputs: b.inputs,
            cum_cf: b.cum_cf,
            months: h1,
            adoption_sum: b.adoption_sum,
            revenue_base_sum: b.revenue_base_sum,
            clamped: b.clamped,
            spare: spare.clone(),
        }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        let buffers = Buffers {
            outcomes: std::mem::take(&mut self.outcomes),
            inputs: std::mem::take(&mut self.inputs),
            cum_cf: std::mem::take(&mut self.cum_cf),
            adoption_sum: std::mem::take(&mut self.adoption_sum),
            revenue_base_sum: std::mem::take(&mut self.revenue_base_sum),
            clamped: std::mem::take(&mut self.clamped),
        };
        if let Ok(mut spare) = self.spare.0.lock()
            && spare.len() < SPARE_MAX
        {
            spare.push(buffers);
        }
    }
}

#[cfg(test)]
mod simd_tests {
    use super::Simd;

    #[test]
    fn alignsim_simd_picks_a_path_the_cpu_has() {
        let best = Simd::detected();
        assert_eq!(Simd::chosen(None), best);
        assert_eq!(Simd::chosen(Some("baseline")), Simd::Baseline);
        assert_eq!(Simd::chosen(Some(" AVX2 ")), best.max(Simd::Avx2));
        assert_eq!(Simd::chosen(Some("avx512")), best);
        assert_eq!(Simd::chosen(Some("sse9")), best);
    }
}
