//! `kiln serve`: the output served the way the CDN will serve it.
//!
//! tower-http's `ServeDir` picks the `.br` or `.gz` twin by Accept-Encoding (with
//! Content-Encoding and `Vary: Accept-Encoding`), answers ranges and conditional requests, never
//! lists folders and refuses paths that leave the folder. kiln adds the headers a CDN would
//! get from the origin: kiln's Content-Type table, and Cache-Control by whether a file is named
//! by its hash (read from the build manifest).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::services::ServeDir;

use crate::mime;

pub fn router(dir: PathBuf, hashed: HashSet<String>) -> Router {
    let hashed = Arc::new(hashed);
    let files = ServeDir::new(&dir).precompressed_br().precompressed_gzip().append_index_html_on_directories(true);
    Router::new().fallback_service(files).layer(middleware::from_fn(move |req: Request, next: Next| {
        let hashed = hashed.clone();
        async move { headers(&hashed, req, next).await }
    }))
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

async fn headers(hashed: &HashSet<String>, req: Request, next: Next) -> Response {
    let path = file_of(req.uri().path());
    let mut res = next.run(req).await;
    if !(res.status().is_success() || res.status().as_u16() == 304) {
        return res;
    }
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
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        ready(listener.local_addr()?);
        axum::serve(listener, router(dir, hashed)).await
    })
}
