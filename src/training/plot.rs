//! The loss curve of a training run as a picture (feature `plots`).

use anyhow::{anyhow, ensure, Result};
use plotters::prelude::*;

use super::train::TrainingLog;
use crate::plots::Figure;

/// A line plot of every step's training loss, with the evaluations' train and validation losses
/// as points when there are any. Described as
/// `[loss curve: TITLE, N steps, loss from FIRST to LAST]`.
pub fn loss_curve(log: &TrainingLog, title: &str) -> Result<Figure> {
    ensure!(!log.losses.is_empty(), "a loss curve needs at least one step");
    let steps = log.losses.len();
    let (low, high) = log.losses.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let evals: Vec<(usize, f64, f64)> = log.evals.iter().map(|e| (e.step, e.train_loss, e.val_loss)).collect();
    let low = evals.iter().fold(f64::from(low), |lo, &(_, t, v)| lo.min(t).min(v));
    let high = evals.iter().fold(f64::from(high), |hi, &(_, t, v)| hi.max(t).max(v));
    let pad = ((high - low) * 0.05).max(1e-3);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 400)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..(steps.max(2) - 1) as f64, (low - pad)..(high + pad))
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("cross-entropy loss")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()
            .map_err(drawing)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                log.losses.iter().enumerate().map(|(i, &l)| (i as f64, f64::from(l))).collect::<Vec<_>>(),
                BLUE.stroke_width(2),
            )))
            .map_err(drawing)?
            .label("training loss (each step)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(2)));
        if !evals.is_empty() {
            chart
                .draw_series(evals.iter().map(|&(s, _, v)| Circle::new((s as f64, v), 4, RED.filled())))
                .map_err(drawing)?
                .label("validation loss")
                .legend(|(x, y)| Circle::new((x + 9, y), 4, RED.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(drawing)?;
        root.present().map_err(drawing)?;
    }
    let description =
        format!("[loss curve: {title}, {steps} steps, loss from {:.3} to {:.3}]", log.losses[0], log.losses[steps - 1]);
    Ok(Figure::new(svg, description))
}

fn drawing<E: std::fmt::Debug>(err: E) -> anyhow::Error {
    anyhow!("drawing the loss curve: {err:?}")
}
