//! The real binary and a real socket.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use clap::Parser;
use stackatlas::app::Application;
use stackatlas::config::Settings;

/// Starts the application as `main` does — `Application::build` on port 0, one
/// worker — in a thread of its own; returns the address it picked.
fn spawn_server() -> std::net::SocketAddr {
    let settings = Settings::parse_from(["stackatlas", "--port", "0", "--workers", "1"]);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let application = Application::build(&settings).expect("the application builds");
            let address = application.addresses()[0];
            assert_eq!(address.port(), application.port());
            sender
                .send(address)
                .expect("the test waits for the address");
            application.run().await
        })
    });
    receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("the server starts")
}

/// Sends a raw HTTP/1.1 request and reads the whole answer.
fn raw(address: std::net::SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn the_server_answers_over_a_real_socket() {
    let address = spawn_server();
    let answer = raw(
        address,
        "GET /v1/technologies/nodejs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("\"name\":\"Node.js\""), "{answer}");

    let head = raw(
        address,
        "HEAD /v1/technologies/nodejs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let (headers, body) = head.split_once("\r\n\r\n").expect("a header block");
    assert!(body.is_empty(), "HEAD has no body: {body}");
    let length = headers
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|v| v.parse::<usize>().ok())
        .expect("a content-length");
    let get_body = answer.split_once("\r\n\r\n").expect("headers").1;
    assert_eq!(length, get_body.len(), "HEAD reports the GET body's length");
}

#[test]
fn a_broken_data_file_stops_the_binary_naming_file_and_field() {
    let dir = std::env::temp_dir().join(format!("stackatlas-broken-{}", std::process::id()));
    let technologies = dir.join("technologies");
    std::fs::create_dir_all(&technologies).expect("temp dir");
    let good = include_str!("../../data/technologies/nodejs.json");
    let mut broken: serde_json::Value = serde_json::from_str(good).expect("nodejs.json is JSON");
    broken["relations"] = serde_json::json!({});
    broken["website"] = "http://nodejs.org/".into();
    std::fs::write(technologies.join("nodejs.json"), broken.to_string()).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_stackatlas"))
        .arg("--data-dir")
        .arg(&dir)
        .arg("--port")
        .arg("0")
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success(), "the server must refuse to start");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nodejs.json"), "{stderr}");
    assert!(stderr.contains("field `website`"), "{stderr}");
    let location = stderr
        .split("nodejs.json:")
        .nth(1)
        .and_then(|rest| rest.split(": field").next())
        .unwrap_or_default();
    let numbers: Vec<&str> = location.split(':').collect();
    assert!(
        numbers.len() == 2 && numbers.iter().all(|n| n.parse::<usize>().is_ok()),
        "the message names line and column: {stderr}"
    );
}

/// The binary serving a temporary `--data-dir`, with its stderr lines.
struct Served {
    child: std::process::Child,
    address: std::net::SocketAddr,
    stderr: std::sync::mpsc::Receiver<String>,
    dir: std::path::PathBuf,
}

