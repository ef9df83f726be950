//! The report as one self-contained HTML file: no script, nothing fetched (a content security
//! policy says so to the browser), SVG charts each followed by the table of its data, headings
//! and landmarks for screen readers, and a print style for A4.

use crate::svg::{self, escape};
use crate::{Audience, Cell, Chart, Report, ReportError, Table, format};
use std::fmt::Write;

const STYLE: &str = "
:root { color: #1a1a1a; background: #fff; font-family: 'Liberation Sans', Arial, Helvetica, sans-serif; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem 3rem; line-height: 1.45; }
a:focus, summary:focus { outline: 3px solid #1d4f91; outline-offset: 2px; }
.cover { border-bottom: 4px solid #1d4f91; padding-bottom: 1rem; margin-bottom: 1.5rem; }
.kicker { text-transform: uppercase; letter-spacing: .06em; font-size: .85rem; color: #3d3d3d; margin: 0; }
h1 { font-size: 2rem; margin: .3rem 0; }
h2 { font-size: 1.4rem; margin-top: 2rem; border-bottom: 1px solid #c8c8c8; }
.notice { background: #fff4d6; border-left: 4px solid #a8431a; padding: .6rem .8rem; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: .8rem; margin: 0; }
.stats div { border: 1px solid #c8c8c8; padding: .6rem .8rem; }
.stats dt { font-size: .9rem; color: #3d3d3d; }
.stats dd { margin: .2rem 0 0; font-size: 1.5rem; font-weight: bold; }
.stats dd small { display: block; font-size: .8rem; font-weight: normal; color: #3d3d3d; }
figure { margin: 1.5rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-weight: bold; margin-bottom: .4rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .9rem; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border: 1px solid #c8c8c8; padding: .25rem .5rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
details { margin-top: .4rem; }
@media (max-width: 40rem) { body { padding: .5rem; } h1 { font-size: 1.5rem; } }
@media print {
  @page { size: A4; margin: 18mm 15mm; }
  body { max-width: none; padding: 0; }
  details > * { display: block; }
  figure, table { break-inside: avoid; }
  h2 { break-after: avoid; }
}
";

/// The whole document.
pub fn render(report: &Report) -> Result<String, ReportError> {
    report.check()?;
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        title = escape(&report.title),
    );
    cover(&mut out, report);
    out.push_str("<main>\n");
    if !report.headline.is_empty() {
        out.push_str("<section aria-labelledby=\"headline\">\n<h2 id=\"headline\">Headline</h2>\n<dl class=\"stats\">\n");
        for stat in &report.headline {
            let _ = write!(
                out,
                "<div><dt>{}</dt><dd>{}",
                escape(&stat.label),
                escape(&stat.value)
            );
            if let Some(detail) = &stat.detail {
                let _ = write!(out, "<small>{}</small>", escape(detail));
            }
            out.push_str("</dd></div>\n");
        }
        out.push_str("</dl>\n</section>\n");
    }
    if !report.charts.is_empty() {
        out.push_str("<section aria-labelledby=\"charts\">\n<h2 id=\"charts\">Charts</h2>\n");
        for chart in &report.charts {
            figure(&mut out, chart);
        }
        out.push_str("</section>\n");
    }
    for table in &report.tables {
        let _ = write!(
            out,
            "<section aria-labelledby=\"{id}\">\n<h2 id=\"{id}\">{title}</h2>\n",
            id = escape(&table.id),
            title = escape(&table.title)
        );
        plain_table(&mut out, table, None);
        out.push_str("</section>\n");
    }
    if !report.methods.is_empty() {
        out.push_str("<section aria-labelledby=\"methods\">\n<h2 id=\"methods\">How the figures were made</h2>\n");
        for section in &report.methods {
            let _ = writeln!(out, "<h3>{}</h3>", escape(&section.heading));
            for p in &section.paragraphs {
                let _ = writeln!(out, "<p>{}</p>", escape(p));
            }
        }
        out.push_str("</section>\n");
    }
    let _ = write!(
        out,
        "</main>\n<footer><p>Made by b2h from the data as of {}.</p></footer>\n</body>\n</html>\n",
        escape(&as_of(report)),
    );
    Ok(out)
}

fn cover(out: &mut String, report: &Report) {
    let _ = write!(
        out,
        "<header class=\"cover\">\n<p class=\"kicker\">Back to Health · impact report</p>\n<h1>{title}</h1>\n\
         <p>Records whose period ends from {from} to {to}.</p>\n<p>Data as of {at}.</p>\n<p>{audience}</p>\n",
        title = escape(&report.title),
        from = format::date(report.window.from),
        to = format::date(report.window.to),
        at = escape(&as_of(report)),
        audience = escape(&audience(report.audience)),
    );
    if let Some(notice) = &report.notice {
        let _ = writeln!(
            out,
            "<p class=\"notice\" role=\"note\">{}</p>",
            escape(notice)
        );
    }
    out.push_str("</header>\n");
}

/// What the reader must know about the figures' exactness (the same words in every format).
pub fn audience(audience: Audience) -> String {
    match audience {
        Audience::Exact => "Exact figures, live at the time above.".to_owned(),
        Audience::Public { published_at } => format!(
            "Public figures as published on {}: below national level small figures are withheld \
             and the others carry a small, fixed noise (disclosure control).",
            published_at.format("%-d %B %Y at %H:%M UTC")
        ),
    }
}

/// "change 42, committed 1 May 2024 at 10:00:00 UTC".
pub fn as_of(report: &Report) -> String {
    as_of_text(report.as_of)
}

/// [`as_of`] for a change sequence alone.
pub fn as_of_text(as_of: crate::AsOf) -> String {
    match as_of.at {
        Some(at) => format!(
            "change {}, committed {}",
            as_of.sequence,
            at.format("%-d %B %Y at %H:%M:%S UTC")
        ),
        None => format!("change {}", as_of.sequence),
    }
}

fn figure(out: &mut String, chart: &Chart) {
    let _ = write!(
        out,
        "<figure aria-labelledby=\"{id}-caption\">\n<figcaption id=\"{id}-caption\">{title}</figcaption>\n{svg}\n",
        id = escape(&chart.id),
        title = escape(&chart.title),
        svg = svg::chart(chart),
    );
    out.push_str("<details open><summary>The data behind the chart</summary>\n");
    plain_table(out, &crate::data::chart_table(chart), Some(&chart.title));
    out.push_str("</details>\n</figure>\n");
}

fn plain_table(out: &mut String, table: &Table, caption: Option<&str>) {
    out.push_str("<table>\n");
    if let Some(caption) = caption {
        let _ = writeln!(out, "<caption>{}</caption>", escape(caption));
    }
    out.push_str("<thead><tr>");
    for heading in headings(table) {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(&heading));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let (open, close) = if i == 0 {
                ("th scope=\"row\"", "th")
            } else {
                ("td", "td")
            };
            let class = if matches!(cell, Cell::Text(_)) {
                ""
            } else {
                " class=\"n\""
            };
            let _ = write!(out, "<{open}{class}>{}</{close}>", escape(&cell_text(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// A table's column headings, each with its unit: "Count (records)".
pub fn headings(table: &Table) -> Vec<String> {
    table
        .columns
        .iter()
        .map(|c| match &c.unit {
            Some(unit) => format!("{} ({unit})", c.heading),
            None => c.heading.clone(),
        })
        .collect()
}

/// A cell as read: text as it is, numbers formatted, a missing value by why it is missing.
pub fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Number(v, d) => format::number(*v, *d),
        Cell::Missing(why) => why.clone(),
    }
}

/// One report an index lists.
#[derive(Clone, Debug)]
pub struct Listed {
    pub subject: String,
    /// The file's name, next to the index.
    pub file: String,
    pub window: crate::Window,
    /// "7,872 people supported".
    pub summary: String,
}

/// A page listing reports made together (`b2h report funders`), linking each file.
pub fn index(title: &str, as_of: &str, listed: &[Listed]) -> String {
    let mut out = String::with_capacity(4096 + listed.len() * 256);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header class=\"cover\">\n\
         <p class=\"kicker\">Back to Health · impact reports</p>\n<h1>{title}</h1>\n<p>Data as of {as_of}.</p>\n</header>\n<main>\n\
         <table>\n<caption>{count}</caption>\n<thead><tr><th scope=\"col\">Report</th><th scope=\"col\">Window</th><th scope=\"col\">Figures</th></tr></thead>\n<tbody>\n",
        title = escape(title),
        as_of = escape(as_of),
        count = escape(&format::count(listed.len(), "report", "reports")),
    );
    for l in listed {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><a href=\"{file}\">{subject}</a></th><td>{from} to {to}</td><td>{summary}</td></tr>",
            file = escape(&l.file),
            subject = escape(&l.subject),
            from = format::date(l.window.from),
            to = format::date(l.window.to),
            summary = escape(&l.summary),
        );
    }
    out.push_str("</tbody>\n</table>\n</main>\n</body>\n</html>\n");
    out
}
