//! Pages: an `<img>` whose image has variants gets `srcset`/`sizes` (resized copies in its own
//! format) and, with modern formats, becomes a `<picture>` with a `<source type=…>` per format,
//! the original staying as the fallback. An image with variants, and with `images.dimensions`
//! every local image, without `width` and `height` gets both (the image's size as displayed)
//! so the page does not shift as images load. (Not by default for the others: a stylesheet
//! that sets only an image's `width` would then get the attribute's height, not `auto`.) A `<source>`
//! of an author's `<picture>` whose image has another shape gets its own. An `<img>` already
//! inside a `<picture>`, or with its own `srcset`, keeps its markup and only gains the size.
//!
//! Loading, decided per page in document order ([`Loading`]): the images after the first
//! `eager` get `loading="lazy" decoding="async"`; the first large image (at least
//! [`LARGE_WIDTH`] wide and [`LARGE_AREA`] in area, as displayed), the likely Largest
//! Contentful Paint, gets `fetchpriority="high"` and is never made lazy. An attribute the author
//! wrote is never replaced, and when any image of the page already has a `fetchpriority`, kiln
//! adds none.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element};
use lol_html::{element, rewrite_str, RewriteStrSettings};

use crate::config::Loading;
use crate::graph::{AssetKey, AssetKind, RefUse, Refs, PLACEHOLDER_LEN};

/// An image at least this wide (CSS pixels, as displayed)…
pub const LARGE_WIDTH: u32 = 300;
/// …and this large in area counts as large: the likely LCP element.
pub const LARGE_AREA: u32 = 60_000;

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

