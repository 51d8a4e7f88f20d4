//! budgets.toml, read once: `[[budget]]` limits on output sizes (checked after every build and
//! by `kiln check`) and `[[lab]]` limits on what `kiln lab` measures. One type for the file,
//! whose keys are checked together (an unknown table is an error, whichever command reads it)
//! and whose JSON Schema is generated from it.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::{BuildError, Diagnostic};

/// The file as written.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBudgetsFile {
    /// Limits on output sizes, checked after every build and by `kiln check`.
    #[serde(default)]
    #[schemars(with = "Vec<crate::budget::rules::RawRule>")]
    budget: Vec<Spanned<crate::budget::rules::RawRule>>,
    /// Limits on what `kiln lab` measures in a browser.
    #[serde(default)]
    #[schemars(with = "Vec<crate::lab::gate::RawRule>")]
    lab: Vec<Spanned<crate::lab::gate::RawRule>>,
}

/// The file's rules, checked.
#[derive(Debug, Clone)]
pub struct BudgetsFile {
    pub budget: Vec<crate::budget::rules::Rule>,
    pub lab: Vec<crate::lab::gate::Rule>,
}

/// Reads and checks a budgets file; `shown` is how messages name it.
pub fn load(path: &Path, shown: &str) -> Result<BudgetsFile, BuildError> {
    let text = std::fs::read_to_string(path).map_err(|e| BuildError::io(path, &e, "read the budgets file"))?;
    parse(&text, shown)
}

/// Checks the text of a budgets file: every problem of both tables, located.
pub fn parse(text: &str, shown: &str) -> Result<BudgetsFile, BuildError> {
    let raw: RawBudgetsFile = toml::from_str(text).map_err(|e| BuildError::one(Diagnostic::from_toml(&e, "budgets file", shown, text)))?;
    let mut diags = Vec::new();
    let budget = crate::budget::rules::rules(&raw.budget, text, shown, &mut diags);
    let lab = crate::lab::gate::rules(&raw.lab, text, shown, &mut diags);
    if diags.is_empty() {
        Ok(BudgetsFile { budget, lab })
    } else {
        Err(BuildError { diagnostics: diags })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_tables_are_read_and_their_problems_reported_together() {
        let file = super::parse("[[budget]]\ntype = \"script\"\nmax = \"10 KB\"\n\n[[lab]]\nlcp = \"2.5 s\"\n", "budgets.toml").unwrap();
        assert_eq!((file.budget.len(), file.lab.len()), (1, 1));
        let Err(err) = super::parse("[[budget]]\ntype = \"script\"\nmax = \"ten\"\n\n[[lab]]\nlcp = \"fast\"\n", "budgets.toml") else { panic!("accepted") };
        let lines: Vec<u32> = err.diagnostics.iter().filter_map(|d| d.location.as_ref().map(|l| l.line)).collect();
        assert!(lines.contains(&3) && lines.contains(&6), "{:?}", err.diagnostics);
        assert!(super::parse("[[budgets]]\nmax = 1\n", "budgets.toml").is_err(), "an unknown table");
    }
}
