//! A shard set must be the whole, untouched job: `merge` and `sweep-merge` refuse (exit 2,
//! naming the shard) a shard whose range is not the one its index gives it, a shard given
//! under another's number, and any file or record edited after the shard was written.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::{alignsim, assert_success, bakery_path};

/// Two exact shards of a 3,000-trial bakery run, in `tmp`.
fn two_shards(tmp: &Path) -> [PathBuf; 2] {
    [1, 2].map(|k| {
        let dir = tmp.join(format!("s{k}"));
        let spec = format!("{k}/2");
        let args = [
            "run", "--trials", "3000", "--shard", &spec, "--quiet", "--out",
        ];
        assert_success(&alignsim(&args, &[&dir, &bakery_path()]));
        dir
    })
}

/// Merges `shards` into `tmp/merged` and checks that the merge is refused with exit 2, a
/// message holding every one of `needles`, and no output folder.
fn refused(tmp: &Path, shards: &[&Path], needles: &[&str]) {
    let out = tmp.join("merged");
    let mut paths = vec![out.as_path()];
    paths.extend_from_slice(shards);
    let o = alignsim(&["merge", "--quiet", "--charts", "none", "--out"], &paths);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in: {err}");
    }
    assert!(!out.exists());
}

fn record(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

fn save(dir: &Path, name: &str, value: &serde_json::Value) {
    std::fs::write(dir.join(name), serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// Edits a field of `shard.json` as an attacker would: with a text editor.
fn edit_record(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut v = record(dir, "shard.json");
    edit(&mut v);
    save(dir, "shard.json", &v);
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Recomputes a record's seals after an edit, as a careful attacker would: the SHA-256 of
/// every file it lists and of its canonical content.
fn reseal(dir: &Path, name: &str) {
    let mut v = record(dir, name);
    let files: Vec<String> = v["files"].as_object().unwrap().keys().cloned().collect();
    for f in files {
        v["files"][&f] = sha256(&std::fs::read(dir.join(&f)).unwrap()).into();
    }
    v.as_object_mut().unwrap().remove("record_sha256");
    let seal = sha256(v.to_string().as_bytes());
    v["record_sha256"] = seal.into();
    save(dir, name, &v);
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn the_honest_set_merges() {
    let tmp = tempfile::tempdir().unwrap();
    let [s1, s2] = two_shards(tmp.path());
    let out = tmp.path().join("merged");
    let o = alignsim(
        &["merge", "--quiet", "--charts", "none", "--out"],
        &[&out, &s2, &s1],
    );
    assert_success(&o);
    assert!(out.join("summary.json").is_file());
}

#[test]
fn a_shard_ending_early_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [s1, s2] = two_shards(tmp.path());
    edit_record(&s1, |v| v["end_trial"] = 0.into());
    refused(
        tmp.path(),
        &[&s1, &s2],
        &["shard 1/2", "claims trials 0..0", "is 0..1500"],
    );
}

#[test]
fn a_shard_starting_past_its_end_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [s1, s2] = two_shards(tmp.path());
    edit_record(&s1, |v| v["first_trial"] = 1600.into());
    refused(
        tmp.path(),
        &[&s1, &s2],
        &["shard 1/2", "claims trials 1600..1500"],
    );
}

#[test]
fn a_shard_relabelled_as_another_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [s1, _] = two_shards(tmp.path());
    let copy = tmp.path().join("copy");
    copy_dir(&s1, &copy);
    edit_record(&copy, |v| v["shard"]["index"] = 2.into());
    refused(
        tmp.path(),
        &[&s1, &copy],
        &[
            "shard 2/2",
            "claims trials 0..1500, but shard 2 of 2 of 3000 trials is 1500..3000",
        ],
    );
    // Relabelled with the range of shard 2 too: the record no longer matches its seal.
    edit_record(&copy, |v| {
        v["first_trial"] = 1500.into();
        v["end_trial"] = 3000.into();
    });
    refused(
        tmp.path(),
        &[&s1, &copy],
        &[
            "shard 2/2",
            "shard.json was changed after the shard was written",
        ],
    );
}

#[test]
fn an_edited_npv_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [s1, s2] = two_shards(tmp.path());
    let path = s2.join("trials.parquet");
    let mut df = read_parquet(&path);
    let npv: Vec<f64> = df
        .column("npv")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let mut raised = npv.clone();
    raised[0] += 1e7;
    df.replace("npv", Column::new("npv".into(), raised))
        .unwrap();
    alignsim::output::write_parquet(&path, &mut df).unwrap();
    refused(
        tmp.path(),
        &[&s1, &s2],
        &[
            "shard 2/2",
            &s2.display().to_string(),
            "trials.parquet was changed after the shard was written",
        ],
    );
}

#[test]
fn edited_sums_and_clamp_counts_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [s1, s2] = two_shards(tmp.path());
    edit_record(&s2, |v| v["adoption_sum"][3] = "1".into());
    refused(
        tmp.path(),
        &[&s1, &s2],
        &[
            "shard 2/2",
            "shard.json was changed after the shard was written",
        ],
    );
    let [s1, s2] = {
        let again = tmp.path().join("again");
        std::fs::create_dir(&again).unwrap();
        two_shards(&again)
    };
    edit_record(&s1, |v| v["clamped"][0] = 7.into());
    refused(
        tmp.path(),
        &[&s1, &s2],
        &[
            "shard 1/2",
            "shard.json was changed after the shard was written",
        ],
    );
}

