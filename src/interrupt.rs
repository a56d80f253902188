//! Ctrl-C (SIGINT) and SIGTERM during `alignsim run`: the signal only sets a flag; the
//! engine stops at the next window of batches, nothing is committed to the run folder (the
//! staging folder is removed, the previous results stay as they were), and the program
//! exits with 130 (SIGINT) or 143 (SIGTERM). A second signal ends the program at once.
//!
//! Long phases check the flag between steps (the engine between windows of batches, the
//! charts between charts). Whatever phase is at work, a watchdog ends the program [`GRACE`]
//! after the signal if it has not ended by itself: it removes the staging folders still
//! registered (see [`stage`]), waits for a commit in progress to finish, and exits with
//! the same code, unless results were already committed.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};

/// Set by the first SIGINT or SIGTERM once [`install`] has run.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Whether the signal was SIGTERM (exit code 143) rather than SIGINT (130).
static TERMINATED: AtomicBool = AtomicBool::new(false);

/// How long after a signal the program may take to end by itself.
pub const GRACE: Duration = Duration::from_millis(700);
/// How often the watchdog looks at the flag.
const POLL: Duration = Duration::from_millis(50);

/// Staging folders to remove if the watchdog ends the program. Held while results are
/// moved into place, so that the watchdog never ends the program halfway through.
static STAGED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Set once results have been moved into place: the program then ends by itself.
static COMMITTED: AtomicBool = AtomicBool::new(false);

/// Lets SIGINT and SIGTERM stop the run cleanly instead of killing the process, and
/// starts the watchdog that ends it if it does not stop within [`GRACE`].
///
/// # Errors
/// When the handlers cannot be registered or the watchdog cannot be started.
pub fn install() -> Result<()> {
    for signal in [SIGINT, SIGTERM] {
        // A signal after the first one takes the default action: the program ends at once.
        signal_hook::flag::register_conditional_default(signal, &INTERRUPTED)
            .context("cannot install the Ctrl-C handler")?;
        if signal == SIGTERM {
            signal_hook::flag::register(signal, &TERMINATED)
                .context("cannot install the SIGTERM handler")?;
        }
        signal_hook::flag::register(signal, &INTERRUPTED)
            .context("cannot install the Ctrl-C handler")?;
    }
    std::thread::Builder::new()
        .name("interrupt-watchdog".into())
        .spawn(watchdog)
        .context("cannot start the Ctrl-C watchdog")?;
    Ok(())
}

/// Waits for a signal, gives the program [`GRACE`] to stop, then ends it.
fn watchdog() {
    while !requested() {
        std::thread::sleep(POLL);
    }
    std::thread::sleep(GRACE);
    let staged = STAGED.lock().unwrap_or_else(|e| e.into_inner());
    if COMMITTED.load(Ordering::SeqCst) {
        return;
    }
    for dir in staged.iter() {
        // A writer thread may still add files: try again until it is gone.
        for _ in 0..20 {
            if std::fs::remove_dir_all(dir).is_ok() || !dir.exists() {
                break;
            }
        }
    }
    eprintln!("{Interrupted}");
    std::process::exit(i32::from(Interrupted.exit_code()));
}

/// Registers a staging folder, to be removed if the watchdog ends the program.
pub fn stage(dir: &Path) {
    STAGED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(dir.to_path_buf());
}

/// Unregisters a staging folder that was removed.
pub fn unstage(dir: &Path) {
    STAGED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|d| d != dir);
}

/// Moves results into place with `commit`, which the watchdog does not interrupt; when
/// it succeeds, the staging folder `dir` is unregistered and the program is left to end
/// by itself.
pub fn committing<T, E>(dir: &Path, commit: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let mut staged = STAGED.lock().unwrap_or_else(|e| e.into_inner());
    let done = commit();
    if done.is_ok() {
        staged.retain(|d| d != dir);
        COMMITTED.store(true, Ordering::SeqCst);
    }
    done
}

/// Whether a stop was asked for.
#[inline]
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// `Err(Interrupted)` once a stop was asked for.
///
/// # Errors
/// [`Interrupted`] after SIGINT or SIGTERM.
pub fn check() -> Result<(), Interrupted> {
    if requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// The run was stopped by a signal before its results were committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl Interrupted {
    /// 128 + the signal number, as shells report a process ended by that signal.
    pub fn exit_code(self) -> u8 {
        if TERMINATED.load(Ordering::Relaxed) {
            143
        } else {
            130
        }
    }
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "interrupted: the run stopped before it finished; nothing was written and any previous results are untouched",
        )
    }
}

impl std::error::Error for Interrupted {}
