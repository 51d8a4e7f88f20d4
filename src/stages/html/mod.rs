//! HTML: after fingerprinting (the URLs in pages are final), every page is minified (see
//! [`minify`]). Pages are read and their references found by [`crate::loader::html`].

pub mod minify;

use rayon::prelude::*;

use crate::config::HtmlOptions;
use crate::diagnostics::BuildError;
use crate::graph::AssetKind;
use crate::log::{stage_output, StageLog};
use crate::output::{Origin, OutputFile};

/// Minifies every page of the output (after fingerprinting: the URLs in it are final).
fn minify_pages(options: &HtmlOptions, outputs: &mut [OutputFile]) {
    if !options.minify {
        return;
    }
    // What the site's stylesheets may give preserved whitespace (see [`minify`]).
    let mut preserved = minify::Preserved::default();
    for o in outputs.iter().filter(|o| o.path.ends_with(".css")) {
        preserved.add_css(&String::from_utf8_lossy(&o.bytes));
    }
    outputs.par_iter_mut().filter(|o| o.origin == Origin::Asset(AssetKind::Html)).for_each(|o| {
        let bytes = minify::minify(&o.bytes, &preserved);
        o.set_bytes(bytes);
    });
}

/// The html stage: pages minified once their URLs are final.
pub struct HtmlStage<'a> {
    options: &'a HtmlOptions,
}

pub struct HtmlOutput {
    pub files: Vec<OutputFile>,
    pub log: StageLog,
}

stage_output!(HtmlOutput);

impl<'a> HtmlStage<'a> {
    pub fn new(options: &'a HtmlOptions) -> Self {
        HtmlStage { options }
    }

    pub fn run(self, mut files: Vec<OutputFile>) -> Result<HtmlOutput, BuildError> {
        minify_pages(self.options, &mut files);
        Ok(HtmlOutput { files, log: StageLog::default() })
    }
}
