//! Settings, from command-line flags or their environment-variable twins.

use clap::Parser;

/// Stack Atlas: a JSON REST API over a curated catalogue of backend technologies.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "STACKATLAS_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "STACKATLAS_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Serve the catalogue in this directory (laid out like `data/`, with a
    /// `technologies/` folder) instead of the one compiled into the binary.
    #[arg(long, env = "STACKATLAS_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Print the OpenAPI document to standard output and exit.
    #[arg(long)]
    pub print_openapi: bool,
    /// Print the JSON Schema of the data files to standard output and exit.
    #[arg(long)]
    pub print_data_schema: bool,
}
