//! An upload's type, decided from its bytes; whether it may be stored; whether a browser may
//! show it inline.

/// How many leading bytes [`FileType::of`] looks at.
pub(crate) const SNIFF_BYTES: usize = 16 * 1024;

/// Extensions of types a browser may run script in: refused whatever the bytes say (as text,
/// they would pass for `text/plain`).
const SCRIPTABLE: &[&str] = &[
    "svg", "svgz", "html", "htm", "xhtml", "xht", "shtml", "xml", "xsl", "xslt", "js", "mjs",
    "hta", "swf", "mht", "mhtml",
];

/// The media type of a file, decided from its first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileType {
    /// The media type (`image/png`), lowercase.
    pub mime: String,
}

impl FileType {
    /// The type of a file beginning with `prefix` (its first 16 KiB; all of it when
    /// `complete`): what the `infer` crate recognises; else `text/plain` for UTF-8 text
    /// without NUL (a last character cut by the end of an incomplete prefix allowed); else
    /// `application/octet-stream`.
    pub fn of(prefix: &[u8], complete: bool) -> Self {
        if let Some(t) = infer::get(prefix) {
            return FileType {
                mime: t.mime_type().to_ascii_lowercase(),
            };
        }
        let text = match std::str::from_utf8(prefix) {
            Ok(s) => !s.contains('\0'),
            // A character cut at the end of an incomplete prefix is still text.
            Err(e) => {
                !complete
                    && e.error_len().is_none()
                    && prefix.len() - e.valid_up_to() < 4
                    && !prefix[..e.valid_up_to()].contains(&0)
            }
        };
        let mime = if text && !prefix.is_empty() {
            "text/plain"
        } else {
            "application/octet-stream"
        };
        FileType {
            mime: mime.to_owned(),
        }
    }

    /// The top-level type: `image` of `image/png`.
    fn family(mime: &str) -> &str {
        mime.split('/').next().unwrap_or_default()
    }

    /// Why an upload of this type, sent as `name` declared `declared`, is refused, if it is:
    /// not in `allowed`; a scriptable extension (SVG, HTML…); or a name or declared type that
    /// says another kind of file (an image, say) than the bytes do (a PDF). A declared
    /// `application/octet-stream`, or none, says nothing.
    pub fn refusal(
        &self,
        name: &str,
        declared: Option<&str>,
        allowed: &[String],
    ) -> Option<String> {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        if SCRIPTABLE.contains(&ext.as_str()) {
            return Some(format!("Files of type .{ext} are not allowed."));
        }
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(&self.mime)) {
            return Some(format!("Files of type {} are not allowed.", self.mime));
        }
        let declared = declared
            .map(|d| {
                d.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|d| !d.is_empty() && d != "application/octet-stream");
        if let Some(d) = declared {
            if d.contains("svg") || d.contains("html") || d.contains("javascript") {
                return Some(format!("Files of type {d} are not allowed."));
            }
            if Self::family(&d) != Self::family(&self.mime) {
                return Some(format!(
                    "The file was sent as {d} but its content is {}.",
                    self.mime
                ));
            }
        }
        if let Some(implied) = implied_by_extension(&ext) {
            if Self::family(implied) != Self::family(&self.mime) {
                return Some(format!(
                    "The file is named .{ext} but its content is {}.",
                    self.mime
                ));
            }
        }
        None
    }
}

/// The type a common extension names, for telling a mismatch.
fn implied_by_extension(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "png" => "image/png",
        "jpg" | "jpeg" | "jfif" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "heic" => "image/heic",
        "pdf" => "application/pdf",
        "txt" | "log" | "csv" | "md" => "text/plain",
        "zip" | "docx" | "xlsx" | "pptx" | "odt" | "ods" | "odp" | "doc" | "xls" | "ppt" => {
            "application/zip"
        }
        _ => return None,
    })
}

/// True for the types a download may show `inline`: PNG, JPEG, GIF and WebP images.
/// Everything else, SVG above all, is `attachment`.
pub fn is_shown_inline(mime: &str) -> bool {
    matches!(
        mime,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        super::super::Attachments::DEFAULT_TYPES
            .iter()
            .map(|t| (*t).to_owned())
            .collect()
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const PDF: &[u8] = b"%PDF-1.7\n";

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(FileType::of(PNG, true).mime, "image/png");
        assert_eq!(FileType::of(PDF, true).mime, "application/pdf");
        assert_eq!(FileType::of("héllo\n".as_bytes(), true).mime, "text/plain");
        assert_eq!(FileType::of(&"é".as_bytes()[..1], false).mime, "text/plain");
        assert_eq!(FileType::of(b"a\0b", true).mime, "application/octet-stream");
        assert_eq!(
            FileType::of(b"\xff\xfe\x00", true).mime,
            "application/octet-stream"
        );
    }

    #[test]
    fn mismatches_and_scriptable_names_are_refused() {
        let allowed = defaults();
        let pdf = FileType::of(PDF, true);
        assert!(
            pdf.refusal("report.pdf", Some("application/pdf"), &allowed)
                .is_none()
        );
        assert!(pdf.refusal("report", None, &allowed).is_none());
        assert!(pdf.refusal("cat.png", None, &allowed).is_some());
        assert!(
            pdf.refusal("report.pdf", Some("image/png"), &allowed)
                .is_some()
        );
        let text = FileType::of(b"<svg onload=alert(1)>", true);
        assert!(text.refusal("x.svg", None, &allowed).is_some());
        assert!(
            text.refusal("x.txt", Some("image/svg+xml"), &allowed)
                .is_some()
        );
        assert!(text.refusal("x.html", None, &allowed).is_some());
        assert!(
            text.refusal("notes.txt", Some("text/plain"), &allowed)
                .is_none()
        );
        let exe = FileType::of(b"MZ\x90\0\x03\0\0\0", true);
        assert!(exe.refusal("setup.exe", None, &allowed).is_some());
    }

    #[test]
    fn only_raster_images_are_inline() {
        assert!(is_shown_inline("image/png"));
        assert!(!is_shown_inline("image/svg+xml"));
        assert!(!is_shown_inline("text/html"));
        assert!(!is_shown_inline("application/pdf"));
    }
}
