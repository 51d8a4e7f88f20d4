//! Driving Chromium: the output served on loopback, each page loaded `runs` times, the
//! results gathered (the `lab` feature).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chromiumoxide::{Browser, BrowserConfig};
use futures::StreamExt;

use super::metrics::{Metrics, Run};

use super::profile::Profile;
use super::{measure, metrics, Depends, LabReport, PageResult};

pub struct LabOptions {
    pub dir: PathBuf,
    pub manifest_name: String,
    /// Only the pages (paths under `dir`) this glob matches.
    pub pages: Option<globset::GlobMatcher>,
    pub runs: usize,
    pub profile: Profile,
    /// Loads in flight at once.
    pub jobs: usize,
    /// Keep frames of the screen (for the analysis page).
    pub filmstrip: bool,
    /// Where Chromium is found (see [`find_chrome`]).
    pub process: crate::environ::Env,
}

/// Switches for Chromium beside chromiumoxide's defaults, named without their leading `--`
/// (chromiumoxide adds it: given `--disable-gpu` it passed `----disable-gpu`, which Chromium
/// ignores). No GPU, and no window at start: each load opens its own.
const SWITCHES: [&str; 2] = ["disable-gpu", "no-startup-window"];
/// Features off: the browser's own WebUI omnibox popups, which new headless loads into a
/// renderer of every window, each load's included (measured: with them, a lab took 1.4× the
/// CPU time).
const DISABLED_FEATURES: &[&str] = &["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"];

/// Pages loading at once by default: one per core, at most 2. A page under CPU throttling
/// keeps most of a core busy (Chromium slows a renderer by making it spin), so more than one
/// per core slows them all; 2 at once on 2 cores measured as steady as 1 (LCP CV ≤ 2.3 %
/// over 5 runs) in 0.74× the time.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
}

/// Why the lab could not measure.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("{}: nothing to measure: the folder does not exist (run `kiln build` first)", .0.display())]
    NoOutput(PathBuf),
    #[error("{}: no page to measure (no .html file{})", dir.display(), if *filtered { " matches --pages" } else { "" })]
    NoPage { dir: PathBuf, filtered: bool },
    #[error("KILN_CHROME is {}, which is not a file", .0.display())]
    ChromeNotAFile(PathBuf),
    #[error("kiln lab needs Chromium or Chrome and found neither on PATH: install it (Debian/Ubuntu: `apt-get install chromium`; macOS: `brew install --cask chromium`) or set KILN_CHROME to its binary")]
    NoChrome,
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot serve on loopback: {0}")]
    Serve(std::io::Error),
    #[error("cannot make a browser profile folder in {}: {error}", dir.display())]
    Profile { dir: PathBuf, error: std::io::Error },
    #[error("cannot configure Chromium: {0}")]
    Configure(String),
    #[error("cannot start Chromium ({}): {error}", chrome.display())]
    Launch { chrome: PathBuf, error: chromiumoxide::error::CdpError },
    /// A page could not be loaded or measured (what the browser said).
    #[error("{page}: {message}")]
    Page { page: String, message: String },
}

/// Chromium: `KILN_CHROME`, else the first of the usual names on PATH.
pub fn find_chrome(process: &crate::environ::Env) -> Result<PathBuf, LabError> {
    if let Some(p) = process.var("KILN_CHROME") {
        let p = PathBuf::from(p);
        return if p.is_file() { Ok(p) } else { Err(LabError::ChromeNotAFile(p)) };
    }
    let path = process.var("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(LabError::NoChrome)
}

/// The pages under `dir`, sorted: every `.html` file, as a path with `/`.
pub fn pages(dir: &Path, only: Option<&globset::GlobMatcher>) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "html"))
        .filter_map(|e| e.path().strip_prefix(dir).ok().map(|p| p.to_string_lossy().replace('\\', "/")))
        .filter(|p| only.is_none_or(|g| g.is_match(p)))
        .collect();
    out.sort();
    out
}

