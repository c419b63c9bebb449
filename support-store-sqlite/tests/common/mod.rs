//! What the SQLite integration tests share: the draft builders of
//! `support_core::testing::drafts`, and database URLs in a temporary directory.

// Each test file uses a different subset.
#![allow(dead_code, unused_imports)]

use std::path::Path;

pub(crate) use support_core::testing::drafts::*;

pub(crate) fn url(dir: &Path, file: &str) -> String {
    format!("sqlite://{}", dir.join(file).display())
}
