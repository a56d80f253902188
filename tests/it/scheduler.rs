//! `--shard auto`: the shard read from Slurm, Kubernetes and AWS Batch variables.

use alignsim::scheduler::shard_from_env;

/// The shard of a made-up environment of `NAME=VALUE` pairs.
fn shard(vars: &[(&str, &str)]) -> Result<(u64, u64), String> {
    shard_from_env(|name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    })
}

/// A Slurm array task: its id, the array's min, max and count, and ALIGNSIM_SHARDS if given.
fn slurm(
    id: u64,
    min: u64,
    max: u64,
    count: u64,
    shards: Option<&str>,
) -> Result<(u64, u64), String> {
    let (id, min, max, count) = (
        id.to_string(),
        min.to_string(),
        max.to_string(),
        count.to_string(),
    );
    let mut vars = vec![
        ("SLURM_ARRAY_TASK_ID", id.as_str()),
        ("SLURM_ARRAY_TASK_MIN", min.as_str()),
        ("SLURM_ARRAY_TASK_MAX", max.as_str()),
        ("SLURM_ARRAY_TASK_COUNT", count.as_str()),
    ];
    if let Some(n) = shards {
        vars.push(("ALIGNSIM_SHARDS", n));
    }
    shard(&vars)
}

/// The error of `got`, which must contain every one of `words`.
fn assert_error_names(got: Result<(u64, u64), String>, words: &[&str]) {
    let msg = got.expect_err("expected an error");
    for w in words {
        assert!(msg.contains(w), "{w:?} not in {msg:?}");
    }
}

#[test]
fn slurm_whole_arrays_count_their_own_shards_from_1_or_0() {
    assert_eq!(slurm(1, 1, 4, 4, None), Ok((1, 4)));
    assert_eq!(slurm(4, 1, 4, 4, None), Ok((4, 4)));
    assert_eq!(slurm(0, 0, 3, 4, None), Ok((1, 4)));
    assert_eq!(slurm(3, 0, 3, 4, None), Ok((4, 4)));
    // ALIGNSIM_SHARDS agreeing with a whole array changes nothing, even one from 0.
    assert_eq!(slurm(0, 0, 3, 4, Some("4")), Ok((1, 4)));
    assert_eq!(slurm(2, 1, 4, 4, Some("4")), Ok((2, 4)));
}

#[test]
fn slurm_one_re_run_task_keeps_its_shard_given_the_count() {
    // sbatch --array=3 re-runs shard 3 of 8.
    assert_eq!(slurm(3, 3, 3, 1, Some("8")), Ok((3, 8)));
    // Without the count, one task cannot tell which shard of how many it is.
    assert_error_names(slurm(3, 3, 3, 1, None), &["ALIGNSIM_SHARDS", "3-3"]);
    // Shard 9 of 8 does not exist.
    assert_error_names(
        slurm(9, 9, 9, 1, Some("8")),
        &["SLURM_ARRAY_TASK_ID=9", "1..8"],
    );
}

#[test]
fn slurm_step_arrays_are_numbered_by_shard() {
    // sbatch --array=1-7:2 with ALIGNSIM_SHARDS=8: shards 1, 3, 5 and 7 of 8.
    for id in [1, 3, 5, 7] {
        assert_eq!(slurm(id, 1, 7, 4, Some("8")), Ok((id, 8)));
    }
    assert_error_names(
        slurm(5, 1, 7, 4, None),
        &["ALIGNSIM_SHARDS", "1-7 of 4 tasks"],
    );
    // A partial array from 0 cannot be told apart from one numbered by shard.
    assert_error_names(slurm(2, 0, 2, 3, Some("8")), &["starts at 0", "0-7"]);
}

#[test]
fn slurm_inconsistent_or_missing_variables_are_named() {
    assert_error_names(
        slurm(5, 1, 4, 4, None),
        &["inconsistent", "SLURM_ARRAY_TASK_ID=5"],
    );
    assert_error_names(slurm(1, 1, 4, 9, None), &["SLURM_ARRAY_TASK_COUNT=9"]);
    assert_error_names(
        shard(&[("SLURM_ARRAY_TASK_ID", "2")]),
        &["SLURM_ARRAY_TASK_MIN is not set"],
    );
    assert_error_names(
        shard(&[("SLURM_ARRAY_TASK_ID", "two")]),
        &["SLURM_ARRAY_TASK_ID=\"two\"", "not a whole number"],
    );
    assert_error_names(
        slurm(1, 1, 4, 4, Some("0")),
        &["ALIGNSIM_SHARDS", "at least 1"],
    );
}

