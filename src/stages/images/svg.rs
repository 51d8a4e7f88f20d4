//! SVG minification that cannot change what is drawn: comments, the XML declaration,
//! `<metadata>`, editor data (Inkscape, Sodipodi, Illustrator, Sketch namespaces) and
//! whitespace between elements go; every other byte is copied as it was (no path or number
//! is rewritten). Text content (`<text>`, `<style>`, `<title>`…) and `xml:space="preserve"`
//! subtrees keep their whitespace.

use std::ops::Range;

use crate::stages::images::error::ImageError;

const EDITOR_NAMESPACES: &[&str] = &[
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://ns.adobe.com/AdobeIllustrator/10.0/",
    "http://ns.adobe.com/AdobeSVGViewerExtensions/3.0/",
    "http://www.bohemiancoding.com/sketch/ns",
];

const TEXT_ELEMENTS: &[&str] = &["text", "tspan", "textPath", "style", "script", "title", "desc", "foreignObject", "pre"];

fn keeps_whitespace(node: roxmltree::Node) -> bool {
    node.ancestors()
        .filter(|a| a.is_element())
        .any(|a| TEXT_ELEMENTS.contains(&a.tag_name().name()) || a.attribute(("http://www.w3.org/XML/1998/namespace", "space")) == Some("preserve"))
}

/// The minified text; an error if it is not well-formed XML (browsers would not show it).
pub fn minify(text: &str) -> Result<String, ImageError> {
    // A document type with its own entities is left alone: removing text could change them.
    if text.contains("<!ENTITY") {
        return Ok(text.to_owned());
    }
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(text, options)?;
    let mut drop: Vec<Range<usize>> = Vec::new();
    if let Some(start) = text.find("<?xml") {
        if text[..start].trim().is_empty() {
            if let Some(end) = text[start..].find("?>") {
                drop.push(0..start + end + 2);
            }
        }
    }
    for node in doc.descendants() {
        if node.is_comment() {
            drop.push(node.range());
        } else if node.is_element() {
            let editor = node.tag_name().namespace().is_some_and(|ns| EDITOR_NAMESPACES.contains(&ns));
            if editor || node.tag_name().name() == "metadata" {
                drop.push(node.range());
                continue;
            }
            for attr in node.attributes() {
                if attr.namespace().is_some_and(|ns| EDITOR_NAMESPACES.contains(&ns)) {
                    let r = attr.range();
                    let start = text[..r.start].trim_end().len();
                    drop.push(start..r.end);
                }
            }
        } else if node.is_text() && node.text().is_some_and(|t| t.trim().is_empty()) && !keeps_whitespace(node) {
            drop.push(node.range());
        }
    }
    drop.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in drop {
        if r.start < at {
            continue; // inside a range already dropped
        }
        out.push_str(&text[at..r.start]);
        at = r.end;
    }
    out.push_str(&text[at..]);
    let out = out.trim().to_owned();
    // What is left must still parse.
    roxmltree::Document::parse_with_options(&out, options).map_err(ImageError::SvgMinified)?;
    Ok(out)
}

/// The size an SVG is drawn at when nothing else says: its root's `width` and `height` (in
/// pixels, or unitless), else its `viewBox`. `None` when neither gives one (a percentage, a
/// unit other than px, or no viewBox).
pub fn size(text: &str) -> Option<(u32, u32)> {
    let doc = roxmltree::Document::parse(text).ok()?;
    let root = doc.root_element();
    let px = |v: &str| -> Option<f64> {
        let v = v.trim();
        let n: f64 = v.strip_suffix("px").unwrap_or(v).trim().parse().ok()?;
        (n.is_finite() && n > 0.0).then_some(n)
    };
    let view_box = root.attribute("viewBox").and_then(|v| {
        let n: Vec<f64> = v.split(|c: char| c == ',' || c.is_whitespace()).filter(|p| !p.is_empty()).filter_map(|p| p.parse().ok()).collect();
        (n.len() == 4 && n[2] > 0.0 && n[3] > 0.0).then(|| (n[2], n[3]))
    });
    let (w, h) = match (root.attribute("width").and_then(px), root.attribute("height").and_then(px), view_box) {
        (Some(w), Some(h), _) => (w, h),
        (Some(w), None, Some((vw, vh))) => (w, w * vh / vw),
        (None, Some(h), Some((vw, vh))) => (h * vw / vh, h),
        (None, None, Some(vb)) => vb,
        _ => return None,
    };
    Some((w.round().max(1.0) as u32, h.round().max(1.0) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_only_what_draws_nothing() {
        let svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- Generator: an editor -->\n\
            <svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:inkscape=\"http://www.inkscape.org/namespaces/inkscape\" \
            xmlns:sodipodi=\"http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd\" viewBox=\"0 0 10 10\">\n  \
            <metadata><rdf>x</rdf></metadata>\n  <sodipodi:namedview inkscape:zoom=\"1\"/>\n  \
            <g inkscape:label=\"Layer 1\" id=\"g1\">\n    <path d=\"M 0 0 L 10.000 10\"   fill=\"red\"/>\n  </g>\n  \
            <text x=\"1\">a  <tspan> b </tspan></text>\n  <style>\n .a { fill: blue }\n</style>\n</svg>\n";
        let out = minify(svg).unwrap();
        assert!(out.starts_with("<svg"), "{out}");
        for gone in ["<?xml", "Generator", "metadata", "namedview", "inkscape:label", "\n  <g"] {
            assert!(!out.contains(gone), "{gone} is still in {out}");
        }
        for kept in [
            "<path d=\"M 0 0 L 10.000 10\"   fill=\"red\"/>",
            "id=\"g1\"",
            "<text x=\"1\">a  <tspan> b </tspan></text>",
            "<style>\n .a { fill: blue }\n</style>",
        ] {
            assert!(out.contains(kept), "{kept} is missing from {out}");
        }
        assert!(minify("<svg><g></svg>").is_err());
    }

    #[test]
    fn size_from_width_height_or_view_box() {
        assert_eq!(size(r#"<svg xmlns="http://www.w3.org/2000/svg" width="120px" height="40"/>"#), Some((120, 40)));
        assert_eq!(size(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"/>"#), Some((300, 150)));
        assert_eq!(size(r#"<svg xmlns="http://www.w3.org/2000/svg" width="600" viewBox="0,0,300,150"/>"#), Some((600, 300)));
        assert_eq!(size(r#"<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="2em"/>"#), None);
    }
}
