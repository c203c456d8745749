//! Pictures for the notebooks (feature `plots`): heat maps of embedding weights, the 3-D points
//! of a small embedding, the sliding windows of a dataset, and token + position = input.
//!
//! Everything is drawn with plotters' SVG backend only. Its text becomes SVG `<text>` elements
//! that the browser renders, so neither a system font nor a font crate is needed (plotters'
//! `ttf` feature stays off; layout uses its built-in estimate of text widths).
//!
//! Each `*_svg` function returns the SVG document; the function without `_svg` wraps it in a
//! [`Figure`], which an evcxr notebook shows as a picture (the last expression of a cell).
//!
//! ```
//! use token_embeddings::{embedding::Embedding, plots, random::manual_seed};
//! manual_seed(123);
//! let layer = Embedding::new(6, 3)?;
//! let figure = plots::heatmap(layer.weight(), "Embedding(6, 3) weights", "token id")?;
//! assert!(figure.svg().starts_with("<svg"));
//! assert_eq!(figure.to_string(), "[heat map: Embedding(6, 3) weights, 6 rows × 3 columns, values from -2.8400 to 1.5810]");
//! # anyhow::Ok(())
//! ```

use std::fmt;

use anyhow::{anyhow, ensure, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;
use tch::{Device, Kind, Tensor};

use crate::html::escape;
use crate::printing::element_strings;

/// A picture for a notebook: an SVG document and a one-line description of it.
///
/// In evcxr, a cell whose last expression is a `Figure` shows the picture (`text/html`: an
/// `<img>` of the SVG, which JupyterLab also shows in a notebook it does not trust) and keeps
/// the description as the `text/plain` part, which is what a diff or a test reads.
#[derive(Clone, PartialEq, Eq)]
pub struct Figure {
    svg: String,
    description: String,
}

impl Figure {
    /// Wraps an SVG document and its description.
    pub fn new(svg: String, description: impl Into<String>) -> Self {
        Self { svg, description: description.into() }
    }

    /// The SVG document.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The one-line description (what `text/plain` and `Display` show).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The picture as HTML: an `<img>` whose source is the SVG as a base64 data URI.
    pub fn html(&self) -> String {
        format!(
            "<img src=\"data:image/svg+xml;base64,{}\" alt=\"{}\"/>",
            base64(self.svg.as_bytes()),
            escape(&self.description)
        )
    }

    /// Writes the SVG document to a file.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, &self.svg).with_context(|| format!("writing the picture to {}", path.display()))
    }

    /// Called by the evcxr Jupyter kernel to show the figure.
    pub fn evcxr_display(&self) {
        crate::html::emit(&[("text/plain", &self.description), ("text/html", &self.html())]);
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

impl fmt::Debug for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

/// A heat map of a 2-D tensor (at most 64 rows and 16384 elements): one cell per element,
/// red for positive values, blue for negative ones, white for zero, on one scale symmetric
/// around zero. Up to 12 columns, each cell also shows its value as PyTorch prints it.
/// Rows are labelled `0, 1, …` and named `row_axis` (e.g. `"token id"`); columns are the
/// embedding dimensions.
pub fn heatmap_svg(tensor: &Tensor, title: &str, row_axis: &str) -> Result<String> {
    let values = matrix(tensor)?;
    let (rows, cols) = (values.len(), values[0].len());
    ensure!(rows <= 64 && rows * cols <= 16384, "a heat map shows at most 64 rows and 16384 values, got {rows}×{cols}");
    let show_values = cols <= 12;
    let texts = if show_values { element_strings(tensor)? } else { None };
    let scale = max_abs(values.iter().flatten());

    let (cell_w, cell_h) = if show_values { (64, 26) } else { ((768 / cols).clamp(2, 48) as i32, 26) };
    let (left, top) = (76, 44);
    let grid_w = cell_w * cols as i32;
    let grid_h = cell_h * rows as i32;
    let width = (left + grid_w + 24).max(440);
    let height = top + grid_h + 100;

    let svg = draw_svg((width as u32, height as u32), |area| {
        Label::new(17.0).bold().draw(area, title, (width / 2, 18))?;
        for (r, row) in values.iter().enumerate() {
            let y = top + r as i32 * cell_h;
            Label::new(12.0).right().grey().draw(area, &r.to_string(), (left - 8, y + cell_h / 2))?;
            for (c, &v) in row.iter().enumerate() {
                let x = left + c as i32 * cell_w;
                fill(area, [(x, y), (x + cell_w, y + cell_h)], shade(v, scale))?;
                if let Some(texts) = &texts {
                    let color = if v.abs() > 0.6 * scale { WHITE } else { BLACK };
                    Label::new(12.0).color(color).draw(area, &texts[r * cols + c], (x + cell_w / 2, y + cell_h / 2))?;
                }
            }
        }
        if show_values {
            frame(area, [(left, top), (left + grid_w, top + grid_h)])?;
        }
        // Column indices under the grid: every column when they are few, else every `step`.
        let step = if show_values { 1 } else { nice_step(cols) };
        for c in (0..cols).step_by(step) {
            let x = left + c as i32 * cell_w + cell_w / 2;
            area.draw(&PathElement::new(vec![(x, top + grid_h), (x, top + grid_h + 4)], GREY_TEXT)).map_err(drawing)?;
            Label::new(11.0).grey().draw(area, &c.to_string(), (x, top + grid_h + 13))?;
        }
        Label::new(13.0).draw(area, "embedding dimension", (left + grid_w / 2, top + grid_h + 32))?;
        Label::new(13.0).draw_upwards(area, row_axis, (16, top + grid_h / 2))?;
        colour_bar(area, (width / 2 - 110, top + grid_h + 50), 220, scale)
    })?;
    Ok(svg)
}

/// [`heatmap_svg`] as a [`Figure`], described by its title, shape and value range.
pub fn heatmap(tensor: &Tensor, title: &str, row_axis: &str) -> Result<Figure> {
    let svg = heatmap_svg(tensor, title, row_axis)?;
    let values = matrix(tensor)?;
    let (min, max) = min_max(values.iter().flatten());
    let description = format!(
        "[heat map: {title}, {} rows × {} columns, values from {min:.4} to {max:.4}]",
        values.len(),
        values[0].len()
    );
    Ok(Figure::new(svg, description))
}

/// The rows of an `n × 3` tensor as points in 3-D (x = dimension 0, y = dimension 1,
/// z = dimension 2 drawn upwards), each with its label, a drop line to the floor to show its
/// height, and the same cube range on all three axes so distances compare.
pub fn points3d_svg(points: &Tensor, labels: &[String], title: &str) -> Result<String> {
    let values = matrix(points)?;
    ensure!(values[0].len() == 3, "3-D points need a tensor with 3 columns, got shape {:?}", points.size());
    ensure!(labels.len() == values.len(), "{} labels for {} points", labels.len(), values.len());
    let r = max_abs(values.iter().flatten()).ceil().max(1.0);

    draw_svg((560, 480), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 17).into_font().style(FontStyle::Bold))
            .margin(16)
            .build_cartesian_3d(-r..r, -r..r, -r..r)
            .map_err(drawing)?;
        chart.with_projection(|mut p| {
            p.yaw = 0.6;
            p.pitch = 0.25;
            p.scale = 0.8;
            p.into_matrix()
        });
        let whole = |v: &f64| format!("{v:.0}");
        chart
            .configure_axes()
            .light_grid_style(BLACK.mix(0.06))
            .bold_grid_style(BLACK.mix(0.15))
            .max_light_lines(1)
            .x_labels(2 * r as usize + 1)
            .y_labels(2 * r as usize + 1)
            .z_labels(2 * r as usize + 1)
            .x_formatter(&whole)
            .y_formatter(&whole)
            .z_formatter(&whole)
            .label_style(("sans-serif", 11).into_font().color(&GREY_TEXT))
            .draw()
            .map_err(drawing)?;
        // plotters' y axis is the vertical one: embedding dimension 2 goes there.
        let at = |p: &[f64]| (p[0], p[2], p[1]);
        chart
            .draw_series(
                values.iter().map(|p| PathElement::new(vec![at(p), (p[0], -r, p[1])], BLACK.mix(0.35).stroke_width(1))),
            )
            .map_err(drawing)?;
        chart
            .draw_series(values.iter().map(|p| Circle::new((p[0], -r, p[1]), 2, BLACK.mix(0.35).filled())))
            .map_err(drawing)?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, p)| Circle::new(at(p), 6, Palette99::pick(i).filled())))
            .map_err(drawing)?;
        chart
            .draw_series(values.iter().zip(labels).map(|(p, label)| {
                let style = ("sans-serif", 14).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Bottom));
                Text::new(format!("  {label}"), at(p), style)
            }))
            .map_err(drawing)?;
        // Axis names beside the edges that carry each axis' numbers.
        for (name, p) in [("dim 0", (0.0, -r, r * 1.45)), ("dim 1", (r * 1.45, -r, 0.0)), ("dim 2", (-r, r * 1.12, r))]
        {
            let style = ("sans-serif", 13).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center));
            chart.draw_series(std::iter::once(Text::new(name, p, style))).map_err(drawing)?;
        }
        Ok(())
    })
}

