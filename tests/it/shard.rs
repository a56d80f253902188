//! `run --shard K/N` + `merge` give exactly the single run's results.

use std::path::{Path, PathBuf};

use polars::prelude::{ParquetReader, SerReader};

use super::{alignsim, bakery_path as bakery};

const TRIALS: &str = "5003";

#[test]
fn merged_shards_equal_the_single_run() {
    merges_equal_the_single_run(TRIALS, &[]);
}

/// Runs `trials` bakery trials whole and as N = 1, 3 and 7 shards (each run with the
/// `extra` arguments, shards in reverse order), merges each set and checks that the
/// merged folder's files equal the single run's; returns the temporary folder.
pub fn merges_equal_the_single_run(trials: &str, extra: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let run = |more: &[&str], out: &Path| {
        let mut args = vec!["run", "--trials", trials, "--quiet", "--charts", "none"];
        args.extend_from_slice(extra);
        args.extend_from_slice(more);
        args.push("--out");
        super::assert_success(&alignsim(&args, &[out, &bakery()]));
    };
    let whole = tmp.path().join("whole");
    run(&[], &whole);
    let expected = std::fs::read(whole.join("summary.json")).unwrap();
    for n in [1u64, 3, 7] {
        let mut dirs = Vec::new();
        // Run the shards in reverse order: order of execution must not matter.
        for k in (1..=n).rev() {
            let dir = tmp.path().join(format!("s{n}-{k}"));
            run(&["--shard", &format!("{k}/{n}")], &dir);
            dirs.push(dir);
        }
        let merged = tmp.path().join(format!("merged{n}"));
        let mut args: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
        args.insert(0, &merged);
        super::assert_success(&alignsim(
            &["merge", "--quiet", "--charts", "none", "--out"],
            &args,
        ));
        let got = std::fs::read(merged.join("summary.json")).unwrap();
        assert!(
            got == expected,
            "N = {n}: merged summary.json differs from the single run's"
        );
        for f in [
            "convergence.json",
            "summary.csv",
            "sensitivity.json",
            "monthly.parquet",
        ] {
            assert_eq!(
                std::fs::read(merged.join(f)).unwrap(),
                std::fs::read(whole.join(f)).unwrap(),
                "N = {n}: {f}"
            );
        }
        let rows = |dir: &Path| {
            let file = std::fs::File::open(dir.join("trials.parquet")).unwrap();
            ParquetReader::new(file).finish().unwrap()
        };
        assert!(
            rows(&merged).equals_missing(&rows(&whole)),
            "N = {n}: trials.parquet"
        );
    }
    tmp
}

#[test]
fn incomplete_or_mixed_shard_sets_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    super::assert_success(&alignsim(
        &[
            "run", "--trials", "3000", "--shard", "1/3", "--quiet", "--out",
        ],
        &[&a, &bakery()],
    ));
    super::assert_success(&alignsim(
        &[
            "run", "--trials", "3000", "--shard", "3/3", "--quiet", "--out",
        ],
        &[&b, &bakery()],
    ));
    let out_dir = tmp.path().join("merged");
    let out = alignsim(&["merge", "--out"], &[&out_dir, &a, &b]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing 2/3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out_dir.exists());
    let c = tmp.path().join("c");
    super::assert_success(&alignsim(
        &[
            "run", "--trials", "3000", "--seed", "9", "--shard", "2/3", "--quiet", "--out",
        ],
        &[&c, &bakery()],
    ));
    let out = alignsim(&["merge", "--out"], &[&out_dir, &a, &b, &c]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not shards of the same job"));
    let out = alignsim(&["run", "--shard", "4/3"], &[&bakery()]);
    assert_eq!(out.status.code(), Some(2));
}
