//! All integration tests of alignsim in one binary.

mod analysis;
mod cli;
mod compare;
mod consistency;
mod decision;
mod decision_outputs;
mod determinism;
mod distributions;
mod extremes;
mod faults;
mod fixed;
mod fixtures;
mod golden;
mod limits;
mod plausibility;
mod portfolio;
mod report_v2;
mod robustness;
mod safety;
mod sampling;
mod scheduler;
mod sensitivity;
mod shard;
mod shardset;
mod stream;
mod summary;
mod sweep;
mod targets;
mod v2;
mod words;
mod work;
mod xlsx;

use alignsim::engine::{Batch, Model};
use alignsim::scenario::{self, Scenario};

/// Parses scenario text that must be valid.
pub fn scenario(text: &str) -> Scenario {
    match scenario::parse("test.toml", "test", text) {
        Ok(s) => s,
        Err(e) => panic!("test scenario does not validate:\n{}", e.render(false)),
    }
}

/// Simulates `trials` trials of a scenario on the current thread pool.
pub fn simulate(sc: &Scenario, trials: u64) -> (Model, Vec<Batch>) {
    let model = Model::new(sc);
    let batches = model.run(0..trials, &|_| {});
    (model, batches)
}

/// Runs `trials` trials on a one-thread and on a two-thread pool.
pub fn on_one_and_two_threads(model: &Model, trials: u64) -> (Vec<Batch>, Vec<Batch>) {
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let a = pool(1).install(|| model.run(0..trials, &|_| {}));
    let b = pool(2).install(|| model.run(0..trials, &|_| {}));
    (a, b)
}

/// The v1 bakery: the shipped scenario as it was before model v2, kept as a fixture (two
/// arms, no v2 key), which the tests below build on.
pub fn bakery_text() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/v1/bakery.toml"
    ))
    .expect("bakery.toml")
}

/// Fails the test with the program's stderr unless it exited successfully.
pub fn assert_success(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The path of the v1 bakery (see [`bakery_text`]).
pub fn bakery_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1/bakery.toml")
}

/// Runs the alignsim binary with `args`, then `paths`, and returns what it did.
pub fn alignsim(args: &[&str], paths: &[&std::path::Path]) -> std::process::Output {
    let mut cmd = assert_cmd::Command::cargo_bin("alignsim").unwrap();
    cmd.args(args);
    for p in paths {
        cmd.arg(p);
    }
    cmd.output().unwrap()
}