/// [`points3d_svg`] as a [`Figure`].
pub fn points3d(points: &Tensor, labels: &[String], title: &str) -> Result<Figure> {
    let svg = points3d_svg(points, labels, title)?;
    Ok(Figure::new(svg, format!("[3-D points: {title}, {} points: {}]", labels.len(), labels.join(", "))))
}

/// How a sliding window cuts a token sequence into inputs and targets: the tokens in a row on
/// top (their `ids`, with their `texts` above them if given), then for each of the first
/// `windows` windows its input `x` (blue: `max_length` ids from `k * stride`) and under it its
/// target `y` (orange: the same shifted by one). `ids` must cover every window drawn.
pub fn sliding_windows_svg(
    ids: &[i64],
    texts: &[String],
    max_length: usize,
    stride: usize,
    windows: usize,
) -> Result<String> {
    ensure!(max_length > 0 && stride > 0 && windows > 0, "max_length, stride and windows must be at least 1");
    let needed = (windows - 1) * stride + max_length + 1;
    ensure!(
        ids.len() >= needed,
        "{windows} windows of {max_length} with stride {stride} need {needed} tokens, got {}",
        ids.len()
    );
    ensure!(texts.is_empty() || texts.len() == ids.len(), "{} texts for {} ids", texts.len(), ids.len());
    let (box_w, box_h, gap) = (62, 24, 4);
    let left = 96;
    let width = left + box_w * ids.len() as i32 + 16;
    let top = if texts.is_empty() { 44 } else { 64 };
    let row_h = 2 * box_h + gap + 14;
    let height = top + box_h + 16 + windows as i32 * row_h;
    let blue = RGBColor(198, 219, 239);
    let orange = RGBColor(253, 208, 162);
    let title = format!("max_length = {max_length}, stride = {stride}");

    draw_svg((width as u32, height as u32), |area| {
        Label::new(16.0).bold().draw(area, &title, (width / 2, 16))?;
        let cell = |area: &Area, i: usize, y: i32, color: RGBColor| -> Result<()> {
            let x = left + i as i32 * box_w;
            let corners = [(x + 1, y), (x + box_w - 1, y + box_h)];
            fill(area, corners, color)?;
            frame(area, corners)?;
            Label::new(12.0).draw(area, &ids[i].to_string(), (x + box_w / 2, y + box_h / 2))
        };
        Label::new(12.0).right().grey().draw(area, "token ids", (left - 8, top + box_h / 2))?;
        if !texts.is_empty() {
            Label::new(12.0).right().grey().draw(area, "text", (left - 8, top - 12))?;
        }
        for i in 0..ids.len() {
            cell(area, i, top, WHITE)?;
            if let Some(t) = texts.get(i) {
                // A leading space is part of a GPT-2 token: show it as a visible dot.
                let shown = t.replace(' ', "\u{b7}");
                Label::new(12.0).draw(area, &shown, (left + i as i32 * box_w + box_w / 2, top - 12))?;
            }
        }
        for k in 0..windows {
            let y = top + box_h + 16 + k as i32 * row_h;
            let start = k * stride;
            Label::new(12.0).right().grey().draw(area, &format!("window {k}: x"), (left - 8, y + box_h / 2))?;
            Label::new(12.0).right().grey().draw(area, "y", (left - 8, y + box_h + gap + box_h / 2))?;
            for i in start..start + max_length {
                cell(area, i, y, blue)?;
                cell(area, i + 1, y + box_h + gap, orange)?;
            }
        }
        Ok(())
    })
}

