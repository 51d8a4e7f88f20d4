//! The build report: the table printed at the end of a build (like Vite's) and the same data as
//! JSON (`--json FILE`), which later builds and budgets can compare against.

use crate::log::Span;
use crate::size::kb;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::diagnostics::Diagnostic;
use crate::mime;
use crate::output::Compressed;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileReport {
    /// Path inside the output folder.
    pub path: String,
    /// Source path relative to the root (stable across builds, unlike `path`).
    pub src: Option<String>,
    /// document, stylesheet, script, image, font, media or other.
    pub group: String,
    pub hashed: bool,
    pub entry: bool,
    pub size: u64,
    pub gzip: Option<u64>,
    pub brotli: Option<u64>,
    pub hash: String,
    /// For bundles: the modules in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<crate::graph::ModuleInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timing {
    pub stage: String,
    /// Wall-clock time.
    pub ms: f64,
    /// CPU time of the whole process meanwhile (0 where the system does not tell).
    #[serde(default)]
    pub cpu_ms: f64,
}

/// What a page loads: at start (the page, its stylesheets, scripts with their static imports,
/// preloaded fonts) and later (dynamically imported code).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PageLoad {
    /// The page's source path.
    pub page: String,
    /// Output paths.
    pub initial: Vec<String>,
    pub lazy: Vec<String>,
    /// What a visitor who loaded the previous output's version of the page downloads to load
    /// this one, with deltas and with twins only (absent without a previous output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returning: Option<crate::output::Returning>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub kiln: String,
    pub out_dir: String,
    pub files: Vec<FileReport>,
    #[serde(default)]
    pub pages: Vec<PageLoad>,
    pub totals: Totals,
    #[serde(default)]
    pub timings: Vec<Timing>,
    #[serde(default, skip_deserializing)]
    pub warnings: Vec<Diagnostic>,
    /// With `css.prune`: rules removed per stylesheet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub css_pruned: Vec<PrunedCss>,
    /// What the images stage did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<ImageStats>,
    /// Build cache hits and misses (absent with `--no-cache`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<crate::cache::CacheStats>,
    /// Choices kiln made for the build, with their reasons (the hash cascade).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrunedCss {
    /// The stylesheet, or the page whose `<style>` elements were pruned.
    pub src: String,
    /// True for a page's `<style>` elements (sizes are then the page's).
    #[serde(default)]
    pub inline: bool,
    pub rules_before: usize,
    pub rules_removed: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Selectors removed, then `@keyframes name` / `@font-face family` removed.
    #[serde(default)]
    pub removed: Vec<String>,
}

/// Sums; `gzip` and `brotli` count a file's raw size when it has no such twin, so they are
/// what a browser asking for that encoding would download.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Totals {
    pub files: usize,
    pub size: u64,
    pub gzip: u64,
    pub brotli: u64,
}

const GROUP_ORDER: [&str; 7] = ["document", "stylesheet", "script", "font", "image", "media", "other"];

