//! Charts as SVG: vectors, with a title and a description for screen readers, drawn the same in
//! the HTML and the PDF. Written by hand (a few shapes and labels), so the bytes depend only on
//! the data.

use crate::format;
use crate::{Chart, Shape};
use std::fmt::Write;

const WIDTH: f64 = 640.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const PLOT_HEIGHT: f64 = 220.0;
/// Series colours: each at least 4.5:1 against white.
const COLOURS: [&str; 4] = ["#1d4f91", "#a8431a", "#2e6b30", "#6b3d8f"];
/// Line styles by series, so that lines differ by more than colour.
const DASHES: [&str; 4] = [
    "",
    r#" stroke-dasharray="6 4""#,
    r#" stroke-dasharray="2 3""#,
    r#" stroke-dasharray="8 3 2 3""#,
];
const FONT: &str = "Liberation Sans, Arial, Helvetica, sans-serif";

/// The chart as an SVG element (no XML prolog: it is inlined in HTML and read by typst alike).
pub fn chart(c: &Chart) -> String {
    // Bar labels turn when the longest would not fit its band (about 6 px a character).
    let longest = c
        .categories
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let rotate = c.shape == Shape::Bars
        && longest as f64 * 6.2 > (WIDTH - LEFT - RIGHT) / c.categories.len().max(1) as f64 * 0.95;
    let bottom = if rotate { 110.0 } else { 40.0 };
    let height = TOP + PLOT_HEIGHT + bottom;
    let plot_width = WIDTH - LEFT - RIGHT;
    let max = c
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0_f64, |m, v| m.max(*v));
    let (step, ticks) = nice_scale(max);
    let top_value = step * ticks as f64;
    let y = |v: f64| TOP + PLOT_HEIGHT - (v / top_value) * PLOT_HEIGHT;
    let n = c.categories.len().max(1);
    let band = plot_width / n as f64;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="{id}-title" aria-describedby="{id}-desc" font-family="{FONT}" font-size="11"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
        id = escape(&c.id),
        title = escape(&c.title),
        desc = escape(&c.description),
    );
    // Grid and the value axis.
    for t in 0..=ticks {
        let v = step * t as f64;
        let yy = y(v);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{x2:.1}" y2="{yy:.1}" stroke="#d0d0d0" stroke-width="1"/><text x="{tx:.1}" y="{ty:.1}" text-anchor="end" fill="#333">{label}</text>"##,
            x2 = WIDTH - RIGHT,
            tx = LEFT - 6.0,
            ty = yy + 4.0,
            label = escape(&format::number(v, decimals(step))),
        );
    }
    let _ = write!(
        out,
        r##"<text x="12" y="{cy:.1}" transform="rotate(-90 12 {cy:.1})" text-anchor="middle" fill="#333">{unit}</text>"##,
        cy = TOP + PLOT_HEIGHT / 2.0,
        unit = escape(&c.unit),
    );
    // Category labels: every one for bars, about six along a line (each ~60 px wide).
    let every = match c.shape {
        Shape::Bars => 1,
        Shape::Lines => n.div_ceil(6),
    };
    for (i, label) in c.categories.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let x = LEFT + band * (i as f64 + 0.5);
        let ly = TOP + PLOT_HEIGHT + 16.0;
        if rotate {
            let _ = write!(
                out,
                r##"<text x="{x:.1}" y="{ly:.1}" text-anchor="end" transform="rotate(-35 {x:.1} {ly:.1})" fill="#333">{l}</text>"##,
                l = escape(label)
            );
        } else {
            let _ = write!(
                out,
                r##"<text x="{x:.1}" y="{ly:.1}" text-anchor="middle" fill="#333">{l}</text>"##,
                l = escape(label)
            );
        }
    }
    match c.shape {
        Shape::Bars => bars(&mut out, c, band, &y),
        Shape::Lines => lines(&mut out, c, band, &y),
    }
    let _ = write!(
        out,
        r##"<line x1="{LEFT}" y1="{base:.1}" x2="{x2:.1}" y2="{base:.1}" stroke="#333" stroke-width="1"/>"##,
        base = TOP + PLOT_HEIGHT,
        x2 = WIDTH - RIGHT,
    );
    if c.series.len() > 1 {
        legend(&mut out, c);
    }
    out.push_str("</svg>");
    out
}

