//! `kiln serve` over real HTTP: encodings, content types, cache headers, 404s, traversal.

use crate::common::{http_get, kiln, read_tree, sample_site, serve, Response};

/// A plain HTTP/1.1 GET, read to the end (`Connection: close`).
fn get(addr: &str, path: &str, accept_encoding: Option<&str>) -> Response {
    let headers: Vec<(&str, &str)> = accept_encoding.map(|a| ("Accept-Encoding", a)).into_iter().collect();
    http_get(addr, path, &headers)
}

#[test]
fn serves_the_output_as_a_cdn_would() {
    let site = sample_site();
    assert!(kiln().arg("build").arg(site.path()).arg("-q").output().unwrap().status.success());
    let dist = site.path().join("dist");
    let tree = read_tree(&dist);
    let css = tree.keys().find(|p| p.starts_with("assets/site.") && p.ends_with(".css")).unwrap().clone();
    let png = tree.keys().find(|p| p.ends_with(".png")).unwrap().clone();
    let server = serve(&dist);
    let addr = server.addr();

    // A hashed stylesheet: Brotli when accepted, immutable.
    let r = get(addr, &format!("/{css}"), Some("gzip, br"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert!(r.header("vary").unwrap().to_ascii_lowercase().contains("accept-encoding"));
    assert_eq!(r.body, tree[&format!("{css}.br")]);
    // gzip only.
    let r = get(addr, &format!("/{css}"), Some("gzip"));
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.body, tree[&format!("{css}.gz")]);
    // No Accept-Encoding: the plain file.
    let r = get(addr, &format!("/{css}"), None);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.body, tree[&css]);
    // Pages and the manifest revalidate; `/` serves index.html.
    let r = get(addr, "/", Some("br"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("public, max-age=0, must-revalidate"));
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = get(addr, "/manifest.json", None);
    assert_eq!(r.header("cache-control"), Some("public, max-age=0, must-revalidate"));
    // Unhashed public file: revalidate; image: its type, immutable.
    assert_eq!(get(addr, "/robots.txt", None).header("cache-control"), Some("public, max-age=0, must-revalidate"));
    let r = get(addr, &format!("/{png}"), Some("br"));
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("cache-control"), Some("public, max-age=31536000, immutable"));
    // Missing files and folders: 404, no listing; no way out of the folder.
    assert_eq!(get(addr, "/nope.js", None).status, 404);
    assert_eq!(get(addr, "/assets/", None).status, 404);
    let r = get(addr, "/../kiln.toml", None);
    assert!(r.status == 404 || r.status == 400, "traversal answered {}", r.status);
    let r = get(addr, "/%2e%2e/kiln.toml", None);
    assert!(r.status == 404 || r.status == 400, "encoded traversal answered {}", r.status);
    assert!(!String::from_utf8_lossy(&r.body).contains("sri"));
}

#[test]
fn serving_a_missing_folder_exits_2() {
    let out = kiln().args(["serve", "/no/such/dist", "--port", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Issue 38: a folder edited by hand (or an older kiln's output) holding secret files and
/// dotfiles: `kiln serve` answers 404 for them, and serves `.well-known/`.
#[test]
fn secret_files_and_dotfiles_are_never_served() {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [
        (".env", "AWS_SECRET_ACCESS_KEY=x\n"),
        (".env.production", "X=1\n"),
        (".git/config", "[core]\n"),
        ("id_rsa", "key\n"),
        ("certs/server.pem", "pem\n"),
        ("server.key", "key\n"),
        (".htaccess", "Options -Indexes\n"),
        (".npmrc", "//registry/:_authToken=x\n"),
        (".well-known/security.txt", "Contact: mailto:s@example.com\n"),
        ("index.html", "<!doctype html><title>t</title>"),
    ] {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let server = serve(dir.path());
    for path in [
        "/.env",
        "/.env.production",
        "/.git/config",
        "/id_rsa",
        "/certs/server.pem",
        "/server.key",
        "/.htaccess",
        "/.npmrc",
        "/%2eenv",
        "/.git/",
        "/.GIT/config",
    ] {
        let r = get(server.addr(), path, None);
        assert_eq!(r.status, 404, "{path}");
        assert!(!String::from_utf8_lossy(&r.body).contains("AWS"), "{path}");
    }
    assert_eq!(get(server.addr(), "/.well-known/security.txt", None).status, 200);
    assert_eq!(get(server.addr(), "/", None).status, 200);
}
