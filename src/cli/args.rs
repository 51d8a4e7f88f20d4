//! Command-line definitions (clap derive), and how flags become the library's options.
//! Nothing here does work: `main` calls the library with what these make.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "kiln",
    version,
    about = "Build a frontend source tree into hashed, pre-compressed, CDN-ready files",
    after_help = "Examples:\n  kiln build                      build the site in the current folder into ./dist\n  kiln build site --out public    build ./site into ./public\n  kiln build --json report.json   also write the build report as JSON\n  kiln serve                      preview ./dist as the CDN will serve it\n\nExit codes: 0 success, 1 a check failed, 2 usage, config or input error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Read this config file instead of ROOT/kiln.toml
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print errors only
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: warnings in full and each stage as it ends
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to use colors
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build ROOT (default: the current folder) into its out_dir
    #[command(after_help = "Examples:\n  kiln build fixtures/site\n  kiln build site --out /tmp/out --jobs 1 --timings\n  kiln build --json - > report.json")]
    Build(BuildArgs),
    /// Check an existing output against budgets.toml without rebuilding
    #[command(
        after_help = "Examples:\n  kiln check                          check ./dist against ./budgets.toml\n  kiln check site/dist --baseline main.json --strict"
    )]
    Check(CheckArgs),
    /// Serve a built output folder with the headers a CDN would send
    #[command(after_help = "Examples:\n  kiln serve                 serve the out_dir of ./kiln.toml (./dist)\n  kiln serve site/dist --port 8080")]
    Serve(ServeArgs),
    /// Upload a built output to an S3-compatible bucket (AWS S3, R2, MinIO, Garage…)
    #[command(
        after_help = "Examples:\n  kiln publish --to s3://my-site                 publish ./dist (the out_dir of ./kiln.toml)\n  kiln publish site/dist --to s3://bucket/www --dry-run\n  kiln publish --rollback                        point the live pages back at the previous deploy\n\nCredentials come from the AWS chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile, SSO, instance roles."
    )]
    Publish(PublishArgs),
    /// Measure each page in headless Chromium (FCP, LCP, CLS, TBT, bytes, unused code, errors)
    /// and check the [[lab]] rules of budgets.toml
    #[command(
        after_help = "Examples:\n  kiln lab                              ./dist, every page, 3 runs, mobile profile\n  kiln lab site/dist --pages 'blog/**' --runs 5 --profile desktop\n  kiln lab --json lab.json && kiln lab --baseline lab.json\n\nChromium comes from KILN_CHROME, else from PATH (chromium, google-chrome…)."
    )]
    Lab(LabArgs),
    /// Print the edge code that serves a published output as `kiln serve` does: compression-
    /// dictionary deltas, twins, Use-As-Dictionary (a CloudFront Function pair, a Cloudflare Worker)
    #[command(
        after_help = "Examples:\n  kiln edge cloudfront-request > request.js      after each deploy: its table lists the deltas of ./dist\n  kiln edge cloudfront-response > response.js\n  kiln edge cloudflare-worker > worker.js\n\nSetups: docs/deltas.md."
    )]
    Edge(EdgeArgs),
    /// Build, check budgets, then publish: nothing is published when the build or a budget fails
    #[command(after_help = "Examples:\n  kiln deploy --to s3://my-site\n  kiln deploy site --to s3://bucket/www --endpoint https://…")]
    Deploy(DeployArgs),
    /// The remote build cache: make a key pair to sign its entries
    #[command(subcommand, after_help = "Examples:\n  kiln cache keygen    print a new KILN_CACHE_SIGNING_KEY and its KILN_CACHE_PUBLIC_KEY")]
    Cache(CacheCommand),
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Print a new Ed25519 key pair for the remote cache: the signing key for trusted jobs
    /// (KILN_CACHE_SIGNING_KEY), the public key for read-only ones (KILN_CACHE_PUBLIC_KEY)
    Keygen,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub remote: Remote,
    /// Build and check, then print what would be uploaded and deleted; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Where `kiln publish` and `kiln deploy` upload to, and with which credentials.
