//! Ctrl-C (SIGINT) and SIGTERM during `alignsim run`: the signal only sets a flag; the
//! engine stops at the next window of batches, nothing is committed to the run folder (the
//! staging folder is removed, the previous results stay as they were), and the program
//! exits with 130 (SIGINT) or 143 (SIGTERM). A second signal ends the program at once.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};

/// Set by the first SIGINT or SIGTERM once [`install`] has run.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Whether the signal was SIGTERM (exit code 143) rather than SIGINT (130).
static TERMINATED: AtomicBool = AtomicBool::new(false);

/// Lets SIGINT and SIGTERM stop the run cleanly instead of killing the process.
///
/// # Errors
/// When the handlers cannot be registered.
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
    Ok(())
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
