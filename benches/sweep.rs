//! What-if sweep throughput on the shipped bakery scenario: 21 values of the misaligned
//! arm's strategic alignment, every point on the same trials, each point parallel over
//! trials on every core. Counts the trials simulated across all points (each trial covers
//! both arms), so Divan's items per second are sweep trials per second.
//!
//! Run with `cargo bench --bench sweep`.

use std::hint::black_box;
use std::path::Path;

use alignsim::sweep::{self, Base, Plan, spec};
use divan::Bencher;
use divan::counter::ItemsCount;

/// Points in the benchmarked sweep.
const POINTS: u64 = 21;

fn main() {
    divan::main();
}

fn plan(trials: u64) -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bakery.toml");
    let base = Base::load(&path).expect("bakery.toml validates");
    let vary = vec![format!("arms.misaligned.alignment.strategic=0:1:{POINTS}")];
    let (source, axes) = spec::parse_args(&vary).expect("well-formed --vary");
    Plan::new(base, source, axes, Some(trials), None, "bench".into()).expect("valid sweep")
}

/// The whole sweep: validating every point, simulating it and reducing it to its figures.
#[divan::bench(args = [20_000, 100_000], sample_count = 3, sample_size = 1)]
fn sweep_21_points(bencher: Bencher, trials: u64) {
    let plan = plan(trials);
    bencher
        .counter(ItemsCount::new(POINTS * trials))
        .bench(|| black_box(sweep::simulate(&plan, &|_| {}).expect("sweep runs")));
}
