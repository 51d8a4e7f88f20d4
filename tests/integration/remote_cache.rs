//! The remote build cache against a real S3-compatible server (Garage): CI runners with empty
//! local caches sharing one bucket, signed entries, read-only jobs, namespaces, and a remote
//! that fails before or during a build.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::{kiln, read_tree, sample_site};
use crate::garage::{Garage, BUCKET};

const PREFIX: &str = "build-cache";

/// The sample site, with its remote cache in Garage's bucket at `endpoint`.
fn site(endpoint: &str) -> tempfile::TempDir {
    let site = sample_site();
    let toml = site.path().join("kiln.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str(&format!("\n[cache]\nremote = \"s3://{BUCKET}/{PREFIX}\"\nendpoint = \"{endpoint}\"\ntimeout = 5\n"));
    std::fs::write(&toml, text).unwrap();
    site
}

/// A CI runner: a build of `site` with its own empty local cache and these environment
/// variables (on top of Garage's credentials); the report and the output folder.
fn runner(g: &Garage, site: &Path, env: &[(&str, &str)]) -> (serde_json::Value, PathBuf, tempfile::TempDir) {
    let work = tempfile::tempdir().unwrap();
    let toml = site.join("kiln.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let local = work.path().join("cache");
    let with_dir = format!("cache_dir = {:?}\n{text}", local.display().to_string());
    std::fs::write(work.path().join("kiln.toml"), with_dir).unwrap();
    let out = work.path().join("dist");
    let mut cmd = kiln();
    cmd.arg("build").arg(site).arg("--config").arg(work.path().join("kiln.toml")).arg("--out").arg(&out).args(["--json", "-", "--quiet"]);
    cmd.envs(g.env()).env_remove("AWS_PROFILE");
    for var in ["KILN_CACHE_SECRET", "KILN_CACHE_SIGNING_KEY", "KILN_CACHE_PUBLIC_KEY", "KILN_CACHE_NAMESPACE", "KILN_CACHE_READ_ONLY", "KILN_CACHE_REMOTE"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let result = cmd.output().unwrap();
    assert!(result.status.success(), "build failed: {}", String::from_utf8_lossy(&result.stderr));
    let report: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    (report, out, work)
}

fn remote(report: &serde_json::Value) -> &serde_json::Value {
    &report["cache"]["remote"]
}

fn warnings(report: &serde_json::Value) -> String {
    report["warnings"].as_array().unwrap().iter().map(|w| w["message"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>().join("\n")
}

/// An S3 client of Garage's with its key (and nothing from the environment), and where the
/// cache lives.
fn client(g: &Garage) -> (aws_sdk_s3::Client, kiln::parts::s3::Target) {
    let target = kiln::parts::s3::Target {
        bucket: BUCKET.into(),
        prefix: format!("{PREFIX}/"),
        region: Some(crate::garage::REGION.into()),
        endpoint: Some(g.endpoint()),
        path_style: true,
        checksum_when_required: true,
        profile: None,
    };
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(crate::garage::REGION))
        .endpoint_url(g.endpoint())
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(&g.key_id, &g.secret, None, None, "test"))
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired)
        .build();
    (aws_sdk_s3::Client::from_conf(conf), target)
}

/// The remote cache's objects: key (without the prefix) → bytes.
fn objects(g: &Garage) -> std::collections::BTreeMap<String, Vec<u8>> {
    let (client, target) = client(g);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut out = std::collections::BTreeMap::new();
        for (key, _) in kiln::parts::s3::list(&client, &target).await.unwrap() {
            let bytes = kiln::parts::s3::get_bytes(&client, &target, &key).await.unwrap();
            out.insert(key, bytes);
        }
        out
    })
}

fn put_object(g: &Garage, key: &str, bytes: Vec<u8>) {
    let (client, target) = client(g);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        kiln::parts::s3::put_bytes(&client, &target, key, bytes, "application/octet-stream").await.unwrap();
    });
}

