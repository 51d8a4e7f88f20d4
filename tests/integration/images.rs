//! Images: lossless PNG and JPEG, SVG minification, WebP/AVIF and resized variants with
//! `<picture>`/`srcset` markup, rules by glob, bad input, and the build cache.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{kiln, png, read_tree, serve};
use crate::js::project;

fn build(root: &Path, out: &Path, extra: &[&str]) -> (std::process::Output, serde_json::Value) {
    let report = out.with_extension("json");
    let o = kiln().arg("build").arg(root).arg("--out").arg(out).args(["-q", "--no-budgets", "--json"]).arg(&report).args(extra).output().unwrap();
    let json = std::fs::read(&report).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    (o, json)
}

fn ok(root: &Path, out: &Path, extra: &[&str]) -> (BTreeMap<String, Vec<u8>>, serde_json::Value) {
    let (o, json) = build(root, out, extra);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (read_tree(out), json)
}

/// A PNG with a text chunk (metadata that does not change what is shown) after its header.
fn png_with_text(w: u32, h: u32) -> Vec<u8> {
    let plain = png(w, h);
    let body = b"Comment\0made by a test, with some words to strip".to_vec();
    let mut chunk = (body.len() as u32).to_be_bytes().to_vec();
    let mut typed = b"tEXt".to_vec();
    typed.extend_from_slice(&body);
    chunk.extend_from_slice(&typed);
    let crc = crc32(&typed);
    chunk.extend_from_slice(&crc.to_be_bytes());
    let ihdr_end = 8 + 25;
    [&plain[..ihdr_end], &chunk[..], &plain[ihdr_end..]].concat()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A JPEG with a comment segment and an XMP block inserted after its start marker.
fn jpeg_with_metadata(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 90]));
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90).encode_image(&img).unwrap();
    let segment = |marker: u8, payload: &[u8]| {
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v
    };
    let xmp = [&b"http://ns.adobe.com/xap/1.0/\0"[..], &[b'x'; 400][..]].concat();
    [&plain[..2], &segment(0xFE, b"a comment from the camera")[..], &segment(0xE1, &xmp)[..], &plain[2..]].concat()
}

fn decode(bytes: &[u8]) -> image::RgbaImage {
    image::load_from_memory(bytes).unwrap().to_rgba8()
}

fn output_of<'a>(tree: &'a BTreeMap<String, Vec<u8>>, manifest_key: &str) -> &'a [u8] {
    let m: serde_json::Value = serde_json::from_slice(&tree["manifest.json"]).unwrap();
    &tree[m[manifest_key]["file"].as_str().unwrap_or_else(|| panic!("{manifest_key} not in the manifest"))]
}

#[test]
fn pngs_and_jpegs_lose_metadata_not_pixels_and_never_grow() {
    let p = project(&[
        ("index.html", "<!doctype html><title>i</title><img src=a.png alt=a><img src=b.jpg alt=b><img src=logo.svg alt=c><img src=tiny.png alt=d>\n"),
        ("logo.svg", "<?xml version=\"1.0\"?>\n<!-- made in an editor -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 4 4\">\n  <metadata>lots</metadata>\n  <rect width=\"4\" height=\"4\" fill=\"red\"/>\n</svg>\n"),
    ]);
    std::fs::write(p.path().join("a.png"), png_with_text(64, 48)).unwrap();
    std::fs::write(p.path().join("b.jpg"), jpeg_with_metadata(40, 30)).unwrap();
    // Already as small as it gets: kept as it is.
    let tiny = png(1, 1);
    std::fs::write(p.path().join("tiny.png"), &tiny).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (tree, report) = ok(p.path(), &out.path().join("dist"), &[]);
    let a_in = std::fs::read(p.path().join("a.png")).unwrap();
    let a_out = output_of(&tree, "a.png");
    assert!(a_out.len() < a_in.len(), "{} → {}", a_in.len(), a_out.len());
    assert!(!a_out.windows(4).any(|w| w == b"tEXt"), "the text chunk is gone");
    assert_eq!(decode(a_out), decode(&a_in), "same pixels");
    let b_in = std::fs::read(p.path().join("b.jpg")).unwrap();
    let b_out = output_of(&tree, "b.jpg");
    assert!(b_out.len() < b_in.len() && !b_out.windows(9).any(|w| w == b"a comment"));
    assert_eq!(decode(b_out), decode(&b_in), "lossless: the same decoded pixels");
    let svg = String::from_utf8(output_of(&tree, "logo.svg").to_vec()).unwrap();
    assert_eq!(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 4 4\"><rect width=\"4\" height=\"4\" fill=\"red\"/></svg>");
    assert!(output_of(&tree, "tiny.png").len() <= tiny.len());
    let images = &report["images"];
    assert_eq!(images["files"], 4);
    assert!(images["bytes_after"].as_u64() < images["bytes_before"].as_u64(), "{images}");
}

