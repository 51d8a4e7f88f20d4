//! The `kiln` binary: parse flags, load the config once, call the library, print what it
//! returns, and map it to an exit code (0 ok, 1 a check failed, 2 usage, config or input
//! error). Everything a command does is a library call (see `src/api/`).

mod cli;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use cli::args::{
    BudgetArgs, BudgetFormat, BuildArgs, CacheCommand, CheckArgs, Cli, ColorChoice, Command, DeployArgs, EdgeArgs, EdgeTarget, LabArgs, PublishArgs, ServeArgs,
};
use cli::ui::{write_json, Bar, PublishBar, Ui};
use kiln::{BuildError, Check, CheckOutput, Config, Diagnostic, Env, LabReport, Verdict};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The one place kiln reads its process's environment and working folder.
    let process = Env::from_process();
    let color = match cli.global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal() && process.var("NO_COLOR").is_none(),
    };
    let command = match &cli.command {
        Command::Build(_) => "build",
        Command::Check(_) => "check",
        Command::Serve(_) => "serve",
        Command::Lab(_) => "lab",
        Command::Publish(_) => "publish",
        Command::Deploy(_) => "deploy",
        Command::Edge(_) => "edge",
        Command::Cache(_) => "cache",
    };
    let ui = Ui { color, quiet: cli.global.quiet, verbose: cli.global.verbose, command };
    match &cli.command {
        Command::Build(args) if args.watch => build_watch(&cli, args, &process, &ui),
        Command::Build(args) => match Config::load(&args.root, &args.overrides(&cli.global, &process)) {
            Ok(config) => ui.exit(build(&config, args, &ui)),
            Err(e) => ui.fail(&e),
        },
        Command::Check(args) => ui.exit(check(&cli, args, &process, &ui)),
        Command::Serve(args) if args.watch => serve_watch(&cli, args, &process, &ui),
        Command::Serve(args) => serve(&cli, args, &process, &ui),
        Command::Lab(args) => ui.exit(lab(&cli, args, &process, &ui)),
        Command::Publish(args) => match Config::load(Path::new("."), &cli.global.overrides(&process)) {
            Ok(config) => ui.exit(publish(&config, args, &ui)),
            Err(e) => ui.fail(&e),
        },
        Command::Deploy(args) => deploy(&cli, args, &process, &ui),
        Command::Edge(args) => edge(&cli, args, &process, &ui),
        Command::Cache(CacheCommand::Keygen) => match kiln::parts::cache_keygen() {
            Ok((private, public)) => {
                println!("{}={private}\n{}={public}", kiln::parts::CACHE_SIGNING_VAR, kiln::parts::CACHE_PUBLIC_VAR);
                ExitCode::SUCCESS
            }
            Err(e) => ui.fail(&BuildError::one(Diagnostic::error(e.to_string()))),
        },
    }
}

/// `kiln build`: the build, its report, then the budgets, the lab and the analysis if asked.
fn build(config: &Config, args: &BuildArgs, ui: &Ui) -> Result<Verdict, BuildError> {
    let progress = Bar::new(ui);
    let built = kiln::build(config, &progress);
    progress.clear();
    let report = built?;
    if !ui.quiet {
        print_report(&report, args, ui);
    }
    if let Some(target) = &args.json {
        write_json(target, &report, "write the JSON report")?;
    }
    let mut verdict = Verdict::Passed;
    let mut checked = None;
    // Read once for the byte budgets and the lab's rules.
    let budgets = if args.no_budgets && !args.lab { None } else { kiln::Budgets::load(&config.root, &args.budgets.options(false), &config.process)? };
    if let (false, Some(budgets)) = (args.no_budgets, &budgets) {
        let check = budgets.check(&report, args.budgets.baseline.as_deref())?;
        verdict = report_check(&check, &args.budgets.output(ui.quiet, true), &config.process)?;
        checked = Some(check);
    }
    let mut lab = None;
    if args.lab && verdict == Verdict::Passed {
        let request = kiln::LabRequest {
            dir: config.out_dir.clone(),
            manifest: config.manifest_file().to_owned(),
            pages: args.lab_pages.clone(),
            runs: args.lab_runs,
            profile: args.lab_profile.profile(),
            concurrency: args.lab_concurrency,
            filmstrip: args.analyze.is_some(),
            budgets,
            // The baseline is a build report's: the lab compares with none here.
            baseline: None,
        };
        let (report, check, lab_verdict) = run_lab(&config.process, &request, &args.budgets, args.lab_json.as_deref(), ui)?;
        verdict = lab_verdict;
        // The analysis shows byte budgets and lab rules in one table.
        checked = Some(match checked {
            Some(mut c) => {
                c.outcomes.extend(check.outcomes.iter().cloned());
                c
            }
            None => check,
        });
        lab = Some(report);
    }
    if let Some(dir) = &args.analyze {
        let dir = dir.clone().unwrap_or_else(|| config.root.join(".kiln"));
        analysis(&dir, &report, checked.as_ref(), lab.as_ref(), ui)?;
    }
    Ok(verdict)
}

