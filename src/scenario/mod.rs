//! Scenario files: a TOML file (MODEL.md sections 2, 4 and 7) read into a spanned tree,
//! checked against the parameter table in one pass that reports every problem, then turned
//! into a [`Scenario`] that nothing downstream needs to check again. Values allowed but
//! probably not meant come back as warnings, which [`warnings`] shows or refuses.

pub mod labels;
mod logo;
pub mod schema;
pub mod slip;
mod sources;
mod validate;
pub mod warnings;

use std::io::Read;
use std::path::Path;

use anyhow::Context;

use crate::dist::Dist;
use crate::error::InputErrors;
use crate::stats::targets::Target;
pub use labels::{CHANNELS, Labels};
pub use logo::{Image, Logo};
pub use schema::{ALIGNMENT, Domain, NSYM, PARAMS, ParamDef, Section, Sym, WorkField};
pub use sources::Sources;

/// Largest scenario file read, in bytes: far beyond any hand-written scenario.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// A validated scenario, ready to simulate.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub title: String,
    pub currency: String,
    pub horizon_months: u32,
    pub discount_rate_annual: f64,
    pub trials: u64,
    pub seed: u64,
    pub kpi: Option<KpiLabels>,
    pub arms: Vec<Arm>,
    /// Rank correlations between random parameters (`[[correlation]]`), if any.
    pub correlation: Option<Correlation>,
    /// The `[[work]]` catalogue of preparation packages, in file order (MODEL.md 8.3).
    pub work: Vec<Work>,
    /// The `[report] targets`, in file order, each once.
    pub targets: Vec<Target>,
    /// `[report] explain = true`: a run's folder and report include the explanation of
    /// the gap between its two best arms (as `run --explain`).
    pub explain: bool,
    /// The client's words for incidents, customers and the value channels (`[labels]`).
    pub labels: Labels,
    /// Who the report is for and by, and its logo (`[report]`).
    pub byline: Byline,
    /// The comment written beside or above each key: where its number comes from.
    pub sources: Sources,
}

impl Scenario {
    /// The comment its author wrote beside or above the key at `path` (dotted from the
    /// file's root, see [`Sources`]): where that number comes from.
    pub fn source(&self, path: &str) -> Option<&str> {
        self.sources.get(path)
    }
}

/// `[report] client`, `author` and `logo`: what the report's header names besides the
/// scenario's title.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Byline {
    pub client: Option<String>,
    pub author: Option<String>,
    pub logo: Option<Logo>,
}

/// A preparation work package: work done before the project starts that raises one
/// alignment score (MODEL.md section 8.3).
#[derive(Debug, Clone, PartialEq)]
pub struct Work {
    /// Unique within the scenario, `[a-z0-9_]+`.
    pub name: String,
    /// What the package is, in the client's words (the name when not given).
    pub label: String,
    /// The alignment score it raises, one of [`ALIGNMENT`].
    pub dimension: Sym,
    /// Gain, cost and months, indexed by `WorkField as usize`.
    pub values: [Dist; 3],
}

impl Work {
    pub fn value(&self, field: WorkField) -> &Dist {
        &self.values[field as usize]
    }
}

/// Spearman rank correlations imposed between parameter paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    /// Parameter paths, such as `initiative.upfront_cost`, in matrix order.
    pub paths: Vec<String>,
    /// Spearman correlation matrix, row-major `n x n`, unit diagonal.
    pub spearman: Vec<f64>,
}

impl Correlation {
    /// The Pearson matrix of the Gaussian copula that yields [`Correlation::spearman`].
    pub fn pearson(&self) -> Vec<f64> {
        self.spearman
            .iter()
            .map(|&r| crate::math::pearson_of_spearman(r))
            .collect()
    }
}

/// Names of the KPI from `[kpi]`, for tables and charts.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiLabels {
    pub name: String,
    pub unit: String,
}

