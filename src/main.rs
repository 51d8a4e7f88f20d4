//! The `kiln` binary: parse flags, load config, run, map the result to an exit code
//! (0 ok, 1 a check failed, 2 usage, config or input error).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use kiln::budget::{self, output, Status};
use kiln::cli::{BudgetArgs, BudgetFormat, BuildArgs, CheckArgs, Cli, ColorChoice, Command, DeployArgs, LabArgs, LabRunArgs, PublishArgs, ServeArgs};
use kiln::pipeline::Progress;
use kiln::{BuildError, Config, Overrides};

const EXIT_CHECK_FAILED: u8 = 1;
const EXIT_ERROR: u8 = 2;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let command = match &cli.command {
        Command::Build(_) => "build",
        Command::Check(_) => "check",
        Command::Serve(_) => "serve",
        Command::Lab(_) => "lab",
        Command::Publish(_) => "publish",
        Command::Deploy(_) => "deploy",
        Command::Cache(_) => "cache",
    };
    let ui = Ui { color, quiet: cli.global.quiet, verbose: cli.global.verbose, command };
    match &cli.command {
        Command::Build(args) if args.watch => build_watch(&cli, args, &ui),
        Command::Build(args) => build(&cli, args, &ui),
        Command::Check(args) => check(&cli, args, &ui),
        Command::Serve(args) if args.watch => serve_watch(&cli, args, &ui),
        Command::Serve(args) => serve(&cli, args, &ui),
        Command::Lab(args) => lab(&cli, args, &ui),
        Command::Publish(args) => publish(&cli, args, std::path::Path::new("."), &ui),
        Command::Deploy(args) => deploy(&cli, args, &ui),
        Command::Cache(kiln::cli::CacheCommand::Keygen) => match kiln::cache::sign::keygen() {
            Ok((private, public)) => {
                println!("{}={private}\n{}={public}", kiln::cache::sign::SIGNING_VAR, kiln::cache::sign::PUBLIC_VAR);
                ExitCode::SUCCESS
            }
            Err(e) => ui.fail(&BuildError::one(kiln::diagnostics::Diagnostic::error(e))),
        },
    }
}

struct Ui {
    color: bool,
    quiet: bool,
    verbose: bool,
    /// The subcommand, named in the failure line.
    command: &'static str,
}

impl Ui {
    fn fail(&self, err: &BuildError) -> ExitCode {
        let mut stderr = std::io::stderr().lock();
        for d in &err.diagnostics {
            let _ = writeln!(stderr, "{}\n", d.render(self.color));
        }
        let n = err.diagnostics.iter().filter(|d| d.is_error()).count();
        let _ = writeln!(stderr, "kiln {}: failed with {n} error{}", self.command, if n == 1 { "" } else { "s" });
        ExitCode::from(EXIT_ERROR)
    }
}

/// `kiln deploy`: the build (with its budgets, which `--no-budgets` cannot skip here), then
/// publish of what it wrote; a failed build or budget publishes nothing.
fn deploy(cli: &Cli, args: &DeployArgs, ui: &Ui) -> ExitCode {
    if args.build.no_budgets {
        return ui.fail(&BuildError::one(kiln::Diagnostic::error("kiln deploy always checks budgets: --no-budgets is for kiln build")));
    }
    if args.build.watch {
        return ui.fail(&BuildError::one(kiln::Diagnostic::error("kiln deploy builds once: --watch is for kiln build and kiln serve")));
    }
    let built = build(cli, &args.build, ui);
    if built != ExitCode::SUCCESS {
        eprintln!("kiln deploy: nothing published");
        return built;
    }
    let config = match Config::load(&args.build.root, &build_overrides(cli, &args.build)) {
        Ok(c) => c,
        Err(e) => return ui.fail(&e),
    };
    let publish_args = PublishArgs { dir: Some(config.out_dir.clone()), remote: args.remote.clone(), dry_run: args.dry_run, rollback: None, json: None };
    publish(cli, &publish_args, &args.build.root, ui)
}

