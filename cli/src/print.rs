//! What the command prints: every rendering of a record, plan, report or listing, from the
//! library's own types (no hand-written mirrors: a renamed field is a compile error here).

use shared::dns::{DnsReport, NEW_ENDPOINT_LATER};
use shared::jobs::{JobRecord, Times};
use shared::model::{ESTATE_SCOPE, Gap};
use shared::point::{Manifest, PruneReport, VerifyReport, short};
use shared::records::PointRecord;
use shared::restore::{Change, Difference};
use shared::restore::{Outcome, Plan, RestoreReport};
use shared::time::rfc3339;

/// One value as pretty JSON on stdout.
pub fn json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// `apigw-dr list`: one line per point, newest first.
pub fn points(all: &[PointRecord]) {
    println!(
        "{:<12}  {:<16}  {:<20}  {:<20}  {:<28}  {:<9}  {:>5}  {:>7}  {:>9}  APIS",
        "ID", "LABELS", "CREATED", "EXPIRES", "SOURCE", "STATUS", "LACKS", "OBJECTS", "BYTES"
    );
    let mut partial = false;
    for r in all {
        partial |= !r.gaps.is_empty();
        println!(
            "{:<12}  {:<16}  {:<20}  {:<20}  {:<28}  {:<9}  {:>5}  {:>7}  {:>9}  {}",
            short(&r.id),
            if r.labels.is_empty() {
                "-".to_string()
            } else {
                r.labels.join(",")
            },
            rfc3339(r.created),
            rfc3339(r.expires),
            r.source.short(),
            r.status.to_string(),
            if r.gaps.is_empty() {
                "-".to_string()
            } else {
                r.gaps.len().to_string()
            },
            r.objects,
            r.bytes,
            r.apis.join(",")
        );
    }
    if partial {
        println!(
            "\nLACKS: kinds of resource the capture did not take; `apigw-dr show ID` says which and why"
        );
    }
}

/// `apigw-dr show`: the point's record, its objects by kind, its closure and what it lacks.
pub fn point(rec: &PointRecord, manifest: &Manifest) {
    println!("{}", header(rec));
    for (kind, entries) in shared::point::kinds(manifest) {
        println!("\n{kind} ({})", entries.len());
        for e in entries {
            println!("  {}", e.id);
        }
    }
    if !rec.closure.is_empty() {
        println!("\nbrought in by the selection's dependencies:");
        for l in &rec.closure {
            println!("  {l}");
        }
    }
    if !rec.gaps.is_empty() {
        println!("\nlacks (not captured, so no restore brings them back):");
        for g in &rec.gaps {
            println!("  {}", g.describe());
        }
    }
}

/// `apigw-dr verify`: all intact (true), or one `BAD` line per object and the error line.
pub fn verified_point(rec: &PointRecord, report: &VerifyReport) -> bool {
    if report.bad.is_empty() {
        println!(
            "point {}: all {} objects present and intact",
            short(&rec.id),
            report.checked
        );
        return true;
    }
    for bad in &report.bad {
        println!("BAD {bad}");
    }
    eprintln!(
        "apigw-dr: error: point {} is damaged: {} of {} objects missing or altered; it is marked Damaged and will not be restored",
        short(&rec.id),
        report.bad.len(),
        report.checked
    );
    false
}

/// `apigw-dr prune`: what was (or would be) removed and kept.
pub fn pruned(r: &PruneReport, dry_run: bool, keep: usize) {
    let verb = if dry_run { "would remove" } else { "removed" };
    for p in &r.removed {
        println!(
            "{verb} point {} (expired {})",
            short(&p.id),
            rfc3339(p.expires)
        );
    }
    for id in &r.kept_expired {
        println!(
            "kept point {} (expired, but among the newest {keep} good points)",
            short(id)
        );
    }
    println!(
        "{verb} {} points and {} unused objects ({} bytes)",
        r.removed.len(),
        r.deleted_objects,
        r.freed_bytes
    );
    if let Some(why) = &r.objects_skipped {
        eprintln!("apigw-dr: warning: {why}");
    }
}

/// `apigw-dr status`: the job's phase, request and plan figures, error, and report.
pub fn job(job: &JobRecord) {
    println!(
        "job       {}\nphase     {}\npoint     {}\ntrigger   {}\nstarted   {}\nupdated   {}\nplanned   {} steps, {} calls, at least {:.1} s by the quotas",
        job.id,
        job.phase,
        short(&job.request.point),
        job.trigger,
        rfc3339(job.created),
        rfc3339(job.updated),
        job.steps,
        job.calls,
        job.min_seconds
    );
    if let Some(e) = &job.error {
        println!("error     {e}");
    }
    if let Some(r) = &job.report {
        report(r);
    }
    dns_and_times(job);
}

