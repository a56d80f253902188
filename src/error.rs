//! Errors in user input: every problem found in a scenario file, each pointing at the
//! file, line and column, naming the key path and the rule it broke. Rendered for people
//! with miette (a snippet of the file with the offending span underlined). The same form
//! carries warnings: values a file may hold but that are probably a slip.

use std::fmt;
use std::ops::Range;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, Severity,
};

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// Byte range in the file that the problem points at.
    pub span: Range<usize>,
    /// Key path such as `initiative.upfront_cost` (empty for whole-file problems).
    pub path: String,
    /// What is wrong and what is allowed.
    pub message: String,
    /// An optional hint: a did-you-mean, or how to write it instead.
    pub help: Option<String>,
}

impl InputError {
    pub fn new(span: Range<usize>, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            span,
            path: path.into(),
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// All the problems found in one input file, with the file's text to point into.
#[derive(Debug, Clone)]
pub struct InputErrors {
    pub file: String,
    pub source: String,
    pub errors: Vec<InputError>,
}

impl InputErrors {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.source, offset)
    }

    /// The one-line form of each error: `file:line:col: path: message`, or `file: message`
    /// for a problem with the whole file (no text to point into: too large, not text, empty).
    pub fn headline(&self, e: &InputError) -> String {
        let (line, col) = self.line_col(e.span.start);
        if self.source.is_empty() {
            let path = if e.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", e.path)
            };
            format!("{}: {path}{}", self.file, e.message)
        } else if e.path.is_empty() {
            format!("{}:{line}:{col}: {}", self.file, e.message)
        } else {
            format!("{}:{line}:{col}: {}: {}", self.file, e.path, e.message)
        }
    }

    /// Renders every error with a snippet of the file, for a terminal or a log.
    pub fn render(&self, color: bool) -> String {
        self.render_as(color, Severity::Error)
    }

    /// Renders every problem as a warning (a value allowed but implausible), with the same
    /// snippets as [`InputErrors::render`].
    pub fn render_warnings(&self, color: bool) -> String {
        self.render_as(color, Severity::Warning)
    }

    fn render_as(&self, color: bool, severity: Severity) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
        let mut out = String::new();
        for e in &self.errors {
            let diag = Report {
                headline: self.headline(e),
                error: e,
                named: NamedSource::new(self.file.clone(), self.source.clone()),
                empty: self.source.is_empty(),
                severity,
            };
            if handler.render_report(&mut out, &diag).is_err() {
                out.push_str(&diag.headline);
                out.push('\n');
            }
        }
        let n = self.errors.len();
        let noun = match severity {
            Severity::Warning => "warning",
            _ => "problem",
        };
        out.push_str(&format!(
            "{n} {noun}{} in {}\n",
            if n == 1 { "" } else { "s" },
            self.file
        ));
        out
    }
}

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            writeln!(f, "{}", self.headline(e))?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

/// A command-line combination the program cannot honour: bad input, exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// 1-based line and character column of a byte offset in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// Adapter that lets miette draw one [`InputError`].
struct Report<'a> {
    headline: String,
    error: &'a InputError,
    named: NamedSource<String>,
    empty: bool,
    severity: Severity,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline)
    }
}

impl std::error::Error for Report<'_> {}

impl Diagnostic for Report<'_> {
    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.error
            .help
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.empty { None } else { Some(&self.named) }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.empty {
            return None;
        }
        let n = self.named.inner().len();
        let start = self.error.span.start.min(n);
        let len = self.error.span.end.min(n).saturating_sub(start);
        let label = if self.error.path.is_empty() {
            None
        } else {
            Some(self.error.path.clone())
        };
        Some(Box::new(std::iter::once(LabeledSpan::new(
            label, start, len,
        ))))
    }
}

/// The closest candidate to `word` when it is plausibly a misspelling or a shortening of
/// it: within a few edits (`upfornt_cost`), or sharing most of its start (`triangle` for
/// `triangular`, `horizon` for `horizon_months`). Of equally close candidates the first
/// is taken. The one owner of every did-you-mean the program prints.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    let scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (edit_distance(&word, &c.to_lowercase()), c))
        .collect();
    let close = scored
        .iter()
        .filter(|&&(d, _)| d <= limit)
        .min_by_key(|&&(d, _)| d);
    let shortened = || {
        scored
            .iter()
            .filter(|&&(_, c)| shares_start(&word, &c.to_lowercase()))
            .min_by_key(|&&(d, _)| d)
    };
    close.or_else(shortened).map(|&(_, c)| c)
}

/// Whether `word` (at least 4 characters) is the start of `candidate`, or the two share a
/// start of at least 5 characters covering three quarters of `word`.
fn shares_start(word: &str, candidate: &str) -> bool {
    let n = word.chars().count();
    let common = word
        .chars()
        .zip(candidate.chars())
        .take_while(|(a, b)| a == b)
        .count();
    (n >= 4 && common == n) || (common >= 5 && 4 * common >= 3 * n)
}

/// Levenshtein distance with adjacent transpositions counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = "a = 1\nbb = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        assert_eq!(line_col(src, 9), (2, 4));
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let keys = ["upfront_cost", "monthly_cost", "cost_overrun"];
        assert_eq!(did_you_mean("upfornt_cost", keys), Some("upfront_cost"));
        assert_eq!(did_you_mean("montly_cost", keys), Some("monthly_cost"));
        assert_eq!(did_you_mean("banana", keys), None);
    }

    #[test]
    fn suggestions_catch_shortenings() {
        let keys = ["name", "horizon_months", "discount_rate_annual"];
        assert_eq!(did_you_mean("horizon", keys), Some("horizon_months"));
        assert_eq!(
            did_you_mean("discount_rate", keys),
            Some("discount_rate_annual")
        );
        let families = ["triangular", "pert", "uniform", "uniform_int"];
        assert_eq!(did_you_mean("triangle", families), Some("triangular"));
        assert_eq!(did_you_mean("uni", families), None);
    }
}