fn build_overrides(cli: &Cli, args: &BuildArgs) -> Overrides {
    Overrides {
        config_file: cli.global.config.clone(),
        out_dir: args.out.clone(),
        jobs: args.jobs,
        no_compress: args.no_compress,
        entries: args.entry.clone(),
        no_minify: args.no_minify,
        no_cache: args.no_cache,
        cache_read_only: args.cache_read_only,
        mode: args.mode.clone(),
        sourcemap: args.sourcemap.as_deref().map(|m| match m {
            "hidden" => kiln::config::SourceMapMode::Hidden,
            "none" => kiln::config::SourceMapMode::None,
            _ => kiln::config::SourceMapMode::External,
        }),
    }
}

fn build(cli: &Cli, args: &BuildArgs, ui: &Ui) -> ExitCode {
    let overrides = build_overrides(cli, args);
    let config = match Config::load(&args.root, &overrides) {
        Ok(c) => c,
        Err(e) => return ui.fail(&e),
    };
    let progress = Bar::new(ui);
    let report = match kiln::build(&config, &progress) {
        Ok(r) => r,
        Err(e) => {
            progress.clear();
            return ui.fail(&e);
        }
    };
    progress.clear();
    if !ui.quiet {
        for w in &report.warnings {
            eprintln!("{}\n", w.render(ui.color));
        }
        print!("{}", report.table(ui.color && std::io::stdout().is_terminal()));
        for p in &report.css_pruned {
            println!(
                "css prune: {}{} {} of {} rules removed, {} → {}",
                p.src,
                if p.inline { " <style>" } else { "" },
                p.rules_removed,
                p.rules_before,
                kiln::size::kb(p.bytes_before),
                kiln::size::kb(p.bytes_after)
            );
            if ui.verbose {
                for r in &p.removed {
                    println!("  - {r}");
                }
            }
        }
        if args.timings {
            print!("{}", report.timings_table());
        }
    }
    if let Some(target) = &args.json {
        let json = serde_json::to_string_pretty(&report).expect("the report serializes") + "\n";
        let written = if target == "-" { std::io::stdout().write_all(json.as_bytes()) } else { std::fs::write(target, json) };
        if let Err(e) = written {
            return ui.fail(&BuildError::io(std::path::Path::new(target), &e, "write the JSON report"));
        }
    }
    let (code, checked) = if args.no_budgets { (ExitCode::SUCCESS, None) } else { check_budgets(&config, &report, &args.budgets, ui, false) };
    let (code, lab, checked) = if args.lab && code == ExitCode::SUCCESS {
        let manifest = config.manifest.clone().unwrap_or_else(|| "manifest.json".into());
        let budgets = BudgetArgs { baseline: None, ..args.budgets.clone() };
        let run = LabRunArgs { pages: args.lab_pages.clone(), runs: args.lab_runs, profile: args.lab_profile.clone(), concurrency: args.lab_concurrency };
        let (code, lab) = run_lab(&config.root, &config.out_dir, &manifest, &run, &budgets, args.lab_json.as_deref(), args.analyze.is_some(), ui);
        // The analysis shows byte budgets and lab rules in one table.
        let checked = match (checked, &lab) {
            (Some(mut c), Some((_, l))) => {
                c.outcomes.extend(l.outcomes.iter().cloned());
                Some(c)
            }
            (None, Some((_, l))) => Some(l.clone()),
            (c, None) => c,
        };
        (code, lab.map(|(r, _)| r), checked)
    } else {
        (code, None, checked)
    };
    if let Some(dir) = &args.analyze {
        let dir = dir.clone().unwrap_or_else(|| config.root.join(".kiln"));
        if let Err(code) = write_analysis(&dir, &report, checked.as_ref(), lab.as_ref(), ui) {
            return code;
        }
    }
    code
}

