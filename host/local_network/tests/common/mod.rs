//! Running the `local-network` binary for tests and the benchmark: start it on a state
//! directory and a free port, wait until it listens, stop it with SIGTERM (it saves and exits),
//! and connect agents to it.

// Each test file and benchmark uses a part of this module.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ic_agent::identity::BasicIdentity;
use ic_agent::Agent;
pub use suite_client::calls::{query, update};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn wasm_dir() -> PathBuf {
    repo_root().join("target/canisters")
}

pub fn tools_dir() -> PathBuf {
    repo_root().join(".tools")
}

/// A fresh directory under the cargo target dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Server {
    child: Option<Child>,
    pub url: String,
    pub port: u16,
    pub state_dir: PathBuf,
    pub started_in: Duration,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts `local-network serve` and waits (up to 2 minutes) until it writes network.json.
    pub fn start(state_dir: &Path) -> Server {
        Self::start_on(state_dir, free_port())
    }

    pub fn start_on(state_dir: &Path, port: u16) -> Server {
        let info = state_dir.join("network.json");
        let _ = std::fs::remove_file(&info);
        let started = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_local-network"))
            .args(["serve", "--state-dir"])
            .arg(state_dir)
            .args(["--port", &port.to_string()])
            // Compiled modules shared by every test run (the server defaults to its state dir).
            .env(
                "IC_RUNTIME_MODULE_CACHE",
                PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("module-cache"),
            )
            .stdout(Stdio::null())
            .spawn()
            .expect("start local-network");
        let mut server = Server {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            port,
            state_dir: state_dir.to_path_buf(),
            started_in: Duration::ZERO,
        };
        while !info.exists() {
            if let Some(status) = server.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("local-network exited early: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "local-network did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server.started_in = started.elapsed();
        server
    }

    /// SIGTERM, then waits for a clean exit (the server saves its state first).
    pub fn stop(mut self) {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "local-network exited with {status}");
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "local-network did not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// CPU time (user + system) the server process has used so far.
    pub fn cpu_time(&self) -> Duration {
        let pid = self.child.as_ref().unwrap().id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<u64> = rest
            .split(' ')
            .skip(11)
            .take(2)
            .map(|x| x.parse().unwrap())
            .collect();
        // Clock ticks are 1/100 s on Linux.
        Duration::from_millis((f[0] + f[1]) * 10)
    }

    pub fn root_key_hex(&self) -> String {
        let text = std::fs::read_to_string(self.state_dir.join("network.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["root_key"].as_str().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An ed25519 identity from a fixed seed (a test's operator or user).
pub fn identity(seed: u8) -> BasicIdentity {
    BasicIdentity::from_raw_key(&[seed; 32])
}

/// An agent for `url` with the network's root key fetched.
pub async fn agent(url: &str, identity: BasicIdentity) -> Agent {
    let agent = Agent::builder()
        .with_url(url)
        .with_identity(identity)
        .build()
        .unwrap();
    agent.fetch_root_key().await.unwrap();
    agent
}

pub fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Sends one raw HTTP/1.1 POST and returns (status, body).
pub fn post(port: u16, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/cbor\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    let status = text[9..12].parse().unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    (status, out[split..].to_vec())
}
