//! Writing an output folder. Everything is written into a hidden staging folder beside the
//! target; only when every file is complete does the staging folder replace the target, so
//! a failed or interrupted run leaves the previous results intact and no partial files.
//! Only alignsim's own output folders are ever replaced (see [`owned`]), never the current
//! folder, one holding it or one holding an input. Nothing is created before the staging
//! folder itself. Staging folders and moved-aside results left by a process that was killed
//! outright are cleared, or put back, by the next write beside them; runs that write into
//! one folder at the same time all succeed, the last one to finish winning.

mod files;
pub mod format;
mod owned;
pub mod text;

use std::fs;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::{InputError, InputErrors};

pub use files::{
    Manifest, parquet_to_csv, parquet_writer, rfc3339_now, sha256_hex, write_csv, write_json,
    write_parquet, write_summary_csv,
};

/// Where results go unless `--out` says otherwise.
const DEFAULT_PARENT: &str = "output";
/// Longest folder name a default output folder gets (as scenario names are limited).
const MAX_NAME: usize = 100;
/// How often [`Staging::commit`] tries again when another process has just put its own
/// results into the target.
const COMMIT_ATTEMPTS: usize = 64;

/// The default output folder of `name` (a scenario's, a sweep's...): `output/NAME`, with
/// `NAME` made a safe folder name by [`folder_name`].
pub fn default_dir(name: &str) -> PathBuf {
    Path::new(DEFAULT_PARENT).join(folder_name(name))
}

/// `name` as a folder name under the rules scenario names follow: ASCII letters, digits,
/// `-`, `_` and `.`, at most 100 characters. Each run of other characters becomes one `_`,
/// leading dots are dropped, and a name that would then be empty or start with `-` or `_`
/// gets `scenario` in front (`..` becomes `scenario`, `..-sensitivity` becomes
/// `scenario-sensitivity`). A valid name that starts with a letter or digit is returned
/// unchanged.
pub fn folder_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || "-_.".contains(c) {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let mut out = out.trim_start_matches('.').to_string();
    if !out.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        out.insert_str(0, "scenario");
    }
    out.truncate(MAX_NAME);
    out
}

/// A run folder being written. Dropping it without [`Staging::commit`] removes it.
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl Staging {
    /// Creates an empty staging folder for `target`, creating `target`'s parent if needed.
    ///
    /// # Errors
    /// When `target` may not be replaced (see [`preflight`]), when the staging folder
    /// cannot be created, or after Ctrl-C.
    pub fn new(target: &Path) -> Result<Staging> {
        crate::interrupt::check()?;
        usable(target)?;
        let parent = parent_of(target);
        create_parent(parent)?;
        let name = target_name(target);
        clear_stale(parent, name);
        let dir = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        crate::interrupt::stage(&dir);
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            committed: false,
        })
    }

    /// Where files go while the run is written.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Replaces the target folder with the staged one. The previous results are moved
    /// aside to `.NAME.old-PID` first and removed once the new ones are in place; when
    /// another process puts its results in between, those are moved aside in turn.
    ///
    /// # Errors
    /// When a rename fails (the previous results are put back), or after Ctrl-C (nothing
    /// is replaced and the staging folder is removed).
    pub fn commit(mut self) -> Result<()> {
        crate::interrupt::check()?;
        let dir = self.dir.clone();
        crate::interrupt::committing(&dir, || self.replace_target())
    }

    /// The renames of [`Staging::commit`].
    fn replace_target(&mut self) -> Result<()> {
        let backup = parent_of(&self.target).join(format!(
            ".{}.old-{}",
            target_name(&self.target),
            std::process::id()
        ));
        let mut moved = false;
        for _ in 0..COMMIT_ATTEMPTS {
            match fs::rename(&self.dir, &self.target) {
                Ok(()) => {
                    self.committed = true;
                    break;
                }
                Err(e) if occupied(&e) => {}
                Err(e) => {
                    if moved {
                        let _ = fs::rename(&backup, &self.target);
                    }
                    return Err(e).with_context(|| {
                        format!("cannot move the new results into {}", self.target.display())
                    });
                }
            }
            moved = self.move_aside(&backup, moved)?;
        }
        if !self.committed {
            anyhow::bail!(
                "cannot move the new results into {}: other processes keep replacing it",
                self.target.display()
            );
        }
        if moved {
            fs::remove_dir_all(&backup).with_context(|| {
                format!("cannot remove the previous results {}", backup.display())
            })?;
        }
        Ok(())
    }

    /// Moves the target's current contents to `backup`; returns whether it moved any.
    /// A backup already held (`held`) was superseded by the results now in the target, put
    /// there by another process, and is removed first.
    fn move_aside(&self, backup: &Path, held: bool) -> Result<bool> {
        if held {
            fs::remove_dir_all(backup).with_context(|| {
                format!("cannot remove the previous results {}", backup.display())
            })?;
        }
        match fs::rename(&self.target, backup) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e).with_context(|| {
                format!(
                    "cannot move the previous results {} aside",
                    self.target.display()
                )
            }),
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
            crate::interrupt::unstage(&self.dir);
        }
    }
}

