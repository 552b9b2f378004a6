//! The scanner on hand-written PDFs: active content (plain, escaped, compressed), encryption,
//! broken structure and encodings it cannot inspect.

use tresor::documents::{DocumentType, ScanStatus};

use crate::support::documents::{self, app, stream, verdict, zlib};

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