/// [`sliding_windows_svg`] as a [`Figure`].
pub fn sliding_windows(
    ids: &[i64],
    texts: &[String],
    max_length: usize,
    stride: usize,
    windows: usize,
) -> Result<Figure> {
    let svg = sliding_windows_svg(ids, texts, max_length, stride, windows)?;
    Ok(Figure::new(
        svg,
        format!(
            "[sliding windows: max_length={max_length}, stride={stride}, the first {windows} windows over {} tokens]",
            ids.len()
        ),
    ))
}

/// The book's picture of section 2.8 with real numbers: one sequence's token embeddings
/// `[seq, dim]`, plus the positional embeddings `[seq, dim]`, equals the input embeddings
/// `[seq, dim]`. Shows the first `columns` dimensions of each (with their values) and `…` for
/// the rest, all three on one colour scale. `row_labels` name the tokens of the sequence.
pub fn token_position_sum_svg(
    token_embeddings: &Tensor,
    pos_embeddings: &Tensor,
    input_embeddings: &Tensor,
    row_labels: &[String],
    columns: usize,
) -> Result<String> {
    let panels = [matrix(token_embeddings)?, matrix(pos_embeddings)?, matrix(input_embeddings)?];
    let (rows, dim) = (panels[0].len(), panels[0][0].len());
    ensure!(
        panels.iter().all(|p| p.len() == rows && p[0].len() == dim),
        "token, positional and input embeddings must have the same [seq, dim] shape, got {:?}, {:?} and {:?}",
        token_embeddings.size(),
        pos_embeddings.size(),
        input_embeddings.size()
    );
    ensure!(row_labels.len() == rows, "{} row labels for {rows} rows", row_labels.len());
    ensure!((1..=12).contains(&columns), "show between 1 and 12 columns, not {columns}");
    let shown = columns.min(dim);
    let more = dim > shown;
    let texts = panels
        .iter()
        .map(|p| {
            let cut: Vec<f32> = p.iter().flat_map(|row| row[..shown].iter().map(|&v| v as f32)).collect();
            element_strings(&Tensor::from_slice(&cut).reshape([rows as i64, shown as i64]))
                .map(|cells| cells.expect("at most 12 × 64 values"))
        })
        .collect::<Result<Vec<_>>>()?;
    let scale = max_abs(panels.iter().flat_map(|p| p.iter().flat_map(|row| row[..shown].iter())));

    let (cell_w, cell_h) = (58, 26);
    let panel_w = cell_w * shown as i32 + if more { 22 } else { 0 };
    let (label_w, op_w, top) = (96, 40, 52);
    let width = label_w + 3 * panel_w + 2 * op_w + 20;
    let grid_h = cell_h * rows as i32;
    let height = top + grid_h + 96;
    let names = ["token embeddings", "positional embeddings", "input embeddings"];

    draw_svg((width as u32, height as u32), |area| {
        for (i, row) in row_labels.iter().enumerate() {
            Label::new(12.0).right().draw(area, row, (label_w - 8, top + i as i32 * cell_h + cell_h / 2))?;
        }
        for (p, panel) in panels.iter().enumerate() {
            let x0 = label_w + p as i32 * (panel_w + op_w);
            Label::new(14.0).bold().draw(area, names[p], (x0 + panel_w / 2, 18))?;
            let caption = if p == 1 { "position 0, 1, …" } else { "one row per token" };
            Label::new(11.0).grey().draw(area, caption, (x0 + panel_w / 2, 36))?;
            for (r, row) in panel.iter().enumerate() {
                let y = top + r as i32 * cell_h;
                for (c, &v) in row[..shown].iter().enumerate() {
                    let x = x0 + c as i32 * cell_w;
                    fill(area, [(x, y), (x + cell_w, y + cell_h)], shade(v, scale))?;
                    let color = if v.abs() > 0.6 * scale { WHITE } else { BLACK };
                    Label::new(11.0).color(color).draw(
                        area,
                        &texts[p][r * shown + c],
                        (x + cell_w / 2, y + cell_h / 2),
                    )?;
                }
                if more {
                    Label::new(13.0).grey().draw(area, "…", (x0 + panel_w - 10, y + cell_h / 2))?;
                }
            }
            let grid = [(x0, top), (x0 + cell_w * shown as i32, top + grid_h)];
            frame(area, grid)?;
            if p < 2 {
                let sign = if p == 0 { "+" } else { "=" };
                Label::new(30.0).bold().draw(area, sign, (x0 + panel_w + op_w / 2, top + grid_h / 2))?;
            }
        }
        let note = format!("first {shown} of {dim} dimensions shown");
        Label::new(12.0).grey().draw(area, &note, (width / 2, top + grid_h + 20))?;
        colour_bar(area, (width / 2 - 110, top + grid_h + 40), 220, scale)
    })
}

