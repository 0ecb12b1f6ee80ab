"""Read a directive's header and ending: number, date, issuer, signer, copies."""

from __future__ import annotations

import itertools
import re
from datetime import date

from knowledge.model import Copy, Metadata

_NUMBER = re.compile(
    r"\bSố\s*:?\s*(\d+[-–][A-ZĐ]+/[A-ZĐ]+(?:[-–][A-ZĐ]+)?|\d+/[A-ZĐ]+(?:[-–][A-ZĐ]+)+)"
)
_PLACE_DATE = re.compile(
    r"^(?P<place>[^,\d]+),\s*ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})"
)
_KINDS = (
    "KẾT LUẬN",
    "NGHỊ QUYẾT",
    "CHỈ THỊ",
    "QUYẾT ĐỊNH",
    "QUY ĐỊNH",
    "HƯỚNG DẪN",
    "KẾ HOẠCH",
    "THÔNG BÁO",
    "BÁO CÁO",
    "CÔNG VĂN",
    "CHƯƠNG TRÌNH",
    "ĐỀ ÁN",
    "QUY CHẾ",
)
_NOT_ISSUER = ("ĐẢNG CỘNG SẢN VIỆT NAM", "*")
_SIGNER_WORDS = ("/", "TRƯỞNG", "CHÁNH", "BÍ THƯ", "TM.", "KT.", "TL.", "CHỦ TỊCH", "GIÁM ĐỐC")
_ON_BEHALF = re.compile(r"^(?:T/M|K/T|T/L|TM\.?|KT\.?|TL\.?)\s")
_COPY_KINDS = {"SAO Y": "sao y", "SAO LỤC": "sao lục", "TRÍCH SAO": "trích sao"}
_LOCAL_BODY = re.compile(r"^(TỈNH|THÀNH|HUYỆN|QUẬN|THỊ|ĐẢNG)\s+(ỦY|UỶ)\b")


def parse_date(text: str) -> tuple[str, date | None]:
    """Return (place, date) from 'Hà Nội, ngày 11 tháng 01 năm 2024'."""
    m = _PLACE_DATE.search(text)
    if not m:
        return "", None
    try:
        when = date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        when = None
    return m["place"].strip(), when


def org_name(upper: str) -> str:
    """Return an all-caps organ name in normal case (TỈNH ỦY BÌNH ĐỊNH → Tỉnh ủy Bình Định)."""
    words = upper.split()
    if not words:
        return ""
    if _LOCAL_BODY.match(upper):
        head = [words[0].capitalize(), words[1].lower()]
        return " ".join(head + [w.capitalize() for w in words[2:]])
    out = [words[0].capitalize()] + [w.lower() for w in words[1:]]
    if len(out) > 1:
        out[1] = out[1].capitalize()
    name = " ".join(out)
    return re.sub(r"\btrung ương\b", "Trung ương", name, flags=re.I)


def is_person_name(line: str) -> bool:
    """Tell whether a line looks like a signer's name (2-5 capitalised words)."""
    parts = line.split()
    return 2 <= len(parts) <= 5 and all(
        p[0].isupper() and p[1:].islower() and p.isalpha() for p in parts
    )


def parse_metadata(header: list[str], ending: list[str]) -> Metadata:
    """Return the directive's metadata from its header and ending paragraphs."""
    lines = [line for par in header for line in par.split("\n")]
    number = next((m.group(1) for line in lines if (m := _NUMBER.search(line))), "")
    date_line = next((line for line in lines if parse_date(line)[1]), "")
    place, issued = parse_date(date_line)
    kind_i = next((i for i, p in enumerate(header) if _kind_of(p)), None)
    kind = _kind_of(header[kind_i]).capitalize() if kind_i is not None else ""
    title = (
        header[kind_i + 1].replace("\n", " ")
        if kind_i is not None and kind_i + 1 < len(header)
        else ""
    )
    main, copies = _split_copies(ending)
    signer_title, signer = _signer(main)
    return Metadata(
        number=number,
        kind=kind,
        title=title,
        issuer=_issuer(header),
        place=place,
        issued=issued,
        signer=signer,
        signer_title=signer_title,
        copies=tuple(_parse_copy(block) for block in copies),
        date_line=date_line,
        recipients=_recipients(main),
    )


def _kind_of(par: str) -> str:
    """Return the kind a header paragraph names ("KẾT LUẬN", "KẾ HOẠCH" …), or ""."""
    text = par.strip()
    if text in _KINDS:
        return text
    if "\n" in text or not text.isupper() or len(text) > 60:
        return ""
    return next((k for k in _KINDS if text.startswith(k + " ")), "")


