//! `alignsim report RUN_DIR --pdf`: `report.pdf`, printed from the folder's `report.html`
//! by a local headless Chromium (the page's print style sheet lays it out: the summary
//! alone on page 1, no chart or table cut across pages). Nothing else in the program needs
//! a browser, and none is downloaded: without one, [`find_browser`] says how to get one.
//!
//! Chromium runs with a fresh profile in a temporary folder and no background traffic,
//! prints to a hidden file in the run folder that is renamed to `report.pdf` only once it
//! holds a PDF, and is killed when it takes longer than the timeout, so a failure leaves
//! no `report.pdf` (and an older one untouched).

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

/// File name of the printed report inside a run folder.
pub const PDF_FILE: &str = "report.pdf";

/// The environment variable naming the browser to print with, before any on the `PATH`.
pub const BROWSER_VAR: &str = "ALIGNSIM_CHROMIUM";

/// The browser programs looked for on the `PATH`, in this order.
const CANDIDATES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

/// Seconds Chromium may take to print before it is killed, unless told otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// How to get a browser, for the error when there is none.
const HOW_TO_GET_ONE: &str = "install Chromium, e.g. `apt install chromium`, or set \
                              ALIGNSIM_CHROMIUM=/path/to/chrome";

/// The browser to print with: the program `$ALIGNSIM_CHROMIUM` names when it is set (a
/// path, or a name looked up on the `PATH`), else the first of `chromium`,
/// `chromium-browser` and `google-chrome` on the `PATH`.
///
/// # Errors
/// When there is none, or `$ALIGNSIM_CHROMIUM` names no program: the message says how to
/// get one.
pub fn find_browser() -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(named) = std::env::var_os(BROWSER_VAR).filter(|v| !v.is_empty()) {
        return program(&named, &path).ok_or_else(|| {
            anyhow!(
                "{BROWSER_VAR}={} is not a program that can be run; to write report.pdf, \
                 {HOW_TO_GET_ONE}",
                Path::new(&named).display()
            )
        });
    }
    CANDIDATES
        .iter()
        .find_map(|name| program(name.as_ref(), &path))
        .ok_or_else(|| {
            anyhow!(
                "no Chromium found (looked for {} on the PATH); to write report.pdf, \
                 {HOW_TO_GET_ONE}",
                CANDIDATES.join(", ")
            )
        })
}

/// `name` as a program that can be run: a path as it is, a bare name looked up in `path`.
fn program(name: &OsStr, path: &OsStr) -> Option<PathBuf> {
    let given = Path::new(name);
    if given.components().count() > 1 || given.is_absolute() {
        return executable(given).then(|| given.to_path_buf());
    }
    std::env::split_paths(path)
        .map(|dir| dir.join(given))
        .find(|p| executable(p))
}

/// Whether `p` is a file that may be executed.
fn executable(p: &Path) -> bool {
    let Ok(meta) = fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// Prints `report` (a `report.html`) with `browser` to `report.pdf` beside it, and returns
/// that path. Chromium is killed after `timeout`.
///
/// # Errors
/// When Chromium fails, takes too long or writes no PDF (with the end of what it printed
/// to stderr), when Ctrl-C stops the program, or when the file cannot be moved into place.
pub fn print(browser: &Path, report: &Path, timeout: Duration) -> Result<PathBuf> {
    let report =
        fs::canonicalize(report).with_context(|| format!("cannot read {}", report.display()))?;
    let dir = report.parent().context("the report has no folder")?;
    let target = dir.join(PDF_FILE);
    let partial = dir.join(format!(".{PDF_FILE}.partial-{}", std::process::id()));
    let profile = Profile::new()?;
    let printed = run_browser(browser, &report, &partial, &profile, timeout)
        .and_then(|()| check_pdf(&partial));
    if let Err(e) = printed {
        let _ = fs::remove_file(&partial);
        return Err(e);
    }
    if let Err(e) = fs::rename(&partial, &target) {
        let _ = fs::remove_file(&partial);
        return Err(e).with_context(|| format!("cannot move the PDF into {}", target.display()));
    }
    Ok(target)
}

/// Runs Chromium on `report`, printing to `out`, and waits for it (at most `timeout`).
fn run_browser(
    browser: &Path,
    report: &Path,
    out: &Path,
    profile: &Profile,
    timeout: Duration,
) -> Result<()> {
    let log = profile.0.join("chromium-stderr.log");
    let stderr =
        fs::File::create(&log).with_context(|| format!("cannot write {}", log.display()))?;
    let mut print_to = OsString::from("--print-to-pdf=");
    print_to.push(out);
    let mut user_dir = OsString::from("--user-data-dir=");
    user_dir.push(profile.0.join("profile"));
    let child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
        ])
        .args(["--disable-sync", "--no-pdf-header-footer"])
        .arg(user_dir)
        .arg(print_to)
        .arg(file_url(report))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("cannot start {}", browser.display()))?;
    let status = wait(child, timeout).with_context(|| {
        format!(
            "{} did not print the report{}",
            browser.display(),
            stderr_tail(&log)
        )
    })?;
    if !status.success() {
        bail!(
            "{} failed to print the report ({status}){}",
            browser.display(),
            stderr_tail(&log)
        );
    }
    Ok(())
}

/// Waits for `child`, killing it after `timeout` or when Ctrl-C stops the program.
fn wait(mut child: Child, timeout: Duration) -> Result<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("cannot wait for Chromium")? {
            return Ok(status);
        }
        let stop = crate::interrupt::check();
        if stop.is_err() || start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            stop?;
            bail!(
                "it did not finish within {} s and was stopped",
                timeout.as_secs_f64()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Checks that `path` holds a PDF.
fn check_pdf(path: &Path) -> Result<()> {
    let mut head = [0u8; 5];
    let ok = fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok();
    if !ok || &head != b"%PDF-" {
        bail!("Chromium finished but wrote no PDF");
    }
    Ok(())
}

/// The last lines Chromium wrote to stderr, as "; Chromium said: ...", or nothing.
fn stderr_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(5)..].join("\n  ");
    if tail.is_empty() {
        String::new()
    } else {
        format!("; Chromium said:\n  {tail}")
    }
}

/// A `file://` URL of an absolute path, every byte but the unreserved ones and `/`
/// percent-encoded.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// A temporary folder for Chromium's profile and log, removed when dropped.
struct Profile(PathBuf);

impl Profile {
    fn new() -> Result<Profile> {
        let base = std::env::temp_dir();
        for n in 0..100u32 {
            let dir = base.join(format!("alignsim-chromium-{}-{n}", std::process::id()));
            match fs::create_dir(&dir) {
                Ok(()) => return Ok(Profile(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", dir.display()));
                }
            }
        }
        bail!(
            "cannot create a temporary folder for Chromium in {}",
            base.display()
        )
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_url_encodes_what_a_url_cannot_hold() {
        assert_eq!(
            file_url(Path::new("/tmp/run folder/r#1.html")),
            "file:///tmp/run%20folder/r%231.html"
        );
    }
}
