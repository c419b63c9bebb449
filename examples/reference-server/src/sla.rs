//! SLA targets from `--sla FILE` (TOML) and the sweep that sends `sla.breached`.
//!
//! ```toml
//! # Every key is optional; what is left out keeps its default
//! # (urgent 1h/8h, high 4h/24h, medium 8h/72h, low 24h/120h).
//! [urgent]
//! first_response = "30m"
//! resolution = "4h"
//!
//! [low]
//! resolution = "7d"   # or a number of seconds
//! ```

use std::path::PathBuf;
use std::time::Duration;

use support_core::{Choice, Priority, SlaTargets, SupportService};

/// The SLA flags.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SlaFlags {
    /// A TOML file of SLA targets per priority (`[urgent] first_response = "1h"`,
    /// `resolution = "8h"`; likewise `high`, `medium`, `low`). Left out: the defaults, urgent
    /// 1h/8h, high 4h/24h, medium 8h/72h, low 24h/120h. A bad file stops the server.
    #[arg(long, env = "SUPPORT_SLA", value_name = "FILE")]
    pub(crate) sla: Option<PathBuf>,
    /// How often the SLA clocks are checked for breaches (and once at start-up).
    #[arg(long, env = "SUPPORT_SLA_SWEEP_EVERY", default_value = "15s", value_parser = sweep_every)]
    pub(crate) sla_sweep_every: Duration,
}

fn sweep_every(text: &str) -> Result<Duration, String> {
    let d = crate::parse_duration(text)?;
    if d > Duration::from_secs(300) {
        return Err("give at most 5 minutes (300 s)".into());
    }
    Ok(d)
}

impl SlaFlags {
    /// The targets the file gives, or the defaults.
    pub(crate) fn targets(&self) -> Result<SlaTargets, String> {
        let Some(path) = &self.sla else {
            return Ok(SlaTargets::default());
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("--sla {}: {e}", path.display()))?;
        parse(&text).map_err(|e| format!("--sla {}: {e}", path.display()))
    }

    /// Sets the targets on the service and starts the sweep.
    pub(crate) fn start(&self, service: &SupportService, targets: SlaTargets) {
        service.set_sla_targets(targets);
        service.spawn_sla_sweep(self.sla_sweep_every);
    }
}

/// Targets from the file's text; an error names the key at fault.
pub(crate) fn parse(text: &str) -> Result<SlaTargets, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let mut targets = SlaTargets::default();
    for (name, value) in &table {
        let priority = Priority::from_name(name).ok_or_else(|| {
            format!("unknown priority `{name}` (expected urgent, high, medium or low)")
        })?;
        let toml::Value::Table(fields) = value else {
            return Err(format!(
                "`{name}` must be a table: [{name}] first_response = \"1h\""
            ));
        };
        let mut target = targets.get(priority);
        for (key, v) in fields {
            let d = duration(v).ok_or_else(|| {
                format!(
                    "`{name}.{key}`: give a duration such as \"90m\", \"4h\" or \"2d\", or a number of seconds, from 1 s to 10 years"
                )
            })?;
            match key.as_str() {
                "first_response" => target.first_response = d,
                "resolution" => target.resolution = d,
                _ => {
                    return Err(format!(
                        "unknown key `{name}.{key}` (expected first_response or resolution)"
                    ));
                }
            }
        }
        targets = targets.with(priority, target);
    }
    Ok(targets)
}

fn duration(v: &toml::Value) -> Option<Duration> {
    let d = match v {
        toml::Value::Integer(n) => Duration::from_secs(u64::try_from(*n).ok()?),
        toml::Value::String(s) => humantime::parse_duration(s.trim()).ok()?,
        _ => return None,
    };
    (Duration::from_secs(1) <= d && d <= Duration::from_secs(10 * 366 * 24 * 3600)).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_only_what_it_names() {
        let t = parse("[urgent]\nfirst_response = \"30m\"\n[low]\nresolution = 90\n").unwrap();
        assert_eq!(t.get(Priority::Urgent).first_response.as_secs(), 1800);
        assert_eq!(t.get(Priority::Urgent).resolution.as_secs(), 8 * 3600);
        assert_eq!(t.get(Priority::Low).resolution.as_secs(), 90);
        assert_eq!(
            t.get(Priority::High),
            SlaTargets::default().get(Priority::High)
        );
        assert_eq!(parse("").unwrap(), SlaTargets::default());
    }

    #[test]
    fn a_bad_file_names_the_key() {
        for (text, key) in [
            (
                "[urgent]\nfirst_response = \"0s\"\n",
                "`urgent.first_response`",
            ),
            (
                "[urgent]\nfirst_response = \"soon\"\n",
                "`urgent.first_response`",
            ),
            ("[high]\nfirst = \"1h\"\n", "`high.first`"),
            ("[critical]\nresolution = \"1h\"\n", "`critical`"),
            ("medium = 3\n", "`medium`"),
            ("[low]\nresolution = -5\n", "`low.resolution`"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(key), "{text:?}: {e}");
        }
    }
}
