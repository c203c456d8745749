//! Pictures of the positional encodings for the notebooks (feature `plots`): query × key grids
//! (T5 buckets, ALiBi biases), a RoPE rotation, and attention scores against distance. The
//! sinusoid table uses [`crate::plots::heatmap`] (rows = positions, columns = dimensions).
//!
//! Each function returns a [`Figure`] (SVG, drawn with plotters' SVG backend only, no fonts
//! needed) whose description is the one line a test or a diff reads.

use anyhow::{ensure, Result};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;
use tch::Tensor;

use crate::plots::{draw_svg as svg, drawing, matrix, Figure};

const GREY: RGBColor = RGBColor(90, 90, 90);

/// Diverging (blue < 0 < red) when values have both signs, else white to dark blue.
fn colour(value: f64, lo: f64, hi: f64) -> RGBColor {
    let mix = |full: (f64, f64, f64), t: f64| {
        let c = |f: f64| (255.0 + (f - 255.0) * t.clamp(0.0, 1.0)).round() as u8;
        RGBColor(c(full.0), c(full.1), c(full.2))
    };
    if lo < 0.0 {
        let scale = lo.abs().max(hi.abs());
        let t = if scale > 0.0 { value / scale } else { 0.0 };
        if t >= 0.0 {
            mix((178.0, 24.0, 43.0), t)
        } else {
            mix((33.0, 102.0, 172.0), -t)
        }
    } else {
        mix((8.0, 48.0, 107.0), if hi > 0.0 { value / hi } else { 0.0 })
    }
}