def _issuer(header: list[str]) -> str:
    """Return the issuing organ: the capitalised lines opening the header.

    "BAN CHẤP HÀNH TRUNG ƯƠNG / BAN TỔ CHỨC" → Ban Tổ chức Trung ương;
    "TỈNH ỦY BÌNH ĐỊNH / BAN TỔ CHỨC" → Ban Tổ chức Tỉnh ủy Bình Định. The national
    motto column ("ĐẢNG CỘNG SẢN VIỆT NAM") and the "*" under the organ are skipped.
    """
    lines: list[str] = []
    for line in (x.strip() for par in header for x in par.split("\n")):
        line = line.replace(_NOT_ISSUER[0], "").strip()  # the motto beside it on one line
        if not line or line in _NOT_ISSUER:
            continue
        if not line.isupper() or _kind_of(line) or parse_date(line)[1]:
            break
        lines.append(line)
    if not lines:
        return ""
    name = org_name(lines[-1])
    if len(lines) > 1 and lines[-1].startswith("BAN ") and "TRUNG ƯƠNG" not in lines[-1]:
        above = lines[-2]
        name += " Trung ương" if "TRUNG ƯƠNG" in above else " " + org_name(above)
    return name


def _split_copies(ending: list[str]) -> tuple[list[str], list[list[str]]]:
    """Split the ending into the original's part and one block per copy."""
    starts = [i for i, p in enumerate(ending) if _LOCAL_BODY.match(p) and p.isupper()]
    if not starts:
        return ending, []
    bounds = [*starts, len(ending)]
    return ending[: starts[0]], [ending[a:b] for a, b in itertools.pairwise(bounds)]


def _signer(block: list[str]) -> tuple[str, str]:
    """Return (title, name) of the person who signed a block."""
    names = [p for p in block if is_person_name(p)]
    at = [i for i, p in enumerate(block) if p.isupper() and any(w in p for w in _SIGNER_WORDS)]
    if not at:
        return "", (names[-1] if names else "")
    title = block[at[-1]]
    if len(at) > 1 and at[-2] == at[-1] - 1 and _ON_BEHALF.match(block[at[-2]]):
        title = f"{block[at[-2]]}\n{title}"  # "T/M BAN THƯỜNG VỤ" / "BÍ THƯ" as two paragraphs
    return title.replace("\n", ", "), (names[-1] if names else "")


def _recipients(block: list[str]) -> tuple[str, ...]:
    """Return the 'Nơi nhận' lines of a block."""
    return tuple(
        line.lstrip("- ").strip().rstrip(",.")
        for par in block
        if par.startswith("-")
        for line in par.split("\n")
    )


def _parse_copy(block: list[str]) -> Copy:
    """Return one certified copy from its ending block."""
    number = next((m.group(1) for p in block if (m := _NUMBER.search(p))), "")
    kind = next((_COPY_KINDS[p] for p in block if p in _COPY_KINDS), "bản sao")
    date_line = next((p for p in block if parse_date(p)[1]), "")
    place, issued = parse_date(date_line)
    title, signer = _signer(block)
    return Copy(
        kind=kind,
        issuer=org_name(block[0]),
        number=number,
        place=place,
        issued=issued,
        signer=signer,
        signer_title=title,
        date_line=date_line,
        recipients=_recipients(block),
    )


def describe(meta: Metadata) -> list[tuple[str, str, str]]:
    """Return (ref, text, search context) passages stating the metadata in its own words."""
    name = f"{meta.kind} {meta.number}"
    out = [
        (
            "Phần đầu văn bản",
            f"{name} của {meta.issuer}, {meta.date_line}{_short_date(meta.issued)}: {meta.title}.",
            "ban hành số hiệu cơ quan",
        ),
        ("Phần cuối văn bản", f"{meta.signer_title}: {meta.signer}.", f"người ký {name}"),
    ]
    if meta.recipients:
        out.append(("Nơi nhận", "; ".join(meta.recipients), f"{name} gửi nơi nhận"))
    for c in meta.copies:
        where = f"Bản {c.kind} của {c.issuer}"
        text = f"{c.issuer}, số {c.number}, {c.kind.upper()}, {c.date_line}{_short_date(c.issued)}"
        signed = f"{c.signer_title}: {c.signer}." if c.signer else "."
        out.append((where, f"{text}; {signed}", f"{c.kind} {name} người ký số hiệu"))
        if c.recipients:
            out.append(
                (f"{where}, nơi nhận", "; ".join(c.recipients), f"{c.issuer} {c.kind} gửi nơi nhận")
            )
    return out


def _short_date(when: date | None) -> str:
    return f" ({when:%d/%m/%Y})" if when else ""
