//! The JSON Schemas of kiln.toml and budgets.toml (`schema/`): current with the config types,
//! accepting every example the README shows and every config file of the fixtures, and
//! refusing what kiln refuses (unknown keys, words kiln does not know, malformed sizes).

use std::path::Path;

use kiln::schema;

use crate::common::repo;

/// The committed schema, checked against the one the config types give;
/// `KILN_UPDATE_SCHEMA=1` rewrites it.
fn committed(name: &str, generated: &serde_json::Value) -> serde_json::Value {
    let path = repo().join("schema").join(name);
    let text = schema::to_text(generated);
    if std::env::var_os("KILN_UPDATE_SCHEMA").is_some() {
        // Tests run in parallel and each reads the file: write it whole or not at all.
        let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
        std::fs::write(&tmp, &text).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(on_disk == text, "schema/{name} is not what the config types give: run `KILN_UPDATE_SCHEMA=1 cargo test --test integration schema` and commit it");
    serde_json::from_str(&on_disk).unwrap()
}

fn validator(name: &str) -> jsonschema::Validator {
    let generated = if name.starts_with("kiln") { schema::kiln_toml() } else { schema::budgets_toml() };
    jsonschema::draft7::new(&committed(name, &generated)).expect("the schema is a valid draft-07 schema")
}

fn as_json(toml_text: &str, what: &str) -> serde_json::Value {
    let value: toml::Value = toml::from_str(toml_text).unwrap_or_else(|e| panic!("{what} is not TOML: {e}"));
    serde_json::to_value(value).unwrap()
}

/// The errors the schema finds in a TOML text, as text.
fn errors(v: &jsonschema::Validator, toml_text: &str, what: &str) -> Vec<String> {
    let json = as_json(toml_text, what);
    v.iter_errors(&json).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

/// The ```toml blocks of a Markdown text (indented ones in lists too), with the line each
/// starts at.
fn toml_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        match (&mut open, line.trim()) {
            (None, "```toml") => open = Some((n + 2, String::new())),
            (Some(_), "```") => blocks.push(open.take().unwrap()),
            (Some((_, block)), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn is_budgets(text: &str) -> bool {
    text.lines().any(|l| l.trim_start().starts_with("[[budget]]") || l.trim_start().starts_with("[[lab]]"))
}

/// Whether kiln itself reads `text` as a kiln.toml (in an empty project).
fn kiln_accepts(text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kiln.toml"), text).unwrap();
    kiln_accepts_at(dir.path())
}

fn kiln_accepts_at(root: &Path) -> Result<(), String> {
    kiln::Config::load(root, &Default::default()).map(|_| ()).map_err(|e| format!("{e:?}"))
}

fn budgets_accepted(text: &str) -> Result<(), String> {
    kiln::parts::parse_budgets_file(text, "budgets.toml").map(|_| ()).map_err(|e| format!("{e:?}"))
}

#[test]
fn the_committed_schemas_are_current() {
    let kiln_schema = committed("kiln.schema.json", &schema::kiln_toml());
    let budgets = committed("budgets.schema.json", &schema::budgets_toml());
    assert_eq!(kiln_schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(kiln_schema["additionalProperties"], false, "unknown top-level keys are refused");
    assert!(kiln_schema["properties"]["js"].is_object() && kiln_schema["properties"]["publish"].is_object());
    assert_eq!(budgets["additionalProperties"], false);
    // Every key is described, for editors' hover text.
    let text = serde_json::to_string(&kiln_schema).unwrap();
    assert!(text.matches("\"description\"").count() > 100, "keys of kiln.toml lack descriptions");
}

#[test]
fn every_documented_example_passes_its_schema() {
    let (kiln_v, budgets_v) = (validator("kiln.schema.json"), validator("budgets.schema.json"));
    let mut seen = (0, 0);
    let mut docs = vec!["README.md".to_owned(), "npm/kiln/README.md".to_owned()];
    for entry in walkdir::WalkDir::new(repo().join("docs")).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "md") {
            docs.push(entry.path().strip_prefix(repo()).unwrap().display().to_string());
        }
    }
    for doc in &docs {
        let text = std::fs::read_to_string(repo().join(doc)).unwrap();
        for (line, block) in toml_blocks(&text) {
            let what = format!("the toml example at {doc}:{line}");
            if is_budgets(&block) {
                seen.1 += 1;
                let errs = errors(&budgets_v, &block, &what);
                assert!(errs.is_empty(), "{what} fails budgets.schema.json: {errs:#?}");
                budgets_accepted(&block).unwrap_or_else(|e| panic!("kiln refuses {what}: {e}"));
            } else {
                seen.0 += 1;
                let errs = errors(&kiln_v, &block, &what);
                assert!(errs.is_empty(), "{what} fails kiln.schema.json: {errs:#?}");
            }
        }
    }
    assert!(seen.0 >= 5 && seen.1 >= 2, "documented examples found (kiln.toml, budgets.toml): {seen:?}");
}

#[test]
fn every_config_file_kiln_accepts_passes_its_schema() {
    let (kiln_v, budgets_v) = (validator("kiln.schema.json"), validator("budgets.schema.json"));
    let mut checked = 0;
    for top in ["fixtures", "tests/cases", "budgets.toml"] {
        for entry in walkdir::WalkDir::new(repo().join(top)).into_iter().filter_entry(|e| e.file_name() != "node_modules") {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy();
            let path: &Path = entry.path();
            let what = path.strip_prefix(repo()).unwrap().display().to_string();
            let text = std::fs::read_to_string(path).unwrap_or_default();
            // A file kiln refuses is a test of its errors; kiln checks more than a schema
            // can (ranges, files that must exist), so only the other way is checked.
            let (v, accepted) = match name.as_ref() {
                "kiln.toml" => (&kiln_v, kiln_accepts_at(path.parent().unwrap()).is_ok()),
                "budgets.toml" => (&budgets_v, budgets_accepted(&text).is_ok()),
                _ => continue,
            };
            if accepted {
                let errs = errors(v, &text, &what);
                assert!(errs.is_empty(), "kiln accepts {what} but its schema does not: {errs:#?}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "config files checked: {checked}");
}

#[test]
fn what_kiln_refuses_the_schema_refuses() {
    let kiln_v = validator("kiln.schema.json");
    for (text, key) in [
        ("minfy = true\n", "an unknown top-level key"),
        ("[js]\nminfy = true\n", "an unknown key in a table"),
        ("[images]\nformats = [\"gif\"]\n", "an image format kiln cannot write"),
        ("[publish]\nencoding = \"zip\"\n", "an unknown publish encoding"),
        ("hash_cascade = \"chain\"\n", "an unknown hash cascade"),
        ("cache_max_size = \"1 parsec\"\n", "a size with an unknown unit"),
        ("[[images.rules]]\nfiles = \"a/**\"\nqualty = 3\n", "an unknown key in an array of tables"),
        ("[[publish.headers]]\ncache_control = \"no-store\"\n", "a header rule without files"),
        ("[offline]\nupdate = \"later\"\n", "an unknown update mode"),
    ] {
        assert!(!errors(&kiln_v, text, key).is_empty(), "the schema accepts {key}: {text}");
        assert!(kiln_accepts(text).is_err(), "kiln accepts {key}: {text}");
    }
    let budgets_v = validator("budgets.schema.json");
    for (text, key) in [
        ("[[budget]]\nfiles = \"*.js\"\nmaxx = 1\n", "an unknown budget key"),
        ("[[budget]]\nfiles = \"*.js\"\nmeasure = \"zstd\"\nmax = 1\n", "an unknown measure"),
        ("[[budget]]\nfiles = \"*.js\"\nmax = \"12 parsecs\"\n", "a malformed size"),
        ("[[lab]]\nlcpp = \"2 s\"\n", "an unknown lab metric"),
        ("[budgets]\nmax = 1\n", "an unknown table"),
    ] {
        assert!(!errors(&budgets_v, text, key).is_empty(), "the schema accepts {key}: {text}");
        assert!(budgets_accepted(text).is_err(), "kiln accepts {key}: {text}");
    }
}

#[test]
fn sizes_the_schema_accepts_are_sizes_kiln_reads() {
    let v = validator("kiln.schema.json");
    for size in ["170 KB", "1.2 MiB", "150000", "150000 B", "12kB", "1 GB", "256 MiB", " 5 mb ", ".5 GiB", "big", "12 parsecs", "1 TB", "", "KB", "1.2.3 KB"] {
        let text = format!("cache_max_size = {}\n", serde_json::Value::String(size.to_owned()));
        let schema_ok = errors(&v, &text, size).is_empty();
        assert_eq!(schema_ok, kiln::parts::parse_size(size).is_ok(), "{size:?}: schema {schema_ok}, kiln disagrees");
    }
}
