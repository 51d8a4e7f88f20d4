//! The generated reference pages (`docs/reference/cli.md` from the flags' definitions,
//! `docs/reference/config.md` from the JSON Schemas), each checked to be current, and every
//! `kiln` command written in the documentation checked to parse. `KILN_UPDATE_DOCS=1
//! cargo test --bin kiln reference` writes the pages again.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{CommandFactory, Parser};
use serde_json::Value;

use super::args::Cli;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `text` with the committed page `rel`, or writes it with `KILN_UPDATE_DOCS=1`.
fn check_page(rel: &str, text: &str) {
    let path = repo().join(rel);
    if std::env::var_os("KILN_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == text, "{rel} is stale: run `KILN_UPDATE_DOCS=1 cargo test --bin kiln reference` and commit it");
}

fn cell(text: &str) -> String {
    text.trim().replace('|', "\\|").replace("\n\n", "<br><br>").replace('\n', " ")
}

/// One section per command: what it does, its usage, its arguments and flags.
fn cli_page() -> String {
    let mut out = String::from(
        "# Command-line reference\n\nGenerated from kiln's flag definitions (`src/cli/args.rs`) by `KILN_UPDATE_DOCS=1 cargo test --bin kiln reference`; \
         a test fails when it is stale. How the commands fit together: [the guide](../commands.md).\n",
    );
    let mut root = Cli::command().bin_name("kiln");
    root.build();
    let _ = write!(out, "\n## kiln\n\n{}\n\n```text\n{}\n```\n", root.get_about().map(|a| a.to_string()).unwrap_or_default(), root.render_usage());
    write_args(&mut out, &root, true);
    for sub in root.get_subcommands() {
        write_command(&mut out, sub, "kiln");
    }
    out
}

fn write_command(out: &mut String, cmd: &clap::Command, parent: &str) {
    if cmd.is_hide_set() || cmd.get_name() == "help" {
        return;
    }
    let name = format!("{parent} {}", cmd.get_name());
    let about = cmd.get_long_about().or(cmd.get_about()).map(|a| a.to_string()).unwrap_or_default();
    let mut cmd = cmd.clone().bin_name(&name);
    let usage = cmd.render_usage().to_string();
    let _ = write!(out, "\n## {name}\n\n{}\n\n```text\n{}\n```\n", about.trim(), usage.trim());
    write_args(out, &cmd, false);
    if let Some(after) = cmd.get_after_help() {
        let _ = write!(out, "\n```text\n{}\n```\n", after.to_string().trim());
    }
    for sub in cmd.get_subcommands() {
        write_command(out, sub, &name);
    }
}

/// The command's arguments; the global flags only at the top (`top`).
fn write_args(out: &mut String, cmd: &clap::Command, top: bool) {
    let shown = |a: &&clap::Arg| !a.is_hide_set() && a.get_id() != "help" && a.get_id() != "version" && (top || !a.is_global_set());
    let args: Vec<&clap::Arg> = cmd.get_arguments().filter(shown).collect();
    if args.is_empty() {
        return;
    }
    out.push_str("\n| Argument | Description |\n|---|---|\n");
    for a in args {
        let values = a.get_value_names().map(|v| v.iter().map(|n| format!("<{n}>")).collect::<Vec<_>>().join(" ")).unwrap_or_default();
        let name = if a.is_positional() {
            format!("[{}]", a.get_value_names().and_then(|v| v.first()).map_or_else(|| a.get_id().to_string().to_uppercase(), |n| n.to_string()))
        } else {
            let long = a.get_long().map(|l| format!("--{l}")).unwrap_or_default();
            let short = a.get_short().map(|s| format!("-{s}, ")).unwrap_or_default();
            let takes = a.get_num_args().is_some_and(|n| n.takes_values()) && !values.is_empty();
            format!("{short}{long}{}", if takes { format!(" {values}") } else { String::new() })
        };
        let mut help = a.get_long_help().or(a.get_help()).map(|h| h.to_string()).unwrap_or_default();
        if !help.is_empty() && !help.ends_with(['.', ')', '`']) {
            help.push('.');
        }
        let possible: Vec<String> = a.get_possible_values().iter().filter(|p| !p.is_hide_set()).map(|p| format!("`{}`", p.get_name())).collect();
        let is_bool = matches!(a.get_action(), clap::ArgAction::SetTrue | clap::ArgAction::SetFalse);
        if !possible.is_empty() && !is_bool {
            let _ = write!(help, " One of {}.", possible.join(", "));
        }
        let defaults: Vec<String> = a.get_default_values().iter().map(|d| d.to_string_lossy().into_owned()).collect();
        if !defaults.is_empty() && !is_bool {
            let _ = write!(help, " Default: `{}`.", defaults.join(" "));
        }
        if a.is_global_set() {
            help.push_str(" Any command takes it.");
        }
        let _ = writeln!(out, "| `{}` | {} |", name, cell(&help));
    }
}

/// The keys of kiln.toml and budgets.toml: one table per section, from the JSON Schemas.
fn config_page() -> String {
    let mut out = String::from(
        "# Configuration reference\n\nEvery key of `kiln.toml` and `budgets.toml`, generated from their JSON Schemas \
         ([`schema/`](../../schema/), made from kiln's config types) by `KILN_UPDATE_DOCS=1 cargo test --bin kiln reference`; a test fails \
         when it is stale. An unknown key is an error naming it. How to use them: [the configuration guide](../configuration.md).\n",
    );
    for (file, schema) in [("kiln.toml", kiln::schema::kiln_toml()), ("budgets.toml", kiln::schema::budgets_toml())] {
        let _ = write!(out, "\n## {file}\n\n{}\n", schema["description"].as_str().unwrap_or_default());
        let mut sections = Vec::new();
        table(&mut out, &schema, &schema, "", &mut sections);
        while !sections.is_empty() {
            let pending = std::mem::take(&mut sections);
            for (heading, node, description) in pending {
                let _ = write!(out, "\n### `{heading}`\n\n{description}\n");
                let key = heading.trim_matches(['[', ']']);
                table(&mut out, &schema, &node, key, &mut sections);
            }
        }
    }
    out
}

/// `node` with its `$ref` followed (a ref's own description kept where the target has none).
fn resolve<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"].as_str().and_then(|r| r.strip_prefix("#/definitions/")) {
        Some(name) => &schema["definitions"][name],
        None => node,
    }
}

