//! Compression-dictionary deltas (RFC 9842, issue 36): a build after a one-line change makes
//! `dcb` and `dcz` deltas against the previous output and the versions the build cache
//! recorded; `kiln serve` sends them only to a client that holds the dictionary and accepts
//! the encoding; Chromium, returning after a rebuild, receives the changed chunks as deltas
//! and the page behaves the same.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{copy_dir, http_get, kiln, read_tree, repo, serve, succeed};

/// Puts the build cache of the project `root` in `cache` (prepended to its kiln.toml).
fn cache_in(root: &Path, cache: &Path) {
    let toml = root.join("kiln.toml");
    let text = std::fs::read_to_string(&toml).unwrap_or_default();
    std::fs::write(&toml, format!("cache_dir = {:?}\n{text}", cache.display().to_string())).unwrap();
}

/// Builds `root` into `out`, with its build cache (`cached`) or without one.
fn build(root: &Path, out: &Path, cached: bool, extra: &[&str]) {
    let mut cmd = kiln();
    cmd.arg("build").arg(root).arg("--out").arg(out).args(["-q", "--no-budgets"]).args(extra);
    if !cached {
        cmd.arg("--no-cache");
    }
    let result = cmd.output().unwrap();
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
}

fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

/// Edits `file` under `root`: `from` must be there.
fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} no longer contains {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Each manifest entry with deltas: (source, file, deltas).
fn with_deltas(m: &Value) -> Vec<(String, String, Vec<Value>)> {
    m.as_object().unwrap().iter().filter_map(|(k, e)| Some((k.clone(), e["file"].as_str()?.to_owned(), e["deltas"].as_array()?.clone()))).collect()
}

fn decode(body: &[u8], encoding: &str, dictionary: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let sha: [u8; 32] = sha2::Sha256::digest(dictionary).into();
    let mut out = Vec::new();
    match encoding {
        "dcb" => {
            assert_eq!(&body[..4], &[0xFF, 0x44, 0x43, 0x42]);
            assert_eq!(&body[4..36], &sha);
            brotli_decompressor::BrotliDecompressCustomDict(&mut &body[36..], &mut out, &mut [0; 4096], &mut [0; 4096], dictionary.to_vec()).unwrap();
        }
        "dcz" => {
            use zstd::zstd_safe::{DCtx, DictContentType};
            assert_eq!(&body[..8], &[0x5E, 0x2A, 0x4D, 0x18, 0x20, 0, 0, 0]);
            assert_eq!(&body[8..40], &sha);
            let mut d = DCtx::create();
            d.load_dictionary_advanced(dictionary, DictContentType::RawContent).unwrap();
            out.reserve(1 << 24);
            d.decompress(&mut out, &body[40..]).unwrap();
        }
        other => panic!("not a delta encoding: {other}"),
    }
    out
}

/// The sample site built (deploy N), then again after a one-line change in a module (N+1);
/// returns the project, the two outputs (N kept aside), and the build cache.
struct TwoDeploys {
    site: tempfile::TempDir,
    before: tempfile::TempDir,
    out: tempfile::TempDir,
    _cache: tempfile::TempDir,
}

fn two_deploys() -> TwoDeploys {
    let site = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/site"), site.path());
    let (out, before, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    cache_in(site.path(), cache.path());
    build(site.path(), out.path(), true, &[]);
    copy_dir(out.path(), before.path());
    edit(site.path(), "src/hours.tsx", "Closed on", "Shut on");
    build(site.path(), out.path(), true, &[]);
    TwoDeploys { site, before, out, _cache: cache }
}

#[test]
fn a_changed_module_gets_deltas_against_its_previous_version_that_decode_to_it() {
    let d = two_deploys();
    let (before, after) = (manifest(d.before.path()), manifest(d.out.path()));
    let changed = with_deltas(&after);
    let sources: Vec<&str> = changed.iter().map(|(k, _, _)| k.as_str()).collect();
    assert!(sources.contains(&"_hours.js"), "the changed chunk has no delta: {sources:?}");
    for (src, file, deltas) in &changed {
        let new = std::fs::read(d.out.path().join(file)).unwrap();
        let brotli = after[src]["brotli"].as_u64().unwrap_or(new.len() as u64);
        let encodings: Vec<&str> = deltas.iter().map(|x| x["encoding"].as_str().unwrap()).collect();
        assert_eq!(encodings, ["dcb", "dcz"], "{src}");
        for delta in deltas {
            // Against the version deploy N had, which the browser holds.
            let from = delta["from"].as_str().unwrap();
            assert_eq!(Some(from), before[src]["file"].as_str(), "{src}");
            let old = std::fs::read(d.before.path().join(from)).unwrap();
            let body = std::fs::read(d.out.path().join(delta["file"].as_str().unwrap())).unwrap();
            assert_eq!(body.len() as u64, delta["size"].as_u64().unwrap());
            assert!(decode(&body, delta["encoding"].as_str().unwrap(), &old) == new, "{src}: the delta does not decode to the file");
            assert!((body.len() as u64) * 10 <= brotli * 9, "{src}: a delta of {} B kept beside a Brotli twin of {brotli} B", body.len());
        }
    }
    // Unchanged files have none; every hashed script and stylesheet is offered.
    for (src, e) in after.as_object().unwrap() {
        if e["file"] == before[src]["file"] {
            assert!(e.get("deltas").is_none(), "{src} did not change, yet has deltas");
        }
        let file = e["file"].as_str().unwrap();
        if file.ends_with(".js") || file.ends_with(".css") {
            let header = e["dictionary"]["useAsDictionary"].as_str().unwrap_or_else(|| panic!("{src} is not offered as a dictionary"));
            assert!(header.starts_with("match=\"/assets/") && header.contains("match-dest=("), "{header}");
        }
    }
}

#[test]
fn serve_sends_a_delta_only_to_a_client_holding_its_dictionary_that_accepts_it() {
    let d = two_deploys();
    let after = manifest(d.out.path());
    let (src, file, deltas) = with_deltas(&after).into_iter().find(|(k, _, _)| k == "src/specials.tsx").expect("the specials chunk has deltas");
    let dictionary = format!(":{}:", deltas[0]["dictionary"].as_str().unwrap());
    let server = serve(d.out.path());
    let url = format!("/{file}");
    let get = |headers: &[(&str, &str)]| http_get(server.addr(), &url, headers);
    let twin = std::fs::read(d.out.path().join(format!("{file}.br"))).unwrap();
    let small = deltas.iter().min_by_key(|x| x["size"].as_u64()).unwrap();

    let r = get(&[("Accept-Encoding", "gzip, br, zstd, dcb, dcz"), ("Available-Dictionary", &dictionary)]);
    assert_eq!((r.status, r.header("content-encoding")), (200, small["encoding"].as_str()), "{src}");
    assert_eq!(r.body, std::fs::read(d.out.path().join(small["file"].as_str().unwrap())).unwrap());
    assert_eq!(r.header("vary"), Some("accept-encoding, available-dictionary"));
    assert_eq!(r.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(r.header("use-as-dictionary"), Some("match=\"/assets/specials.*.js\", match-dest=(\"script\")"));
    let r = get(&[("Accept-Encoding", "gzip, br, dcz"), ("Available-Dictionary", &dictionary)]);
    assert_eq!(r.header("content-encoding"), Some("dcz"));

    // Everyone else gets the Brotli twin: no dictionary, one unknown or malformed, a client
    // that does not accept either delta encoding.
    let unknown = format!(":{}:", "A".repeat(43) + "=");
    for headers in [
        vec![("Accept-Encoding", "gzip, br")],
        vec![("Accept-Encoding", "gzip, br, dcb, dcz")],
        vec![("Accept-Encoding", "gzip, br, dcb, dcz"), ("Available-Dictionary", unknown.as_str())],
        vec![("Accept-Encoding", "gzip, br, dcb, dcz"), ("Available-Dictionary", "not a hash")],
        vec![("Accept-Encoding", "gzip, br, dcb, dcz"), ("Available-Dictionary", &dictionary[..20])],
        vec![("Accept-Encoding", "gzip, br"), ("Available-Dictionary", dictionary.as_str())],
        vec![("Accept-Encoding", "gzip, br, dcb;q=0, dcz;q=0"), ("Available-Dictionary", dictionary.as_str())],
    ] {
        let r = get(&headers);
        assert_eq!((r.status, r.header("content-encoding")), (200, Some("br")), "{headers:?}");
        assert!(r.body == twin, "{headers:?}");
        assert_eq!(r.header("vary"), Some("accept-encoding, available-dictionary"), "{headers:?}");
    }
    // No encoding at all: the file itself.
    let r = get(&[("Available-Dictionary", dictionary.as_str())]);
    assert_eq!((r.status, r.header("content-encoding")), (200, None));
    // A delta is not served at its own URL.
    let r = get(&[]);
    assert_eq!(r.status, 200);
    let r = http_get(server.addr(), &format!("/{}", small["file"].as_str().unwrap()), &[]);
    assert_eq!(r.status, 404);
    // A file without deltas says nothing of dictionaries in Vary.
    let page = http_get(server.addr(), "/", &[("Accept-Encoding", "br")]);
    assert_eq!(page.header("vary"), Some("accept-encoding"));
    assert!(page.header("use-as-dictionary").is_none());
}

#[test]
fn earlier_versions_come_from_the_build_cache_and_none_without_it() {
    let d = two_deploys();
    // Deploy N+2: the previous output holds N+1; the cache recorded N too.
    edit(d.site.path(), "src/hours.tsx", "Shut on", "Closed every");
    build(d.site.path(), d.out.path(), true, &[]);
    let m = manifest(d.out.path());
    let hours = m["_hours.js"]["deltas"].as_array().expect("deltas");
    let mut from: Vec<&str> = hours.iter().map(|x| x["from"].as_str().unwrap()).collect();
    from.dedup();
    assert_eq!(from.len(), 2, "deltas against N+1 and N: {from:?}");
    assert!(from.contains(&manifest(d.before.path())["_hours.js"]["file"].as_str().unwrap()));
    // With delta.versions = 1, only the newest.
    let toml = d.site.path().join("kiln.toml");
    std::fs::write(&toml, std::fs::read_to_string(&toml).unwrap() + "\n[delta]\nversions = 1\n").unwrap();
    edit(d.site.path(), "src/hours.tsx", "Closed every", "Closed on");
    build(d.site.path(), d.out.path(), true, &[]);
    let m = manifest(d.out.path());
    let hours = m["_hours.js"]["deltas"].as_array().expect("deltas");
    assert!(hours.iter().all(|x| x["from"] == hours[0]["from"]), "{hours:?}");
    // Without the build cache, the previous output only; without a previous output, nothing.
    let fresh = tempfile::tempdir().unwrap();
    build(d.site.path(), fresh.path(), false, &[]);
    assert!(with_deltas(&manifest(fresh.path())).is_empty());
    // Turned off: no dictionary, no delta.
    std::fs::write(&toml, std::fs::read_to_string(&toml).unwrap().replace("versions = 1", "enabled = false")).unwrap();
    edit(d.site.path(), "src/hours.tsx", "Closed on", "Shut on");
    build(d.site.path(), d.out.path(), true, &[]);
    let m = manifest(d.out.path());
    assert!(with_deltas(&m).is_empty() && m.as_object().unwrap().values().all(|e| e.get("dictionary").is_none()));
    assert!(!read_tree(d.out.path()).keys().any(|k| k.ends_with(".dcb") || k.ends_with(".dcz")));
}

#[test]
fn deltas_are_byte_identical_whatever_the_thread_count() {
    let d = two_deploys();
    let mut trees = Vec::new();
    for jobs in ["1", "2", "4"] {
        let out = tempfile::tempdir().unwrap();
        copy_dir(d.before.path(), out.path());
        build(d.site.path(), out.path(), false, &["--jobs", jobs]);
        trees.push(read_tree(out.path()));
    }
    assert!(trees[0].keys().any(|k| k.ends_with(".dcb")));
    assert!(trees[0] == trees[1] && trees[1] == trees[2], "outputs differ across --jobs");
}

#[test]
fn headers_file_offers_dictionaries() {
    let d = two_deploys();
    let toml = d.site.path().join("kiln.toml");
    std::fs::write(&toml, std::fs::read_to_string(&toml).unwrap().replacen("sri = true", "sri = true\nheaders_file = true", 1)).unwrap();
    build(d.site.path(), d.out.path(), true, &[]);
    let headers = std::fs::read_to_string(d.out.path().join("_headers")).unwrap();
    let file = manifest(d.out.path())["src/specials.tsx"]["file"].as_str().unwrap().to_owned();
    assert!(headers.contains(&format!("/{file}\n  Use-As-Dictionary: match=\"/assets/specials.*.js\", match-dest=(\"script\")\n")), "{headers}");
}

/// The React starter (create-vite's template) in a folder of `tests/corpus/work`, its
/// packages the corpus's (as the corpus test lays its apps out).
fn react_starter() -> tempfile::TempDir {
    let corpus = repo().join("tests/corpus");
    assert!(
        corpus.join("node_modules/react/package.json").is_file(),
        "tests/corpus/node_modules is missing: run ./scripts/test, which installs it with npm ci"
    );
    std::fs::create_dir_all(corpus.join("work")).unwrap();
    let dir = tempfile::Builder::new().prefix("deltas-react-").tempdir_in(corpus.join("work")).unwrap();
    copy_dir(&corpus.join("node_modules/create-vite/template-react"), dir.path());
    std::fs::remove_file(dir.path().join("vite.config.js")).unwrap();
    std::os::unix::fs::symlink("../../node_modules", dir.path().join("node_modules")).unwrap();
    dir
}

/// Two visits in one Chromium (`tests/corpus/delta.mjs`): deploy N, then `rebuild` (deploy
/// N+1) and the same page again.
fn visits(profile: &Path, url: &str, flags: &[&str], rebuild: &[String]) -> Vec<Value> {
    visits_with(profile, url, flags, rebuild, &[])
}

/// [`visits`], the rebuild run with these environment variables.
fn visits_with(profile: &Path, url: &str, flags: &[&str], rebuild: &[String], envs: &[(String, String)]) -> Vec<Value> {
    crate::browser::chromium();
    let mut cmd = Command::new("node");
    cmd.envs(envs.iter().map(|(k, v)| (k, v)));
    cmd.arg(repo().join("tests/corpus/delta.mjs")).arg(profile).arg(url).args(flags);
    if !rebuild.is_empty() {
        cmd.arg("--").args(rebuild);
    }
    let out = succeed(&mut cmd, "delta.mjs");
    serde_json::from_str::<Value>(&out).unwrap().as_array().unwrap().clone()
}

fn responses(visit: &Value) -> Vec<(String, Option<String>, i64)> {
    visit["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["path"].as_str().unwrap().to_owned(), r["encoding"].as_str().map(str::to_owned), r["body"].as_i64().unwrap()))
        .collect()
}

fn clean(visit: &Value) {
    assert!(visit["console"].as_array().unwrap().is_empty(), "console: {}", visit["console"]);
    assert!(visit["failed"].as_array().unwrap().is_empty(), "failed requests: {}", visit["failed"]);
}

/// The command line that rebuilds `root` into `out` after replacing `from` by `to` in `file`.
fn rebuild_command(root: &Path, file: &str, from: &str, to: &str, out: &Path) -> Vec<String> {
    let kiln: PathBuf = assert_cmd::cargo::cargo_bin!("kiln").to_path_buf();
    let path = root.join(file);
    let script =
        format!("sed -i 's|{from}|{to}|' '{}' && '{}' build '{}' --out '{}' -q --no-budgets", path.display(), kiln.display(), root.display(), out.display());
    vec!["sh".into(), "-c".into(), script]
}

/// Deploy N then N+1 of `root` through `kiln serve` in one Chromium: the changed chunk comes as
/// a delta (far smaller than its twin), the page says `expect`, no console error; the same
/// with dictionaries turned off in Chromium gets Brotli. Returns the delta's and twin's sizes.
fn returning_visitor(root: &Path, file: &str, from: &str, to: &str, expect: &str) -> (i64, i64) {
    let (out, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    cache_in(root, cache.path());
    build(root, out.path(), true, &[]);
    let server = serve(out.path());
    let profile = tempfile::tempdir().unwrap();
    let rebuild = rebuild_command(root, file, from, to, out.path());
    let v = visits(profile.path(), &server.url, &[], &rebuild);
    clean(&v[0]);
    clean(&v[1]);
    assert!(v[1]["text"].as_str().unwrap().contains(expect), "{}", v[1]["text"]);
    // A fresh visitor gets Brotli twins only.
    assert!(responses(&v[0]).iter().all(|(_, e, _)| e.as_deref() != Some("dcb") && e.as_deref() != Some("dcz")));
    let m = manifest(out.path());
    let changed = with_deltas(&m);
    assert!(!changed.is_empty(), "the rebuild made no delta");
    // Every changed file the page fetched came as a delta.
    let second = responses(&v[1]);
    let mut sizes = (0, 0);
    for (src, file, _) in &changed {
        let Some((_, encoding, body)) = second.iter().find(|(p, _, _)| p == &format!("/{file}")) else { continue };
        assert!(matches!(encoding.as_deref(), Some("dcb" | "dcz")), "{file} came as {encoding:?}");
        sizes.0 += body;
        sizes.1 += m[src]["brotli"].as_i64().unwrap_or(m[src]["size"].as_i64().unwrap());
    }
    assert!(sizes.1 > 0, "the page fetched none of the changed files: {second:?}");
    // A returning client without dcb/dcz (Chromium with the feature off): the change undone
    // and rebuilt between its two visits, every file comes as a twin.
    let plain_profile = tempfile::tempdir().unwrap();
    let undo = rebuild_command(root, file, to, from, out.path());
    let plain = visits(plain_profile.path(), &server.url, &["--no-dictionaries"], &undo);
    clean(&plain[1]);
    assert!(!plain[1]["text"].as_str().unwrap().contains(expect), "the change was not undone");
    for (path, encoding, _) in responses(&plain[0]).into_iter().chain(responses(&plain[1])) {
        assert!(!matches!(encoding.as_deref(), Some("dcb" | "dcz")), "{path} came as {encoding:?} to a client without dictionaries");
    }
    assert!(
        with_deltas(&manifest(out.path())).iter().any(|(_, f, _)| responses(&plain[1]).iter().any(|(p, _, b)| p == &format!("/{f}") && *b > 0)),
        "the client fetched no file that has deltas"
    );
    sizes
}

#[test]
fn a_returning_chromium_visitor_gets_the_sample_sites_changed_chunks_as_deltas() {
    let site = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/site"), site.path());
    let (delta, twin) = returning_visitor(site.path(), "src/hours.tsx", "Closed on", "Shut on", "Shut on Monday");
    eprintln!("sample site, one line changed: {delta} B of deltas received for {twin} B of Brotli twins");
    assert!(delta * 4 < twin, "deltas {delta} B against twins {twin} B");
}

#[test]
fn a_returning_chromium_visitor_gets_the_react_starters_changed_chunk_as_a_delta() {
    let app = react_starter();
    let (delta, twin) =
        returning_visitor(app.path(), "src/App.jsx", "Your questions, answered", "Your questions, all answered", "Your questions, all answered");
    eprintln!("React starter, one line changed: {delta} B of deltas received for {twin} B of Brotli twins");
    // The issue's bar: at most 2 % of the Brotli twin.
    assert!(delta * 50 <= twin, "deltas {delta} B against twins {twin} B");
}

/// `kiln edge` for the output `dir`, written to a file in `into`.
fn edge(target: &str, dir: &Path, into: &Path) -> PathBuf {
    let out = kiln().args(["edge", target]).arg(dir).output().unwrap();
    assert!(out.status.success(), "kiln edge {target}: {}", String::from_utf8_lossy(&out.stderr));
    let file = into.join(format!("{target}.js"));
    std::fs::write(&file, &out.stdout).unwrap();
    file
}

#[test]
fn published_deltas_reach_a_returning_visitor_through_the_cloudfront_functions() {
    use base64::Engine;
    let g = crate::garage::Garage::start();
    let site = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/site"), site.path());
    let dist = site.path().join("dist");
    let publish = |dir: &Path| -> Value {
        let out = g.publish().arg(dir).args(["--to", "s3://site", "-q", "--json", "-"]).output().unwrap();
        assert!(out.status.success(), "publish: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    build(site.path(), &dist, true, &[]);
    let before = tempfile::tempdir().unwrap();
    copy_dir(&dist, before.path());
    let first = publish(&dist);
    assert!(first.get("returning").is_none(), "a first publish has no returning visitor: {first}");
    edit(site.path(), "src/hours.tsx", "Closed on", "Shut on");
    build(site.path(), &dist, true, &[]);
    let second = publish(&dist);
    // Publish measures a returning visitor against the bucket as the build did against the
    // previous output: the same figures.
    let again = tempfile::tempdir().unwrap();
    copy_dir(before.path(), again.path());
    let report = kiln().arg("build").arg(site.path()).arg("--out").arg(again.path()).args(["--json", "-", "-q", "--no-budgets"]).output().unwrap();
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    let built = report["pages"].as_array().unwrap().iter().find(|p| p["page"] == "index.html").unwrap()["returning"].clone();
    assert_eq!(second["returning"]["index.html"], built, "{second}");
    assert!(built["deltas"].as_u64().unwrap() < built["twins"].as_u64().unwrap(), "{built}");

    let m = manifest(&dist);
    let (src, file, deltas) = with_deltas(&m).into_iter().find(|(k, _, _)| k == "src/specials.tsx").expect("deltas");
    let held = format!(":{}:", deltas[0]["dictionary"].as_str().unwrap());
    let old = std::fs::read(before.path().join(deltas[0]["from"].as_str().unwrap())).unwrap();
    let new = std::fs::read(dist.join(&file)).unwrap();

    // The published delta object: its encoding, its file's type and caching, the dictionary
    // header in its metadata.
    let key = deltas.iter().find(|d| d["encoding"] == "dcb").unwrap()["file"].as_str().unwrap().to_owned();
    let (status, h, body) = g.get(&key);
    assert_eq!((status, h["content-encoding"].as_str(), h["content-type"].as_str()), (200, "dcb", "text/javascript; charset=utf-8"));
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(h["x-amz-meta-use-as-dictionary"], "match=\"/assets/specials.*.js\", match-dest=(\"script\")");
    assert!(decode(&body, "dcb", &old) == new);

    let work = tempfile::tempdir().unwrap();
    let (request, response) = (edge("cloudfront-request", &dist, work.path()), edge("cloudfront-response", &dist, work.path()));
    let uri = format!("/{file}");
    let all = "gzip, deflate, br, zstd, dcb, dcz";
    let unknown = format!(":{}=:", "A".repeat(43));
    let cases = serde_json::json!([
        { "uri": uri, "headers": { "Accept-Encoding": all, "Available-Dictionary": held } },
        { "uri": uri, "headers": { "Accept-Encoding": "gzip, br, dcz", "Available-Dictionary": held } },
        { "uri": uri, "headers": { "Accept-Encoding": all } },
        { "uri": uri, "headers": { "Accept-Encoding": all, "Available-Dictionary": unknown } },
        { "uri": uri, "headers": { "Accept-Encoding": all, "Available-Dictionary": "garbage" } },
        { "uri": uri, "headers": { "Accept-Encoding": "gzip, br", "Available-Dictionary": held } },
        { "uri": uri, "headers": { "Accept-Encoding": "gzip, br, dcb;q=0, dcz;q=0", "Available-Dictionary": held } },
        { "uri": "/", "headers": { "Accept-Encoding": all, "Available-Dictionary": held } },
    ]);
    let cases_file = work.path().join("cases.json");
    std::fs::write(&cases_file, cases.to_string()).unwrap();
    let host = format!("{}.web.garage.localhost", crate::garage::BUCKET);
    let out = succeed(
        Command::new("node")
            .arg(repo().join("tests/corpus/cloudfront.mjs"))
            .args([&request, &response])
            .arg(&host)
            .arg(g.web_port.to_string())
            .arg(&cases_file),
        "cloudfront.mjs",
    );
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    let body = |r: &Value| base64::engine::general_purpose::STANDARD.decode(r["body"].as_str().unwrap()).unwrap();
    let encoding = |r: &Value| r["headers"]["content-encoding"].as_str().map(str::to_owned);
    // Held and accepted: the delta, smallest first, decoding to the new file.
    for (r, expect) in results[..2].iter().zip(["dcb", "dcz"]) {
        assert_eq!((r["status"].as_u64(), encoding(r).as_deref()), (Some(200), Some(expect)), "{r}");
        assert!(decode(&body(r), expect, &old) == new, "{src}: {expect} through CloudFront does not decode to the file");
        assert_eq!(r["headers"]["use-as-dictionary"], "match=\"/assets/specials.*.js\", match-dest=(\"script\")");
        assert_eq!(r["headers"]["vary"], "accept-encoding, available-dictionary");
        assert!(r["headers"].get("x-amz-meta-use-as-dictionary").is_none());
    }
    // Everyone else: the Brotli twin, still offered as a dictionary.
    for r in &results[2..7] {
        assert_eq!((r["status"].as_u64(), encoding(r).as_deref()), (Some(200), Some("br")), "{r}");
        assert!(r["uri"].as_str().unwrap().ends_with(".js.br"), "{r}");
        assert_eq!(body(r), std::fs::read(dist.join(format!("{file}.br"))).unwrap());
        assert_eq!(r["headers"]["use-as-dictionary"], "match=\"/assets/specials.*.js\", match-dest=(\"script\")");
    }
    // A page: its twin, no dictionary.
    let page = &results[7];
    assert_eq!((page["uri"].as_str(), encoding(page).as_deref()), (Some("/index.html.br"), Some("br")));
    assert!(page["headers"].get("use-as-dictionary").is_none());
}

/// The Cloudflare Worker `kiln edge` writes, run in workerd (Miniflare, `tests/corpus/worker.mjs`)
/// in front of `origin`, stopped when dropped.
struct Worker {
    child: std::process::Child,
    url: String,
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl Worker {
    fn start(script: &Path, origin: &str) -> Worker {
        use std::io::BufRead;
        let corpus = repo().join("tests/corpus");
        assert!(
            corpus.join("node_modules/miniflare/package.json").is_file(),
            "tests/corpus/node_modules is missing: run ./scripts/test, which installs it with npm ci"
        );
        let mut child = Command::new("node")
            .arg(corpus.join("worker.mjs"))
            .arg(script)
            .arg(origin)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("http://"), "worker.mjs printed {line:?}");
        Worker { child, url: line.trim().to_owned() }
    }

    fn addr(&self) -> &str {
        self.url.trim_start_matches("http://").trim_end_matches('/')
    }
}

#[test]
fn a_returning_chromium_visitor_gets_published_deltas_through_the_cloudflare_worker() {
    let g = crate::garage::Garage::start();
    g.alias("localhost");
    let origin = format!("http://localhost:{}", g.web_port);
    let (site, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    copy_dir(&repo().join("fixtures/site"), site.path());
    cache_in(site.path(), cache.path());
    let dist = site.path().join("dist");
    build(site.path(), &dist, true, &[]);
    let publish = |dir: &Path| {
        let out = g.publish().arg(dir).args(["--to", "s3://site", "-q"]).output().unwrap();
        assert!(out.status.success(), "publish: {}", String::from_utf8_lossy(&out.stderr));
    };
    publish(&dist);
    let work = tempfile::tempdir().unwrap();
    let worker = Worker::start(&edge("cloudflare-worker", &dist, work.path()), &origin);

    // Deploy N+1 built and published between two visits of one Chromium.
    let kiln = assert_cmd::cargo::cargo_bin!("kiln").display().to_string();
    let script = format!(
        "sed -i 's|Closed on|Shut on|' '{hours}' && '{kiln}' build '{root}' --out '{out}' -q --no-budgets && '{kiln}' publish '{out}' --to s3://site --endpoint '{endpoint}' -q",
        hours = site.path().join("src/hours.tsx").display(),
        root = site.path().display(),
        out = dist.display(),
        endpoint = g.endpoint(),
    );
    let profile = tempfile::tempdir().unwrap();
    let v = visits_with(profile.path(), &worker.url, &[], &["sh".into(), "-c".into(), script], &g.env());
    clean(&v[0]);
    clean(&v[1]);
    assert!(v[1]["text"].as_str().unwrap().contains("Shut on Monday"), "{}", v[1]["text"]);
    let m = manifest(&dist);
    let changed = with_deltas(&m);
    let second = responses(&v[1]);
    let mut received = 0;
    for (_, file, _) in &changed {
        if let Some((_, encoding, _)) = second.iter().find(|(p, _, _)| p == &format!("/{file}")) {
            assert!(matches!(encoding.as_deref(), Some("dcb" | "dcz")), "{file} came as {encoding:?} through the Worker: {:#}", v[1]["responses"]);
            received += 1;
        }
    }
    assert!(received > 0, "the page fetched none of the changed files: {second:?}");
    assert!(responses(&v[0]).iter().all(|(_, e, _)| !matches!(e.as_deref(), Some("dcb" | "dcz"))), "a fresh visitor got a delta");

    // Raw requests through the Worker: only a client that holds the dictionary and accepts the
    // encoding gets the delta.
    let (_, file, deltas) = changed.iter().find(|(k, _, _)| k == "src/specials.tsx").expect("deltas");
    let held = format!(":{}:", deltas[0]["dictionary"].as_str().unwrap());
    let url = format!("/{file}");
    let r = http_get(worker.addr(), &url, &[("Accept-Encoding", "gzip, br, dcb, dcz"), ("Available-Dictionary", &held)]);
    assert_eq!((r.status, r.header("content-encoding")), (200, Some("dcb")));
    assert_eq!(r.header("use-as-dictionary"), Some("match=\"/assets/specials.*.js\", match-dest=(\"script\")"));
    assert_eq!(r.header("vary"), Some("accept-encoding, available-dictionary"));
    let unknown = format!(":{}=:", "A".repeat(43));
    for headers in [
        vec![("Accept-Encoding", "gzip, br")],
        vec![("Accept-Encoding", "gzip, br, dcb, dcz"), ("Available-Dictionary", unknown.as_str())],
        vec![("Accept-Encoding", "gzip, br, dcb, dcz"), ("Available-Dictionary", "garbage")],
        vec![("Accept-Encoding", "gzip, br, dcb;q=0, dcz;q=0"), ("Available-Dictionary", held.as_str())],
    ] {
        let r = http_get(worker.addr(), &url, &headers);
        assert_eq!(r.status, 200, "{headers:?}");
        assert!(!matches!(r.header("content-encoding"), Some("dcb" | "dcz")), "{headers:?} got {:?}", r.header("content-encoding"));
    }
}

#[test]
fn returning_visitor_bytes_are_reported_and_held_by_a_budget() {
    let site = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/site"), site.path());
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("report.json");
    let dist = out.path().join("dist");
    let build_json = || {
        let r = kiln().arg("build").arg(site.path()).arg("--out").arg(&dist).arg("--json").arg(&json).arg("--no-budgets").output().unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        (String::from_utf8_lossy(&r.stdout).into_owned(), serde_json::from_slice::<Value>(&std::fs::read(&json).unwrap()).unwrap())
    };
    // A first build has no previous output: no figure.
    let (table, report) = build_json();
    assert!(!table.contains("returning visitors"), "{table}");
    assert!(report["pages"].as_array().unwrap().iter().all(|p| p.get("returning").is_none()));
    let baseline = out.path().join("baseline.json");
    std::fs::copy(&json, &baseline).unwrap();

    edit(site.path(), "src/hours.tsx", "Closed on", "Shut on");
    let (table, report) = build_json();
    let page = |name: &str| report["pages"].as_array().unwrap().iter().find(|p| p["page"] == name).unwrap().clone();
    let index = page("index.html")["returning"].clone();
    let (deltas, twins) = (index["deltas"].as_u64().unwrap(), index["twins"].as_u64().unwrap());
    // The page itself changed (the chunk's new name is in it), and its chunks came as deltas.
    let html = report["files"].as_array().unwrap().iter().find(|f| f["path"] == "index.html").unwrap()["brotli"].as_u64().unwrap();
    assert!(deltas > html && deltas < twins, "index.html: {deltas} B with deltas, {twins} B with twins, the page {html} B");
    // A page whose files did not change costs nothing.
    assert_eq!(page("blog/first-loaf.html")["returning"], serde_json::json!({ "deltas": 0, "twins": 0 }));
    assert!(table.contains(&format!("returning visitors, index.html: {} ({} with twins only)", kb(deltas), kb(twins))), "{table}");

    // The budget, checked by the build that replaces an output (the change undone, then made again).
    let budgets = out.path().join("budgets.toml");
    let build_with = |rule: &str, extra: &[&str]| {
        std::fs::write(&budgets, format!("[[budget]]\npage = \"index.html\"\nmeasure = \"returning_bytes\"\n{rule}\n")).unwrap();
        let r = kiln().arg("build").arg(site.path()).arg("--out").arg(&dist).arg("--budgets").arg(&budgets).args(extra).output().unwrap();
        (r.status.code(), String::from_utf8_lossy(&r.stdout).into_owned() + &String::from_utf8_lossy(&r.stderr))
    };
    edit(site.path(), "src/hours.tsx", "Shut on", "Closed on");
    let (code, text) = build_with(&format!("max = {}", html), &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("for a returning visitor"), "{text}");
    edit(site.path(), "src/hours.tsx", "Closed on", "Shut on");
    let (code, text) = build_with("max = \"100 KB\"", &[]);
    assert_eq!(code, Some(0), "{text}");
    // Against a baseline without the figure (a first build), growth is not judged.
    edit(site.path(), "src/hours.tsx", "Shut on", "Closed on");
    assert_eq!(build_with("max_growth = \"1%\"", &["--baseline", baseline.to_str().unwrap()]).0, Some(0));
    // kiln check of an output has no earlier output to compare with: the rule is not checked.
    let r = kiln().arg("check").arg(&dist).arg("--budgets").arg(&budgets).output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    // A rule that is not a page's is refused, at its line.
    std::fs::write(&budgets, "[[budget]]\nfiles = \"**/*.js\"\nmeasure = \"returning_bytes\"\nmax = 1\n").unwrap();
    let r = kiln().arg("check").arg(&dist).arg("--budgets").arg(&budgets).output().unwrap();
    let text = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{text}");
    assert!(text.contains("budgets.toml:3:11") && text.contains("give `page`"), "{text}");
}

/// A size as kiln's table writes it, trimmed.
fn kb(bytes: u64) -> String {
    format!("{:.2} kB", bytes as f64 / 1000.0)
}

#[test]
fn the_cloudfront_request_function_needs_a_built_output() {
    let empty = tempfile::tempdir().unwrap();
    let out = kiln().args(["edge", "cloudfront-request"]).arg(empty.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no manifest.json here") && stderr.contains(&empty.path().display().to_string()), "{stderr}");
    // The other two do not depend on an output.
    for target in ["cloudfront-response", "cloudflare-worker"] {
        let out = kiln().args(["edge", target]).arg(empty.path()).output().unwrap();
        assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("kiln: "), "{target}");
    }
}

#[test]
fn a_dictionary_that_is_gone_or_altered_gives_no_delta_and_no_error() {
    let site = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/site"), site.path());
    let out = tempfile::tempdir().unwrap();
    build(site.path(), out.path(), false, &[]);
    let m = manifest(out.path());
    // One earlier file altered since it was built, another removed.
    let hours = out.path().join(m["_hours.js"]["file"].as_str().unwrap());
    std::fs::write(&hours, b"// edited by hand\n").unwrap();
    std::fs::remove_file(out.path().join(m["src/specials.tsx"]["file"].as_str().unwrap())).unwrap();
    edit(site.path(), "src/hours.tsx", "Closed on", "Shut on");
    build(site.path(), out.path(), false, &[]);
    let after = manifest(out.path());
    let sources: Vec<String> = with_deltas(&after).into_iter().map(|(k, _, _)| k).collect();
    assert!(!sources.contains(&"_hours.js".to_owned()) && !sources.contains(&"src/specials.tsx".to_owned()), "{sources:?}");
    assert!(!sources.is_empty(), "the other changed files still get deltas");
}
