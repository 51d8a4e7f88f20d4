//! Watch mode on a copy of fixtures/lab: `kiln serve --watch` with a page open in the real
//! Chromium (an edit shows without a reload from outside, a broken build shows its error over
//! the page, a fix reloads it), and `kiln build --watch` (a rebuild per change, the last good
//! output kept through a failed one).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt;

use crate::common::{copy_dir, repo};

/// Generous: CI machines run other tests beside these.
const WAIT: Duration = Duration::from_secs(40);

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/lab"), dir.path());
    dir
}

/// Edits a file the way an editor may: a new file renamed over the old.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, text.replace(from, to)).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

async fn eval(page: &Page, js: &str) -> String {
    page.evaluate(js).await.ok().and_then(|v| v.into_value::<String>().ok()).unwrap_or_default()
}

/// Waits until `js` (evaluated in the page) gives a text containing `want`.
async fn until(page: &Page, js: &str, want: &str) -> String {
    let start = Instant::now();
    loop {
        let got = eval(page, js).await;
        if got.contains(want) {
            return got;
        }
        assert!(start.elapsed() < WAIT, "after {WAIT:?}, {js} gives {got:?}, not {want:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A GET over a plain socket, with `headers` (each ending in CRLF): the whole answer as text.
fn raw_get(url: &str, path: &str, headers: &str) -> String {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET /{path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n").unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn serve_watch_updates_the_open_page_and_shows_a_failed_build_over_it() {
    let site = site();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("kiln"))
        .current_dir(site.path())
        .args(["serve", "--watch", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _server = Running(child);
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("no address in {line:?}")).to_owned();

    // A page is always sent whole, with the script naming the current build: a 304 would keep
    // a copy naming an older one, which would reload again and again.
    let page = raw_get(&url, "index.html", "If-Modified-Since: Wed, 21 Oct 2099 07:28:00 GMT\r\nAccept-Encoding: br, gzip\r\n");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("/__kiln/live") && !page.to_ascii_lowercase().contains("content-encoding"), "{page}");

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let profile = tempfile::tempdir().unwrap();
        let config = BrowserConfig::builder()
            .chrome_executable(crate::browser::chromium())
            .new_headless_mode()
            .no_sandbox()
            .arg("disable-gpu")
            .user_data_dir(profile.path())
            .build()
            .unwrap();
        let (mut browser, mut handler) = Browser::launch(config).await.unwrap();
        let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
        let page = browser.new_page(format!("{url}index.html")).await.unwrap();
        until(&page, "document.querySelector('h1').textContent", "Kiln Lab Bakery").await;
        // Filled in by the chunk main.js imports: the page's scripts ran.
        until(&page, "document.querySelector('.status').textContent", "paragraph").await;

        // An edit shows in the open page: the page reloads itself.
        edit(&site.path().join("index.html"), "<h1>Kiln Lab Bakery</h1>", "<h1>Kiln Watch Bakery</h1>");
        until(&page, "document.querySelector('h1').textContent", "Kiln Watch Bakery").await;

        // A broken build: its error, located, over the page; the last good output still served.
        edit(&site.path().join("src/main.js"), "work(30);", "work(30);\nlet broken = ;");
        let overlay = until(&page, "(document.getElementById('kiln-overlay') || {}).textContent || ''", "src/main.js:13:14").await;
        assert!(overlay.contains("Expression expected"), "{overlay}");
        assert_eq!(eval(&page, "document.querySelector('h1').textContent").await, "Kiln Watch Bakery");

        // Fixed: the page reloads, without the overlay, with the new script's work.
        edit(&site.path().join("src/main.js"), "let broken = ;", "document.title = 'fixed';");
        until(&page, "document.title", "fixed").await;
        assert_eq!(eval(&page, "document.getElementById('kiln-overlay') ? 'overlay' : 'none'").await, "none");

        let _ = browser.close().await;
        let _ = browser.wait().await;
        events.abort();
    });
}

#[test]
fn build_watch_builds_again_on_change_and_keeps_the_last_good_output() {
    let site = site();
    let dist = site.path().join("dist/index.html");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("kiln"))
        .arg("build")
        .arg(site.path())
        .args(["--watch", "--no-budgets"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _build = Running(child);
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_line = |want: &str| {
        let start = Instant::now();
        let mut seen = Vec::new();
        loop {
            let left = WAIT.saturating_sub(start.elapsed());
            match lines.recv_timeout(left) {
                Ok(l) if l.contains(want) => return,
                Ok(l) => seen.push(l),
                Err(_) => panic!("no line with {want:?} in {WAIT:?}; saw:\n{}", seen.join("\n")),
            }
        }
    };
    wait_line("watching");
    assert!(std::fs::read_to_string(&dist).unwrap().contains("Kiln Lab Bakery"));

    edit(&site.path().join("index.html"), "<h1>Kiln Lab Bakery</h1>", "<h1>Kiln Watch Bakery</h1>");
    wait_line("building again");
    wait_line("watching");
    assert!(std::fs::read_to_string(&dist).unwrap().contains("Kiln Watch Bakery"));

    // A failed build: the error, located, and the last good output untouched.
    let before = crate::common::read_tree(&site.path().join("dist"));
    edit(&site.path().join("src/main.js"), "work(30);", "work(30);\nlet broken = ;");
    wait_line("src/main.js:13:14");
    wait_line("watching");
    assert_eq!(crate::common::read_tree(&site.path().join("dist")), before, "a failed build changed the output");

    edit(&site.path().join("src/main.js"), "let broken = ;", "document.title = 'fixed';");
    wait_line("building again");
    wait_line("watching");
    assert_ne!(crate::common::read_tree(&site.path().join("dist")), before);
}
