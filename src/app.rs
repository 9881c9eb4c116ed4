//! The application as `main` runs it and tests start it: the catalogue the
//! settings name, loaded and validated, an HTTP server configured by them and bound,
//! and the reload on SIGHUP. `main` only adds what belongs to a process (the
//! allocator's settings, the command-line modes, the exit code).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use actix_web::dev::Server;
use actix_web::{HttpServer, web};

use crate::api::{self, AppState, HttpSettings};
use crate::config::Settings;
use crate::snapshot::{IndexBuild, Snapshots, Source};

/// A bound, configured server, not yet running.
pub struct Application {
    server: Server,
    addresses: Vec<SocketAddr>,
    state: web::Data<AppState>,
    index: IndexBuild,
}

impl Application {
    /// Loads the catalogue (`--data-dir` or the embedded one) beside the OpenAPI
    /// document, then binds `host:port` (port 0 picks a free one). Fails with a
    /// message naming what is wrong: a data file and field, or the address.
    pub fn build(settings: &Settings) -> Result<Application, String> {
        let started = Instant::now();
        let source = match &settings.data_dir {
            Some(dir) => Source::Directory(dir.clone()),
            None => Source::Embedded,
        };
        // The OpenAPI document (made once per process) is built beside the catalogue.
        let (loaded, _) = std::thread::scope(|scope| {
            let document = scope.spawn(api::openapi);
            (Snapshots::load(source), document.join())
        });
        let (snapshots, index) = loaded.map_err(|errors| errors.to_string())?;
        let state = web::Data::new(AppState::new(
            snapshots,
            HttpSettings::from_settings(settings),
        ));
        let technologies = state.snapshots.current().catalogue.len();
        let factory_state = state.clone();
        let mut server = HttpServer::new(move || api::app(factory_state.clone()))
            .max_connections(settings.max_connections as usize)
            .keep_alive(match settings.keep_alive {
                0 => actix_web::http::KeepAlive::Disabled,
                seconds => actix_web::http::KeepAlive::Timeout(Duration::from_secs(seconds)),
            })
            .client_request_timeout(Duration::from_millis(settings.client_request_timeout_ms))
            .client_disconnect_timeout(Duration::from_millis(settings.client_disconnect_timeout_ms))
            .shutdown_timeout(settings.shutdown_timeout);
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server
            .bind((settings.host.as_str(), settings.port))
            .map_err(|error| {
                format!(
                    "cannot listen on {}:{}: {error}",
                    settings.host, settings.port
                )
            })?;
        let addresses = server.addrs();
        for address in &addresses {
            log::info!(
                "listening on http://{address} ({technologies} technologies, ready in {} ms)",
                started.elapsed().as_millis()
            );
        }
        Ok(Application {
            server: server.run(),
            addresses,
            state,
            index,
        })
    }

    /// The addresses the server listens on.
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.addresses
    }

    /// The port it listens on (the one picked, when the settings said 0).
    pub fn port(&self) -> u16 {
        self.addresses.first().map_or(0, SocketAddr::port)
    }

    /// Serves until stopped (SIGINT, SIGTERM): builds the search index now that the
    /// socket is open (search and suggest wait for it; everything else is served
    /// meanwhile) and reloads the catalogue on SIGHUP.
    pub async fn run(self) -> std::io::Result<()> {
        self.index.start();
        actix_web::rt::spawn(reload_on_hangup(self.state));
        self.server.await
    }
}

/// Reloads the catalogue on every SIGHUP: the new snapshot is built and validated
/// beside the serving one and swapped in only when valid.
async fn reload_on_hangup(state: web::Data<AppState>) {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            log::warn!("cannot listen for SIGHUP; reloads are off");
            return;
        };
        while hangups.recv().await.is_some() {
            let state = state.clone();
            // Loading reads and validates files: keep it off the async workers.
            let outcome = web::block(move || {
                let result = state.snapshots.reload();
                state.metrics.reloaded(result.is_ok());
                result.map(|s| (s.catalogue.len(), s.generation))
            })
            .await;
            match outcome {
                Ok(Ok((technologies, generation))) => {
                    log::info!(
                        "reloaded the catalogue: {technologies} technologies (generation {generation})"
                    )
                }
                Ok(Err(errors)) => {
                    let problems: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
                    log::error!(
                        "reload refused, still serving the previous catalogue: {}",
                        problems.join("; ")
                    )
                }
                Err(error) => log::error!("reload failed: {error}"),
            }
        }
    }
    #[cfg(not(unix))]
    drop(state);
}
