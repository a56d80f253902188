//! Writing a run folder. Everything is written into a hidden staging folder beside the
//! target; only when every file is complete does the staging folder replace the target, so
//! a failed or interrupted run leaves the previous results intact and no partial files.

mod files;
pub mod text;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub use files::{Manifest, write_csv, write_json, write_parquet, write_summary_csv};

/// A run folder being written. Dropping it without [`Staging::commit`] removes it.
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl Staging {
    /// Creates an empty staging folder for `target` (creating `target`'s parent if needed).
    pub fn new(target: &Path) -> Result<Staging> {
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create output folder {}", parent.display()))?;
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("run");
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
    pub fn commit(mut self) -> Result<()> {
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
