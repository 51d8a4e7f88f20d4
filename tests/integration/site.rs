//! Properties of the sample site's build.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::common::{kiln, read_tree, sample_site};

fn build(root: &Path, extra: &[&str]) -> std::process::Output {
    kiln().arg("build").arg(root).arg("--quiet").args(extra).output().unwrap()
}

/// Every URL starting with `/` in a built text file, without query or fragment.
fn local_urls(text: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for (i, _) in text.match_indices('/') {
        let before = text[..i].chars().last().unwrap_or(' ');
        if !matches!(before, '=' | '"' | '\'' | '(' | ' ' | ',') || text[i + 1..].starts_with('/') || text[i..].starts_with("/>") {
            continue;
        }
        let end = text[i..].find(|c: char| c.is_whitespace() || "\"'()>,?#".contains(c)).map_or(text.len(), |e| i + e);
        let url = &text[i..end];
        if url.len() > 1 && url.contains('.') {
            urls.push(url.to_owned());
        }
    }
    urls
}

#[test]
fn every_reference_resolves_and_no_placeholder_is_left() {
    let site = sample_site();
    let out = build(site.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dist = site.path().join("dist");
    let tree = read_tree(&dist);
    let mut checked = 0;
    for (path, bytes) in &tree {
        let Ok(text) = std::str::from_utf8(bytes) else { continue };
        assert!(!text.contains("__kiln_"), "placeholder left in {path}");
        if !(path.ends_with(".html") || path.ends_with(".css") || path.ends_with(".webmanifest")) {
            continue;
        }
        for url in local_urls(text) {
            let file = url.trim_start_matches('/');
            assert!(tree.contains_key(file), "{path} refers to {url}, which is not in the output");
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} references checked");
    // Pages keep their names; everything they reference is hashed.
    let index = String::from_utf8(tree["index.html"].clone()).unwrap();
    for src in ["img/logo.svg", "css/site.css", "js/menu.js", "img/chart.png", "site.webmanifest"] {
        assert!(!index.contains(src), "index.html still refers to {src}");
    }
    assert!(index.contains("href=blog/first-loaf.html"), "links to pages are kept");
    assert!(index.contains("https://example.com/order"), "external links are kept");
    assert!(tree.contains_key("robots.txt"), "public files are copied to the top level");
}

#[test]
fn twins_decompress_to_the_original() {
    let site = sample_site();
    assert!(build(site.path(), &[]).status.success());
    let tree = read_tree(&site.path().join("dist"));
    let mut twins = 0;
    for (path, bytes) in &tree {
        let mut back = Vec::new();
        if let Some(orig) = path.strip_suffix(".gz") {
            flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut back).unwrap();
            assert_eq!(back, tree[orig], "{path}");
        } else if let Some(orig) = path.strip_suffix(".br") {
            brotli::Decompressor::new(&bytes[..], 4096).read_to_end(&mut back).unwrap();
            assert_eq!(back, tree[orig], "{path}");
        } else {
            continue;
        }
        assert!(bytes.len() < back.len(), "{path} is not smaller than its original");
        twins += 1;
    }
    assert!(twins >= 6, "only {twins} twins");
}

#[test]
fn builds_are_byte_identical_across_runs_and_thread_counts() {
    let site = sample_site();
    let outs = tempfile::tempdir().unwrap();
    let runs: Vec<_> = [vec!["--jobs", "1"], vec!["--jobs", "2"], vec![], vec!["--jobs", "7"]]
        .iter()
        .enumerate()
        .map(|(i, jobs)| {
            let out = outs.path().join(format!("out{i}"));
            let mut args = vec!["--out", out.to_str().unwrap()];
            args.extend(jobs.iter().copied());
            let result = build(site.path(), &args);
            assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
            read_tree(&out)
        })
        .collect();
    assert!(runs[0].len() > 20);
    for run in &runs[1..] {
        assert_eq!(run.keys().collect::<Vec<_>>(), runs[0].keys().collect::<Vec<_>>());
        for (path, bytes) in run {
            assert!(bytes == &runs[0][path], "{path} differs between builds");
        }
    }
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let site = sample_site();
    assert!(build(site.path(), &[]).status.success());
    let dist = site.path().join("dist");
    let before = read_tree(&dist);
    // Break two files: a missing image in a page, and a CSS syntax error.
    let about = site.path().join("about.html");
    let text = std::fs::read_to_string(&about).unwrap().replace("img/chart.png", "img/nope.png");
    std::fs::write(&about, text).unwrap();
    std::fs::write(site.path().join("css/about.css"), "main { color: red }\n@import \"x.css\";\n").unwrap();
    let out = build(site.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("about.html:20:19"), "{stderr}");
    assert!(stderr.contains("css/about.css:2:8"), "both errors are reported: {stderr}");
    assert_eq!(read_tree(&dist), before, "the previous output changed");
    let leftovers: Vec<_> = std::fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("kiln-") && n != ".kiln-cache")
        .collect();
    assert!(leftovers.is_empty(), "staging folders left behind: {leftovers:?}");
}