#[test]
fn a_resealed_shard_with_missing_rows_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [s1, s2] = two_shards(tmp.path());
    for name in ["trials.parquet", "paths.parquet"] {
        let path = s2.join(name);
        let mut df = read_parquet(&path).slice(0, 10);
        alignsim::output::write_parquet(&path, &mut df).unwrap();
    }
    reseal(&s2, "shard.json");
    refused(
        tmp.path(),
        &[&s1, &s2],
        &["shard 2/2", "trials.parquet holds 10 rows", "1500..3000"],
    );
}

#[test]
fn a_file_added_to_a_shard_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [s1, s2] = two_shards(tmp.path());
    std::fs::write(s1.join("head.parquet"), b"not a shard file").unwrap();
    refused(
        tmp.path(),
        &[&s1, &s2],
        &["shard 1/2", "head.parquet, which the shard did not write"],
    );
}

#[test]
fn an_edited_sweep_point_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let shards: Vec<PathBuf> = [1, 2]
        .iter()
        .map(|k| {
            let dir = tmp.path().join(format!("w{k}"));
            let spec = format!("{k}/2");
            let args = [
                "sweep",
                "--vary",
                "arms.misaligned.alignment.strategic=0.2,0.5,0.8",
                "--trials",
                "200",
                "--quiet",
                "--charts",
                "none",
                "--shard",
                &spec,
                "--out",
            ];
            assert_success(&alignsim(&args, &[&dir, &bakery_path()]));
            dir
        })
        .collect();
    let path = shards[1].join("points.parquet");
    let mut df = read_parquet(&path);
    let name = df
        .get_column_names()
        .into_iter()
        .find(|n| df.column(n).unwrap().dtype() == &DataType::Float64)
        .unwrap()
        .clone();
    let col: Vec<f64> = df
        .column(&name)
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let edited: Vec<f64> = col.iter().map(|x| x + 1e7).collect();
    df.replace(&name, Column::new(name.clone(), edited))
        .unwrap();
    alignsim::output::write_parquet(&path, &mut df).unwrap();
    let out = tmp.path().join("merged");
    let o = alignsim(
        &["sweep-merge", "--charts", "none", "--out"],
        &[&out, &shards[0], &shards[1]],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("sweep shard 2/2"), "{err}");
    assert!(
        err.contains("points.parquet was changed after the shard was written"),
        "{err}"
    );
    assert!(!out.exists());
}