fn bars(out: &mut String, c: &Chart, band: f64, y: &impl Fn(f64) -> f64) {
    let count = c.series.len().max(1) as f64;
    let width = band * 0.8 / count;
    for (s, series) in c.series.iter().enumerate() {
        let colour = COLOURS[s % COLOURS.len()];
        for (i, value) in series.values.iter().enumerate() {
            let Some(v) = value else { continue };
            let x = LEFT + band * i as f64 + band * 0.1 + width * s as f64;
            let top = y(*v);
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{top:.1}" width="{width:.1}" height="{h:.1}" fill="{colour}"><title>{name}, {cat}: {val}</title></rect>"#,
                h = (TOP + PLOT_HEIGHT - top).max(0.0),
                name = escape(&series.name),
                cat = escape(&c.categories[i]),
                val = escape(&format::number(*v, 0)),
            );
        }
    }
}

fn lines(out: &mut String, c: &Chart, band: f64, y: &impl Fn(f64) -> f64) {
    for (s, series) in c.series.iter().enumerate() {
        let colour = COLOURS[s % COLOURS.len()];
        let dash = DASHES[s % DASHES.len()];
        // A withheld value breaks the line rather than joining across it.
        let mut run: Vec<(f64, f64)> = Vec::new();
        let flush = |run: &mut Vec<(f64, f64)>, out: &mut String| {
            if run.len() == 1 {
                let (x, yy) = run[0];
                let _ = write!(
                    out,
                    r#"<circle cx="{x:.1}" cy="{yy:.1}" r="2.5" fill="{colour}"/>"#
                );
            } else if run.len() > 1 {
                let points: Vec<String> = run
                    .iter()
                    .map(|(x, yy)| format!("{x:.1},{yy:.1}"))
                    .collect();
                // Series differ by dash as well as colour (not by colour alone).
                let _ = write!(
                    out,
                    r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#,
                    points.join(" ")
                );
            }
            run.clear();
        };
        for (i, value) in series.values.iter().enumerate() {
            match value {
                Some(v) => run.push((LEFT + band * (i as f64 + 0.5), y(*v))),
                None => flush(&mut run, out),
            }
        }
        flush(&mut run, out);
    }
}

fn legend(out: &mut String, c: &Chart) {
    let mut x = LEFT;
    for (s, series) in c.series.iter().enumerate() {
        let colour = COLOURS[s % COLOURS.len()];
        let _ = write!(
            out,
            r##"<rect x="{x:.1}" y="6" width="12" height="12" fill="{colour}"/><text x="{tx:.1}" y="16" fill="#333">{name}</text>"##,
            tx = x + 16.0,
            name = escape(&series.name),
        );
        // About 6 px a character at 11 px.
        x += 32.0 + 6.0 * series.name.chars().count() as f64;
    }
}

/// A step of 1, 2 or 5 times a power of ten giving about five ticks up to `max`, and the count.
fn nice_scale(max: f64) -> (f64, usize) {
    if max <= 0.0 || !max.is_finite() {
        return (1.0, 1);
    }
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    let ticks = (max / step).ceil().max(1.0) as usize;
    (step, ticks)
}

/// Decimals a tick label needs for steps below one.
fn decimals(step: f64) -> usize {
    if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    }
}

/// Text for XML: the five characters that mean markup, escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML (the SVG typst reads) nor wanted in
            // HTML: each reads as a space.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn escaped_text_is_valid_xml_text() {
        assert_eq!(
            super::escape("A&B <\"x\"> 'y'\u{1}\u{7f}z"),
            "A&amp;B &lt;&quot;x&quot;&gt; &#39;y&#39;  z"
        );
    }
    use super::*;
    use crate::Series;

    #[test]
    fn scales_are_round() {
        assert_eq!(nice_scale(623_774.0), (200_000.0, 4));
        assert_eq!(nice_scale(9.0), (2.0, 5));
        assert_eq!(nice_scale(0.0), (1.0, 1));
    }

    #[test]
    fn a_chart_says_what_it_shows() {
        let c = Chart {
            id: "by-stage".into(),
            title: "People <supported>".into(),
            description: "Bars & more".into(),
            unit: "people".into(),
            shape: Shape::Bars,
            category: "Pathway stage".into(),
            categories: vec!["Waiting well".into(), "Living well".into()],
            series: vec![Series {
                name: "Funded".into(),
                values: vec![Some(10.0), None],
            }],
        };
        let svg = chart(&c);
        assert!(svg.contains("<title id=\"by-stage-title\">People &lt;supported&gt;</title>"));
        assert!(svg.contains("<desc id=\"by-stage-desc\">Bars &amp; more</desc>"));
        assert_eq!(
            svg.matches("<rect").count(),
            1,
            "a withheld value draws no bar"
        );
        assert_eq!(chart(&c), svg, "the same chart gives the same bytes");
    }
}
