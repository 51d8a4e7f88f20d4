//! What the terminal shows: progress bars (or one line per stage in logs), and failures.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use kiln::{BuildError, Verdict};

pub const EXIT_CHECK_FAILED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub struct Ui {
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
    /// The subcommand, named in the failure line.
    pub command: &'static str,
}

impl Ui {
    /// Prints the diagnostics and the failure line; exit code 2.
    pub fn fail(&self, err: &BuildError) -> ExitCode {
        let mut stderr = std::io::stderr().lock();
        for d in &err.diagnostics {
            let _ = writeln!(stderr, "{}\n", d.render(self.color));
        }
        let n = err.diagnostics.iter().filter(|d| d.is_error()).count();
        let _ = writeln!(stderr, "kiln {}: failed with {n} error{}", self.command, if n == 1 { "" } else { "s" });
        ExitCode::from(EXIT_ERROR)
    }

    /// The exit code of a result: 0 passed, 1 a check failed, 2 an error (printed).
    pub fn exit(&self, result: Result<Verdict, BuildError>) -> ExitCode {
        match result {
            Ok(Verdict::Passed) => ExitCode::SUCCESS,
            Ok(Verdict::Failed) => ExitCode::from(EXIT_CHECK_FAILED),
            Err(e) => self.fail(&e),
        }
    }
}

/// Writes `json` to the file `target`, or to stdout for `-`.
pub fn write_json(target: &str, json: &impl serde::Serialize, what: &str) -> Result<(), BuildError> {
    let text = serde_json::to_string_pretty(json).expect("kiln's reports serialize") + "\n";
    let written = if target == "-" { std::io::stdout().write_all(text.as_bytes()) } else { std::fs::write(target, text) };
    written.map_err(|e| BuildError::io(std::path::Path::new(target), &e, what))
}

/// A progress bar on a terminal; one line per stage otherwise (with `--verbose`, or when stderr
/// is not a terminal so CI logs show where time goes); nothing with `--quiet`.
pub struct Bar {
    bar: Option<ProgressBar>,
    lines: bool,
}

impl Bar {
    pub fn new(ui: &Ui) -> Self {
        let tty = std::io::stderr().is_terminal();
        let bar = (tty && !ui.quiet).then(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            b.set_style(ProgressStyle::with_template("{spinner} {prefix:<12} {wide_bar} {pos}/{len}").expect("valid template"));
            b.enable_steady_tick(Duration::from_millis(100));
            b
        });
        Bar { bar, lines: !ui.quiet && (!tty || ui.verbose) }
    }

    pub fn clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl kiln::Progress for Bar {
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

/// Progress of a publish: a bar with bytes per second on a terminal, a line per phase otherwise.
pub struct PublishBar {
    bar: Option<ProgressBar>,
    lines: bool,
}

impl PublishBar {
    pub fn new(ui: &Ui) -> Self {
        let tty = std::io::stderr().is_terminal() && !ui.quiet;
        let bar = tty.then(|| {
            let b = ProgressBar::new(1);
            let style = ProgressStyle::with_template("{msg:24} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}").expect("a valid template");
            b.set_style(style.progress_chars("=> "));
            b
        });
        PublishBar { bar, lines: !tty && !ui.quiet }
    }

    pub fn clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl kiln::PublishProgress for PublishBar {
    fn phase(&self, phase: &str, files: usize, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(bytes.max(1));
            bar.set_position(0);
            bar.set_message(format!("{phase}: {files} files"));
        } else if self.lines {
            eprintln!("kiln: {phase}: {files} files, {}", kiln::parts::kb(bytes));
        }
    }
    fn uploaded(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }
}