/// report.html and meta.json into `dir`.
fn write_analysis(
    dir: &std::path::Path,
    report: &kiln::Report,
    checked: Option<&budget::Check>,
    lab: Option<&kiln::lab::LabReport>,
    ui: &Ui,
) -> Result<(), ExitCode> {
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(dir.join("report.html"), kiln::analysis::report_html(report, checked, lab)))
        .and_then(|()| std::fs::write(dir.join("meta.json"), kiln::analysis::meta_json(report)));
    if let Err(e) = written {
        return Err(ui.fail(&BuildError::io(dir, &e, "write the analysis")));
    }
    if !ui.quiet {
        eprintln!("kiln: analysis written to {}", dir.join("report.html").display());
    }
    Ok(())
}

fn lab(cli: &Cli, args: &LabArgs, ui: &Ui) -> ExitCode {
    let config = Config::load(std::path::Path::new("."), &Overrides { config_file: cli.global.config.clone(), ..Default::default() });
    let manifest = config.as_ref().ok().and_then(|c| c.manifest.clone()).unwrap_or_else(|| "manifest.json".into());
    let (root, dir) = match (&args.dir, &config) {
        (Some(d), Ok(c)) => (c.root.clone(), d.clone()),
        (Some(d), Err(_)) => (std::path::PathBuf::from("."), d.clone()),
        (None, Ok(c)) => (c.root.clone(), c.out_dir.clone()),
        (None, Err(e)) => return ui.fail(e),
    };
    let (code, lab) = run_lab(&root, &dir, &manifest, &args.run, &args.budgets, args.json.as_deref(), args.analyze.is_some(), ui);
    if let (Some(target), Some((lab, checked))) = (&args.analyze, &lab) {
        let target = target.clone().unwrap_or_else(|| root.join(".kiln"));
        let report = match kiln::Report::from_output(&dir, &manifest) {
            Ok(r) => r,
            Err(e) => return ui.fail(&BuildError::io(&dir, &e, "read the output")),
        };
        if let Err(code) = write_analysis(&target, &report, Some(checked), Some(lab), ui) {
            return code;
        }
    }
    code
}