impl Served {
    fn start(name: &str, nodejs: &serde_json::Value, access_log: bool) -> Served {
        use std::io::BufRead;
        let dir = std::env::temp_dir().join(format!("stackatlas-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("technologies")).expect("temp dir");
        write_entry(&dir, nodejs);
        let mut child = Command::new(env!("CARGO_BIN_EXE_stackatlas"))
            .args([
                "--port",
                "0",
                "--access-log",
                if access_log { "true" } else { "false" },
                "--shutdown-timeout",
                "5",
            ])
            .arg("--data-dir")
            .arg(&dir)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("stderr");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = sender.send(line);
            }
        });
        let address = loop {
            let line = receiver
                .recv_timeout(Duration::from_secs(30))
                .expect("the server logs its address");
            if let Some(rest) = line.split("on http://").nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .expect("address")
                    .parse()
                    .expect("socket address");
            }
        };
        Served {
            child,
            address,
            stderr: receiver,
            dir,
        }
    }

    fn get(&self, path: &str) -> String {
        raw(
            self.address,
            &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
        )
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits until a stderr line contains `needle`.
    fn wait_for_log(&self, needle: &str) -> String {
        loop {
            let line = self
                .stderr
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no log line containing `{needle}`"));
            if line.contains(needle) {
                return line;
            }
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn standalone_nodejs() -> serde_json::Value {
    let mut nodejs: serde_json::Value =
        serde_json::from_str(include_str!("../../data/technologies/nodejs.json")).expect("JSON");
    nodejs["relations"] = serde_json::json!({});
    nodejs["identifiers"] = serde_json::json!({});
    nodejs
}

fn write_entry(dir: &std::path::Path, entry: &serde_json::Value) {
    std::fs::write(dir.join("technologies/nodejs.json"), entry.to_string()).expect("write");
}

#[test]
fn sighup_reloads_the_data_dir_and_a_broken_catalogue_keeps_the_old_one() {
    let mut nodejs = standalone_nodejs();
    let served = Served::start("reload", &nodejs, false);
    assert!(
        served
            .get("/v1/technologies/nodejs")
            .contains("\"name\":\"Node.js\"")
    );

    let mut broken = nodejs.clone();
    broken["website"] = "http://nodejs.org/".into();
    write_entry(&served.dir, &broken);
    served.signal("HUP");
    let refused = served.wait_for_log("reload refused");
    assert!(refused.contains("field `website`"), "{refused}");
    let still = served.get("/v1/technologies/nodejs");
    assert!(still.starts_with("HTTP/1.1 200"), "{still}");
    assert!(
        still.contains("\"website\":\"https://nodejs.org/\""),
        "the old catalogue serves on"
    );
    assert!(
        served
            .get("/metrics")
            .contains("stackatlas_catalogue_reloads_total{outcome=\"failure\"} 1")
    );

    nodejs["summary"] = "Reloaded summary.".into();
    write_entry(&served.dir, &nodejs);
    served.signal("HUP");
    served.wait_for_log("reloaded the catalogue");
    assert!(
        served
            .get("/v1/technologies/nodejs")
            .contains("\"summary\":\"Reloaded summary.\"")
    );
    assert!(served.get("/readyz").contains("\"generation\":2"));
}

/// On x86-64 glibc the server starts itself again in place with its glibc tunable
/// (`src/main.rs`): the process serving is the one started (signals and supervisors
/// reach it by that id), its environment holds the tunable, and it serves.
#[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
#[test]
fn the_server_runs_with_its_glibc_tunable_under_the_process_id_it_started_with() {
    let served = Served::start("tunables", &standalone_nodejs(), false);
    let environ = std::fs::read(format!("/proc/{}/environ", served.child.id()))
        .expect("the process's environment");
    let tunables: Vec<&[u8]> = environ
        .split(|&byte| byte == 0)
        .filter(|entry| entry.starts_with(b"GLIBC_TUNABLES="))
        .collect();
    assert_eq!(tunables.len(), 1, "one GLIBC_TUNABLES entry");
    let value = String::from_utf8_lossy(tunables[0]);
    assert!(
        value.contains("glibc.cpu.x86_rep_movsb_threshold="),
        "the tunable is set: {value}"
    );
    assert!(served.get("/healthz").starts_with("HTTP/1.1 200"));
}

#[test]
fn sigterm_finishes_in_flight_requests_and_exits_0() {
    let mut served = Served::start("shutdown", &standalone_nodejs(), false);
    // A request in flight: its answer has begun (the status line is read) but not
    // ended (the rest waits in the socket) when the signal arrives.
    let mut stream = TcpStream::connect(served.address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
        .write_all(b"GET /v1/catalogue HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut head = [0u8; 16];
    stream.read_exact(&mut head).expect("the answer begins");
    assert!(
        head.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    served.signal("TERM");
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).expect("read");
    let answer = [head.as_slice(), &rest].concat();
    let answer = String::from_utf8_lossy(&answer);
    let (headers, body) = answer.split_once("\r\n\r\n").expect("a header block");
    let length: usize = headers
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("a content-length");
    assert_eq!(
        body.len(),
        length,
        "the accepted request completes with its whole body"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = served.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the process exits within the shutdown timeout"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
}

#[test]
fn every_answer_gets_an_access_log_line_with_its_request_id() {
    let served = Served::start("access", &standalone_nodejs(), true);
    // The first answer is made by the handler, the second comes from the memo:
    // both are logged alike.
    for _ in 0..2 {
        let answer = served.get("/v1/technologies/nodejs");
        let id = answer
            .lines()
            .find_map(|l| l.strip_prefix("x-request-id: "))
            .expect("a request id")
            .to_owned();
        let line = served.wait_for_log(&format!("rid={id}"));
        assert!(
            line.contains(" INFO  stackatlas::access] 127.0.0.1 "),
            "{line}"
        );
        assert!(
            line.contains("\"GET /v1/technologies/nodejs HTTP/1.1\" 200 "),
            "{line}"
        );
        assert!(line.ends_with(" \"-\""), "no User-Agent was sent: {line}");
    }
    served.get("/nope");
    let line = served.wait_for_log("\"GET /nope HTTP/1.1\"");
    assert!(line.contains("\" 404 "), "{line}");
}
