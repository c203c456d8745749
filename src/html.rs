//! Tensors as HTML tables for Jupyter (evcxr), next to the PyTorch text.
//!
//! A row per token id (or per position), a column per embedding dimension, each cell shaded
//! by its value: red for positive, blue for negative. The numbers are the same strings
//! PyTorch's `print` shows.

use anyhow::Result;
use tch::Tensor;

use crate::printing::element_strings;

/// An HTML table of a 1-D or 2-D tensor with at most 1000 elements; `None` for anything else.
pub fn tensor_table(tensor: &Tensor) -> Result<Option<String>> {
    let (rows, cols) = match tensor.size()[..] {
        [n] => (1, n as usize),
        [r, c] => (r as usize, c as usize),
        _ => return Ok(None),
    };
    let Some(cells) = element_strings(tensor)? else { return Ok(None) };
    let values: Vec<f64> = cells.iter().map(|c| c.trim_end_matches('.').parse().unwrap_or(0.0)).collect();
    let scale = values.iter().fold(0.0f64, |m, v| if v.is_finite() { m.max(v.abs()) } else { m });

    let mut html = String::from("<table style=\"border-collapse:collapse;font-family:monospace\">\n<tr><th></th>");
    for col in 0..cols {
        html.push_str(&format!("<th style=\"padding:2px 6px;color:#666\">{col}</th>"));
    }
    html.push_str("</tr>\n");
    for row in 0..rows {
        html.push_str(&format!("<tr><th style=\"padding:2px 6px;color:#666\">{row}</th>"));
        for col in 0..cols {
            let i = row * cols + col;
            html.push_str(&format!(
                "<td style=\"padding:2px 6px;text-align:right;background:{}\">{}</td>",
                shade(values[i], scale),
                escape(&cells[i])
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
