"""The plan's wording, read as data: item numbers (1. （一） 一、), deadlines in the text (3月底前,
2020年底前, 6月30日前) with the phrase they come from, and cells of unit names (“市委办、政府办、
市直单位”, “县司法局牵头，各有关部门配合”) split into names.

Pure functions of text (no files, no clock): `fazhi import-plan` reads tables and paragraphs with
them; the plan year is passed in.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from fazhi_cli.models.plan import Level

# --- numbers --------------------------------------------------------------------------------------
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def cn_number(text: str) -> int | None:
    """一 … 九十九 (and 一百) as an int; None when it is not such a numeral."""
    if not text or any(c not in _CN_DIGITS and c not in "十百" for c in text):
        return None
    if text == "一百":
        return 100
    if "百" in text:
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        if "十" in ones:
            return None
        high = 1 if tens == "" else _CN_DIGITS.get(tens) if len(tens) == 1 else None
        low = 0 if ones == "" else _CN_DIGITS.get(ones) if len(ones) == 1 else None
        if high is None or low is None or high == 0:
            return None
        return high * 10 + low
    if len(text) == 1:
        return _CN_DIGITS[text]
    return None


def number_value(text: str) -> int | None:
    """A number as written in a 序号 cell or a date: 7, ７, 07, 7.0 (Excel), 七."""
    clean = text.strip().translate(_FULL_WIDTH)
    clean = re.sub(r"^[（(]\s*(.*?)\s*[）)]$", r"\1", clean)
    clean = clean.rstrip(".、．")
    if re.fullmatch(r"\d{1,6}", clean):
        return int(clean)
    if re.fullmatch(r"\d{1,6}\.0+", clean):
        return int(clean.split(".")[0])
    return cn_number(clean)


@dataclass(frozen=True)
class Numbering:
    """The number an item starts with: `level` 1 一、, 2 （一）, 3 1. or 1、, 4 （1） or ①."""

    level: int
    value: int
    label: str  # as written: “一、” “（一）” “3.”
    rest: str  # the text after it


_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_NUMBERINGS = (
    (1, re.compile(r"^\s*(?P<n>[一二三四五六七八九十]{1,3})\s*[、.．]\s*")),
    (2, re.compile(r"^\s*[（(]\s*(?P<n>[一二三四五六七八九十]{1,3})\s*[）)]\s*[、.．]?\s*")),
    (3, re.compile(r"^\s*(?P<n>[0-9０-９]{1,3})\s*(?:[、．]|\.(?![0-9]))\s*")),
    (4, re.compile(r"^\s*[（(]\s*(?P<n>[0-9０-９]{1,3})\s*[）)]\s*")),
    (4, re.compile(rf"^\s*(?P<n>[{_CIRCLED}])\s*")),
)


def numbering(line: str) -> Numbering | None:
    """The item number a line starts with, if any."""
    for level, pattern in _NUMBERINGS:
        match = pattern.match(line)
        if not match or not line[match.end():].strip():
            continue
        raw = match.group("n")
        value = _CIRCLED.index(raw) + 1 if raw in _CIRCLED else number_value(raw)
        if value is None:
            continue
        return Numbering(level, value, match.group(0).strip(), line[match.end():].strip())
    return None


def section_label(level: int, value: int) -> str:
    """How a heading is cited in `section` (the plan's own style: 二(一))."""
    cn = _cn(value)
    return cn if level == 1 else f"({cn})" if level == 2 else f"{value}." if level == 3 else f"({value})"


def _cn(value: int) -> str:
    digits = "〇一二三四五六七八九"
    if value < 10:
        return digits[value]
    if value < 20:
        return "十" + (digits[value - 10] if value > 10 else "")
    if value < 100:
        return digits[value // 10] + "十" + (digits[value % 10] if value % 10 else "")
    return str(value)


# --- deadlines ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatePhrase:
    """A deadline written in the text: its day, the phrase (“3月底前”), the clause it stands in
    (the deadline's `source`), the level the clause names (市本级 / 旗县级), or why it is no day."""

    phrase: str
    clause: str
    due: dt.date | None
    level: Level | None = None
    problem: str | None = None
    year: int | None = None  # the year as written, when it was


_N = r"(?:[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})"
_Y = r"(?:(?P<{}>[0-9０-９]{{4}})\s*年度?)"
_BEFORE = r"(?:之前|以前|前|为止|止)"
_DATE = re.compile(
    "|".join(
        (
            # 6月30日前, 2020年6月30日之前: a day counts as a deadline only with 前/之前/为止
            rf"(?P<a>{_Y.format('ya')}?\s*(?P<ma>{_N})\s*月\s*(?P<da>{_N})\s*[日号]\s*{_BEFORE})",
            # 3月底, 4月底之前, 2020年6月末前, 9月中旬前
            rf"(?P<b>{_Y.format('yb')}?\s*(?P<mb>{_N})\s*月份?\s*(?P<pb>底|末|上旬|中旬|下旬)\s*{_BEFORE}?)",
            # 2020年底前, 年底前, 2020年上半年
            rf"(?P<c>(?:{_Y.format('yc')}年?|(?<![明去前])年)\s*(?P<pc>底|末)\s*{_BEFORE}?)",
            rf"(?P<h>{_Y.format('yh')}?\s*上半年\s*{_BEFORE}?)",
        )
    )
)
# A phrase followed by these marks a start or a point in time, not a deadline (3月底起, 年底以后).
_NOT_DEADLINE_AFTER = re.compile(r"^\s*(?:起|开始|以后|之后|后|启动)")
_CLAUSE_BREAK = re.compile(r"[，,；;。！？!?\n]")
_CITY = re.compile(r"市本级|市级")
_COUNTY = re.compile(r"旗县级|旗县市区|县级|县区")


def find_dates(text: str, year: int) -> list[DatePhrase]:
    """The deadlines written in `text`, in order; a phrase without a year is in the plan `year`."""
    found: list[DatePhrase] = []
    for match in _DATE.finditer(text):
        if _NOT_DEADLINE_AFTER.match(text[match.end():]):
            continue
        phrase = match.group(0).strip()
        clause = _clause(text, match.start(), match.end())
        level = Level.CITY if _CITY.search(clause) else Level.COUNTY if _COUNTY.search(clause) else None
        written = next((match.group(g) for g in ("ya", "yb", "yc", "yh") if match.group(g)), None)
        the_year = int(written.translate(_FULL_WIDTH)) if written else year
        due, problem = _day(match, the_year)
        found.append(DatePhrase(phrase, clause, due, level, problem, int(written.translate(_FULL_WIDTH)) if written else None))
    return found


def _clause(text: str, start: int, end: int) -> str:
    before = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)]
    after = _CLAUSE_BREAK.search(text, end)
    return text[(before[-1] if before else 0): (after.start() if after else len(text))].strip()


