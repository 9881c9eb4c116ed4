//! The catalogue's typed model: what a technology is, as stored in
//! `data/technologies/<id>.json` and as served by the API.
//!
//! Every type and field carries a `///` doc comment: utoipa turns them into the
//! descriptions of the OpenAPI document, so they are the public documentation.

use serde::{Deserialize, Serialize};

use super::lifecycle::Date;
use utoipa::ToSchema;

/// What sort of technology an entry is. A closed set: a data file with any other
/// value is rejected when the catalogue loads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A programming or query language (Python, Java, SQL).
    Language,
    /// An engine, virtual machine or JDK distribution that executes programs (Node.js, the JVM, PHP-FPM).
    Runtime,
    /// A framework for building web applications or HTTP APIs (Django, Spring Boot, Express).
    WebFramework,
    /// A library a backend is built with: ORMs and data access (tag `orm`), job queues and schedulers (tag `job-queue`), HTTP, RPC, logging.
    Library,
    /// A database of any data model (relational, document, key-value, graph, time-series, vector), data warehouses and managed cloud databases.
    Database,
    /// An in-memory cache or data grid (Redis, Memcached).
    Cache,
    /// A message broker, queue or event-streaming platform (Kafka, RabbitMQ, MQTT brokers).
    MessageBroker,
    /// A full-text search engine or search library (Elasticsearch, Meilisearch).
    SearchEngine,
    /// A web server, application server, reverse proxy or load balancer (nginx, Tomcat).
    WebServer,
    /// An API style, protocol, data format or auth standard (REST, gRPC, MQTT, JWT, OAuth 2.0).
    ApiTechnology,
    /// A platform that runs backends as a service: PaaS, serverless, backend-as-a-service (Heroku, AWS Lambda).
    Platform,
    /// A container engine, orchestrator, managed Kubernetes service or cluster add-on (Docker, Kubernetes, Helm).
    Container,
    /// Metrics, logs, traces, monitoring and alerting (Prometheus, Grafana, OpenTelemetry).
    Observability,
    /// Identity, authentication, authorization, secrets and certificates (Keycloak, Vault).
    IdentityAndSecrets,
    /// An API gateway, ingress controller or service mesh (Kong, Istio).
    ApiGateway,
    /// Object storage: S3-compatible and cloud blob stores (Amazon S3, MinIO).
    ObjectStorage,
    /// Continuous integration and delivery: pipelines, runners, GitOps (Jenkins, Argo CD).
    CiCd,
    /// Infrastructure as code and configuration management (Terraform, Ansible).
    InfrastructureAsCode,
    /// Batch and stream processing, ETL and workflow orchestration (Spark, Airflow).
    DataProcessing,
    /// A build tool, package manager or artifact repository (Maven, Gradle, pnpm).
    BuildTool,
    /// Testing: test frameworks, load testing, mocking, code quality (JUnit, pytest, k6).
    Testing,
}

impl Kind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [Kind; 21] = [
        Kind::Language,
        Kind::Runtime,
        Kind::WebFramework,
        Kind::Library,
        Kind::Database,
        Kind::Cache,
        Kind::MessageBroker,
        Kind::SearchEngine,
        Kind::WebServer,
        Kind::ApiTechnology,
        Kind::Platform,
        Kind::Container,
        Kind::Observability,
        Kind::IdentityAndSecrets,
        Kind::ApiGateway,
        Kind::ObjectStorage,
        Kind::CiCd,
        Kind::InfrastructureAsCode,
        Kind::DataProcessing,
        Kind::BuildTool,
        Kind::Testing,
    ];

    /// The kind's wire name, as it appears in JSON and in query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Language => "language",
            Kind::Runtime => "runtime",
            Kind::WebFramework => "web_framework",
            Kind::Library => "library",
            Kind::Database => "database",
            Kind::Cache => "cache",
            Kind::MessageBroker => "message_broker",
            Kind::SearchEngine => "search_engine",
            Kind::WebServer => "web_server",
            Kind::ApiTechnology => "api_technology",
            Kind::Platform => "platform",
            Kind::Container => "container",
            Kind::Observability => "observability",
            Kind::IdentityAndSecrets => "identity_and_secrets",
            Kind::ApiGateway => "api_gateway",
            Kind::ObjectStorage => "object_storage",
            Kind::CiCd => "ci_cd",
            Kind::InfrastructureAsCode => "infrastructure_as_code",
            Kind::DataProcessing => "data_processing",
            Kind::BuildTool => "build_tool",
            Kind::Testing => "testing",
        }
    }

    /// The kind with this wire name, if there is one.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// Typed edges from one technology to others, each a list of catalogue ids.
/// Every id resolves to an entry of the catalogue; no entry points at itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Relations {
    /// Languages the technology itself is implemented in.
    #[serde(default)]
    pub written_in: Vec<String>,
    /// Languages the technology is for: the language a framework or library is used
    /// from, or the languages a runtime executes.
    #[serde(default)]
    pub for_language: Vec<String>,
    /// Runtimes or platforms the technology runs on.
    #[serde(default)]
    pub runs_on: Vec<String>,
    /// Technologies it is built on top of or derived from (a fork's origin, a
    /// framework's base framework, a protocol's transport).
    #[serde(default)]
    pub built_on: Vec<String>,
    /// Technologies that fill the same role and are chosen instead of it. Symmetric:
    /// when A lists B, B lists A.
    #[serde(default)]
    pub alternative_to: Vec<String>,
    /// Technologies commonly used together with it.
    #[serde(default)]
    pub used_with: Vec<String>,
}

