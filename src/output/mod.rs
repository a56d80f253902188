//! Writing a run folder. Everything is written into a hidden staging folder beside the
//! target; only when every file is complete does the staging folder replace the target, so
//! a failed or interrupted run leaves the previous results intact and no partial files.
//! Only alignsim's own output folders are ever replaced, and staging folders left by a
//! process that was killed outright are cleared by the next write beside them.

mod files;
pub mod text;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub use files::{
    Manifest, parquet_writer, write_csv, write_json, write_parquet, write_summary_csv,
};

/// A run folder being written. Dropping it without [`Staging::commit`] removes it.
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl Staging {
    /// Creates an empty staging folder for `target` (creating `target`'s parent if needed).
    ///
    /// # Errors
    /// When `target` exists but is not an output folder of alignsim (see [`preflight`]),
    /// when the staging folder cannot be created, or after Ctrl-C.
    pub fn new(target: &Path) -> Result<Staging> {
        crate::interrupt::check()?;
        replaceable(target)?;
        let parent = parent_of(target);
        create_parent(parent)?;
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("run");
        clear_stale(parent, name);
        let dir = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
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

    /// Replaces the target folder with the staged one.
    ///
    /// # Errors
    /// When a rename fails (the previous results are put back), or after Ctrl-C (nothing
    /// is replaced and the staging folder is removed).
    pub fn commit(mut self) -> Result<()> {
        crate::interrupt::check()?;
        let backup = self.dir.with_extension("old");
        let had_old = self.target.exists();
        if had_old {
            fs::rename(&self.target, &backup).with_context(|| {
                format!(
                    "cannot move the previous results {} aside",
                    self.target.display()
                )
            })?;
        }
        if let Err(e) = fs::rename(&self.dir, &self.target) {
            if had_old {
                let _ = fs::rename(&backup, &self.target);
            }
            return Err(e).with_context(|| {
                format!("cannot move the new results into {}", self.target.display())
            });
        }
        self.committed = true;
        if had_old {
            fs::remove_dir_all(&backup).with_context(|| {
                format!("cannot remove the previous results {}", backup.display())
            })?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Files that mark a folder as alignsim's own output: a run, shard, sweep or sensitivity
/// folder. Only such a folder (or an empty one, or a run's `charts/`) is ever replaced.
const OUTPUT_MARKERS: &[&str] = &[
    "manifest.json",
    "summary.json",
    "shard.json",
    "sweep.json",
    "sensitivity.json",
];

/// Checks, before any work, that results can be written to `target`: it is absent or an
/// output folder of alignsim that may be replaced, and a folder can be created beside it.
///
/// # Errors
/// Naming the path and why it cannot be used.
pub fn preflight(target: &Path) -> Result<()> {
    replaceable(target)?;
    let parent = parent_of(target);
    create_parent(parent)?;
    let probe = parent.join(format!(".alignsim-probe-{}", std::process::id()));
    fs::create_dir(&probe).with_context(|| format!("cannot write into {}", parent.display()))?;
    let _ = fs::remove_dir(&probe);
    Ok(())
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
    let entries: Vec<PathBuf> = fs::read_dir(target)
        .with_context(|| format!("cannot read {}", target.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let marked = entries.iter().any(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| OUTPUT_MARKERS.contains(&n))
    });
    let charts = target.file_name().is_some_and(|n| n == "charts")
        && entries
            .iter()
            .all(|p| p.is_file() && p.extension().is_some_and(|e| e == "png" || e == "svg"));
    if entries.is_empty() || marked || charts {
        Ok(())
    } else {
        anyhow::bail!(
            "{} exists and is not an alignsim output folder (it has no manifest.json); it is left as it is: choose another --out, or remove it first",
            target.display()
        )
    }
}

/// Removes `.NAME.partial-PID` folders beside `name` whose process no longer runs (killed
/// outright, so its own clean-up never ran), and puts back `.NAME.partial-PID.old`, the
/// previous results moved aside, if the new ones never arrived. Only where `/proc` tells
/// which processes run.
fn clear_stale(parent: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let prefix = format!(".{name}.partial-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let (pid, old) = match rest.strip_suffix(".old") {
            Some(pid) => (pid, true),
            None => (rest, false),
        };
        if pid.parse::<u32>().is_err() || proc.join(pid).exists() {
            continue;
        }
        let target = parent.join(name);
        if old && !target.exists() {
            let _ = fs::rename(entry.path(), &target);
        } else {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
