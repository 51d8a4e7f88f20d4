//! One load of one page in Chromium, over the DevTools protocol: a fresh browser context (a
//! cold cache, no cookies), the profile's emulation, the observer script, JS and CSS coverage,
//! then navigation and a wait for quiet. What the page reports is read back as JSON and turned
//! into a [`Run`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::css;
use chromiumoxide::cdp::browser_protocol::dom;
use chromiumoxide::cdp::browser_protocol::emulation::{SetCpuThrottlingRateParams, SetDeviceMetricsOverrideParams};
// Network.emulateNetworkConditions is marked deprecated in the protocol (for a by-rule
// variant) but is what DevTools' throttling presets and Lighthouse use, and Chromium keeps it.
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
#[allow(deprecated)]
use chromiumoxide::cdp::browser_protocol::network::{self, EmulateNetworkConditionsParams};
use chromiumoxide::cdp::browser_protocol::page::{
    AddScriptToEvaluateOnNewDocumentParams, EventScreencastFrame, NavigateParams, ScreencastFrameAckParams, StartScreencastFormat, StartScreencastParams,
    StopScreencastParams,
};
use chromiumoxide::cdp::browser_protocol::target::{CreateBrowserContextParams, CreateTargetParams, DisposeBrowserContextParams};
use chromiumoxide::cdp::js_protocol::profiler;
use chromiumoxide::listeners::EventStream;
use chromiumoxide::{Browser, Page};
use futures::StreamExt;
use serde::Deserialize;

use super::metrics::{self, Fetched, Frame, LongTask, Problem, ProblemKind, Run, Shift, Unused};
use super::profile::Profile;

const OBSERVE: &str = include_str!("observe.js");

/// A load is over when the document is complete, no request is in flight, and neither a
/// response nor a long task has ended for this long.
pub const QUIET: Duration = Duration::from_millis(500);
/// A page is settled, and the next may start loading, once it has been calm for this long
/// (its own load goes on until it is quiet).
pub const SETTLED: Duration = Duration::from_millis(100);
/// How often a page's state is read while waiting.
const POLL: Duration = Duration::from_millis(50);
/// A load that never goes quiet is cut off here (and says so).
pub const CAP: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Observed {
    fcp: Option<f64>,
    lcp: Option<f64>,
    lcp_element: Option<String>,
    lcp_url: Option<String>,
    shifts: Vec<Shift>,
    long_tasks: Vec<LongTask>,
    problems: Vec<Problem>,
    resources: Vec<Resource>,
    now: f64,
    /// `performance.timeOrigin`: ms since the Unix epoch at navigation.
    origin: f64,
}

/// Frames of the screen at most this many to a run's filmstrip.
const FRAMES: usize = 8;

#[derive(Deserialize)]
struct Resource {
    url: String,
    transfer: f64,
    status: u16,
    blocking: bool,
    end: f64,
}

#[derive(Deserialize)]
struct State {
    now: f64,
    last: f64,
    complete: bool,
}

fn failed(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

/// One load of one page, from a fresh browser context to its [`Run`]. The lab drives it in
/// steps so that what costs no page time overlaps another load: [`Load::open`] (a context, a
/// page, the observers) runs while the previous page waits for its document, and the
/// previous page's quiet window and read-back run while this one does.
pub struct Load<'b> {
    browser: &'b Browser,
    context: BrowserContextId,
    tab: Page,
    pub page: String,
    profile: Option<Profile>,
    sheets: EventStream<css::EventStyleSheetAdded>,
    frames: Option<EventStream<EventScreencastFrame>>,
    shots: Vec<(f64, String)>,
    network: Network,
    started: Instant,
}

