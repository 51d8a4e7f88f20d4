//! What every stage hands back besides its data: the warnings it found and the time its
//! steps took. One timing helper serves the pipeline (per stage) and the stages (per step).

use std::time::{Duration, Instant};

use crate::diagnostics::Diagnostics;

/// Time per named stage or step, in the order they first ran, for `--timings`.
#[derive(Debug, Default, Clone)]
pub struct Timings(pub Vec<(&'static str, Duration)>);

impl Timings {
    /// Runs `f`, adding the time it took to `name`.
    pub fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = f();
        self.add(name, started.elapsed());
        out
    }

    /// Adds `elapsed` to `name` (a step run once per bundle set adds up).
    pub fn add(&mut self, name: &'static str, elapsed: Duration) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 += elapsed,
            None => self.0.push((name, elapsed)),
        }
    }

    pub fn extend(&mut self, other: Timings) {
        for (name, elapsed) in other.0 {
            self.add(name, elapsed);
        }
    }
}

/// The warnings and step timings a stage's output carries (errors end the build instead).
#[derive(Debug, Default)]
pub struct StageLog {
    pub warnings: Diagnostics,
    pub steps: Timings,
    /// The stage had nothing to do (pruning when `css.prune` is off): not timed.
    pub skipped: bool,
}

impl StageLog {
    pub fn warnings(warnings: Diagnostics) -> Self {
        StageLog { warnings, ..StageLog::default() }
    }
}

/// A stage's output: its log is taken by the pipeline, its data handed to the next stage.
pub trait StageOutput {
    fn log(&mut self) -> &mut StageLog;
}

/// Implements [`StageOutput`] for output types that keep their log in a `log` field.
macro_rules! stage_output {
    ($($output:ty),+) => {
        $(impl $crate::log::StageOutput for $output {
            fn log(&mut self) -> &mut $crate::log::StageLog {
                &mut self.log
            }
        })+
    };
}
pub(crate) use stage_output;
