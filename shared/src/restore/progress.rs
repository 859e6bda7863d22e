//! A restore's step progress, typed. Every progress sink takes lines (`NAME: 50/351 steps`,
//! every 50 steps and the last); a display that can draw (a terminal's progress bar) watches
//! the typed event behind that line instead, every step, with the time the quotas still need.
//! The watcher is set around a restore with [`watched`] and reaches the step runner without
//! changing any sink's type; where none is set, the lines are those of before.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// What sees every step event (a display that draws them).
pub type Watcher = Arc<dyn Fn(&Steps) + Send + Sync>;

/// One API's steps done, and the shortest time the quotas allow for the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Steps {
    /// The API's name.
    pub name: String,
    pub done: usize,
    pub total: usize,
    /// The quota floor of the steps still to do (and of the deployments they call for).
    pub left: Duration,
}

impl Steps {
    /// Whether a line sink is due this event as a line: every 50 steps, and the last.
    pub fn line_due(&self) -> bool {
        self.done.is_multiple_of(50) || self.done == self.total
    }
}

/// The step line: `NAME: DONE/TOTAL steps`.
impl fmt::Display for Steps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}/{} steps", self.name, self.done, self.total)
    }
}

tokio::task_local! {
    static WATCHER: Watcher;
}

/// Runs `fut` with `watcher` seeing every step event of the restores it runs; their step
/// lines then go to the watcher instead of the line sink (the other lines still go there).
pub async fn watched<F: Future>(watcher: Watcher, fut: F) -> F::Output {
    WATCHER.scope(watcher, fut).await
}

/// Reports `done` of `total` steps of the API `name`: to the watcher where [`watched`] set
/// one (every step; `left` is asked then only), else as the step line to `line` when due.
pub fn report(
    line: &(dyn Fn(String) + Send + Sync),
    name: &str,
    done: usize,
    total: usize,
    left: impl FnOnce() -> Duration,
) {
    let event = |left| Steps {
        name: name.to_string(),
        done,
        total,
        left,
    };
    if WATCHER.try_with(|w| w(&event(left()))).is_err() {
        let e = event(Duration::ZERO);
        if e.line_due() {
            line(e.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn run(lines: &Mutex<Vec<String>>, total: usize) {
        let sink = |l: String| lines.lock().unwrap().push(l);
        for done in 1..=total {
            report(&sink, "pets", done, total, || {
                Duration::from_secs((total - done) as u64)
            });
        }
    }

    #[tokio::test]
    async fn without_a_watcher_the_lines_are_every_fifty_steps_and_the_last() {
        let lines = Mutex::new(Vec::new());
        run(&lines, 120);
        assert_eq!(
            lines.into_inner().unwrap(),
            [
                "pets: 50/120 steps",
                "pets: 100/120 steps",
                "pets: 120/120 steps"
            ]
        );
    }

    #[tokio::test]
    async fn a_watcher_sees_every_step_with_the_time_left_and_takes_the_lines() {
        let lines = Mutex::new(Vec::new());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let watcher: Watcher = Arc::new(move |e: &Steps| s.lock().unwrap().push(e.clone()));
        watched(watcher, async { run(&lines, 3) }).await;
        assert!(lines.into_inner().unwrap().is_empty());
        let seen = seen.lock().unwrap();
        let got: Vec<(usize, u64)> = seen.iter().map(|e| (e.done, e.left.as_secs())).collect();
        assert_eq!(got, [(1, 2), (2, 1), (3, 0)]);
        assert_eq!(seen[2].to_string(), "pets: 3/3 steps");
        // Outside the scope, lines again.
        let after = Mutex::new(Vec::new());
        run(&after, 3);
        assert_eq!(after.into_inner().unwrap(), ["pets: 3/3 steps"]);
    }
}