#[test]
fn kubernetes_indexes_count_from_0_of_the_manifests_count() {
    let pod = |index: &str| shard(&[("JOB_COMPLETION_INDEX", index), ("ALIGNSIM_SHARDS", "16")]);
    assert_eq!(pod("0"), Ok((1, 16)));
    assert_eq!(pod("15"), Ok((16, 16)));
    assert_error_names(pod("16"), &["JOB_COMPLETION_INDEX=16", "shard 17 of 16"]);
    assert_error_names(
        shard(&[("JOB_COMPLETION_INDEX", "0")]),
        &["ALIGNSIM_SHARDS is not", "completions"],
    );
}

#[test]
fn aws_batch_indexes_count_from_0_of_the_array_size() {
    let child = |index: &str| {
        shard(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", index),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "10"),
        ])
    };
    assert_eq!(child("0"), Ok((1, 10)));
    assert_eq!(child("9"), Ok((10, 10)));
    assert_error_names(
        child("10"),
        &["AWS_BATCH_JOB_ARRAY_SIZE=10", "shard 11 of 10"],
    );
    assert_error_names(
        shard(&[("AWS_BATCH_JOB_ARRAY_INDEX", "0")]),
        &["AWS_BATCH_JOB_ARRAY_SIZE is not set"],
    );
    let of_shards = [
        ("AWS_BATCH_JOB_ARRAY_INDEX", "2"),
        ("ALIGNSIM_SHARDS", "12"),
    ];
    assert_eq!(shard(&of_shards), Ok((3, 12)));
}

#[test]
fn no_scheduler_or_two_of_them_are_refused() {
    assert_error_names(
        shard(&[("ALIGNSIM_SHARDS", "4")]),
        &[
            "SLURM_ARRAY_TASK_ID",
            "JOB_COMPLETION_INDEX",
            "AWS_BATCH_JOB_ARRAY_INDEX",
        ],
    );
    // An empty variable is an unset one.
    assert_error_names(shard(&[("SLURM_ARRAY_TASK_ID", "")]), &["none of"]);
    assert_error_names(
        shard(&[
            ("JOB_COMPLETION_INDEX", "1"),
            ("AWS_BATCH_JOB_ARRAY_INDEX", "1"),
        ]),
        &[
            "JOB_COMPLETION_INDEX and AWS_BATCH_JOB_ARRAY_INDEX",
            "ambiguous",
        ],
    );
}

/// The scheduler variables, cleared from a command so the test's own environment cannot leak in.
const SCHEDULER_VARS: &[&str] = &[
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_COUNT",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "AWS_BATCH_JOB_ARRAY_SIZE",
    "ALIGNSIM_SHARDS",
];

/// `alignsim run --shard auto` of the bakery with the environment `vars`.
fn run_auto(vars: &[(&str, &str)], out: &std::path::Path) -> std::process::Output {
    let mut cmd = assert_cmd::Command::cargo_bin("alignsim").unwrap();
    for v in SCHEDULER_VARS {
        cmd.env_remove(v);
    }
    cmd.envs(vars.iter().copied())
        .args([
            "run", "--trials", "300", "--quiet", "--charts", "none", "--shard", "auto",
        ])
        .arg("--out")
        .arg(out)
        .arg(super::bakery_path());
    cmd.output().unwrap()
}

#[test]
fn the_binary_writes_the_shard_of_a_0_based_slurm_task() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shard");
    let vars = [
        ("SLURM_ARRAY_TASK_ID", "2"),
        ("SLURM_ARRAY_TASK_MIN", "0"),
        ("SLURM_ARRAY_TASK_MAX", "3"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];
    super::assert_success(&run_auto(&vars, &out));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("shard.json")).unwrap()).unwrap();
    assert_eq!(manifest["shard"]["index"], 3, "{manifest}");
    assert_eq!(manifest["shard"]["count"], 4, "{manifest}");
}

#[test]
fn the_binary_refuses_auto_outside_a_scheduler_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_auto(&[], &tmp.path().join("shard"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SLURM_ARRAY_TASK_ID"), "{stderr}");
    assert!(!tmp.path().join("shard").exists());
}
