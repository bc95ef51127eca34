"""load_xml accepts real-world encodings and E2B(R2) DOCTYPEs without fetching anything."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from schemas.xml_safety import EntityReferenceError, clark_name, load_xml

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
TEXT = "Caf\u00e9 \u00fcber na\u00efve \u20ac \u65e5\u672c"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    body = f'<?xml version="1.0" encoding="UTF-16"?>\n<r a="{TEXT}">{TEXT}</r>'.encode(codec)
    if codec != "utf-16":
        body = "\ufeff".encode(codec) + body
    assert body[:2] in (b"\xff\xfe", b"\xfe\xff")
    root = load_xml(body)
    assert root.text == TEXT
    assert root.get("a") == TEXT


def test_utf8_with_bom_and_no_declaration() -> None:
    root = load_xml(b"\xef\xbb\xbf<r>" + TEXT.encode() + b"</r>")
    assert root.text == TEXT


def test_iso_8859_1_declared_encoding() -> None:
    data = '<?xml version="1.0" encoding="ISO-8859-1"?><r>Caf\u00e9 M\u00fcller</r>'.encode(
        "iso-8859-1"
    )
    assert b"\xe9" in data
    assert load_xml(data).text == "Caf\u00e9 M\u00fcller"


def test_windows_1252_declared_encoding() -> None:
    data = '<?xml version="1.0" encoding="windows-1252"?><r>\u20ac 5</r>'.encode("cp1252")
    assert load_xml(data).text == "\u20ac 5"


def test_character_references_and_predefined_entities_are_kept() -> None:
    root = load_xml(b"<r>&lt;a&gt; &amp; &#233;&#x20AC; &quot;&apos;</r>")
    assert root.text == "<a> & \u00e9\u20ac \"'"


def test_expected_root_matches_namespace_and_local_name() -> None:
    root = load_xml(
        b'<MCCI_IN200101UV01 xmlns="urn:hl7-org:v3"/>',
        expected_roots={"{urn:hl7-org:v3}MCCI_IN200101UV01", "ichicsrack"},
    )
    assert clark_name(root) == "{urn:hl7-org:v3}MCCI_IN200101UV01"
    assert load_xml(b'<ichicsrack lang="en"/>', expected_roots={"ichicsrack"}).tag == "ichicsrack"


def test_comments_processing_instructions_and_cdata_before_and_inside_root() -> None:
    data = b'<?xml version="1.0"?><!-- c --><?pi x?><r><![CDATA[<not markup>]]></r>'
    assert load_xml(data).text == "<not markup>"


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 - shared on purpose, read by the test

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = b'<!ATTLIST ichicsr marker CDATA "fetched">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def dtd_server() -> Iterator[str]:
    _Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_r2_doctype_with_http_system_id_is_never_fetched(dtd_server: str) -> None:
    data = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        b'<!DOCTYPE ichicsr SYSTEM "' + dtd_server.encode() + b'/icsr21xml.dtd">\n'
        b'<ichicsr lang="en"><safetyreport><safetyreportid>US-1</safetyreportid>'
        b"</safetyreport></ichicsr>"
    )
    root = load_xml(data, expected_roots={"ichicsr"})
    assert root.findtext("safetyreport/safetyreportid") == "US-1"
    assert root.get("marker") is None
    assert _Recorder.requests == []
    docinfo = root.getroottree().docinfo
    assert docinfo.system_url == dtd_server + "/icsr21xml.dtd"
    assert docinfo.externalDTD is None


def test_r2_doctype_with_local_system_id_is_not_read(tmp_path: Path) -> None:
    dtd = tmp_path / "icsr21xml.dtd"
    dtd.write_text('<!ATTLIST ichicsr marker CDATA "loaded">\n<!ENTITY company "ACME">\n')
    doctype = b'<!DOCTYPE ichicsr SYSTEM "' + dtd.as_uri().encode() + b'">'
    root = load_xml(doctype + b'<ichicsr lang="en"/>')
    assert root.get("marker") is None
    assert root.getroottree().docinfo.externalDTD is None
    # an entity only the external DTD declares is never expanded
    with pytest.raises(EntityReferenceError):
        load_xml(doctype + b'<ichicsr lang="en">&company;</ichicsr>')


def test_real_r2_report_with_fda_doctype_loads() -> None:
    sample = SHARED / "e2b" / "samples" / "hl7" / "FAERS_EXAMPLE.xml"
    if not sample.exists():
        pytest.skip(f"shared E2B(R2) sample not found at {sample}")
    root = load_xml(sample.read_bytes(), expected_roots={"ichicsr"})
    assert root.findtext("ichicsrmessageheader/messagereceiveridentifier") == "ZZFDA"
    assert root.getroottree().docinfo.system_url.endswith("icsr-xml-v2.2.dtd")
    assert root.getroottree().docinfo.externalDTD is None
