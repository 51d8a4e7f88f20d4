use super::*;

fn load_with(toml_text: &str) -> Result<Config, BuildError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(CONFIG_FILE), toml_text).unwrap();
    Config::load(dir.path(), &Overrides::default())
}

#[test]
fn defaults_without_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let c = Config::load(dir.path(), &Overrides::default()).unwrap();
    assert_eq!(c.out_dir, dir.path().canonicalize().unwrap().join("dist"));
    assert_eq!(c.file_names.as_str(), DEFAULT_FILE_NAMES);
    assert_eq!(c.hash_length, 8);
    assert!(c.compress.gzip && c.compress.brotli);
    assert!(c.css.browsers.is_some());
}

#[test]
fn unknown_key_names_key_and_position() {
    let err = load_with("out_dir = \"dist\"\n[compress]\nbrotly = true\n").unwrap_err();
    let d = &err.diagnostics[0];
    assert!(d.message.contains("brotly"), "{}", d.message);
    let loc = d.location.as_ref().unwrap();
    assert_eq!((loc.line, loc.column), (3, 1));
}

#[test]
fn wrong_type_and_bad_values_are_all_reported() {
    let err = load_with("sri = true\nhash_length = \"eight\"").unwrap_err();
    let d = &err.diagnostics[0];
    assert!(d.message.contains("invalid type"), "{}", d.message);
    assert_eq!(d.location.as_ref().unwrap().line, 2);
    let err = load_with("hash_length = 2\nfile_names = \"assets/[name].[ext]\"\n[css]\ntargets = \"nonsense 12\"\n").unwrap_err();
    assert_eq!(err.diagnostics.len(), 3, "{:?}", err.diagnostics);
    let lines: Vec<u32> = err.diagnostics.iter().map(|d| d.location.as_ref().unwrap().line).collect();
    assert_eq!(lines, vec![1, 2, 4]);
}

#[test]
fn out_dir_must_not_contain_root() {
    for dir in [".", ".."] {
        let err = load_with(&format!("out_dir = \"{dir}\"")).unwrap_err();
        assert!(err.diagnostics.iter().any(|d| d.message.contains("contains it")), "{:?}", err.diagnostics);
    }
}

#[test]
fn may_read_the_root_the_workspace_and_node_modules_where_resolution_looks() {
    let (root, out) = (Path::new("/w/apps/web"), Path::new("/w/apps/web/dist"));
    let ok = |p: &str, ws: Option<&str>| may_read(root, out, ws.map(Path::new), Path::new(p));
    assert!(ok("/w/apps/web/src/a.ts", None));
    assert!(!ok("/w/apps/web/dist/a.js", None), "never the output");
    assert!(ok("/w/apps/web/node_modules/x/i.js", None));
    assert!(ok("/w/node_modules/x/i.js", None), "a folder above the root");
    assert!(ok("/node_modules/x/i.js", None));
    assert!(!ok("/w/apps/other/node_modules/x/i.js", None), "not a sibling's packages");
    assert!(!ok("/w/packages/ui/i.ts", None));
    assert!(ok("/w/packages/ui/i.ts", Some("/w")), "the workspace");
}

#[test]
fn the_remote_cache_takes_publish_endpoint_and_checks_its_keys() {
    let c = load_with(
        "[publish]\nendpoint = \"http://127.0.0.1:3900\"\n[cache]\nremote = \"s3://builds/app/\"\nnamespace = \"pr-7\"\nfallback = [\"main\", \"pr-7\"]\n",
    )
    .unwrap();
    let r = c.cache_remote.unwrap();
    assert_eq!((r.bucket.as_str(), r.prefix.as_str(), r.namespace.as_str()), ("builds", "app/", "pr-7"));
    assert_eq!(r.endpoint.as_deref(), Some("http://127.0.0.1:3900"));
    assert!(r.path_style && !r.read_only);
    assert_eq!(r.fallback, vec!["main".to_owned()], "its own namespace is not a fallback");
    assert!(load_with("").unwrap().cache_remote.is_none());
    let err = load_with("[cache]\nremote = \"https://builds\"\nnamespace = \"feature/x\"\n").unwrap_err();
    let lines: Vec<(u32, bool)> = err.diagnostics.iter().map(|d| (d.location.as_ref().unwrap().line, d.message.contains("cache"))).collect();
    assert_eq!(lines, vec![(2, true), (3, true)], "{:?}", err.diagnostics);
    let no_cache = Overrides { no_cache: true, ..Overrides::default() };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(CONFIG_FILE), "[cache]\nremote = \"s3://builds\"\n").unwrap();
    assert!(Config::load(dir.path(), &no_cache).unwrap().cache_remote.is_none());
}
