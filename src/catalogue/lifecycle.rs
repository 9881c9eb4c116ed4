//! Release lifecycles: the release cycles endoflife.date tracks for a technology,
//! as stored in `data/lifecycle/<product>.json`, and their status on a given day.
//!
//! Status (supported, LTS, end of life) is never stored: it is computed against the
//! day an answer is made, so a cycle reaching its end of life tomorrow is reported
//! as such tomorrow without a rebuild.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

/// A calendar date (proleptic Gregorian), written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting impossible dates.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let year: i32 = text[0..4].parse().ok()?;
        let month: u8 = text[5..7].parse().ok()?;
        let day: u8 = text[8..10].parse().ok()?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days_since_epoch((seconds / 86_400) as i64)
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's civil-from-days).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// Days since 1970-01-01 (Howard Hinnant's days-from-civil).
    pub fn days_since_epoch(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400);
        let month = i64::from(self.month);
        let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5
            + i64::from(self.day)
            - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Midnight UTC at the start of the day.
    pub fn to_system_time(self) -> SystemTime {
        let days = self.days_since_epoch();
        if days >= 0 {
            UNIX_EPOCH + std::time::Duration::from_secs(days as u64 * 86_400)
        } else {
            UNIX_EPOCH
        }
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
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
