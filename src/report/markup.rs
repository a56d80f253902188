//! The markup helpers the report's sections and its page assembler share: escaping, the
//! tagged headline figure, the arm colour chip, inline SVG, chart figures and lists written out in words. They sit below the sections
//! and the page so that neither imports the other for them. Markup is kept well-formed XML
//! (every element closed, every attribute quoted, only XML's own entities).

use crate::plot;

/// Escapes text for use in HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control and bidi-override characters (NUL, U+202E...) would break the page
            // or spoof its text; line breaks and tabs are plain white space in HTML.
            c if c != '\n' && c != '\t' && crate::output::text::unsafe_char(c) => {
                out.push('\u{FFFD}')
            }
            c => out.push(c),
        }
    }
    out
}

/// Items as a sentence writes them: `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A headline figure, tagged with the summary field it shows and its exact value so that
/// tests (and curious readers of the source) can tie it to `summary.json`.
pub fn figure(key: &str, value: Option<f64>, text: &str) -> String {
    let raw = value.map_or_else(|| "null".to_string(), |v| format!("{v}"));
    format!(
        "<span class=\"fig\" data-key=\"{}\" data-value=\"{}\">{}</span>",
        escape(key),
        raw,
        escape(text)
    )
}

/// A small colour square in an arm's chart colour.
pub fn chip(arm: usize) -> String {
    format!(
        "<span class=\"chip\" style=\"background:{}\"></span>",
        plot::arm_colour_hex(arm)
    )
}

/// An SVG document as an inline element: no XML declaration, scaled to the page width,
/// labelled for screen readers.
pub fn inline_svg(svg: &str, label: &str) -> String {
    let body = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    };
    let mut out = body.trim().to_string();
    if !out.contains("viewBox") {
        out = out.replacen(
            "<svg ",
            &format!("<svg viewBox=\"0 0 {} {}\" ", plot::WIDTH, plot::HEIGHT),
            1,
        );
    }
    let attrs = format!(
        "<svg role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"xMidYMid meet\" ",
        escape(label)
    );
    out.replacen("<svg ", &attrs, 1)
}

/// A chart figure: the SVG `svg` inline, labelled `heading`, with its caption, under the
/// id `chart-STEM`.
pub fn chart_figure(stem: &str, svg: &str, heading: &str, caption: &str) -> String {
    format!(
        "<figure id=\"chart-{stem}\" class=\"chart\">\n<div class=\"svg\">{}</div>\n\
         <figcaption>{}</figcaption>\n</figure>\n",
        inline_svg(svg, heading),
        escape(caption)
    )
}
