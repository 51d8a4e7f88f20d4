//! `kiln serve`: the output served the way the CDN will serve it.
//!
//! tower-http's `ServeDir` picks the `.br` or `.gz` twin by Accept-Encoding (with
//! Content-Encoding and `Vary: Accept-Encoding`), answers ranges and conditional requests, never
//! lists folders and refuses paths that leave the folder. kiln adds the headers a CDN would
//! get from the origin: kiln's Content-Type table, and Cache-Control by whether a file is named
//! by its hash (read from the build manifest).
//!
//! Files offered as compression dictionaries get `Use-As-Dictionary`; a request naming one
//! in `Available-Dictionary` and accepting `dcb` or `dcz` gets the delta made against it, with
//! `Vary: Accept-Encoding, Available-Dictionary` ([`crate::delta`]); any other request gets
//! the twin, and deltas are never served at their own URLs.
//!
//! Under `kiln serve --watch` ([`Site::live`]), pages get a small script that listens to
//! `/__kiln/live` (server-sent events): the page reloads after a rebuild, and shows the
//! build's errors over itself after a failed one. Nothing else differs from what is served.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{
    HeaderName, HeaderValue, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, RANGE,
    VARY,
};
use axum::http::Method;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures::StreamExt;
use tokio::sync::broadcast;
use tower_http::services::ServeDir;

use crate::mime;
use crate::output::ServedIndex;

/// The path of the live-reload events under `kiln serve --watch`.
pub const LIVE_PATH: &str = "/__kiln/live";

/// What is served: the folder, what its manifest says about its files (read again after each
/// rebuild), and, under `--watch`, the live-reload channel.
pub struct Site {
    dir: PathBuf,
    /// The build manifest's file name in `dir`.
    manifest: String,
    /// The index, and the manifest's modification time it was read at: a folder rebuilt
    /// while served (by another `kiln build`) is read again.
    index: RwLock<(Arc<ServedIndex>, Option<std::time::SystemTime>)>,
    live: Option<Live>,
}

struct Live {
    /// Successful builds so far; a page knows the one it was served from.
    generation: AtomicU64,
    /// The last build's errors, while it is the last build.
    failed: Mutex<Option<String>>,
    notes: broadcast::Sender<Note>,
}

#[derive(Clone)]
enum Note {
    Reload(u64),
    Failed(String),
}

impl Site {
    /// `live`: pages reload after a rebuild and show a failed build's errors.
    /// `manifest`: the build manifest's file name in `dir`.
    pub fn new(dir: PathBuf, manifest: &str, live: bool) -> Arc<Site> {
        let live = live.then(|| Live { generation: AtomicU64::new(0), failed: Mutex::new(None), notes: broadcast::channel(16).0 });
        let site = Site { dir, manifest: manifest.to_owned(), index: RwLock::new((Arc::default(), None)), live };
        site.reload();
        Arc::new(site)
    }

    fn manifest_time(&self) -> Option<std::time::SystemTime> {
        std::fs::metadata(self.dir.join(&self.manifest)).and_then(|m| m.modified()).ok()
    }

    fn reload(&self) {
        let time = self.manifest_time();
        let index = crate::output::served_index(&self.dir, &self.manifest);
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = (Arc::new(index), time);
    }

    /// What the manifest says, read again when it changed.
    fn index(&self) -> Arc<ServedIndex> {
        let (index, time) = self.index.read().unwrap_or_else(|e| e.into_inner()).clone();
        if self.manifest_time() == time {
            return index;
        }
        self.reload();
        self.index.read().unwrap_or_else(|e| e.into_inner()).0.clone()
    }

    /// A rebuild succeeded: read its manifest, and reload open pages.
    pub fn rebuilt(&self) {
        self.reload();
        if let Some(live) = &self.live {
            *live.failed.lock().unwrap_or_else(|e| e.into_inner()) = None;
            let generation = live.generation.fetch_add(1, Ordering::SeqCst) + 1;
            let _ = live.notes.send(Note::Reload(generation));
        }
    }