/// The build's table, pruned CSS and timings on stdout.
fn print_report(report: &kiln::Report, args: &BuildArgs, ui: &Ui) {
    for w in &report.warnings {
        eprintln!("{}\n", w.render(ui.color));
    }
    print!("{}", report.table(ui.color && std::io::stdout().is_terminal()));
    for p in &report.css_pruned {
        let (before, after) = (kiln::parts::kb(p.bytes_before), kiln::parts::kb(p.bytes_after));
        let inline = if p.inline { " <style>" } else { "" };
        println!("css prune: {}{inline} {} of {} rules removed, {before} → {after}", p.src, p.rules_removed, p.rules_before);
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

fn report_check(check: &Check, output: &CheckOutput, process: &Env) -> Result<Verdict, BuildError> {
    kiln::report_check(check, output, process, &mut std::io::stdout().lock(), &mut std::io::stderr().lock())
}

fn analysis(dir: &Path, report: &kiln::Report, checked: Option<&Check>, lab: Option<&LabReport>, ui: &Ui) -> Result<(), BuildError> {
    let page = kiln::write_analysis(dir, report, checked, lab)?;
    if !ui.quiet {
        eprintln!("kiln: analysis written to {}", page.display());
    }
    Ok(())
}

/// The lab on `request.dir`: its table, its JSON if asked, and its check.
fn run_lab(process: &Env, request: &kiln::LabRequest, budgets: &BudgetArgs, json: Option<&str>, ui: &Ui) -> Result<(LabReport, Check, Verdict), BuildError> {
    let verbose = !ui.quiet && ui.verbose;
    let (report, check) = kiln::lab(process, request, &|page, r| {
        if verbose {
            eprintln!("lab: {page} run {}", r + 1);
        }
    })?;
    if !ui.quiet && budgets.format == BudgetFormat::Table {
        print!("{}", report.table());
    }
    if let Some(target) = json {
        write_json(target, &report, "write the lab JSON")?;
    }
    let verdict = report_check(&check, &budgets.output(ui.quiet, false), process)?;
    Ok((report, check, verdict))
}

/// `kiln check`: an output built earlier against the budgets (which must exist).
fn check(cli: &Cli, args: &CheckArgs, process: &Env, ui: &Ui) -> Result<Verdict, BuildError> {
    let config = Config::load(Path::new("."), &cli.global.overrides(process))?;
    let (_, report) = kiln::read_output(&config, args.dir.as_deref())?;
    match kiln::check_budgets(&config, &report, &args.budgets.options(true))? {
        Some(check) => report_check(&check, &args.budgets.output(ui.quiet, true), process),
        None => Ok(Verdict::Passed),
    }
}

/// `kiln lab`: an output folder (the config's, or one given without a config) in Chromium.
fn lab(cli: &Cli, args: &LabArgs, process: &Env, ui: &Ui) -> Result<Verdict, BuildError> {
    let config = Config::load(Path::new("."), &cli.global.overrides(process));
    let (root, dir, manifest) = match (&args.dir, config) {
        (Some(d), Ok(c)) => (c.root.clone(), d.clone(), c.manifest_file().to_owned()),
        (Some(d), Err(_)) => (std::path::PathBuf::from("."), d.clone(), kiln::DEFAULT_MANIFEST.to_owned()),
        (None, Ok(c)) => (c.root.clone(), c.out_dir.clone(), c.manifest_file().to_owned()),
        (None, Err(e)) => return Err(e),
    };
    let request = kiln::LabRequest {
        dir: dir.clone(),
        manifest: manifest.clone(),
        pages: args.run.pages.clone(),
        runs: args.run.runs,
        profile: args.run.profile.profile(),
        concurrency: args.run.concurrency,
        filmstrip: args.analyze.is_some(),
        budgets: kiln::Budgets::load(&root, &args.budgets.options(false), process)?,
        baseline: args.budgets.baseline.clone(),
    };
    let (lab, checked, verdict) = run_lab(process, &request, &args.budgets, args.json.as_deref(), ui)?;
    if let Some(target) = &args.analyze {
        let target = target.clone().unwrap_or_else(|| root.join(".kiln"));
        let report = kiln::Report::from_output(&dir, &manifest).map_err(|e| BuildError::io(&dir, &e, "read the output"))?;
        analysis(&target, &report, Some(&checked), Some(&lab), ui)?;
    }
    Ok(verdict)
}

/// `kiln edge`: the edge code on standard output; what CloudFront's size limit left out, on
/// standard error.
fn edge(cli: &Cli, args: &EdgeArgs, process: &Env, ui: &Ui) -> ExitCode {
    let target = match args.target {
        EdgeTarget::CloudfrontRequest => kiln::Edge::CloudfrontRequest,
        EdgeTarget::CloudfrontResponse => kiln::Edge::CloudfrontResponse,
        EdgeTarget::CloudflareWorker => kiln::Edge::CloudflareWorker,
    };
    let code = Config::load(Path::new("."), &cli.global.overrides(process)).and_then(|config| kiln::edge_code(&config, args.dir.as_deref(), target));
    match code {
        Ok(c) => {
            if c.left_out > 0 && !ui.quiet {
                eprintln!(
                    "kiln edge: {} deltas left out of the table (to keep the function under CloudFront's 10 KB, the largest first; or two dictionaries of a file whose hashes start alike); those requests get the twin",
                    c.left_out
                );
            }
            print!("{}", c.code);
            ExitCode::SUCCESS
        }
        Err(e) => ui.fail(&e),
    }
}

fn serve(cli: &Cli, args: &ServeArgs, process: &Env, ui: &Ui) -> ExitCode {
    let config = Config::load(Path::new("."), &cli.global.overrides(process));
    let manifest = config.as_ref().map_or(kiln::DEFAULT_MANIFEST, |c| c.manifest_file()).to_owned();
    let dir = match (&args.dir, &config) {
        (Some(d), _) => d.clone(),
        (None, Ok(c)) => c.out_dir.clone(),
        (None, Err(e)) => return ui.fail(e),
    };
    if !dir.is_dir() {
        let d = Diagnostic::error("nothing to serve: the folder does not exist (run `kiln build` first)").in_file(dir.display().to_string());
        return ui.fail(&BuildError::one(d));
    }
    let quiet = ui.quiet;
    let shown = dir.display().to_string();
    let result = kiln::parts::serve(dir, &manifest, (args.host, args.port).into(), |addr| {
        if !quiet {
            println!("serving {shown} at http://{addr}/");
            let _ = std::io::stdout().flush();
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => ui.fail(&BuildError::one(Diagnostic::error(format!("cannot serve on {}:{}: {e}", args.host, args.port)))),
    }
}

/// `kiln build --watch`: a build as `kiln build` makes it (budgets and all), then another after
/// each burst of changes; a failed build leaves the last good output in place.
fn build_watch(cli: &Cli, args: &BuildArgs, process: &Env, ui: &Ui) -> ExitCode {
    let overrides = args.overrides(&cli.global, process);
    let build_once = |config: &Result<Config, BuildError>| {
        let _ = match config {
            Ok(c) => ui.exit(build(c, args, ui)),
            Err(e) => ui.fail(e),
        };
    };
    let mut config = Config::load(&args.root, &overrides);
    let ignored = config.as_ref().map(kiln::parts::written_by_build).unwrap_or_default();
    let mut watcher = match kiln::parts::Watcher::new(&args.root, &ignored) {
        Ok(w) => w,
        Err(e) => return ui.fail(&BuildError::one(Diagnostic::error(e.to_string()))),
    };
    build_once(&config);
    loop {
        if !ui.quiet {
            eprintln!("kiln build: watching {} for changes (Ctrl-C stops)", args.root.display());
        }
        let Some(changed) = watcher.changes() else { return ExitCode::SUCCESS };
        if !ui.quiet {
            eprintln!("kiln build: {} changed: building again", kiln::parts::changed_line(&changed));
        }
        config = Config::load(&args.root, &overrides);
        if let Ok(c) = &config {
            watcher.set_ignored(&kiln::parts::written_by_build(c));
        }
        build_once(&config);
    }
}

/// `kiln serve --watch`: builds, serves, and rebuilds on changes (see the library's
/// `watch::serve`).
fn serve_watch(cli: &Cli, args: &ServeArgs, process: &Env, ui: &Ui) -> ExitCode {
    match kiln::parts::serve_watch(Path::new("."), cli.global.overrides(process), (args.host, args.port).into(), ui.quiet) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => ui.fail(&e),
    }
}

/// `kiln publish`: the output folder to the bucket, with a summary.
fn publish(config: &Config, args: &PublishArgs, ui: &Ui) -> Result<Verdict, BuildError> {
    let overrides = kiln::PublishOverrides {
        to: args.remote.to.clone(),
        endpoint: args.remote.endpoint.clone(),
        region: args.remote.region.clone(),
        profile: args.remote.profile.clone(),
        dir: args.dir.clone(),
        dry_run: args.dry_run,
        rollback: args.rollback.as_ref().map(|r| (!r.is_empty()).then(|| r.clone())),
    };
    let progress = PublishBar::new(ui);
    let result = kiln::publish(config, &overrides, &progress);
    progress.clear();
    let summary = result?;
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
        for (page, r) in summary.returning.iter().take(10) {
            println!("returning visitors, {page}: {} ({} with twins only)", kiln::parts::kb(r.deltas).trim(), kiln::parts::kb(r.twins).trim());
        }
    }
    if let Some(target) = &args.json {
        write_json(target, &summary, "write the publish summary")?;
    }
    Ok(Verdict::Passed)
}

/// `kiln deploy`: the build (with its budgets, which `--no-budgets` cannot skip here), then
/// publish of what it wrote; a failed build or budget publishes nothing.
fn deploy(cli: &Cli, args: &DeployArgs, process: &Env, ui: &Ui) -> ExitCode {
    if args.build.no_budgets {
        return ui.fail(&BuildError::one(Diagnostic::error("kiln deploy always checks budgets: --no-budgets is for kiln build")));
    }
    if args.build.watch {
        return ui.fail(&BuildError::one(Diagnostic::error("kiln deploy builds once: --watch is for kiln build and kiln serve")));
    }
    let config = match Config::load(&args.build.root, &args.build.overrides(&cli.global, process)) {
        Ok(c) => c,
        Err(e) => return ui.fail(&e),
    };
    let built = build(&config, &args.build, ui);
    if !matches!(built, Ok(Verdict::Passed)) {
        let code = ui.exit(built);
        eprintln!("kiln deploy: nothing published");
        return code;
    }
    let publish_args = PublishArgs { dir: Some(config.out_dir.clone()), remote: args.remote.clone(), dry_run: args.dry_run, rollback: None, json: None };
    ui.exit(publish(&config, &publish_args, ui))
}
