//! Issue 38: mutated copies of the fixtures never crash kiln. Each copy of `fixtures/site`,
//! `fixtures/pages` (fonts, an offline worker) or `fixtures/lab` gets one to three mutations (bytes deleted, inserted or duplicated, brackets and quotes
//! swapped, an import spliced into a script, a file cut short) in its HTML, CSS, JS, TS, SVG,
//! manifest or kiln.toml, and is built; any exit other than 0, 1 or 2, a panic, an internal
//! error or a build over the time bound fails the test, which prints the seed and the case.
//!
//! `KILN_FUZZ_RUNS` (default 200) and `KILN_FUZZ_SEED` (default 38) choose how many copies
//! and which: `KILN_FUZZ_RUNS=5000 KILN_FUZZ_SEED=$RANDOM cargo test --test integration fuzz`
//! runs longer locally. A crash it finds becomes a folder under `tests/fuzz-cases/`, which
//! the test builds first, every run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{copy_dir, repo};

/// xorshift64*: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TEXT: &[&str] = &["html", "css", "js", "ts", "tsx", "jsx", "svg", "webmanifest", "json", "toml"];

fn text_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| TEXT.contains(&e)))
        .collect();
    files.sort();
    files
}

/// One mutation of one file; returns what it did.
fn mutate(rng: &mut Rng, root: &Path) -> String {
    let files = text_files(root);
    let file = &files[rng.below(files.len())];
    let mut bytes = std::fs::read(file).unwrap();
    let len = bytes.len();
    let at = rng.below(len + 1);
    let span = 1 + rng.below(40).min(len.saturating_sub(at));
    let what = match rng.below(7) {
        0 => {
            let end = (at + span).min(len);
            bytes.drain(at..end);
            format!("deleted bytes {at}..{end}")
        }
        1 => {
            const BYTES: &[u8] = b"{}[]()<>\"'`;,./\\*#@!$0aZ\n\t \xff\x00";
            let junk: Vec<u8> = (0..1 + rng.below(8)).map(|_| BYTES[rng.below(BYTES.len())]).collect();
            bytes.splice(at..at, junk.iter().copied());
            format!("inserted {:?} at {at}", String::from_utf8_lossy(&junk))
        }
        2 => {
            let end = (at + span).min(len);
            let copy = bytes[at..end].to_vec();
            bytes.splice(end..end, copy);
            format!("duplicated bytes {at}..{end}")
        }
        3 => {
            let pairs: [(u8, u8); 6] = [(b'{', b'}'), (b'(', b')'), (b'[', b']'), (b'"', b'\''), (b'<', b'>'), (b'`', b'"')];
            let (a, b) = pairs[rng.below(pairs.len())];
            let mut n = 0;
            for byte in bytes.iter_mut().skip(at).take(200) {
                if *byte == a {
                    *byte = b;
                    n += 1;
                } else if *byte == b {
                    *byte = a;
                    n += 1;
                }
            }
            format!("swapped {:?} and {:?} {n} times from {at}", a as char, b as char)
        }
        4 => {
            let imports = [
                "import './nowhere.js';\n",
                "import x from '../css/site.css';\n",
                "export * from './self.js';\n",
                "import('./' + x);\n",
                "import a from 'react';\n",
                "import * as n from './main.ts';\n",
            ];
            let line = imports[rng.below(imports.len())];
            bytes.splice(at..at, line.bytes());
            format!("spliced {line:?} at {at}")
        }
        5 => {
            bytes.truncate(at);
            format!("cut at {at}")
        }
        _ => {
            let end = (at + span).min(len);
            for b in &mut bytes[at..end] {
                *b = b.wrapping_add(1 + rng.below(3) as u8);
            }
            format!("shifted bytes {at}..{end}")
        }
    };
    std::fs::write(file, bytes).unwrap();
    format!("{}: {what}", file.strip_prefix(root).unwrap().display())
}

/// Builds `root`; `None` when all is well, else what went wrong.
fn build_once(root: &Path) -> Option<String> {
    let out = root.join("out");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("kiln"))
        .args(["--color", "never", "build"])
        .arg(root)
        .arg("--out")
        .arg(&out)
        .args(["-q", "--no-compress", "--no-cache"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let bound = Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > bound {
            let _ = child.kill();
            let _ = child.wait();
            return Some(format!("still running after {bound:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    use std::io::Read;
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    if !matches!(status.code(), Some(0..=2)) {
        return Some(format!("exit {status}:\n{stderr}"));
    }
    if stderr.contains("internal error") || stderr.contains("panicked") {
        return Some(format!("exit {status}, with an internal error:\n{stderr}"));
    }
    None
}

#[test]
fn mutated_copies_of_the_fixtures_never_crash_kiln() {
    let runs: usize = std::env::var("KILN_FUZZ_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let seed: u64 = std::env::var("KILN_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(38);
    println!("fuzz: seed {seed}, {runs} copies (KILN_FUZZ_SEED, KILN_FUZZ_RUNS)");
    // Crashes found earlier, first.
    let cases = repo().join("tests/fuzz-cases");
    if let Ok(entries) = std::fs::read_dir(&cases) {
        let mut dirs: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
        dirs.sort();
        for dir in dirs {
            let work = tempfile::tempdir().unwrap();
            copy_dir(&dir, work.path());
            if let Some(problem) = build_once(work.path()) {
                panic!("tests/fuzz-cases/{}: {problem}", dir.file_name().unwrap().to_string_lossy());
            }
        }
    }
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut exits = [0usize; 3];
    for i in 0..runs {
        let work = tempfile::tempdir().unwrap();
        let fixture = ["site", "site", "pages", "lab"][rng.below(4)];
        copy_dir(&repo().join("fixtures").join(fixture), work.path());
        for made in ["dist", ".kiln-cache"] {
            let _ = std::fs::remove_dir_all(work.path().join(made));
        }
        let done: Vec<String> = (0..1 + rng.below(3)).map(|_| mutate(&mut rng, work.path())).collect();
        if let Some(problem) = build_once(work.path()) {
            let kept = std::env::temp_dir().join(format!("kiln-fuzz-{seed}-{i}"));
            let _ = std::fs::remove_dir_all(&kept);
            copy_dir(work.path(), &kept);
            panic!("fuzz seed {seed}, copy {i} of fixtures/{fixture} ({}; kept in {}): {problem}", done.join("; "), kept.display());
        }
        exits[if work.path().join("out/index.html").is_file() { 0 } else { 2 }] += 1;
    }
    println!("fuzz: {} built, {} refused with located errors", exits[0], exits[2]);
    assert!(exits[2] > runs / 10, "the mutations should break most builds: {exits:?}");
}
