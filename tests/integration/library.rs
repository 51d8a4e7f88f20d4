//! kiln as a library, in this process: a fixture built, checked and analysed through the
//! public API with an environment the test chooses, and the same files written as the CLI
//! writes.

use std::path::Path;

use crate::common::{kiln, read_tree, sample_site};

#[test]
fn a_site_builds_and_checks_in_process_as_the_cli_builds_it() {
    let site = sample_site();
    let out = tempfile::tempdir().unwrap();
    let (lib_out, cli_out) = (out.path().join("lib"), out.path().join("cli"));
    // The variables a build sees are the ones handed in, not this process's.
    let script = site.path().join("src/specials.tsx");
    let text = std::fs::read_to_string(&script).unwrap();
    std::fs::write(&script, format!("{text}\nconsole.log(import.meta.env.VITE_FROM_LIBRARY);\n")).unwrap();
    let env = kiln::Env::empty(site.path()).with("VITE_FROM_LIBRARY", "handed-in");
    let overrides = kiln::Overrides { out_dir: Some(lib_out.clone()), no_cache: true, process: env, ..Default::default() };
    let config = kiln::Config::load(site.path(), &overrides).unwrap();
    let report = kiln::build(&config, &kiln::Silent).unwrap();
    assert!(report.files.iter().any(|f| f.path == "index.html"), "{:?}", report.files.iter().map(|f| &f.path).collect::<Vec<_>>());
    // Shown relative to the working folder handed in when inside it, absolute otherwise.
    assert_eq!(report.out_dir, lib_out.display().to_string());
    let files = read_tree(&lib_out);
    assert!(files.iter().any(|(p, b)| p.ends_with(".js") && String::from_utf8_lossy(b).contains("handed-in")), "the variable did not reach the build");

    // The budgets the sample site's kiln.toml sits beside, checked and reported.
    let budgets = "[[budget]]\nfiles = \"**/*.js\"\nmax = \"1 MB\"\n\n[[budget]]\nfiles = \"index.html\"\nmax = \"10 B\"\n";
    std::fs::write(site.path().join("budgets.toml"), budgets).unwrap();
    let check = kiln::check_budgets(&config, &report, &kiln::BudgetOptions::default()).unwrap().expect("the budgets file is found");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let how = kiln::CheckOutput { format: kiln::CheckFormat::Json, ..Default::default() };
    let verdict = kiln::report_check(&check, &how, &config.process, &mut out, &mut err).unwrap();
    assert_eq!(verdict, kiln::Verdict::Failed, "index.html is over 10 B");
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["outcomes"].as_array().unwrap().len(), 2, "{json}");
    // Told it runs in GitHub Actions (by the environment it was given), it annotates too.
    let github = kiln::Env::empty(site.path()).with("GITHUB_ACTIONS", "true");
    let mut annotated = Vec::new();
    kiln::report_check(&check, &kiln::CheckOutput { quiet: true, ..Default::default() }, &github, &mut annotated, &mut err).unwrap();
    assert!(String::from_utf8_lossy(&annotated).contains("::error"), "{}", String::from_utf8_lossy(&annotated));

    // A required budgets file that is not there is an error, not a pass.
    std::fs::remove_file(site.path().join("budgets.toml")).unwrap();
    let required = kiln::BudgetOptions { required: true, ..Default::default() };
    assert!(kiln::check_budgets(&config, &report, &required).is_err());

    let (dir, read_back) = kiln::read_output(&config, None).unwrap();
    assert_eq!(dir, lib_out);
    // Every file the manifest lists, read back with the size the build reported.
    assert!(read_back.files.len() + 1 >= report.files.len(), "{} of {}", read_back.files.len(), report.files.len());
    for f in &read_back.files {
        let built = report.files.iter().find(|b| b.path == f.path).unwrap_or_else(|| panic!("{} was not built", f.path));
        assert_eq!(built.size, f.size, "{}", f.path);
    }
    let page = kiln::write_analysis(&out_dir_of(&lib_out).join(".analysis"), &report, Some(&check), None).unwrap();
    assert!(page.is_file());

    // The CLI, from the same site, writes the same files.
    let mut cmd = kiln();
    cmd.arg("build").arg(site.path()).arg("--out").arg(&cli_out).args(["--quiet", "--no-cache", "--no-budgets"]).env("VITE_FROM_LIBRARY", "handed-in");
    let cli = cmd.output().unwrap();
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    assert_eq!(read_tree(&lib_out), read_tree(&cli_out));
}

fn out_dir_of(p: &Path) -> std::path::PathBuf {
    p.parent().unwrap().to_path_buf()
}

/// Every failure says what kind of problem it is, so a program can act on it without reading
/// the message: a bad setting, a reference to no file, a source that does not parse, a secret.
#[test]
fn failures_carry_their_kind() {
    let kind_of = |files: &[(&str, &str)]| -> Vec<kiln::Kind> {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let overrides = kiln::Overrides { no_cache: true, process: kiln::Env::empty(dir.path()), ..Default::default() };
        let result = kiln::Config::load(dir.path(), &overrides).and_then(|config| kiln::build(&config, &kiln::Silent));
        let Err(err) = result else { panic!("the build passed") };
        err.diagnostics.iter().map(|d| d.kind).collect()
    };
    assert_eq!(kind_of(&[("kiln.toml", "out_dirr = \"x\"\n"), ("index.html", "<p>")]), [kiln::Kind::Config]);
    assert_eq!(kind_of(&[("index.html", "<img src=\"nowhere.png\" alt=\"\">")]), [kiln::Kind::Resolve]);
    assert_eq!(kind_of(&[("index.html", "<script type=module src=main.js></script>"), ("main.js", "let = ;")]), [kiln::Kind::Syntax]);
    let key = ["sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"].concat();
    assert_eq!(kind_of(&[("index.html", "<script type=module src=main.js></script>"), ("main.js", &format!("console.log({key:?})"))]), [kiln::Kind::Secret]);
}
