//! Sizes as people write them (shared by kiln.toml, budgets.toml and the reports): `170 KB`, `1.2 MiB`, `150000`, and growth as `5%` or `10 KB`.

/// A size in a TOML file: a string (`"170 KB"`) or a number of bytes.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum SizeValue {
    Bytes(u64),
    Text(String),
}

impl SizeValue {
    pub fn text(&self) -> String {
        match self {
            SizeValue::Bytes(b) => b.to_string(),
            SizeValue::Text(t) => t.clone(),
        }
    }

    pub fn bytes(&self) -> Result<u64, SizeError> {
        match self {
            SizeValue::Bytes(b) => Ok(*b),
            SizeValue::Text(t) => parse_size(t),
        }
    }
}

/// Why a size or a growth cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SizeError {
    #[error("{0:?} is not a size (write it like \"170 KB\", \"1.2 MiB\" or 150000)")]
    NotASize(String),
    #[error("unknown size unit {unit:?} in {text:?}; use B, KB, MB, GB, KiB, MiB or GiB")]
    Unit { unit: String, text: String },
    #[error("{0:?} is not a percentage")]
    NotAPercentage(String),
}

/// Bytes from `170 KB` (1000-based, as size-limit and Vite print), `1.2 MiB` (1024-based),
/// `150000` or `150000 B`.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.parse().map_err(|_| SizeError::NotASize(text.to_owned()))?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(SizeError::Unit { unit: other.to_owned(), text: text.to_owned() }),
    };
    Ok((value * factor).round() as u64)
}

/// Growth allowed relative to a baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Growth {
    Percent(f64),
    Bytes(u64),
}

impl Growth {
    pub fn parse(text: &str) -> Result<Growth, SizeError> {
        match text.trim().strip_suffix('%') {
            Some(p) => p.trim().parse().map(Growth::Percent).map_err(|_| SizeError::NotAPercentage(text.to_owned())),
            None => parse_size(text).map(Growth::Bytes),
        }
    }

    /// Whether growing from `base` to `value` exceeds this allowance.
    pub fn exceeded(self, base: u64, value: u64) -> bool {
        let grown = value.saturating_sub(base);
        match self {
            Growth::Bytes(b) => grown > b,
            Growth::Percent(p) => base > 0 && (grown as f64) > base as f64 * p / 100.0,
        }
    }
}

impl std::fmt::Display for Growth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Growth::Percent(p) => write!(f, "+{p}%"),
            Growth::Bytes(b) => write!(f, "+{}", format_size(*b)),
        }
    }
}

/// `12.30 kB`: 1000-based, as the build report, Vite and size-limit print sizes.
pub fn kb(bytes: u64) -> String {
    format!("{:.2} kB", bytes as f64 / 1000.0)
}

/// The same, for budgets' messages.
pub fn format_size(bytes: u64) -> String {
    kb(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("170 KB"), Ok(170_000));
        assert_eq!(parse_size("1.5 MiB"), Ok(1_572_864));
        assert_eq!(parse_size("150000"), Ok(150_000));
        assert_eq!(parse_size("12kB"), Ok(12_000));
        assert!(parse_size("big").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert_eq!(Growth::parse("5%"), Ok(Growth::Percent(5.0)));
        assert!(Growth::Percent(5.0).exceeded(100, 106));
        assert!(!Growth::Percent(5.0).exceeded(100, 105));
        assert!(Growth::Bytes(10).exceeded(100, 111));
    }
}