#[test]
fn runners_share_signed_entries_and_untrusted_ones_are_never_used() {
    let g = Garage::start();
    let site = site(&g.endpoint());
    let (private, public) = {
        let out = kiln().args(["cache", "keygen"]).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let value = |name: &str| text.lines().find_map(|l| l.strip_prefix(&format!("{name}="))).unwrap().to_owned();
        (value("KILN_CACHE_SIGNING_KEY"), value("KILN_CACHE_PUBLIC_KEY"))
    };
    let signer = [("KILN_CACHE_SIGNING_KEY", private.as_str())];

    // Without a key, the remote is off (and says so): nothing is read or written.
    let (report, _, _) = runner(&g, site.path(), &[]);
    assert!(warnings(&report).contains("no key in the environment"), "{report}");
    assert!(remote(&report).is_null());
    assert!(objects(&g).is_empty());

    // The first runner builds everything and uploads it, signed, into `main`.
    let (first, first_out, _w1) = runner(&g, site.path(), &signer);
    let written = remote(&first)["written"].as_u64().unwrap();
    assert!(written >= 10, "{first}");
    assert_eq!(remote(&first)["hits"], 0);
    assert_eq!(remote(&first)["requests"], 0, "the listing said the bucket is empty: no lookup should ask");
    let stored = objects(&g);
    assert_eq!(stored.len() as u64, written);
    assert!(stored.keys().all(|k| k.starts_with("main/")), "{:?}", stored.keys());

    // The second runner, empty too, takes every entry from the remote and writes the same.
    let (second, second_out, _w2) = runner(&g, site.path(), &signer);
    assert_eq!(remote(&second)["hits"].as_u64(), Some(written), "{second}");
    assert_eq!(remote(&second)["misses"], 0);
    assert_eq!(remote(&second)["written"], 0);
    assert_eq!(remote(&second)["requests"].as_u64(), Some(written), "only listed entries are requested");
    assert!(remote(&second)["bytes_read"].as_u64().unwrap() > 10_000);
    // The minified and printed modules came in the JS stage's pack, one remote entry.
    assert!(second["cache"]["hits"].as_u64().unwrap() > 0, "{second}");
    assert_eq!(read_tree(&first_out), read_tree(&second_out));

    // A job holding only the public key reads, and writes nothing even with a change.
    std::fs::write(site.path().join("css/extra-for-pr.css"), "body{color:#123456}").unwrap();
    let css = std::fs::read_to_string(site.path().join("index.html")).unwrap();
    std::fs::write(site.path().join("index.html"), css.replace("</head>", "<link rel=\"stylesheet\" href=\"css/extra-for-pr.css\"></head>")).unwrap();
    let (pr, _, _) = runner(&g, site.path(), &[("KILN_CACHE_PUBLIC_KEY", &public), ("KILN_CACHE_NAMESPACE", "pr-7")]);
    assert!(remote(&pr)["hits"].as_u64().unwrap() > 0, "{pr}");
    assert!(remote(&pr)["misses"].as_u64().unwrap() > 0, "{pr}");
    assert_eq!(remote(&pr)["written"], 0);
    assert_eq!(remote(&pr)["read_only"], true);
    // So does a job told to be read-only, whatever key it holds.
    let (ro, _, _) = runner(&g, site.path(), &[signer[0], ("KILN_CACHE_READ_ONLY", "1"), ("KILN_CACHE_NAMESPACE", "pr-7")]);
    assert_eq!(remote(&ro)["written"], 0, "{ro}");
    assert_eq!(objects(&g).len() as u64, written, "a read-only job wrote to the bucket");
    // A writing pull-request job writes into its own namespace only.
    let (prw, _, _) = runner(&g, site.path(), &[signer[0], ("KILN_CACHE_NAMESPACE", "pr-7")]);
    assert!(remote(&prw)["written"].as_u64().unwrap() > 0, "{prw}");
    let now = objects(&g);
    assert!(now.keys().filter(|k| !k.starts_with("main/")).all(|k| k.starts_with("pr-7/")));
    assert_eq!(now.keys().filter(|k| k.starts_with("main/")).count() as u64, written);

    // Copied into `main` (someone with write access to the bucket but not the key), a
    // pull request's entry does not verify there; nor does a tampered or unsigned one.
    let pr_entry = now.iter().find(|(k, _)| k.starts_with("pr-7/")).unwrap();
    let mut main_entries: Vec<(&String, &Vec<u8>)> = now.iter().filter(|(k, _)| k.starts_with("main/")).collect();
    main_entries.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    let (tampered_key, tampered) = main_entries[0];
    let mut bytes = tampered.clone();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x20;
    put_object(&g, tampered_key, bytes);
    let (unsigned_key, unsigned) = main_entries[1];
    // The bare payload, as an unsigned cache would store it.
    put_object(&g, unsigned_key, unsigned[10 + unsigned[9] as usize..].to_vec());
    let (copied_key, _) = main_entries[2];
    put_object(&g, copied_key, pr_entry.1.clone());
    std::fs::remove_file(site.path().join("css/extra-for-pr.css")).unwrap();
    std::fs::write(site.path().join("index.html"), css).unwrap();
    let (checked, checked_out, _w3) = runner(&g, site.path(), &signer);
    assert_eq!(remote(&checked)["rejected"], 3, "{checked}");
    assert_eq!(remote(&checked)["hits"].as_u64(), Some(written - 3));
    assert!(warnings(&checked).contains("is not signed with this build's key"), "{checked}");
    assert_eq!(read_tree(&first_out), read_tree(&checked_out), "a rejected entry was used");
}