/// Runs the lab. `progress` is told each finished load (page, run).
pub fn run(options: &LabOptions, progress: &(dyn Fn(&str, usize) + Sync)) -> Result<LabReport, LabError> {
    let started = Instant::now();
    if !options.dir.is_dir() {
        return Err(LabError::NoOutput(options.dir.clone()));
    }
    let pages = pages(&options.dir, options.pages.as_ref());
    if pages.is_empty() {
        return Err(LabError::NoPage { dir: options.dir.clone(), filtered: options.pages.is_some() });
    }
    let chrome = find_chrome(&options.process)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(LabError::Runtime)?;
    let runs = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(LabError::Serve)?;
        let origin = format!("http://{}", listener.local_addr().map_err(LabError::Serve)?);
        let router = crate::serve::router(options.dir.clone(), &options.manifest_name);
        let server = tokio::spawn(async move { axum::serve(listener, router).await });
        let profile_dir = tempfile_dir()?;
        let config = BrowserConfig::builder()
            .chrome_executable(&chrome)
            .new_headless_mode()
            .no_sandbox()
            .viewport(None)
            .user_data_dir(&profile_dir)
            .launch_timeout(Duration::from_secs(60))
            .request_timeout(Duration::from_secs(60))
            .args(SWITCHES)
            .arg(("disable-features", DISABLED_FEATURES))
            .build()
            .map_err(LabError::Configure)?;
        let (mut browser, mut handler) = Browser::launch(config).await.map_err(|error| LabError::Launch { chrome: chrome.clone(), error })?;
        let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
        // One load first, not counted and not throttled: the first load of a fresh browser
        // pays for caches that later ones find warm (measured: up to 15 % slower).
        if let Ok(mut warm) = measure::Load::open(&browser, &pages[0], None, false).await {
            if warm.navigate(&origin).await.is_ok() {
                warm.calm(measure::SETTLED).await;
            }
            warm.abandon().await;
        }
        let loads: Vec<(usize, String)> = (0..options.runs).flat_map(|r| pages.iter().map(move |p| (r, p.clone()))).collect();
        let results = measure_all(&browser, &origin, loads, options, progress).await;
        let _ = browser.close().await;
        let _ = browser.wait().await;
        events.abort();
        server.abort();
        let _ = std::fs::remove_dir_all(&profile_dir);
        Ok::<_, LabError>(results)
    })?;

    let mut by_page: BTreeMap<String, Vec<(usize, Run)>> = BTreeMap::new();
    for (page, r, result) in runs {
        let run = result.map_err(|message| LabError::Page { page: page.clone(), message })?;
        by_page.entry(page).or_default().push((r, run));
    }
    let pages = by_page
        .into_iter()
        .map(|(page, mut runs)| {
            runs.sort_by_key(|(r, _)| *r);
            let mut runs: Vec<Run> = runs.into_iter().map(|(_, run)| run).collect();
            let typical = metrics::typical(&runs);
            for (i, run) in runs.iter_mut().enumerate() {
                if i != typical {
                    run.filmstrip.clear();
                }
            }
            let depends = depends(&runs[typical]);
            PageResult { page, median: Metrics::of(&runs), typical, depends, runs }
        })
        .collect();
    Ok(LabReport {
        kiln: env!("CARGO_PKG_VERSION").into(),
        profile: options.profile.name.into(),
        runs: options.runs,
        pages,
        seconds: started.elapsed().as_secs_f64(),
    })
}

type Measured = (String, usize, Result<Run, String>);

/// Every load, `options.jobs` pages at a time between navigation and settling. A page opens
/// (a context, observers) while the one before it waits for its document, and a settled
/// page's quiet window and read-back go on while the next loads. A throttled renderer spins
/// on a core the whole time, so more pages loading than cores would slow each other down;
/// the overlap costs the page being measured nothing.
async fn measure_all(
    browser: &Browser,
    origin: &str,
    loads: Vec<(usize, String)>,
    options: &LabOptions,
    progress: &(dyn Fn(&str, usize) + Sync),
) -> Vec<Measured> {
    use futures::future::LocalBoxFuture;
    let sizes = measure::Sizes::new(&options.dir);
    let sizes = &sizes;
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
    let (tx, rx) = futures::channel::mpsc::unbounded::<LocalBoxFuture<'_, Measured>>();
    let open = |page: String| async move { measure::Load::open(browser, &page, Some(&options.profile), options.filmstrip).await };
    let driver = async move {
        let mut loads = loads.into_iter();
        let mut next = match loads.next() {
            Some((r, page)) => Some((r, open(page.clone()).await, page)),
            None => None,
        };
        while let Some((r, opened, page)) = next.take() {
            let Ok(slot) = slots.clone().acquire_owned().await else { break };
            let measured: LocalBoxFuture<'_, Measured> = match opened {
                Err(e) => Box::pin(futures::future::ready((page, r, Err(e)))),
                Ok(mut load) => match load.navigate(origin).await {
                    Err(e) => Box::pin(async move {
                        load.abandon().await;
                        (page, r, Err(e))
                    }),
                    Ok(()) => Box::pin(async move {
                        load.calm(measure::SETTLED).await;
                        drop(slot);
                        load.calm(measure::QUIET).await;
                        let result = load.finish(origin, sizes).await;
                        progress(&page, r);
                        (page, r, result)
                    }),
                },
            };
            let _ = tx.unbounded_send(measured);
            // The next page opens while this one waits for its document.
            next = match loads.next() {
                Some((r, page)) => Some((r, open(page.clone()).await, page)),
                None => None,
            };
        }
    };
    let (_, results) = futures::join!(driver, rx.buffer_unordered(usize::MAX).collect::<Vec<Measured>>());
    results
}

fn tempfile_dir() -> Result<PathBuf, LabError> {
    let dir = std::env::temp_dir().join(format!(
        "kiln-lab-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).map_err(|error| LabError::Profile { dir: dir.clone(), error })?;
    Ok(dir)
}

fn depends(run: &Run) -> Depends {
    let fcp = run.fcp.unwrap_or(f64::MAX);
    let lcp = run.lcp.unwrap_or(f64::MAX);
    let first: Vec<String> = run.fetched.iter().filter(|f| f.blocking && f.end <= fcp).map(|f| f.file.clone()).collect();
    let mut at_lcp = first.clone();
    at_lcp.extend(run.lcp_file.iter().cloned());
    at_lcp.extend(run.fetched.iter().filter(|f| f.group == "font" && f.end <= lcp).map(|f| f.file.clone()));
    at_lcp.dedup();
    let mut ran: Vec<(u64, String)> = run.unused_js.iter().filter(|u| u.unused < u.total).map(|u| (u.total - u.unused, u.file.clone())).collect();
    ran.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Depends { fcp: first, lcp: at_lcp, lcp_element: run.lcp_element.clone(), tbt: ran.into_iter().map(|(_, f)| f).collect(), cls: run.cls_elements.clone() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn chromium_switches_are_named_without_dashes() {
        for s in super::SWITCHES.iter().chain(super::DISABLED_FEATURES) {
            assert!(!s.starts_with('-') && !s.contains(' '), "{s}");
        }
        assert!(super::default_concurrency() >= 1 && super::default_concurrency() <= 2);
    }
}
