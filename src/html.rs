//! Tensors as HTML tables for Jupyter (evcxr), next to the PyTorch text.
//!
//! A row per token id (or per position), a column per embedding dimension, each cell shaded
//! by its value: red for positive, blue for negative. The numbers are the same strings
//! PyTorch's `print` shows, under the same print options, and a tensor that `print` summarises
//! is summarised the same way: its edge rows and columns, with a `...` row and column between.

use anyhow::Result;
use tch::Tensor;

use crate::printing::{get_printoptions, shown_cells, PrintOptions};

/// An HTML table of a non-empty 1-D or 2-D tensor under the current print options; `None` for
/// anything else.
pub fn tensor_table(tensor: &Tensor) -> Result<Option<String>> {
    tensor_table_with(tensor, &get_printoptions())
}

/// [`tensor_table`] under the given print options. `None` also when the options show no element
/// (a summarised tensor with `edgeitems` 0).
pub fn tensor_table_with(tensor: &Tensor, options: &PrintOptions) -> Result<Option<String>> {
    if !matches!(tensor.dim(), 1 | 2) || tensor.numel() == 0 {
        return Ok(None);
    }
    let summarize = tensor.numel() as f64 > options.threshold;
    if summarize && options.edgeitems == 0 {
        return Ok(None);
    }
    let shown = shown_cells(tensor, options)?;
    let edges = shown.shown();
    // Entries in print order: the index in the tensor and the position among the fetched ones;
    // `None` is the `...` between the edges.
    let labelled = |dim: usize| -> Vec<Option<(i64, usize)>> {
        let indices = edges.indices(dim);
        edges.entries(dim).into_iter().map(|e| e.map(|pos| (indices[pos], pos))).collect()
    };
    let (rows, cols) =
        if shown.shape.len() == 1 { (vec![Some((0, 0))], labelled(0)) } else { (labelled(0), labelled(1)) };
    let fetched_cols = if shown.shape.len() == 1 { edges.indices(0).len() } else { edges.indices(1).len() };
    let scale = (0..shown.values.len()).filter_map(|i| shown.values.real(i)).fold(0.0f64, |m, v| {
        if v.is_finite() {
            m.max(v.abs())
        } else {
            m
        }
    });

    let mut html = String::from("<table style=\"border-collapse:collapse;font-family:monospace\">\n<tr><th></th>");
    for col in &cols {
        let label = col.map_or("...".to_owned(), |(index, _)| index.to_string());
        html.push_str(&format!("<th style=\"padding:2px 6px;color:#666\">{label}</th>"));
    }
    html.push_str("</tr>\n");
    for row in &rows {
        let label = row.map_or("...".to_owned(), |(index, _)| index.to_string());
        html.push_str(&format!("<tr><th style=\"padding:2px 6px;color:#666\">{label}</th>"));
        for col in &cols {
            let (text, shade) = match (row, col) {
                (Some((_, r)), Some((_, c))) => {
                    let i = r * fetched_cols + c;
                    (
                        shown.cells[i].trim_start().to_owned(),
                        shown.values.real(i).map_or("transparent".to_owned(), |v| shade(v, scale)),
                    )
                }
                _ => ("...".to_owned(), "transparent".to_owned()),
            };
            html.push_str(&format!(
                "<td style=\"padding:2px 6px;text-align:right;background:{shade}\">{}</td>",
                escape(&text)
            ));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>");
    Ok(Some(html))
}

/// Writes a display for the evcxr kernel: the PyTorch text as `text/plain` (what a diff or a
/// terminal shows) and, as `text/html` (what JupyterLab shows, one representation per output),
/// the same text followed by the table.
pub fn emit_display(text: &str, html: &str) {
    let html = format!("<pre>{}</pre>\n{html}", escape(text));
    emit(&[("text/plain", text), ("text/html", &html)]);
}

/// Writes one evcxr display of a value in several representations (`(mime type, content)`
/// pairs): the kernel collects them into one output, and the notebook shows the richest one
/// it can. Called from a type's `evcxr_display`; a cell keeps one display per mime type.
pub fn emit(parts: &[(&str, &str)]) {
    let mut out = String::new();
    for (mime, content) in parts {
        out.push_str(&format!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT\n"));
    }
    // One write, so that nothing else the cell prints can land between the markers.
    print!("{out}");
}

fn shade(value: f64, scale: f64) -> String {
    if !value.is_finite() || scale == 0.0 {
        return "transparent".to_owned();
    }
    let alpha = (value.abs() / scale * 0.6).min(0.6);
    if value >= 0.0 {
        format!("rgba(214,39,40,{alpha:.2})")
    } else {
        format!("rgba(31,119,180,{alpha:.2})")
    }
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A text coloured by token, as tokenizer playgrounds show it: one `<span>` per token (its id in
/// the tooltip), background colours cycling so that neighbours differ; spaces and line breaks kept.
/// `pieces` are (id, decoded text) pairs in order.
pub fn token_spans(pieces: &[(u32, String)]) -> String {
    const COLOURS: [&str; 6] = ["#fde2b3", "#c9e7f8", "#d5f0c8", "#f6cfe0", "#e1d7f5", "#fff3a8"];
    let mut html = String::from("<div style=\"font-family:monospace;white-space:pre-wrap;line-height:1.8\">");
    for (i, (id, piece)) in pieces.iter().enumerate() {
        html.push_str(&format!(
            "<span title=\"{id}\" style=\"background:{};border-radius:3px;padding:1px 0\">{}</span>",
            COLOURS[i % COLOURS.len()],
            escape(piece)
        ));
    }
    html.push_str("</div>");
    html
}

#[cfg(test)]
mod tests {
    use tch::{Device, Kind};

    use super::*;
    use crate::printing::tensor_repr_with;

    /// The cell texts of a table, row by row, without the header row and the row labels.
    fn cells(html: &str) -> Vec<Vec<String>> {
        html.lines()
            .skip(2)
            .filter(|line| line.starts_with("<tr>"))
            .map(|line| {
                line.split("<td")
                    .skip(1)
                    .map(|td| td[td.find('>').unwrap() + 1..td.find("</td>").unwrap()].to_owned())
                    .collect()
            })
            .collect()
    }

    /// The numbers and `...` of a printed tensor, in order.
    fn printed_items(text: &str) -> Vec<String> {
        let body = text.trim_start_matches("tensor(");
        let body = &body[..body.rfind(']').unwrap()];
        body.split(|c: char| c == '[' || c == ']' || c == ',' || c.is_whitespace())
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_summarised_tensor_shows_its_edges_as_print_does() {
        let t = Tensor::arange(2000, (Kind::Float, Device::Cpu)).reshape([40, 50]).f_div_scalar(7.0).unwrap();
        for options in
            [PrintOptions::DEFAULT, PrintOptions::SHORT, PrintOptions::DEFAULT.with_precision(1).with_edgeitems(1)]
        {
            let html = tensor_table_with(&t, &options).unwrap().unwrap();
            let rows = cells(&html);
            let edge = options.edgeitems;
            assert_eq!(rows.len(), 2 * edge + 1);
            assert!(rows[edge].iter().all(|c| c == "..."));
            // Row by row, the numbers are the printed ones, with one `...` between the edge columns.
            let flat: Vec<String> = rows.iter().filter(|r| r[0] != "...").flatten().cloned().collect();
            let printed = printed_items(&tensor_repr_with(&t, &options).unwrap());
            let printed: Vec<String> = printed.into_iter().filter(|item| item != "...").collect();
            let ours: Vec<String> = flat.into_iter().filter(|item| item != "...").collect();
            assert_eq!(ours, printed);
            let header = html.lines().nth(1).unwrap();
            assert!(header.contains(">49</th>") && header.contains(">...</th>") && !header.contains(">25</th>"));
        }
    }

    #[test]
    fn no_table_when_print_shows_no_element() {
        let t = Tensor::zeros([40, 50], (Kind::Float, Device::Cpu));
        assert!(tensor_table_with(&t, &PrintOptions::DEFAULT.with_edgeitems(0)).unwrap().is_none());
        assert!(tensor_table_with(&t, &PrintOptions::FULL).unwrap().unwrap().contains(">49</th>"));
        assert!(tensor_table_with(&t.reshape([2, 20, 50]), &PrintOptions::FULL).unwrap().is_none());
    }
}
