//! Pages: an `<img>` whose image has variants gets `srcset`/`sizes` (resized copies in its own
//! format) and, with modern formats, becomes a `<picture>` with a `<source type=…>` per format,
//! the original staying as the fallback. Missing `width`/`height` attributes are added (the
//! image's size as displayed) so the page does not shift as images load. An `<img>` already
//! inside a `<picture>`, or with its own `srcset`, keeps its markup and only gains the size.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element};
use lol_html::{element, rewrite_str, RewriteStrSettings};

use crate::graph::{AssetKey, AssetKind, RefUse, Refs, PLACEHOLDER_LEN};

/// What a page needs to know of one image.
#[derive(Debug, Clone, Default)]
pub struct ImageInfo {
    pub width: u32,
    pub height: u32,
    /// (asset key, width), narrowest first, the original last: the `<img>`'s own srcset.
    pub same_format: Vec<(AssetKey, u32)>,
    /// (MIME type, (asset key, width) list) per modern format.
    pub modern: Vec<(&'static str, Vec<(AssetKey, u32)>)>,
}

/// The image an attribute value's placeholder refers to.
fn target<'a>(value: &str, refs: &'a Refs) -> Option<&'a AssetKey> {
    let i = crate::graph::placeholder_index(value.get(..PLACEHOLDER_LEN)?.as_bytes())?;
    let r = refs.0.get(i)?;
    (r.use_ == RefUse::Url && !r.public).then_some(&r.target)
}

/// The images pages show with `<img src>` (root-relative).
pub fn img_sources(html: &str, refs: &Refs) -> Vec<AssetKey> {
    let mut out = Vec::new();
    let _ = rewrite_str(
        html,
        RewriteStrSettings::new().append_element_content_handler(element!("img[src]", |el| {
            if let Some(t) = el.get_attribute("src").as_deref().and_then(|v| target(v, refs)) {
                out.push(t.clone());
            }
            Ok(())
        })),
    );
    out
}

fn srcset(refs: &mut Refs, list: &[(AssetKey, u32)]) -> String {
    list.iter().map(|(key, w)| format!("{} {w}w", refs.placeholder(key, AssetKind::Raw, RefUse::Url, false))).collect::<Vec<_>>().join(", ")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;")
}

/// Rewrites the `<img>` tags of one page; `None` if nothing changed.
pub fn rewrite(html: &str, refs: &mut Refs, images: &BTreeMap<AssetKey, ImageInfo>, default_sizes: &str) -> Option<String> {
    let depth = Rc::new(Cell::new(0u32));
    let changed = Cell::new(false);
    let refs_cell = std::cell::RefCell::new(refs);
    let d = depth.clone();
    let picture = element!("picture", move |el| {
        d.set(d.get() + 1);
        let d = d.clone();
        if let Some(handlers) = el.end_tag_handlers() {
            let on_end: lol_html::EndTagHandler<'static> = Box::new(move |_| {
                d.set(d.get().saturating_sub(1));
                Ok(())
            });
            handlers.push(on_end);
        }
        Ok(())
    });
    let img = element!("img[src]", |el: &mut Element| {
        let src = el.get_attribute("src").unwrap_or_default();
        let mut refs = refs_cell.borrow_mut();
        let Some(info) = target(&src, &refs).cloned().and_then(|t| images.get(&t)) else { return Ok(()) };
        if el.get_attribute("width").is_none() && el.get_attribute("height").is_none() && info.width > 0 {
            el.set_attribute("width", &info.width.to_string())?;
            el.set_attribute("height", &info.height.to_string())?;
            changed.set(true);
        }
        if depth.get() > 0 || el.has_attribute("srcset") {
            return Ok(());
        }
        let sizes = el.get_attribute("sizes").unwrap_or_else(|| default_sizes.to_owned());
        if info.same_format.len() > 1 {
            let set = srcset(&mut refs, &info.same_format);
            el.set_attribute("srcset", &set)?;
            el.set_attribute("sizes", &sizes)?;
            changed.set(true);
        }
        if !info.modern.is_empty() {
            let mut sources = String::from("<picture>");
            for (mime, list) in &info.modern {
                let set = srcset(&mut refs, list);
                let sizes_attr = if list.len() > 1 { format!(" sizes=\"{}\"", escape(&sizes)) } else { String::new() };
                sources.push_str(&format!("<source type=\"{mime}\" srcset=\"{set}\"{sizes_attr}>"));
            }
            el.before(&sources, ContentType::Html);
            el.after("</picture>", ContentType::Html);
            changed.set(true);
        }
        Ok(())
    });
    let out = rewrite_str(html, RewriteStrSettings::new().append_element_content_handler(picture).append_element_content_handler(img)).ok()?;
    changed.get().then_some(out)
}
