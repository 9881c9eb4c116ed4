//! Release lifecycles: the release cycles endoflife.date tracks for a technology,
//! as stored in `data/lifecycle/<product>.json`, and their status on a given day.
//!
//! Status (supported, LTS, end of life) is never stored: it is computed against the
//! day an answer is made, so a cycle reaching its end of life tomorrow is reported
//! as such tomorrow without a rebuild.

use std::cell::Cell;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use jiff::{Span, civil};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

/// A calendar date (proleptic Gregorian), written `YYYY-MM-DD`: a
/// [`jiff::civil::Date`] with the catalogue's one text form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(civil::Date);

/// 1970-01-01, the day the epoch starts.
const EPOCH: civil::Date = civil::date(1970, 1, 1);

impl Date {
    /// Parses `YYYY-MM-DD` (exactly: four-digit year, two-digit month and day),
    /// rejecting impossible dates.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || !bytes[..4].iter().all(u8::is_ascii_digit) {
            return None;
        }
        text.parse::<civil::Date>().ok().map(Date)
    }

    /// Today in UTC, from the system clock (the date itself made once a day per
    /// thread: every answer asks).
    pub fn today() -> Date {
        thread_local! {
            static TODAY: Cell<(u64, Date)> = const { Cell::new((u64::MAX, Date(EPOCH))) };
        }
        let day = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        TODAY.with(|today| match today.get() {
            (known, date) if known == day => date,
            _ => {
                let date = Date::from_days_since_epoch(i64::try_from(day).unwrap_or(i64::MAX));
                today.set((day, date));
                date
            }
        })
    }

    /// The date `days` days after 1970-01-01 (clamped to jiff's range, years
    /// -9999 to 9999).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let date = i32::try_from(days)
            .ok()
            .and_then(|days| EPOCH.checked_add(Span::new().try_days(days).ok()?).ok());
        Date(date.unwrap_or(if days < 0 {
            civil::Date::MIN
        } else {
            civil::Date::MAX
        }))
    }

    /// The year.
    pub fn year(self) -> i32 {
        i32::from(self.0.year())
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        // Days between two civil dates are exact (no time zone is involved), and
        // jiff's range (about 7.3 million days) always fits.
        i64::from(EPOCH.until(self.0).map_or(0, |span| span.get_days()))
    }

    /// Midnight UTC at the start of the day (the epoch for earlier days).
    pub fn to_system_time(self) -> SystemTime {
        match u64::try_from(self.days_since_epoch()) {
            Ok(days) => UNIX_EPOCH + std::time::Duration::from_secs(days * 86_400),
            Err(_) => UNIX_EPOCH,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a date (YYYY-MM-DD)")))
    }
}

/// A milestone as endoflife.date records it: a date, or only a yes/no when the
/// date is unknown or there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Milestone {
    /// The milestone falls (or fell) on this date.
    On(Date),
    /// `true`: reached, date unknown; `false`: not reached and no date set.
    Reached(bool),
}

impl Milestone {
    /// Whether the milestone is reached on `today`.
    fn reached_by(self, today: Date) -> bool {
        match self {
            Milestone::On(date) => date <= today,
            Milestone::Reached(reached) => reached,
        }
    }

    fn date(self) -> Option<Date> {
        match self {
            Milestone::On(date) => Some(date),
            Milestone::Reached(_) => None,
        }
    }
}

/// A release cycle as stored in `data/lifecycle/<product>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StoredCycle {
    /// The cycle's name (`22`, `3.12`, `8.1`).
    pub cycle: String,
    /// The cycle's code name, where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// First release of the cycle.
    pub release_date: Date,
    /// Long-term support: from a date, or yes/no.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lts: Option<Milestone>,
    /// End of active support (bug fixes); after it, security fixes only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_active_support: Option<Milestone>,
    /// End of life: no more fixes of any kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_life: Option<Milestone>,
    /// End of extended (usually paid) support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_extended_support: Option<Milestone>,
    /// Latest version in the cycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    /// Date of the latest version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_release_date: Option<Date>,
}

/// The release cycles of one endoflife.date product.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StoredLifecycle {
    /// The endoflife.date product slug.
    pub product: String,
    /// The product's title on endoflife.date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The day these facts were taken from endoflife.date.
    pub as_of: Date,
    /// Release cycles, newest first.
    pub releases: Vec<StoredCycle>,
}