/// [`token_position_sum_svg`] as a [`Figure`].
pub fn token_position_sum(
    token_embeddings: &Tensor,
    pos_embeddings: &Tensor,
    input_embeddings: &Tensor,
    row_labels: &[String],
    columns: usize,
) -> Result<Figure> {
    let svg = token_position_sum_svg(token_embeddings, pos_embeddings, input_embeddings, row_labels, columns)?;
    let [rows, dim] = token_embeddings.size()[..] else { unreachable!("checked to be 2-D above") };
    Ok(Figure::new(
        svg,
        format!(
            "[diagram: token embeddings + positional embeddings = input embeddings, {rows} tokens, first {} of {dim} dimensions]",
            columns.min(dim as usize)
        ),
    ))
}

// ---------------------------------------------------------------------------------------------

pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

const GREY_TEXT: RGBColor = RGBColor(90, 90, 90);
const GRID_LINE: RGBColor = RGBColor(160, 160, 160);

pub(crate) fn drawing<E: fmt::Debug>(err: E) -> anyhow::Error {
    anyhow!("drawing the picture: {err:?}")
}

/// Draws on a white SVG canvas of `size` pixels and returns the document.
pub(crate) fn draw_svg(size: (u32, u32), draw: impl FnOnce(&Area) -> Result<()>) -> Result<String> {
    let mut buffer = String::new();
    {
        let area = SVGBackend::with_string(&mut buffer, size).into_drawing_area();
        area.fill(&WHITE).map_err(drawing)?;
        draw(&area)?;
        area.present().map_err(drawing)?;
    }
    Ok(buffer)
}