/// Runs the lab on `dir`, prints it, and checks the `[[lab]]` rules of the budgets file found
/// from `root` (a page's uncaught exception, console error or failed request fails even
/// without one).
#[allow(clippy::too_many_arguments)]
fn run_lab(
    root: &std::path::Path,
    dir: &std::path::Path,
    manifest: &str,
    run: &LabRunArgs,
    budgets: &BudgetArgs,
    json: Option<&str>,
    filmstrip: bool,
    ui: &Ui,
) -> (ExitCode, Option<(kiln::lab::LabReport, budget::Check)>) {
    let pages = match run.pages.as_deref().map(|g| globset::Glob::new(g.trim_start_matches("./"))).transpose() {
        Ok(g) => g.map(|g| g.compile_matcher()),
        Err(e) => return (ui.fail(&BuildError::one(kiln::Diagnostic::error(format!("--pages: invalid glob: {}", e.kind())))), None),
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let file = budget::find(root, budgets.budgets.as_deref(), &cwd);
    let rules = match &file {
        Some(f) => match kiln::lab::gate::load(f, &f.strip_prefix(&cwd).unwrap_or(f).display().to_string()) {
            Ok(r) => r,
            Err(e) => return (ui.fail(&e), None),
        },
        None => Vec::new(),
    };
    let baseline = match budgets.baseline.as_deref().map(|p| {
        std::fs::read(p).map_err(|e| e.to_string()).and_then(|b| serde_json::from_slice::<kiln::lab::LabReport>(&b).map_err(|e| e.to_string())).map_err(|e| {
            BuildError::one(
                kiln::Diagnostic::error(format!("cannot read the lab baseline (the JSON of an earlier `kiln lab --json`): {e}"))
                    .in_file(p.display().to_string()),
            )
        })
    }) {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => return (ui.fail(&e), None),
    };
    let profile = kiln::lab::profile::Profile::named(&run.profile).expect("clap checks the profile");
    let options = kiln::lab::LabOptions {
        dir: dir.to_path_buf(),
        manifest_name: manifest.to_owned(),
        pages,
        runs: run.runs as usize,
        profile,
        jobs: run.concurrency.map_or_else(kiln::lab::default_concurrency, |n| n as usize),
        filmstrip,
    };
    let quiet = ui.quiet;
    let report = match kiln::lab::run(&options, &|page, r| {
        if !quiet && ui.verbose {
            eprintln!("lab: {page} run {}", r + 1);
        }
    }) {
        Ok(r) => r,
        Err(e) => return (ui.fail(&BuildError::one(kiln::Diagnostic::error(e))), None),
    };
    if !ui.quiet && budgets.format == BudgetFormat::Table {
        print!("{}", kiln::lab::table(&report));
    }
    if let Some(target) = json {
        let text = serde_json::to_string_pretty(&report).expect("the lab report serializes") + "\n";
        let written = if target == "-" { std::io::stdout().write_all(text.as_bytes()) } else { std::fs::write(target, text) };
        if let Err(e) = written {
            return (ui.fail(&BuildError::io(std::path::Path::new(target), &e, "write the lab JSON")), None);
        }
    }
    let result = kiln::lab::gate::check(&rules, &report, baseline.as_ref());
    match budgets.format {
        BudgetFormat::Table if ui.quiet || result.outcomes.is_empty() => {}
        BudgetFormat::Table => print!("{}", output::table(&result)),
        BudgetFormat::Json => print!("{}", output::json(&result)),
    }
    if let Some(problem) = output::github(&result) {
        eprintln!("kiln: {problem}");
    }
    if let Some(junit) = &budgets.junit {
        if let Err(e) = std::fs::write(junit, output::junit(&result)) {
            return (ui.fail(&BuildError::io(junit, &e, "write the JUnit report")), None);
        }
    }
    let code = match result.worst() {
        Status::Fail => ExitCode::from(EXIT_CHECK_FAILED),
        Status::Warn if budgets.strict => ExitCode::from(EXIT_CHECK_FAILED),
        _ => ExitCode::SUCCESS,
    };
    (code, Some((report, result)))
}

fn check(cli: &Cli, args: &CheckArgs, ui: &Ui) -> ExitCode {
    let overrides = Overrides { config_file: cli.global.config.clone(), ..Default::default() };
    let config = match Config::load(std::path::Path::new("."), &overrides) {
        Ok(c) => c,
        Err(e) => return ui.fail(&e),
    };
    let dir = args.dir.clone().unwrap_or_else(|| config.out_dir.clone());
    if !dir.is_dir() {
        let d = kiln::Diagnostic::error("nothing to check: the folder does not exist (run `kiln build` first)").in_file(dir.display().to_string());
        return ui.fail(&BuildError::one(d));
    }
    let report = match kiln::Report::from_output(&dir, config.manifest.as_deref().unwrap_or("manifest.json")) {
        Ok(r) => r,
        Err(e) => return ui.fail(&BuildError::io(&dir, &e, "read the output")),
    };
    check_budgets(&config, &report, &args.budgets, ui, true).0
}

/// Checks budgets when a budgets file exists (or `required`); the exit code and the results.
fn check_budgets(config: &Config, report: &kiln::Report, args: &BudgetArgs, ui: &Ui, required: bool) -> (ExitCode, Option<budget::Check>) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let Some(file) = budget::find(&config.root, args.budgets.as_deref(), &cwd) else {
        if required {
            let d = kiln::Diagnostic::error("no budgets.toml found").with_note("write one beside kiln.toml, or pass --budgets FILE");
            return (ui.fail(&BuildError::one(d)), None);
        }
        return (ExitCode::SUCCESS, None);
    };
    let shown = file.strip_prefix(&cwd).unwrap_or(&file).display().to_string();
    let rules = match budget::rules::load(&file, &shown) {
        Ok(r) => r,
        Err(e) => return (ui.fail(&e), None),
    };
    let baseline = match args.baseline.as_deref().map(budget::read_baseline).transpose() {
        Ok(b) => b,
        Err(e) => return (ui.fail(&e), None),
    };
    let result = budget::check(&rules, report, baseline.as_ref());
    match args.format {
        BudgetFormat::Table if !ui.quiet => print!("{}", output::table(&result)),
        BudgetFormat::Table => {}
        BudgetFormat::Json => print!("{}", output::json(&result)),
    }
    if let Some(problem) = output::github(&result) {
        eprintln!("kiln: {problem}");
    }
    if let Some(junit) = &args.junit {
        if let Err(e) = std::fs::write(junit, output::junit(&result)) {
            return (ui.fail(&BuildError::io(junit, &e, "write the JUnit report")), Some(result));
        }
    }
    let code = match result.worst() {
        Status::Fail => ExitCode::from(EXIT_CHECK_FAILED),
        Status::Warn if args.strict => ExitCode::from(EXIT_CHECK_FAILED),
        _ => ExitCode::SUCCESS,
    };
    (code, Some(result))
}