/// Two runners whose checkouts sit at different paths (GitLab, Buildkite and self-hosted
/// agents name workspaces after the runner): every key is made of root-relative paths, so the
/// second takes every entry the first wrote and uploads nothing.
#[test]
fn runners_at_different_checkout_paths_share_every_entry() {
    let g = Garage::start();
    let (a, b) = (site(&g.endpoint()), site(&g.endpoint()));
    assert_ne!(a.path(), b.path());
    let secret = [("KILN_CACHE_SECRET", "a shared secret of this test, 32 characters or more")];
    let (first, first_out, _w1) = runner(&g, a.path(), &secret);
    let written = remote(&first)["written"].as_u64().unwrap();
    assert!(written >= 10, "{first}");
    let stored = objects(&g);
    let (second, second_out, _w2) = runner(&g, b.path(), &secret);
    assert_eq!(remote(&second)["misses"], 0, "{second}");
    assert_eq!(remote(&second)["hits"].as_u64(), Some(written), "{second}");
    assert_eq!(remote(&second)["written"], 0, "{second}");
    assert_eq!(objects(&g), stored, "the second runner replaced entries");
    assert_eq!(read_tree(&first_out), read_tree(&second_out));
}

/// A TCP proxy to `upstream` that forwards the first `requests` HTTP requests, then drops
/// every connection and refuses new ones: a server that goes away mid-build.
fn failing_proxy(upstream: u16, requests: usize) -> (u16, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (seen, dead) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let dead_out = dead.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            if dead.load(Ordering::SeqCst) {
                drop(client);
                continue;
            }
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
            let (seen, dead) = (seen.clone(), dead.clone());
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || pump(s2, c2, None));
            std::thread::spawn(move || pump(client, server, Some((seen, dead, requests))));
        }
    });
    (port, dead_out)
}

fn pump(mut from: TcpStream, mut to: TcpStream, count: Option<(Arc<AtomicUsize>, Arc<AtomicBool>, usize)>) {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some((seen, dead, limit)) = &count {
            let starts = buf[..n].windows(10).filter(|w| w == b" HTTP/1.1\r").count();
            if seen.fetch_add(starts, Ordering::SeqCst) + starts > *limit || dead.load(Ordering::SeqCst) {
                dead.store(true, Ordering::SeqCst);
                break;
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
}

#[test]
fn a_remote_that_fails_before_or_during_a_build_never_fails_it() {
    let mut g = Garage::start();
    let secret = [("KILN_CACHE_SECRET", "a-shared-secret-of-at-least-32-characters")];
    // The reference: a build without any cache.
    let plain = sample_site();
    let reference = tempfile::tempdir().unwrap();
    kiln().arg("build").arg(plain.path()).arg("--out").arg(reference.path()).args(["--no-cache", "--quiet"]).assert().success();
    let expected = read_tree(reference.path());

    // The server goes away after a few requests (the 16 listings of the namespace's keys,
    // then a few uploads): the build finishes locally, with a warning.
    let (port, dead) = failing_proxy(g.s3_port, 20);
    let site_mid = site(&format!("http://127.0.0.1:{port}"));
    let (report, out, _w) = runner(&g, site_mid.path(), &secret);
    assert!(dead.load(Ordering::SeqCst), "the proxy never cut the connection: {report}");
    assert_eq!(remote(&report)["failed"], true, "{report}");
    assert!(warnings(&report).contains("building without it"), "{report}");
    assert_eq!(read_tree(&out), expected);

    // The server is down from the start.
    g.stop();
    let site_down = site(&g.endpoint());
    let (report, out, _w) = runner(&g, site_down.path(), &secret);
    assert_eq!(remote(&report)["failed"], true, "{report}");
    assert_eq!(remote(&report)["hits"], 0);
    assert!(warnings(&report).contains("building without it"), "{report}");
    assert_eq!(read_tree(&out), expected);
}