/// A job's DNS switch and its recovery time (alarm to traffic) with the parts.
pub fn dns_and_times(job: &JobRecord) {
    if let Some(d) = &job.dns {
        dns(d, false);
    }
    times(&job.times);
}

/// The DNS switch of a plan (`planned`: what it would do) or of a job (what it did): per domain
/// the change with its old and new value, records left alone and notes; then what failed.
pub fn dns(d: &DnsReport, planned: bool) {
    println!(
        "
DNS"
    );
    if let Some(why) = &d.not_switched {
        println!("  not switched: {why}");
    } else if d.domains.is_empty() && d.failed.is_empty() {
        println!("  no custom domain restored: nothing to switch");
    }
    for p in &d.domains {
        let zone = p
            .zone
            .as_ref()
            .map(|z| format!(" (zone {} {})", z.name, z.id))
            .unwrap_or_default();
        println!("  domain {}{zone}", p.domain);
        for s in &p.switches {
            let done = d.applied.iter().find(|a| &a.switch == s);
            let new = if p.endpoint_unknown {
                format!("new: {NEW_ENDPOINT_LATER}")
            } else {
                s.new.to_string()
            };
            let state = match done {
                Some(a) if a.in_sync => format!(" [change {}, in sync]", a.change_id),
                Some(a) => format!(" [change {}, still PENDING]", a.change_id),
                None if planned => String::new(),
                None => " [not applied]".into(),
            };
            println!(
                "    {} {} {}: {} -> {new}{state}",
                if planned { "switch" } else { "switched" },
                s.record_name,
                s.record_type,
                s.old
            );
        }
        for r in &p.in_place {
            println!("    {r}: already points at the target");
        }
        for s in &p.skipped {
            println!("    skipped: {s}");
        }
        for n in &p.notes {
            println!("    note: {n}");
        }
    }
    for f in &d.failed {
        println!("  failed: {f}");
    }
}

/// The recovery time, from the alarm (or the request) to DNS in sync, and its parts.
fn times(t: &Times) {
    let parts: Vec<String> = t
        .parts()
        .iter()
        .map(|(name, s)| format!("{name} {s:.1} s"))
        .collect();
    if parts.is_empty() {
        return;
    }
    match t.rto_seconds() {
        Some(rto) => println!(
            "
recovery time (RTO, alarm to traffic): {rto:.1} s = {}",
            parts.join(" + ")
        ),
        None => println!(
            "
recovery time (RTO): not measured, DNS is not in sync on the target; so far: {}",
            parts.join(", ")
        ),
    }
}

/// `apigw-dr status --standby`: per target, the point its standby holds and how far behind.
pub fn standby_states(states: &[shared::standby::StandbyState]) {
    if states.is_empty() {
        println!(
            "no standby: no standby job has succeeded (`apigw-dr standby POINT --to-region R`)"
        );
        return;
    }
    println!(
        "{:<28}  {:<12}  {:<20}  {:<28}  {:>6}  {:>10}  RUNNING",
        "TARGET", "HOLDS", "SYNCED", "SOURCE", "BEHIND", "BY"
    );
    for s in states {
        println!(
            "{:<28}  {:<12}  {:<20}  {:<28}  {:>6}  {:>10}  {}",
            s.target.short(),
            short(&s.point),
            rfc3339(s.synced),
            s.source
                .as_ref()
                .map_or_else(|| "(point pruned)".to_string(), |x| x.short()),
            format!("{} pt", s.behind_points),
            format!("{:.0} s", s.behind_ms as f64 / 1000.0),
            s.running.as_deref().unwrap_or("-")
        );
    }
}

/// The line before a failback's plan or report: from where, to where, in place.
pub fn failback(
    point: &str,
    from: &shared::model::Source,
    to: &shared::model::Source,
    dry_run: bool,
) {
    println!(
        "failback{}: point {} of the recovery side ({}) restored in place into {}, the mapping file inverted",
        if dry_run { " (dry run)" } else { "" },
        short(point),
        from.short(),
        to.short()
    );
}

