//! kiln.toml as written: every field optional, unknown keys rejected, values that can be
//! wrong in ways serde cannot see kept with their spans (for errors at the key's line:col).

use schemars::JsonSchema;
use serde::Deserialize;

use super::schema;
use toml::Spanned;

use crate::size::SizeValue as RawSize;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    /// Output folder (default "dist"); `--out` wins.
    #[schemars(with = "Option<String>")]
    pub(super) out_dir: Option<Spanned<String>>,
    /// Folder copied to the output's top level as it is (default "public"); "" for none.
    #[schemars(with = "Option<String>")]
    pub(super) public_dir: Option<Spanned<String>>,
    /// Globs of the pages to build (default ["**/*.html"]).
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) entries: Option<Vec<Spanned<String>>>,
    /// Globs left out of the entries and of the public copy.
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) exclude: Option<Vec<Spanned<String>>>,
    /// Prefix of rewritten URLs (default "/"); "./" for relative URLs, or a CDN origin like "https://cdn.example.com/".
    #[schemars(with = "Option<String>")]
    pub(super) base: Option<Spanned<String>>,
    /// Output names of hashed files: [dir], [name], [hash], [ext] (default "assets/[name].[hash].[ext]"); [hash] must be in the file name.
    #[schemars(with = "Option<String>")]
    pub(super) file_names: Option<Spanned<String>>,
    /// Characters of the content hash, 4 to 52 (default 8).
    #[schemars(with = "Option<usize>")]
    pub(super) hash_length: Option<Spanned<usize>>,
    /// integrity="sha384-…" on scripts and stylesheets (default false).
    pub(super) sri: Option<bool>,
    /// File name of the build manifest (default "manifest.json"), or false for none.
    #[schemars(with = "Option<ManifestSetting>")]
    pub(super) manifest: Option<Spanned<ManifestSetting>>,
    /// How a chunk's hash follows the chunks it imports: "hashes" or "importmap" (default: "importmap" when every browser of css.targets that runs module scripts has import maps and the entries are pages, else "hashes"; the build says which and why).
    #[schemars(with = "Option<schema::HashCascade>")]
    pub(super) hash_cascade: Option<Spanned<String>>,
    /// The build cache (default node_modules/.cache/kiln, or .kiln-cache without node_modules).
    #[schemars(with = "Option<String>")]
    pub(super) cache_dir: Option<Spanned<String>>,
    /// Size the build cache is trimmed to, least recently used first (default "1 GB").
    #[schemars(with = "Option<RawSize>")]
    pub(super) cache_max_size: Option<Spanned<RawSize>>,
    /// The remote build cache shared by CI runners through an S3-compatible bucket.
    pub(super) cache: Option<RawCache>,
    /// Image optimisation, variants and loading.
    pub(super) images: Option<RawImages>,
    /// `kiln publish`: where and how the output is uploaded.
    pub(super) publish: Option<RawPublish>,
    /// HTML pages.
    pub(super) html: Option<RawHtml>,
    /// Stylesheets.
    pub(super) css: Option<RawCss>,
    /// Scripts: bundling, minification, source maps, JSX.
    pub(super) js: Option<RawJs>,
    /// import.meta.env and .env files.
    pub(super) env: Option<RawEnv>,
    /// The gzip and Brotli twins.
    pub(super) compress: Option<RawCompress>,
    /// Compression-dictionary deltas (RFC 9842) for returning visitors.
    pub(super) delta: Option<RawDelta>,
    /// Write _headers (Cloudflare Pages, Netlify) with Early Hints and cache headers (default false).
    pub(super) headers_file: Option<bool>,
    /// The offline service worker (opt-in: the table's presence turns it on).
    pub(super) offline: Option<RawOffline>,
    /// What the secret checks let through.
    pub(super) secrets: Option<RawSecrets>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecrets {
    /// Output paths (globs) of files whose secret-looking name is meant to ship, and dotfiles to
    /// keep: ["certs/public.pem", ".htaccess"].
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) allow_files: Option<Vec<Spanned<String>>>,
    /// Fingerprints of secret-looking values meant to ship, as the build's error prints them:
    /// ["gcp-api-key:0123456789abcdef"].
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) allow: Option<Vec<Spanned<String>>>,
    /// Rules whose every value is meant to ship, by id: ["gcp-api-key"] for an app whose
    /// Firebase or Maps keys are browser keys restricted by referrer.
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) allow_rules: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCache {
    /// The bucket: "s3://bucket/prefix" (or KILN_CACHE_REMOTE; empty: off).
    #[schemars(with = "Option<String>")]
    pub(super) remote: Option<Spanned<String>>,
    /// An S3-compatible endpoint (default: [publish]'s).
    pub(super) endpoint: Option<String>,
    /// The region (default: [publish]'s, else the AWS chain).
    pub(super) region: Option<String>,
    /// Path-style bucket addressing (default: [publish]'s).
    pub(super) path_style: Option<bool>,
    /// Where this build writes, read first (KILN_CACHE_NAMESPACE wins).
    #[schemars(with = "Option<String>")]
    pub(super) namespace: Option<Spanned<String>>,
    /// Namespaces read, in order, when the own one misses.
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) fallback: Option<Vec<Spanned<String>>>,
    /// Read the remote cache but write nothing (also KILN_CACHE_READ_ONLY=1, --cache-read-only).
    pub(super) read_only: Option<bool>,
    /// Larger entries are not uploaded (default "256 MiB").
    #[schemars(with = "Option<RawSize>")]
    pub(super) max_entry_size: Option<Spanned<RawSize>>,
    /// Seconds a request may take before the remote is given up (default 10).
    #[schemars(with = "Option<u64>")]
    pub(super) timeout: Option<Spanned<u64>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOffline {
    /// false turns the service worker off (the table's presence turns it on).
    pub(super) enabled: Option<bool>,
    /// Page shown for a failed navigation offline.
    #[schemars(with = "Option<String>")]
    pub(super) fallback: Option<Spanned<String>>,
    /// How a new worker takes over: "immediate" (default) or "prompt".
    #[schemars(with = "Option<schema::OfflineUpdate>")]
    pub(super) update: Option<Spanned<String>>,
    /// Add the registration snippet to every page (default true).
    pub(super) register: Option<bool>,
    /// injectManifest: your own worker script, filled with the precache list.
    #[schemars(with = "Option<String>")]
    pub(super) worker: Option<Spanned<String>>,
    /// What is precached: "first-load" (default) or "all" (every hashed file, lazy chunks too).
    #[schemars(with = "Option<schema::Precache>")]
    pub(super) precache: Option<Spanned<String>>,
    /// Output globs never precached.
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) exclude: Option<Vec<Spanned<String>>>,
    /// A bigger precached file is an error (default "5 MB").
    #[schemars(with = "Option<RawSize>")]
    pub(super) max_file_size: Option<Spanned<RawSize>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEnv {
    /// The mode (default "production"): import.meta.env.MODE and which .env.[mode] files are read; --mode wins.
    #[schemars(with = "Option<String>")]
    pub(super) mode: Option<Spanned<String>>,
    /// Only variables with these prefixes are exposed (default ["VITE_", "KILN_"]).
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) prefixes: Option<Vec<Spanned<String>>>,
    /// Where the .env files are (default ".").
    #[schemars(with = "Option<String>")]
    pub(super) dir: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJs {
    /// Minify scripts (default true).
    pub(super) minify: Option<bool>,
    /// Source maps: false (default), true or "external", or "hidden" (no sourceMappingURL comment).
    #[schemars(with = "Option<SourceMapSetting>")]
    pub(super) sourcemap: Option<Spanned<SourceMapSetting>>,
    /// What scripts are lowered for: "esnext" (default), "es2015" … "es2024", or a browserslist query.
    #[schemars(with = "Option<String>")]
    pub(super) target: Option<Spanned<String>>,
    /// Global → JS expression replacing it, e.g. "import.meta.env.MODE" = '"production"'.
    pub(super) define: Option<std::collections::BTreeMap<String, String>>,
    /// package.json exports conditions (default ["browser", "import", "module", "production", "svelte", "default"]).
    pub(super) conditions: Option<Vec<String>>,
    /// Specifiers left as imports (e.g. an import map's).
    pub(super) external: Option<Vec<String>>,
    /// More file extensions an import from JS may name as an asset (its URL), beside images,
    /// fonts, media, wasm, pdf and txt: ["glb", "gltf"].
    pub(super) assets_include: Option<Vec<String>>,
    /// Lazy chunks for import(), shared chunks (default true).
    pub(super) splitting: Option<bool>,
    /// Merge smaller shared chunks where safe (bytes; default 0).
    pub(super) min_chunk_size: Option<u64>,
    /// Named chunks and what goes into them: { vendor = ["preact", "src/vendor/**"] }.
    #[schemars(with = "Option<std::collections::BTreeMap<String, Vec<String>>>")]
    pub(super) manual_chunks: Option<std::collections::BTreeMap<String, Vec<Spanned<String>>>>,
    /// Specifier (or prefix up to a "/") → a path in ROOT (starting with ./) or a package name.
    #[schemars(with = "Option<std::collections::BTreeMap<String, String>>")]
    pub(super) alias: Option<std::collections::BTreeMap<String, Spanned<String>>>,
    /// JSX runtime for files no tsconfig.json/jsconfig.json covers: "automatic" (default) or "classic".
    #[schemars(with = "Option<schema::JsxRuntime>")]
    pub(super) jsx: Option<Spanned<String>>,
    /// Automatic runtime's import source (default "react"; "preact" for a Preact app).
    pub(super) jsx_import_source: Option<String>,
    /// Classic runtime's factory (default "React.createElement").
    pub(super) jsx_factory: Option<String>,
    /// Classic runtime's fragment (default "React.Fragment").
    pub(super) jsx_fragment: Option<String>,
    /// Legal comments (/*! */, @license, @preserve) of the bundled code: "eof" (default: kept
    /// once each at the end of each chunk), "linked" (in a .LEGAL.txt file the chunk's last
    /// comment names) or "none".
    #[schemars(with = "Option<schema::LegalComments>")]
    pub(super) legal_comments: Option<Spanned<String>>,
    /// Write a list of the bundled packages with their licences and licence texts to this
    /// path in the output folder: "licenses.md" (Markdown) or a ".json" file. Unset: none.
    #[schemars(with = "Option<String>")]
    pub(super) license_file: Option<Spanned<String>>,
    /// Transform plugins: files matching `files` go through a Node module's
    /// `transform(code, id)` (Rollup's and Vite's hook), which returns JS, or CSS with
    /// output = "css". [[js.transform]] files = ["**/*.yaml"] module = "./plugins/yaml.mjs".
    pub(super) transform: Option<Vec<RawTransform>>,
}

