//! Relevance: queries people type, with the entries they expect on top. The suite
//! prints every miss and fails below an MRR of 0.9; the cases the search must
//! never get wrong are asserted one by one.

use crate::helpers::get;

/// What a query should find.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// This entry first.
    First(&'static str),
    /// Any of these entries first (a need several entries meet).
    AnyOf(&'static [&'static str]),
    /// All of these within the first `n` hits (the first of them counts for MRR).
    AllWithin(&'static [&'static str], usize),
    /// No hit at all.
    Nothing,
}

use Expect::{AllWithin, AnyOf, First, Nothing};

/// (query, expectation, entries that must not be among the hits at all)
type Case = (&'static str, Expect, &'static [&'static str]);

const CASES: &[Case] = &[
    // Exact names, any case.
    ("python", First("python"), &[]),
    ("Django", First("django"), &[]),
    ("PostgreSQL", First("postgresql"), &[]),
    ("redis", First("redis"), &[]),
    ("Kubernetes", First("kubernetes"), &[]),
    ("apache kafka", First("apache-kafka"), &[]),
    ("Spring Boot", First("spring-boot"), &[]),
    ("ruby on rails", First("ruby-on-rails"), &[]),
    ("go", First("go"), &[]),
    ("Rust", First("rust"), &[]),
    ("sqlite", First("sqlite"), &[]),
    ("elasticsearch", First("elasticsearch"), &[]),
    ("grpc", First("grpc"), &[]),
    ("GraphQL", First("graphql"), &[]),
    ("nginx", First("nginx"), &[]),
    ("C", First("c"), &[]),
    ("r", First("r"), &[]),
    // Aliases are names too.
    ("rails", First("ruby-on-rails"), &[]),
    ("postgres", First("postgresql"), &[]),
    ("golang", First("go"), &[]),
    ("k8s", First("kubernetes"), &[]),
    ("mongo", First("mongodb"), &[]),
    ("js", First("javascript"), &[]),
    ("ts", First("typescript"), &[]),
    ("kafka", First("apache-kafka"), &[]),
    ("tomcat", First("apache-tomcat"), &[]),
    ("mssql", First("microsoft-sql-server"), &[]),
    ("protobuf", First("protocol-buffers"), &[]),
    ("RoR", First("ruby-on-rails"), &[]),
    ("swagger", First("openapi"), &[]),
    ("httpd", First("apache-http-server"), &[]),
    ("dynamodb", First("amazon-dynamodb"), &[]),
    // Names made of symbols and dots keep their identity.
    ("c#", First("csharp"), &["c"]),
    ("C++", First("cpp"), &["c"]),
    ("f#", First("fsharp"), &[]),
    (".NET", First("dotnet"), &[]),
    ("asp.net", First("aspnet-core"), &[]),
    ("node.js", First("nodejs"), &[]),
    ("node js", First("nodejs"), &[]),
    ("nodejs", First("nodejs"), &[]),
    ("NodeJS", First("nodejs"), &[]),
    ("next.js", First("nextjs"), &[]),
    ("nextjs", First("nextjs"), &[]),
    ("socket.io", First("socket-io"), &[]),
    ("vert.x", First("vertx"), &[]),
    ("c sharp", First("csharp"), &[]),
    // Typos: one from 5 characters, two from 9; a swap counts as one.
    ("pyhton", First("python"), &[]),
    ("kuberntes", First("kubernetes"), &[]),
    ("postgressql", First("postgresql"), &[]),
    ("elasticsaerch", First("elasticsearch"), &[]),
    ("djnago", First("django"), &[]),
    ("javscript", First("javascript"), &[]),
    ("typescirpt", First("typescript"), &[]),
    ("rabitmq", First("rabbitmq"), &[]),
    ("mongdb", First("mongodb"), &[]),
    ("fastapy", First("fastapi"), &[]),
    ("laravell", First("laravel"), &[]),
    ("memcahced", First("memcached"), &[]),
    ("cassandar", First("apache-cassandra"), &[]),
    // The last word completes what is being typed.
    ("postgre", First("postgresql"), &[]),
    ("elasti", First("elasticsearch"), &[]),
    ("djan", First("django"), &[]),
    ("cassan", First("apache-cassandra"), &[]),
    ("rabbit", First("rabbitmq"), &[]),
    ("typescr", First("typescript"), &[]),
    ("spring bo", First("spring-boot"), &[]),
    ("kubern", First("kubernetes"), &[]),
    ("ruby on ra", First("ruby-on-rails"), &[]),
    // Accents and case fold away.
    ("pythön", First("python"), &[]),
    ("Sebastián Ramírez", First("fastapi"), &[]),
    ("jose valim", First("elixir"), &[]),
    // Needs several entries meet.
    (
        "python web framework",
        AllWithin(&["django", "flask", "fastapi"], 5),
        &[],
    ),
    (
        "rust web framework",
        AnyOf(&["actix-web", "axum", "rocket", "warp", "poem", "loco"]),
        &[],
    ),
    (
        "go web framework",
        AnyOf(&["gin", "echo", "fiber", "chi", "beego", "gorilla-mux"]),
        &[],
    ),
    (
        "php framework",
        AnyOf(&[
            "laravel",
            "symfony",
            "cakephp",
            "codeigniter",
            "slim",
            "laminas",
            "yii",
        ]),
        &[],
    ),
    (
        "message queue",
        AnyOf(&[
            "rabbitmq",
            "apache-kafka",
            "apache-activemq",
            "activemq-artemis",
            "amazon-sqs",
            "nats",
            "nsq",
            "apache-rocketmq",
            "apache-pulsar",
            "azure-service-bus",
        ]),
        &[],
    ),
    (
        "time series database",
        AnyOf(&[
            "influxdb",
            "timescaledb",
            "questdb",
            "victoriametrics",
            "apache-druid",
        ]),
        &[],
    ),
    (
        "in-memory cache",
        AnyOf(&[
            "redis",
            "memcached",
            "valkey",
            "dragonfly",
            "keydb",
            "hazelcast",
            "ehcache",
            "apache-ignite",
        ]),
        &[],
    ),
    (
        "full text search",
        AnyOf(&[
            "elasticsearch",
            "opensearch",
            "meilisearch",
            "typesense",
            "apache-solr",
            "apache-lucene",
            "tantivy",
            "manticore-search",
            "vespa",
        ]),
        &[],
    ),
    ("javascript runtime", AnyOf(&["nodejs", "deno", "bun"]), &[]),
    (
        "graph database",
        AnyOf(&["neo4j", "dgraph", "arangodb"]),
        &[],
    ),
    (
        "container orchestration",
        AnyOf(&["kubernetes", "nomad", "red-hat-openshift"]),
        &[],
    ),
    (
        "reverse proxy",
        AnyOf(&[
            "nginx",
            "haproxy",
            "traefik",
            "envoy",
            "caddy",
            "varnish",
            "apache-http-server",
            "openresty",
        ]),
        &[],
    ),
    (
        "wide column database",
        AnyOf(&["apache-cassandra", "scylladb", "apache-hbase"]),
        &[],
    ),
    ("java orm", AnyOf(&["hibernate", "mybatis", "jooq"]), &[]),
    // Queries that must match nothing.
    ("zzzzqqqq", Nothing, &[]),
    ("xyzzyplugh", Nothing, &[]),
    ("qwertyuiop", Nothing, &[]),
];

/// Realistic misspellings, each of which must find its technology first: with one
/// slip a query is never a dead end (the relaxed rules cover what the normal ones
/// do not).
const MISSPELLINGS: &[(&str, &str)] = &[
    // Two adjacent letters swapped (3-letter words only under the relaxed rules).
    ("bnu", "bun"),
    ("gni", "gin"),
    ("kao", "koa"),
    ("rsut", "rust"),
    ("deon", "deno"),
    ("ehco", "echo"),
    ("axmu", "axum"),
    ("djagno", "django"),
    ("flsak", "flask"),
    ("rdeis", "redis"),
    ("ngnix", "nginx"),
    ("kafak", "apache-kafka"),
    ("psotgres", "postgresql"),
    ("graphlq", "graphql"),
    ("elixri", "elixir"),
    ("terrafrom", "terraform"),
    ("tokoi", "tokio"),
    ("syfmony", "symfony"),
    // A letter missing.
    ("flsk", "flask"),
    ("djng", "django"),
    ("djngo", "django"),
    ("kotln", "kotlin"),
    ("laravl", "laravel"),
    ("pythn", "python"),
    ("promethus", "prometheus"),
    ("grafna", "grafana"),
    ("jenkns", "jenkins"),
    ("expres", "express"),
    ("fastfy", "fastify"),
    ("nestj", "nestjs"),
    ("larvel", "laravel"),
    ("sqlte", "sqlite"),
    ("casandra", "apache-cassandra"),
    // A letter doubled.
    ("rustt", "rust"),
    ("dockker", "docker"),
    ("djangoo", "django"),
    ("kafkka", "apache-kafka"),
    ("ginn", "gin"),
    ("nodejss", "nodejs"),
    // A wrong first letter.
    ("fjango", "django"),
    ("vlask", "flask"),
    ("bongodb", "mongodb"),
    ("zubernetes", "kubernetes"),
    ("tedis", "redis"),
    // Compounds split or joined.
    ("fast api", "fastapi"),
    ("post gresql", "postgresql"),
    ("mongo db", "mongodb"),
    ("rabbit mq", "rabbitmq"),
    ("elastic search", "elasticsearch"),
    ("springboot", "spring-boot"),
    ("rubyonrails", "ruby-on-rails"),
    ("type script", "typescript"),
    ("sql alchemy", "sqlalchemy"),
    ("click house", "clickhouse"),
    ("java script", "javascript"),
    ("graph ql", "graphql"),
    ("socketio", "socket-io"),
];

/// Where the first relevant entry ranks (1-based) among `ids`, if it does.
fn first_relevant(expect: Expect, ids: &[String]) -> Option<usize> {
    let is_relevant = |id: &String| match expect {
        First(expected) => id == expected,
        AnyOf(expected) | AllWithin(expected, _) => expected.contains(&id.as_str()),
        Nothing => false,
    };
    ids.iter().position(is_relevant).map(|p| p + 1)
}

async fn ranked_ids(query: &str) -> Vec<String> {
    let encoded: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let answer = get(&format!("/v1/search?q={encoded}&per_page=100")).await;
    assert_eq!(answer.status, 200, "{query}");
    answer.json()["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{query}: no items"))
        .iter()
        .filter_map(|hit| hit["id"].as_str().map(str::to_owned))
        .collect()
}

/// Why a case failed, if it did.
fn miss(expect: Expect, absent: &[&str], ids: &[String]) -> Option<String> {
    if let Some(present) = absent.iter().find(|a| ids.iter().any(|id| id == *a)) {
        return Some(format!("`{present}` must not be found"));
    }
    match expect {
        First(id) if ids.first().map(String::as_str) != Some(id) => {
            Some(format!("expected `{id}` first"))
        }
        AnyOf(expected)
            if !ids
                .first()
                .is_some_and(|id| expected.contains(&id.as_str())) =>
        {
            Some(format!("expected one of {expected:?} first"))
        }
        AllWithin(expected, n) => {
            let top: Vec<&str> = ids.iter().take(n).map(String::as_str).collect();
            let missing: Vec<&&str> = expected.iter().filter(|e| !top.contains(e)).collect();
            (!missing.is_empty()).then(|| format!("expected {missing:?} within the first {n}"))
        }
        Nothing if !ids.is_empty() => Some("expected no hit".to_owned()),
        _ => None,
    }
}

#[actix_web::test]
async fn the_relevance_suite_reaches_an_mrr_of_0_9() {
    assert!(CASES.len() >= 60, "{} cases", CASES.len());
    let mut reciprocal_ranks = Vec::new();
    let mut at_one = 0;
    let mut misses = Vec::new();
    let misspellings = MISSPELLINGS
        .iter()
        .map(|&(query, id)| (query, First(id), &[][..]));
    for (query, expect, absent) in CASES.iter().copied().chain(misspellings) {
        let ids = ranked_ids(query).await;
        if !matches!(expect, Nothing) {
            let rank = first_relevant(expect, &ids);
            reciprocal_ranks.push(rank.map_or(0.0, |r| 1.0 / r as f64));
            if rank == Some(1) {
                at_one += 1;
            }
        }
        if let Some(why) = miss(expect, absent, &ids) {
            let top: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
            misses.push(format!("  {query:?}: {why}; got {top:?}"));
        }
    }
    let ranked = reciprocal_ranks.len() as f64;
    let mrr = reciprocal_ranks.iter().sum::<f64>() / ranked;
    let precision_at_1 = at_one as f64 / ranked;
    println!(
        "relevance: {} queries, MRR {mrr:.3}, P@1 {precision_at_1:.3}, {} misses",
        CASES.len() + MISSPELLINGS.len(),
        misses.len()
    );
    for line in &misses {
        println!("{line}");
    }
    assert!(
        mrr >= 0.9,
        "MRR {mrr:.3} is below 0.9; misses:\n{}",
        misses.join("\n")
    );
}

async fn assert_first(query: &str, id: &str) {
    let ids = ranked_ids(query).await;
    assert_eq!(
        ids.first().map(String::as_str),
        Some(id),
        "{query}: {ids:?}"
    );
}

#[actix_web::test]
async fn a_typo_still_finds_python_first() {
    assert_first("pyhton", "python").await;
}

#[actix_web::test]
async fn a_prefix_finds_postgresql_first() {
    assert_first("postgre", "postgresql").await;
}

#[actix_web::test]
async fn node_js_however_written_finds_node_first() {
    for query in ["node js", "nodejs", "node.js"] {
        assert_first(query, "nodejs").await;
    }
}

#[actix_web::test]
async fn c_sharp_finds_csharp_and_never_c() {
    let ids = ranked_ids("c#").await;
    assert_eq!(ids.first().map(String::as_str), Some("csharp"), "{ids:?}");
    assert!(
        !ids.iter().any(|id| id == "c"),
        "C must not match c#: {ids:?}"
    );
}

#[actix_web::test]
async fn rails_finds_ruby_on_rails_first() {
    assert_first("rails", "ruby-on-rails").await;
}

#[actix_web::test]
async fn python_web_framework_finds_django_flask_and_fastapi_in_the_top_5() {
    let ids = ranked_ids("python web framework").await;
    for id in ["django", "flask", "fastapi"] {
        assert!(
            ids.iter().take(5).any(|found| found == id),
            "{id} in the top 5: {ids:?}"
        );
    }
}

#[actix_web::test]
async fn every_misspelling_finds_its_technology_first() {
    assert!(
        MISSPELLINGS.len() >= 40,
        "{} misspellings",
        MISSPELLINGS.len()
    );
    let mut misses = Vec::new();
    for &(query, id) in MISSPELLINGS {
        let ids = ranked_ids(query).await;
        if ids.first().map(String::as_str) != Some(id) {
            let top: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
            misses.push(format!("  {query:?}: expected `{id}` first; got {top:?}"));
        }
    }
    assert!(
        misses.is_empty(),
        "misspellings missed:\n{}",
        misses.join("\n")
    );
}
