//! The report as an A4 PDF, laid out by typst used as a library.
//!
//! The layout is one fixed template (`pdf/report.typ`); the report reaches it as data
//! (`report.json`) and its charts as the same SVG files the HTML inlines, so no figure or name is
//! ever read as markup. Fonts are the Liberation Sans files shipped in `fonts/` (SIL Open Font
//! License), embedded in the binary: nothing is looked up on the machine or fetched. The PDF is
//! tagged, and has no clock in it: the same report gives the same bytes.

use crate::{Cell, Report, ReportError, Table, data, format, html, svg};
use serde_json::{Value, json};
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

const TEMPLATE: &str = include_str!("pdf/report.typ");
const FONT_FILES: [&[u8]; 2] = [
    include_bytes!("../fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../fonts/LiberationSans-Bold.ttf"),
];
/// How many recent compilations typst's memo cache keeps results of: enough to make the next
/// report quick, bounded so that a server making many reports does not grow.
const CACHE_AGE: usize = 4;

/// What every report shares: the standard library and the fonts, parsed once.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|bytes| Font::iter(Bytes::new(*bytes)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

/// The report's files as typst sees them: the template, its data and the charts.
struct ReportWorld {
    main: Source,
    data: Bytes,
    charts: Vec<Bytes>,
}

fn file_id(path: &str) -> FileResult<FileId> {
    let vpath = VirtualPath::new(path).map_err(|_| FileError::AccessDenied)?;
    Ok(FileId::new(RootedPath::new(VirtualRoot::Project, vpath)))
}

/// The path the template opens chart `i` by (the same few paths for every report: typst interns
/// file ids for the life of the process).
fn chart_path(i: usize) -> String {
    format!("/chart-{i}.svg")
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let path = id.vpath().get_with_slash();
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        if path == "/report.json" {
            return Ok(self.data.clone());
        }
        (0..self.charts.len())
            .find(|i| chart_path(*i) == path)
            .map(|i| self.charts[i].clone())
            .ok_or_else(|| FileError::NotFound(path.into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    /// No clock: a report's only time is its "data as of" stamp.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// The whole document as PDF bytes, with what typst warned of (a glyph the fonts lack, say):
/// the document is whole, but someone should look.
pub fn render(report: &Report) -> Result<(Vec<u8>, Vec<String>), ReportError> {
    report.check()?;
    let world = ReportWorld {
        main: Source::new(
            file_id("/report.typ").map_err(layout_error)?,
            TEMPLATE.into(),
        ),
        data: Bytes::new(serde_json::to_vec(&document(report)).map_err(layout_error)?),
        charts: report
            .charts
            .iter()
            .map(|c| Bytes::new(svg::chart(c).into_bytes()))
            .collect(),
    };
    let compiled = typst::compile::<PagedDocument>(&world);
    typst::comemo::evict(CACHE_AGE);
    let warnings = compiled
        .warnings
        .iter()
        .map(|w| w.message.to_string())
        .collect();
    let document = compiled.output.map_err(diagnostics)?;
    let options = typst_pdf::PdfOptions {
        // Stable for this report and window, different for another window.
        ident: Smart::Custom(format!(
            "{} {} {}",
            report.title, report.window.from, report.window.to
        )),
        creator: Smart::Custom(Some("b2h".into())),
        ..typst_pdf::PdfOptions::default()
    };
    let bytes = typst_pdf::pdf(&document, &options).map_err(diagnostics)?;
    Ok((bytes, warnings))
}

fn layout_error(e: impl std::fmt::Display) -> ReportError {
    ReportError::Layout(e.to_string())
}

fn diagnostics(errors: impl IntoIterator<Item = SourceDiagnostic>) -> ReportError {
    let messages: Vec<String> = errors.into_iter().map(|e| e.message.to_string()).collect();
    ReportError::Layout(messages.join("; "))
}

/// The report as the template reads it: every text already worded and every figure already
/// formatted by the helpers the HTML uses, so both show the same characters.
fn document(report: &Report) -> Value {
    json!({
        "title": report.title,
        "subject": report.subject,
        "kicker": "Back to Health · impact report",
        "window": format!(
            "Records whose period ends from {} to {}.",
            format::date(report.window.from),
            format::date(report.window.to)
        ),
        "as_of": html::as_of(report),
        "audience": html::audience(report.audience),
        "notice": report.notice,
        "headline": report.headline.iter().map(|s| json!({
            "label": s.label,
            "value": s.value,
            "detail": s.detail,
        })).collect::<Vec<_>>(),
        "charts": report.charts.iter().enumerate().map(|(i, c)| json!({
            "file": chart_path(i),
            "title": c.title,
            "description": c.description,
            "table": table(&data::chart_table(c)),
        })).collect::<Vec<_>>(),
        "tables": report.tables.iter().map(table).collect::<Vec<_>>(),
        "methods": report.methods.iter().map(|s| json!({
            "heading": s.heading,
            "paragraphs": s.paragraphs,
        })).collect::<Vec<_>>(),
    })
}

fn table(t: &Table) -> Value {
    let numeric: Vec<bool> = (0..t.columns.len())
        .map(|i| {
            i > 0
                && t.rows
                    .iter()
                    .any(|r| matches!(r.get(i), Some(Cell::Number(..))))
        })
        .collect();
    json!({
        "title": t.title,
        "columns": html::headings(t),
        "numeric": numeric,
        "rows": t.rows.iter().map(|r| r.iter().map(html::cell_text).collect::<Vec<_>>()).collect::<Vec<_>>(),
    })
}
