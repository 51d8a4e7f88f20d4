//! One test per reported bug.

use crate::common::kiln;

/// A page that is a symlink to a file outside the root must not be read.
#[cfg(unix)]
#[test]
fn symlinked_page_outside_root_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.html"), "<p>secret</p>").unwrap();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("index.html"), "<!doctype html><img src=\"img.png\" alt=\"\">").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.html"), root.path().join("leak.html")).unwrap();
    std::fs::write(outside.path().join("img.png"), "x").unwrap();
    std::os::unix::fs::symlink(outside.path().join("img.png"), root.path().join("img.png")).unwrap();
    let out = kiln().arg("build").arg(root.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("leak.html"), "{stderr}");
    assert!(stderr.contains("leads outside the project root"), "{stderr}");
    assert!(stderr.contains("index.html:1:26"), "the symlinked image is refused too: {stderr}");
}

/// Building twice in a row into the same folder replaces it, leaving no stale files.
#[test]
fn rebuild_removes_stale_files() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("index.html"), "<!doctype html><link rel=stylesheet href=a.css>").unwrap();
    std::fs::write(root.path().join("a.css"), ".a{color:red}").unwrap();
    assert!(kiln().arg("build").arg(root.path()).arg("-q").output().unwrap().status.success());
    let first: Vec<_> = std::fs::read_dir(root.path().join("dist/assets")).unwrap().map(|e| e.unwrap().file_name()).collect();
    std::fs::write(root.path().join("a.css"), ".a{color:blue}").unwrap();
    assert!(kiln().arg("build").arg(root.path()).arg("-q").output().unwrap().status.success());
    let second: Vec<_> = std::fs::read_dir(root.path().join("dist/assets")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(first.len(), 1);
    assert_eq!(second.len(), 1);
    assert_ne!(first, second);
}