def _day(match: re.Match, year: int) -> tuple[dt.date | None, str | None]:
    def num(group: str) -> int | None:
        return number_value(match.group(group))

    try:
        if match.group("a"):
            month, day = num("ma"), num("da")
            return dt.date(year, month, day), None
        if match.group("b"):
            month = num("mb")
            last = calendar.monthrange(year, month)[1]
            day = {"上旬": 10, "中旬": 20}.get(match.group("pb"), last)
            return dt.date(year, month, day), None
        if match.group("c"):
            return dt.date(year, 12, 31), None
        return dt.date(year, 6, 30), None
    except (TypeError, ValueError, calendar.IllegalMonthError):
        return None, f"“{match.group(0).strip()}”不是有效的日期"


# --- unit names -----------------------------------------------------------------------------------
class NameSet:
    """The names a workspace knows (units and groups: id, full name, short name, aliases), for
    splitting a cell at known names first. `kind(name)`: "unit", "group" or None (unknown)."""

    def __init__(self, kinds: dict[str, str] | None = None):
        self._kinds = {self.key(k): v for k, v in (kinds or {}).items()}
        self._longest = max((len(k) for k in self._kinds), default=0)

    @staticmethod
    def key(text: str) -> str:
        return "".join(text.split()).casefold()

    def kind(self, name: str) -> str | None:
        return self._kinds.get(self.key(name))

    def match_at(self, text: str, start: int) -> int:
        """Length of the longest known name starting at `start` (0 when none)."""
        for length in range(min(self._longest, len(text) - start), 0, -1):
            if text[start:start + length].casefold() in self._kinds:
                return length
        return 0


