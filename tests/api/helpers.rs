//! Shared set-up: the app over the embedded catalogue, in process or on a socket.

use std::sync::OnceLock;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{test, web};
use serde_json::Value;
use stackatlas::api::{self, AppState, HttpSettings};
use stackatlas::catalogue::Catalogue;
use stackatlas::snapshot::{Snapshots, Source};

/// The embedded catalogue's app state, built once per test binary.
pub fn state() -> web::Data<AppState> {
    static STATE: OnceLock<web::Data<AppState>> = OnceLock::new();
    STATE
        .get_or_init(|| {
            let catalogue = Catalogue::embedded().unwrap_or_else(|errors| panic!("{errors}"));
            // Rate limiting has its own tests, with their own state: the shared
            // state's requests all come from one unnamed peer.
            let settings = HttpSettings {
                access_log: false,
                rate_limit: None,
                ..HttpSettings::default()
            };
            web::Data::new(AppState::new(
                Snapshots::from_catalogue(catalogue, Source::Embedded),
                settings,
            ))
        })
        .clone()
}

/// An answer, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json answer with this status and returns its body.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let problem = self.json();
        assert_eq!(problem["status"], status);
        for field in ["type", "title", "detail", "instance"] {
            assert!(
                problem[field].is_string(),
                "problem lacks `{field}`: {problem}"
            );
        }
        problem
    }
}

async fn read<B: MessageBody>(response: ServiceResponse<B>) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let body = test::read_body(response).await.to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// Sends `method path` through the app in process.
pub async fn call(method: &str, path: &str) -> Answer {
    call_with(
        test::TestRequest::default()
            .method(method.parse().expect("a method"))
            .uri(path),
    )
    .await
}

/// The embedded catalogue (of the shared state's serving snapshot).
pub fn catalogue() -> std::sync::Arc<stackatlas::snapshot::Snapshot> {
    state().snapshots.current()
}

/// Sends a prepared request through the app in process.
pub async fn call_with(request: test::TestRequest) -> Answer {
    call_with_state(request, state()).await
}

/// Sends a prepared request through an app over `state`.
pub async fn call_with_state(request: test::TestRequest, state: web::Data<AppState>) -> Answer {
    let app = test::init_service(api::app(state)).await;
    let response = app
        .call(request.to_request())
        .await
        .expect("the app answers");
    read(response).await
}

/// `GET path` in process.
pub async fn get(path: &str) -> Answer {
    call("GET", path).await
}

/// `GET path` with extra request headers.
pub async fn get_with(path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = test::TestRequest::get().uri(path);
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    call_with(request).await
}

/// A data folder in the temporary directory, removed when dropped.
pub struct DataDir(pub std::path::PathBuf);

impl DataDir {
    pub fn with(name: &str, entries: &[serde_json::Value]) -> DataDir {
        let dir = std::env::temp_dir().join(format!("stackatlas-{name}-{}", std::process::id()));
        let technologies = dir.join("technologies");
        std::fs::create_dir_all(&technologies).expect("temporary folder");
        for entry in entries {
            let id = entry["id"].as_str().unwrap_or("x");
            let text = serde_json::to_string_pretty(entry).expect("JSON");
            std::fs::write(technologies.join(format!("{id}.json")), text).expect("write");
        }
        DataDir(dir)
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