/// The images pages show with `<img src>` or a `<picture>`'s `<source srcset>` (its first
/// candidate).
pub fn img_sources(html: &str, refs: &Refs) -> Vec<AssetKey> {
    let mut out = Vec::new();
    let _ = rewrite_str(
        html,
        RewriteStrSettings::new().append_element_content_handler(element!("img[src], picture > source[srcset]", |el| {
            let attr = if el.tag_name() == "img" { "src" } else { "srcset" };
            if let Some(t) = el.get_attribute(attr).as_deref().and_then(|v| target(v, refs)) {
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

/// What the first pass learns of a page.
struct Survey {
    seen: Vec<Seen>,
    author_priority: bool,
    pictures: Vec<Option<(u32, u32)>>,
}

/// What the first pass learns of one `<img>`, in document order.
struct Seen {
    /// Its size as displayed: the author's attributes, else (scaled by one of them) the file's.
    shown: Option<(u32, u32)>,
    /// The author made it lazy.
    lazy: bool,
}

fn attr_px(el: &Element, name: &str) -> Option<u32> {
    el.get_attribute(name)?.trim().trim_end_matches("px").parse::<u32>().ok().filter(|&n| n > 0)
}

/// Counts `<picture>` elements open around the current one (an end-tag handler per element).
fn track_picture(el: &mut Element, depth: &Rc<Cell<u32>>) {
    depth.set(depth.get() + 1);
    let d = depth.clone();
    if let Some(handlers) = el.end_tag_handlers() {
        let on_end: lol_html::EndTagHandler<'static> = Box::new(move |_| {
            d.set(d.get().saturating_sub(1));
            Ok(())
        });
        handlers.push(on_end);
    }
}

/// The pages' image markup, with what the images stage learnt of each image.
pub struct Pages<'a> {
    pub images: &'a BTreeMap<AssetKey, ImageInfo>,
    /// `sizes` beside a generated srcset when the `<img>` has none.
    pub sizes: &'a str,
    pub loading: Loading,
}

impl Pages<'_> {
    fn info(&self, el: &Element, attr: &str, refs: &Refs) -> Option<&ImageInfo> {
        target(&el.get_attribute(attr)?, refs).and_then(|t| self.images.get(t)).filter(|i| i.width > 0 && i.height > 0)
    }

    /// First pass: every `<img>`'s displayed size and the author's loading attributes; whether
    /// the author set a `fetchpriority` anywhere; and per `<picture>`, the file size of its
    /// `<img>` when the author gave that `<img>` no size.
    fn survey(&self, html: &str, refs: &Refs) -> Survey {
        let mut seen = Vec::new();
        let mut author_priority = false;
        let pictures = std::cell::RefCell::new(Vec::new());
        let depth = Rc::new(Cell::new(0u32));
        let d = depth.clone();
        let picture = element!("picture", |el| {
            track_picture(el, &d);
            pictures.borrow_mut().push(None);
            Ok(())
        });
        let _ = rewrite_str(
            html,
            RewriteStrSettings::new().append_element_content_handler(picture).append_element_content_handler(element!("img", |el| {
                author_priority |= el.has_attribute("fetchpriority");
                let file = self.info(el, "src", refs).map(|i| (i.width, i.height));
                let shown = match (attr_px(el, "width"), attr_px(el, "height"), file) {
                    (Some(w), Some(h), _) => Some((w, h)),
                    (Some(w), None, Some((fw, fh))) => Some((w, (u64::from(w) * u64::from(fh) / u64::from(fw)) as u32)),
                    (None, Some(h), Some((fw, fh))) => Some(((u64::from(h) * u64::from(fw) / u64::from(fh)) as u32, h)),
                    (None, None, file) => file,
                    _ => None,
                };
                let lazy = el.get_attribute("loading").is_some_and(|l| l.eq_ignore_ascii_case("lazy"));
                seen.push(Seen { shown, lazy });
                let author_size = el.has_attribute("width") || el.has_attribute("height");
                if let (true, false, Some(last)) = (depth.get() > 0, author_size, pictures.borrow_mut().last_mut()) {
                    *last = file;
                }
                Ok(())
            })),
        );
        Survey { seen, author_priority, pictures: pictures.into_inner() }
    }

    /// Which image (by document order) gets `fetchpriority="high"`.
    fn priority(&self, seen: &[Seen], author_priority: bool) -> Option<usize> {
        if !self.loading.priority || author_priority {
            return None;
        }
        let i = seen.iter().position(|s| s.shown.is_some_and(|(w, h)| w >= LARGE_WIDTH && u64::from(w) * u64::from(h) >= u64::from(LARGE_AREA)))?;
        (!seen[i].lazy).then_some(i)
    }

    /// Rewrites the images of one page; `None` if nothing changed.
    pub fn rewrite(&self, html: &str, refs: &mut Refs) -> Option<String> {
        if !html.contains("<img") && !html.contains("<IMG") {
            return None;
        }
        let survey = self.survey(html, refs);
        let priority = self.priority(&survey.seen, survey.author_priority);
        let depth = Rc::new(Cell::new(0u32));
        let changed = Cell::new(false);
        let index = Cell::new(0usize);
        let picture_index = Cell::new(0usize);
        let refs_cell = std::cell::RefCell::new(refs);
        let d = depth.clone();
        let picture = element!("picture", |el| {
            track_picture(el, &d);
            picture_index.set(picture_index.get() + 1);
            Ok(())
        });
        let img = element!("img", |el: &mut Element| {
            let i = index.get();
            index.set(i + 1);
            changed.set(changed.get() | self.loading_attributes(el, i, priority)?);
            let mut refs = refs_cell.borrow_mut();
            let Some(info) = self.info(el, "src", &refs).cloned() else { return Ok(()) };
            let has_variants = info.same_format.len() > 1 || !info.modern.is_empty();
            if (has_variants || self.loading.dimensions) && el.get_attribute("width").is_none() && el.get_attribute("height").is_none() {
                el.set_attribute("width", &info.width.to_string())?;
                el.set_attribute("height", &info.height.to_string())?;
                changed.set(true);
            }
            if depth.get() > 0 || el.has_attribute("srcset") {
                return Ok(());
            }
            changed.set(changed.get() | self.responsive(el, &mut refs, &info)?);
            Ok(())
        });
        // An author's `<picture>` whose `<img>` gets its file's size: a source whose image has
        // another shape (art direction) gets its own, so the space kept matches what is shown.
        let source = element!("picture > source[srcset]", |el: &mut Element| {
            let refs = refs_cell.borrow();
            let Some(info) = self.info(el, "srcset", &refs) else { return Ok(()) };
            let Some(Some((w, h))) = picture_index.get().checked_sub(1).and_then(|p| survey.pictures.get(p)) else { return Ok(()) };
            let same_shape = u64::from(info.width) * u64::from(*h) == u64::from(info.height) * u64::from(*w);
            if same_shape || el.has_attribute("width") || el.has_attribute("height") {
                return Ok(());
            }
            el.set_attribute("width", &info.width.to_string())?;
            el.set_attribute("height", &info.height.to_string())?;
            changed.set(true);
            Ok(())
        });
        let settings =
            RewriteStrSettings::new().append_element_content_handler(picture).append_element_content_handler(source).append_element_content_handler(img);
        let out = rewrite_str(html, settings).ok()?;
        changed.get().then_some(out)
    }

    /// `loading`/`decoding`/`fetchpriority` on the `i`-th image of the page; true if any was added.
    fn loading_attributes(&self, el: &mut Element, i: usize, priority: Option<usize>) -> Result<bool, lol_html::errors::AttributeNameError> {
        let mut changed = false;
        let mut add = |el: &mut Element, name: &str, value: &str| -> Result<(), lol_html::errors::AttributeNameError> {
            if !el.has_attribute(name) {
                el.set_attribute(name, value)?;
                changed = true;
            }
            Ok(())
        };
        if priority == Some(i) {
            add(el, "fetchpriority", "high")?;
        } else if self.loading.lazy && i >= self.loading.eager as usize {
            add(el, "loading", "lazy")?;
            add(el, "decoding", "async")?;
        }
        Ok(changed)
    }

    /// `srcset`/`sizes` and the `<picture>` of an image with variants; true if anything was added.
    fn responsive(&self, el: &mut Element, refs: &mut Refs, info: &ImageInfo) -> Result<bool, lol_html::errors::AttributeNameError> {
        let sizes = el.get_attribute("sizes").unwrap_or_else(|| self.sizes.to_owned());
        let mut changed = false;
        if info.same_format.len() > 1 {
            let set = srcset(refs, &info.same_format);
            el.set_attribute("srcset", &set)?;
            el.set_attribute("sizes", &sizes)?;
            changed = true;
        }
        if !info.modern.is_empty() {
            let mut sources = String::from("<picture>");
            for (mime, list) in &info.modern {
                let set = srcset(refs, list);
                let sizes_attr = if list.len() > 1 { format!(" sizes=\"{}\"", escape(&sizes)) } else { String::new() };
                sources.push_str(&format!("<source type=\"{mime}\" srcset=\"{set}\"{sizes_attr}>"));
            }
            el.before(&sources, ContentType::Html);
            el.after("</picture>", ContentType::Html);
            changed = true;
        }
        Ok(changed)
    }
}