/// `apigw-dr diff`: per API, its differences or none.
pub fn diffs(diffs: &[(String, Vec<Difference>)], against: &str) {
    let mut any = false;
    for (name, d) in diffs {
        if d.is_empty() {
            println!("API {name}: no difference");
            continue;
        }
        any = true;
        println!(
            "API {name}: {} differences (+ in the point only, - in {against} only, ~ differs)",
            d.len()
        );
        for s in d {
            println!("  {}", step_line(s));
        }
    }
    if !any {
        println!("no difference");
    }
}

/// `apigw-dr restore --dry-run`: the plan, API by API, then the estate, and its cost.
pub fn plan(plan: &Plan) {
    println!(
        "plan: restore point {} ({}) into {}",
        short(&plan.point),
        plan.source.short(),
        plan.target.short()
    );
    for api in &plan.apis {
        println!(
            "\n{} {} (source {}) -> {}{}",
            api.what(),
            api.name,
            api.source_id,
            api.action,
            api.target_id
                .as_deref()
                .map(|t| format!(" of target {t}"))
                .unwrap_or_default()
        );
        let path = &api.path;
        let import = path
            .by_import
            .as_ref()
            .map(|c| {
                format!(
                    "; import: {} calls, at least {:.1} s alone",
                    c.calls, c.seconds
                )
            })
            .unwrap_or_default();
        println!(
            "  path: {} ({}) [call by call: {} calls, at least {:.1} s alone{import}]",
            path.name(),
            path.why,
            path.by_calls.calls,
            path.by_calls.seconds
        );
        steps(&api.steps, &api.rewrites, &api.problems, &api.notes);
    }
    if let Some(e) = &plan.estate {
        println!("\nestate (domains, mappings, VPC links, usage plans, API keys, account)");
        steps(&e.steps, &e.rewrites, &e.problems, &e.notes);
    }
    if !plan.lacks.is_empty() {
        println!("\nthe point lacks (not captured, so not restored):");
        for g in &plan.lacks {
            println!("  {}", g.describe());
        }
    }
    if !plan.selection.is_empty() {
        println!("\nbrought in by the selection's dependencies:");
        for l in &plan.selection {
            println!("  {l}");
        }
    }
    for u in &plan.unsupported {
        println!("\nnot restored: {u}");
    }
    let calls: Vec<String> = plan
        .calls()
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!(
        "\n{} control-plane calls ({}); the quotas allow it in {:.1} s at the fastest",
        plan.total_calls,
        calls.join(", "),
        plan.min_seconds
    );
}

/// The steps of one part of a plan (an API, the estate), its rewrites, problems and notes.
fn steps(steps: &[Difference], rewrites: &[String], problems: &[String], notes: &[String]) {
    for s in steps {
        println!("  {}", step_line(s));
    }
    if steps.is_empty() {
        println!("  (nothing to change)");
    }
    if !rewrites.is_empty() {
        println!("  rewrites ({}):", rewrites.len());
        for r in rewrites {
            println!("    {r}");
        }
    }
    for p in problems {
        println!("  cannot translate: {p}");
    }
    for n in notes {
        println!("  note: {n}");
    }
}

/// One step or difference: `+ KIND KEY`, `~ KIND KEY: FIELDS`, `- KIND KEY`, `! ... duplicate`.
fn step_line(s: &Difference) -> String {
    let key = if s.key.is_empty() {
        String::new()
    } else {
        format!(" {}", s.key)
    };
    match &s.change {
        Change::Create => format!("+ {}{key}", s.kind),
        Change::Update { fields } => format!("~ {}{key}: {}", s.kind, fields.join(", ")),
        Change::Delete => format!("- {}{key}", s.kind),
        Change::Duplicate { ids } => format!("! {}{key}: duplicate ({})", s.kind, ids.join(", ")),
    }
}

