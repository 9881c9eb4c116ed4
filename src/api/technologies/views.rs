//! The shapes technology answers take: the detail, the lifecycle view, related
//! entries, and an entry as JSON with `expand` and `fields` applied.

use super::*;

/// A technology with its release lifecycle.
#[derive(Debug, Serialize, ToSchema)]
pub struct TechnologyDetail {
    /// The catalogue entry.
    #[serde(flatten)]
    pub technology: Technology,
    /// Release cycles from endoflife.date with their status today; absent when
    /// endoflife.date does not track the technology.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub lifecycle: Option<Lifecycle>,
    /// With `expand=related`: the related entries' summaries, by relation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub related: Option<RelationGroups>,
}

/// Release cycles of a technology, with their status on the day of the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Lifecycle {
    /// Where the facts come from.
    #[schema(example = "endoflife.date")]
    pub source: &'static str,
    /// The product's slug on endoflife.date.
    #[schema(example = "nodejs")]
    pub product: String,
    /// The day the release facts were taken from the source.
    #[schema(value_type = String, format = Date, example = "2026-08-22")]
    pub as_of: Date,
    /// The day the status fields (`is_supported`, `is_lts`, ...) were computed for.
    #[schema(value_type = String, format = Date, example = "2026-11-26")]
    pub status_on: Date,
    /// Release cycles, newest first.
    pub releases: Vec<ReleaseCycle>,
}

/// The lifecycle of the entry at `position` on `today`, if tracked.
pub fn lifecycle_view(catalogue: &Catalogue, position: usize, today: Date) -> Option<Lifecycle> {
    let stored = catalogue.lifecycle(position)?;
    Some(Lifecycle {
        source: "endoflife.date",
        product: stored.product.clone(),
        as_of: stored.as_of,
        status_on: today,
        releases: stored
            .releases
            .iter()
            .map(|cycle| cycle.on(today))
            .collect(),
    })
}

/// A related entry, in brief.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelatedTechnology {
    /// The entry's id.
    pub id: String,
    /// The entry's name.
    pub name: String,
    /// What sort of technology it is.
    pub kind: Kind,
    /// Its one-sentence summary.
    pub summary: String,
}

/// Related entries grouped by relation (`written_in`, `for_language`, `runs_on`,
/// `built_on`, `alternative_to`, `used_with`); a relation with no entries is absent.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(transparent)]
#[schema(example = json!({"for_language": [{"id": "python", "name": "Python", "kind": "language",
    "summary": "A general-purpose, dynamically typed, interpreted programming language."}]}))]
pub struct RelationGroups(pub BTreeMap<String, Vec<RelatedTechnology>>);

/// The technologies related to one entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelatedResponse {
    /// Version of the answer schema.
    #[schema(example = "1")]
    pub schema_version: &'static str,
    /// The technology's id.
    pub id: String,
    /// Edges from this technology: what it is written in, for, runs on, is built on,
    /// its alternatives and what it is used with.
    pub outgoing: RelationGroups,
    /// Edges to this technology from others: e.g. under `written_in`, the entries
    /// written in it; under `runs_on`, the entries that run on it.
    pub incoming: RelationGroups,
}

fn brief(technology: &Technology) -> RelatedTechnology {
    RelatedTechnology {
        id: technology.id.clone(),
        name: technology.name.clone(),
        kind: technology.kind,
        summary: technology.summary.clone(),
    }
}

/// What `technology` names, by relation, each group sorted by name.
pub fn outgoing(catalogue: &Catalogue, technology: &Technology) -> RelationGroups {
    let mut groups = RelationGroups::default();
    for (relation, targets) in relation_lists(technology) {
        let mut positions: Vec<usize> = targets
            .iter()
            .filter_map(|id| catalogue.position(id))
            .collect();
        positions.sort_unstable();
        if !positions.is_empty() {
            let group = positions
                .into_iter()
                .map(|p| brief(&catalogue.technologies()[p]))
                .collect();
            groups.0.insert(relation.to_owned(), group);
        }
    }
    groups
}

/// The entries that name `technology`, by relation, each group sorted by name.
pub fn incoming(catalogue: &Catalogue, technology: &Technology) -> RelationGroups {
    let mut groups = RelationGroups::default();
    for other in catalogue.technologies() {
        for (relation, targets) in relation_lists(other) {
            if targets.contains(&technology.id) {
                groups
                    .0
                    .entry(relation.to_owned())
                    .or_default()
                    .push(brief(other));
            }
        }
    }
    groups
}

/// The entry's JSON with `expand` applied, then `fields`.
pub fn technology_json(
    catalogue: &Catalogue,
    position: usize,
    today: Date,
    expand: Expand,
    fields: &Fields,
) -> Result<serde_json::Value, serde_json::Error> {
    let technology: &Technology = &catalogue.technologies()[position];
    let mut value = serde_json::to_value(technology)?;
    if let serde_json::Value::Object(map) = &mut value {
        if expand.lifecycle
            && fields.keeps("lifecycle")
            && let Some(lifecycle) = lifecycle_view(catalogue, position, today)
        {
            map.insert("lifecycle".to_owned(), serde_json::to_value(lifecycle)?);
        }
        if expand.related && fields.keeps("related") {
            map.insert(
                "related".to_owned(),
                serde_json::to_value(outgoing(catalogue, technology))?,
            );
        }
    }
    Ok(fields.select(value))
}
