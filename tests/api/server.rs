//! The real binary and a real socket.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use actix_web::HttpServer;
use stackatlas::api;

use crate::helpers::state;

/// Starts the app on a free port in a thread of its own; returns the address.
fn spawn_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("an address");
    let app_state = state();
    let server = HttpServer::new(move || api::app(app_state.clone()))
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
    std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
    address
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
}
