//! `budgets.toml`: a list of `[[budget]]` tables, each naming what it measures (files by glob,
//! a page's load, or a type of file) and its limits. Unknown keys and malformed sizes are
//! errors at their line:col.

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::Diagnostic;
use crate::size::{parse_size, Growth, SizeValue};

/// One budget: what it measures (exactly one of `files`, `page` or `type`) and at least one
/// limit.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    /// Shown in reports.
    name: Option<String>,
    /// A glob over source or output paths.
    #[schemars(with = "Option<String>")]
    files: Option<Spanned<String>>,
    /// Each file on its own (default: their sum).
    each: Option<bool>,
    /// A page (output path): what it loads.
    page: Option<String>,
    /// With `page`: what it loads at start ("initial", the default) or later ("lazy").
    #[schemars(with = "Option<crate::config::schema::Load>")]
    load: Option<Spanned<String>>,
    /// A type of file.
    #[serde(rename = "type")]
    #[schemars(with = "Option<crate::config::schema::FileGroup>")]
    kind: Option<Spanned<String>>,
    /// What is measured: "raw", "gzip" or "brotli" (default); with `page`, also "returning_bytes" (what a visitor of the previous output downloads to load the page, with deltas).
    #[schemars(with = "Option<crate::config::schema::Measure>")]
    measure: Option<Spanned<String>>,
    /// Error level (exit 1): bytes, or "170 KB" (1000), "1.2 MiB" (1024).
    #[schemars(with = "Option<SizeValue>")]
    max: Option<Spanned<SizeValue>>,
    /// Warning level (exit 0, or 1 with --strict).
    #[schemars(with = "Option<SizeValue>")]
    warn: Option<Spanned<SizeValue>>,
    /// How many files, at most.
    max_count: Option<u64>,
    /// Warning level of the count.
    warn_count: Option<u64>,
    /// Growth against --baseline: "5%" or "10 KB".
    #[schemars(with = "Option<crate::config::schema::Growth>")]
    max_growth: Option<Spanned<SizeValue>>,
    /// Warning level of the growth.
    #[schemars(with = "Option<crate::config::schema::Growth>")]
    warn_growth: Option<Spanned<SizeValue>>,
}

/// What an outcome's value is: file bytes as stored (`raw`) or as a compressed twin, or, for
/// lab rules, a time in ms, a layout-shift score in thousandths, bytes over the wire, or a
/// count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    Raw,
    Gzip,
    Brotli,
    Ms,
    Shift,
    Transfer,
    Count,
    /// A page's returning-visitor bytes (with deltas).
    #[serde(rename = "returning_bytes")]
    Returning,
}

impl Measure {
    /// The value as people read it: `12.3 KB brotli`, `2,480 ms`, `0.105`, `34`.
    pub fn show(self, value: u64) -> String {
        match self {
            Measure::Raw => format!("{} raw", crate::size::format_size(value)),
            Measure::Gzip => format!("{} gzip", crate::size::format_size(value)),
            Measure::Brotli => format!("{} brotli", crate::size::format_size(value)),
            Measure::Transfer => crate::size::format_size(value),
            Measure::Ms => format!("{value} ms"),
            Measure::Shift => format!("{:.3}", value as f64 / 1000.0),
            Measure::Count => value.to_string(),
            Measure::Returning => format!("{} for a returning visitor", crate::size::format_size(value)),
        }
    }

