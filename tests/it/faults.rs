//! Faults around a run: an output path that cannot be a folder, a folder that is not
//! alignsim's, a full disk, Ctrl-C and SIGTERM midway, staging folders left by a killed
//! run. Each gives a clear error and exit code, leaves the previous results as they were
//! and no temporary folders behind. Also: the manifest hashes the bytes simulated.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

use super::bakery_path as bakery;
use assert_cmd::cargo::cargo_bin;

/// `alignsim run bakery.toml --trials N --out OUT --charts none --quiet`.
fn run(out: &Path, trials: u64) -> std::process::Output {
    Command::cargo_bin("alignsim")
        .unwrap()
        .arg("run")
        .arg(bakery())
        .args([
            "--trials",
            &trials.to_string(),
            "--charts",
            "none",
            "--quiet",
        ])
        .arg("--out")
        .arg(out)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Names in `dir` that look like staging or probe folders.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter(|n| n.contains(".partial-") || n.contains("probe"))
        .collect()
}

/// A finished run folder to be kept safe, and the bytes of its summary.
fn previous_run(parent: &Path) -> (PathBuf, Vec<u8>) {
    let out = parent.join("run");
    let o = run(&out, 500);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = std::fs::read(out.join("summary.json")).unwrap();
    (out, summary)
}

#[test]
fn an_output_path_under_a_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "keep me").unwrap();
    let o = run(&file.join("run"), 300);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("{} is a file, not a folder", file.display())),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    assert!(leftovers(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn dev_full_is_not_a_folder_and_is_left_alone() {
    use std::os::unix::fs::FileTypeExt;
    let o = run(Path::new("/dev/full"), 300);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/dev/full exists and is not a folder"),
        "{}",
        stderr(&o)
    );
    let meta = std::fs::metadata("/dev/full").unwrap();
    assert!(meta.file_type().is_char_device());
    assert!(leftovers(Path::new("/dev")).is_empty());
}

#[test]
fn a_folder_that_is_not_an_output_folder_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let thesis = dir.path().join("thesis");
    std::fs::create_dir(&thesis).unwrap();
    std::fs::write(thesis.join("chapter1.md"), "years of work").unwrap();
    let o = run(&thesis, 300);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is not an alignsim output folder"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(thesis.join("chapter1.md")).unwrap(),
        "years of work"
    );
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_previous_run_folder_is_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (out, first) = previous_run(dir.path());
    let o = run(&out, 700);
    assert!(o.status.success(), "{}", stderr(&o));
    let second = std::fs::read(out.join("summary.json")).unwrap();
    assert_ne!(first, second, "700 trials, not 500");
    assert!(leftovers(dir.path()).is_empty());
}

/// A tmpfs of 64 KiB, unmounted on drop. `None` where mounting is not permitted.
struct TinyDisk(PathBuf);

impl TinyDisk {
    fn mount(at: &Path) -> Option<TinyDisk> {
        std::fs::create_dir_all(at).ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| TinyDisk(at.to_path_buf()))
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_keeps_the_previous_results_and_leaves_nothing_behind() {
    on_a_full_disk(&["--trials", "3000"], "cannot write");
}

#[test]
fn a_full_disk_stops_a_streamed_run_and_leaves_nothing_behind() {
    // More rows than one row group: the writer thread fails while trials are simulated.
    on_a_full_disk(
        &["--trials", "140000", "--quantiles", "sketch"],
        "trials.parquet",
    );
}

/// Runs the bakery with `args` into a folder on a 64 KB disk that holds a previous run,
/// and checks the run fails with exit code 1 naming the full disk and `what`, keeps the
/// previous results as they were and leaves nothing behind. Skipped where a tmpfs cannot
/// be mounted.
/// The smallest manifest that marks a folder as alignsim's.
const MANIFEST: &str = r#"{"alignsim_version": "0.1.0", "model_version": "2"}"#;

fn on_a_full_disk(args: &[&str], what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = TinyDisk::mount(&dir.path().join("disk")) else {
        eprintln!("skipped: mounting a tmpfs is not permitted here");
        return;
    };
    // A previous "run" small enough for the disk: its manifest marks it as ours.
    let out = disk.0.join("run");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("manifest.json"), MANIFEST).unwrap();
    let mut all = vec!["run", "--charts", "none", "--quiet"];
    all.extend_from_slice(args);
    all.push("--out");
    let o = super::alignsim(&all, &[&out, &bakery()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("No space left on device"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains(what), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("manifest.json")).unwrap(),
        MANIFEST
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    assert!(leftovers(&disk.0).is_empty(), "{:?}", leftovers(&disk.0));
}

/// Starts a run long enough to be stopped midway (a hundred million trials).
fn spawn_long_run(out: &Path) -> Child {
    std::process::Command::new(cargo_bin("alignsim"))
        .arg("run")
        .arg(bakery())
        .args(["--trials", "100000000", "--charts", "none", "--quiet"])
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Sends `signal` (by name, through kill(1)) to `child` and waits at most a minute.
fn stop(child: &mut Child, signal: &str) -> std::process::ExitStatus {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the run did not stop within a minute of SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_stopped_cleanly(signal: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let (out, before) = previous_run(dir.path());
    let mut child = spawn_long_run(&out);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before SIG{signal}"
    );
    let status = stop(&mut child, signal);
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(code), "SIG{signal}: {err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), before);
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_midway_exits_130_and_keeps_the_previous_results() {
    assert_stopped_cleanly("INT", 130);
}

#[cfg(unix)]
#[test]
fn sigterm_midway_exits_143_and_keeps_the_previous_results() {
    assert_stopped_cleanly("TERM", 143);
}

#[cfg(target_os = "linux")]
#[test]
fn staging_folders_of_killed_runs_are_cleared() {
    let dir = tempfile::tempdir().unwrap();
    // No process has this id (above the kernel's largest pid, 2^22).
    let stale = dir.path().join(".run.partial-4999999");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("trials.parquet"), "half written").unwrap();
    // A live process's staging folder (this test's) is not touched.
    let live = dir
        .path()
        .join(format!(".run.partial-{}", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    let o = run(&dir.path().join("run"), 300);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stale.exists(), "stale staging folder left");
    assert!(live.exists(), "a live process's staging folder was removed");
}

#[test]
fn the_manifest_hashes_the_bytes_simulated() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bakery.toml");
    let bytes = std::fs::read(bakery()).unwrap();
    std::fs::write(&file, &bytes).unwrap();
    let out = dir.path().join("run");
    let o = Command::cargo_bin("alignsim")
        .unwrap()
        .arg("run")
        .arg(&file)
        .args(["--trials", "300", "--charts", "none", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // The file changes after the run: the manifest still names what was simulated.
    std::fs::write(&file, b"# edited later\n").unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let want: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(manifest["scenario_sha256"], want.as_str());
    assert_eq!(std::fs::read(out.join("scenario.toml")).unwrap(), bytes);
    // The hash function itself, on the FIPS 180-2 test vector.
    assert_eq!(
        alignsim::output::sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