    /// A rebuild failed (`errors` as the terminal shows them, without colour): open pages show
    /// them over themselves; the last good output stays served.
    pub fn failed(&self, errors: String) {
        if let Some(live) = &self.live {
            *live.failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(errors.clone());
            let _ = live.notes.send(Note::Failed(errors));
        }
    }

    pub fn router(self: &Arc<Site>) -> Router {
        let files = ServeDir::new(&self.dir).precompressed_br().precompressed_gzip().append_index_html_on_directories(true);
        let site = self.clone();
        let mut router = Router::new();
        if self.live.is_some() {
            let events_site = self.clone();
            router = router.route(LIVE_PATH, get(move || events(events_site.clone())));
        }
        router.fallback_service(files).layer(middleware::from_fn(move |req: Request, next: Next| {
            let site = site.clone();
            async move { headers(&site, req, next).await }
        }))
    }
}

pub fn router(dir: PathBuf, manifest: &str) -> Router {
    Site::new(dir, manifest, false).router()
}

/// The live-reload events: `hello` with the current build (a page served by an older one
/// reloads at once), the last errors if the last build failed, then each rebuild as it comes.
async fn events(site: Arc<Site>) -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
    let live = site.live.as_ref().expect("the route exists only when live");
    let notes = live.notes.subscribe();
    let mut first = vec![Event::default().event("hello").data(live.generation.load(Ordering::SeqCst).to_string())];
    if let Some(errors) = live.failed.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        first.push(Event::default().event("failed").data(errors));
    }
    let rest = futures::stream::unfold(notes, |mut notes| async move {
        loop {
            match notes.recv().await {
                Ok(Note::Reload(g)) => return Some((Event::default().event("reload").data(g.to_string()), notes)),
                Ok(Note::Failed(errors)) => return Some((Event::default().event("failed").data(errors), notes)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(futures::stream::iter(first).chain(rest).map(Ok)).keep_alive(KeepAlive::default())
}

/// The script a page gets under `--watch`: `built` is the build it was served from.
fn live_script(built: u64) -> String {
    format!("<script>/* kiln serve --watch */{}</script>", include_str!("serve_live.js").trim().replace("__BUILT__", &built.to_string()))
}

/// The page with the live script before its `</body>` (or at its end).
async fn with_live_script(res: Response, built: u64) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 256 << 20).await else {
        return Response::builder().status(StatusCode::INTERNAL_SERVER_ERROR).body(Body::from("cannot read the page")).unwrap_or_default();
    };
    let mut html = String::from_utf8_lossy(&bytes).into_owned();
    let at = html.to_ascii_lowercase().rfind("</body>").unwrap_or(html.len());
    html.insert_str(at, &live_script(built));
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.remove(ETAG);
    Response::from_parts(parts, Body::from(html))
}

/// The file under the served folder that a URL path names: decoded, without the leading `/`,
/// and `index.html` for a folder (as `ServeDir` resolves it).
pub fn file_of(url_path: &str) -> String {
    let mut path = percent_encoding::percent_decode_str(url_path).decode_utf8_lossy().trim_start_matches('/').to_owned();
    if path.is_empty() || path.ends_with('/') {
        path.push_str("index.html");
    }
    path
}

async fn headers(site: &Site, mut req: Request, next: Next) -> Response {
    if req.uri().path() == LIVE_PATH && site.live.is_some() {
        return next.run(req).await;
    }
    let path = file_of(req.uri().path());
    // Secret and private files and dotfiles (but .well-known/) are never served, whatever the
    // folder holds (one edited by hand, an older kiln's output): Vite's dev server denies them
    // too.
    let index = site.index();
    if crate::secrets::names::classify(&path) != crate::secrets::FileKind::Plain || index.delta_files.contains(&path) {
        return not_found();
    }
    let wanted = delta_wanted(&index, &path, &req);
    if let Some(res) = match wanted {
        Some(file) => delta_response(site, &index, &path, file).await,
        None => None,
    } {
        return res;
    }
    // A page gets the live script: served as it is on disk, not from a compressed twin, and
    // whole (a 304 would keep a copy naming an older build, which would reload again).
    let live = site.live.as_ref().filter(|_| path.ends_with(".html")).map(|l| l.generation.load(Ordering::SeqCst));
    if live.is_some() {
        for h in [ACCEPT_ENCODING, IF_MODIFIED_SINCE, IF_NONE_MATCH, RANGE] {
            req.headers_mut().remove(h);
        }
    }
    let mut res = next.run(req).await;
    if !(res.status().is_success() || res.status().as_u16() == 304) {
        return res;
    }
    if let Some(built) = live.filter(|_| res.status() == StatusCode::OK) {
        res = with_live_script(res, built).await;
    }
    file_headers(res.headers_mut(), &index, &path);
    if res.status() == StatusCode::OK {
        if let Some(v) = index.dictionaries.get(&path).and_then(|d| HeaderValue::from_str(d).ok()) {
            res.headers_mut().insert(USE_AS_DICTIONARY, v);
        }
    }
    res
}

const USE_AS_DICTIONARY: HeaderName = HeaderName::from_static("use-as-dictionary");
const AVAILABLE_DICTIONARY: HeaderName = HeaderName::from_static("available-dictionary");

fn not_found() -> Response {
    Response::builder().status(StatusCode::NOT_FOUND).body(Body::from("not found")).unwrap_or_default()
}

/// The headers every response for the file at `path` carries: its type, its caching, and for
/// a file with deltas, that its body depends on the dictionary the client holds.
fn file_headers(h: &mut axum::http::HeaderMap, index: &ServedIndex, path: &str) {
    h.insert(CACHE_CONTROL, HeaderValue::from_static(crate::cache_control::for_file(path, index.hashed.contains(path))));
    if let Ok(v) = HeaderValue::from_str(&mime::content_type(path)) {
        h.insert(CONTENT_TYPE, v);
    }
    if index.deltas.contains_key(path) {
        h.insert(VARY, HeaderValue::from_static("accept-encoding, available-dictionary"));
    }
}

/// The delta for a GET of `path` whose `Available-Dictionary` names a dictionary one was made
/// against, in an encoding it accepts; `None` for every other request (it gets the twin).
fn delta_wanted<'i>(index: &'i ServedIndex, path: &str, req: &Request) -> Option<&'i crate::output::ServedDelta> {
    if req.method() != Method::GET {
        return None;
    }
    let header = |name: &HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
    crate::delta::choose(index.deltas.get(path)?, header(&AVAILABLE_DICTIONARY), header(&ACCEPT_ENCODING))
}

/// The response carrying `delta` for `path` (`None` if its file cannot be read: the twin then).
async fn delta_response(site: &Site, index: &ServedIndex, path: &str, delta: &crate::output::ServedDelta) -> Option<Response> {
    let body = tokio::fs::read(site.dir.join(&delta.file)).await.ok()?;
    let mut res = Response::new(Body::from(body));
    let h = res.headers_mut();
    file_headers(h, index, path);
    h.insert(CONTENT_ENCODING, HeaderValue::from_static(delta.encoding.token()));
    if let Some(v) = index.dictionaries.get(path).and_then(|d| HeaderValue::from_str(d).ok()) {
        h.insert(USE_AS_DICTIONARY, v);
    }
    Some(res)
}

/// Serves `dir` until the process is stopped; `ready` is called with the bound address.
pub fn serve(dir: PathBuf, manifest: &str, addr: SocketAddr, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    serve_site(Site::new(dir, manifest, false), addr, ready)
}

/// Serves `site` until the process is stopped; `ready` is called with the bound address.
pub fn serve_site(site: Arc<Site>, addr: SocketAddr, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        ready(listener.local_addr()?);
        axum::serve(listener, site.router()).await
    })
}
