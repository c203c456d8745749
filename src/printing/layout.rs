//! The nesting of brackets over the formatted elements (`_tensor_str_with_formatter`, `_vector_str`)
//! and the suffixes after them (`_add_suffixes`).

use super::PrintOptions;

/// Which entries of a tensor are shown: all of them, or `edgeitems` at each end of every dimension
/// longer than `2 * edgeitems` when the tensor is summarised.
pub(crate) struct Shown<'a> {
    pub shape: &'a [i64],
    pub summarize: bool,
    pub edgeitems: usize,
}

impl Shown<'_> {
    /// Whether this dimension is cut to its edges.
    pub fn cut(&self, dim: usize) -> bool {
        // Any edgeitems (Python's are unbounded): twice more than an i64 cuts nothing.
        self.summarize && self.edgeitems.checked_mul(2).is_some_and(|both| (self.shape[dim] as u64 as usize) > both)
    }

    /// The indices of a dimension that are shown, in order (those the printer fetches).
    pub fn indices(&self, dim: usize) -> Vec<i64> {
        let size = self.shape[dim];
        if self.cut(dim) {
            let edge = self.edgeitems as i64;
            (0..edge).chain(size - edge..size).collect()
        } else {
            (0..size).collect()
        }
    }

    /// Entries of a dimension in print order, as positions among the shown indices; `None` stands
    /// for the `...` of a cut dimension.
    pub fn entries(&self, dim: usize) -> Vec<Option<usize>> {
        let edge = self.edgeitems;
        if self.cut(dim) {
            (0..edge).map(Some).chain([None]).chain((edge..2 * edge).map(Some)).collect()
        } else {
            (0..self.shape[dim] as usize).map(Some).collect()
        }
    }

    /// How many entries of a dimension were fetched.
    fn count(&self, dim: usize) -> usize {
        if self.cut(dim) {
            2 * self.edgeitems
        } else {
            self.shape[dim] as usize
        }
    }
}

/// Brackets around formatted cells: `cells` holds the shown elements in row-major order.
pub(crate) struct Layout<'a> {
    pub shown: Shown<'a>,
    /// Width of one element in a line (for how many fit), without the `, `.
    pub element_width: usize,
    pub cells: &'a [String],
    pub linewidth: usize,
}

impl Layout<'_> {
    fn stride(&self, dim: usize) -> usize {
        (dim + 1..self.shown.shape.len()).map(|d| self.shown.count(d)).product()
    }

    /// The bracketed body of a tensor whose first bracket stands at column `indent`.
    pub fn render(&self, dim: usize, offset: usize, indent: usize) -> String {
        let shape = self.shown.shape;
        if shape.is_empty() {
            return self.cells[0].clone();
        }
        if dim + 1 == shape.len() {
            return self.render_vector(dim, offset, indent);
        }
        let stride = self.stride(dim);
        let slices: Vec<String> = self
            .shown
            .entries(dim)
            .into_iter()
            .map(|entry| match entry {
                Some(i) => self.render(dim + 1, offset + i * stride, indent + 1),
                None => "...".to_owned(),
            })
            .collect();
        let blank_lines = "\n".repeat(shape.len() - dim - 1);
        let separator = format!(",{blank_lines}{}", " ".repeat(indent + 1));
        format!("[{}]", slices.join(&separator))
    }

    /// `_vector_str`: as many elements per line as fit in the line width after the indent.
    fn render_vector(&self, dim: usize, offset: usize, indent: usize) -> String {
        let element_length = (self.element_width + 2) as i64;
        // max(1, floor((linewidth - indent) / element_length)), with Python's floor division.
        let per_line = (self.linewidth as i64 - indent as i64).div_euclid(element_length).max(1) as usize;
        let data: Vec<&str> = self
            .shown
            .entries(dim)
            .into_iter()
            .map(|entry| match entry {
                Some(i) => self.cells[offset + i].as_str(),
                None => " ...",
            })
            .collect();
        let lines: Vec<String> = data.chunks(per_line).map(|line| line.join(", ")).collect();
        format!("[{}]", lines.join(&format!(",\n{}", " ".repeat(indent + 1))))
    }
}

/// `_add_suffixes`: each suffix goes after `, ` unless the line would pass the line width, then on
/// a new line indented under the opening bracket; then the closing `)`.
pub(crate) fn add_suffixes(mut text: String, suffixes: &[String], indent: usize, options: &PrintOptions) -> String {
    // PyTorch measures the last line as len - rfind("\n") + 1 (so +2 when there is no newline), in
    // characters.
    let chars = text.chars().count();
    let mut last_line_len = match text.rfind('\n') {
        Some(pos) => chars - text[..pos].chars().count() + 1,
        None => chars + 2,
    };
    for suffix in suffixes {
        let suffix_len = suffix.chars().count();
        if last_line_len + suffix_len + 2 > options.linewidth {
            text.push_str(",\n");
            text.push_str(&" ".repeat(indent));
            text.push_str(suffix);
            last_line_len = indent + suffix_len;
        } else {
            text.push_str(", ");
            text.push_str(suffix);
            last_line_len += suffix_len + 2;
        }
    }
    text.push(')');
    text
}
