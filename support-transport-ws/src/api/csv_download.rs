//! A table as a CSV download (RFC 4180, UTF-8, a header row), for the routes that offer
//! `format=csv`. A cell that a spreadsheet would run as a formula (one starting with `=`, `+`,
//! `-`, `@`, a tab or a carriage return) is written with a leading `'`, so that user text
//! opened in Excel or LibreOffice stays text (OWASP's advice on CSV injection).

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// The cell as a spreadsheet will show it, never as a formula.
pub(crate) fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// 200 with the rows as `text/csv`, named `filename` for the browser's download.
pub(crate) fn download<R, I>(
    filename: &str,
    header_row: &[&str],
    rows: R,
) -> Result<Response, ApiError>
where
    R: IntoIterator<Item = I>,
    I: IntoIterator<Item = String>,
{
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| ApiError::from(support_core::Error::backend(e.to_string()));
    out.write_record(header_row).map_err(failed)?;
    for row in rows {
        let cells: Vec<String> = row.into_iter().map(|c| cell(&c).into_owned()).collect();
        out.write_record(&cells).map_err(failed)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| ApiError::from(support_core::Error::backend(e.to_string())))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_stay_text_and_the_rest_is_untouched() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1+2"), "'-1+2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("Sam Support"), "Sam Support");
        assert_eq!(cell(""), "");
    }
}
