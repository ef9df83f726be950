//! A funder's report as the public reads it (the CLI's `--as-public`): its grants and the
//! projects they fund, which are public, and what those projects achieved as the latest
//! publication shows it, by the published dimensions only (the funder, measure and month), with
//! every figure disclosure controlled exactly as the public's `impact` answers it.

use super::{
    COST_PER_PERSON, Highlight, PUBLIC_FIGURES, ReportsError, funding_stats, highlights, left_out,
    methods, month_charts, months, projects, published_campaign_months,
};
use crate::analytics::funder;
use crate::analytics::impact::{Dimension, Group, KeyPart, MeasureFigure};
use crate::analytics::progress::BENEFICIARIES;
use crate::analytics::published::{PublicRequest, PublishedFigure, Snapshot};
use crate::changes;
use crate::graphql::reference::Reference;
use b2h_report::{AsOf, Audience, Report, Stat, Window, format};
use sea_orm::{DatabaseConnection, EntityTrait};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What the public figures of a funder leave out, for the methods page.
const LEFT_OUT: &str = "The public figures of a funder are published by measure and by month. \
They are not broken down by pathway stage or region (a funder by stage or by region can narrow to \
a project or two), and the cost per person supported, the returns missing and the data quality \
of the records are not published: they need the exact counts behind them. A figure that adds up \
several published ones (people supported, a beneficiary group, a month) adds those shown and \
says how many are withheld. The funder's own key, evaluators and admins receive the exact report.";

/// Why a window is refused: the public figures are by whole periods.
const WHOLE_PERIODS: &str = "the public's figures are for one whole month, quarter, calendar year \
or UK financial year (say --from 2024-04-01 --to 2025-03-31)";

/// Published figures of one funder's cells, each by the rest of its key.
type Cells = BTreeMap<Vec<KeyPart>, Vec<(MeasureFigure, PublishedFigure)>>;

/// The report; `None` when no funder has the id.
pub(super) async fn report(
    db: &DatabaseConnection,
    published: &Snapshot,
    funder_id: Uuid,
    window: Window,
) -> Result<Option<Report>, ReportsError> {
    let Some(funding) = funder::funding(db, funder_id, window.from, window.to).await? else {
        return Ok(None);
    };
    let measures = b2h_entity::outcome_measure::Entity::find().all(db).await?;
    let people_codes: Vec<String> = measures
        .iter()
        .filter(|m| m.counts_toward_target)
        .map(|m| m.code.clone())
        .collect();
    let cells = |measures: Vec<String>, rest: Option<Dimension>| {
        let mut dimensions = vec![Dimension::Funder];
        dimensions.extend(rest);
        async move {
            let request = PublicRequest::check(
                Some(window.from),
                Some(window.to),
                measures,
                dimensions,
                false,
            )
            .map_err(|_| ReportsError::NotPublished(WHOLE_PERIODS.to_owned()))?;
            Ok::<_, ReportsError>(of_funder(
                published.impact(db, &request, None).await?,
                funder_id,
            ))
        }
    };
    let by_measure = cells(Vec::new(), None).await?;
    let figures: &[(MeasureFigure, PublishedFigure)] =
        by_measure.get(&Vec::new()).map_or(&[], Vec::as_slice);
    let by_month = cells(people_codes, Some(Dimension::Month)).await?;

    let name = &funding.funder.name;
    let months = months(&window);
    let funded_months = months
        .iter()
        .map(|m| {
            by_month
                .get(&vec![KeyPart::Month(*m)])
                .map_or(Some(0.0), |f| people(f).shown)
        })
        .collect();
    let [by_month, running] = month_charts(
        name,
        window,
        &months,
        funded_months,
        published_campaign_months(db, published, &months).await?,
        " Both are the public figures (disclosure controlled): a month whose figures are all \
         withheld is a gap.",
    );
    let supported = people(figures);
    let beneficiaries = BENEFICIARIES
        .iter()
        .map(|b| {
            let of_group: Vec<_> = figures
                .iter()
                .filter(|(f, _)| f.measure.beneficiary == *b)
                .cloned()
                .collect();
            let label = format::label(b.as_str()).to_lowercase();
            match people(&of_group).shown {
                Some(n) => format!("{} {label}", format::number(n, 0)),
                None => format!("{label} withheld"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let [grants, allocated] = funding_stats(&funding);
    let headline = vec![
        Stat {
            label: "People supported".into(),
            value: supported
                .shown
                .map_or("withheld".into(), |n| format::number(n, 0)),
            detail: Some(match supported.withheld {
                0 => beneficiaries,
                n => format!(
                    "{beneficiaries}; not counting {}",
                    format::count(n, "withheld figure", "withheld figures")
                ),
            }),
        },
        grants,
        allocated,
        Stat {
            label: COST_PER_PERSON.into(),
            value: "not published".into(),
            detail: Some(left_out(&funding).unwrap_or_else(|| {
                "it divides by an exact count of people: for the funder's own key".into()
            })),
        },
    ];
    let rows: Vec<Highlight<'_>> = figures
        .iter()
        // Chosen by what the public reads: a published baseline or target.
        .filter(|(_, p)| p.baseline.is_some() || p.target.is_some())
        .map(|(figure, p)| Highlight {
            figure,
            published: Some(*p),
        })
        .collect();
    let reference = Reference::load(db).await?;
    let as_of = AsOf {
        sequence: published.store.sequence,
        at: changes::committed_at(db, published.store.sequence).await?,
    };
    let notice = figures.is_empty().then(|| {
        format!(
            "No published records of the projects {name} funds have a period ending in this \
             window: the figures below are zero."
        )
    });
    Ok(Some(Report {
        title: format!("Impact report: {name}"),
        subject: name.clone(),
        window,
        as_of,
        audience: Audience::Public {
            published_at: published.published_at,
        },
        notice,
        headline,
        charts: vec![by_month, running],
        tables: vec![highlights(&rows, None), projects(&funding, &reference)],
        methods: methods(&[PUBLIC_FIGURES, LEFT_OUT]),
    }))
}

/// The cells of `funder`, each by the rest of its key, with each figure as published.
fn of_funder(groups: Vec<Group>, funder: Uuid) -> Cells {
    let mut cells = Cells::new();
    for g in groups {
        let mut key = g.key.into_iter();
        if key.next() != Some(KeyPart::Funder(Some(funder))) {
            continue;
        }
        cells.insert(
            key.collect(),
            g.figures
                .into_iter()
                .map(|f| {
                    let p = PublishedFigure::of(&f.figure, f.key);
                    (f.figure, p)
                })
                .collect(),
        );
    }
    cells
}

/// People supported in a cell: the published figures of the measures that count toward the
/// target, added up as shown.
struct People {
    /// `None` when every figure is withheld.
    shown: Option<f64>,
    withheld: usize,
}

fn people(figures: &[(MeasureFigure, PublishedFigure)]) -> People {
    let counted: Vec<_> = figures
        .iter()
        .filter(|(f, _)| f.measure.counts_toward_target)
        .collect();
    let shown: Vec<f64> = counted.iter().filter_map(|(_, p)| p.shown.value).collect();
    People {
        shown: (shown.len() == counted.len() || !shown.is_empty()).then(|| shown.iter().sum()),
        withheld: counted.len() - shown.len(),
    }
}
