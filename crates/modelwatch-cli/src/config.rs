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
//! [[text_descriptors]]
//! column = "review"
//! kind = "Contains"
//! items = ["refund", "broken"]
//!
//! [multivariate]
//! methods = ["reconstruction", "mmd"]
//! [multivariate.mmd]
//! permutations = 200
//! ```

use std::path::Path;

use anyhow::Context;
use modelwatch_core::descriptors::image::ImageSettings;
use modelwatch_core::descriptors::text::TextDescriptorSettings;
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
    /// The `[[text_descriptors]]` entries as written; each is read into its settings on its
    /// own, so that an error names the entry (serde's message about a whole array would not).
    #[serde(rename = "text_descriptors")]
    text_descriptor_entries: Vec<toml::Spanned<toml::Value>>,
    /// The `[[text_descriptors]]` entries read, in the file's order.
    #[serde(skip)]
    pub text_descriptors: Vec<TextDescriptorSettings>,
}

impl ConfigFile {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read config", path.display()))?;
        let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
        let mut config: ConfigFile = toml::from_str(&text).map_err(|e| {
            let msg = one_line(e.message(), "docs/report.md");
            match e.span() {
                Some(span) => {
                    anyhow::anyhow!("{}: line {}: {msg}", path.display(), line_of(span.start))
                }
                None => anyhow::anyhow!("{}: {msg}", path.display()),
            }
        })?;
        for (i, entry) in std::mem::take(&mut config.text_descriptor_entries)
            .into_iter()
            .enumerate()
        {
            let line = line_of(entry.span().start);
            let settings = entry
                .into_inner()
                .try_into()
                .map_err(|e: toml::de::Error| {
                    anyhow::anyhow!(
                        "{}: line {line}: [[text_descriptors]] entry {}: {}",
                        path.display(),
                        i + 1,
                        one_line(e.message(), "docs/text.md")
                    )
                })?;
            config.text_descriptors.push(settings);
        }
        Ok(config)
    }
}

/// toml's message on one line, an unknown name followed by the closest known ones (serde
/// lists every one; the closest are what a typo needs).
fn one_line(message: &str, listed_in: &str) -> String {
    modelwatch_core::suggest::rewrite_unknown_name(&message.replace('\n', " "), Some(listed_in))
}