/// One deployment variant: every model parameter resolved to a distribution, with arm
/// overrides, section values and defaults already applied.
#[derive(Debug, Clone)]
pub struct Arm {
    pub name: String,
    pub label: String,
    /// Indexed by `Sym as usize`.
    pub params: Vec<Dist>,
    /// The packages of [`Scenario::work`] this arm does before it starts, as indices in
    /// ascending order (empty: no preparation).
    pub prepare: Vec<usize>,
}

impl Arm {
    pub fn param(&self, sym: Sym) -> &Dist {
        &self.params[sym as usize]
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file says something the model does not allow.
    Input(InputErrors),
    /// The file could not be read.
    Io(anyhow::Error),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Input(e) => write!(f, "{e}"),
            LoadError::Io(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// A scenario together with the exact bytes it was read from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scenario: Scenario,
    pub bytes: Vec<u8>,
}

/// Reads and validates a scenario file, and the logo image it names.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let label = path.display().to_string();
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read scenario file {label}"))
        .map_err(LoadError::Io)?;
    if meta.is_dir() {
        return Err(LoadError::Io(anyhow::anyhow!(
            "{label} is a folder, not a scenario file"
        )));
    }
    let too_big = |size: String| {
        input_error(
            &label,
            format!(
                "the file is {size} bytes; scenario files are limited to {MAX_FILE_BYTES} bytes (1 MiB)"
            ),
        )
    };
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(too_big(meta.len().to_string()));
    }
    // Read at most one byte past the limit: a device or pipe (/dev/zero) reports size 0.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read scenario file {label}"))
        .map_err(LoadError::Io)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_big(format!("more than {MAX_FILE_BYTES}")));
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => return Err(not_utf8(&label, &bytes, e.valid_up_to())),
    };
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    let (mut scenario, found) = check(&label, stem, text).map_err(LoadError::Input)?;
    warnings::settle(found).map_err(LoadError::Input)?;
    if let Some(logo) = &mut scenario.byline.logo {
        let dir = path.parent().unwrap_or(Path::new(""));
        logo.read_beside(dir).map_err(|e| {
            LoadError::Input(InputErrors {
                file: label.clone(),
                source: text.to_string(),
                errors: vec![e],
            })
        })?;
    }
    Ok(Loaded { scenario, bytes })
}

/// Validates scenario text. `label` names the file in messages; `stem` is the default name.
/// Warnings are dropped: [`load`] shows them, once per file.
pub fn parse(label: &str, stem: &str, text: &str) -> Result<Scenario, InputErrors> {
    check(label, stem, text).map(|(scenario, _)| scenario)
}

/// Validates scenario text like [`parse`], and returns the warnings too (values allowed but
/// outside their plausible range), pointing into the same text.
pub fn check(label: &str, stem: &str, text: &str) -> Result<(Scenario, InputErrors), InputErrors> {
    let within = |errors| InputErrors {
        file: label.to_string(),
        source: text.to_string(),
        errors,
    };
    validate::validate(text, stem)
        .map(|(scenario, found)| (scenario, within(found)))
        .map_err(within)
}

/// Binary garbage or another encoding: points at the first bad byte, showing the valid
/// text before it.
fn not_utf8(label: &str, bytes: &[u8], at: usize) -> LoadError {
    let valid = String::from_utf8_lossy(&bytes[..at]).into_owned();
    LoadError::Input(InputErrors {
        file: label.to_string(),
        source: valid,
        errors: vec![crate::error::InputError::new(
            at..at,
            "",
            format!(
                "the file is not UTF-8 text (invalid byte 0x{:02x} at offset {at}); scenario files are TOML text: is this the right file?",
                bytes[at]
            ),
        )],
    })
}

fn input_error(label: &str, message: String) -> LoadError {
    LoadError::Input(InputErrors {
        file: label.to_string(),
        source: String::new(),
        errors: vec![crate::error::InputError::new(0..0, "", message)],
    })
}
