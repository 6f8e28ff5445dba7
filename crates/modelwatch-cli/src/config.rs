//! The TOML settings file (`--config`): the same settings as the flags, flags win.
//!
//! ```toml
//! [columns]
//! numerical = ["age"]
//! target = "label"
//! embeddings = { emb = "emb_", pair = ["x", "y"] }
//!
//! [drift]
//! method = "psi"
//! drift_share = 0.3
//! [drift.column_methods]
//! age = "ks"
//! [drift.embedding_methods]
//! emb = "mmd"
//! pair = { method = "distance", dist = "cosine" }
//!
//! [images]
//! sample_pixels = 10000
//!
//! [multivariate]
//! methods = ["reconstruction", "mmd"]
//! [multivariate.mmd]
//! permutations = 200
//! ```

use std::path::Path;

use anyhow::Context;
use modelwatch_core::descriptors::image::ImageSettings;
use modelwatch_core::drift::{DriftSettings, MultivariateSettings};
use modelwatch_core::schema::SchemaOverrides;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigFile {
    pub columns: SchemaOverrides,
    pub drift: DriftSettings,
    pub images: ImageSettings,
    pub multivariate: MultivariateSettings,
}

impl ConfigFile {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read config", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            // toml's message spans lines; keep it to one.
            // serde lists every field; the closest ones are what a typo needs.
            let msg = modelwatch_core::suggest::rewrite_unknown_name(
                &e.message().replace('\n', " "),
                Some("docs/report.md"),
            );
            match e.span() {
                Some(span) => {
                    let line = text[..span.start].matches('\n').count() + 1;
                    anyhow::anyhow!("{}: line {line}: {msg}", path.display())
                }
                None => anyhow::anyhow!("{}: {msg}", path.display()),
            }
        })
    }
}