/// One `[[js.transform]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTransform {
    /// Globs of the root-relative paths of the files it transforms.
    #[schemars(with = "Option<Vec<String>>")]
    #[serde(default)]
    pub(super) files: Vec<Spanned<String>>,
    /// Vue custom blocks it takes (["i18n", "docs"]): it gets the block's text and an id like
    /// "/abs/App.vue?vue&type=i18n&index=0&lang.json", and returns a module whose default
    /// export, a function, the component calls with itself.
    pub(super) blocks: Option<Vec<String>>,
    /// The Node module (a path from the project root, starting with ./) exporting
    /// `transform(code, id)`; it may be async and return a string, `{ code, map }`, or null to
    /// leave the file alone.
    #[schemars(with = "String")]
    pub(super) module: Spanned<String>,
    /// What it returns: "js" (default) or "css" (a stylesheet, joined into the chunk's CSS).
    #[schemars(with = "Option<schema::TransformOutput>")]
    pub(super) output: Option<Spanned<String>>,
}

/// Image settings a rule may override.
#[derive(Debug, Default, Deserialize, JsonSchema, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImageRule {
    /// Glob of the images this rule covers (first match wins).
    #[schemars(with = "Option<String>")]
    pub(super) files: Option<Spanned<String>>,
    /// Copy these images byte-identical.
    pub(super) skip: Option<bool>,
    /// oxipng preset, 0 to 6.
    #[schemars(with = "Option<u8>")]
    pub(super) png_level: Option<Spanned<u8>>,
    /// Metadata removed: "safe", "all" (also colour profiles) or "none".
    #[schemars(with = "Option<schema::Strip>")]
    pub(super) strip: Option<Spanned<String>>,
    /// Lossy JPEG re-encoding at this quality (unset: lossless only).
    #[schemars(with = "Option<u8>")]
    pub(super) jpeg_quality: Option<Spanned<u8>>,
    /// Quality of WebP/AVIF and resized JPEG variants.
    #[schemars(with = "Option<u8>")]
    pub(super) quality: Option<Spanned<u8>>,
    /// <picture> variants: "avif", "webp".
    #[schemars(with = "Option<Vec<schema::ImageFormat>>")]
    pub(super) formats: Option<Vec<Spanned<String>>>,
    /// srcset variants, in pixels.
    #[schemars(with = "Option<Vec<u32>>")]
    pub(super) widths: Option<Vec<Spanned<u32>>>,
    /// "minify" or "keep".
    #[schemars(with = "Option<schema::Svg>")]
    pub(super) svg: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImages {
    /// Copy images byte-identical.
    pub(super) skip: Option<bool>,
    /// oxipng preset, 0 to 6 (default 2).
    #[schemars(with = "Option<u8>")]
    pub(super) png_level: Option<Spanned<u8>>,
    /// Metadata removed: "safe" (default), "all" (also colour profiles) or "none".
    #[schemars(with = "Option<schema::Strip>")]
    pub(super) strip: Option<Spanned<String>>,
    /// Lossy JPEG re-encoding at this quality (unset, the default: lossless only).
    #[schemars(with = "Option<u8>")]
    pub(super) jpeg_quality: Option<Spanned<u8>>,
    /// Quality of WebP/AVIF and resized JPEG variants (default 75).
    #[schemars(with = "Option<u8>")]
    pub(super) quality: Option<Spanned<u8>>,
    /// <picture> variants: "avif", "webp" (default none).
    #[schemars(with = "Option<Vec<schema::ImageFormat>>")]
    pub(super) formats: Option<Vec<Spanned<String>>>,
    /// srcset variants, in pixels (default none).
    #[schemars(with = "Option<Vec<u32>>")]
    pub(super) widths: Option<Vec<Spanned<u32>>>,
    /// "minify" (default) or "keep".
    #[schemars(with = "Option<schema::Svg>")]
    pub(super) svg: Option<Spanned<String>>,
    /// The sizes attribute written when an <img> has none (default "100vw").
    pub(super) sizes: Option<String>,
    /// A damaged image: "error" (default) or "copy" (a warning, the file as it is).
    #[schemars(with = "Option<schema::OnBadImage>")]
    pub(super) on_bad_image: Option<Spanned<String>>,
    /// Larger images are refused from their header (default 100000000).
    pub(super) max_pixels: Option<u64>,
    /// loading="lazy" decoding="async" after the first `eager` images of a page (default true).
    pub(super) lazy: Option<bool>,
    /// width/height on every local <img> (default false).
    pub(super) dimensions: Option<bool>,
    /// Images of a page loaded eagerly (default 2).
    pub(super) eager: Option<u32>,
    /// fetchpriority="high" on the first large image (default true).
    pub(super) priority: Option<bool>,
    /// Settings by glob, first match wins.
    pub(super) rules: Option<Vec<RawImageRule>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPublish {
    /// The bucket (or --to s3://BUCKET/PREFIX).
    pub(super) bucket: Option<String>,
    /// Keys go under this prefix; nothing outside it is ever touched.
    pub(super) prefix: Option<String>,
    /// The region (else the AWS chain); "auto" for R2.
    pub(super) region: Option<String>,
    /// An S3-compatible endpoint (https://…); or --endpoint.
    pub(super) endpoint: Option<String>,
    /// Path-style addressing (default: true when an endpoint is set).
    pub(super) path_style: Option<bool>,
    /// "when_required" (default with an endpoint) or "when_supported" (the SDK's default, on AWS).
    #[schemars(with = "Option<schema::Checksum>")]
    pub(super) checksum: Option<Spanned<String>>,
    /// How twins are stored: "siblings" (default), "brotli-in-place", "gzip-in-place" or "none".
    #[schemars(with = "Option<schema::PublishEncoding>")]
    pub(super) encoding: Option<Spanned<String>>,
    /// Distinct deploys whose files stay (default 3).
    #[schemars(with = "Option<usize>")]
    pub(super) retain: Option<Spanned<usize>>,
    /// And none goes before it has been replaced this long (default 0).
    pub(super) keep_days: Option<u64>,
    /// More deletions than this: none are done (default 256).
    pub(super) max_deletes: Option<usize>,
    /// Requests in flight (default 16).
    #[schemars(with = "Option<usize>")]
    pub(super) concurrency: Option<Spanned<usize>>,
    /// Larger files go up in parts, streamed from disk (default "16 MB").
    #[schemars(with = "Option<RawSize>")]
    pub(super) multipart_threshold: Option<Spanned<RawSize>>,
    /// Header rules by glob, first match wins, over the defaults.
    pub(super) headers: Option<Vec<RawPublishHeaders>>,
    /// Invalidate changed pages in this CloudFront distribution.
    pub(super) cloudfront_distribution: Option<String>,
    /// Purge changed pages in this Cloudflare zone (token: CLOUDFLARE_API_TOKEN).
    #[schemars(with = "Option<String>")]
    pub(super) cloudflare_zone: Option<Spanned<String>>,
    /// Where the pages are served: purged URLs start with it.
    #[schemars(with = "Option<String>")]
    pub(super) site_url: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPublishHeaders {
    /// Glob of the output files this rule covers.
    #[schemars(with = "String")]
    pub(super) files: Spanned<String>,
    /// Their Cache-Control.
    pub(super) cache_control: Option<String>,
    /// Other headers: Content-Disposition, Content-Language, Expires, x-amz-meta-*.
    #[schemars(with = "Option<std::collections::BTreeMap<String, String>>")]
    pub(super) headers: Option<std::collections::BTreeMap<String, Spanned<String>>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(super) enum SourceMapSetting {
    Enabled(bool),
    Mode(String),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(super) enum ManifestSetting {
    Enabled(bool),
    Name(String),
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHtml {
    /// Minify pages (default true).
    pub(super) minify: Option<bool>,
    /// Font preloads a page may get (default 2; 0 for none).
    pub(super) preload_fonts: Option<usize>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCss {
    /// A browserslist query: what CSS is lowered for (default "defaults").
    #[schemars(with = "Option<String>")]
    pub(super) targets: Option<Spanned<String>>,
    /// Minify stylesheets (default true).
    pub(super) minify: Option<bool>,
    /// Drop rules no page can use (default false).
    pub(super) prune: Option<bool>,
    /// Names (globs) pruning always keeps, e.g. ["is-*"].
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) safelist: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCompress {
    /// Write .gz twins (default true).
    pub(super) gzip: Option<bool>,
    /// Write .br twins (default true).
    pub(super) brotli: Option<bool>,
    /// 1 to 9 (default 9).
    #[schemars(with = "Option<u32>")]
    pub(super) gzip_level: Option<Spanned<u32>>,
    /// gzip twins with zopfli: about 5% smaller, much slower (default false).
    pub(super) zopfli: Option<bool>,
    /// 0 to 11 (default 11).
    #[schemars(with = "Option<u32>")]
    pub(super) brotli_quality: Option<Spanned<u32>>,
    /// lgwin, 10 to 24 (default 24, the largest browsers accept).
    #[schemars(with = "Option<u32>")]
    pub(super) brotli_window: Option<Spanned<u32>>,
    /// Smaller files (bytes) get no twins (default 1024).
    pub(super) min_size: Option<u64>,
    /// MIME types (text/* style globs) that get twins.
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) types: Option<Vec<Spanned<String>>>,
    /// Twins for .map files too (default false).
    pub(super) source_maps: Option<bool>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDelta {
    /// Offer hashed scripts, stylesheets and WebAssembly as dictionaries and make deltas against earlier versions (default true; off with --no-compress).
    pub(super) enabled: Option<bool>,
    /// Earlier versions of a file that get a delta, newest first, 1 to 20 (default 3).
    #[schemars(with = "Option<usize>")]
    pub(super) versions: Option<Spanned<usize>>,
    /// Delta encodings to make, in order of preference (default ["dcb", "dcz"]).
    #[schemars(with = "Option<Vec<schema::DeltaEncoding>>")]
    pub(super) encodings: Option<Vec<Spanned<String>>>,
}
