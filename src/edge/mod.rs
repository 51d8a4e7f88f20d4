//! The edge code that serves a published output as `kiln serve` does: which compression-
//! dictionary delta, twin or file a request gets, and the headers S3 cannot store
//! (`Use-As-Dictionary`, `Vary`). A CloudFront Function pair (viewer request and viewer
//! response) and a Cloudflare Worker, written by `kiln edge`; see `docs/deltas.md`.

use std::collections::BTreeMap;

use base64::Engine;

use crate::config::DeltaEncoding;
use crate::output::ServedIndex;

/// The largest CloudFront Function, in bytes (CloudFront's quota).
pub const CLOUDFRONT_MAX_SIZE: usize = 10_240;

/// Which edge code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// The CloudFront Function for viewer requests: deltas (from the output's table), twins.
    CloudfrontRequest,
    /// The CloudFront Function for viewer responses: `Use-As-Dictionary` and `Vary`.
    CloudfrontResponse,
    /// The Cloudflare Worker: deltas (found at the origin), `Use-As-Dictionary` and `Vary`.
    CloudflareWorker,
}

/// The code, and what had to be left out of it (deltas over CloudFront's size limit).
#[derive(Debug, Clone)]
pub struct EdgeCode {
    pub code: String,
    /// Deltas left out of the CloudFront table: to keep the function under its size limit, or
    /// because their dictionary's hash starts as another's of the same file.
    pub left_out: usize,
}

/// The code of `edge` for the output whose manifest says `index`, served under `base`.
pub fn code(edge: Edge, index: &ServedIndex, base: &str) -> EdgeCode {
    match edge {
        Edge::CloudfrontRequest => cloudfront_request(index, base),
        Edge::CloudfrontResponse => EdgeCode { code: include_str!("cloudfront_response.js").to_owned(), left_out: 0 },
        Edge::CloudflareWorker => EdgeCode { code: include_str!("cloudflare_worker.js").to_owned(), left_out: 0 },
    }
}

/// One delta in the table: its file's URL path, its size, its dictionary (base64url) and its
/// entry (the dictionary's first 8 characters and the encoding's letter).
struct Entry {
    path: String,
    size: u64,
    id: String,
    text: String,
}

/// The viewer request function, with the deltas of the output in its table; when they do not
/// all fit in CloudFront's limit, the ones that save least (the largest) are left out.
fn cloudfront_request(index: &ServedIndex, base: &str) -> EdgeCode {
    let mut entries: Vec<Entry> = Vec::new();
    for (file, deltas) in &index.deltas {
        for d in deltas {
            let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.dictionary);
            let letter = if d.encoding == DeltaEncoding::Dcb { 'b' } else { 'z' };
            entries.push(Entry { path: crate::delta::site_path(base, file), size: d.size, text: format!("{}{letter}", &id[..8]), id });
        }
    }
    // Two dictionaries of one file whose hashes start alike could not be told apart by the
    // function, which would then send a delta the browser cannot decode: both are left out.
    let mut dictionaries: BTreeMap<(&str, &str), std::collections::BTreeSet<&str>> = BTreeMap::new();
    for e in &entries {
        dictionaries.entry((e.path.as_str(), &e.id[..8])).or_default().insert(&e.id);
    }
    let ambiguous: Vec<(String, String)> =
        dictionaries.into_iter().filter(|(_, ids)| ids.len() > 1).map(|((p, prefix), _)| (p.to_owned(), prefix.to_owned())).collect();
    let before = entries.len();
    entries.retain(|e| !ambiguous.iter().any(|(p, prefix)| *p == e.path && e.id.starts_with(prefix.as_str())));
    let ambiguous = before - entries.len();
    entries.sort_by(|a, b| (a.size, &a.path, &a.text).cmp(&(b.size, &b.path, &b.text)));
    let template = include_str!("cloudfront_request.js");
    let render = |kept: &[Entry]| {
        let mut table: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for e in kept {
            table.entry(&e.path).or_default().push(&e.text);
        }
        let joined: BTreeMap<&str, String> = table.into_iter().map(|(k, v)| (k, v.join(","))).collect();
        template.replace("__KILN_DELTAS__", &serde_json::to_string(&joined).expect("strings serialize"))
    };
    let mut kept = entries.len();
    loop {
        let code = render(&entries[..kept]);
        if code.len() <= CLOUDFRONT_MAX_SIZE || kept == 0 {
            return EdgeCode { code, left_out: entries.len() - kept + ambiguous };
        }
        kept -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::ServedDelta;

    fn index(files: usize, deltas: usize) -> ServedIndex {
        let mut index = ServedIndex::default();
        for f in 0..files {
            let list = (0..deltas)
                .map(|d| ServedDelta {
                    dictionary: crate::delta::dictionary_hash(format!("{f}-{d}").as_bytes()),
                    encoding: if d % 2 == 0 { DeltaEncoding::Dcb } else { DeltaEncoding::Dcz },
                    file: format!("assets/chunk-{f}.js.x.dcb"),
                    size: (f * 10 + d) as u64,
                    from: String::new(),
                })
                .collect();
            index.deltas.insert(format!("assets/chunk-{f}.abcdefgh.js"), list);
        }
        index
    }

    #[test]
    fn the_cloudfront_table_lists_each_delta_under_its_files_url() {
        let c = code(Edge::CloudfrontRequest, &index(2, 2), "/app/");
        assert_eq!(c.left_out, 0);
        let id = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::delta::dictionary_hash(s.as_bytes()))[..8].to_owned();
        assert!(c.code.contains(&format!("\"/app/assets/chunk-0.abcdefgh.js\":\"{}b,{}z\"", id("0-0"), id("0-1"))), "{}", c.code);
    }

    #[test]
    fn dictionaries_the_table_cannot_tell_apart_are_left_out() {
        let mut index = index(1, 1);
        let list = index.deltas.values_mut().next().unwrap();
        let mut twin = list[0].clone();
        twin.dictionary[31] ^= 1;
        list.push(twin);
        let c = code(Edge::CloudfrontRequest, &index, "/");
        assert_eq!(c.left_out, 2);
        assert!(c.code.contains("var DELTAS = {};"), "{}", c.code);
    }

    #[test]
    fn the_cloudfront_function_stays_under_its_size_limit() {
        let c = code(Edge::CloudfrontRequest, &index(200, 6), "/");
        assert!(c.code.len() <= CLOUDFRONT_MAX_SIZE && c.left_out > 0 && c.left_out < 1200, "{} bytes, {} left out", c.code.len(), c.left_out);
        // The smallest deltas are kept.
        assert!(c.code.contains("/assets/chunk-0.abcdefgh.js") && !c.code.contains("/assets/chunk-199.abcdefgh.js"));
    }
}
