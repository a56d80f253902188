//! `--shard auto`: which shard this process is, read from the batch scheduler that started
//! it, so that one job script or manifest serves every shard without arithmetic of its own.
//!
//! Three schedulers are understood, each counting as it does itself:
//!
//! - Slurm job arrays: `SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_MIN`, `_MAX` and
//!   `_COUNT`. A whole array, `--array=1-N` or `--array=0-(N-1)`, gives N shards, task
//!   `MIN` being shard 1. Any other array (one task, a step, a list) is part of a larger
//!   set: [`SHARDS_VAR`] must then say how many shards there are, and the task ids are the
//!   shard numbers themselves, 1 to N, so that `--array=3` re-runs shard 3 of N.
//! - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX`, 0-based; Kubernetes does not tell a
//!   pod the Job's `completions`, so the manifest sets [`SHARDS_VAR`] to the same number.
//! - AWS Batch array jobs: `AWS_BATCH_JOB_ARRAY_INDEX`, 0-based, of
//!   `AWS_BATCH_JOB_ARRAY_SIZE` shards (or of [`SHARDS_VAR`], when it is set).
//!
//! Resolution is a pure function of an environment lookup, so that it can be tested with
//! made-up environments. An unset variable and an empty one are the same.

/// The number of shards N, for the cases where the scheduler cannot tell it.
pub const SHARDS_VAR: &str = "ALIGNSIM_SHARDS";

const SLURM_ID: &str = "SLURM_ARRAY_TASK_ID";
const K8S_INDEX: &str = "JOB_COMPLETION_INDEX";
const AWS_INDEX: &str = "AWS_BATCH_JOB_ARRAY_INDEX";

/// The shard `(K, N)`, K from 1 to N, of the scheduler task whose environment `var` reads.
///
/// # Errors
///
/// A message naming the variables when none of the schedulers' index variables is set,
/// when more than one is, or when the variables are missing, not numbers or inconsistent.
pub fn shard_from_env(var: impl Fn(&str) -> Option<String>) -> Result<(u64, u64), String> {
    let env = Env(&var);
    let set: Vec<&str> = [SLURM_ID, K8S_INDEX, AWS_INDEX]
        .into_iter()
        .filter(|name| env.get(name).is_some())
        .collect();
    match set.as_slice() {
        [SLURM_ID] => slurm(&env),
        [K8S_INDEX] => kubernetes(&env),
        [AWS_INDEX] => aws_batch(&env),
        [] => Err(format!(
            "--shard auto reads the shard from a scheduler, but none of {SLURM_ID} (a Slurm \
             array job), {K8S_INDEX} (a Kubernetes Indexed Job) or {AWS_INDEX} (an AWS Batch \
             array job) is set; give --shard K/N instead"
        )),
        _ => Err(format!(
            "--shard auto: {} are all set, so the scheduler is ambiguous; unset all but one \
             or give --shard K/N",
            set.join(" and ")
        )),
    }
}

/// An environment lookup with unset and empty variables told apart from numbers.
struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    /// The variable as a whole number, if it is set.
    fn number(&self, name: &str) -> Result<Option<u64>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("--shard auto: {name}={v:?} is not a whole number")),
        }
    }

    /// The variable as a whole number; `why` says what needs it when it is unset.
    fn required(&self, name: &str, why: &str) -> Result<u64, String> {
        self.number(name)?
            .ok_or_else(|| format!("--shard auto: {name} is not set ({why})"))
    }

    /// [`SHARDS_VAR`], which must be at least 1 when it is set.
    fn shards(&self) -> Result<Option<u64>, String> {
        match self.number(SHARDS_VAR)? {
            Some(0) => Err(format!(
                "--shard auto: {SHARDS_VAR} must be at least 1, got 0"
            )),
            n => Ok(n),
        }
    }
}

/// Slurm: a whole array counts its own shards; part of one needs [`SHARDS_VAR`] and is
/// numbered by shard.
fn slurm(env: &Env) -> Result<(u64, u64), String> {
    let why = "Slurm sets it in every task of an array job";
    let id = env.required(SLURM_ID, why)?;
    let min = env.required("SLURM_ARRAY_TASK_MIN", why)?;
    let max = env.required("SLURM_ARRAY_TASK_MAX", why)?;
    let count = env.required("SLURM_ARRAY_TASK_COUNT", why)?;
    if !(min <= id && id <= max && count >= 1 && count - 1 <= max - min) {
        return Err(format!(
            "--shard auto: inconsistent Slurm array: {SLURM_ID}={id}, SLURM_ARRAY_TASK_MIN={min}, \
             SLURM_ARRAY_TASK_MAX={max}, SLURM_ARRAY_TASK_COUNT={count}"
        ));
    }
    let array = format!("the array {min}-{max} of {count} tasks");
    let whole = count - 1 == max - min && min <= 1;
    match env.shards()? {
        None if whole => Ok((id - min + 1, count)),
        None => Err(format!(
            "--shard auto: {array} is not a whole array 1-N or 0-(N-1), so it cannot tell how \
             many shards there are: set {SHARDS_VAR}=N (task ids are then shard numbers 1..N)"
        )),
        Some(n) if whole && count == n => Ok((id - min + 1, n)),
        Some(n) if min == 0 => Err(format!(
            "--shard auto: {array} starts at 0 but is not the whole array 0-{} of \
             {SHARDS_VAR}={n} shards; number the tasks of part of an array by shard, 1..{n}",
            n - 1
        )),
        Some(n) => within(id, n, &format!("{SLURM_ID}={id} with {SHARDS_VAR}={n}")),
    }
}

/// Kubernetes: a 0-based index of [`SHARDS_VAR`] shards.
fn kubernetes(env: &Env) -> Result<(u64, u64), String> {
    let index = env.required(
        K8S_INDEX,
        "Kubernetes sets it in every pod of an Indexed Job",
    )?;
    let n = env.shards()?.ok_or_else(|| {
        format!(
            "--shard auto: {K8S_INDEX} is set but {SHARDS_VAR} is not: Kubernetes does not tell \
             a pod the Job's completions, so set {SHARDS_VAR} to the same number"
        )
    })?;
    let from = format!("{K8S_INDEX}={index} (0-based) with {SHARDS_VAR}={n}");
    within(index.saturating_add(1), n, &from)
}

/// AWS Batch: a 0-based index of the array's size, or of [`SHARDS_VAR`] shards.
fn aws_batch(env: &Env) -> Result<(u64, u64), String> {
    let index = env.required(
        AWS_INDEX,
        "AWS Batch sets it in every child of an array job",
    )?;
    let (n, of) = match env.shards()? {
        Some(n) => (n, SHARDS_VAR),
        None => (
            env.required(
                "AWS_BATCH_JOB_ARRAY_SIZE",
                &format!("AWS Batch sets it in every child of an array job; or set {SHARDS_VAR}"),
            )?,
            "AWS_BATCH_JOB_ARRAY_SIZE",
        ),
    };
    let from = format!("{AWS_INDEX}={index} (0-based) with {of}={n}");
    within(index.saturating_add(1), n, &from)
}

/// Shard `k` of `n`, if `k` is one of `1..=n`; `from` says where `k` and `n` came from.
fn within(k: u64, n: u64, from: &str) -> Result<(u64, u64), String> {
    if (1..=n).contains(&k) {
        Ok((k, n))
    } else {
        Err(format!(
            "--shard auto: {from} is shard {k} of {n}, which does not exist (shards are 1..{n})"
        ))
    }
}
