//! The remote build cache: the same entries as the local cache, on S3-compatible storage, so
//! a CI runner that starts empty takes what another runner already built.
//!
//! - An entry is stored at `PREFIX/NAMESPACE/HEX-KEY`, signed (see [`super::sign`]), and
//!   written only if absent (`If-None-Match: *`): entries are content-addressed, so one never
//!   needs replacing, except one that failed its signature, which the next writer replaces
//!   with the entry it built and signed itself.
//! - A build reads its own namespace first, then the fallback ones (`main`): a pull request's
//!   job writes to its own namespace and reads `main`'s, and `main` never reads the pull
//!   request's.
//! - A read-only build (or one holding only a public key) writes nothing.
//! - The remote is an accelerator, never a dependency: the first request that fails (cannot
//!   connect, times out, a server error) turns it off for the rest of the build, with one
//!   warning, and the build goes on locally. An entry that fails its signature is counted,
//!   warned about, and rebuilt.
//! - Uploads run in the background while the build goes on; the build waits for them (at
//!   most the timeout) after writing its output.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

use super::sign::Keys;
use super::{RemoteStats, RemoteStore};
use crate::config::RemoteCacheOptions;
use crate::s3::{self, Target};

pub struct Remote {
    runtime: tokio::runtime::Runtime,
    client: Client,
    options: RemoteCacheOptions,
    keys: Keys,
    uploads: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Keys uploaded in this build (each once), and keys whose stored entry was rejected
    /// (replaced unconditionally by this build's, which it signed itself).
    put: Mutex<rustc_hash::FxHashSet<[u8; 32]>>,
    rejected: Mutex<rustc_hash::FxHashSet<[u8; 32]>>,
    /// The keys each namespace read holds, listed once, on the first lookup (`None`: the
    /// bucket may not be listed, so every lookup asks).
    known: std::sync::OnceLock<Option<Vec<rustc_hash::FxHashSet<[u8; 32]>>>>,
    state: Arc<State>,
}

/// What uploads running in the background share with the build.
#[derive(Default)]
struct State {
    target: Option<Target>,
    url: String,
    down: AtomicBool,
    warnings: Mutex<Vec<String>>,
    hits: AtomicU64,
    bytes_read: AtomicU64,
    misses: AtomicU64,
    written: AtomicU64,
    bytes_written: AtomicU64,
    rejected: AtomicU64,
    requests: AtomicU64,
}

impl State {
    fn warn(&self, message: String) {
        let mut w = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
        if !w.contains(&message) {
            w.push(message);
        }
    }

    /// Turns the remote off for the rest of the build, saying why once.
    fn give_up(&self, why: String) {
        // The S3 messages are publishing's; here the setting is the cache's.
        let why = why.replace("publish.endpoint", "cache.endpoint");
        if !self.down.swap(true, Ordering::Relaxed) {
            self.warn(format!("remote cache {}: {why}; building without it", self.url));
        }
    }

    fn target(&self) -> &Target {
        self.target.as_ref().expect("set when the remote is made")
    }
}

enum Fetched {
    Found(Vec<u8>),
    Absent,
    Failed(String),
}

impl RemoteStore for Remote {
    fn stats(&self) -> RemoteStats {
        let s = &self.state;
        RemoteStats {
            hits: s.hits.load(Ordering::Relaxed),
            bytes_read: s.bytes_read.load(Ordering::Relaxed),
            misses: s.misses.load(Ordering::Relaxed),
            written: s.written.load(Ordering::Relaxed),
            bytes_written: s.bytes_written.load(Ordering::Relaxed),
            rejected: s.rejected.load(Ordering::Relaxed),
            requests: s.requests.load(Ordering::Relaxed),
            failed: s.down.load(Ordering::Relaxed),
            read_only: !self.writable(),
        }
    }

