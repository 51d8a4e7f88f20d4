//! Issue 38: secrets never ship. Secret files and values stop the build with a located error
//! (exit 2, the previous output untouched), each allowed by config; other dotfiles are left
//! out; `kiln serve` answers 404 for them.

use std::path::Path;

use crate::common::{kiln, read_tree};
use crate::js::project;

// Made-up values of real forms (none is a credential).
const STRIPE: &str = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
const GITHUB: &str = "ghp_aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3";
const AWS: &str = "AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKQ\n";

fn build(root: &Path) -> (std::process::Output, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let result = kiln().arg("build").arg(root).arg("--out").arg(out.path()).args(["--no-compress", "--no-budgets"]).output().unwrap();
    (result, out)
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const PAGE: (&str, &str) = ("index.html", "<!doctype html><title>t</title><link rel=stylesheet href=style.css><script type=module src=main.js></script>");

#[test]
fn secret_files_in_public_stop_the_build_and_dotfiles_are_left_out() {
    let p = project(&[
        PAGE,
        ("style.css", "body{color:red}"),
        ("main.js", "console.log(1);\n"),
        ("public/.env", AWS),
        ("public/id_rsa", "not really a key"),
        ("public/.git/config", "[core]\n"),
        ("public/.htaccess", "Options -Indexes\n"),
        ("public/.well-known/security.txt", "Contact: mailto:security@example.com\n"),
        ("public/robots.txt", "User-agent: *\n"),
    ]);
    let (result, out) = build(p.path());
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(2), "{err}");
    for (file, what) in [(".env", "an environment file"), ("id_rsa", "an SSH key"), (".git/config", "a version-control folder")] {
        assert!(err.contains(&format!("{file} is {what}: kiln never ships such a file (public/{file}, from the public folder)")), "{file}: {err}");
    }
    assert!(read_tree(out.path()).is_empty(), "a failed build writes nothing");

    // Allowed by name, the files ship; the other dotfile is left out with a warning.
    std::fs::remove_dir_all(p.path().join("public/.git")).unwrap();
    std::fs::remove_file(p.path().join("public/.env")).unwrap();
    std::fs::write(p.path().join("kiln.toml"), "[secrets]\nallow_files = [\"id_rsa\"]\n").unwrap();
    let (result, out) = build(p.path());
    let err = stderr(&result);
    assert!(result.status.success(), "{err}");
    assert!(err.contains("left out public/.htaccess: a dotfile of the public folder"), "{err}");
    let tree = read_tree(out.path());
    assert!(tree.contains_key("id_rsa") && tree.contains_key(".well-known/security.txt") && tree.contains_key("robots.txt"), "{:?}", tree.keys());
    assert!(!tree.contains_key(".htaccess"));
}

#[test]
fn secret_values_are_located_in_their_sources_and_allowed_by_fingerprint() {
    let p = project(&[
        PAGE,
        // A comment minification keeps (`/*!`); a plain one is dropped, so it ships nothing.
        ("style.css", &format!("/*! deploy: {GITHUB} */\n/* old: {GITHUB}x */\n.a{{color:red}}\n")),
        ("main.js", "import { key } from './keys.js';\nconsole.log(key, import.meta.env.VITE_STRIPE);\n"),
        ("keys.js", "// the deploy key, kept here by mistake\nexport const key =\n  'xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';\n"),
        (".env", &format!("VITE_STRIPE={STRIPE}\nSERVER_ONLY={STRIPE}x\n")),
    ]);
    let (result, out) = build(p.path());
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(2), "{err}");
    assert!(err.contains("holds a Slack bot token (slack-bot-token)") && err.contains("it comes from keys.js:3:4"), "{err}");
    assert!(err.contains("holds a live Stripe secret key (stripe-access-token)") && err.contains("it comes from the .env variable VITE_STRIPE"), "{err}");
    assert!(err.contains("holds a GitHub personal access token (github-pat)") && err.contains("it comes from style.css:1:13"), "{err}");
    assert!(read_tree(out.path()).is_empty());

    // Each allowed by the fingerprint the error prints.
    let prints: Vec<String> = err.lines().filter_map(|l| l.split("add \"").nth(1)).map(|l| l.split('"').next().unwrap().to_owned()).collect();
    assert_eq!(prints.len(), 3, "{err}");
    std::fs::write(p.path().join("kiln.toml"), format!("[secrets]\nallow = {prints:?}\n")).unwrap();
    let (result, _out) = build(p.path());
    assert!(result.status.success(), "{}", stderr(&result));

    // A source map's sourcesContent holds what minification removed: a key in a comment.
    let q = project(&[PAGE, ("style.css", ""), ("main.js", &format!("// old: {STRIPE}\nconsole.log(1);\n"))]);
    let out = tempfile::tempdir().unwrap();
    let result = kiln().arg("build").arg(q.path()).arg("--out").arg(out.path()).args(["--no-compress", "--no-budgets", "--sourcemap"]).output().unwrap();
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(2), "{err}");
    assert!(err.contains(".js.map:1:") && err.contains("it comes from main.js:1:9"), "{err}");
    let js_alone = err.lines().filter(|l| l.contains(".js:") && !l.contains(".map")).count();
    assert_eq!(js_alone, 0, "the minified bundle dropped the comment: {err}");

    // A whole rule allowed: every Stripe key ships.
    std::fs::write(q.path().join("kiln.toml"), "[secrets]\nallow_rules = [\"stripe-access-token\"]\n").unwrap();
    let result = kiln().arg("build").arg(q.path()).arg("--out").arg(out.path()).args(["--no-compress", "--no-budgets", "--sourcemap"]).output().unwrap();
    assert!(result.status.success(), "{}", stderr(&result));

    // Bad config keys are located.
    for (setting, key) in
        [("allow = [\"not a fingerprint\"]", "secrets.allow"), ("allow_rules = [\"stripe\"]", "secrets.allow_rules: no rule is called \"stripe\"")]
    {
        std::fs::write(q.path().join("kiln.toml"), format!("[secrets]\n{setting}\n")).unwrap();
        let (result, _out) = build(q.path());
        assert_eq!(result.status.code(), Some(2));
        assert!(stderr(&result).contains("kiln.toml:2:") && stderr(&result).contains(key), "{}", stderr(&result));
    }
}
