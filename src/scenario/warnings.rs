//! What a command does with a scenario's warnings (values allowed but probably a slip, such
//! as `revenue_growth = 3`): show them on stderr, once per file, or, with `--strict`,
//! refuse the file as if they were errors (exit code 2). The program chooses once, at
//! start, with [`install`]; without a choice (the library used on its own) [`crate::scenario::load`]
//! drops them, and [`crate::scenario::check`] hands them back.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use crate::error::InputErrors;

/// How warnings are treated.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Refuse a file with warnings, as if each were an error.
    pub strict: bool,
    /// Shows one file's warnings (in the program: rendered on stderr).
    pub show: fn(&InputErrors),
}

static POLICY: OnceLock<Policy> = OnceLock::new();
/// Files whose warnings were shown already.
static SHOWN: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Sets the policy for this process; a second call changes nothing.
pub fn install(policy: Policy) {
    let _ = POLICY.set(policy);
}

/// Applies the policy to one file's warnings: shown (the first time the file is loaded),
/// or with `--strict` returned as errors.
pub(super) fn settle(mut found: InputErrors) -> Result<(), InputErrors> {
    let Some(policy) = POLICY.get() else {
        return Ok(());
    };
    if found.errors.is_empty() {
        return Ok(());
    }
    if policy.strict {
        for e in &mut found.errors {
            e.help = Some("--strict refuses values outside their plausible range; without it this is a warning".into());
        }
        return Err(found);
    }
    let first = SHOWN
        .lock()
        .map(|mut shown| {
            shown
                .get_or_insert_with(HashSet::new)
                .insert(found.file.clone())
        })
        .unwrap_or(true);
    if first {
        (policy.show)(&found);
    }
    Ok(())
}
