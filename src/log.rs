//! What every stage hands back besides its data: the warnings it found and the time its
//! steps took. One timing helper serves the pipeline (per stage) and the stages (per step).

use std::time::{Duration, Instant};

use crate::diagnostics::Diagnostics;

/// Time per named stage or step, in the order they first ran, for `--timings`.
#[derive(Debug, Default, Clone)]
pub struct Timings(pub Vec<(&'static str, Span)>);

/// How long a stage or step took: wall-clock time, and the CPU time the whole process used
/// meanwhile (every thread's, so work another stage does at the same time counts too).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Span {
    pub wall: Duration,
    pub cpu: Duration,
}

/// A started measurement: [`Clock::stop`] gives the [`Span`] since [`Clock::start`].
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    started: Instant,
    cpu: Duration,
}

impl Clock {
    pub fn start() -> Self {
        Clock { started: Instant::now(), cpu: process_cpu() }
    }

    pub fn stop(&self) -> Span {
        Span { wall: self.started.elapsed(), cpu: process_cpu().saturating_sub(self.cpu) }
    }
}

/// User plus system CPU time of the whole process so far (zero where it cannot be read).
fn process_cpu() -> Duration {
    #[cfg(target_os = "linux")]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage fills the struct it is handed; RUSAGE_SELF is always valid.
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } == 0 {
            // SAFETY: initialised by the successful call (and zeroed before it).
            let u = unsafe { usage.assume_init() };
            let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
            return tv(u.ru_utime) + tv(u.ru_stime);
        }
    }
    Duration::ZERO
}

impl Timings {
    /// Runs `f`, adding the time it took to `name`.
    pub fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let clock = Clock::start();
        let out = f();
        self.add(name, clock.stop());
        out
    }

    /// Adds `span` to `name` (a step run once per bundle set adds up).
    pub fn add(&mut self, name: &'static str, span: Span) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, slot)) => {
                slot.wall += span.wall;
                slot.cpu += span.cpu;
            }
            None => self.0.push((name, span)),
        }
    }

    pub fn extend(&mut self, other: Timings) {
        for (name, span) in other.0 {
            self.add(name, span);
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