/// Whether a rename failed because its destination is a folder that is not empty.
fn occupied(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::DirectoryNotEmpty | ErrorKind::AlreadyExists
    )
}

fn target_name(target: &Path) -> &str {
    target.file_name().and_then(|n| n.to_str()).unwrap_or("run")
}

/// Checks, before any work, that results can be written to `target`: it is absent or an
/// output folder of alignsim that may be replaced, it is neither the current folder nor
/// one that holds it, and a folder can be created beside it. Creates nothing.
///
/// # Errors
/// Bad input (exit code 2) for a folder that may not be replaced or that holds the
/// current folder; other errors naming the path and why it cannot be used.
pub fn preflight(target: &Path) -> Result<()> {
    usable(target)?;
    let parent = parent_of(target);
    let Some(existing) = parent.ancestors().find(|a| fs::symlink_metadata(a).is_ok()) else {
        return Ok(());
    };
    if !existing.is_dir() {
        anyhow::bail!(
            "cannot create output folder {}: {} is a file, not a folder",
            parent.display(),
            existing.display()
        );
    }
    let probe = existing.join(format!(".alignsim-probe-{}", std::process::id()));
    fs::create_dir(&probe).with_context(|| format!("cannot write into {}", existing.display()))?;
    let _ = fs::remove_dir(&probe);
    Ok(())
}

/// Refuses an output folder that is one of the `inputs`, holds one, or lies inside one
/// (as `merge s1 s2 --out s1` would replace a shard being read).
///
/// # Errors
/// Bad input (exit code 2) naming the output folder and the input.
pub fn refuse_overlap(out: &Path, inputs: &[&Path]) -> Result<()> {
    let o = absolute(out);
    for input in inputs {
        let i = absolute(input);
        if i.starts_with(&o) || o.starts_with(&i) {
            let how = if o == i {
                "is"
            } else if i.starts_with(&o) {
                "holds"
            } else {
                "lies inside"
            };
            return Err(refused(
                out,
                format!(
                    "the output folder {how} the input {}: choose another --out",
                    input.display()
                ),
            ));
        }
    }
    Ok(())
}

/// An error `main` reports as bad input (exit code 2) about the path `at`.
fn refused(at: &Path, message: String) -> anyhow::Error {
    anyhow::Error::new(InputErrors {
        file: at.display().to_string(),
        source: String::new(),
        errors: vec![InputError::new(0..0, "", message)],
    })
}

/// `path` made absolute with `.` and `..` resolved, and symbolic links resolved as far as
/// it exists.
fn absolute(path: &Path) -> PathBuf {
    let full = std::env::current_dir().map_or_else(|_| path.to_path_buf(), |d| d.join(path));
    let mut plain = PathBuf::new();
    for part in full.components() {
        match part {
            Component::ParentDir => {
                plain.pop();
            }
            Component::CurDir => {}
            other => plain.push(other),
        }
    }
    let mut rest = Vec::new();
    let mut existing = plain.as_path();
    let mut out = loop {
        if let Ok(c) = existing.canonicalize() {
            break c;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(p), Some(n)) => {
                rest.push(n);
                existing = p;
            }
            _ => break existing.to_path_buf(),
        }
    };
    out.extend(rest.iter().rev());
    out
}

/// Refuses the current folder or one holding it, a file, a device, and a folder that
/// alignsim did not write.
fn usable(target: &Path) -> Result<()> {
    if let Ok(cwd) = std::env::current_dir().and_then(|d| d.canonicalize())
        && cwd.starts_with(absolute(target))
    {
        return Err(refused(
            target,
            "is the current folder or holds it, and an output folder is replaced whole: choose another --out, such as a new folder inside it".into(),
        ));
    }
    replaceable(target)
}

/// Creates `parent` and its ancestors, saying which one is in the way if one is a file.
fn create_parent(parent: &Path) -> Result<()> {
    fs::create_dir_all(parent).with_context(|| match parent.ancestors().find(|a| a.exists()) {
        Some(a) if !a.is_dir() => format!(
            "cannot create output folder {}: {} is a file, not a folder",
            parent.display(),
            a.display()
        ),
        _ => format!("cannot create output folder {}", parent.display()),
    })
}