/// A key's type as TOML readers know it.
fn type_of(schema: &Value, node: &Value) -> String {
    let node = resolve(schema, node);
    if let Some(values) = node["enum"].as_array() {
        return values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(" or ");
    }
    if let Some(any) = node["anyOf"].as_array().or(node["oneOf"].as_array()) {
        let mut types: Vec<String> = any.iter().map(|a| type_of(schema, a)).collect();
        types.dedup();
        return types.join(" or ");
    }
    match node["type"].as_str() {
        Some("array") => format!("array of {}", type_of(schema, &node["items"])),
        Some("object") if node.get("properties").is_some() => "table".into(),
        Some("object") => "table of keys".into(),
        Some(t) => t.to_owned(),
        None => "any".into(),
    }
}

/// A section of its own: its heading, its schema, what it is for.
type Section = (String, Value, String);

fn table(out: &mut String, schema: &Value, node: &Value, prefix: &str, sections: &mut Vec<Section>) {
    let node = resolve(schema, node);
    let Some(props) = node["properties"].as_object() else { return };
    out.push_str("\n| Key | Type | Description |\n|---|---|---|\n");
    for (key, value) in props {
        let full = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        let target = resolve(schema, value);
        let description = value["description"].as_str().or(target["description"].as_str()).unwrap_or_default();
        let items = resolve(schema, &target["items"]);
        let (shown, kind) = if target["properties"].is_object() {
            sections.push((format!("[{full}]"), target.clone(), description.to_owned()));
            (format!("[{full}]"), "table".to_owned())
        } else if target["type"] == "array" && items["properties"].is_object() {
            sections.push((format!("[[{full}]]"), items.clone(), description.to_owned()));
            (format!("[[{full}]]"), "array of tables".to_owned())
        } else {
            (full.clone(), type_of(schema, value))
        };
        let _ = writeln!(out, "| `{shown}` | {} | {} |", cell(&kind), cell(description));
    }
}

#[test]
fn cli_reference_is_current() {
    check_page("docs/reference/cli.md", &cli_page());
}