/// How a piece of text is drawn: size, alignment around its point, colour, weight.
#[derive(Clone, Copy)]
struct Label {
    size: f64,
    align: HPos,
    color: RGBColor,
    bold: bool,
}

impl Label {
    /// Centred black text of this size.
    const fn new(size: f64) -> Self {
        Self { size, align: HPos::Center, color: BLACK, bold: false }
    }
    const fn right(self) -> Self {
        Self { align: HPos::Right, ..self }
    }
    const fn left(self) -> Self {
        Self { align: HPos::Left, ..self }
    }
    const fn grey(self) -> Self {
        Self { color: GREY_TEXT, ..self }
    }
    const fn bold(self) -> Self {
        Self { bold: true, ..self }
    }
    const fn color(self, color: RGBColor) -> Self {
        Self { color, ..self }
    }

    fn font(&self) -> FontDesc<'static> {
        let style = if self.bold { FontStyle::Bold } else { FontStyle::Normal };
        FontDesc::new(FontFamily::SansSerif, self.size, style)
    }

    /// Draws `s` with its vertical centre at `at`.
    fn draw(self, area: &Area, s: &str, at: (i32, i32)) -> Result<()> {
        let style = self.font().color(&self.color).pos(Pos::new(self.align, VPos::Center));
        area.draw(&Text::new(s.to_owned(), at, style)).map_err(drawing)
    }

    /// Draws `s` turned a quarter to the left (reading upwards), centred at `at`.
    fn draw_upwards(self, area: &Area, s: &str, at: (i32, i32)) -> Result<()> {
        let style = self
            .font()
            .transform(FontTransform::Rotate270)
            .color(&self.color)
            .pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new(s.to_owned(), at, style)).map_err(drawing)
    }
}