fn parent_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Refuses to replace a file, a device, or a folder that alignsim did not write.
fn replaceable(target: &Path) -> Result<()> {
    let Ok(meta) = fs::symlink_metadata(target) else {
        return Ok(());
    };
    if !meta.is_dir() {
        anyhow::bail!(
            "{} exists and is not a folder; alignsim writes its results into a folder of its own: choose another --out",
            target.display()
        );
    }
    match owned::check(target)? {
        Ok(()) => Ok(()),
        Err(owned::Refusal::Unmarked) => Err(refused(
            target,
            "exists and is not an alignsim output folder (it has no manifest.json written by alignsim), so it is left as it is: choose another --out, or delete the folder first".into(),
        )),
        Err(owned::Refusal::Foreign(file)) => Err(refused(
            target,
            format!(
                "is not an alignsim output folder as it is: it holds {}, which alignsim does not write, so it is left as it is: choose another --out, or move that file away or delete the folder first",
                file.display()
            ),
        )),
    }
}

/// Clears what killed processes left beside `name` in `parent` (only where `/proc` tells
/// which processes run): their staging folders `.NAME.partial-PID` are removed, and the
/// previous results they had moved aside (`.NAME.old-PID`, or `.NAME.old` and
/// `.NAME.partial-PID.old` of earlier versions) are put back when `NAME` is missing (the
/// newest of them, when there are several) and removed otherwise.
fn clear_stale(parent: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let mut backups = Vec::new();
    let mut live = false;
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some((pid, backup)) = leftover_of(file, name) else {
            continue;
        };
        match pid {
            Some(pid) if proc.join(pid.to_string()).exists() => live = true,
            _ if backup => backups.push(entry.path()),
            _ => {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    // An earlier version's shared backup may belong to a process still at work.
    if live {
        backups.retain(|b| !b.ends_with(format!(".{name}.old")));
    }
    let modified = |p: &PathBuf| fs::metadata(p).and_then(|m| m.modified()).ok();
    backups.sort_by_key(|b| std::cmp::Reverse(modified(b)));
    let target = parent.join(name);
    for b in backups {
        if fs::symlink_metadata(&target).is_err() && fs::rename(&b, &target).is_ok() {
            continue;
        }
        let _ = fs::remove_dir_all(&b);
    }
}

/// For a working name beside `name`: the process it belongs to (none for an earlier
/// version's shared backup) and whether it holds moved-aside results.
fn leftover_of(file: &str, name: &str) -> Option<(Option<u32>, bool)> {
    if file == format!(".{name}.old") {
        return Some((None, true));
    }
    if let Some(pid) = file
        .strip_prefix(&format!(".{name}.partial-"))
        .and_then(|r| r.strip_suffix(".old"))
    {
        return pid.parse().ok().map(|p| (Some(p), true));
    }
    match owned::staging_parts(file) {
        Some((base, pid, backup)) if base == name => Some((Some(pid), backup)),
        _ => None,
    }
}

/// Replaces the file `name` in `dir` with `contents`: written under a temporary name and
/// renamed, so a failure leaves the old file whole. Returns the file's path; `what` names
/// the file in an error ("report", "workbook").
///
/// # Errors
/// The file cannot be written or moved into place.
pub fn replace_file(dir: &Path, name: &str, contents: &[u8], what: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.partial-{}", std::process::id()));
    fs::write(&tmp, contents).with_context(|| format!("cannot write {}", tmp.display()))?;
    if let Err(e) = fs::rename(&tmp, &path) {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot move the {what} into {}", path.display()));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_folder_names_follow_the_naming_rules() {
        for (name, want) in [
            ("bakery", "bakery"),
            ("bakery-sweep", "bakery-sweep"),
            ("v1.2_b", "v1.2_b"),
            ("..", "scenario"),
            (".", "scenario"),
            ("", "scenario"),
            (".toml", "toml"),
            ("..-sensitivity", "scenario-sensitivity"),
            ("my scen \u{e4}rio", "my_scen_rio"),
            ("a/../b", "a_.._b"),
            ("\u{1b}[2J", "scenario_2J"),
        ] {
            assert_eq!(folder_name(name), want, "{name:?}");
        }
        assert_eq!(folder_name(&"x".repeat(300)).len(), MAX_NAME);
        assert_eq!(default_dir("bakery"), Path::new("output/bakery"));
    }

    #[test]
    fn staging_names_are_told_apart() {
        assert_eq!(
            leftover_of(".run.partial-12", "run"),
            Some((Some(12), false))
        );
        assert_eq!(leftover_of(".run.old-12", "run"), Some((Some(12), true)));
        assert_eq!(leftover_of(".run.old", "run"), Some((None, true)));
        assert_eq!(
            leftover_of(".run.partial-12.old", "run"),
            Some((Some(12), true))
        );
        assert_eq!(leftover_of(".run2.old-12", "run"), None);
        assert_eq!(leftover_of(".run.old-x", "run"), None);
    }
}