#[test]
fn config_reference_is_current() {
    check_page("docs/reference/config.md", &config_page());
}

/// The Markdown files of the documentation: the README, the changelog and `docs/`.
fn documents() -> Vec<PathBuf> {
    let mut out = vec![repo().join("README.md"), repo().join("CHANGELOG.md")];
    let mut stack = vec![repo().join("docs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The lines of fenced code blocks that may hold commands (any but those of another
/// language, or `text`: usage lines and output), with their line numbers; `\`
/// continuations joined.
fn shell_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_shell = None;
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(fence) = trimmed.strip_prefix("```") {
            in_shell = match in_shell {
                Some(_) => None,
                None => Some(!matches!(fence.trim(), "toml" | "json" | "yaml" | "yml" | "js" | "ts" | "css" | "html" | "rust" | "diff" | "text")),
            };
            continue;
        }
        if in_shell != Some(true) {
            continue;
        }
        let (n, mut joined) = pending.take().unwrap_or((i + 1, String::new()));
        joined.push_str(trimmed.trim_start_matches("$ "));
        match joined.strip_suffix('\\') {
            Some(rest) => pending = Some((n, rest.trim_end().to_owned() + " ")),
            None => out.push((n, joined)),
        }
    }
    out
}

/// Words as a POSIX shell splits them (quotes, no expansion); a `#` starting a word ends it.
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' if word.is_none() => break,
            ' ' | '\t' => out.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '"'));
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word);
    out
}

/// The `kiln` invocations of a shell line (also through `npx` and `cargo run --release --`),
/// split at `&&`, `||`, `;` and `|`.
fn invocations(line: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let all = words(line);
    for part in all.split(|w| matches!(w.as_str(), "&&" | "||" | ";" | "|")) {
        let mut args: Vec<String> = part.iter().skip_while(|w| w.contains('=') && !w.starts_with('-')).cloned().collect();
        if let Some(at) = args.iter().position(|w| w == ">" || w == ">>" || w.starts_with('>') || w == "2>&1") {
            args.truncate(at);
        }
        let rest = match args.first().map(String::as_str) {
            Some("kiln") => &args[1..],
            Some("npx") if args.get(1).is_some_and(|w| w == "kiln") => &args[2..],
            Some("cargo") if args.get(1).is_some_and(|w| w == "run") => match args.iter().position(|w| w == "--") {
                Some(dash) => &args[dash + 1..],
                None => continue,
            },
            _ => continue,
        };
        out.push(rest.to_vec());
    }
    out
}

#[test]
fn every_documented_command_parses() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let shown = doc.strip_prefix(repo()).unwrap_or(&doc).display().to_string();
        for (line, command) in shell_lines(&text) {
            for args in invocations(&command) {
                // Usage lines name placeholders (`kiln build [DIR]`, `kiln <command>`).
                if args.iter().any(|a| a.contains(['<', '[', '…']) || a == "...") {
                    continue;
                }
                checked += 1;
                let argv = std::iter::once("kiln".to_owned()).chain(args.iter().cloned());
                if let Err(e) = Cli::try_parse_from(argv) {
                    if !matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) {
                        problems.push(format!("{shown}:{line}: kiln {}: {}", args.join(" "), e.kind()));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "documented commands kiln refuses:\n{}", problems.join("\n"));
    assert!(checked >= 12, "only {checked} documented commands found");
}

#[test]
fn the_shell_reader_splits_as_a_shell_does() {
    assert_eq!(
        invocations("KILN_X=1 kiln build site --out '/tmp/a b' && npx kiln check  # done"),
        vec![vec!["build", "site", "--out", "/tmp/a b"].into_iter().map(String::from).collect::<Vec<_>>(), vec!["check".to_owned()],]
    );
    assert_eq!(invocations("cargo run --release -- build fixtures/site > out.txt"), vec![vec!["build".to_owned(), "fixtures/site".to_owned()]]);
    assert!(invocations("npm install -D @kiln-build/kiln").is_empty());
    let lines = shell_lines("```sh\nkiln build \\\n  --out x\n```\n```toml\nkiln = 1\n```\n");
    assert_eq!(lines, vec![(2, "kiln build --out x".to_owned())]);
}