/// One release cycle with its status on the day of the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "cycle": "22", "codename": "Jod", "release_date": "2024-04-24", "lts_from": "2024-10-29",
    "end_of_active_support": "2025-10-21", "end_of_life": "2027-04-30", "latest": "22.20.0",
    "latest_release_date": "2026-07-15", "is_lts": true, "is_actively_supported": false,
    "is_supported": true, "is_end_of_life": false
}))]
pub struct ReleaseCycle {
    /// The cycle's name (`22`, `3.12`, `8.1`).
    pub cycle: String,
    /// The cycle's code name, where it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub codename: Option<String>,
    /// First release of the cycle (`YYYY-MM-DD`).
    #[schema(value_type = String, format = Date)]
    pub release_date: Date,
    /// The day the cycle became (or becomes) a long-term-support line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date, nullable = false)]
    pub lts_from: Option<Date>,
    /// End of active support (bug fixes), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date, nullable = false)]
    pub end_of_active_support: Option<Date>,
    /// End of life (no more fixes), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date, nullable = false)]
    pub end_of_life: Option<Date>,
    /// End of extended support, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date, nullable = false)]
    pub end_of_extended_support: Option<Date>,
    /// Latest version in the cycle.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub latest: Option<String>,
    /// Date of the latest version.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date, nullable = false)]
    pub latest_release_date: Option<Date>,
    /// Whether the cycle is a long-term-support line today.
    pub is_lts: bool,
    /// Whether the cycle still gets active (bug-fix) support today.
    pub is_actively_supported: bool,
    /// Whether the cycle still gets any fixes today (not end of life).
    pub is_supported: bool,
    /// Whether the cycle has reached its end of life today.
    pub is_end_of_life: bool,
}

impl StoredCycle {
    /// The cycle's status on `today`.
    pub fn on(&self, today: Date) -> ReleaseCycle {
        let released = self.release_date <= today;
        let is_end_of_life = self.end_of_life.is_some_and(|m| m.reached_by(today));
        let is_supported = released && !is_end_of_life;
        let is_actively_supported = is_supported
            && match self.end_of_active_support {
                Some(milestone) => !milestone.reached_by(today),
                None => true,
            };
        ReleaseCycle {
            cycle: self.cycle.clone(),
            codename: self.codename.clone(),
            release_date: self.release_date,
            lts_from: self.lts.and_then(Milestone::date),
            end_of_active_support: self.end_of_active_support.and_then(Milestone::date),
            end_of_life: self.end_of_life.and_then(Milestone::date),
            end_of_extended_support: self.end_of_extended_support.and_then(Milestone::date),
            latest: self.latest.clone(),
            latest_release_date: self.latest_release_date,
            is_lts: self.lts.is_some_and(|m| m.reached_by(today)),
            is_actively_supported,
            is_supported,
            is_end_of_life,
        }
    }

    /// Rules a cycle keeps: support milestones in order, none before the release.
    /// (The latest version's date is not checked against the cycle's release date:
    /// upstream tags a version a few days before announcing it, and the reference
    /// data records both.)
    pub fn check(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        let milestones = [
            ("lts", self.lts),
            ("end_of_active_support", self.end_of_active_support),
            ("end_of_life", self.end_of_life),
            ("end_of_extended_support", self.end_of_extended_support),
        ];
        for (field, milestone) in milestones {
            if let Some(date) = milestone.and_then(Milestone::date)
                && date < self.release_date
            {
                problems.push((
                    field,
                    format!("{date} is before the release date {}", self.release_date),
                ));
            }
        }
        let ordered = [
            (
                "end_of_active_support",
                self.end_of_active_support.and_then(Milestone::date),
            ),
            ("end_of_life", self.end_of_life.and_then(Milestone::date)),
            (
                "end_of_extended_support",
                self.end_of_extended_support.and_then(Milestone::date),
            ),
        ];
        for pair in ordered.windows(2) {
            if let ((_, Some(earlier)), (field, Some(later))) = (pair[0], pair[1])
                && later < earlier
            {
                problems.push((
                    field,
                    format!("{later} is before the previous milestone {earlier}"),
                ));
            }
        }
        if self.cycle.trim().is_empty() {
            problems.push(("cycle", "must not be empty".to_owned()));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_and_reject_impossible_days() {
        assert_eq!(
            Date::parse("2024-02-29").map(|d| d.to_string()),
            Some("2024-02-29".to_owned())
        );
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2023-13-01"), None);
        assert_eq!(Date::parse("2023-1-01"), None);
        assert_eq!(Date::parse("+02023-01-01"), None);
        assert_eq!(Date::parse("2023-01-01T00:00"), None);
    }

    #[test]
    fn days_since_epoch_become_civil_dates() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(19_782).to_string(),
            "2024-02-29"
        );
        assert_eq!(
            Date::from_days_since_epoch(20_418).to_string(),
            "2025-11-26"
        );
        for days in [0, 59, 60, 365, 19_782, 20_418, 40_000] {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
    }
}
