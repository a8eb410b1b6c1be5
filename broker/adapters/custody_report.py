"""The chain-of-custody report of a police export: what a person reads beside the manifest.

One PDF made from the manifest itself (before its ``documents`` are added): who received what,
when, on which legal basis and decision, under which restrictions, every clip with its camera,
times, size and SHA-256, and how to check it all. The manifest then lists the report with its
own SHA-256, so the signature covers it like a clip. Text is set in Noto Sans KR (SIL OFL,
shipped by the ``pylopdf-fonts-ko`` package), which has Hangul and Latin alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

MEDIA_TYPE = "application/pdf"
FONT_NAME = "NotoSansKR"


def font_path() -> Path:
    import pylopdf_fonts_ko

    return Path(pylopdf_fonts_ko.sans_path())


def render(manifest: Mapping[str, Any]) -> bytes:
    """The report as PDF bytes; the same manifest gives the same report."""
    from fpdf import FPDF  # imported here: fpdf2 and fontTools take a while to import
    from fpdf.enums import WrapMode, XPos, YPos

    export_id = str(manifest["export_id"])

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT_NAME, size=7)
            self.set_text_color(110)
            self.cell(0, 5, f"footage-broker · export {export_id} · page {self.page_no()}/{{nb}}",
                      align="C")

    pdf = Report(format="A4")
    pdf.set_margins(16, 16, 16)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(f"Chain-of-custody report, export {export_id}")
    pdf.set_author("footage-broker")
    pdf.set_creator("footage-broker")
    pdf.set_creation_date(datetime.fromisoformat(str(manifest["created_at"]).replace("Z", "+00:00")))
    pdf.add_font(FONT_NAME, "", str(font_path()))
    pdf.add_page()

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font(FONT_NAME, size=11.5)
        pdf.set_text_color(20, 40, 90)
        pdf.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(180)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1.5)
        pdf.set_text_color(0)

    def row(label: str, value: object, size: float = 9, digest: bool = False) -> None:
        """A label and its value; ids and digests (no spaces) wrap anywhere, at 8 pt."""
        pdf.set_font(FONT_NAME, size=8.5)
        pdf.set_text_color(90)
        pdf.cell(44, 5, label)
        pdf.set_text_color(0)
        pdf.set_font(FONT_NAME, size=8 if digest else size)
        pdf.multi_cell(0, 5, str(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                       wrapmode=WrapMode.CHAR if digest else WrapMode.WORD)

    def text(value: str, size: float = 9, indent: float = 0) -> None:
        pdf.set_font(FONT_NAME, size=size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, 5, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.set_font(FONT_NAME, size=17)
    pdf.cell(0, 9, "Chain-of-custody report", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_NAME, size=12)
    pdf.set_text_color(70)
    pdf.cell(0, 7, "증거 영상 반출 · 보관 연속성 기록", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)

    clips = list(manifest["clips"])
    window = manifest["window"]
    heading("Export · 반출")
    row("Export id", export_id, digest=True)
    row("Created (UTC)", manifest["created_at"])
    row("Clips", f"{len(clips)} ({sum(int(c['size']) for c in clips):,} bytes)")
    row("Request id", manifest["request_id"], digest=True)
    row("Grant id", manifest["grant_id"], digest=True)
    row("Window (UTC)", f"{window['start']} – {window['end']}")
    row("Package format", manifest["format"])

    recipient = manifest["recipient"]
    heading("Recipient · 수령 기관")
    row("Agency", recipient["agency"])
    row("Role", recipient["role"])
    row("Client id", recipient["client_id"], digest=True)

    decision, basis = manifest["decision"], manifest["legal_basis"]
    heading("Legal basis and decision · 법적 근거와 결정")
    row("Legal basis", f"{basis['id']} ({basis['citation']})")
    row("Outcome", decision["outcome"])
    row("Decided (UTC)", decision["decided_at"])
    row("Decision id", decision["decision_id"], digest=True)
    row("Policy pack", f"{decision['pack_id']} {decision['pack_version']}")
    row("Pack digest", decision["pack_digest"], digest=True)
    row("Input digest", decision["input_digest"], digest=True)

    heading("Restrictions · 이용 제한")
    row("Onward transfer", manifest["onward_transfer"])
    row("Third parties", "masked" if manifest["mask_third_parties"] else "not masked")
    for restriction in manifest["restrictions"]:
        text(f"•  {restriction}", indent=2)

    heading("Clips · 영상")
    for number, clip in enumerate(clips, 1):
        camera = clip.get("camera") or {}
        pdf.set_font(FONT_NAME, size=9.5)
        pdf.multi_cell(0, 5.5, f"{number}.  {clip['file']}", align="L", new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT, wrapmode=WrapMode.CHAR)
        place = camera.get("name") or clip["camera_id"]
        if camera.get("address"):
            place = f"{place} ({camera['address']})"
        row("Camera", place)
        row("Camera id", clip["camera_id"], digest=True)
        row("Recorded (UTC)", f"{clip['start']} – {clip['end']}")
        row("Size", f"{int(clip['size']):,} bytes")
        row("SHA-256", clip["sha256"], digest=True)
        row("Clip id", clip["clip_id"], digest=True)
        pdf.ln(1.5)

    heading("Integrity · 무결성 확인")
    text(f"manifest.json lists every file of this package, this report included, with its "
         f"size and SHA-256; manifest.sig is an Ed25519 signature over the exact bytes of "
         f"manifest.json by the broker's key {manifest['signing_key_id']}.")
    text("Check the package offline:  broker export verify <export.zip> --public-key broker.pem  "
         "(the broker's public key: GET /v1/keys/public).")
    text("The broker recorded this export (FootageRequest.Exported, with the SHA-256 of "
         "manifest.json) in its tamper-evident audit trail before the first byte left.")
    return bytes(pdf.output())

