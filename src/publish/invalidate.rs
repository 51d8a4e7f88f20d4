//! CloudFront invalidation after a publish (`publish.cloudfront_distribution`): only the
//! unhashed paths whose objects changed (hashed names never need it), falling back to `/*`
//! past CloudFront's limit of paths in one request.

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};

use super::error::PublishError;

/// CloudFront accepts at most 3,000 file paths in progress per distribution.
pub const MAX_PATHS: usize = 3000;

/// The paths to invalidate on CloudFront for the changed keys: their viewer paths, or `/*`
/// past CloudFront's limit.
pub fn paths(changed: &[String]) -> Vec<String> {
    let out = viewer_paths(changed);
    if out.len() > MAX_PATHS {
        return vec!["/*".to_owned()];
    }
    out
}

/// The viewer paths of the changed keys (without the bucket prefix, which the CDN's origin
/// path is expected to hold), sorted: each key, twins and deltas folded into their file, and `dir/` for
/// `dir/index.html`. CloudFront invalidates them, Cloudflare purges them under the site URL.
pub fn viewer_paths(changed: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for key in changed {
        let key = key.strip_suffix(".br").or_else(|| key.strip_suffix(".gz")).or_else(|| crate::delta::delta_of(key)).unwrap_or(key);
        let encoded = percent_encoding::utf8_percent_encode(key, PATH).to_string();
        if let Some(dir) = encoded.strip_suffix("index.html") {
            out.push(format!("/{dir}"));
        }
        out.push(format!("/{encoded}"));
    }
    out.sort();
    out.dedup();
    out
}

const PATH: &percent_encoding::AsciiSet =
    &percent_encoding::CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'<').add(b'>').add(b'?').add(b'`').add(b'{').add(b'}');

/// Sends the invalidation; returns its id.
pub async fn send(distribution: &str, paths: &[String], reference: &str, profile: Option<&str>) -> Result<String, PublishError> {
    let failed = |message: String| PublishError::Invalidation { distribution: distribution.to_owned(), message };
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    let shared = loader.load().await;
    let client = aws_sdk_cloudfront::Client::new(&shared);
    let batch = InvalidationBatch::builder()
        .caller_reference(reference)
        .paths(Paths::builder().quantity(paths.len() as i32).set_items(Some(paths.to_vec())).build().map_err(|e| failed(e.to_string()))?)
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let out = client.create_invalidation().distribution_id(distribution).invalidation_batch(batch).send().await.map_err(|e| {
        use aws_sdk_cloudfront::error::ProvideErrorMetadata;
        failed(format!("{}: {}", e.code().unwrap_or("error"), e.message().map_or_else(|| format!("{e:?}"), str::to_owned)))
    })?;
    Ok(out.invalidation().map(|i| i.id().to_owned()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_pages_and_their_folders() {
        let changed: Vec<String> = ["index.html", "index.html.br", "blog/index.html", "a b.html", "manifest.json"].map(String::from).to_vec();
        assert_eq!(paths(&changed), ["/", "/a%20b.html", "/blog/", "/blog/index.html", "/index.html", "/manifest.json"]);
        let many: Vec<String> = (0..=MAX_PATHS).map(|i| format!("p{i}.html")).collect();
        assert_eq!(paths(&many), ["/*"]);
    }
}