impl Report {
    pub fn new(out_dir: String, files: &[Compressed], timings: Vec<(&'static str, Span)>, warnings: Vec<Diagnostic>) -> Self {
        let mut list: Vec<FileReport> = files
            .iter()
            .map(|c| FileReport {
                path: c.file.path.clone(),
                src: c.file.src.clone(),
                group: mime::group(&c.file.path).to_owned(),
                hashed: c.file.hashed,
                entry: c.file.is_entry,
                size: c.file.bytes.len() as u64,
                gzip: c.gzip.as_ref().map(|z| z.len() as u64),
                brotli: c.brotli.as_ref().map(|z| z.len() as u64),
                hash: c.file.hash.clone(),
                modules: c.file.modules.clone(),
            })
            .collect();
        let rank = |g: &str| GROUP_ORDER.iter().position(|x| *x == g).unwrap_or(GROUP_ORDER.len());
        list.sort_by(|a, b| (rank(&a.group), a.size, &a.path).cmp(&(rank(&b.group), b.size, &b.path)));
        let totals = Totals {
            files: list.len(),
            size: list.iter().map(|f| f.size).sum(),
            gzip: list.iter().map(|f| f.gzip.unwrap_or(f.size)).sum(),
            brotli: list.iter().map(|f| f.brotli.unwrap_or(f.size)).sum(),
        };
        let timings = timings
            .into_iter()
            .map(|(stage, s)| Timing { stage: stage.to_owned(), ms: s.wall.as_secs_f64() * 1000.0, cpu_ms: s.cpu.as_secs_f64() * 1000.0 })
            .collect();
        let pages = page_loads(files);
        Report {
            kiln: env!("CARGO_PKG_VERSION").to_owned(),
            out_dir,
            files: list,
            pages,
            totals,
            timings,
            warnings,
            css_pruned: Vec::new(),
            images: None,
            cache: None,
            notes: Vec::new(),
        }
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
        out.push_str(&self.returning_lines());
        for note in &self.notes {
            let _ = writeln!(out, "{}", dim(note));
        }
        out
    }

    /// A line per page (the first ten) on what a visitor of the previous output downloads to load
    /// it, with deltas and with twins only; nothing without a previous output.
    fn returning_lines(&self) -> String {
        let pages: Vec<(&PageLoad, crate::output::Returning)> = self.pages.iter().filter_map(|p| Some((p, p.returning?))).collect();
        let mut out = String::new();
        for (p, r) in pages.iter().take(10) {
            let _ = writeln!(out, "returning visitors, {}: {} ({} with twins only)", p.page, kb(r.deltas).trim(), kb(r.twins).trim());
        }
        if pages.len() > 10 {
            let _ = writeln!(out, "returning visitors: {} more pages in the JSON report", pages.len() - 10);
        }
        out
    }

    pub fn timings_table(&self) -> String {
        let mut out = String::new();
        // Steps of a stage (`js.load`) are shown indented under it and not counted twice.
        // CPU time is the whole process's while the step ran; cores = CPU / wall.
        let stages = || self.timings.iter().filter(|t| !t.stage.contains('.'));
        let (total, total_cpu): (f64, f64) = (stages().map(|t| t.ms).sum(), stages().map(|t| t.cpu_ms).sum());
        let _ = writeln!(out, "  {:<12} {:>12} {:>12} {:>6}", "", "wall", "cpu", "cores");
        let row = |out: &mut String, name: &str, ms: f64, cpu: f64| {
            let cores = if ms >= 1.0 { format!("{:.2}", cpu / ms) } else { String::new() };
            let _ = writeln!(out, "  {name:<12} {ms:>9.1} ms {cpu:>9.1} ms {cores:>6}");
        };
        for t in &self.timings {
            row(&mut out, &t.stage, t.ms, t.cpu_ms);
        }
        row(&mut out, "total", total, total_cpu);
        if let Some(c) = &self.cache {
            let _ = writeln!(out, "  cache: {} hits, {} misses, {} damaged, {} evicted", c.hits, c.misses, c.corrupt, c.evicted);
            if let Some(r) = &c.remote {
                let _ = writeln!(
                    out,
                    "  remote cache: {} hits ({} bytes), {} misses, {} requests, {} written ({} bytes), {} rejected{}{}",
                    r.hits,
                    r.bytes_read,
                    r.misses,
                    r.requests,
                    r.written,
                    r.bytes_written,
                    r.rejected,
                    if r.read_only { ", read-only" } else { "" },
                    if r.failed { ", turned off after a failure" } else { "" }
                );
            }
        }
        out
    }
}

impl Report {
    /// The report of an output already on disk (for `kiln check`): sizes from the files and
    /// their twins, source paths and page loads from the build manifest.
    pub fn from_output(dir: &std::path::Path, manifest_name: &str) -> std::io::Result<Report> {
        let manifest: serde_json::Value =
            std::fs::read(dir.join(manifest_name)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(serde_json::Value::Null);
        let entries = manifest.as_object().cloned().unwrap_or_default();
        let files = files_on_disk(dir, manifest_name, &entries)?;
        let pages: Vec<PageLoad> = entries.iter().filter_map(|(key, e)| page_load(&entries, key, e)).collect();
        let totals = Totals {
            files: files.len(),
            size: files.iter().map(|f| f.size).sum(),
            gzip: files.iter().map(|f| f.gzip.unwrap_or(f.size)).sum(),
            brotli: files.iter().map(|f| f.brotli.unwrap_or(f.size)).sum(),
        };
        Ok(Report {
            kiln: env!("CARGO_PKG_VERSION").to_owned(),
            out_dir: dir.display().to_string(),
            files,
            pages,
            totals,
            timings: Vec::new(),
            warnings: Vec::new(),
            css_pruned: Vec::new(),
            images: None,
            cache: None,
            notes: Vec::new(),
        })
    }
}

/// Every file of the output on disk but the twins and the manifest, with its twins' sizes and
/// what the manifest says of it.
fn files_on_disk(dir: &std::path::Path, manifest_name: &str, entries: &serde_json::Map<String, serde_json::Value>) -> std::io::Result<Vec<FileReport>> {
    let src_of = |path: &str| entries.iter().find(|(_, e)| e["file"] == path).map(|(k, _)| k.clone());
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let path = crate::paths::display_path(entry.path(), dir);
        if path.ends_with(".gz") || path.ends_with(".br") || path == manifest_name || path == crate::graph::OUTPUT_MARKER {
            continue;
        }
        let size = entry.metadata().map_err(std::io::Error::other)?.len();
        let twin = |ext: &str| std::fs::metadata(dir.join(format!("{path}.{ext}"))).ok().map(|m| m.len());
        let src = src_of(&path);
        files.push(FileReport {
            group: mime::group(&path).to_owned(),
            hashed: src.is_some() && mime::group(&path) != "document",
            entry: src.as_ref().is_some_and(|s| entries[s]["isEntry"] == true),
            size,
            gzip: twin("gz"),
            brotli: twin("br"),
            hash: String::new(),
            modules: Vec::new(),
            src,
            path,
        });
    }
    Ok(files)
}

/// The load of a page of the manifest (`None` for other entries): what it fetches at start
/// (its CSS, fonts, the chunks it imports statically) and what `import()` may load later.
fn page_load(entries: &serde_json::Map<String, serde_json::Value>, key: &str, e: &serde_json::Value) -> Option<PageLoad> {
    let file = e["file"].as_str().filter(|f| mime::group(f) == "document")?;
    let mut initial = vec![file.to_owned()];
    let mut stack = vec![e.clone()];
    let mut lazy_keys: Vec<String> = Vec::new();
    while let Some(e) = stack.pop() {
        for k in e["dynamicImports"].as_array().into_iter().flatten().filter_map(|k| k.as_str()) {
            lazy_keys.push(k.to_owned());
        }
        let listed = |k: &str| e[k].as_array().cloned().unwrap_or_default();
        for css in listed("css") {
            if let Some(p) = css.as_str() {
                initial.push(p.to_owned());
            }
        }
        for asset in listed("assets") {
            if let Some(p) = asset.as_str().filter(|p| mime::group(p) == "font") {
                initial.push(p.to_owned());
            }
        }
        for import in listed("imports") {
            if let Some(next) = import.as_str().and_then(|k| entries.get(k)) {
                if let Some(p) = next["file"].as_str() {
                    if !initial.iter().any(|i| i == p) {
                        initial.push(p.to_owned());
                        stack.push(next.clone());
                    }
                }
            }
        }
    }
    // What `import()` may load later: lazy chunks, their CSS and static imports.
    let mut lazy: Vec<String> = Vec::new();
    let mut seen_keys: Vec<String> = Vec::new();
    while let Some(k) = lazy_keys.pop() {
        if seen_keys.contains(&k) {
            continue;
        }
        seen_keys.push(k.clone());
        let Some(e) = entries.get(&k) else { continue };
        let listed = |name: &str| -> Vec<String> { e[name].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect() };
        let mut files: Vec<String> = e["file"].as_str().map(str::to_owned).into_iter().collect();
        files.extend(listed("css"));
        for f in files {
            if !initial.contains(&f) && !lazy.contains(&f) {
                lazy.push(f);
            }
        }
        lazy_keys.extend(listed("imports"));
        lazy_keys.extend(listed("dynamicImports"));
    }
    initial.sort();
    initial.dedup();
    lazy.sort();
    Some(PageLoad { page: key.to_owned(), initial, lazy, returning: None })
}

/// The start-up load of every page: the page, and what it refers to that a browser fetches
/// before the page is usable (stylesheets, scripts and what they import statically, fonts).
fn page_loads(files: &[Compressed]) -> Vec<PageLoad> {
    use crate::graph::AssetKind;
    use crate::output::Origin;
    let by_path: std::collections::BTreeMap<&str, &crate::output::OutputFile> = files.iter().map(|c| (c.file.path.as_str(), &c.file)).collect();
    let mut pages: Vec<PageLoad> = files
        .iter()
        .filter(|c| c.file.origin == Origin::Asset(AssetKind::Html))
        .map(|c| {
            let (initial, lazy) = crate::output::page_load(&c.file, &by_path);
            PageLoad { page: c.file.src.clone().unwrap_or_default(), initial, lazy, returning: c.returning }
        })
        .collect();
    pages.sort_by(|a, b| a.page.cmp(&b.page));
    pages
}

/// An optional size as [`kb`] writes it, `-` when absent.
fn opt_kb(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "-".to_owned(), kb)
}

/// What the images stage did, for the report.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ImageStats {
    /// Images looked at (PNG, JPEG, SVG).
    pub files: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// WebP/AVIF and resized files made.
    pub variants: u64,
    /// Encodings done in this build (not taken from the cache).
    pub encoded: u64,
}
