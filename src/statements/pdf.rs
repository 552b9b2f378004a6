//! The statement as a PDF (`printpdf` with its built-in fonts, no font file: Helvetica for the
//! heading, Courier for the aligned table): a header with the account, the period and both
//! balances, then one line per posting, as many A4 pages as it takes.

use printpdf::{BuiltinFont, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, TextItem};

use super::content::{Content, signed};
use crate::ledger::money::Currency;

/// Lines of postings per page.
const PER_PAGE: usize = 44;

pub struct Heading<'a> {
    pub account_number: &'a str,
    pub period: &'a str,
    pub currency: Currency,
    pub partial_until: Option<String>,
}

pub fn render(heading: &Heading<'_>, content: &Content) -> Vec<u8> {
    let money = |minor: i64| heading.currency.display(minor);
    let mut head = vec![
        (14.0, format!("Account statement {}", heading.period)),
        (10.0, format!("Account {}", heading.account_number)),
        (10.0, format!("Opening balance: {}", money(content.opening))),
        (10.0, format!("Closing balance: {}", money(content.closing))),
    ];
    if let Some(until) = &heading.partial_until {
        head.push((10.0, format!("Partial statement: up to {until}")));
    }
    head.push((10.0, String::new()));
    head.push((9.0, line("Date", "Reference", "Kind", "Amount", "Balance")));
    let rows: Vec<String> = content
        .postings
        .iter()
        .map(|t| {
            line(
                &t.created_at.format("%Y-%m-%d").to_string(),
                &t.reference,
                t.kind.as_str(),
                &money(signed(t)),
                &money(t.balance_after),
            )
        })
        .collect();
    let mut pages = Vec::new();
    let mut chunks: Vec<&[String]> = rows.chunks(PER_PAGE).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let count = chunks.len();
    for (index, chunk) in chunks.into_iter().enumerate() {
        let mut lines: Vec<(f32, String)> = if index == 0 { head.clone() } else { Vec::new() };
        if chunk.is_empty() && index == 0 {
            lines.push((9.0, "No postings in this period.".into()));
        }
        lines.extend(chunk.iter().map(|row| (9.0, row.clone())));
        lines.push((8.0, String::new()));
        lines.push((10.0, format!("Page {} of {count}", index + 1)));
        pages.push(PdfPage::new(Mm(210.0), Mm(297.0), page_ops(&lines)));
    }
    let mut doc = PdfDocument::new(&format!("Statement {} {}", heading.account_number, heading.period));
    doc.with_pages(pages).save(&PdfSaveOptions::default(), &mut Vec::new())
}

fn page_ops(lines: &[(f32, String)]) -> Vec<Op> {
    let mut ops = vec![Op::StartTextSection, Op::SetTextCursor { pos: Point::new(Mm(18.0), Mm(279.0)) }];
    for (size, text) in lines {
        let font = if *size < 10.0 { BuiltinFont::Courier } else { BuiltinFont::Helvetica };
        ops.push(Op::SetFont { font: PdfFontHandle::Builtin(font), size: Pt(*size) });
        ops.push(Op::SetLineHeight { lh: Pt(size * 1.5) });
        ops.push(Op::ShowText { items: vec![TextItem::Text(ascii(text))] });
        ops.push(Op::AddLineBreak);
    }
    ops.push(Op::EndTextSection);
    ops
}

fn line(date: &str, reference: &str, kind: &str, amount: &str, balance: &str) -> String {
    format!("{date:<11}{reference:<20}{kind:<13}{amount:>16}{balance:>16}")
}

/// The built-in fonts cover Latin-1 at best: anything else is shown as `?`.
fn ascii(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).collect()
}