#[test]
fn a_rebuild_links_the_files_it_would_write_unchanged_and_writes_the_others() {
    use std::os::unix::fs::MetadataExt;
    let site = sample_site();
    // Without deltas: a rebuild's output is then what a clean build writes (with them, it
    // also holds deltas against the files it replaced).
    let toml = site.path().join("kiln.toml");
    std::fs::write(&toml, std::fs::read_to_string(&toml).unwrap() + "\n[delta]\nenabled = false\n").unwrap();
    let dist = site.path().join("dist");
    assert!(build(site.path(), &[]).status.success());
    let inodes = |dir: &Path| -> BTreeMap<String, u64> {
        read_tree(dir).into_keys().map(|p| (p.clone(), std::fs::symlink_metadata(dir.join(&p)).unwrap().ino())).collect()
    };
    let first = inodes(&dist);
    // A file of the previous output that is a link (to a file with the right bytes) and one
    // whose bytes were changed in place: both must be written again.
    let (linked, edited) =
        (first.keys().find(|p| p.ends_with(".css") && !p.contains("about")).unwrap().clone(), first.keys().find(|p| p.ends_with(".js")).unwrap().clone());
    let aside = tempfile::tempdir().unwrap();
    let elsewhere = aside.path().join("elsewhere.css");
    std::fs::rename(dist.join(&linked), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dist.join(&linked)).unwrap();
    let mut bytes = std::fs::read(dist.join(&edited)).unwrap();
    bytes[0] ^= 1;
    std::fs::write(dist.join(&edited), bytes).unwrap();
    let first = inodes(&dist);

    std::fs::write(site.path().join("css/about.css"), "main { color: green }\n").unwrap();
    assert!(build(site.path(), &[]).status.success());
    let second = inodes(&dist);
    let clean = aside.path().join("clean");
    assert!(build(site.path(), &["--out", clean.to_str().unwrap(), "--no-cache"]).status.success());
    assert_eq!(read_tree(&dist), read_tree(&clean), "a rebuild writes what a clean build does");
    let kept: Vec<&String> = second.keys().filter(|p| first.get(*p) == Some(&second[*p])).collect();
    let written: Vec<&String> = second.keys().filter(|p| first.get(*p) != Some(&second[*p])).collect();
    assert!(kept.len() > 5 && kept.iter().any(|p| p.ends_with(".html")) && kept.iter().any(|p| p.ends_with(".woff2")), "unchanged files are linked: {kept:?}");
    for p in [&linked, &edited] {
        assert!(written.contains(&p), "{p} is written again: {written:?}");
        assert!(std::fs::symlink_metadata(dist.join(p)).unwrap().is_file(), "{p} is a file of its own");
    }
    assert!(written.iter().any(|p| p.contains("about") && p.ends_with(".css")), "the changed stylesheet is new: {written:?}");
}

#[test]
fn a_changed_image_renames_it_and_the_css_that_points_at_it_only() {
    let site = sample_site();
    let outs = tempfile::tempdir().unwrap();
    let first = outs.path().join("a");
    let second = outs.path().join("b");
    assert!(build(site.path(), &["--out", first.to_str().unwrap()]).status.success());
    let woff2 = site.path().join("fonts/dejavu-sans.woff2");
    let mut bytes = std::fs::read(&woff2).unwrap();
    bytes.push(0);
    std::fs::write(&woff2, bytes).unwrap();
    assert!(build(site.path(), &["--out", second.to_str().unwrap()]).status.success());
    let names = |dir: &Path| -> std::collections::BTreeSet<String> {
        read_tree(dir).into_keys().filter(|p| p.starts_with("assets/") && !p.ends_with(".gz") && !p.ends_with(".br")).collect()
    };
    let (a, b) = (names(&first), names(&second));
    let gone: Vec<_> = a.difference(&b).map(|p| p.split('.').next().unwrap().to_owned()).collect();
    assert_eq!(gone, vec!["assets/dejavu-sans", "assets/site"], "only the font and the CSS importing it change names");
}

#[test]
fn report_json_lists_every_file() {
    let site = sample_site();
    let out = kiln().arg("build").arg(site.path()).arg("--json").arg("-").arg("--quiet").output().unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = report["files"].as_array().unwrap();
    let on_disk = read_tree(&site.path().join("dist")).into_keys().filter(|p| !p.ends_with(".gz") && !p.ends_with(".br") && p != ".kiln-output").count();
    assert_eq!(files.len(), on_disk);
    let css = files.iter().find(|f| f["src"] == "css/site.css").unwrap();
    assert!(css["brotli"].as_u64().unwrap() < css["size"].as_u64().unwrap());
    assert_eq!(css["group"], "stylesheet");
    assert!(report["timings"].as_array().unwrap().iter().any(|t| t["stage"] == "compress"));
}

#[test]
fn the_table_and_timings_are_printed() {
    let site = sample_site();
    let out = kiln().arg("build").arg(site.path()).arg("--timings").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("index.html"), "{stdout}");
    assert!(stdout.contains("gzip:") && stdout.contains("brotli:"), "{stdout}");
    assert!(stdout.contains("fingerprint") && stdout.contains("total"), "{stdout}");
    // The build cache's line: all made the first time, all taken from the cache the second.
    let cache_line = |out: &str| out.lines().find(|l| l.trim_start().starts_with("cache:")).map(str::to_owned).unwrap_or_default();
    assert!(cache_line(&stdout).contains("cache: 0 hits"), "{stdout}");
    let again = kiln().arg("build").arg(site.path()).arg("--timings").output().unwrap();
    let again = cache_line(&String::from_utf8_lossy(&again.stdout));
    assert!(again.contains(", 0 misses") && !again.contains("cache: 0 hits"), "{again}");
}

#[test]
fn bad_root_and_bad_flags_exit_2() {
    let out = kiln().args(["build", "/no/such/folder"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/folder"));
    let out = kiln().args(["build", "--jobs", "many"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let site = sample_site();
    let out = kiln().arg("build").arg(site.path()).args(["--out"]).arg(site.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("contains it"));
}

#[test]
fn no_compress_writes_no_twins() {
    let site = sample_site();
    assert!(build(site.path(), &["--no-compress"]).status.success());
    let tree = read_tree(&site.path().join("dist"));
    assert!(!tree.keys().any(|p| p.ends_with(".gz") || p.ends_with(".br")));
}