/// Grids of query × key values side by side, one panel per tensor `[queries, keys]` (e.g. T5's
/// bucket ids, or ALiBi's bias for a few heads), all on one colour scale. Cells show their value
/// when a panel has at most 16 columns (integers as such, floats with 2 decimals when none of
/// the panel's non-zero values would read as 0.00).
pub fn query_key_grids(panels: &[(&Tensor, &str)], title: &str) -> Result<Figure> {
    ensure!(!panels.is_empty(), "nothing to draw");
    let grids = panels.iter().map(|(t, _)| matrix(t)).collect::<Result<Vec<_>>>()?;
    let (rows, cols) = (grids[0].len(), grids[0][0].len());
    ensure!(grids.iter().all(|g| g.len() == rows && g[0].len() == cols), "all panels need the same shape");
    ensure!(rows <= 128 && cols <= 128, "a grid shows at most 128 × 128 cells, got {rows} × {cols}");
    let integers = panels.iter().all(|(t, _)| !t.is_floating_point());
    let (lo, hi) = grids.iter().flatten().flatten().fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    // Values in the cells when they fit: integers always, decimals (two of them) only in a panel
    // whose smallest non-zero value still reads as more than 0.00.
    let show_values = cols <= 16;
    let panel_shows_values: Vec<bool> = grids
        .iter()
        .map(|g| {
            let smallest = g.iter().flatten().filter(|v| **v != 0.0).fold(f64::MAX, |m, v| m.min(v.abs()));
            show_values && (integers || smallest >= 0.005)
        })
        .collect();
    let cell = if show_values { 30 } else { (320 / cols.max(rows)).clamp(3, 30) as i32 };
    let (left, top, gap) = (56, 56, 36);
    let panel_w = cell * cols as i32;
    let panel_h = cell * rows as i32;
    let width = (left + panels.len() as i32 * (panel_w + gap) + 8).max(420);
    let height = top + panel_h + 56;
    let document = svg((width as u32, height as u32), |area| {
        let text = |s: &str, at: (i32, i32), size: f64, colour: RGBColor, h: HPos| {
            let style = FontDesc::new(FontFamily::SansSerif, size, FontStyle::Normal)
                .color(&colour)
                .pos(Pos::new(h, VPos::Center));
            area.draw(&Text::new(s.to_owned(), at, style)).map_err(drawing)
        };
        let bold = FontDesc::new(FontFamily::SansSerif, 17.0, FontStyle::Bold)
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new(title.to_owned(), (width / 2, 18), bold)).map_err(drawing)?;
        let step = |n: usize| if n <= 16 { 1 } else { n.div_ceil(8) };
        for (p, (grid, (_, name))) in grids.iter().zip(panels).enumerate() {
            let x0 = left + p as i32 * (panel_w + gap);
            text(name, (x0 + panel_w / 2, top - 20), 13.0, BLACK, HPos::Center)?;
            for (i, row) in grid.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    let (x, y) = (x0 + j as i32 * cell, top + i as i32 * cell);
                    area.draw(&Rectangle::new([(x, y), (x + cell, y + cell)], colour(v, lo, hi).filled()))
                        .map_err(drawing)?;
                    if panel_shows_values[p] {
                        let label = if integers { format!("{v:.0}") } else { format!("{v:.2}") };
                        let strong = (v - if lo < 0.0 { 0.0 } else { lo }).abs() > 0.6 * (hi - lo).abs().max(lo.abs());
                        text(
                            &label,
                            (x + cell / 2, y + cell / 2),
                            9.5,
                            if strong { WHITE } else { BLACK },
                            HPos::Center,
                        )?;
                    }
                }
            }
            for j in (0..cols).step_by(step(cols)) {
                text(&j.to_string(), (x0 + j as i32 * cell + cell / 2, top + panel_h + 10), 10.0, GREY, HPos::Center)?;
            }
            if p == 0 {
                for i in (0..rows).step_by(step(rows)) {
                    text(&i.to_string(), (x0 - 6, top + i as i32 * cell + cell / 2), 10.0, GREY, HPos::Right)?;
                }
            }
        }
        text("key position j", (left + panel_w / 2, top + panel_h + 30), 13.0, BLACK, HPos::Center)?;
        let up = FontDesc::new(FontFamily::SansSerif, 13.0, FontStyle::Normal)
            .transform(FontTransform::Rotate270)
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new("query position i".to_owned(), (14, top + panel_h / 2), up)).map_err(drawing)?;
        Ok(())
    })?;
    let names: Vec<&str> = panels.iter().map(|(_, name)| *name).collect();
    let range = if integers { format!("{lo:.0} to {hi:.0}") } else { format!("{lo:.4} to {hi:.4}") };
    Ok(Figure::new(
        document,
        format!(
            "[query × key grids: {title}, {} panel(s) ({}) of {rows} × {cols}, values from {range}]",
            panels.len(),
            names.join(", ")
        ),
    ))
}

/// One pair of coordinates of a RoPE-rotated vector at positions `0..n`, as points in the plane:
/// `points` is `[n, 2]` (column 0 = the pair's first coordinate, column 1 = its second), one
/// arrow from the origin per position, labelled with the position. A rotation keeps the length,
/// so the points lie on a circle, `angle_per_position` radians apart.
pub fn rope_rotation(points: &Tensor, title: &str) -> Result<Figure> {
    let values = matrix(points)?;
    ensure!(values[0].len() == 2, "a rotation picture needs [n, 2] points, got shape {:?}", points.size());
    let radius = values[0][0].hypot(values[0][1]);
    let r = values.iter().map(|p| p[0].hypot(p[1])).fold(0.0, f64::max).max(1e-6) * 1.25;
    let document = svg((480, 500), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 16).into_font().style(FontStyle::Bold))
            .margin(16)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(-r..r, -r..r)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .light_line_style(BLACK.mix(0.04))
            .bold_line_style(BLACK.mix(0.12))
            .x_desc("first coordinate of the pair")
            .y_desc("second coordinate of the pair")
            .label_style(("sans-serif", 11).into_font().color(&GREY))
            .axis_desc_style(("sans-serif", 13).into_font())
            .draw()
            .map_err(drawing)?;
        let circle: Vec<(f64, f64)> = (0..=120)
            .map(|k| {
                let a = k as f64 / 120.0 * std::f64::consts::TAU;
                (radius * a.cos(), radius * a.sin())
            })
            .collect();
        chart.draw_series(std::iter::once(PathElement::new(circle, BLACK.mix(0.25)))).map_err(drawing)?;
        for (m, p) in values.iter().enumerate() {
            let colour = Palette99::pick(m).to_rgba();
            chart
                .draw_series(std::iter::once(PathElement::new(vec![(0.0, 0.0), (p[0], p[1])], colour.stroke_width(2))))
                .map_err(drawing)?;
            chart.draw_series(std::iter::once(Circle::new((p[0], p[1]), 4, colour.filled()))).map_err(drawing)?;
            let style = ("sans-serif", 13).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(format!("m={m}"), (p[0] * 1.13, p[1] * 1.13), style)))
                .map_err(drawing)?;
        }
        Ok(())
    })?;
    Ok(Figure::new(
        document,
        format!("[RoPE rotation: {title}, {} positions on a circle of radius {radius:.4}]", values.len()),
    ))
}

