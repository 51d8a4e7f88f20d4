//! A real S3-compatible server for the publish tests: Garage (`cargo install garage --locked`,
//! which `scripts/test` runs when it is missing), started on free loopback ports with a
//! temporary configuration, one node, a key and a bucket served as a website, so tests read
//! objects and their headers over HTTP as a CDN would.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BUCKET: &str = "site";
pub const REGION: &str = "garage";

pub fn garage_bin() -> PathBuf {
    let candidates = [
        std::env::var_os("GARAGE").map(PathBuf::from),
        std::env::var_os("CARGO_HOME").map(|h| PathBuf::from(h).join("bin/garage")),
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/garage")),
        Some(PathBuf::from("/usr/local/bin/garage")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file()).unwrap_or_else(|| {
        panic!("the publish tests need Garage, an S3-compatible server: run ./scripts/test, which installs it, or `cargo install garage --locked` (or set GARAGE to its path)")
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub struct Garage {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    config: PathBuf,
    pub s3_port: u16,
    pub web_port: u16,
    pub key_id: String,
    pub secret: String,
}

impl Drop for Garage {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Garage {
    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(garage_bin()).arg("-c").arg(&self.config).args(args).output().unwrap();
        assert!(out.status.success(), "garage {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.path().join("garage.log")).unwrap();
        let child = Command::new(garage_bin())
            .arg("-c")
            .arg(&self.config)
            .arg("server")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = Command::new(garage_bin()).arg("-c").arg(&self.config).arg("status").output().is_ok_and(|o| o.status.success());
            let s3_up = std::net::TcpStream::connect(("127.0.0.1", self.s3_port)).is_ok();
            if ok && s3_up {
                return;
            }
            assert!(Instant::now() < deadline, "Garage did not start: {}", std::fs::read_to_string(self.dir.path().join("garage.log")).unwrap_or_default());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A fresh server with a key and the `site` bucket, empty.
    pub fn start() -> Garage {
        let dir = tempfile::tempdir().unwrap();
        let (rpc, s3, web, admin) = (free_port(), free_port(), free_port(), free_port());
        let secret: String = blake3::hash(dir.path().to_string_lossy().as_bytes()).to_hex().to_string();
        let config = dir.path().join("garage.toml");
        let d = dir.path().display();
        std::fs::write(
            &config,
            format!(
                "metadata_dir = \"{d}/meta\"\ndata_dir = \"{d}/data\"\ndb_engine = \"sqlite\"\nreplication_factor = 1\n\
                 rpc_bind_addr = \"127.0.0.1:{rpc}\"\nrpc_public_addr = \"127.0.0.1:{rpc}\"\nrpc_secret = \"{secret}\"\n\n\
                 [s3_api]\ns3_region = \"{REGION}\"\napi_bind_addr = \"127.0.0.1:{s3}\"\nroot_domain = \".s3.garage.localhost\"\n\n\
                 [s3_web]\nbind_addr = \"127.0.0.1:{web}\"\nroot_domain = \".web.garage.localhost\"\nindex = \"index.html\"\n\n\
                 [admin]\napi_bind_addr = \"127.0.0.1:{admin}\"\nadmin_token = \"{secret}\"\n"
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut g = Garage { child: None, dir, config, s3_port: s3, web_port: web, key_id: String::new(), secret: String::new() };
        g.spawn();
        let status = g.cli(&["status"]);
        let node = status
            .lines()
            .skip_while(|l| !l.contains("HEALTHY NODES"))
            .skip(2)
            .find_map(|l| l.split_whitespace().next().map(str::to_owned))
            .unwrap_or_else(|| panic!("no node id in:\n{status}"));
        g.cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &node]);
        g.cli(&["layout", "apply", "--version", "1"]);
        let key = g.cli(&["key", "create", "kiln-test"]);
        let field = |name: &str| -> String {
            key.lines()
                .find(|l| l.trim_start().starts_with(name))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_owned())
                .unwrap_or_else(|| panic!("no {name} in:\n{key}"))
        };
        g.key_id = field("Key ID");
        g.secret = field("Secret key");
        g.cli(&["bucket", "create", BUCKET]);
        g.cli(&["bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", "kiln-test"]);
        g.cli(&["bucket", "website", "--allow", BUCKET]);
        g
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// `kiln publish` against this server with its key, and nothing from the user's AWS files.
    pub fn publish(&self) -> assert_cmd::Command {
        self.publish_with(&self.endpoint())
    }

    /// The same, against another endpoint.
    pub fn publish_with(&self, endpoint: &str) -> assert_cmd::Command {
        let mut cmd = crate::common::kiln();
        cmd.arg("publish").envs(self.env()).env_remove("AWS_PROFILE").env_remove("AWS_SESSION_TOKEN").args(["--endpoint", endpoint]);
        cmd
    }

    /// The environment a kiln process needs to reach this server with its key, and nothing
    /// from the user's AWS files.
    pub fn env(&self) -> Vec<(String, String)> {
        let path = |name: &str| self.dir.path().join(name).display().to_string();
        vec![
            ("AWS_ACCESS_KEY_ID".into(), self.key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY".into(), self.secret.clone()),
            ("AWS_REGION".into(), REGION.into()),
            ("AWS_CONFIG_FILE".into(), path("no-aws-config")),
            ("AWS_SHARED_CREDENTIALS_FILE".into(), path("no-aws-credentials")),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ]
    }

    /// Makes the bucket's website answer to the host `name` too (`localhost`: a client that
    /// cannot set the Host header reaches it as `http://localhost:PORT/`).
    pub fn alias(&self, name: &str) {
        self.cli(&["bucket", "alias", BUCKET, name]);
    }

    /// GET through the website endpoint, as a CDN would: (status, headers, body).
    pub fn get(&self, path: &str) -> (u16, BTreeMap<String, String>, Vec<u8>) {
        http_get(self.web_port, &format!("{BUCKET}.web.garage.localhost"), path)
    }
}

/// A minimal HTTP/1.1 GET (Connection: close), enough for status, headers and body.
pub fn http_get(port: u16, host: &str, path: &str) -> (u16, BTreeMap<String, String>, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /{} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n", path.trim_start_matches('/')).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers: BTreeMap<String, String> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())).collect();
    if headers.get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body);
    }
    (status, headers, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).split(';').next().unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
    out
}