impl<'b> Load<'b> {
    /// A fresh browser context (a cold cache, no cookies) with one blank page, ready to load
    /// `page` under `profile` (none: no emulation at all, for the warm-up load). With
    /// `filmstrip`, frames of the screen are kept.
    pub(super) async fn open(browser: &'b Browser, page: &str, profile: Option<&Profile>, filmstrip: bool) -> Result<Load<'b>, String> {
        let context =
            browser.execute(CreateBrowserContextParams::default()).await.map_err(|e| failed("cannot open a browser context", e))?.result.browser_context_id;
        let target = CreateTargetParams::builder().url("about:blank").browser_context_id(context.clone()).build().map_err(|e| failed("new page", e))?;
        let tab = match browser.new_page(target).await {
            Ok(tab) => tab,
            Err(e) => {
                let _ = browser.execute(DisposeBrowserContextParams::new(context)).await;
                return Err(failed("cannot open a page", e));
            }
        };
        match observe(&tab, profile, filmstrip).await {
            Ok((sheets, frames, network)) => Ok(Load {
                browser,
                context,
                tab,
                page: page.to_owned(),
                profile: profile.copied(),
                sheets,
                frames,
                shots: Vec::new(),
                network,
                started: Instant::now(),
            }),
            Err(e) => {
                close(browser, tab, context).await;
                Err(e)
            }
        }
    }

    /// Slows the CPU down (only now: a throttled renderer spins on a core the whole time) and
    /// starts the navigation to `origin` + `/` + the page.
    pub(super) async fn navigate(&mut self, origin: &str) -> Result<(), String> {
        if let Some(p) = &self.profile {
            self.tab.execute(SetCpuThrottlingRateParams::new(p.cpu)).await.map_err(|e| failed("CPU throttling", e))?;
        }
        self.started = Instant::now();
        self.tab.execute(NavigateParams::new(format!("{origin}/{}", self.page))).await.map_err(|e| failed("navigation", e))?;
        Ok(())
    }

    /// Waits until the document is complete, no request is in flight, and neither a response
    /// nor a long task has ended for `calm` (or until [`CAP`]).
    pub async fn calm(&mut self, calm: Duration) {
        loop {
            take_frames(&self.tab, &mut self.frames, &mut self.shots).await;
            self.network.drain();
            let state: Option<State> =
                self.tab.evaluate("window.__kilnLab ? window.__kilnLab.state() : null").await.ok().and_then(|r| r.into_value::<Option<State>>().ok().flatten());
            if let Some(s) = state {
                if s.complete && s.now - s.last >= calm.as_millis() as f64 && self.network.calm(calm) {
                    return;
                }
            }
            if self.started.elapsed() > CAP {
                return;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Reads what the page measured, closes it, and makes it a [`Run`] (unused code scaled to
    /// the files' `sizes`).
    pub(super) async fn finish(mut self, origin: &str, sizes: &Sizes) -> Result<Run, String> {
        // Reading back costs no page time: at full speed, it is over sooner.
        if self.profile.is_some_and(|p| p.cpu != 1.0) {
            let _ = self.tab.execute(SetCpuThrottlingRateParams::new(1.0)).await;
        }
        let result = self.read(origin, sizes).await;
        close(self.browser, self.tab, self.context).await;
        result
    }

    /// Closes the page without reading it.
    pub async fn abandon(self) {
        close(self.browser, self.tab, self.context).await;
    }

    async fn read(&mut self, origin: &str, sizes: &Sizes) -> Result<Run, String> {
        let tab = &self.tab;
        let cdp = |what: &'static str| move |e: chromiumoxide::error::CdpError| failed(what, e);
        let json: String = tab
            .evaluate("window.__kilnLab.collect()")
            .await
            .map_err(cdp("reading the page's measures"))?
            .into_value()
            .map_err(|e| failed("reading the page's measures", e))?;
        let observed: Observed = serde_json::from_str(&json).map_err(|e| failed("the page's measures", e))?;
        if self.frames.is_some() {
            take_frames(tab, &mut self.frames, &mut self.shots).await;
            let _ = tab.execute(StopScreencastParams::default()).await;
        }
        let coverage = tab.execute(profiler::TakePreciseCoverageParams::default()).await.map_err(cdp("JS coverage"))?.result.result;
        let usage = tab.execute(css::StopRuleUsageTrackingParams::default()).await.map_err(cdp("CSS coverage"))?.result.rule_usage;
        let mut sheet_urls: HashMap<String, String> = HashMap::new();
        while let Some(Some(e)) = futures::FutureExt::now_or_never(self.sheets.next()) {
            sheet_urls.insert(e.header.style_sheet_id.inner().clone(), e.header.source_url.clone());
        }
        let capped = self.started.elapsed() > CAP;
        Ok(to_run(observed, &self.shots, coverage, usage, &sheet_urls, capped, origin, sizes))
    }
}

/// The sizes of the served scripts and stylesheets that coverage is scaled to: in bytes, and
/// in UTF-16 units (what coverage offsets count). Each file is read once per lab, not once
/// per load.
pub struct Sizes {
    dir: PathBuf,
    known: Mutex<HashMap<String, Option<(u64, usize)>>>,
}

impl Sizes {
    /// Sizes of the files under `dir`, the served folder.
    pub fn new(dir: &Path) -> Sizes {
        Sizes { dir: dir.to_path_buf(), known: Mutex::default() }
    }

    fn of(&self, file: &str) -> Option<(u64, usize)> {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        *known.entry(file.to_owned()).or_insert_with(|| std::fs::read_to_string(self.dir.join(file)).ok().map(|t| (t.len() as u64, t.encode_utf16().count())))
    }
}

async fn close(browser: &Browser, tab: Page, context: BrowserContextId) {
    let _ = tab.close().await;
    let _ = browser.execute(DisposeBrowserContextParams::new(context)).await;
}

type Observers = (EventStream<css::EventStyleSheetAdded>, Option<EventStream<EventScreencastFrame>>, Network);

/// The profile's emulation (but the CPU's, set at navigation), the observer script, JS and
/// CSS coverage, the network events, and the screencast for a filmstrip.
async fn observe(tab: &Page, profile: Option<&Profile>, filmstrip: bool) -> Result<Observers, String> {
    let cdp = |what: &'static str| move |e: chromiumoxide::error::CdpError| failed(what, e);
    tab.execute(network::EnableParams::default()).await.map_err(cdp("network"))?;
    if let Some(profile) = profile {
        tab.execute(SetDeviceMetricsOverrideParams::new(profile.width, profile.height, profile.scale, profile.mobile))
            .await
            .map_err(cdp("device emulation"))?;
        let (down, up) = profile.bytes_per_second();
        #[allow(deprecated)]
        tab.execute(EmulateNetworkConditionsParams::new(false, profile.latency_ms, down, up)).await.map_err(cdp("network throttling"))?;
    }
    tab.execute(AddScriptToEvaluateOnNewDocumentParams::new(OBSERVE)).await.map_err(cdp("observer script"))?;
    tab.execute(profiler::EnableParams::default()).await.map_err(cdp("profiler"))?;
    tab.execute(profiler::StartPreciseCoverageParams::builder().call_count(false).detailed(true).build()).await.map_err(cdp("JS coverage"))?;
    let sheets = tab.event_listener::<css::EventStyleSheetAdded>().await.map_err(cdp("stylesheets"))?;
    tab.execute(dom::EnableParams::default()).await.map_err(cdp("DOM"))?;
    tab.execute(css::EnableParams::default()).await.map_err(cdp("CSS"))?;
    tab.execute(css::StartRuleUsageTrackingParams::default()).await.map_err(cdp("CSS coverage"))?;
    let mut frames = None;
    if filmstrip {
        frames = Some(tab.event_listener::<EventScreencastFrame>().await.map_err(cdp("screencast"))?);
        let params = StartScreencastParams::builder().format(StartScreencastFormat::Jpeg).quality(40).max_width(240).max_height(480).every_nth_frame(1).build();
        tab.execute(params).await.map_err(cdp("screencast"))?;
    }
    let network = Network::listen(tab).await.map_err(cdp("network events"))?;
    Ok((sheets, frames, network))
}

/// Requests in flight, from the DevTools protocol's network events: a page is not quiet while
/// one is (a chunk requested after some work shows in no Performance API until it ends).
struct Network {
    sent: EventStream<network::EventRequestWillBeSent>,
    finished: EventStream<network::EventLoadingFinished>,
    failed: EventStream<network::EventLoadingFailed>,
    in_flight: std::collections::HashSet<String>,
    last: Instant,
}

impl Network {
    async fn listen(tab: &Page) -> chromiumoxide::Result<Network> {
        Ok(Network {
            sent: tab.event_listener::<network::EventRequestWillBeSent>().await?,
            finished: tab.event_listener::<network::EventLoadingFinished>().await?,
            failed: tab.event_listener::<network::EventLoadingFailed>().await?,
            in_flight: Default::default(),
            last: Instant::now(),
        })
    }

    fn drain(&mut self) {
        use futures::FutureExt;
        while let Some(Some(e)) = self.sent.next().now_or_never() {
            // Streams that stay open by design never end a load.
            if e.r#type != Some(network::ResourceType::EventSource) {
                self.in_flight.insert(e.request_id.inner().clone());
            }
            self.last = Instant::now();
        }
        while let Some(Some(e)) = self.finished.next().now_or_never() {
            self.in_flight.remove(e.request_id.inner());
            self.last = Instant::now();
        }
        while let Some(Some(e)) = self.failed.next().now_or_never() {
            self.in_flight.remove(e.request_id.inner());
            self.last = Instant::now();
        }
    }

    fn calm(&self, calm: Duration) -> bool {
        self.in_flight.is_empty() && self.last.elapsed() >= calm
    }
}

/// Acknowledges the screencast frames that arrived (the browser sends the next only then) and
/// keeps them as (ms since the epoch, JPEG in base64).
async fn take_frames(tab: &Page, stream: &mut Option<EventStream<EventScreencastFrame>>, shots: &mut Vec<(f64, String)>) {
    let Some(stream) = stream.as_mut() else { return };
    while let Some(Some(frame)) = futures::FutureExt::now_or_never(stream.next()) {
        let _ = tab.execute(ScreencastFrameAckParams::new(frame.session_id)).await;
        if let Some(ts) = &frame.metadata.timestamp {
            shots.push((*ts.inner() * 1000.0, AsRef::<str>::as_ref(&frame.data).to_owned()));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn to_run(
    observed: Observed,
    shots: &[(f64, String)],
    coverage: Vec<profiler::ScriptCoverage>,
    usage: Vec<css::RuleUsage>,
    sheet_urls: &HashMap<String, String>,
    capped: bool,
    origin: &str,
    sizes: &Sizes,
) -> Run {
    // The file the server answered with, named as under the served folder.
    let file_of = |u: &str| {
        let path = u.strip_prefix(origin).unwrap_or(u);
        crate::serve::file_of(path.split(['?', '#']).next().unwrap_or(path))
    };
    let local = |u: &str| u.starts_with(origin);

    let mut run = Run {
        fcp: observed.fcp,
        lcp: observed.lcp,
        lcp_element: observed.lcp_element,
        lcp_file: observed.lcp_url.as_deref().filter(|u| !u.is_empty() && !u.starts_with("data:")).map(|u| if local(u) { file_of(u) } else { u.to_owned() }),
        cls: 0.0,
        cls_elements: Vec::new(),
        tbt: metrics::tbt(&observed.long_tasks, observed.fcp, observed.now),
        quiet: observed.now,
        by_type: BTreeMap::new(),
        fetched: Vec::new(),
        unused_js: Vec::new(),
        unused_css: Vec::new(),
        problems: observed.problems,
        filmstrip: strip(shots, observed.origin, observed.now),
    };
    (run.cls, run.cls_elements) = metrics::cls(&observed.shifts);
    if capped {
        run.problems.push(Problem { kind: ProblemKind::Exception, message: format!("the page was still busy after {} s", CAP.as_secs()) });
    }
    for r in &observed.resources {
        let file = if local(&r.url) { file_of(&r.url) } else { r.url.clone() };
        // The browser asks for /favicon.ico by itself when a page names no icon: not the
        // page's request, and not counted.
        if file == "favicon.ico" && r.status >= 400 {
            continue;
        }
        let group = crate::mime::group(&file).to_owned();
        let t = run.by_type.entry(group.clone()).or_default();
        t.requests += 1;
        t.bytes += r.transfer as u64;
        if r.status >= 400 && !run.problems.iter().any(|p| p.kind == ProblemKind::FailedRequest && p.message.starts_with(&r.url)) {
            run.problems.push(Problem { kind: ProblemKind::FailedRequest, message: format!("{} answered {}", r.url, r.status) });
        }
        run.fetched.push(Fetched { file, group, bytes: r.transfer as u64, status: r.status, blocking: r.blocking, end: r.end });
    }
    // Element load errors name the URL; a 4xx already reported by status is not counted twice.
    run.problems.dedup();

    for script in coverage.iter().filter(|s| local(&s.url)) {
        let file = file_of(&script.url);
        if file.ends_with(".html") {
            continue; // inline scripts: part of the page
        }
        let Some((total, units)) = sizes.of(&file) else { continue };
        let ranges: Vec<(usize, usize, i64)> =
            script.functions.iter().flat_map(|f| f.ranges.iter().map(|r| (r.start_offset.max(0) as usize, r.end_offset.max(0) as usize, r.count))).collect();
        let unused_units = metrics::unused_js(units, &ranges);
        let unused = (total as f64 * unused_units as f64 / units.max(1) as f64).round() as u64;
        if let Some(u) = run.unused_js.iter_mut().find(|u| u.file == file) {
            u.unused = u.unused.min(unused);
        } else {
            run.unused_js.push(Unused { file, total, unused });
        }
    }
    let mut used: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for u in usage.iter().filter(|u| u.used) {
        if let Some(url) = sheet_urls.get(u.style_sheet_id.inner()) {
            used.entry(url.clone()).or_default().push((u.start_offset as usize, u.end_offset as usize));
        }
    }
    for url in sheet_urls.values().filter(|u| local(u)) {
        let file = file_of(url);
        if file.ends_with(".html") || run.unused_css.iter().any(|u| u.file == file) {
            continue;
        }
        let Some((total, units)) = sizes.of(&file) else { continue };
        let used_units = used.get(url).map_or(0, |r| metrics::union_len(r)).min(units);
        let unused = (total as f64 * (units - used_units) as f64 / units.max(1) as f64).round() as u64;
        run.unused_css.push(Unused { file, total, unused });
    }
    run.unused_js.sort_by(|a, b| b.unused.cmp(&a.unused).then(a.file.cmp(&b.file)));
    run.unused_css.sort_by(|a, b| b.unused.cmp(&a.unused).then(a.file.cmp(&b.file)));
    run
}

/// At most [`FRAMES`] frames, the last one shown at each of as many even steps to `end` (ms
/// since navigation), each once.
fn strip(shots: &[(f64, String)], origin: f64, end: f64) -> Vec<Frame> {
    let mut out: Vec<Frame> = Vec::new();
    for i in 1..=FRAMES {
        let at = end * i as f64 / FRAMES as f64;
        if let Some((t, jpeg)) = shots.iter().rev().find(|(t, _)| t - origin <= at) {
            if out.last().is_none_or(|f| f.jpeg != *jpeg) {
                out.push(Frame { t: (t - origin).max(0.0).round(), jpeg: jpeg.clone() });
            }
        }
    }
    out
}