/// A restore's report: outcome, cost, what was not restored or lacked, then the estate and
/// each API with what verify found.
pub fn report(r: &RestoreReport) {
    println!(
        "\nrestore {:?} in {:.1} s into {} ({} control-plane calls with the reads of verify; the quotas allow the writes in {:.1} s at the fastest)",
        r.outcome,
        r.seconds,
        r.target.short(),
        r.calls,
        r.min_seconds
    );
    for u in &r.unsupported {
        println!("not restored: {u}");
    }
    // What the point lacks where no verified line below names it.
    let named = |scope: &str| {
        (scope == ESTATE_SCOPE && r.estate.is_some()) || r.apis.iter().any(|a| a.source_id == scope)
    };
    for g in r.lacks.iter().filter(|g| !named(&g.scope)) {
        println!(
            "the point lacks (not captured, so not restored): {}",
            g.describe()
        );
    }
    if let Some(e) = &r.estate {
        println!("estate ({} steps applied)", e.applied);
        for f in &e.failed {
            println!("  failed: {f}");
        }
        for c in &e.new_certificates {
            println!(
                "  new client certificate (give it to the backends that trusted the old one): {c}"
            );
        }
        for d in &e.remaining {
            let why = d
                .explained
                .as_deref()
                .map(|w| format!(" (explained: {w})"))
                .unwrap_or_default();
            // Quoted, as the estate's lines have always been printed.
            let d = &d.difference;
            println!(
                "  difference {} {}: {}{why}",
                quoted(&d.kind),
                quoted(&d.key),
                quoted(change_name(&d.change))
            );
        }
        if e.failed.is_empty() && e.remaining.is_empty() {
            println!(
                "  {}",
                verified(
                    "the target's estate matches the point",
                    &r.lacks,
                    ESTATE_SCOPE
                )
            );
        }
    }
    for a in &r.apis {
        println!(
            "{} API {} -> {} ({} steps applied)",
            if a.protocol.is_empty() {
                "REST"
            } else {
                &a.protocol
            },
            a.name,
            a.target_id.as_deref().unwrap_or("-"),
            a.applied
        );
        if a.path == "import" {
            println!(
                "  imported whole, then {} steps reconciled call by call",
                a.reconciled
            );
        }
        for f in &a.failed {
            println!("  failed: {f}");
        }
        for d in &a.remaining {
            let diff = &d.difference;
            let what = match &diff.change {
                Change::Create => "missing in the target".to_string(),
                Change::Delete => "extra in the target".to_string(),
                Change::Update { fields } => format!("differs: {}", quoted(fields)),
                Change::Duplicate { .. } => "differs: null".to_string(),
            };
            let (kind, key) = (diff.kind, &diff.key);
            match &d.explained {
                Some(why) => println!("  difference {kind} {key}: {what} (explained: {why})"),
                None => println!("  difference {kind} {key}: {what}"),
            }
        }
        if r.outcome == Outcome::Interrupted {
            println!("  interrupted: the next run of the job continues where it stopped");
        } else if a.remaining.is_empty() && a.failed.is_empty() {
            println!(
                "  {}",
                verified("the target matches the point", &r.lacks, &a.source_id)
            );
        }
        for p in &a.problems {
            println!("  cannot translate: {p}");
        }
        for n in &a.notes {
            println!("  note: {n}");
        }
    }
}

/// `verified: WHAT`, or, where the point lacks something of `scope`, `verified, except what the
/// point lacks: ...`.
fn verified(what: &str, lacks: &[Gap], scope: &str) -> String {
    let lacks: Vec<String> = lacks
        .iter()
        .filter(|g| g.scope == scope)
        .map(Gap::describe)
        .collect();
    if lacks.is_empty() {
        format!("verified: {what}")
    } else {
        format!(
            "verified, except what the point lacks: {}",
            lacks.join("; ")
        )
    }
}

/// The record of a point, one field a line.
fn header(r: &PointRecord) -> String {
    let counts: Vec<String> = r.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!(
        "point     {}\nlabels    {}\ncreated   {}\nconfirmed {}\nexpires   {}\nsource    {} ({})\ntrigger   {}\nstatus    {}\nholds     {} objects, {} bytes: {}",
        r.id,
        if r.labels.is_empty() {
            "-".into()
        } else {
            r.labels.join(", ")
        },
        rfc3339(r.created),
        rfc3339(r.confirmed),
        rfc3339(r.expires),
        r.source.short(),
        r.source.partition,
        r.trigger,
        r.status,
        r.objects,
        r.bytes,
        counts.join(", ")
    )
}

/// A value as compact JSON (a string in quotes).
fn quoted<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// How a change is named in a stored report (`create`, `update`, `delete`, `duplicate`).
fn change_name(c: &Change) -> &'static str {
    match c {
        Change::Create => "create",
        Change::Update { .. } => "update",
        Change::Delete => "delete",
        Change::Duplicate { .. } => "duplicate",
    }
}