@dataclass(frozen=True)
class Named:
    """One name out of a cell, with whether the text says it leads (牵头)."""

    name: str
    leads: bool = False


_HARD = set("、，,；;\n\r\t 　\u00a0/／|")
_SOFT = ("等", "和", "及", "与")
_LABEL = re.compile(
    r"[（(]?\s*(?P<label>牵头单位|牵头部门|主责单位|责任单位|责任部门|责任主体|配合单位|配合部门|参与单位|协办单位)\s*[:：]"
)
_ROLE_TAIL = re.compile(
    r"(?:按照?各自职责|按照?职责分工|按照?职责|各负其责|分别|共同|具体|协同|协助|积极|组织|负责|配合|参与|落实|实施|牵头|抓好|推进|完成)$"
)
_GENERIC_TAIL = re.compile(r"等(?:部门|单位)$")
_GROUPISH = re.compile(r"^(?:各|其他|其它|有关|相关|有|所有|全体)")
_PUNCT_EDGES = "。．.：:（）()“”\"'‘’《》 "


@dataclass
class Responsibility:
    """A responsibility text split: names under 牵头单位 (or said to 牵头), the others, and
    whether the text said who leads at all."""

    lead: list[Named] = field(default_factory=list)
    others: list[Named] = field(default_factory=list)
    labelled_lead: bool = False


def is_responsibility_line(line: str) -> bool:
    """“责任单位：…”, “（牵头单位：…；配合单位：…）”."""
    return bool(_LABEL.match(line.strip()))


def split_trailing_responsibility(line: str) -> tuple[str, str | None]:
    """An item that ends with its units in brackets (“……。（责任单位：县司法局）”): the item's text
    and the responsibility text; (line, None) when it has none."""
    match = re.search(r"[（(]\s*(?:牵头单位|牵头部门|责任单位|责任部门|责任主体|主责单位)\s*[:：][^（）()]*[）)]\s*[。.]?\s*$", line)
    if not match or match.start() == 0:
        return line, None
    return line[: match.start()].rstrip(), match.group(0).strip().strip("。.").strip()


def split_responsibility(text: str, names: NameSet) -> Responsibility:
    """“牵头单位：A；责任单位：B、C” or “责任单位：A牵头，B、C配合” into names."""
    out = Responsibility()
    body = text.strip()
    if body[:1] in "（(" and body[-1:] in "）)":
        body = body[1:-1]
    parts = list(_LABEL.finditer(body))
    if not parts:
        segments = [("", body)]
    else:
        segments = [(m.group("label"), body[m.end(): parts[i + 1].start() if i + 1 < len(parts) else len(body)]) for i, m in enumerate(parts)]
    for label, segment in segments:
        found = split_names(segment, names)
        if label.startswith(("牵头", "主责")):
            out.labelled_lead = True
            out.lead += [Named(n.name, True) for n in found]
        else:
            for item in found:
                (out.lead if item.leads else out.others).append(item)
    return out


def split_names(cell: str, names: NameSet) -> list[Named]:
    """A cell of unit names (“市委办、政府办、\\n市直单位”) into names, known names first (so a
    group such as “有职业资格、资质许可和认定事项的各相关部门” stays whole); an unknown stretch
    runs to the next 、 ， ； or line break. “等” after a name that ends it (“市人社局等有职业
    资格……的各相关部门”) separates two names; “按职责分工分别负责”, “牵头”, “配合” are dropped
    (“牵头” marks the name as leading)."""
    text = cell.replace("\u00a0", " ").replace("\u3000", " ")
    if text.strip() in _NOTHING:
        return []
    out: list[Named] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in _HARD:
            i += 1
            continue
        if text.startswith("由", i) and names.match_at(text, i) == 0:
            i += 1
        length = names.match_at(text, i)
        if length:
            end = next(_ends(text, i + length, names))
            if not _rest_is_trivial(text[i + length: end]):
                length = 0  # a known name that only begins a longer, unknown one
        if length:
            name, leads = text[i: i + length], "牵头" in text[i + length: end]
        else:
            end = next(_ends(text, i + 1, names))
            name, leads = _clean(text[i:end])
        if name:
            out.append(Named(_squeeze(name), leads))
        i = end
        if i < n and text.startswith(_SOFT, i):
            i += 1
    merged: dict[str, Named] = {}
    for item in out:  # a name written twice counts once (leading if either says so)
        key = NameSet.key(item.name)
        merged[key] = Named(merged[key].name, merged[key].leads or item.leads) if key in merged else item
    return list(merged.values())


