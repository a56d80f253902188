//! The markup helpers the report's sections and its page assembler share: escaping, the
//! tagged headline figure, the arm colour chip, inline SVG, chart figures, embedded images,
//! lists, shares and dates written out in words. They sit below the sections
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

/// A share as a percentage with the digits it was written with: 0.35 as `35 %`, 0.0015 as
/// `0.15 %`.
pub fn share(x: f64) -> String {
    let percent = (x * 100.0 * 1e6).round() / 1e6 + 0.0;
    format!("{} %", crate::dist::fmt_num(percent))
}

/// A UTC time stamp `2026-12-01T07:38:57Z` as a person writes it: `1 December 2026, 07:38
/// UTC`; any other text as it is.
pub fn human_time(stamp: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let part = |r: std::ops::Range<usize>| stamp.get(r).and_then(|p| p.parse::<usize>().ok());
    let shaped = stamp.len() >= 17 && stamp.get(10..11) == Some("T");
    match (
        shaped,
        part(0..4),
        part(5..7),
        part(8..10),
        stamp.get(11..16),
    ) {
        (true, Some(y), Some(m @ 1..=12), Some(d), Some(hm)) => {
            format!("{d} {} {y}, {hm} UTC", MONTHS[m - 1])
        }
        _ => stamp.to_string(),
    }
}

/// An image as a `data:` URI, for an `img` element that needs no file beside the page.
pub fn data_uri(image: &crate::scenario::Image) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = format!("data:{};base64,", image.mime);
    for chunk in image.bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
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

/// A plan as a table names it: its label, followed in small type by the arm's name in the
/// scenario file when the two differ.
pub fn plan_name(name: &str, label: &str) -> String {
    if label == name || label.is_empty() {
        return escape(name);
    }
    format!(
        "{}<span class=\"armlabel\">{}</span>",
        escape(label),
        escape(name)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_dates_and_images_read_as_written() {
        assert_eq!(share(0.35), "35 %");
        assert_eq!(share(0.0015), "0.15 %");
        assert_eq!(share(-0.01), "-1 %");
        assert_eq!(
            human_time("2026-12-01T07:38:57Z"),
            "1 December 2026, 07:38 UTC"
        );
        assert_eq!(human_time("unknown"), "unknown");
        let image = |bytes: &[u8]| crate::scenario::Image {
            mime: "image/png",
            bytes: bytes.to_vec(),
        };
        assert_eq!(data_uri(&image(b"Man")), "data:image/png;base64,TWFu");
        assert_eq!(data_uri(&image(b"Ma")), "data:image/png;base64,TWE=");
        assert_eq!(data_uri(&image(b"M")), "data:image/png;base64,TQ==");
    }
}