/// Attention scores against the distance between query and key: one series per query
/// position, each a list of `(key_position - query_position, score)`. When the series lie on one
/// curve, the score depends only on the distance.
pub fn score_against_distance(series: &[(String, Vec<(f64, f64)>)], title: &str) -> Result<Figure> {
    ensure!(series.iter().any(|(_, s)| !s.is_empty()), "nothing to draw");
    let all = series.iter().flat_map(|(_, s)| s.iter());
    let (x0, x1, y0, y1) = all.fold((f64::MAX, f64::MIN, f64::MAX, f64::MIN), |(a, b, c, d), &(x, y)| {
        (a.min(x), b.max(x), c.min(y), d.max(y))
    });
    let pad = (y1 - y0).max(1e-6) * 0.08;
    let document = svg((640, 420), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 16).into_font().style(FontStyle::Bold))
            .margin(16)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .light_line_style(BLACK.mix(0.04))
            .bold_line_style(BLACK.mix(0.12))
            .x_desc("distance n − m (key position − query position)")
            .y_desc("score q·k")
            .label_style(("sans-serif", 11).into_font().color(&GREY))
            .axis_desc_style(("sans-serif", 13).into_font())
            .draw()
            .map_err(drawing)?;
        for (k, (name, points)) in series.iter().enumerate() {
            let colour = Palette99::pick(k).to_rgba();
            let size = 6 - (k as i32).min(4);
            chart
                .draw_series(std::iter::once(PathElement::new(points.clone(), colour.stroke_width(1))))
                .map_err(drawing)?
                .label(name.clone())
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.filled()));
            chart.draw_series(points.iter().map(|&p| Circle::new(p, size, colour.stroke_width(1)))).map_err(drawing)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 12))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(drawing)?;
        Ok(())
    })?;
    let count: usize = series.iter().map(|(_, s)| s.len()).sum();
    Ok(Figure::new(
        document,
        format!("[scores against distance: {title}, {} series, {count} points, distances {x0} to {x1}, scores {y0:.4} to {y1:.4}]", series.len()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn pictures_are_svg_with_a_description() {
        let buckets = crate::positional::t5_buckets(4, 4, false, 8, 16, Device::Cpu).unwrap();
        let grid = query_key_grids(&[(&buckets, "causal")], "T5 buckets").unwrap();
        assert!(grid.svg().starts_with("<svg"));
        assert_eq!(
            grid.description(),
            "[query × key grids: T5 buckets, 1 panel(s) (causal) of 4 × 4, values from 0 to 3]"
        );
        let points = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0]).view([2, 2]);
        assert!(rope_rotation(&points, "pair 0")
            .unwrap()
            .description()
            .contains("2 positions on a circle of radius 1.0000"));
        let series = vec![("m = 0".to_owned(), vec![(0.0, 1.0), (1.0, 0.5)])];
        assert!(score_against_distance(&series, "scores").unwrap().svg().contains("<svg"));
        assert!(rope_rotation(&Tensor::zeros([2, 3], (Kind::Float, Device::Cpu)), "x").is_err());
    }
}