_NOTHING = {"", "无", "-", "—", "——", "/", "／", "\\"}


def _ends(text: str, first: int, names: NameSet):
    """Where a name may end, from `first` on, in order: before a soft separator (等 和 及 与) that
    a known name or a group-like word (各…, 有关…, 其他…) follows, and at the next hard one."""
    j = first
    while j < len(text) and text[j] not in _HARD:
        if text.startswith(_SOFT, j) and j + 1 < len(text) and (names.match_at(text, j + 1) or _GROUPISH.match(text[j + 1:])):
            yield j
        j += 1
    yield j


def _rest_is_trivial(rest: str) -> bool:
    """What may follow a known name inside its stretch: role words only (牵头, 负责, 按职责分工分别负责)."""
    stripped = rest.strip(_PUNCT_EDGES)
    while stripped:
        match = _ROLE_TAIL.search(stripped)
        if not match:
            return False
        stripped = stripped[: match.start()]
    return True


def _clean(raw: str) -> tuple[str, bool]:
    """An unknown stretch without its role words: (“县司法局”, True) for “县司法局牵头”."""
    name = raw.strip(_PUNCT_EDGES)
    leads = False
    name = _GENERIC_TAIL.sub("", name)
    while True:
        match = _ROLE_TAIL.search(name)
        if not match or match.start() == 0:
            break
        leads = leads or match.group(0) == "牵头"
        name = name[: match.start()].rstrip(_PUNCT_EDGES)
    if _ROLE_TAIL.fullmatch(name):
        return "", False
    if name.startswith("由") and len(name) > 2:
        name = name[1:]
    return name.strip(_PUNCT_EDGES), leads


def _squeeze(name: str) -> str:
    """Spaces inside a Chinese name go (“县 司法局”); between Latin words one stays."""
    return re.sub(r"\s+", lambda m: " " if _latin_around(name, m.start(), m.end()) else "", name.strip())


def _latin_around(text: str, start: int, end: int) -> bool:
    return start > 0 and end < len(text) and text[start - 1].isascii() and text[end].isascii()


# --- text ------------------------------------------------------------------------------------------
def join_lines(lines: Iterable[str]) -> str:
    """A multi-line cell or paragraph as one text: Chinese lines join without a space; lines of
    Latin words with one; blank lines (and lone NBSPs) go."""
    out = ""
    for raw in lines:
        line = raw.replace("\u00a0", " ").strip()
        if not line:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and line[0].isascii() and line[0].isalnum():
            out += " "
        out += line
    return out


TITLE_LENGTH = 16
_LEADING = re.compile(r"^(?:按照|根据|依照|依据|为了|围绕|对照)")


def make_title(text: str) -> str:
    """A short title from the task's text: its first clause (the next one when the first only says
    按照…/根据… which document), at most 16 characters."""
    clauses = [c.strip(" “”《》\"") for c in re.split(r"[，,。；;：:！？!?]", text) if c.strip(" “”《》\"")]
    if not clauses:
        return text[:TITLE_LENGTH]
    title = clauses[0]
    if _LEADING.match(title) and len(clauses) > 1:
        title = clauses[1]
    title = re.sub(r"^(?:各地、各单位|各地各单位|各单位|各部门|各地)(?:要|应当|应)?", "", title) or title
    return title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1] + "…"
