//! The server binary: read settings, load the catalogue, serve until stopped.

use std::process::ExitCode;

use actix_web::{HttpServer, web};
use clap::Parser;
use stackatlas::api::{self, AppState};
use stackatlas::catalogue::Catalogue;
use stackatlas::config::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    let settings = Settings::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();

    if settings.print_openapi {
        return match api::openapi().to_pretty_json() {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("cannot render the OpenAPI document: {error}");
                ExitCode::FAILURE
            }
        };
    }

    if settings.print_data_schema {
        return match serde_json::to_string_pretty(
            &stackatlas::catalogue::schema::technology_json_schema(),
        ) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("cannot render the data schema: {error}");
                ExitCode::FAILURE
            }
        };
    }

    let loaded = match &settings.data_dir {
        Some(dir) => Catalogue::from_dir(dir),
        None => Catalogue::embedded(),
    };
    let catalogue = match loaded {
        Ok(catalogue) => catalogue,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::FAILURE;
        }
    };
    log::info!("loaded {} technologies", catalogue.len());
    let state = web::Data::new(AppState::new(catalogue));
    let server = match HttpServer::new(move || api::app(state.clone()))
        .bind((settings.host.as_str(), settings.port))
    {
        Ok(server) => server,
        Err(error) => {
            eprintln!(
                "cannot listen on {}:{}: {error}",
                settings.host, settings.port
            );
            return ExitCode::FAILURE;
        }
    };
    for address in server.addrs() {
        log::info!("listening on http://{address}");
    }
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server failed: {error}");
            ExitCode::FAILURE
        }
    }
}