fn serve(cli: &Cli, args: &ServeArgs, ui: &Ui) -> ExitCode {
    let config = Config::load(std::path::Path::new("."), &Overrides { config_file: cli.global.config.clone(), ..Default::default() });
    let manifest_name = config.as_ref().ok().and_then(|c| c.manifest.clone()).unwrap_or_else(|| "manifest.json".into());
    let dir = match (&args.dir, &config) {
        (Some(d), _) => d.clone(),
        (None, Ok(c)) => c.out_dir.clone(),
        (None, Err(e)) => return ui.fail(e),
    };
    if !dir.is_dir() {
        let d = kiln::Diagnostic::error("nothing to serve: the folder does not exist (run `kiln build` first)").in_file(dir.display().to_string());
        return ui.fail(&BuildError::one(d));
    }
    let hashed = kiln::output::hashed_files(&dir, &manifest_name);
    let quiet = ui.quiet;
    let shown = dir.display().to_string();
    let result = kiln::serve::serve(dir, hashed, (args.host, args.port).into(), |addr| {
        if !quiet {
            println!("serving {shown} at http://{addr}/");
            let _ = std::io::stdout().flush();
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => ui.fail(&BuildError::one(kiln::Diagnostic::error(format!("cannot serve on {}:{}: {e}", args.host, args.port)))),
    }
}

/// `kiln build --watch`: a build as `kiln build` makes it (budgets and all), then another after
/// each burst of changes; a failed build leaves the last good output in place.
fn build_watch(cli: &Cli, args: &BuildArgs, ui: &Ui) -> ExitCode {
    let overrides = build_overrides(cli, args);
    let ignored = Config::load(&args.root, &overrides).map(|c| kiln::watch::written_by_build(&c)).unwrap_or_default();
    let mut watcher = match kiln::watch::Watcher::new(&args.root, &ignored) {
        Ok(w) => w,
        Err(e) => return ui.fail(&BuildError::one(kiln::Diagnostic::error(e))),
    };
    let _ = build(cli, args, ui);
    loop {
        if !ui.quiet {
            eprintln!("kiln build: watching {} for changes (Ctrl-C stops)", args.root.display());
        }
        let Some(changed) = watcher.changes() else { return ExitCode::SUCCESS };
        if !ui.quiet {
            eprintln!("kiln build: {} changed: building again", kiln::watch::changed_line(&changed));
        }
        if let Ok(c) = Config::load(&args.root, &overrides) {
            watcher.set_ignored(&kiln::watch::written_by_build(&c));
        }
        let _ = build(cli, args, ui);
    }
}

/// `kiln serve --watch`: see [`kiln::watch::serve`].
fn serve_watch(cli: &Cli, args: &ServeArgs, ui: &Ui) -> ExitCode {
    let overrides = Overrides { config_file: cli.global.config.clone(), ..Default::default() };
    match kiln::watch::serve(std::path::Path::new("."), overrides, (args.host, args.port).into(), ui.quiet) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => ui.fail(&e),
    }
}

/// Progress of a publish: a bar with bytes per second on a terminal, a line per phase otherwise.
struct PublishBar {
    bar: Option<ProgressBar>,
    lines: bool,
}

impl kiln::publish::Progress for PublishBar {
    fn phase(&self, phase: &str, files: usize, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(bytes.max(1));
            bar.set_position(0);
            bar.set_message(format!("{phase}: {files} files"));
        } else if self.lines {
            eprintln!("kiln: {phase}: {files} files, {}", kiln::size::kb(bytes));
        }
    }
    fn uploaded(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }
}

