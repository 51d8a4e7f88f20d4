//! `kiln serve`: the output served the way the CDN will serve it.
//!
//! tower-http's `ServeDir` picks the `.br` or `.gz` twin by Accept-Encoding (with
//! Content-Encoding and `Vary: Accept-Encoding`), answers ranges and conditional requests, never
//! lists folders and refuses paths that leave the folder. kiln adds the headers a CDN would
//! get from the origin: kiln's Content-Type table, and Cache-Control by whether a file is named
//! by its hash (read from the build manifest).
//!
//! Under `kiln serve --watch` ([`Site::live`]), pages get a small script that listens to
//! `/__kiln/live` (server-sent events): the page reloads after a rebuild, and shows the
//! build's errors over itself after a failed one. Nothing else differs from what is served.

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{HeaderValue, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, RANGE};
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

/// The path of the live-reload events under `kiln serve --watch`.
pub const LIVE_PATH: &str = "/__kiln/live";

/// What is served: the folder, the files named by their hash (read again after each rebuild),
/// and, under `--watch`, the live-reload channel.
pub struct Site {
    dir: PathBuf,
    hashed: RwLock<Arc<HashSet<String>>>,
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
    pub fn new(dir: PathBuf, hashed: HashSet<String>, live: bool) -> Arc<Site> {
        let live = live.then(|| Live { generation: AtomicU64::new(0), failed: Mutex::new(None), notes: broadcast::channel(16).0 });
        Arc::new(Site { dir, hashed: RwLock::new(Arc::new(hashed)), live })
    }

    /// A rebuild succeeded: serve `hashed` as hashed from now on, and reload open pages.
    pub fn rebuilt(&self, hashed: HashSet<String>) {
        *self.hashed.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(hashed);
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

pub fn router(dir: PathBuf, hashed: HashSet<String>) -> Router {
    Site::new(dir, hashed, false).router()
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
    if crate::secrets::names::classify(&path) != crate::secrets::FileKind::Plain {
        return Response::builder().status(StatusCode::NOT_FOUND).body(Body::from("not found")).unwrap_or_default();
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
    let hashed = site.hashed.read().unwrap_or_else(|e| e.into_inner()).clone();
    let cache = crate::cache_control::for_file(&path, hashed.contains(&path));
    let h = res.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&mime::content_type(&path)) {
        h.insert(CONTENT_TYPE, v);
    }
    res
}

/// Serves `dir` until the process is stopped; `ready` is called with the bound address.
pub fn serve(dir: PathBuf, hashed: HashSet<String>, addr: SocketAddr, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    serve_site(Site::new(dir, hashed, false), addr, ready)
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