/// A filled rectangle between two corners.
fn fill(area: &Area, corners: [(i32, i32); 2], color: RGBColor) -> Result<()> {
    area.draw(&Rectangle::new(corners, color.filled())).map_err(drawing)
}

/// A thin grey frame between two corners.
fn frame(area: &Area, corners: [(i32, i32); 2]) -> Result<()> {
    area.draw(&Rectangle::new(corners, GRID_LINE.stroke_width(1))).map_err(drawing)
}

/// A horizontal bar from -scale (blue) through 0 (white) to +scale (red), labelled.
fn colour_bar(area: &Area, (x, y): (i32, i32), width: i32, scale: f64) -> Result<()> {
    let steps = 44;
    let step_w = width / steps;
    for i in 0..steps {
        let v = scale * (2.0 * (i as f64 + 0.5) / steps as f64 - 1.0);
        let x0 = x + i * step_w;
        fill(area, [(x0, y), (x0 + step_w, y + 12)], shade(v, scale))?;
    }
    let end = x + steps * step_w;
    frame(area, [(x, y), (end, y + 12)])?;
    Label::new(11.0).right().grey().draw(area, &format!("{:.2}", -scale), (x - 6, y + 6))?;
    Label::new(11.0).left().grey().draw(area, &format!("{scale:.2}"), (end + 6, y + 6))?;
    Label::new(11.0).grey().draw(area, "0", ((x + end) / 2, y + 22))
}

/// Blue for negative, white for zero, red for positive; full colour at |value| = scale.
fn shade(value: f64, scale: f64) -> RGBColor {
    let t = if scale > 0.0 && value.is_finite() { (value / scale).clamp(-1.0, 1.0) } else { 0.0 };
    let (r, g, b) = if t >= 0.0 { (178.0, 24.0, 43.0) } else { (33.0, 102.0, 172.0) };
    let mix = |full: f64| (255.0 + (full - 255.0) * t.abs()).round() as u8;
    RGBColor(mix(r), mix(g), mix(b))
}

/// The values of a 2-D tensor, row by row (read on the CPU as f64, without gradients).
/// A non-empty 2-D tensor's values as rows of f64, on the CPU.
pub(crate) fn matrix(tensor: &Tensor) -> Result<Vec<Vec<f64>>> {
    ensure!(tensor.dim() == 2, "a picture needs a 2-D tensor, got shape {:?}", tensor.size());
    ensure!(tensor.numel() > 0, "a picture needs a non-empty tensor, got shape {:?}", tensor.size());
    let values = tensor.detach().f_to_device(Device::Cpu)?.f_to_kind(Kind::Double)?;
    Vec::<Vec<f64>>::try_from(&values).context("reading the tensor's values")
}

fn max_abs<'a>(values: impl Iterator<Item = &'a f64>) -> f64 {
    values.filter(|v| v.is_finite()).fold(0.0, |m, v| m.max(v.abs()))
}

fn min_max<'a>(values: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

/// The smallest power of two that labels at most 9 of `n` columns (embedding sizes are
/// powers of two or multiples of one, so the ticks land on round dimensions: 0, 32, 64, …).
fn nice_step(n: usize) -> usize {
    let mut step = 1;
    while n.div_ceil(step) > 9 {
        step *= 2;
    }
    step
}