fn publish(cli: &Cli, args: &PublishArgs, root: &std::path::Path, ui: &Ui) -> ExitCode {
    let fail = |msg: String| ui.fail(&BuildError::one(kiln::Diagnostic::error(msg)));
    let config = match Config::load(root, &Overrides { config_file: cli.global.config.clone(), ..Default::default() }) {
        Ok(c) => c,
        Err(e) => return ui.fail(&e),
    };
    let overrides = kiln::publish::PublishOverrides {
        to: args.remote.to.clone(),
        endpoint: args.remote.endpoint.clone(),
        region: args.remote.region.clone(),
        profile: args.remote.profile.clone(),
        dir: args.dir.clone(),
        dry_run: args.dry_run,
        rollback: args.rollback.as_ref().map(|r| (!r.is_empty()).then(|| r.clone())),
    };
    let request = match kiln::publish::Request::new(&config, &overrides) {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    let tty = std::io::stderr().is_terminal() && !ui.quiet;
    let bar = tty.then(|| {
        let b = ProgressBar::new(1);
        b.set_style(ProgressStyle::with_template("{msg:24} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}").expect("a valid template").progress_chars("=> "));
        b
    });
    let progress = PublishBar { bar, lines: !tty && !ui.quiet };
    let result = kiln::publish::run(request, &progress);
    if let Some(b) = &progress.bar {
        b.finish_and_clear();
    }
    let summary = match result {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    if !ui.quiet {
        if summary.dry_run {
            for (phase, keys) in &summary.uploads {
                for k in keys {
                    println!("upload  {phase:8} {k}");
                }
            }
            for k in &summary.deleted {
                println!("delete           {k}");
            }
        }
        println!("{}", summary.line());
    }
    if let Some(target) = &args.json {
        let json = serde_json::to_string_pretty(&summary).expect("the summary serializes") + "\n";
        let written = if target == "-" { std::io::stdout().write_all(json.as_bytes()) } else { std::fs::write(target, json) };
        if let Err(e) = written {
            return fail(format!("cannot write {target}: {e}"));
        }
    }
    ExitCode::SUCCESS
}

/// A progress bar on a terminal; one line per stage otherwise (with `--verbose`, or when stderr
/// is not a terminal so CI logs show where time goes); nothing with `--quiet`.
struct Bar {
    bar: Option<ProgressBar>,
    lines: bool,
}

impl Bar {
    fn new(ui: &Ui) -> Self {
        let tty = std::io::stderr().is_terminal();
        let bar = (tty && !ui.quiet).then(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            b.set_style(ProgressStyle::with_template("{spinner} {prefix:<12} {wide_bar} {pos}/{len}").expect("valid template"));
            b.enable_steady_tick(Duration::from_millis(100));
            b
        });
        Bar { bar, lines: !ui.quiet && (!tty || ui.verbose) }
    }

    fn clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn start(&self, stage: &'static str, total: Option<u64>) {
        if let Some(b) = &self.bar {
            b.set_prefix(stage);
            b.set_position(0);
            b.set_length(total.unwrap_or(0));
        }
    }

    fn tick(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    fn finish(&self, stage: &'static str, elapsed: Duration) {
        if self.lines {
            let line = format!("kiln: {stage} done in {:.0} ms", elapsed.as_secs_f64() * 1000.0);
            match &self.bar {
                Some(b) => b.println(line),
                None => eprintln!("{line}"),
            }
        }
    }
}