#[derive(Debug, Clone, Args)]
pub struct Remote {
    /// Where to: s3://BUCKET[/PREFIX] (default: publish.bucket and publish.prefix of kiln.toml)
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// The AWS profile to take credentials and region from
    #[arg(long)]
    pub profile: Option<String>,
    /// An S3-compatible endpoint (https://…), instead of AWS's
    #[arg(long)]
    pub endpoint: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The output folder (default: the out_dir of the project in the current folder)
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub remote: Remote,
    /// Print what would be uploaded and deleted; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Point the live pages back at a retained deploy (default: the one before the live one)
    #[arg(long, value_name = "DEPLOY", num_args = 0..=1, default_missing_value = "")]
    pub rollback: Option<String>,
    /// Write the summary as JSON to FILE (`-`: standard output)
    #[arg(long, value_name = "FILE")]
    pub json: Option<String>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The project folder
    #[arg(default_value = ".")]
    pub root: PathBuf,
    /// Output folder (overrides out_dir; relative to the current folder)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: one per core)
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Do not write .gz and .br twins
    #[arg(long)]
    pub no_compress: bool,
    /// Print the time each stage took
    #[arg(long)]
    pub timings: bool,
    /// Also write the build report as JSON to FILE (`-` for standard output)
    #[arg(long, value_name = "FILE")]
    pub json: Option<String>,
    /// Bundle this script (relative to ROOT) instead of building the pages; repeatable
    #[arg(long, value_name = "FILE")]
    pub entry: Vec<String>,
    /// Do not minify JS
    #[arg(long)]
    pub no_minify: bool,
    /// The mode: `import.meta.env.MODE` and which `.env.[mode]` files are read (default: production)
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,
    /// Neither read nor write the build cache (optimised images, compressed twins)
    #[arg(long)]
    pub no_cache: bool,
    /// Read the remote cache ([cache] remote) but write nothing to it (also
    /// KILN_CACHE_READ_ONLY=1)
    #[arg(long)]
    pub cache_read_only: bool,
    /// Build, then build again on every change under ROOT until stopped (Ctrl-C); a failed
    /// build keeps the last good output
    #[arg(long, conflicts_with = "lab")]
    pub watch: bool,
    /// Write source maps: `external` (default when given) or `hidden` (no sourceMappingURL comment)
    #[arg(long, value_name = "MODE", value_enum, num_args = 0..=1, default_missing_value = "external")]
    pub sourcemap: Option<SourceMapArg>,
    /// Do not check budgets after the build
    #[arg(long)]
    pub no_budgets: bool,
    /// Write report.html (a treemap of the output) and meta.json (esbuild's metafile shape)
    /// into DIR (default: ROOT/.kiln)
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    pub analyze: Option<Option<PathBuf>>,
    /// After the build and its budgets, run `kiln lab` on the output ([[lab]] rules included)
    #[arg(long)]
    pub lab: bool,
    /// With --lab: write the lab results as JSON to FILE (`-` for standard output)
    #[arg(long, value_name = "FILE", requires = "lab")]
    pub lab_json: Option<String>,
    /// With --lab: only the pages this glob matches (see `kiln lab --pages`)
    #[arg(long, value_name = "GLOB", requires = "lab")]
    pub lab_pages: Option<String>,
    /// With --lab: loads of each page
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub lab_runs: u32,
    /// With --lab: `mobile` or `desktop`
    #[arg(long, value_name = "PROFILE", value_enum, default_value_t = LabProfileArg::Mobile)]
    pub lab_profile: LabProfileArg,
    /// With --lab: pages loading at once (see `kiln lab --concurrency`)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=16))]
    pub lab_concurrency: Option<u32>,
    #[command(flatten)]
    pub budgets: BudgetArgs,
}

/// How `kiln lab` loads the pages (`kiln build --lab` has the same flags, named `--lab-…`).
#[derive(Debug, Args)]
pub struct LabRunArgs {
    /// Only the pages (paths in the output, like `blog/**`) this glob matches
    #[arg(long, value_name = "GLOB")]
    pub pages: Option<String>,
    /// Loads of each page; medians are reported
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub runs: u32,
    /// Device and network: `mobile` (4× CPU slowdown, slow 4G, a phone screen) or `desktop`
    #[arg(long, value_name = "PROFILE", value_enum, default_value_t = LabProfileArg::Mobile)]
    pub profile: LabProfileArg,
    /// Pages loading at once, from navigation until settled [default: the number of cores, at most 2]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=16))]
    pub concurrency: Option<u32>,
}

#[derive(Debug, Args)]
pub struct LabArgs {
    /// The output folder (default: the out_dir of the project in the current folder)
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub run: LabRunArgs,
    /// Write the lab results as JSON to FILE (`-` for standard output); a later run can
    /// compare with it (--baseline)
    #[arg(long, value_name = "FILE")]
    pub json: Option<String>,
    /// Write report.html (with each page's metrics, filmstrip, LCP element and largest unused
    /// files) and meta.json into DIR (default: ROOT/.kiln)
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    pub analyze: Option<Option<PathBuf>>,
    #[command(flatten)]
    pub budgets: BudgetArgs,
}