/// Standard base64 with padding (RFC 4648), for the `<img>` data URI.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What byte-pair merges learn: the length (in characters) of the token each merge makes,
/// against the merge's number, one dot per merge (the book's BPE from scratch, notebook 6).
pub fn merge_lengths_svg(lengths: &[usize], title: &str) -> Result<String> {
    ensure!(!lengths.is_empty(), "a picture of merges needs at least one merge");
    let max_len = lengths.iter().copied().max().unwrap_or(1) as u32 + 1;
    draw_svg((720, 360), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0u32..lengths.len() as u32, 0u32..max_len)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .x_desc("merge number")
            .y_desc("token length (characters)")
            .light_line_style(BLACK.mix(0.05))
            .label_style(("sans-serif", 11).into_font().color(&GREY_TEXT))
            .draw()
            .map_err(drawing)?;
        chart
            .draw_series(
                lengths
                    .iter()
                    .enumerate()
                    .map(|(i, &n)| Circle::new((i as u32, n as u32), 2, RGBColor(33, 102, 172).mix(0.6).filled())),
            )
            .map_err(drawing)?;
        Ok(())
    })
}

/// [`merge_lengths_svg`] as a [`Figure`].
pub fn merge_lengths(lengths: &[usize], title: &str) -> Result<Figure> {
    let svg = merge_lengths_svg(lengths, title)?;
    let longest = lengths.iter().copied().max().unwrap_or(0);
    Ok(Figure::new(
        svg,
        format!("[merge lengths: {title}, {} merges, longest token {longest} characters]", lengths.len()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::manual_seed;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn shades_run_from_blue_through_white_to_red() {
        assert_eq!(shade(0.0, 2.0), RGBColor(255, 255, 255));
        assert_eq!(shade(2.0, 2.0), RGBColor(178, 24, 43));
        assert_eq!(shade(-2.0, 2.0), RGBColor(33, 102, 172));
    }

    #[test]
    fn heat_map_shows_the_printed_values() {
        manual_seed(123);
        let layer = crate::embedding::Embedding::new(6, 3).unwrap();
        let svg = heatmap_svg(layer.weight(), "weights", "token id").unwrap();
        assert!(svg.contains(">\n-2.8400\n</text>") && svg.contains(">\n0.3374\n</text>"), "{svg}");
        // Wide tensors drop the numbers and label every few columns.
        let wide = Tensor::zeros([4, 256], (Kind::Float, Device::Cpu));
        let svg = heatmap_svg(&wide, "positions", "position").unwrap();
        assert!(svg.contains(">\n224\n</text>") && !svg.contains(">\n0.\n</text>"));
        assert!(heatmap_svg(&Tensor::zeros([2, 2, 2], (Kind::Float, Device::Cpu)), "", "").is_err());
    }

    #[test]
    fn figure_html_is_an_image() {
        let figure = Figure::new("<svg/>".to_owned(), "a <b> & \"c\"");
        assert_eq!(
            figure.html(),
            "<img src=\"data:image/svg+xml;base64,PHN2Zy8+\" alt=\"a &lt;b&gt; &amp; &quot;c&quot;\"/>"
        );
        assert_eq!(figure.to_string(), "a <b> & \"c\"");
    }

    #[test]
    fn diagram_and_windows_check_their_inputs() {
        let t = Tensor::ones([4, 8], (Kind::Float, Device::Cpu));
        let labels: Vec<String> = (0..4).map(|i| format!("t{i}")).collect();
        assert!(token_position_sum_svg(&t, &t, &(&t + &t), &labels, 4).is_ok());
        assert!(token_position_sum_svg(&t, &t.narrow(0, 0, 3), &t, &labels, 4).is_err());
        let ids: Vec<i64> = (0..9).collect();
        assert!(sliding_windows_svg(&ids, &[], 4, 4, 2).is_ok());
        assert!(sliding_windows_svg(&ids, &[], 4, 4, 3).is_err());
        assert!(sliding_windows_svg(&ids, &["a".to_owned()], 4, 4, 2).is_err());
        let points = Tensor::from_slice(&[0.5f32, -1.0, 2.0, 1.0, 0.0, -0.5]).reshape([2, 3]);
        let names = vec!["a".to_owned(), "b".to_owned()];
        assert!(points3d_svg(&points, &names, "two points").unwrap().contains(">\n  a\n</text>"));
    }
}
