//! Progress on stderr. On a terminal (and without `--quiet`), a restore's steps are a progress
//! bar with the time the quotas still need at least, and every other line is printed above
//! it; elsewhere, the plain lines (`apigw-dr: LINE`), as the library sends them.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use shared::restore::progress::{Steps, watched};

/// Where a command's progress goes.
pub struct Progress {
    quiet: bool,
    /// On a terminal: the bar, drawn from a restore's first step on.
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Self::with(quiet, std::io::stderr().is_terminal())
    }

    fn with(quiet: bool, terminal: bool) -> Self {
        let bar = (!quiet && terminal).then(|| {
            let style = ProgressStyle::with_template(
                "apigw-dr: {msg} [{bar:30}] {pos}/{len} steps, {prefix}",
            )
            .expect("a valid template")
            .progress_chars("=> ");
            ProgressBar::hidden().with_style(style)
        });
        Progress { quiet, bar }
    }

    /// One progress line: above the bar while it is drawn, else on its own.
    pub fn line(&self, line: String) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) if !bar.is_hidden() => bar.println(plain(&line)),
            _ => eprintln!("{}", plain(&line)),
        }
    }

    /// Runs a restore with its steps on the bar (where there is one), then clears the bar.
    pub async fn around<F: Future>(&self, restore: F) -> F::Output {
        let Some(bar) = self.bar.clone() else {
            return restore.await;
        };
        let shown = bar.clone();
        let out = watched(
            Arc::new(move |s: &Steps| {
                if shown.is_hidden() {
                    shown.set_draw_target(ProgressDrawTarget::stderr());
                }
                draw(&shown, s);
            }),
            restore,
        )
        .await;
        bar.finish_and_clear();
        out
    }
}

/// A line as printed: `apigw-dr: LINE`.
fn plain(line: &str) -> String {
    format!("apigw-dr: {line}")
}

/// The bar at one step event; an API's last step also leaves its line above the bar.
fn draw(bar: &ProgressBar, s: &Steps) {
    bar.set_message(s.name.clone());
    bar.set_prefix(time_left(s.left));
    bar.set_length(s.total as u64);
    bar.set_position(s.done as u64);
    if s.done == s.total {
        bar.println(plain(&s.to_string()));
    }
}

/// The quota floor of what is left, in whole seconds rounded up: `12 s left at least`,
/// `3 min 05 s left at least`.
fn time_left(left: Duration) -> String {
    let s = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    if s < 60 {
        format!("{s} s left at least")
    } else {
        format!("{} min {:02} s left at least", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(done: usize, total: usize, left: f64) -> Steps {
        Steps {
            name: "pets".into(),
            done,
            total,
            left: Duration::from_secs_f64(left),
        }
    }

    #[test]
    fn the_time_left_is_whole_seconds_rounded_up() {
        assert_eq!(time_left(Duration::ZERO), "0 s left at least");
        assert_eq!(time_left(Duration::from_millis(300)), "1 s left at least");
        assert_eq!(time_left(Duration::from_secs(59)), "59 s left at least");
        assert_eq!(
            time_left(Duration::from_secs(60)),
            "1 min 00 s left at least"
        );
        assert_eq!(
            time_left(Duration::from_secs_f64(96.6)),
            "1 min 37 s left at least"
        );
        assert_eq!(
            time_left(Duration::from_secs(3725)),
            "62 min 05 s left at least"
        );
    }

    #[test]
    fn the_bar_shows_the_steps_done_of_the_api_and_the_time_left() {
        let bar = ProgressBar::hidden();
        draw(&bar, &steps(50, 351, 96.6));
        assert_eq!(bar.position(), 50);
        assert_eq!(bar.length(), Some(351));
        assert_eq!(bar.message(), "pets");
        assert_eq!(bar.prefix(), "1 min 37 s left at least");
        draw(&bar, &steps(351, 351, 0.0));
        assert_eq!(bar.position(), 351);
        assert_eq!(bar.prefix(), "0 s left at least");
    }

    #[test]
    fn a_bar_only_on_a_terminal_and_without_quiet() {
        assert!(Progress::with(false, true).bar.is_some());
        assert!(Progress::with(false, false).bar.is_none());
        assert!(Progress::with(true, true).bar.is_none());
    }

    #[tokio::test]
    async fn without_a_bar_a_restore_runs_as_it_is_and_lines_are_plain() {
        assert_eq!(plain("pets: 50/351 steps"), "apigw-dr: pets: 50/351 steps");
        let p = Progress::with(false, false);
        assert_eq!(p.around(async { 7 }).await, 7);
    }
}