    /// The payload stored under `key` in this build's namespace or a fallback one, if signed
    /// with this build's key.
    fn get(&self, key: &[u8; 32]) -> Option<Vec<u8>> {
        let state = &self.state;
        if state.down.load(Ordering::Relaxed) {
            return None;
        }
        let known = self.known.get_or_init(|| self.list());
        for (n, namespace) in std::iter::once(&self.options.namespace).chain(&self.options.fallback).enumerate() {
            if known.as_ref().is_some_and(|k| !k[n].contains(key)) {
                continue;
            }
            let object = self.object(namespace, key);
            match self.fetch(&object) {
                Fetched::Found(stored) => match self.keys.open(namespace, key, &stored) {
                    Some(payload) => {
                        state.hits.fetch_add(1, Ordering::Relaxed);
                        state.bytes_read.fetch_add(stored.len() as u64, Ordering::Relaxed);
                        return Some(payload.to_vec());
                    }
                    None => {
                        state.rejected.fetch_add(1, Ordering::Relaxed);
                        if *namespace == self.options.namespace {
                            self.rejected.lock().unwrap_or_else(|e| e.into_inner()).insert(*key);
                        }
                        state.warn(format!(
                            "remote cache {}: {object} is not signed with this build's key (tampered with, or written with another key): not used, rebuilt",
                            self.options.url
                        ));
                    }
                },
                Fetched::Absent => {}
                Fetched::Failed(why) => {
                    state.give_up(why);
                    return None;
                }
            }
        }
        state.misses.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Uploads `payload` under `key` in this build's namespace, in the background, unless the
    /// build may not write, the entry is too large, or the remote is off.
    fn put(&self, key: &[u8; 32], payload: &[u8]) {
        self.put_with(key, payload, false);
    }

    /// Uploads `payload` under `key` whether or not an entry is there: for the one entry a
    /// step keeps under a fixed name (the JS stage's pack of modules), which each build that
    /// changed something replaces in its own namespace.
    fn replace(&self, key: &[u8; 32], payload: &[u8]) {
        self.put_with(key, payload, true);
    }

    /// Waits for the uploads still running (each has the timeout), and returns the warnings.
    fn finish(&self) -> Vec<String> {
        let uploads = std::mem::take(&mut *self.uploads.lock().unwrap_or_else(|e| e.into_inner()));
        self.runtime.block_on(async {
            for u in uploads {
                let _ = u.await;
            }
        });
        std::mem::take(&mut *self.state.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Remote {
    /// The remote cache's client, on I/O threads of its own (the error is theirs failing to start).
    pub fn new(options: RemoteCacheOptions, keys: Keys) -> std::io::Result<Remote> {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("kiln-remote-cache").enable_all().build()?;
        let target = Target {
            bucket: options.bucket.clone(),
            prefix: options.prefix.clone(),
            region: options.region.clone(),
            endpoint: options.endpoint.clone(),
            path_style: options.path_style,
            checksum_when_required: options.checksum_when_required,
            profile: None,
        };
        let client = runtime.block_on(s3::client_with(&target, 2, Duration::from_secs(2), options.timeout));
        let state = Arc::new(State { target: Some(target), url: options.url.clone(), ..State::default() });
        Ok(Remote {
            runtime,
            client,
            options,
            keys,
            uploads: Mutex::default(),
            put: Mutex::default(),
            rejected: Mutex::default(),
            known: std::sync::OnceLock::new(),
            state,
        })
    }

    fn writable(&self) -> bool {
        !self.options.read_only && self.keys.can_sign()
    }

    fn object(&self, namespace: &str, key: &[u8; 32]) -> String {
        format!("{}{namespace}/{}", self.options.prefix, blake3::Hash::from(*key).to_hex())
    }

    /// The keys of every namespace this build reads, listed 16 prefixes at a time, so a key
    /// no namespace holds costs no request: without it, each local miss (hundreds of small
    /// twins, say) would wait for one or two answers of "absent". `None` when the bucket may
    /// not be listed (lookups then ask each time).
    fn list(&self) -> Option<Vec<rustc_hash::FxHashSet<[u8; 32]>>> {
        let namespaces: Vec<&String> = std::iter::once(&self.options.namespace).chain(&self.options.fallback).collect();
        let timeout = self.options.timeout;
        let listed = self.runtime.block_on(async {
            let mut tasks = Vec::new();
            for (n, ns) in namespaces.iter().enumerate() {
                for digit in "0123456789abcdef".chars() {
                    let (client, bucket, state) = (self.client.clone(), self.options.bucket.clone(), Arc::clone(&self.state));
                    let prefix = format!("{}{ns}/{digit}", self.options.prefix);
                    let cut = prefix.len() - 1;
                    tasks.push(tokio::spawn(async move {
                        let mut keys = Vec::new();
                        let mut pages = client.list_objects_v2().bucket(bucket).prefix(&prefix).into_paginator().send();
                        loop {
                            match tokio::time::timeout(timeout, pages.next()).await {
                                Err(_) => return Err((false, format!("listing {prefix} took over {}s", timeout.as_secs()))),
                                Ok(None) => return Ok((n, keys)),
                                Ok(Some(Err(e))) => {
                                    let denied = matches!(e.code(), Some("AccessDenied" | "Forbidden"));
                                    return Err((denied, s3::explain_message(&format!("listing {prefix}"), state.target(), &e)));
                                }
                                Ok(Some(Ok(page))) => {
                                    keys.extend(page.contents().iter().filter_map(|o| blake3::Hash::from_hex(o.key()?.get(cut..)?).ok()).map(|h| *h.as_bytes()))
                                }
                            }
                        }
                    }));
                }
            }
            let mut sets = vec![rustc_hash::FxHashSet::default(); namespaces.len()];
            for t in tasks {
                match t.await {
                    Ok(Ok((n, keys))) => sets[n].extend(keys),
                    Ok(Err(e)) => return Err(e),
                    Err(e) => return Err((false, e.to_string())),
                }
            }
            Ok(sets)
        });
        match listed {
            Ok(sets) => Some(sets),
            Err((true, _)) => None,
            Err((false, why)) => {
                self.state.give_up(why);
                Some(vec![rustc_hash::FxHashSet::default(); namespaces.len()])
            }
        }
    }

    fn fetch(&self, object: &str) -> Fetched {
        self.state.requests.fetch_add(1, Ordering::Relaxed);
        let request = self.client.get_object().bucket(&self.options.bucket).key(object).send();
        let timeout = self.options.timeout;
        self.runtime.block_on(async {
            match tokio::time::timeout(timeout, request).await {
                Err(_) => Fetched::Failed(format!("reading {object} took over {}s", timeout.as_secs())),
                Ok(Ok(out)) => match tokio::time::timeout(timeout, out.body.collect()).await {
                    Ok(Ok(body)) => Fetched::Found(body.into_bytes().to_vec()),
                    Ok(Err(e)) => Fetched::Failed(format!("reading {object}: {e}")),
                    Err(_) => Fetched::Failed(format!("reading {object} took over {}s", timeout.as_secs())),
                },
                Ok(Err(e)) if is_absent(&e) => Fetched::Absent,
                Ok(Err(e)) => Fetched::Failed(s3::explain_message(&format!("reading {object}"), self.state.target(), &e)),
            }
        })
    }

    fn put_with(&self, key: &[u8; 32], payload: &[u8], replace: bool) {
        if !self.writable() || self.state.down.load(Ordering::Relaxed) || payload.len() as u64 > self.options.max_entry_size {
            return;
        }
        if !self.put.lock().unwrap_or_else(|e| e.into_inner()).insert(*key) {
            return;
        }
        let replace = replace || self.rejected.lock().unwrap_or_else(|e| e.into_inner()).contains(key);
        let namespace = &self.options.namespace;
        let Some(sealed) = self.keys.seal(namespace, key, payload) else { return };
        let object = self.object(namespace, key);
        let len = sealed.len() as u64;
        let request = self
            .client
            .put_object()
            .bucket(&self.options.bucket)
            .key(&object)
            .set_if_none_match((!replace).then(|| "*".to_owned()))
            .content_type("application/octet-stream")
            .body(ByteStream::from(sealed))
            .send();
        let timeout = self.options.timeout;
        let state = Arc::clone(&self.state);
        let upload = self.runtime.spawn(async move {
            match tokio::time::timeout(timeout, request).await {
                Ok(Ok(_)) => {
                    state.written.fetch_add(1, Ordering::Relaxed);
                    state.bytes_written.fetch_add(len, Ordering::Relaxed);
                }
                // Already there: another runner stored the same entry first.
                Ok(Err(e)) if matches!(e.code(), Some("PreconditionFailed" | "ConditionalRequestConflict")) => {}
                Ok(Err(e)) => state.give_up(s3::explain_message(&format!("writing {object}"), state.target(), &e)),
                Err(_) => state.give_up(format!("writing {object} took over {}s", timeout.as_secs())),
            }
        });
        self.uploads.lock().unwrap_or_else(|e| e.into_inner()).push(upload);
    }
}

fn is_absent<E: ProvideErrorMetadata>(e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> bool {
    matches!(e.code(), Some("NoSuchKey" | "NotFound")) || e.raw_response().is_some_and(|r| r.status().as_u16() == 404)
}