/// `apigw-dr list`: the age of each source's newest good point (since it was taken or last
/// found unchanged).
pub fn newest_ages(ages: &[shared::metrics::SourceAge]) {
    if ages.is_empty() {
        return;
    }
    println!("\nNEWEST GOOD POINT PER SOURCE");
    for a in ages {
        println!(
            "{:<28}  {:<12}  {} old",
            a.source.short(),
            short(&a.point),
            age(a.age_ms)
        );
    }
}

/// A duration in milliseconds as `2d 3h`, `3h 4m`, `4m 5s` or `5s`.
fn age(ms: i64) -> String {
    let s = ms / 1000;
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

/// `apigw-dr check`: ready or not, then the problems grouped by severity, one line each, and
/// the room under the target's quotas.
pub fn readiness(r: &shared::check::Readiness) {
    use shared::check::Severity;
    println!(
        "point {} -> {}: {}",
        short(&r.point),
        r.target.short(),
        if r.ready {
            "READY".to_string()
        } else {
            format!("NOT READY ({} problems)", r.count())
        }
    );
    for sev in [Severity::Blocks, Severity::Degrades, Severity::NotChecked] {
        let lines: Vec<String> = r.of(sev).map(|p| p.line()).collect();
        if lines.is_empty() {
            continue;
        }
        println!("{}:", sev.name());
        for l in lines {
            println!("  - {l}");
        }
    }
    if !r.quotas.is_empty() {
        println!("quotas (held + restore adds / default quota):");
        for q in &r.quotas {
            let limit = q.limit.map_or("-".to_string(), |l| l.to_string());
            println!("  {:<26} {} + {} / {limit}", q.what, q.held, q.adds);
        }
    }
}

/// A drill's outcome and teardown (nothing for a job that is not a drill).
pub fn drill(job: &JobRecord) {
    let Some(d) = &job.drill else { return };
    let rto = d
        .recovery_seconds
        .map_or("not measured".to_string(), |s| format!("{s:.1} s"));
    let objective = d
        .objective_seconds
        .map_or(String::new(), |o| format!(" (objective {o:.0} s)"));
    println!(
        "\ndrill {}: {} (point {}, into {})\n  recovery time {rto}{objective}, {}, {} differences left\n  created under the prefix {} with the tag apigw-dr:drill={}",
        job.id,
        if d.passed { "PASSED" } else { "FAILED" },
        short(&job.request.point),
        job.report
            .as_ref()
            .map_or("its target".to_string(), |r| r.target.short()),
        if d.verified {
            "verified"
        } else {
            "not verified"
        },
        d.differences,
        d.prefix,
        d.tag
    );
    for n in &d.notes {
        println!("  {n}");
    }
    for r in &d.removed {
        println!("  deleted {r}");
    }
    for f in &d.teardown_failed {
        println!("  {f}");
    }
    match d.torn_down {
        Some(t) => println!(
            "  torn down {}: {} items deleted, everything the drill created",
            rfc3339(t),
            d.removed.len()
        ),
        None if d.teardown_failed.is_empty() => println!(
            "  kept: remove it with `apigw-dr drill --teardown {}`",
            job.id
        ),
        None => println!(
            "  not torn down completely: run `apigw-dr drill --teardown {}` again",
            job.id
        ),
    }
}

/// `apigw-dr list --drills`: one line per drill, newest first.
pub fn drills(all: &[JobRecord]) {
    if all.is_empty() {
        println!("no drills yet: `apigw-dr drill --to-region R` runs one");
        return;
    }
    println!(
        "{:<24}  {:<20}  {:<12}  {:<6}  {:>10}  {:<8}  TORN DOWN",
        "JOB", "STARTED", "POINT", "RESULT", "RECOVERY", "VERIFIED"
    );
    for j in all {
        let d = j.drill.clone().unwrap_or_default();
        println!(
            "{:<24}  {:<20}  {:<12}  {:<6}  {:>10}  {:<8}  {}",
            j.id,
            rfc3339(j.created),
            short(&j.request.point),
            if d.passed { "passed" } else { "FAILED" },
            d.recovery_seconds
                .map_or("-".to_string(), |s| format!("{s:.1} s")),
            if d.verified { "yes" } else { "no" },
            d.torn_down.map_or("no".to_string(), rfc3339)
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages_read_at_a_glance() {
        assert_eq!(super::age(4_999), "4s");
        assert_eq!(super::age(65_000), "1m 5s");
        assert_eq!(super::age(3 * 3_600_000 + 4 * 60_000), "3h 4m");
        assert_eq!(super::age(2 * 86_400_000 + 3 * 3_600_000 + 59_000), "2d 3h");
    }
}