    /// A limit in the unit of the value (no measure name).
    pub fn show_limit(self, value: u64) -> String {
        match self {
            Measure::Raw | Measure::Gzip | Measure::Brotli | Measure::Transfer | Measure::Returning => crate::size::format_size(value),
            _ => self.show(value),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Load {
    Initial,
    Lazy,
}

#[derive(Debug, Clone)]
pub enum Target {
    /// Files whose source or output path matches the glob; each one, or their sum.
    Files { pattern: String, matcher: globset::GlobMatcher, each: bool },
    /// What a page loads (`page` is its source path).
    Page { page: String, load: Load },
    /// All files of a group (`script`, `stylesheet`, `image`, `font`, `document`, `media`,
    /// `other`, or `all`).
    Type { group: String },
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub target: Target,
    pub measure: Measure,
    pub max: Option<u64>,
    pub warn: Option<u64>,
    pub max_count: Option<u64>,
    pub warn_count: Option<u64>,
    pub max_growth: Option<Growth>,
    pub warn_growth: Option<Growth>,
    /// Where the rule is written (file, 1-based line and column), for messages and CI
    /// annotations.
    pub file: String,
    pub line: u32,
    pub column: u32,
}

const GROUPS: [&str; 8] = ["script", "stylesheet", "image", "font", "document", "media", "other", "all"];

/// The `[[budget]]` rules of a budgets file (`text`, named `shown` in messages), read by
/// [`crate::budgets_file`]; their problems go to `diags`.
pub fn rules(raw: &[Spanned<RawRule>], text: &str, shown: &str, diags: &mut Vec<Diagnostic>) -> Vec<Rule> {
    let mut bad = |span: std::ops::Range<usize>, msg: String| diags.push(Diagnostic::error(msg).at_offset(shown, text, span.start));
    let mut rules = Vec::new();
    for (i, spanned) in raw.iter().enumerate() {
        let (line, column) = crate::diagnostics::line_col(text, spanned.span().start);
        let r = spanned.get_ref();
        let mut size = |v: &Option<Spanned<SizeValue>>, key: &str| -> Option<u64> {
            let v = v.as_ref()?;
            parse_size(&v.get_ref().text()).map_err(|e| bad(v.span(), format!("{key}: {e}"))).ok()
        };
        let max = size(&r.max, "max");
        let warn = size(&r.warn, "warn");
        let mut growth = |v: &Option<Spanned<SizeValue>>, key: &str| -> Option<Growth> {
            let v = v.as_ref()?;
            Growth::parse(&v.get_ref().text()).map_err(|e| bad(v.span(), format!("{key}: {e}"))).ok()
        };
        let max_growth = growth(&r.max_growth, "max_growth");
        let warn_growth = growth(&r.warn_growth, "warn_growth");
        let measure = match r.measure.as_ref().map(|m| (m.span(), m.get_ref().as_str())) {
            None | Some((_, "brotli")) => Measure::Brotli,
            Some((_, "gzip")) => Measure::Gzip,
            Some((_, "raw")) => Measure::Raw,
            Some((span, "returning_bytes")) => {
                if r.page.is_none() || r.load.is_some() {
                    bad(span, "measure = \"returning_bytes\" is a page's: give `page` (and no `load`)".to_owned());
                }
                Measure::Returning
            }
            Some((span, other)) => {
                bad(span, format!("measure must be \"raw\", \"gzip\", \"brotli\" or \"returning_bytes\", not {other:?}"));
                Measure::Brotli
            }
        };
        let chosen = [r.files.is_some(), r.page.is_some(), r.kind.is_some()].iter().filter(|b| **b).count();
        let header = spanned.span();
        if chosen != 1 {
            bad(header.clone(), format!("budget {}: give exactly one of `files`, `page` or `type`", i + 1));
            continue;
        }
        if [max, warn, r.max_count, r.warn_count].iter().all(Option::is_none) && max_growth.is_none() && warn_growth.is_none() {
            bad(header.clone(), format!("budget {}: give a limit (`max`, `warn`, `max_count`, `warn_count`, `max_growth` or `warn_growth`)", i + 1));
            continue;
        }
        let target = if let Some(files) = &r.files {
            match globset::Glob::new(files.get_ref()) {
                Ok(g) => Target::Files { pattern: files.get_ref().clone(), matcher: g.compile_matcher(), each: r.each.unwrap_or(false) },
                Err(e) => {
                    bad(files.span(), format!("files: invalid glob: {}", e.kind()));
                    continue;
                }
            }
        } else if let Some(page) = &r.page {
            let load = match r.load.as_ref().map(|l| (l.span(), l.get_ref().as_str())) {
                None | Some((_, "initial")) => Load::Initial,
                Some((_, "lazy")) => Load::Lazy,
                Some((span, other)) => {
                    bad(span, format!("load must be \"initial\" or \"lazy\", not {other:?}"));
                    continue;
                }
            };
            Target::Page { page: page.trim_start_matches("./").to_owned(), load }
        } else {
            let kind = r.kind.as_ref().expect("one target is set");
            if !GROUPS.contains(&kind.get_ref().as_str()) {
                bad(kind.span(), format!("type must be one of {}, not {:?}", GROUPS.join(", "), kind.get_ref()));
                continue;
            }
            Target::Type { group: kind.get_ref().clone() }
        };
        let name = r.name.clone().unwrap_or_else(|| match &target {
            Target::Files { pattern, .. } => pattern.clone(),
            Target::Page { page, load: Load::Initial } => format!("{page} (initial)"),
            Target::Page { page, load: Load::Lazy } => format!("{page} (lazy)"),
            Target::Type { group } => format!("all {group} files"),
        });
        rules.push(Rule {
            name,
            target,
            measure,
            max,
            warn,
            max_count: r.max_count,
            warn_count: r.warn_count,
            max_growth,
            warn_growth,
            file: shown.to_owned(),
            line,
            column,
        });
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, shown: &str) -> Result<Vec<Rule>, crate::diagnostics::BuildError> {
        crate::budgets_file::parse(text, shown).map(|f| f.budget)
    }

    #[test]
    fn parses_rules_and_locates_errors() {
        let rules = parse(
            "[[budget]]\nfiles = \"assets/*.js\"\neach = true\nmax = \"170 KB\"\n\n[[budget]]\npage = \"index.html\"\nmax = 200000\nmeasure = \"gzip\"\n",
            "budgets.toml",
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].max, Some(170_000));
        assert_eq!((rules[1].line, rules[1].measure), (6, Measure::Gzip));
        let err = parse("[[budget]]\ntype = \"script\"\nmax = \"12 parsecs\"\nmaxx = 3\n", "budgets.toml").unwrap_err();
        let loc = err.diagnostics[0].location.as_ref().unwrap();
        assert_eq!(loc.line, 4, "{:?}", err.diagnostics);
        let err = parse("[[budget]]\ntype = \"script\"\nmax = \"12 parsecs\"\n", "budgets.toml").unwrap_err();
        let loc = err.diagnostics[0].location.as_ref().unwrap();
        assert_eq!((loc.line, loc.column), (3, 7));
        assert!(err.diagnostics[0].message.contains("max"));
    }
}
