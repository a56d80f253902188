//! Engine throughput on the bakery (36 months), with one thread and with every core,
//! against the bare cost of drawing the same random numbers: the v1 bakery (2 arms, no
//! model v2 key, kept as a test fixture) and the shipped model v2 bakery (3 arms, quarterly
//! reviews, discoveries, preparation), whose reviews add work to the month loop. Then the
//! shapes of work the analyses add: nine variant arms on one set of draws, and one batch's
//! month loop with reviews.
//!
//! Run with `cargo bench --bench engine`. Divan reports items (trials) per second.

use std::hint::black_box;

use alignsim::engine::Model;
use divan::Bencher;
use divan::counter::ItemsCount;

const TRIALS: u64 = 200_000;

fn main() {
    divan::main();
}

/// The scenarios measured: the v1 bakery and the shipped (model v2) bakery.
const SCENARIOS: [&str; 2] = ["tests/fixtures/v1/bakery.toml", "scenarios/bakery.toml"];

fn bakery(file: &str) -> Model {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let loaded = alignsim::scenario::load(&path).expect("the bakery validates");
    Model::new(&loaded.scenario)
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

/// The full engine as every command uses it (draws, monthly recursion of both arms,
/// per-trial outputs), each batch handed on in trial order and dropped once consumed, so
/// its memory is reused instead of growing with the trials.
#[divan::bench(args = [1, 2], consts = [0, 1], sample_count = 10)]
fn engine<const SCENARIO: usize>(bencher: Bencher, threads: usize) {
    let model = bakery(SCENARIOS[SCENARIO]);
    let pool = pool(threads);
    bencher.counter(ItemsCount::new(TRIALS)).bench(|| {
        pool.install(|| {
            let mut n = 0;
            model.run_each(0..TRIALS, &|_| {}, |b| n += black_box(b).n);
            n
        })
    });
}

/// The same, keeping every batch (`Model::run`, as tests do): fresh memory for all the
/// trials' outputs, about 1 KB per trial, whose page faults the two threads share.
#[divan::bench(args = [1, 2], sample_count = 10)]
fn engine_collected(bencher: Bencher, threads: usize) {
    let model = bakery(SCENARIOS[0]);
    let pool = pool(threads);
    bencher
        .counter(ItemsCount::new(TRIALS))
        .bench(|| pool.install(|| black_box(model.run(0..TRIALS, &|_| {}))));
}

/// Only the keyed random draws the engine makes for the same trials (parameters, monthly
/// uniforms, gate normal), with no simulation: the floor the engine is measured against.
#[divan::bench(args = [1, 2], consts = [0, 1], sample_count = 10)]
fn draws_only<const SCENARIO: usize>(bencher: Bencher, threads: usize) {
    let model = bakery(SCENARIOS[SCENARIO]);
    let pool = pool(threads);
    bencher
        .counter(ItemsCount::new(TRIALS))
        .bench(|| pool.install(|| black_box(model.draw_only(0..TRIALS))));
}

/// Nine arms on the same draws, as `explain`, `plan` and the levers simulate them: the
/// shipped bakery's three arms, each as it is and with its culture or fit score a step
/// lower (lean: outcomes only), one thread.
#[divan::bench(sample_count = 10)]
fn nine_arms(bencher: Bencher) {
    use alignsim::scenario::Sym;
    let model = bakery(SCENARIOS[1]);
    let arms = model
        .arms
        .iter()
        .flat_map(|arm| {
            [None, Some((Sym::Culture, -0.1)), Some((Sym::Fit, -0.1))].map(|shift| {
                let mut arm = arm.clone();
                arm.shift = shift;
                arm
            })
        })
        .collect();
    let variant = model.variant(arms);
    let pool = pool(1);
    bencher.counter(ItemsCount::new(TRIALS / 4)).bench(|| {
        pool.install(|| {
            let mut n = 0;
            variant.run_each(0..TRIALS / 4, &|_| {}, |b| n += black_box(b).n);
            n
        })
    });
}

/// One batch of the shipped bakery (three arms, quarterly reviews): the draws and month
/// loop of 1,024 trials, with monthly paths and input values, on the calling thread.
#[divan::bench(sample_count = 20)]
fn month_loop_with_reviews(bencher: Bencher) {
    let model = bakery(SCENARIOS[1]);
    let trials = alignsim::engine::BATCH;
    bencher
        .counter(ItemsCount::new(trials))
        .bench(|| black_box(model.run_batch(0..trials)));
}
