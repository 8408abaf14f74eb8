"""The quarterly publication as PDF and HTML (text extracted and checked, pages rendered to PNG and
checked for blank pages), and the needs assessment's "Provision over time" chapter."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from commissioning.needs.dataset import load_dataset
from commissioning.publish.returns_document import build_html, build_pdf
from commissioning.returns.publication import build_publication
from commissioning.returns.reader import read_returns

TYPES = ["idva", "isva", "refuge", "ld_advocate"]
EXAMPLE = read_returns("data/returns/returns_illustrative.csv", TYPES).assign(basis="illustrative")


@pytest.fixture(scope="module")
def pub():
    return build_publication(EXAMPLE, "2026Q3")


def test_publication_pdf_text_and_pages(pub, tmp_path):
    pdf = build_pdf(pub, tmp_path / "q.pdf")
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert reader.metadata.title == "Support services for victims: quarterly figures, 2026Q3"
    assert "ILLUSTRATIVE DATA" in text and "July-September 2026" in text
    assert "could not be taken for lack of capacity" in text
    assert "suppressed" in text and "95% interval" in text
    for org in EXAMPLE["provider"].unique():     # aggregate only: no provider's name
        assert org not in text
    assert not re.search(r"51\.\d{4}", text)     # no coordinate
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "40", "-png", str(tmp_path / "q.pdf"), str(tmp_path / "page")], check=True)
        from PIL import Image

        for png in sorted(tmp_path.glob("page*.png")):
            extrema = Image.open(png).convert("L").getextrema()
            assert extrema[0] < 200, f"{png.name} looks blank"


def test_publication_html_is_accessible_and_escaped(pub):
    html = build_html(pub)
    assert html.startswith("<!DOCTYPE html>") and 'lang="en-GB"' in html and "Skip to main content" in html
    assert html.count("<caption>") == len(pub.services) + 1
    assert '<th scope="col">Refused (no capacity)</th>' in html and '<th scope="row">London</th>' in html
    assert '<div class="notice" role="note"><p>ILLUSTRATIVE DATA. Some inputs are illustrative' in html


def test_html_escapes_text_from_data():
    rows = EXAMPLE.loc[EXAMPLE["quarter"] == "2026Q3"].copy()
    rows["provider"] = "<script>alert(1)</script>"
    html = build_html(build_publication(rows, "2026Q3"))
    assert "<script>" not in html


def test_needs_chapter_provision_over_time():
    from commissioning.publish.pdf.story import to_story
    from commissioning.publish.pdf.provision_over_time import provision_outline
    from commissioning.publish.pdf.style import render

    ds = load_dataset()
    story = to_story(provision_outline(ds, EXAMPLE, dpi=60))
    pdf = render(story, title="t", subject="s", author="a", header="h", toc=False)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Provision over time" in text
    assert "coverage of need by borough and quarter" in text and "Coverage 2026Q3" in text
    assert "invented example for fictional providers" in text
    assert provision_outline(ds, EXAMPLE.iloc[0:0]).blocks == []
