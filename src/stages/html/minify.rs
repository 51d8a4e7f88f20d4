//! Page minification with minify-html, after fingerprinting so that it sees the final URLs
//! (and quotes attribute values such as `integrity="sha384-…="` as they need).
//!
//! Only spec-compliant minifications are enabled. Inline CSS was already minified by the CSS
//! stage, and inline scripts are left to the JS stage: minify-html's own JS minifier is not used.

pub fn minify(page: &[u8]) -> Vec<u8> {
    let cfg = minify_html::Cfg {
        keep_html_and_head_opening_tags: true,
        minify_css: false,
        minify_js: false,
        ..minify_html::Cfg::default()
    };
    minify_html::minify(page, &cfg)
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_urls_and_quotes_what_needs_it() {
        let page = b"<!doctype html>\n<html>\n  <head>\n    <link rel=\"stylesheet\" href=\"/assets/a.1234.css\" integrity=\"sha384-ab+/c=\">\n  </head>\n  <body>\n    <p>Hi  there</p>\n  </body>\n</html>\n";
        let out = String::from_utf8(super::minify(page)).unwrap();
        assert!(out.contains("href=/assets/a.1234.css"), "{out}");
        assert!(out.contains("integrity=\"sha384-ab+/c=\""), "{out}");
        assert!(out.len() < page.len());
    }
}
