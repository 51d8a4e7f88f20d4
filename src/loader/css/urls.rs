//! The visitor that turns every local `url()` into a placeholder, resolving it against the
//! file its rule came from.

use std::convert::Infallible;
use std::path::PathBuf;

use lightningcss::rules::CssRule;
use lightningcss::values::image::Image;
use lightningcss::values::url::Url;
use lightningcss::visit_types;
use lightningcss::visitor::{Visit, VisitTypes, Visitor};

use crate::diagnostics::Diagnostic;
use crate::loader::RefSink;

type Locate<'l> = dyn Fn(u32, u32, u32, Diagnostic) -> Diagnostic + 'l;

pub struct UrlRewriter<'s, 'c, 'l> {
    sink: &'s mut RefSink<'c>,
    sources: &'l [PathBuf],
    locate: &'l Locate<'l>,
    /// Source index of the rules being visited, innermost last.
    stack: Vec<u32>,
}

impl<'s, 'c, 'l> UrlRewriter<'s, 'c, 'l> {
    pub fn new(sink: &'s mut RefSink<'c>, sources: &'l [PathBuf], locate: &'l Locate<'l>) -> Self {
        UrlRewriter { sink, sources, locate, stack: Vec::new() }
    }
}

fn source_index(rule: &CssRule) -> Option<u32> {
    Some(match rule {
        CssRule::Style(r) => r.loc.source_index,
        CssRule::Media(r) => r.loc.source_index,
        CssRule::FontFace(r) => r.loc.source_index,
        CssRule::Keyframes(r) => r.loc.source_index,
        CssRule::Page(r) => r.loc.source_index,
        CssRule::Supports(r) => r.loc.source_index,
        CssRule::Container(r) => r.loc.source_index,
        CssRule::LayerBlock(r) => r.loc.source_index,
        CssRule::Scope(r) => r.loc.source_index,
        CssRule::StartingStyle(r) => r.loc.source_index,
        CssRule::Nesting(r) => r.loc.source_index,
        CssRule::NestedDeclarations(r) => r.loc.source_index,
        CssRule::Property(r) => r.loc.source_index,
        CssRule::CounterStyle(r) => r.loc.source_index,
        CssRule::Viewport(r) => r.loc.source_index,
        CssRule::MozDocument(r) => r.loc.source_index,
        CssRule::FontPaletteValues(r) => r.loc.source_index,
        CssRule::Unknown(r) => r.loc.source_index,
        _ => return None,
    })
}

impl<'i> Visitor<'i> for UrlRewriter<'_, '_, '_> {
    type Error = Infallible;

    fn visit_types(&self) -> VisitTypes {
        visit_types!(URLS | RULES | IMAGES)
    }

    fn visit_rule(&mut self, rule: &mut CssRule<'i>) -> Result<(), Self::Error> {
        let pushed = source_index(rule).map(|i| self.stack.push(i)).is_some();
        rule.visit_children(self)?;
        if pushed {
            self.stack.pop();
        }
        Ok(())
    }

    /// lightningcss's visitor never descends into `image-set()` options (their type is
    /// skipped to break a type cycle), so their URLs are visited here.
    fn visit_image(&mut self, image: &mut Image<'i>) -> Result<(), Self::Error> {
        if let Image::ImageSet(set) = image {
            for option in set.options.iter_mut() {
                self.visit_image(&mut option.image)?;
            }
            return Ok(());
        }
        image.visit_children(self)
    }

    fn visit_url(&mut self, url: &mut Url<'i>) -> Result<(), Self::Error> {
        let index = self.stack.last().copied().unwrap_or(0);
        let Some(referrer) = self.sources.get(index as usize).or(self.sources.first()) else { return Ok(()) };
        let (line, column) = (url.loc.line, url.loc.column);
        let locate = self.locate;
        let at = |d| locate(index, line, column, d);
        if let Some(new) = self.sink.css_url(referrer, &url.url, None, &at) {
            url.url = new.into();
        }
        Ok(())
    }
}