/// How budgets are checked (by `build`, `check` and `lab`).
#[derive(Debug, Clone, Args)]
pub struct BudgetArgs {
    /// The budgets file (default: budgets.toml in ROOT, or in a folder above it up to the current one)
    #[arg(long, value_name = "FILE")]
    pub budgets: Option<PathBuf>,
    /// Compare with the JSON report of an earlier build (`kiln build --json FILE`)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 on warnings too
    #[arg(long)]
    pub strict: bool,
    /// How budget results are printed
    #[arg(long, value_enum, default_value_t = BudgetFormat::Table)]
    pub format: BudgetFormat,
    /// Also write the results as JUnit XML to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BudgetFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceMapArg {
    /// `x.js.map` beside each file, named in it.
    External,
    /// `x.js.map` beside each file, not named in it (for error trackers).
    Hidden,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LabProfileArg {
    /// A mid-range phone on a slow 4G network (Lighthouse's mobile defaults).
    Mobile,
    /// A desktop on a cable connection.
    Desktop,
}

impl LabProfileArg {
    pub fn profile(self) -> kiln::LabProfile {
        match self {
            LabProfileArg::Mobile => kiln::LabProfile::MOBILE,
            LabProfileArg::Desktop => kiln::LabProfile::DESKTOP,
        }
    }
}

impl Global {
    /// The overrides every command has: the config file and what the process says.
    pub fn overrides(&self, process: &kiln::Env) -> kiln::Overrides {
        kiln::Overrides { config_file: self.config.clone(), process: process.clone(), ..Default::default() }
    }
}

impl BuildArgs {
    pub fn overrides(&self, global: &Global, process: &kiln::Env) -> kiln::Overrides {
        kiln::Overrides {
            out_dir: self.out.clone(),
            jobs: self.jobs,
            no_compress: self.no_compress,
            entries: self.entry.clone(),
            no_minify: self.no_minify,
            no_cache: self.no_cache,
            cache_read_only: self.cache_read_only,
            mode: self.mode.clone(),
            sourcemap: self.sourcemap.map(|m| match m {
                SourceMapArg::External => kiln::SourceMapMode::External,
                SourceMapArg::Hidden => kiln::SourceMapMode::Hidden,
                SourceMapArg::None => kiln::SourceMapMode::None,
            }),
            ..global.overrides(process)
        }
    }
}

impl BudgetArgs {
    /// Which budgets to check; `required`: no budgets file is an error.
    pub fn options(&self, required: bool) -> kiln::BudgetOptions {
        kiln::BudgetOptions { file: self.budgets.clone(), baseline: self.baseline.clone(), required }
    }

    /// How to show the check (`show_empty`: a table even for a check of no rule).
    pub fn output(&self, quiet: bool, show_empty: bool) -> kiln::CheckOutput {
        let format = match self.format {
            BudgetFormat::Table => kiln::CheckFormat::Table,
            BudgetFormat::Json => kiln::CheckFormat::Json,
        };
        kiln::CheckOutput { format, quiet, strict: self.strict, junit: self.junit.clone(), show_empty }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The output folder (default: the out_dir of the project in the current folder)
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub budgets: BudgetArgs,
}

/// Which edge code `kiln edge` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EdgeTarget {
    /// CloudFront Function, viewer request: which delta, twin or file (lists the output's deltas)
    CloudfrontRequest,
    /// CloudFront Function, viewer response: Use-As-Dictionary and Vary
    CloudfrontResponse,
    /// Cloudflare Worker in front of the bucket: deltas, Use-As-Dictionary and Vary
    CloudflareWorker,
}

#[derive(Debug, Args)]
pub struct EdgeArgs {
    /// Which code
    #[arg(value_enum)]
    pub target: EdgeTarget,
    /// The built output it serves (default: the out_dir of the project in the current folder)
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The folder to serve (default: the out_dir of the project in the current folder)
    pub dir: Option<PathBuf>,
    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 4173)]
    pub port: u16,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Build the project in the current folder, serve its output, rebuild on every change and
    /// reload open pages (a failed build's errors show over the page)
    #[arg(long, conflicts_with = "dir")]
    pub watch: bool,
}

#[cfg(test)]
mod tests {
    /// clap's own checks of every command (unique flag names across flattened groups, among
    /// others), which otherwise only fail when that command is run.
    #[test]
    fn every_command_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