/// External identifiers that name the technology in other systems, copied from the
/// reference sources (endoflife.date, GitHub Linguist), never invented.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Identifiers {
    /// Package URLs (purl) without a version, e.g. `pkg:pypi/django`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purl: Vec<String>,
    /// CPE 2.3 names without a version, e.g. `cpe:2.3:a:djangoproject:django`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpe: Vec<String>,
    /// Project names on Repology.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repology: Vec<String>,
    /// The language's name in GitHub Linguist (languages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub linguist: Option<String>,
    /// The product's slug on endoflife.date, where it tracks the technology's releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub endoflife: Option<String>,
}

impl Identifiers {
    /// True when no identifier is known.
    pub fn is_empty(&self) -> bool {
        self.purl.is_empty()
            && self.cpe.is_empty()
            && self.repology.is_empty()
            && self.linguist.is_none()
            && self.endoflife.is_none()
    }
}

/// One technology of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "nodejs",
    "name": "Node.js",
    "aliases": ["node", "node.js", "node js"],
    "kind": "runtime",
    "summary": "An open-source, cross-platform JavaScript runtime built on Google's V8 engine for running JavaScript outside the browser.",
    "description": "Node.js runs JavaScript on servers and command lines. It pairs the V8 engine with libuv, which gives it a single-threaded event loop and non-blocking I/O.",
    "strengths": ["Event loop with non-blocking I/O handles many concurrent connections in one process with little memory per connection"],
    "weaknesses": ["CPU-bound work blocks the single event loop and stalls every request behind it"],
    "use_cases": ["REST and GraphQL APIs and backends-for-frontends"],
    "tags": ["javascript", "typescript", "v8", "event-loop", "non-blocking-io"],
    "relations": {
        "written_in": ["cpp", "c", "javascript"],
        "for_language": ["javascript", "typescript"],
        "runs_on": [],
        "built_on": [],
        "alternative_to": ["deno", "bun"],
        "used_with": ["express", "nestjs", "fastify", "typescript", "docker"]
    },
    "first_released": 2009,
    "license": "MIT",
    "developer": "OpenJS Foundation",
    "website": "https://nodejs.org/",
    "repository": "https://github.com/nodejs/node",
    "documentation": "https://nodejs.org/docs/latest/api/",
    "identifiers": {"cpe": ["cpe:2.3:a:nodejs:node.js"], "repology": ["nodejs"], "endoflife": "nodejs"},
    "sources": ["https://nodejs.org/en/about", "https://endoflife.date/nodejs"],
    "updated": "2026-12-06"
}))]
pub struct Technology {
    /// Stable, lowercase identifier (`[a-z0-9]+(-[a-z0-9]+)*`); never changes once published.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 100)]
    pub id: String,
    /// The name as its makers write it.
    pub name: String,
    /// Other names people use for it; looking one up redirects to the entry.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What sort of technology it is.
    pub kind: Kind,
    /// One sentence saying what it is.
    pub summary: String,
    /// A paragraph on what it is, how it works and where it fits.
    pub description: String,
    /// What it does well, named concretely.
    pub strengths: Vec<String>,
    /// Its real trade-offs and limits.
    pub weaknesses: Vec<String>,
    /// Work it is typically chosen for.
    pub use_cases: Vec<String>,
    /// Lowercase keywords (`[a-z0-9]+(-[a-z0-9]+)*`) for filtering and search.
    pub tags: Vec<String>,
    /// Typed edges to other entries of the catalogue.
    #[serde(default)]
    pub relations: Relations,
    /// Year of the first public release: the first version anyone could get, a public
    /// preview, beta or 0.x release included; a renamed project counts from its first
    /// release under the earlier name, a hosted service from its first public availability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[schema(minimum = 1950, maximum = 2100)]
    pub first_released: Option<u16>,
    /// Licence as an SPDX expression (`LicenseRef-Proprietary` for closed products).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub license: Option<String>,
    /// The organisation or people who make it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub developer: Option<String>,
    /// Official website (https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[schema(pattern = "^https://")]
    pub website: Option<String>,
    /// Source repository (https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[schema(pattern = "^https://")]
    pub repository: Option<String>,
    /// Official documentation (https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[schema(pattern = "^https://")]
    pub documentation: Option<String>,
    /// Identifiers in other systems (purl, CPE, Repology, Linguist, endoflife.date).
    #[serde(default, skip_serializing_if = "Identifiers::is_empty")]
    pub identifiers: Identifiers,
    /// URLs (https) the entry's facts were taken from or checked against.
    pub sources: Vec<String>,
    /// The day the entry's facts (its fields or its release cycles) last changed;
    /// `updated_since` and `sort=-updated` on the list read it.
    #[schema(value_type = String, format = Date, example = "2026-12-06")]
    pub updated: Date,
}
