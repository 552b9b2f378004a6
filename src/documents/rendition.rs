//! The safe rendition of a PDF that staff open. The scanner already refused every PDF with
//! scripts, embedded files or actions that leave the document; the rendition goes further for
//! the people who open customers' files all day: it keeps the pages and what draws them (content
//! streams, fonts, images) and drops everything else a reader may act on — annotations (links,
//! form widgets, pop-ups), interactive forms, document-level actions and name trees, outlines,
//! metadata and the document information. The customer's own downloads keep the bytes they
//! uploaded (their `sha256` holds); only links made for staff serve the rendition.

use std::time::Duration;

use lopdf::{Document, Object};

use super::scan::pdf_objects::{load_options, on_parser_thread};
use super::scan::pdf_problem::PdfProblem;

/// What the rendition keeps of the document catalog: the page tree and what says how to read it.
const CATALOG_KEPT: &[&[u8]] = &[b"Type", b"Pages", b"Version", b"Lang", b"MediaBox"];
/// What it drops from every page and page-tree node.
const PAGE_DROPPED: &[&[u8]] = &[b"Annots", b"AA", b"Metadata", b"PieceInfo", b"B", b"Thumb"];

/// The bounds of one rendition: the same as the scanner's for PDFs.
#[derive(Clone, Copy, Debug)]
pub struct RenditionLimits {
    pub inflate: u64,
    pub parse_timeout: Duration,
}

/// Rewrites `bytes` (a PDF that passed the scan) into its safe rendition, on a parser thread
/// bounded by `limits`.
pub fn safe_pdf(bytes: Vec<u8>, limits: RenditionLimits) -> Result<Vec<u8>, PdfProblem> {
    let inflate = usize::try_from(limits.inflate).unwrap_or(usize::MAX);
    on_parser_thread(limits.parse_timeout, move || rewrite(&bytes, inflate))?
}

fn rewrite(bytes: &[u8], inflate_limit: usize) -> Result<Vec<u8>, PdfProblem> {
    let mut document = Document::load_mem_with_options(bytes, load_options(inflate_limit))
        .map_err(|e| PdfProblem::Invalid(format!("lopdf: {e}")))?;
    let catalog = document.catalog_mut().map_err(|_| PdfProblem::Invalid("no document catalog (/Root)".to_owned()))?;
    let dropped: Vec<Vec<u8>> =
        catalog.iter().map(|(key, _)| key.clone()).filter(|key| !CATALOG_KEPT.contains(&key.as_slice())).collect();
    for key in dropped {
        catalog.remove(&key);
    }
    let pages: Vec<_> = document.get_pages().into_values().collect();
    let nodes = page_tree_nodes(&document, &pages);
    for id in pages.into_iter().chain(nodes) {
        if let Ok(Object::Dictionary(page)) = document.get_object_mut(id) {
            for key in PAGE_DROPPED {
                page.remove(key);
            }
        }
    }
    document.trailer.remove(b"Info");
    // What only the dropped entries reached (annotation and form objects, outlines, files) goes.
    document.prune_objects();
    let mut out = Vec::with_capacity(bytes.len());
    document.save_to(&mut out).map_err(|e| PdfProblem::Invalid(format!("writing the rendition: {e}")))?;
    Ok(out)
}

/// The intermediate nodes of the page tree above `pages` (their `/Parent` chains).
fn page_tree_nodes(document: &Document, pages: &[lopdf::ObjectId]) -> Vec<lopdf::ObjectId> {
    let mut nodes = Vec::new();
    for page in pages {
        let mut at = *page;
        // A malformed tree may loop: it is at most as deep as the document has objects.
        for _ in 0..document.objects.len() {
            let parent = document
                .get_dictionary(at)
                .ok()
                .and_then(|d| d.get(b"Parent").ok())
                .and_then(|p| p.as_reference().ok());
            let Some(parent) = parent else { break };
            if nodes.contains(&parent) {
                break;
            }
            nodes.push(parent);
            at = parent;
        }
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdf(catalog_extra: &str, page_extra: &str, objects: &[&str]) -> Vec<u8> {
        let content = "BT /F1 12 Tf 72 720 Td (Statement of account) Tj ET";
        let mut bodies: Vec<String> = vec![
            format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>"),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R {page_extra} >>"),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        ];
        bodies.extend(objects.iter().map(|o| (*o).to_owned()));
        let mut out = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", bodies.len() + 1).as_bytes());
        for offset in offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        let trailer =
            format!("trailer\n<< /Size {} /Root 1 0 R /Info 7 0 R >>\nstartxref\n{xref}\n%%EOF\n", bodies.len() + 1);
        out.extend_from_slice(trailer.as_bytes());
        out
    }

    const LIMITS: RenditionLimits = RenditionLimits { inflate: 1 << 20, parse_timeout: Duration::from_secs(5) };

    #[test]
    fn keeps_the_pages_and_drops_what_a_reader_acts_on() {
        let original = pdf(
            "/OpenAction << /S /GoTo /D [3 0 R /Fit] >> /Outlines 6 0 R /AcroForm << /Fields [5 0 R] >>",
            "/Annots [5 0 R]",
            &[
                "<< /Type /Annot /Subtype /Widget /Rect [0 0 10 10] /FT /Tx /T (name) >>",
                "<< /Type /Outlines /Count 0 >>",
                "<< /Author (Jane Customer) /Producer (scanner 1.0) >>",
            ],
        );
        let rendition = safe_pdf(original, LIMITS).expect("renders");
        let document = Document::load_mem(&rendition).expect("the rendition is a PDF");
        let catalog = document.catalog().unwrap();
        for key in [b"OpenAction".as_slice(), b"Outlines", b"AcroForm"] {
            assert!(!catalog.has(key), "{} dropped", String::from_utf8_lossy(key));
        }
        let pages = document.get_pages();
        assert_eq!(pages.len(), 1, "the page stays");
        let page = document.get_dictionary(pages[&1]).unwrap();
        assert!(!page.has(b"Annots"));
        assert!(!document.trailer.has(b"Info"));
        let text = String::from_utf8_lossy(&rendition).into_owned();
        assert!(!text.contains("Jane Customer") && !text.contains("/Widget"), "{text}");
        let content = document.get_page_content(pages[&1]);
        assert!(String::from_utf8_lossy(&content).contains("(Statement of account) Tj"), "the page draws what it drew");
    }

    #[test]
    fn a_damaged_file_is_refused_not_rendered() {
        assert!(matches!(safe_pdf(b"%PDF-1.7\nnothing here".to_vec(), LIMITS), Err(PdfProblem::Invalid(_))));
    }
}
