//! Cloudflare cache purge after a publish (`publish.cloudflare_zone`): the same changed
//! unhashed paths the CloudFront invalidation names, as full URLs under `publish.site_url`,
//! sent 100 to a request (Cloudflare's limit of URLs in one purge request below Enterprise).
//! Past 2,500 URLs (25 requests, the burst a Free plan allows) the whole zone is purged
//! instead. A request refused for its rate (429) is sent again after the `Retry-After` the
//! API gives.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde::Deserialize;

use super::error::PublishError;

/// The API token, with the Zone > Cache Purge permission (the name Wrangler reads too).
pub const TOKEN_VAR: &str = "CLOUDFLARE_API_TOKEN";
/// Overrides the API's address (the tests point it at a stand-in; Wrangler reads it too).
pub const API_VAR: &str = "CLOUDFLARE_API_BASE_URL";
const API: &str = "https://api.cloudflare.com/client/v4";
/// URLs in one purge request.
pub const URLS_PER_REQUEST: usize = 100;
/// Past this many URLs the zone is purged whole.
pub const MAX_URLS: usize = 2500;
/// Rate-limited requests are sent again this many times, waiting at most `MAX_WAIT` each.
const RETRIES: u32 = 4;
const MAX_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Urls(Vec<String>),
    Everything,
}

/// What to purge for the changed viewer paths (as `invalidate::viewer_paths` gives them).
pub fn scope(site_url: &str, paths: &[String]) -> Scope {
    if paths.len() > MAX_URLS {
        return Scope::Everything;
    }
    let site = site_url.trim_end_matches('/');
    Scope::Urls(paths.iter().map(|p| format!("{site}{p}")).collect())
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    success: bool,
    #[serde(default)]
    errors: Vec<ApiError>,
    result: Option<Purged>,
}

#[derive(Deserialize)]
struct ApiError {
    code: i64,
    message: String,
}

#[derive(Deserialize)]
struct Purged {
    id: String,
}

/// Sends the purge requests; returns the ids the API gave them.
pub async fn send(zone: &str, token: &str, api: Option<&str>, scope: &Scope) -> Result<Vec<String>, PublishError> {
    let failed = |message: String| PublishError::Purge { zone: zone.to_owned(), message };
    let base = api.unwrap_or(API);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| failed(format!("no TLS root certificates: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build::<_, Full<Bytes>>(https);
    let uri = format!("{}/zones/{zone}/purge_cache", base.trim_end_matches('/'));
    let bodies: Vec<serde_json::Value> = match scope {
        Scope::Everything => vec![serde_json::json!({ "purge_everything": true })],
        Scope::Urls(urls) => urls.chunks(URLS_PER_REQUEST).map(|c| serde_json::json!({ "files": c })).collect(),
    };
    let mut ids = Vec::new();
    for body in bodies {
        let body = Bytes::from(serde_json::to_vec(&body).expect("JSON"));
        let mut attempt = 0;
        loop {
            let request = hyper::Request::post(&uri)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Full::new(body.clone()))
                .map_err(|e| failed(format!("{uri}: {e}")))?;
            let response = tokio::time::timeout(MAX_WAIT, client.request(request))
                .await
                .map_err(|_| failed(format!("{uri}: no answer in {} s", MAX_WAIT.as_secs())))?
                .map_err(|e| failed(format!("{uri}: {e:?}")))?;
            let status = response.status();
            let wait = response.headers().get("retry-after").and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
            let bytes = response.into_body().collect().await.map_err(|e| failed(format!("{uri}: {e}")))?.to_bytes();
            if status.as_u16() == 429 && attempt < RETRIES {
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(wait.unwrap_or(5)).min(MAX_WAIT)).await;
                continue;
            }
            let answer: Option<Answer> = serde_json::from_slice(&bytes).ok();
            match answer {
                Some(Answer { success: true, result, .. }) if status.is_success() => {
                    ids.extend(result.map(|r| r.id));
                    break;
                }
                Some(Answer { errors, .. }) if !errors.is_empty() => {
                    let what: Vec<String> = errors.iter().map(|e| format!("{} {}", e.code, e.message)).collect();
                    let hint = if status.as_u16() == 401 || status.as_u16() == 403 {
                        format!(" (check that {TOKEN_VAR} holds a token with Zone > Cache Purge on this zone)")
                    } else {
                        String::new()
                    };
                    return Err(failed(format!("HTTP {status}: {}{hint}", what.join("; "))));
                }
                _ => return Err(failed(format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)])))),
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_under_the_site_and_everything_past_the_limit() {
        let paths: Vec<String> = ["/", "/blog/", "/blog/index.html"].map(String::from).to_vec();
        assert_eq!(
            scope("https://example.com/", &paths),
            Scope::Urls(vec!["https://example.com/".into(), "https://example.com/blog/".into(), "https://example.com/blog/index.html".into()])
        );
        assert_eq!(scope("https://example.com/docs", &paths[..1]), Scope::Urls(vec!["https://example.com/docs/".into()]));
        let many: Vec<String> = (0..=MAX_URLS).map(|i| format!("/p{i}.html")).collect();
        assert_eq!(scope("https://example.com", &many), Scope::Everything);
        assert!(matches!(scope("https://example.com", &many[..MAX_URLS]), Scope::Urls(u) if u.len() == MAX_URLS));
    }
}
