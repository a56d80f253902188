//! Arbitrary bytes as a scenario file: validation must never panic, and a scenario it
//! accepts must simulate (a few trials) without panicking. The same checks run on stable
//! Rust as a bounded random loop: `cargo test --test it robustness -- --ignored`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > alignsim::scenario::MAX_FILE_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(scenario) = alignsim::scenario::parse("fuzz.toml", "fuzz", text) {
        let model = alignsim::engine::Model::new(&scenario);
        for batch in model.run(0..16, &|_| {}) {
            for o in &batch.outcomes {
                assert!((0.0..=1.0).contains(&o.adoption_final), "{o:?}");
            }
        }
    }
});
