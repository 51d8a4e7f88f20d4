//! `kiln publish` against a real Garage server (see `garage.rs`): first publish, no-change and
//! one-change re-publishes, headers and encodings read back over HTTP, dry run, retention and
//! `max_deletes`, rollback, bad credentials and endpoints, and a server stopped mid-publish.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{kiln, read_tree, sample_site};
use crate::garage::Garage;

/// Builds `root` into `root/dist`.
fn build(root: &Path) -> PathBuf {
    let out = kiln().arg("build").arg(root).args(["-q", "--no-budgets"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    root.join("dist")
}

/// Publishes and returns the JSON summary.
fn publish(g: &Garage, dir: &Path, extra: &[&str]) -> serde_json::Value {
    let out = g.publish().arg(dir).args(["--to", "s3://site", "--json", "-", "-q"]).args(extra).output().unwrap();
    assert!(out.status.success(), "publish failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn uploads(summary: &serde_json::Value) -> Vec<String> {
    let mut all: Vec<String> =
        summary["uploads"].as_object().unwrap().values().flat_map(|v| v.as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_owned())).collect();
    all.sort();
    all
}

/// Every `/assets/…` URL of every page the bucket serves answers 200: no live page points at a
/// missing object.
fn pages_are_whole(g: &Garage, pages: &[&str]) {
    for page in pages {
        let (status, _, body) = g.get(page);
        if status == 404 {
            continue; // not published yet
        }
        assert_eq!(status, 200, "{page}");
        let html = String::from_utf8_lossy(&body).into_owned();
        for url in html.split(['"', ' ', '>', '<', ',', '=']).filter(|s| s.starts_with("/assets/")) {
            let (status, _, _) = g.get(url);
            assert_eq!(status, 200, "{page} points at {url}, which is missing");
        }
    }
}

const PAGES: [&str; 3] = ["index.html", "about.html", "blog/first-loaf.html"];

#[test]
fn publish_uploads_what_changed_with_the_right_headers() {
    let g = Garage::start();
    let site = sample_site();
    let dist = build(site.path());
    let local = read_tree(&dist);

    let first = publish(&g, &dist, &[]);
    // Every file, plus the twins made for text files the build left without one.
    let objects = first["uploaded"].as_u64().unwrap() as usize;
    assert!(objects > local.len(), "{first}");
    assert!(uploads(&first).iter().any(|k| k == "robots.txt.br"), "a twin made at publish time");
    // Phases: every hashed asset before any page, pages before the manifest.
    let phases: Vec<&str> = first["uploads"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(phases, ["assets", "manifest", "other", "pages"], "grouped by phase");
    pages_are_whole(&g, &PAGES);

    // Headers, as a CDN in front of the bucket sees them.
    let (status, h, body) = g.get("index.html");
    assert_eq!(status, 200);
    assert_eq!(body, local["index.html"]);
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["cache-control"], "public, max-age=0, must-revalidate");
    let css = local.keys().find(|k| k.starts_with("assets/site.") && k.ends_with(".css")).unwrap();
    let (_, h, _) = g.get(css);
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(h["content-type"], "text/css; charset=utf-8");
    assert!(h.contains_key("x-amz-meta-kiln-hash"), "{h:?}");
    let woff2 = local.keys().find(|k| k.ends_with(".woff2")).unwrap();
    assert_eq!(g.get(woff2).1["content-type"], "font/woff2");
    let (_, h, _) = g.get(local.keys().find(|k| k.ends_with(".webmanifest")).unwrap());
    assert_eq!(h["content-type"], "application/manifest+json; charset=utf-8");
    // Siblings: the Brotli twin has Content-Encoding and the original's type.
    let br = local.keys().find(|k| k.ends_with(".css.br")).unwrap();
    let (_, h, body) = g.get(br);
    assert_eq!((h["content-encoding"].as_str(), h["content-type"].as_str()), ("br", "text/css; charset=utf-8"));
    assert_eq!(body, local[br.as_str()]);
    assert_eq!(g.get("robots.txt").1["cache-control"], "public, max-age=0, must-revalidate", "public files are not hashed");

    // Nothing changed: nothing uploaded.
    let again = publish(&g, &dist, &[]);
    assert_eq!(again["uploaded"], 0, "{again}");
    assert_eq!(again["unchanged"].as_u64().unwrap() as usize, objects);

    // One stylesheet changed: it (with its twins), the pages that link it and the manifest.
    let about = site.path().join("css/about.css");
    std::fs::write(&about, std::fs::read_to_string(&about).unwrap() + "\nh1 { letter-spacing: 0.01em; }\n").unwrap();
    let dist = build(site.path());
    let dry = publish(&g, &dist, &["--dry-run"]);
    let planned = uploads(&dry);
    assert_eq!(g.get("about.html").2, local["about.html"], "a dry run changes nothing");
    let changed = publish(&g, &dist, &[]);
    assert_eq!(uploads(&changed), planned, "the dry run planned exactly this");
    let new_css: Vec<String> = planned.iter().filter(|k| k.starts_with("assets/about.")).cloned().collect();
    assert!(!new_css.is_empty(), "{planned:?}");
    for k in &planned {
        assert!(
            k.starts_with("assets/about.") || k.starts_with("about.html") || k.starts_with("manifest.json"),
            "uploaded {k}, which did not change: {planned:?}"
        );
    }
    pages_are_whole(&g, &PAGES);
}

#[test]
fn retention_max_deletes_and_rollback() {
    let g = Garage::start();
    let site = sample_site();
    let css = site.path().join("css/about.css");
    let base = std::fs::read_to_string(&css).unwrap();
    std::fs::write(site.path().join("kiln.toml"), std::fs::read_to_string(site.path().join("kiln.toml")).unwrap() + "\n[publish]\nretain = 2\n").unwrap();
    let mut versions: Vec<BTreeMap<String, Vec<u8>>> = Vec::new();
    let mut summaries = Vec::new();
    for v in 0..4 {
        std::fs::write(&css, format!("{base}\n.v{v} {{ color: #{v}{v}{v}; }}\n")).unwrap();
        let dist = build(site.path());
        versions.push(read_tree(&dist));
        // Run from the project so its kiln.toml ([publish] retain = 2) applies.
        let out = g.publish().current_dir(site.path()).args(["--to", "s3://site", "--json", "-", "-q"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        summaries.push(serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap());
    }
    let css_of = |v: usize| versions[v].keys().find(|k| k.starts_with("assets/about.") && k.ends_with(".css")).unwrap().clone();
    // Retain 2: the live deploy and the one before keep their files; older ones go.
    assert_eq!(g.get(&css_of(3)).0, 200);
    assert_eq!(g.get(&css_of(2)).0, 200, "users on the previous page still load its CSS");
    assert_eq!(g.get(&css_of(1)).0, 404);
    assert_eq!(g.get(&css_of(0)).0, 404);
    assert!(summaries[3]["deleted"].as_array().unwrap().iter().any(|k| k == &serde_json::json!(css_of(1))), "{}", summaries[3]);

    // Rollback: the pages of the previous deploy are live again, pointing at files still there.
    let out = g.publish().current_dir(site.path()).args(["--to", "s3://site", "--rollback", "--json", "-", "-q"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(g.get("about.html").2, versions[2]["about.html"]);
    assert_eq!(g.get("manifest.json").2, versions[2]["manifest.json"]);
    pages_are_whole(&g, &PAGES);

    // max_deletes: past it, nothing is deleted and the summary says so.
    std::fs::write(
        site.path().join("kiln.toml"),
        std::fs::read_to_string(site.path().join("kiln.toml")).unwrap().replace("retain = 2", "retain = 1\nmax_deletes = 0"),
    )
    .unwrap();
    std::fs::write(&css, format!("{base}\n.v9 {{ color: red; }}\n")).unwrap();
    build(site.path());
    let out = g.publish().current_dir(site.path()).args(["--to", "s3://site"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("deletions NOT done") && stdout.contains("max_deletes"), "{stdout}");
    assert_eq!(g.get(&css_of(2)).0, 200, "nothing deleted");
}

#[test]
fn republishing_an_unchanged_build_never_deletes_the_previous_deploy() {
    let g = Garage::start();
    let site = sample_site();
    let css = site.path().join("css/about.css");
    let base = std::fs::read_to_string(&css).unwrap();
    let publish = || {
        let out = g.publish().current_dir(site.path()).args(["--to", "s3://site", "--json", "-", "-q"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let about_css = |tree: &BTreeMap<String, Vec<u8>>| tree.keys().find(|k| k.starts_with("assets/about.") && k.ends_with(".css")).unwrap().clone();
    // Deploy A, then B, then B again three times (default retain = 3 distinct deploys).
    let a = read_tree(&build(site.path()));
    publish();
    std::fs::write(&css, format!("{base}\n.b {{ color: blue; }}\n")).unwrap();
    let b = read_tree(&build(site.path()));
    publish();
    for _ in 0..3 {
        // A second apart, so each publish writes a record of its own (ids carry the time).
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let summary = publish();
        assert_eq!(summary["deleted"], serde_json::json!([]), "a publish that changes nothing deletes nothing: {summary}");
        assert_eq!(summary["uploaded"], 0, "{summary}");
    }
    assert_ne!(about_css(&a), about_css(&b));
    assert_eq!(g.get(&about_css(&a)).0, 200, "visitors still on deploy A load its CSS");
    assert_eq!(g.get(&about_css(&b)).0, 200);
}

#[test]
fn in_place_encoding_serves_the_compressed_bytes_at_the_main_key() {
    let g = Garage::start();
    let site = sample_site();
    std::fs::write(
        site.path().join("kiln.toml"),
        std::fs::read_to_string(site.path().join("kiln.toml")).unwrap() + "\n[publish]\nencoding = \"brotli-in-place\"\n",
    )
    .unwrap();
    let dist = build(site.path());
    let local = read_tree(&dist);
    let out = g.publish().current_dir(site.path()).args(["--to", "s3://site/www"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let css = local.keys().find(|k| k.starts_with("assets/site.") && k.ends_with(".css")).unwrap();
    let (status, h, body) = g.get(&format!("www/{css}"));
    assert_eq!(status, 200);
    assert_eq!(h["content-encoding"], "br");
    assert_eq!(body, local[&format!("{css}.br")]);
    assert_eq!(g.get(&format!("www/{css}.br")).0, 404, "no sibling keys in place mode");
    assert_eq!(g.get(css).0, 404, "nothing outside the prefix");
}

#[test]
fn bad_credentials_endpoints_buckets_and_folders_fail_clearly() {
    let g = Garage::start();
    let site = sample_site();
    let dist = build(site.path());
    let run = |cmd: &mut assert_cmd::Command| {
        let o = cmd.output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (code, err) = run(g.publish().arg(&dist).args(["--to", "s3://site"]).env("AWS_SECRET_ACCESS_KEY", "0".repeat(64)));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("refused the credentials"), "{err}");
    let (code, err) = run(g.publish().arg(&dist).args(["--to", "s3://no-such-bucket"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (code, err) = run(g.publish_with(&format!("http://127.0.0.1:{closed}")).arg(&dist).args(["--to", "s3://site"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot reach"), "{err}");
    let (code, err) = run(g.publish().arg(site.path().join("nope")).args(["--to", "s3://site"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    // A half-written output: a file the manifest lists is missing.
    let css = read_tree(&dist).into_keys().find(|k| k.ends_with(".css")).unwrap();
    std::fs::remove_file(dist.join(&css)).unwrap();
    let (code, err) = run(g.publish().arg(&dist).args(["--to", "s3://site"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("incomplete"), "{err}");
    assert_eq!(g.get("index.html").0, 404, "nothing was published");
}

#[test]
fn a_server_stopped_mid_publish_leaves_every_live_page_whole() {
    let mut g = Garage::start();
    let site = sample_site();
    // Many assets, so the publish takes a while: a page that imports 400 generated images.
    let mut html = String::from("<!doctype html><title>many</title>");
    std::fs::create_dir_all(site.path().join("many")).unwrap();
    for i in 0..400 {
        std::fs::write(site.path().join(format!("many/{i}.txt")), format!("file {i} {}", "x".repeat(2000))).unwrap();
        html.push_str(&format!("<a href=\"many/{i}.txt\">{i}</a>"));
    }
    std::fs::write(site.path().join("many.html"), &html).unwrap();
    let dist = build(site.path());
    let started = std::time::Instant::now();
    publish(&g, &dist, &["--dry-run"]);
    let v1 = publish(&g, &dist, &[]);
    let full = started.elapsed();
    assert!(v1["uploaded"].as_u64().unwrap() > 800);
    // Change every generated file, publish again, and stop the server part-way.
    for i in 0..400 {
        std::fs::write(site.path().join(format!("many/{i}.txt")), format!("file {i} v2 {}", "y".repeat(2000))).unwrap();
    }
    let dist = build(site.path());
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("kiln"));
    child.args(["publish"]).arg(&dist).args(["--to", "s3://site", "-q", "--endpoint", &g.endpoint()]);
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", g.key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", g.secret.as_str()),
        ("AWS_REGION", crate::garage::REGION),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        child.env(k, v);
    }
    child.env("AWS_CONFIG_FILE", g.dir.path().join("none")).env("AWS_SHARED_CREDENTIALS_FILE", g.dir.path().join("none"));
    let running = child.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(full / 3);
    g.stop();
    let out = running.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "the publish should have failed: {}", String::from_utf8_lossy(&out.stderr));
    g.restart();
    // After the failure: every live page is whole (the old pages, old assets still there).
    pages_are_whole(&g, &["many.html", "index.html"]);
    // Publish again: the final state is the new build.
    publish(&g, &dist, &[]);
    let local = read_tree(&dist);
    assert_eq!(g.get("many.html").2, local["many.html"]);
    pages_are_whole(&g, &["many.html", "index.html", "about.html"]);
    let again = publish(&g, &dist, &[]);
    assert_eq!(again["uploaded"], 0);
}

/// A stand-in for CloudFront's API on loopback: records each request, answers CreateInvalidation.
/// A stand-in API on loopback: answers each request with the next of `answers` (the last one
/// repeats), and hands every request (head, blank line, body) to the returned receiver.
fn stub_api(answers: Vec<String>) -> (u16, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let _ = tx.send(format!("{head}\n{}", String::from_utf8_lossy(&body)));
            let _ = stream.write_all(answers[n.min(answers.len() - 1)].as_bytes());
        }
    });
    (port, rx)
}

/// An HTTP/1.1 answer closing the connection.
fn answer(status: &str, headers: &str, body: &str) -> String {
    format!("HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
}

fn fake_cloudfront() -> (u16, std::sync::mpsc::Receiver<String>) {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Invalidation xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Id>I2J0I21PCUYOIK</Id><Status>InProgress</Status><CreateTime>2026-11-22T00:00:00Z</CreateTime><InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/x</Path></Items></Paths><CallerReference>r</CallerReference></InvalidationBatch></Invalidation>";
    stub_api(vec![answer(
        "201 Created",
        "Content-Type: text/xml\r\nLocation: https://cloudfront.amazonaws.com/2020-05-31/distribution/E1/invalidation/I2J0I21PCUYOIK\r\n",
        xml,
    )])
}

#[test]
fn changed_pages_are_invalidated_on_cloudfront() {
    let g = Garage::start();
    let site = sample_site();
    std::fs::write(
        site.path().join("kiln.toml"),
        std::fs::read_to_string(site.path().join("kiln.toml")).unwrap()
            + "\n[publish]\ncloudfront_distribution = \"E2EXAMPLE\"\nmultipart_threshold = \"5 MB\"\n",
    )
    .unwrap();
    // A public file past the multipart threshold: uploaded in parts, read back whole.
    let big: Vec<u8> = (0..6_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(site.path().join("public/big.bin"), &big).unwrap();
    let (port, requests) = fake_cloudfront();
    build(site.path());
    let out = g
        .publish()
        .current_dir(site.path())
        .env("AWS_ENDPOINT_URL_CLOUDFRONT", format!("http://127.0.0.1:{port}"))
        .args(["--to", "s3://site", "--json", "-", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["invalidation_id"], "I2J0I21PCUYOIK", "{summary}");
    let request = requests.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert!(request.starts_with("POST /2020-05-31/distribution/E2EXAMPLE/invalidation"), "{request}");
    for path in ["<Path>/index.html</Path>", "<Path>/</Path>", "<Path>/about.html</Path>", "<Path>/robots.txt</Path>"] {
        assert!(request.contains(path), "{path} missing from\n{request}");
    }
    assert!(!request.contains("<Path>/assets/"), "hashed files never need invalidating:\n{request}");
    assert_eq!(g.get("big.bin").2, big, "the multipart upload reads back whole");
    // A re-publish with one page changed invalidates that page only.
    let about = site.path().join("about.html");
    std::fs::write(&about, std::fs::read_to_string(&about).unwrap().replace("1987", "1988")).unwrap();
    build(site.path());
    let out = g
        .publish()
        .current_dir(site.path())
        .env("AWS_ENDPOINT_URL_CLOUDFRONT", format!("http://127.0.0.1:{port}"))
        .args(["--to", "s3://site", "--json", "-", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["invalidated"], serde_json::json!(["/about.html", "/manifest.json"]), "{summary}");
}

/// The Cloudflare purge (`publish.cloudflare_zone`) against a stand-in of its API on loopback
/// (the real one is out of reach here): the request Cloudflare documents (POST
/// zones/ZONE/purge_cache, a bearer token, `{"files": [full URLs]}`), 100 URLs to a request,
/// a rate-limited request sent again after Retry-After, a refused token named after the pages
/// went live, a missing token refused before anything is uploaded, and a rollback purging
/// what it changed.
#[test]
fn changed_pages_are_purged_on_cloudflare() {
    let g = Garage::start();
    let site = sample_site();
    let zone = "023e105f4ecef8ad9ca31a8372d0c353";
    std::fs::write(
        site.path().join("kiln.toml"),
        std::fs::read_to_string(site.path().join("kiln.toml")).unwrap()
            + &format!("\n[publish]\ncloudflare_zone = \"{zone}\"\nsite_url = \"https://www.example.com/\"\n"),
    )
    .unwrap();
    build(site.path());
    let run = |port: Option<u16>, extra: &[&str]| {
        let mut cmd = g.publish();
        cmd.current_dir(site.path()).env_remove("CLOUDFLARE_API_TOKEN").args(["--to", "s3://site", "--json", "-", "-q"]).args(extra);
        if let Some(port) = port {
            cmd.env("CLOUDFLARE_API_TOKEN", "test-token").env("CLOUDFLARE_API_BASE_URL", format!("http://127.0.0.1:{port}/client/v4"));
        }
        cmd.output().unwrap()
    };

    // No token: refused before anything is uploaded (a dry run needs none).
    let out = run(None, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CLOUDFLARE_API_TOKEN"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(g.get("index.html").0, 404, "nothing uploaded");
    let out = run(None, &["--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dry: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(dry["purged"].as_array().unwrap().contains(&serde_json::json!("https://www.example.com/about.html")), "{dry}");

    // First publish: rate-limited once, then accepted.
    let ok =
        |id: &str| answer("200 OK", "Content-Type: application/json\r\n", &format!(r#"{{"success":true,"errors":[],"messages":[],"result":{{"id":"{id}"}}}}"#));
    let limited = answer(
        "429 Too Many Requests",
        "Content-Type: application/json\r\nRetry-After: 1\r\n",
        r#"{"success":false,"errors":[{"code":971,"message":"Please wait and consider throttling your request speed"}],"messages":[],"result":null}"#,
    );
    let (port, requests) = stub_api(vec![limited, ok("p1")]);
    let out = run(Some(port), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["purge_ids"], serde_json::json!(["p1"]), "{summary}");
    let first = requests.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    let again = requests.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert_eq!(first, again, "the rate-limited request is sent again as it was");
    assert!(first.starts_with(&format!("POST /client/v4/zones/{zone}/purge_cache HTTP/1.1")), "{first}");
    assert!(first.to_ascii_lowercase().contains("authorization: bearer test-token"), "{first}");
    let (_, body) = first.split_once("\n\n").unwrap();
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    let files: Vec<&str> = body["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    for url in ["https://www.example.com/", "https://www.example.com/index.html", "https://www.example.com/about.html", "https://www.example.com/robots.txt"] {
        assert!(files.contains(&url), "{url} missing from {files:?}");
    }
    assert!(files.iter().all(|f| !f.contains("/assets/")), "hashed files never need purging: {files:?}");
    assert_eq!(files, summary["purged"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect::<Vec<_>>());

    // 150 changed public files: two requests, 100 URLs and the rest.
    for i in 0..150 {
        std::fs::write(site.path().join(format!("public/note-{i:03}.txt")), format!("note {i}\n")).unwrap();
    }
    build(site.path());
    let (port, requests) = stub_api(vec![ok("p2"), ok("p3")]);
    let out = run(Some(port), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["purge_ids"], serde_json::json!(["p2", "p3"]), "{summary}");
    let counts: Vec<usize> = (0..2)
        .map(|_| {
            let r = requests.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
            let body: serde_json::Value = serde_json::from_str(r.split_once("\n\n").unwrap().1).unwrap();
            body["files"].as_array().unwrap().len()
        })
        .collect();
    assert_eq!(counts, [100, summary["purged"].as_array().unwrap().len() - 100]);
    assert_eq!(summary["purged"].as_array().unwrap().len(), 150, "one URL a file, twins folded in");

    // A token Cloudflare refuses: the pages are live, the error says so and names the token.
    let about = site.path().join("about.html");
    std::fs::write(&about, std::fs::read_to_string(&about).unwrap().replace("1987", "1988")).unwrap();
    build(site.path());
    let refused = answer(
        "403 Forbidden",
        "Content-Type: application/json\r\n",
        r#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}"#,
    );
    let (port, _requests) = stub_api(vec![refused]);
    let out = run(Some(port), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("the pages are published, but purging Cloudflare zone {zone} failed"))
            && stderr.contains("10000 Authentication error")
            && stderr.contains("CLOUDFLARE_API_TOKEN"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&g.get("about.html").2).contains("1988"), "the deploy went live before the purge");

    // A rollback purges the pages it puts back.
    let (port, requests) = stub_api(vec![ok("p4")]);
    let out = run(Some(port), &["--rollback"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&g.get("about.html").2).contains("1987"));
    let r = requests.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert!(r.contains("https://www.example.com/about.html"), "{r}");
    assert!(!r.contains("/assets/"), "{r}");
}

#[test]
fn cloudflare_keys_are_checked_with_their_location() {
    let site = sample_site();
    let toml = site.path().join("kiln.toml");
    let base = std::fs::read_to_string(&toml).unwrap();
    for (extra, expect) in [
        ("cloudflare_zone = \"023e105f4ecef8ad9ca31a8372d0c353\"\n", "set publish.site_url"),
        ("cloudflare_zone = \"0123\"\nsite_url = \"www.example.com\"\n", "publish.site_url must be the address"),
        ("cloudflare_zone = \"zone/1\"\nsite_url = \"https://example.com\"\n", "publish.cloudflare_zone must be the zone's id"),
    ] {
        std::fs::write(&toml, format!("{base}\n[publish]\n{extra}")).unwrap();
        let out = kiln().arg("build").arg(site.path()).args(["-q", "--no-budgets"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expect) && stderr.contains("kiln.toml:"), "{extra}: {stderr}");
    }
}

/// Issue 38: an output folder edited by hand (or an older kiln's) that holds a secret file and
/// a secret value is refused whole, nothing uploaded; dotfiles are never uploaded, but
/// `.well-known/` is, and the website endpoint then serves no `.env`.
#[test]
fn publish_never_uploads_secrets_or_dotfiles() {
    let g = Garage::start();
    let site = sample_site();
    let dist = build(site.path());
    std::fs::write(dist.join(".env"), "AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKQ\n").unwrap();
    std::fs::write(dist.join("notes.txt"), "stripe: sk_live_4eC39HqLyjWDarjtT1zdp7dc\n").unwrap();
    std::fs::write(dist.join(".htaccess"), "Options -Indexes\n").unwrap();
    std::fs::create_dir_all(dist.join(".well-known")).unwrap();
    std::fs::write(dist.join(".well-known/security.txt"), "Contact: mailto:security@example.com\n").unwrap();

    let out = g.publish().arg(&dist).args(["--to", "s3://site", "-q"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(".env is an environment file") && stderr.contains("notes.txt:1:9 holds a live Stripe secret key"), "{stderr}");
    assert_eq!(g.get("index.html").0, 404, "nothing was uploaded");

    std::fs::remove_file(dist.join(".env")).unwrap();
    std::fs::remove_file(dist.join("notes.txt")).unwrap();
    let first = publish(&g, &dist, &[]);
    let keys = uploads(&first);
    assert!(keys.iter().any(|k| k == ".well-known/security.txt"), "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains(".htaccess") || k.contains(".env")), "{keys:?}");
    assert_eq!(g.get(".well-known/security.txt").0, 200);
    assert_eq!(g.get(".htaccess").0, 404);
    assert_eq!(g.get(".env").0, 404);
}
