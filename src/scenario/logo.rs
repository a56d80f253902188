//! `[report] logo`: a local image (PNG, JPEG or SVG) that the report embeds in its header,
//! named by a path relative to the scenario file. Validation checks the name; the image
//! itself is read when the scenario is loaded from its file ([`super::load`]), and a run
//! folder keeps a copy (`logo.png`, `logo.jpg` or `logo.svg`) so that `alignsim report`
//! can draw the page again without the original.

use std::ops::Range;
use std::path::Path;

use crate::error::InputError;

/// Largest logo read, in bytes: the report is meant to be emailed.
pub const MAX_LOGO_BYTES: u64 = 2 * 1024 * 1024;
/// The key the errors name.
const KEY: &str = "report.logo";

/// The logo a scenario names.
#[derive(Debug, Clone, PartialEq)]
pub struct Logo {
    /// The path as the file writes it, relative to the scenario file.
    pub path: String,
    /// Where the path is in the scenario file, for errors found reading the image.
    pub span: Range<usize>,
    /// The image, once read (beside the scenario file, or a run folder's copy).
    pub image: Option<Image>,
}

/// An image file's content and its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// `image/png`, `image/jpeg` or `image/svg+xml`.
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

impl Image {
    /// Where a run folder keeps its copy of the image.
    pub fn file_name(&self) -> &'static str {
        match self.mime {
            "image/png" => "logo.png",
            "image/jpeg" => "logo.jpg",
            _ => "logo.svg",
        }
    }

    /// The copy a run folder `dir` keeps, if it has one.
    pub fn in_run_folder(dir: &Path) -> Option<Image> {
        ["image/png", "image/jpeg", "image/svg+xml"]
            .into_iter()
            .find_map(|mime| {
                let probe = Image {
                    mime,
                    bytes: Vec::new(),
                };
                let bytes = std::fs::read(dir.join(probe.file_name())).ok()?;
                (kind(&bytes) == Some(mime)).then_some(Image { mime, bytes })
            })
    }
}

/// The kind of image `bytes` hold, by their first bytes: PNG, JPEG or SVG text.
fn kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    head.contains("<svg").then_some("image/svg+xml")
}

/// Whether `path` names a file of one of the accepted kinds, by its extension.
pub fn accepted_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".png", ".jpg", ".jpeg", ".svg"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

impl Logo {
    /// Reads the image from `dir`, the scenario file's folder.
    ///
    /// # Errors
    /// A file that is missing, unreadable, larger than [`MAX_LOGO_BYTES`] or not a PNG,
    /// JPEG or SVG image, pointing at the key's value.
    pub fn read_beside(&mut self, dir: &Path) -> Result<(), InputError> {
        let file = dir.join(&self.path);
        let err = |message: String| InputError::new(self.span.clone(), KEY, message);
        let meta = std::fs::metadata(&file).map_err(|e| {
            err(format!("cannot read the logo {}: {e}", file.display()))
                .with_help("the path is relative to the scenario file's folder")
        })?;
        if meta.len() > MAX_LOGO_BYTES {
            return Err(err(format!(
                "the logo {} is {} bytes; a logo is embedded in every report and is limited to 2 MB",
                file.display(),
                crate::dist::fmt_num(meta.len() as f64)
            ))
            .with_help("save it smaller (a few hundred pixels wide is plenty), or as SVG"));
        }
        let bytes = std::fs::read(&file)
            .map_err(|e| err(format!("cannot read the logo {}: {e}", file.display())))?;
        let Some(mime) = kind(&bytes) else {
            return Err(err(format!(
                "{} is not a PNG, JPEG or SVG image",
                file.display()
            )));
        };
        self.image = Some(Image { mime, bytes });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_by_their_first_bytes() {
        assert_eq!(kind(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(kind(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(
            kind(b"<?xml version=\"1.0\"?><svg/>"),
            Some("image/svg+xml")
        );
        assert_eq!(kind(b"GIF89a"), None);
        assert!(accepted_name("img/Logo.JPEG") && !accepted_name("logo.gif"));
    }
}