#[test]
fn formats_and_widths_make_a_picture_whose_urls_all_exist() {
    let p = project(&[
        ("index.html", "<!doctype html><title>p</title><img src=photo.png alt=photo sizes=\"(min-width: 800px) 50vw, 100vw\"><img src=icons/icon.png alt=icon>\n\
            <script type=module>addEventListener('load', () => { const i = document.querySelector('img'); document.body.dataset.src = i.currentSrc; document.body.dataset.w = i.naturalWidth; });</script>\n"),
        ("kiln.toml", "[images]\nformats = [\"avif\", \"webp\"]\nwidths = [100, 200, 5000]\n\n[[images.rules]]\nfiles = \"icons/**\"\nformats = []\nwidths = []\n"),
    ]);
    std::fs::write(p.path().join("photo.png"), png(300, 150)).unwrap();
    std::fs::create_dir_all(p.path().join("icons")).unwrap();
    std::fs::write(p.path().join("icons/icon.png"), png(32, 32)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let dist = out.path().join("dist");
    let (tree, report) = ok(p.path(), &dist, &[]);
    let html = String::from_utf8(tree["index.html"].clone()).unwrap();
    // 100 and 200 wide copies (not 5000: never upscaled), in each format, plus full-size AVIF/WebP.
    assert_eq!(report["images"]["variants"], 2 + 3 + 3, "{}", report["images"]);
    assert!(html.contains("<picture><source "), "{html}");
    for (ty, ext) in [("image/avif", ".avif"), ("image/webp", ".webp")] {
        let at = html.find(&format!("type={ty}")).unwrap_or_else(|| panic!("no {ty} source in {html}"));
        let tag = &html[html[..at].rfind('<').unwrap()..at + html[at..].find('>').unwrap()];
        let listed: Vec<&str> = tag.split('"').nth(3).unwrap().split(", ").collect();
        assert_eq!(listed.len(), 3, "{tag}");
        for (entry, (name, w)) in listed.iter().zip([("photo-100.", 100), ("photo-200.", 200), ("photo.", 300)]) {
            assert!(entry.starts_with(&format!("/assets/{name}")) && entry.ends_with(&format!("{ext} {w}w")), "{entry} in {tag}");
        }
        assert!(tag.contains("sizes=\"(min-width: 800px) 50vw, 100vw\""), "{tag}");
    }
    assert!(html.contains("</picture>"));
    let img = &html[html.find("<img").unwrap()..];
    assert!(img.contains("height=150") && img.contains("width=300"), "width and height added: {img}");
    assert!(img.contains("/assets/photo-100.") && img.contains(".png 100w, /assets/photo-200.") && img.contains(".png 300w"), "{img}");
    // The icon rule: no variants, no picture.
    assert_eq!(html.matches("<picture>").count(), 1, "{html}");
    // Every URL in the markup is a file of the output, and each variant decodes at its width.
    for url in html.split(['"', ' ', '>', '<', ',']).filter(|s| s.starts_with("/assets/")) {
        let path = url.trim_start_matches('/');
        let bytes = tree.get(path).unwrap_or_else(|| panic!("{url} is not in the output"));
        if let Some(w) = path.rsplit_once('-').and_then(|(_, rest)| rest.split('.').next()?.parse::<u32>().ok()) {
            if !path.ends_with(".avif") {
                assert_eq!(image::load_from_memory(bytes).unwrap().width(), w, "{path}");
            }
        }
    }
    // Chromium picks the AVIF.
    let server = serve(&dist);
    let (dom, console) = crate::browser::load(&server.url);
    assert!(console.is_empty(), "{console:#?}");
    assert!(dom.contains(".avif\"") && dom.contains("data-src=\"http"), "{dom}");
}

#[test]
fn rules_make_photos_lossy_keep_skipped_files_identical() {
    let p = project(&[
        ("index.html", "<!doctype html><title>r</title><img src=photos/a.jpg alt><img src=raw/b.png alt>\n"),
        ("kiln.toml", "[[images.rules]]\nfiles = \"photos/**\"\njpeg_quality = 40\n\n[[images.rules]]\nfiles = \"raw/**\"\nskip = true\n"),
    ]);
    std::fs::create_dir_all(p.path().join("photos")).unwrap();
    std::fs::create_dir_all(p.path().join("raw")).unwrap();
    let photo = jpeg_with_metadata(120, 90);
    std::fs::write(p.path().join("photos/a.jpg"), &photo).unwrap();
    let raw = png_with_text(20, 20);
    std::fs::write(p.path().join("raw/b.png"), &raw).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (tree, _) = ok(p.path(), &out.path().join("dist"), &[]);
    let a = output_of(&tree, "photos/a.jpg");
    assert!(a.len() < photo.len() / 2, "lossy at quality 40: {} → {}", photo.len(), a.len());
    assert_eq!(output_of(&tree, "raw/b.png"), &raw[..], "skip keeps the bytes");
}

#[test]
fn corrupt_images_and_decompression_bombs_are_refused() {
    let p = project(&[("index.html", "<!doctype html><title>b</title><img src=broken.png alt>\n")]);
    let good = png(8, 8);
    std::fs::write(p.path().join("broken.png"), &good[..good.len() - 20]).unwrap();
    let out = tempfile::tempdir().unwrap();
    let dist = out.path().join("dist");
    let (o, _) = build(p.path(), &dist, &[]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("broken.png") && stderr.contains("on_bad_image"), "{stderr}");
    assert!(!dist.exists(), "nothing written");
    // With on_bad_image = "copy": a warning, and the file as it was.
    std::fs::write(p.path().join("kiln.toml"), "[images]\non_bad_image = \"copy\"\n").unwrap();
    let o = kiln().arg("build").arg(p.path()).arg("--out").arg(&dist).args(["--no-budgets"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning"), "{}", String::from_utf8_lossy(&o.stderr));
    let tree = read_tree(&dist);
    assert_eq!(output_of(&tree, "broken.png"), &good[..good.len() - 20]);
    // A PNG header claiming 100,000 × 100,000 pixels: refused before decoding.
    let mut bomb = good.clone();
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(p.path().join("broken.png"), &bomb).unwrap();
    std::fs::remove_file(p.path().join("kiln.toml")).unwrap();
    let (o, _) = build(p.path(), &out.path().join("bomb"), &[]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("broken.png") && stderr.contains("100000×100000") && stderr.contains("max_pixels"), "{stderr}");
}

#[test]
fn a_rebuild_takes_images_and_twins_from_the_cache_and_rebuilds_damaged_entries() {
    let p = project(&[
        ("index.html", "<!doctype html><title>c</title><img src=a.png alt><link rel=stylesheet href=big.css>\n"),
        // Without deltas: their history records (one per output folder) and dictionaries are
        // entries too, which a build into another folder does not read.
        ("kiln.toml", "[images]\nformats = [\"webp\"]\nwidths = [16]\n[delta]\nenabled = false\n"),
    ]);
    std::fs::write(p.path().join("a.png"), png_with_text(48, 48)).unwrap();
    let css: String = (0..400).map(|i| format!(".c{i} {{ margin: {i}px; }}\n")).collect();
    std::fs::write(p.path().join("big.css"), css).unwrap();
    let cache = p.path().join(".kiln-cache");
    let out = tempfile::tempdir().unwrap();
    let (first, r1) = ok(p.path(), &out.path().join("one"), &[]);
    assert!(r1["images"]["encoded"].as_u64().unwrap() >= 4, "{}", r1["images"]);
    assert!(cache.is_dir(), "the default cache folder is ROOT/.kiln-cache without node_modules");
    let (second, r2) = ok(p.path(), &out.path().join("two"), &[]);
    assert_eq!(r2["images"]["encoded"], 0, "the second build encodes nothing: {}", r2["images"]);
    assert_eq!(r2["cache"]["misses"], 0, "{}", r2["cache"]);
    assert_eq!(first, second, "cached results are the same bytes");
    // Damage every entry: each is detected, rebuilt, and the output is unchanged.
    let mut damaged = 0;
    for e in walkdir::WalkDir::new(&cache).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        let mut bytes = std::fs::read(e.path()).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 0xFF;
        std::fs::write(e.path(), bytes).unwrap();
        damaged += 1;
    }
    let (third, r3) = ok(p.path(), &out.path().join("three"), &[]);
    assert_eq!(r3["cache"]["corrupt"], damaged, "{}", r3["cache"]);
    assert_eq!(first, third);
    // --no-cache neither reads nor writes it.
    let (_, r4) = ok(p.path(), &out.path().join("four"), &["--no-cache"]);
    assert!(r4.get("cache").is_none() && r4["images"]["encoded"].as_u64().unwrap() >= 4);
}

#[test]
fn image_output_is_deterministic_across_thread_counts() {
    let p = project(&[
        ("index.html", "<!doctype html><title>d</title><img src=a.png alt><img src=b.jpg alt>\n"),
        ("kiln.toml", "[images]\nformats = [\"avif\", \"webp\"]\nwidths = [20]\n"),
    ]);
    std::fs::write(p.path().join("a.png"), png(64, 40)).unwrap();
    std::fs::write(p.path().join("b.jpg"), jpeg_with_metadata(50, 50)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (one, _) = ok(p.path(), &out.path().join("one"), &["--no-cache", "--jobs", "1"]);
    let (two, _) = ok(p.path(), &out.path().join("two"), &["--no-cache", "--jobs", "2"]);
    assert_eq!(one, two);
}

#[test]
fn two_builds_at_once_share_the_cache_safely() {
    let p = project(&[
        ("index.html", "<!doctype html><title>s</title><img src=a.png alt><img src=b.png alt>\n"),
        ("kiln.toml", "[images]\nformats = [\"webp\"]\nwidths = [24]\n"),
    ]);
    std::fs::write(p.path().join("a.png"), png_with_text(64, 64)).unwrap();
    std::fs::write(p.path().join("b.png"), png_with_text(48, 32)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (reference, _) = ok(p.path(), &out.path().join("reference"), &["--no-cache"]);
    for round in 0..3 {
        let spawn = |name: &str| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin!("kiln"))
                .arg("build")
                .arg(p.path())
                .arg("--out")
                .arg(out.path().join(format!("{name}{round}")))
                .args(["-q", "--no-budgets"])
                .spawn()
                .unwrap()
        };
        let (mut a, mut b) = (spawn("a"), spawn("b"));
        assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
        assert_eq!(read_tree(&out.path().join(format!("a{round}"))), reference);
        assert_eq!(read_tree(&out.path().join(format!("b{round}"))), reference);
    }
}
