//! Long-lived `node` processes running `host.mjs`, talked to over stdio (one JSON request per
//! line, one answer per line). Started on the first request, one per thread that asks at once,
//! kept until the pool is dropped (closing their standard input ends them).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use serde_json::Value;

/// The glue script, shipped inside kiln.
const SCRIPT: &str = include_str!("host.mjs");

/// Why the Node host could not answer.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("kiln compiles this file with the project's own compiler, in Node.js, and cannot start `{node}`: {error} (install Node.js 20 or later, or set KILN_NODE to its binary)")]
    NoNode { node: String, error: std::io::Error },
    #[error("cannot write the Node host script to {}: {error}", path.display())]
    Script { path: PathBuf, error: std::io::Error },
    #[error("the Node host stopped answering ({0}); its messages are above")]
    Broken(String),
}

struct Process {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next: u64,
}

impl Process {
    fn ask(&mut self, request: &Value) -> Result<Value, HostError> {
        let id = self.next;
        self.next += 1;
        let mut request = request.clone();
        request["id"] = Value::from(id);
        writeln!(self.stdin, "{request}").map_err(|e| HostError::Broken(e.to_string()))?;
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => return Err(HostError::Broken("it exited".into())),
            Err(e) => return Err(HostError::Broken(e.to_string())),
            Ok(_) => {}
        }
        let answer: Value = serde_json::from_str(&line).map_err(|e| HostError::Broken(format!("an answer that is not JSON: {e}")))?;
        if answer["id"] != id {
            return Err(HostError::Broken(format!("an answer to request {} for request {id}", answer["id"])));
        }
        Ok(answer)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The pool of Node hosts.
pub struct Hosts {
    node: String,
    idle: Mutex<Vec<Process>>,
    script: std::sync::OnceLock<PathBuf>,
}

impl Hosts {
    /// `node`: the binary to run (`KILN_NODE`, else `node` on PATH).
    pub fn new(node: String) -> Hosts {
        Hosts { node, idle: Mutex::new(Vec::new()), script: std::sync::OnceLock::new() }
    }

    /// The answer to `request` from an idle host, or a new one.
    pub fn ask(&self, request: &Value) -> Result<Value, HostError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut process = match idle {
            Some(p) => p,
            None => self.start()?,
        };
        let answer = process.ask(request)?;
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(process);
        Ok(answer)
    }

    fn start(&self) -> Result<Process, HostError> {
        let script = match self.script.get() {
            Some(p) => p.clone(),
            None => {
                let p = write_script()?;
                self.script.get_or_init(|| p).clone()
            }
        };
        let mut child = Command::new(&self.node)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| HostError::NoNode { node: self.node.clone(), error })?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Process { child, stdin, stdout, next: 1 })
    }
}

/// The script in the temporary folder, named by its hash (written once per kiln version).
fn write_script() -> Result<PathBuf, HostError> {
    let name = format!("kiln-node-host-{}.mjs", &blake3::hash(SCRIPT.as_bytes()).to_hex()[..16]);
    let path = std::env::temp_dir().join(name);
    if std::fs::read(&path).is_ok_and(|b| b == SCRIPT.as_bytes()) {
        return Ok(path);
    }
    let partial = path.with_extension(format!("{}.partial", std::process::id()));
    let written = std::fs::write(&partial, SCRIPT).and_then(|()| std::fs::rename(&partial, &path));
    written.map_err(|error| HostError::Script { path: path.clone(), error })?;
    Ok(path)
}

/// The bytes that stand for the host's behaviour in a cache key.
pub fn script_digest() -> [u8; 32] {
    *blake3::hash(SCRIPT.as_bytes()).as_bytes()
}
