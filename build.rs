//! Generates one integration test per fixture folder under `tests/cases/` (Rolldown's
//! `#[fixture]` tests), so each case runs, fails and can be run on its own by name:
//! `cargo test --test integration cases::js_minified`. A new case is a new folder; cargo
//! re-runs this when anything under `tests/cases/` changes.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=tests/cases");
    let mut names: Vec<String> = std::fs::read_dir("tests/cases")
        .map(|entries| entries.filter_map(Result::ok).filter(|e| e.path().is_dir()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    let mut code = String::new();
    for name in &names {
        let ident: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        code.push_str(&format!("#[test]\nfn {ident}() {{\n    run_case({name:?});\n}}\n\n"));
    }
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("fixture_cases.rs"), code).expect("write the generated tests");
}
