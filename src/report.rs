//! The build report: the table printed at the end of a build (like Vite's) and the same data as
//! JSON (`--json FILE`), which later builds and budgets can compare against.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::mime;
use crate::stages::compress::Compressed;

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// Path inside the output folder.
    pub path: String,
    /// Source path relative to the root (stable across builds, unlike `path`).
    pub src: Option<String>,
    /// document, stylesheet, script, image, font, media or other.
    pub group: &'static str,
    pub hashed: bool,
    pub entry: bool,
    pub size: u64,
    pub gzip: Option<u64>,
    pub brotli: Option<u64>,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub stage: &'static str,
    pub ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kiln: &'static str,
    pub out_dir: String,
    pub files: Vec<FileReport>,
    pub totals: Totals,
    pub timings: Vec<Timing>,
    pub warnings: Vec<Diagnostic>,
}

/// Sums; `gzip` and `brotli` count a file's raw size when it has no such twin, so they are
/// what a browser asking for that encoding would download.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub files: usize,
    pub size: u64,
    pub gzip: u64,
    pub brotli: u64,
}

const GROUP_ORDER: [&str; 7] = ["document", "stylesheet", "script", "font", "image", "media", "other"];

impl Report {
    pub fn new(out_dir: String, files: &[Compressed], timings: Vec<(&'static str, Duration)>, warnings: Vec<Diagnostic>) -> Self {
        let mut list: Vec<FileReport> = files
            .iter()
            .map(|c| FileReport {
                path: c.file.path.clone(),
                src: c.file.src.clone(),
                group: mime::group(&c.file.path),
                hashed: c.file.hashed,
                entry: c.file.is_entry,
                size: c.file.bytes.len() as u64,
                gzip: c.gzip.as_ref().map(|z| z.len() as u64),
                brotli: c.brotli.as_ref().map(|z| z.len() as u64),
                hash: c.file.hash.clone(),
            })
            .collect();
        let rank = |g: &str| GROUP_ORDER.iter().position(|x| *x == g).unwrap_or(GROUP_ORDER.len());
        list.sort_by(|a, b| (rank(a.group), a.size, &a.path).cmp(&(rank(b.group), b.size, &b.path)));
        let totals = Totals {
            files: list.len(),
            size: list.iter().map(|f| f.size).sum(),
            gzip: list.iter().map(|f| f.gzip.unwrap_or(f.size)).sum(),
            brotli: list.iter().map(|f| f.brotli.unwrap_or(f.size)).sum(),
        };
        let timings = timings.into_iter().map(|(stage, d)| Timing { stage, ms: d.as_secs_f64() * 1000.0 }).collect();
        Report { kiln: env!("CARGO_PKG_VERSION"), out_dir, files: list, totals, timings, warnings }
    }

    /// The table, one file a line, grouped by kind, smallest first within a group.
    pub fn table(&self, color: bool) -> String {
        let dim = |s: &str| if color { format!("\x1b[2m{s}\x1b[0m") } else { s.to_owned() };
        let prefix = format!("{}/", self.out_dir.trim_end_matches('/'));
        let width = self.files.iter().map(|f| prefix.len() + f.path.chars().count()).max().unwrap_or(0);
        let mut out = String::new();
        for f in &self.files {
            let name = format!("{prefix}{}", f.path);
            let pad = " ".repeat(width.saturating_sub(name.chars().count()));
            let _ = write!(out, "{}{}{pad}  {:>10}", dim(&prefix), f.path, kb(f.size));
            match (f.gzip, f.brotli) {
                (None, None) => {}
                (g, b) => {
                    let _ = write!(out, " {} gzip: {:>10} {} brotli: {:>10}", dim("│"), opt_kb(g), dim("│"), opt_kb(b));
                }
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{} files, {} {} gzip: {} {} brotli: {}",
            self.totals.files,
            kb(self.totals.size),
            dim("│"),
            kb(self.totals.gzip),
            dim("│"),
            kb(self.totals.brotli)
        );
        out
    }

    pub fn timings_table(&self) -> String {
        let mut out = String::new();
        // Steps of a stage (`js.load`) are shown indented under it and not counted twice.
        let total: f64 = self.timings.iter().filter(|t| !t.stage.contains('.')).map(|t| t.ms).sum();
        for t in &self.timings {
            let _ = writeln!(out, "  {:<12} {:>9.1} ms", t.stage, t.ms);
        }
        let _ = writeln!(out, "  {:<12} {:>9.1} ms", "total", total);
        out
    }
}

/// Sizes as Vite prints them: kilobytes of 1000 bytes, two decimals.
pub fn kb(bytes: u64) -> String {
    format!("{:.2} kB", bytes as f64 / 1000.0)
}

fn opt_kb(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "-".to_owned(), kb)
}
