"""Write a synthetic fazhi workspace of any size, for benchmarks and tests.

    python benchmarks/make_workspace.py OUT --units N [--tasks M] [--seed S] [--commits K] [--no-git]

OUT gets data/ (units in groups — 旗县市区-like counties and 市直单位-like city departments, with
ids, names, short names and aliases; open groups that units claim tasks through; M tasks with
group responsibilities, deadlines and targets), ledgers/<unit>.yaml for every unit (work plans,
progress, records, 销号 logs with apply / confirm / reject / reopen, extension requests and
decisions, entries in every state, Chinese text) and the evidence files they cite under
evidence/<unit>/. Everything obeys the 销号 rules, so `fazhi check` exits 0 with no problem at all.

The same arguments give byte-identical files. Unless --no-git, OUT is a git repository with one
initial commit (dated 2020-11-01) and, with --commits K, K more commits, each one hand edit of one
unit's ledger (a progress entry in November), for `fazhi history` and `fazhi audit`.

OUT/benchmark.json says what was made (sizes, the day to view it as of, a unit and a task the
benchmark uses); fazhi never reads it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

YEAR = 2020
START = dt.date(YEAR, 3, 1)  # the plan is issued
END = dt.date(YEAR, 10, 31)  # last day anything is recorded before the import commit
AS_OF = dt.date(YEAR, 11, 30)  # the day benchmarks view the workspace as of
IMPORT_DATE = "2020-11-01T09:00:00+08:00"
DEFAULT_DUE = dt.date(YEAR, 7, 31)
COUNT_DUE = dt.date(YEAR, 12, 31)

# --- names ------------------------------------------------------------------------------------

SYLLABLES = [
    ("科", "ke"), ("尔", "er"), ("沁", "qin"), ("霍", "huo"), ("林", "lin"), ("郭", "guo"), ("勒", "le"),
    ("开", "kai"), ("鲁", "lu"), ("库", "ku"), ("伦", "lun"), ("奈", "nai"), ("曼", "man"), ("扎", "zha"),
    ("特", "te"), ("左", "zuo"), ("中", "zhong"), ("后", "hou"), ("巴", "ba"), ("彦", "yan"), ("淖", "nao"),
    ("阿", "a"), ("荣", "rong"), ("克", "ke"), ("什", "shi"), ("腾", "teng"), ("宁", "ning"), ("城", "cheng"),
    ("敖", "ao"), ("汉", "han"), ("翁", "weng"), ("牛", "niu"), ("西", "xi"), ("乌", "wu"), ("兰", "lan"),
    ("浩", "hao"), ("达", "da"), ("拉", "la"), ("河", "he"), ("源", "yuan"), ("平", "ping"), ("安", "an"),
    ("丰", "feng"), ("泉", "quan"), ("山", "shan"), ("岭", "ling"), ("原", "yuan"), ("金", "jin"),
]
COUNTY_KINDS = [("旗", "qi"), ("县", "xian"), ("区", "qu"), ("市", "shi")]

# (full name part, short name, id stem)
DEPARTMENTS = [
    ("财政局", "财政局", "caizhengju"), ("民政局", "民政局", "minzhengju"), ("教育局", "教育局", "jiaoyuju"),
    ("公安局", "公安局", "gonganju"), ("人力资源和社会保障局", "人社局", "renshe"),
    ("自然资源局", "自然资源局", "ziranziyuanju"), ("生态环境局", "生态环境局", "shengtaiju"),
    ("住房和城乡建设局", "住建局", "zhujianju"), ("交通运输局", "交通运输局", "jiaotongju"),
    ("水利局", "水利局", "shuiliju"), ("农牧局", "农牧局", "nongmuju"), ("商务局", "商务局", "shangwuju"),
    ("文化旅游体育局", "文旅体育局", "wenlvju"), ("卫生健康委员会", "卫健委", "weijianwei"),
    ("退役军人事务局", "退役军人局", "tuiyiju"), ("应急管理局", "应急管理局", "yingjiju"), ("审计局", "审计局", "shenjiju"),
    ("国有资产监督管理委员会", "国资委", "guoziwei"), ("市场监督管理局", "市场监管局", "shichangju"),
    ("统计局", "统计局", "tongjiju"), ("医疗保障局", "医保局", "yibaoju"), ("林业和草原局", "林草局", "lincaoju"),
    ("信访局", "信访局", "xinfangju"), ("城市管理综合执法局", "城管局", "chengguanju"),
    ("民族宗教事务委员会", "民宗委", "minzongwei"), ("科学技术局", "科技局", "kejiju"),
    ("工业和信息化局", "工信局", "gongxinju"), ("发展和改革委员会", "发改委", "fagaiwei"),
    ("政务服务局", "政务服务局", "zhengwuju"), ("档案局", "档案局", "danganju"), ("人民防空办公室", "人防办", "renfangban"),
    ("能源局", "能源局", "nengyuanju"), ("粮食和物资储备局", "粮储局", "liangchuju"), ("气象局", "气象局", "qixiangju"),
    ("金融工作办公室", "金融办", "jinrongban"), ("乡村振兴局", "乡村振兴局", "xiangcunju"),
]
SUB_UNITS = [
    ("综合行政执法支队", "执法支队", "zhifa"), ("事务服务中心", "服务中心", "fuwu"), ("稽查局", "稽查局", "jicha"),
    ("监测中心", "监测中心", "jiance"), ("管理处", "管理处", "guanli"), ("信息中心", "信息中心", "xinxi"),
    ("研究院", "研究院", "yanjiu"), ("培训中心", "培训中心", "peixun"), ("机关党委", "机关党委", "dangwei"),
    ("保障中心", "保障中心", "baozhang"),
]
CITY = "通辽市"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然志国建新文斌海燕慧颖"
ORGANS = ["通司发", "通政发", "通政办发", "通依法办", "通财发", "通民发", "通人社发", "通环发", "通政务发", "通市监发"]

# --- tasks ------------------------------------------------------------------------------------

SECTIONS = ["二(一)", "二(二)", "二(三)", "二(四)", "二(五)", "二(六)", "二(七)", "二(八)"]
# (title, text, kind, targets: [(key, label, measure, min, max, unit)])
ARCHETYPES = [
    ("专题研究法治建设", "各地、各单位领导班子每年专题听取法治政府建设情况汇报，专题研究法治建设工作不少于{n}次。", "count",
     [("hearing", "专题听取法治政府建设情况汇报", "count", 1, None, "次"), ("research", "专题研究法治建设工作", "count", 2, None, "次")]),
    ("中心组学法", "各地、各单位党组(党委)领导班子每年中心组学法不少于{n}次，至少举办2期法治专题讲座。", "count",
     [("study", "党组(党委)中心组学法", "count", 4, None, "次"), ("lecture", "法治专题讲座", "count", 2, None, "期")]),
    ("领导干部法治培训", "各地、各单位每年至少举办{n}期领导干部法治专题培训班。", "count",
     [("training", "领导干部法治专题培训班", "count", 1, None, "期")]),
    ("公布权责清单", "行政权力事项清单和公共服务事项清单按时向社会公布，实行动态调整。", "deliverable", []),
    ("审批事项下放", "对直接面向群众、量大面广、由基层实施更方便有效的行政审批事项，按要求下放基层管理。", "deliverable", []),
    ("证照分离改革", "继续落实好“证照分离”“多证合一”改革，办理时限不超过{n}个工作日。", "measured",
     [("days", "企业开办办理时限", "workdays", None, 5, "个工作日")]),
    ("双随机一公开", "全面推行“双随机、一公开”监管，随机抽查事项占比达到{n}%以上。", "measured",
     [("ratio", "随机抽查事项占比", "percent", 80, None, "%")]),
    ("重大行政决策程序", "严格贯彻落实重大行政决策程序条例，履行公众参与、专家论证、风险评估、合法性审查、集体讨论决定等法定程序。", "standing", []),
    ("法律顾问制度", "全面落实政府法律顾问制度，重大行政决策前听取法律顾问、公职律师意见。", "standing", []),
    ("行政执法三项制度", "全面推行行政执法公示制度、执法全过程记录制度、重大执法决定法制审核制度。", "deliverable", []),
    ("规范性文件备案", "严格落实规范性文件制定、清理、审核和备案程序，做到有件必备、有备必审、有错必纠。", "standing", []),
    ("行政复议应诉", "依法办理行政复议案件，行政机关负责人出庭应诉率达到{n}%以上。", "measured",
     [("court", "行政机关负责人出庭应诉率", "percent", 50, None, "%"), ("correct", "行政复议纠错意见落实率", "percent", 100, None, "%")]),
    ("执法人员培训", "各行政执法单位每年组织执法人员参加法律知识培训不少于{n}次。", "count",
     [("course", "执法人员法律知识培训", "count", 1, None, "次")]),
    ("行政裁决", "有行政裁决权的单位梳理行政裁决事项，编制行政裁决事项清单并向社会公布。", "deliverable", []),
    ("政府购买服务", "有政府购买服务事项的单位编制政府购买服务指导性目录，规范购买程序。", "deliverable", []),
    ("营商环境", "开展优化营商环境专项行动，清理妨碍统一市场和公平竞争的规定和做法。", "deliverable", []),
    ("法治宣传教育", "落实“谁执法谁普法”普法责任制，加强法治宣传教育，营造办事依法、遇事找法的法治环境。", "standing", []),
    ("矛盾纠纷化解", "坚持发展新时代“枫桥经验”，完善矛盾纠纷多元化解机制，把矛盾纠纷化解在基层。", "standing", []),
]
ORDINALS = ["", "（二）", "（三）", "（四）", "（五）", "（六）", "（七）", "（八）", "（九）"]

MEASURES = [
    "制定年度工作方案，明确责任分工和时间节点", "召开专题会议研究部署，按月调度推进情况", "建立工作台账，实行清单化管理、销号式推进",
    "组织专项检查，对发现的问题限期整改", "完善制度文件，报依法治市办备案", "开展业务培训，提高干部依法行政能力",
]
PROGRESS_NOTES = [
    "召开专题会议，传达学习方案要求并部署落实", "印发本单位实施方案，明确分管领导和具体负责人", "组织开展专项自查，形成问题清单",
    "完成阶段性工作，形成工作总结", "对照任务清单逐项整改，整改完成率过半", "邀请法律顾问参与审查，出具书面意见",
    "召开推进会，听取各科室落实情况汇报", "在门户网站公开相关信息，接受社会监督", "开展集中培训，参训人员{n}人次",
    "报送阶段性进展情况至依法治市办", "完善相关制度{k}项，建立长效机制", "组织“回头看”，巩固整改成果",
]
# (title, file name endings it comes in)
EVIDENCE_KINDS = [
    ("会议纪要", [".pdf", ".docx"]), ("实施方案", [".pdf", ".docx"]), ("工作总结", [".docx", ".pdf"]), ("自查报告", [".pdf"]),
    ("培训签到表", [".pdf", ".jpg"]), ("现场照片", [".jpg"]), ("制度汇编", [".pdf"]), ("整改台账", [".xlsx"]),
    ("公示截图", [".png", ".jpg"]), ("审查意见书", [".pdf"]),
]
REASONS = ["第三方评估合同尚未签订", "受疫情影响集中培训延后", "上级配套文件尚未出台", "机构改革后职责调整，需重新梳理", "系统平台升级改造尚未完成"]
REJECT_NOTES = ["佐证材料不全，请补充会议纪要", "未见制度文件正式印发稿，请补充", "量化目标未达到，请继续推进", "清单未向社会公布，请公布后重新申请"]
REOPEN_NOTES = ["督察发现落实不到位，重新打开整改", "验收抽查佐证材料与实际不符，重新打开"]


@dataclass
class UnitSpec:
    id: str
    name: str
    short: str | None
    aliases: list[str]
    level: str  # city | county


@dataclass
class GroupSpec:
    id: str
    name: str
    members: list[str]
    open: bool
    aliases: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class TargetSpec:
    key: str
    label: str
    measure: str
    min: float | None
    max: float | None
    unit: str


@dataclass
class TaskSpec:
    id: int
    title: str
    text: str
    section: str
    kind: str
    lead: list[str]  # unit ids
    responsible: list[str]  # unit or group ids
    deadlines: list[tuple[dt.date, str | None, str]]  # (due, level, source)
    targets: list[TargetSpec]


class Names:
    """Every name, short name and alias, unique across units and groups (as fazhi requires)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.ids: set[str] = set()

    def free(self, text: str) -> bool:
        return "".join(text.split()).casefold() not in self.taken

    def take(self, text: str) -> None:
        self.taken.add("".join(text.split()).casefold())

    def new_id(self, stem: str) -> str:
        stem = stem[:34]
        candidate, n = stem, 2
        while candidate in self.ids or not self.free(candidate):
            candidate, n = f"{stem}-{n}", n + 1
        self.ids.add(candidate)
        self.take(candidate)
        return candidate


# --- the plan -----------------------------------------------------------------------------------


def make_units(rng: random.Random, n_units: int) -> tuple[list[UnitSpec], Names]:
    names = Names()
    for group_name in GROUP_NAMES.values():
        names.take(group_name)
    units: list[UnitSpec] = []

    def add(stem: str, name: str, short: str | None, aliases: list[str], level: str) -> None:
        uid = names.new_id(stem)
        names.take(name)
        if short and names.free(short):
            names.take(short)
        else:
            short = None
        kept = []
        for alias in aliases:
            if names.free(alias):
                names.take(alias)
                kept.append(alias)
        units.append(UnitSpec(uid, name, short, kept, level))

    add("yifaban", "中共通辽市委全面依法治市委员会办公室", "市委依法治市办", ["依法治市办"], "city")
    add("sifaju", "通辽市司法局", "司法局", ["市司法局"], "city")
    add("zhengfuban", "通辽市人民政府办公室", "政府办", ["市政府办"], "city")
    n_counties = max(1, round((n_units - 3) * 0.27))
    n_city = n_units - 3 - n_counties
    # counties: two syllables and a kind (科沁旗, 霍林县 …), in a shuffled but seeded order
    combos = [(a, b, k) for a in SYLLABLES for b in SYLLABLES if a != b for k in COUNTY_KINDS]
    rng.shuffle(combos)
    made = 0
    for (c1, p1), (c2, p2), (kind, pk) in combos:
        if made == n_counties:
            break
        name = c1 + c2 + kind
        if not names.free(name):
            continue
        add(p1 + p2 + pk, name, None, [c1 + c2], "county")
        made += 1
    # city departments: 通辽市财政局 …, then their second-level units, then branches in each county
    county_places = [u.name[:-1] for u in units if u.level == "county"] or ["城区"]
    candidates = [(d, None) for d in DEPARTMENTS] + [(d, s) for s in SUB_UNITS for d in DEPARTMENTS]
    made = 0
    index = 0
    while made < n_city:
        if index < len(candidates):
            (full, short, stem), sub = candidates[index]
            if sub is None:
                name, sname, sid, aliases = CITY + full, short, stem, ["市" + short]
            else:
                name, sname, sid, aliases = CITY + full + sub[0], short + sub[1], f"{stem}-{sub[2]}", []
        else:
            k = index - len(candidates)
            full, short, stem = DEPARTMENTS[k % len(DEPARTMENTS)]
            place = county_places[(k // len(DEPARTMENTS)) % len(county_places)]
            round_ = k // (len(DEPARTMENTS) * len(county_places))
            suffix = "分局" if round_ == 0 else f"第{round_ + 1}分局"
            name, sname, sid, aliases = CITY + full + place + suffix, None, f"{stem}-b{k}", []
        index += 1
        if not names.free(name):
            continue
        add(sid, name, sname, aliases, "city")
        made += 1
    return units, names


GROUP_NAMES = {
    "shizhi": "市直单位",
    "qixianshiqu": "旗县市区",
    "zhengfu-bumen": "政府部门",
    "zhifa": "各行政执法单位",
    "xiangguan": "各相关部门",
    "caijue": "有行政裁决权单位",
    "goumai": "有政府购买服务单位",
    "shizhi-zhongqu": "市直、中区直单位",
}


def make_groups(rng: random.Random, units: list[UnitSpec]) -> list[GroupSpec]:
    city = [u.id for u in units if u.level == "city" and u.id != "yifaban"]
    counties = [u.id for u in units if u.level == "county"]
    depts = [uid for uid in city if uid not in ("sifaju", "zhengfuban")]
    government = ["zhengfuban", "sifaju"] + [uid for uid in depts if rng.random() < 0.6]
    enforcement = [uid for uid in depts if rng.random() < 0.35]
    return [
        GroupSpec("shizhi", GROUP_NAMES["shizhi"], city, False, ["市直各单位"]),
        GroupSpec("qixianshiqu", GROUP_NAMES["qixianshiqu"], counties, False, ["各旗县市区"]),
        GroupSpec("zhengfu-bumen", GROUP_NAMES["zhengfu-bumen"], government, False, ["政府各部门"]),
        GroupSpec("zhifa", GROUP_NAMES["zhifa"], enforcement, True, note="方案未列出执法单位名单，其他执法单位可在台账中认领"),
        GroupSpec("xiangguan", GROUP_NAMES["xiangguan"], [], True, note="方案未列明成员，各单位在台账中认领"),
        GroupSpec("caijue", GROUP_NAMES["caijue"], [], True, note="有行政裁决职能的部门，单位认领"),
        GroupSpec("goumai", GROUP_NAMES["goumai"], [], True, note="有政府购买服务事项的单位，单位认领"),
        GroupSpec("shizhi-zhongqu", GROUP_NAMES["shizhi-zhongqu"], ["shizhi"], True, note="市直单位加上驻市的自治区直属单位，后者可认领"),
    ]


# responsible cells, weighted: (cells, weight); cells name group ids, or "@named" for 1–3 named departments
RESPONSIBLE_PATTERNS = [
    (["shizhi", "qixianshiqu"], 4),
    (["zhengfu-bumen", "qixianshiqu"], 2),
    (["xiangguan", "qixianshiqu"], 5),
    (["zhifa", "qixianshiqu"], 2),
    (["@named", "xiangguan", "qixianshiqu"], 1),
    (["shizhi-zhongqu", "qixianshiqu"], 1),
    (["@named", "xiangguan"], 1),
    (["caijue"], 1),
    (["goumai", "qixianshiqu"], 1),
]


def make_tasks(rng: random.Random, n_tasks: int, units: list[UnitSpec]) -> list[TaskSpec]:
    city = [u.id for u in units if u.level == "city"]
    depts = [uid for uid in city if uid not in ("yifaban", "sifaju", "zhengfuban")] or ["sifaju"]
    leads_pool = ["sifaju", "zhengfuban"] + depts[: max(6, len(depts) // 10)]
    patterns = [p for p, w in RESPONSIBLE_PATTERNS for _ in range(w)]
    tasks = []
    for tid in range(1, n_tasks + 1):
        title, text, kind, targets = ARCHETYPES[(tid - 1) % len(ARCHETYPES)]
        ordinal = (tid - 1) // len(ARCHETYPES)
        suffix = ORDINALS[ordinal] if ordinal < len(ORDINALS) else f"（{ordinal + 1}）"
        lead = [rng.choice(leads_pool)]
        if rng.random() < 0.25:
            other = rng.choice(leads_pool)
            if other not in lead:
                lead.append(other)
        cells: list[str] = []
        for cell in rng.choice(patterns):
            if cell == "@named":
                cells += [uid for uid in rng.sample(depts, min(len(depts), rng.randint(1, 3))) if uid not in cells]
            else:
                cells.append(cell)
        deadlines: list[tuple[dt.date, str | None, str]] = []
        if kind == "deliverable":
            roll = rng.random()
            if roll < 0.2:
                month = rng.choice([3, 4, 5])
                deadlines = [
                    (_month_end(month), "city", f"市本级在{month}月底前完成"),
                    (_month_end(month + 1), "county", f"旗县级在{month + 1}月底之前完成"),
                ]
            elif roll < 0.35:
                month = rng.choice([6, 9, 10, 12])
                deadlines = [(_month_end(month), None, f"{month}月底前完成")]
        tspecs = [TargetSpec(k, label, m, lo, hi, unit) for k, label, m, lo, hi, unit in targets]
        n = int((tspecs[0].min if tspecs and tspecs[0].min is not None else (tspecs[0].max if tspecs else 2)) or 2)
        tasks.append(
            TaskSpec(tid, title + suffix, text.format(n=n), SECTIONS[(tid - 1) * len(SECTIONS) // n_tasks], kind, lead, cells, deadlines, tspecs)
        )
    return tasks


def _month_end(month: int) -> dt.date:
    """The month's last working day (2020-05-29 for 5月底, a Sunday being the 31st): the synthetic
    plan sets no deadline on a day off, so `check` has no W307 to say."""
    day = dt.date(YEAR, 12, 31) if month == 12 else dt.date(YEAR, month + 1, 1) - dt.timedelta(days=1)
    return on_working_day(day)


def on_working_day(day: dt.date) -> dt.date:
    """`day`, or the working day before it (the official calendar: holidays and 调休)."""
    import chinese_calendar

    while not chinese_calendar.is_workday(day):
        day -= dt.timedelta(days=1)
    return day


# --- who carries what (the plan's rule, written independently of fazhi's engine) --------------


@dataclass
class Plan:
    units: list[UnitSpec]
    groups: list[GroupSpec]
    tasks: list[TaskSpec]

    def __post_init__(self) -> None:
        self.unit_by_id = {u.id: u for u in self.units}
        self.group_by_id = {g.id: g for g in self.groups}

    def expand(self, name: str) -> tuple[list[str], bool]:
        """Unit ids of a cell and whether an open group is among it."""
        if name in self.unit_by_id:
            return [name], False
        group = self.group_by_id[name]
        out, is_open = [], group.open
        for member in group.members:
            ids, sub_open = self.expand(member)
            out += [i for i in ids if i not in out]
            is_open = is_open or sub_open
        return out, is_open

    def fixed_carriers(self, task: TaskSpec) -> tuple[list[str], bool]:
        """Units carrying the task without a claim (lead first), and whether it may be claimed."""
        out = list(task.lead)
        claimable = False
        for cell in task.responsible:
            ids, is_open = self.expand(cell)
            out += [i for i in ids if i not in out]
            claimable = claimable or is_open
        return out, claimable

    def official_due(self, task: TaskSpec, unit: UnitSpec) -> dt.date:
        for due, level, _ in task.deadlines:
            if level == unit.level:
                return due
        for due, level, _ in task.deadlines:
            if level is None:
                return due
        return COUNT_DUE if task.kind == "count" else DEFAULT_DUE


# --- ledgers ------------------------------------------------------------------------------------


class Writer:
    """Evidence files of one unit, written as they are cited."""

    def __init__(self, out: Path, unit_id: str) -> None:
        self.out = out
        self.unit_id = unit_id
        self.files: dict[str, str] = {}  # workspace path → sha256

    def file(self, rng: random.Random, task_id: int, day: dt.date) -> dict:
        title, endings = rng.choice(EVIDENCE_KINDS)
        ext = rng.choice(endings)
        path = f"evidence/{self.unit_id}/任务{task_id}-{day.strftime('%m%d')}-{title}{ext}"
        if path not in self.files:
            body = (f"%FAZHI-BENCH {self.unit_id} 任务{task_id} {title} {day.isoformat()}\n" + "佐证材料正文。" * rng.randint(5, 60) + "\n").encode()
            target = self.out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            self.files[path] = hashlib.sha256(body).hexdigest()
        return {"path": path, "sha256": self.files[path]}


def document_number(rng: random.Random) -> str:
    return f"{rng.choice(ORGANS)}〔{YEAR}〕{rng.randint(1, 199)}号"


def evidence_items(rng: random.Random, writer: Writer, task_id: int, day: dt.date, *, required: bool) -> list:
    roll = rng.random()
    if roll < 0.35:
        items: list = [writer.file(rng, task_id, day)]
        if rng.random() < 0.3:
            items.append(document_number(rng))
        return items
    if roll < 0.7:
        return [document_number(rng)]
    if roll < 0.8:
        return [f"https://www.tongliao.gov.cn/xxgk/{YEAR}/{day.strftime('%m%d')}/{rng.randint(1000, 9999)}.html"]
    return [document_number(rng)] if required else []


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def day_between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return lo
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


# The states an entry is generated in, weighted (name, weight); each becomes its log.
SCENARIOS = [
    ("empty", 8), ("plan_only", 8), ("in_progress", 25), ("rejected", 6), ("pending", 15),
    ("closed", 26), ("closed_after_reject", 6), ("reopened", 4), ("reopened_reapplied", 2),
]
SCENARIO_POOL = [name for name, weight in SCENARIOS for _ in range(weight)]


def make_entry(rng: random.Random, plan: Plan, task: TaskSpec, unit: UnitSpec, writer: Writer, claimed: dt.date | None) -> tuple[dict, str]:
    """One task entry (as plain data, in file order) and the scenario it was made in."""
    scenario = rng.choice(SCENARIO_POOL)
    entry: dict = {}
    if claimed:
        entry["claimed"] = claimed
    due = plan.official_due(task, unit)
    if scenario == "empty":
        return entry, scenario
    planned = on_working_day(day_between(rng, max(START + dt.timedelta(days=14), due - dt.timedelta(days=60)), due))
    entry["plan"] = {"leader": person(rng), "owner": person(rng), "measures": rng.choice(MEASURES), "due": planned}
    if scenario == "plan_only":
        return entry, scenario
    # progress and records from the start until the close-out is applied for (around the deadline),
    # or until the end of October when it is not
    first = day_between(rng, START + dt.timedelta(days=4), min(due, dt.date(YEAR, 6, 30)))
    applies = scenario not in ("in_progress",)
    horizon = min(END - dt.timedelta(days=25), max(first, due + dt.timedelta(days=rng.randint(-25, 20)))) if applies else END
    days = sorted(day_between(rng, first, horizon) for _ in range(rng.randint(1, 4)))
    entry["progress"] = []
    for d in days:
        item: dict = {"date": d, "note": rng.choice(PROGRESS_NOTES).format(n=rng.randint(12, 320), k=rng.randint(2, 9))}
        evidence = evidence_items(rng, writer, task.id, d, required=False)
        if evidence:
            item["evidence"] = evidence
        entry["progress"].append(item)
    records = []
    for target in task.targets:
        if target.measure == "count":
            need = int(target.min or 1)
            for d in sorted(day_between(rng, START, horizon) for _ in range(rng.randint(max(0, need - 1), need + 1))):
                record: dict = {"target": target.key, "date": d}
                if rng.random() < 0.4:
                    record["evidence"] = [writer.file(rng, task.id, d)]
                records.append(record)
        else:
            for d in sorted(day_between(rng, START, horizon) for _ in range(rng.randint(1, 3))):
                if target.measure == "percent":
                    value = round(rng.uniform((target.min or 0) * 0.8, 100), 1) if target.min else round(rng.uniform(50, 100), 1)
                    value = min(value, 100.0)
                else:
                    value = float(rng.randint(1, int((target.max or 10) * 1.5)))
                records.append({"target": target.key, "date": d, "value": value})
    records.sort(key=lambda r: r["date"])
    if records:
        entry["records"] = records
    # extensions: requested before the deadline in force (so never on a task due at the year's end)
    if due < dt.date(YEAR, 11, 1) and rng.random() < 0.12:
        entry["extensions"] = make_extensions(rng, due)
    if not applies:
        return entry, scenario
    # the 销号 log: dates never go backwards, every apply carries evidence
    cursor = max(days[-1], records[-1]["date"] if records else START)
    cursor = min(END, cursor + dt.timedelta(days=rng.randint(0, 10)))
    log: list[dict] = []
    officer = person(rng)

    def step(action: str, gap: tuple[int, int], **extra) -> None:
        nonlocal cursor
        cursor = min(END, cursor + dt.timedelta(days=rng.randint(*gap)))
        item = {"date": cursor, "action": action, **extra}
        log.append(item)

    def apply() -> None:
        step("apply", (0, 5), by=officer, evidence=evidence_items(rng, writer, task.id, cursor, required=True))

    apply()
    if scenario in ("rejected", "closed_after_reject"):
        step("reject", (1, 8), by="依法治市办", note=rng.choice(REJECT_NOTES))
        if scenario == "closed_after_reject":
            apply()
            step("confirm", (1, 8), by="依法治市办")
    elif scenario in ("closed", "reopened", "reopened_reapplied"):
        step("confirm", (1, 10), by=rng.choice(["依法治市办", "牵头单位"]))
        if scenario.startswith("reopened"):
            step("reopen", (3, 20), by="依法治市办", note=rng.choice(REOPEN_NOTES))
            if scenario == "reopened_reapplied":
                apply()
    entry["log"] = log
    return entry, scenario


def make_extensions(rng: random.Random, due: dt.date) -> list[dict]:
    out = []
    in_force = due
    earliest = START
    for _ in range(2 if rng.random() < 0.25 else 1):
        if earliest > min(in_force, END):
            break  # the deadline in force passed before the last decision: no further request
        requested = day_between(rng, max(earliest, in_force - dt.timedelta(days=40)), min(in_force, END))
        new_due = min(dt.date(YEAR, 12, 31), in_force + dt.timedelta(days=rng.randint(30, 90)))
        if new_due <= requested:
            break
        ext: dict = {"requested": requested, "reason": rng.choice(REASONS), "new_due": new_due, "by": person(rng)}
        roll = rng.random()
        if roll < 0.8:
            approved = roll < 0.6
            ext["decision"] = "approved" if approved else "refused"
            ext["decided"] = min(END, requested + dt.timedelta(days=rng.randint(1, 7)))
            ext["decided_by"] = "依法治市办"
            if not approved:
                ext["decision_note"] = "理由不充分，请按原时限完成"
            out.append(ext)
            earliest = ext["decided"]
            if approved:
                in_force = new_due
            if in_force >= dt.date(YEAR, 11, 1):
                break
        else:
            out.append(ext)  # still awaiting a decision: no second request after it
            break
    return out


# --- YAML text ------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uffef“”《》·A-Za-z0-9_./\-〔〕]+")
_NUMBERISH = re.compile(r"[-+]?[0-9._:eE+\-]+")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def q(value) -> str:
    """A scalar as YAML: plain when it is plainly a string, else JSON (valid double-quoted YAML)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if value != int(value) else str(int(value))
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and not _NUMBERISH.fullmatch(text) and text.lower() not in _RESERVED and text[0] not in "-.":
        return text
    return json.dumps(text, ensure_ascii=False)


def q_sha(value: str) -> str:
    return value if re.search(r"[a-df]", value) else json.dumps(value)


def emit(value, indent: int, out: list[str]) -> None:
    """Block-style YAML of dicts and lists of scalars / dicts, in insertion order."""
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                if not item:
                    out.append(f"{pad}{key}: {'{}' if isinstance(item, dict) else '[]'}")
                else:
                    out.append(f"{pad}{key}:")
                    emit(item, indent + 2, out)
            else:
                out.append(f"{pad}{key}: {q_sha(item) if key == 'sha256' else q(item)}")
    else:
        for item in value:
            if isinstance(item, dict):
                lines: list[str] = []
                emit(item, indent + 2, lines)
                lines[0] = pad + "- " + lines[0][indent + 2 :]
                out += lines
            else:
                out.append(f"{pad}- {q(item)}")


def units_yaml(units: list[UnitSpec], groups: list[GroupSpec]) -> str:
    out = [
        "# yaml-language-server: $schema=../schemas/units.schema.json",
        "# 单位和分组（基准测试生成的合成数据，名称虚构）。level：city 市本级，county 旗县级。",
        "",
        "office:",
        "  unit: yifaban",
        "  editors: []",
        "",
        "units:",
    ]
    for u in units:
        out.append(f"  - id: {u.id}")
        out.append(f"    name: {q(u.name)}")
        if u.short:
            out.append(f"    short: {q(u.short)}")
        if u.aliases:
            out.append("    aliases: [" + ", ".join(q(a) for a in u.aliases) + "]")
        out.append(f"    level: {u.level}")
    out += ["", "groups:"]
    for g in groups:
        out.append(f"  - id: {g.id}")
        out.append(f"    name: {q(g.name)}")
        if g.aliases:
            out.append("    aliases: [" + ", ".join(q(a) for a in g.aliases) + "]")
        if g.members:
            out.append("    members:")
            out += [f"      - {m}" for m in g.members]
        else:
            out.append("    members: []")
        out.append(f"    open: {q(g.open)}")
        if g.note:
            out.append(f"    note: {q(g.note)}")
    return "\n".join(out) + "\n"


def tasks_yaml(plan: Plan) -> str:
    label = {u.id: (u.short or u.name) for u in plan.units}
    gname = {g.id: g.name for g in plan.groups}
    out = [
        "# yaml-language-server: $schema=../schemas/tasks.schema.json",
        "# 任务清单（基准测试生成的合成数据）。",
        "",
        "tasks:",
    ]
    for t in plan.tasks:
        out.append(f"  - id: {t.id}")
        out.append(f"    title: {q(t.title)}")
        out.append(f"    text: {q(t.text)}")
        out.append(f"    section: {q(t.section)}")
        out.append(f"    kind: {t.kind}")
        out.append("    lead: [" + ", ".join(q(label[u]) for u in t.lead) + "]")
        out.append("    responsible: [" + ", ".join(q(label.get(c) or gname[c]) for c in t.responsible) + "]")
        if t.deadlines:
            out.append("    deadlines:")
            for due, level, source in t.deadlines:
                out.append(f"      - due: {due.isoformat()}")
                if level:
                    out.append(f"        level: {level}")
                out.append(f"        source: {q(source)}")
        if t.targets:
            out.append("    targets:")
            for g in t.targets:
                out.append(f"      - key: {g.key}")
                out.append(f"        label: {q(g.label)}")
                out.append(f"        measure: {g.measure}")
                if g.min is not None:
                    out.append(f"        min: {q(float(g.min))}")
                if g.max is not None:
                    out.append(f"        max: {q(float(g.max))}")
                out.append(f"        unit: {q(g.unit)}")
                if t.kind == "count":
                    out.append("        per_year: true")
                out.append(f"        source: {q(t.text)}")
        out.append("")
    return "\n".join(out)


PHASES_YAML = """\
# yaml-language-server: $schema=../schemas/phases.schema.json
# 阶段与报送（基准测试生成的合成数据，按通辽市2020年度方案的结构）。

year: 2020
title: 通辽市2020年度法治政府建设工作实施方案（基准测试）
default_due:
  due: 2020-07-31
  source: 除有明确完成时间节点的工作外，其他任务要在7月底之前完成
count_due:
  due: 2020-12-31
  source: 每年…不少于N次
  rule: 年度计数任务按自然年度计数，年底前达到次数即完成

phases:
  - id: plan
    name: 制定方案
    section: 三(一)
    start: 2020-03-01
    end: 2020-03-20
  - id: self-check
    name: 自查自评
    section: 三(二)
    start: 2020-03-21
    end: 2020-04-30
  - id: rectify
    name: 整改推进
    section: 三(三)
    start: 2020-05-01
    end: 2020-07-31
  - id: acceptance
    name: 组织验收
    section: 三(四)
    start: 2020-08-01
    end: 2020-10-30
  - id: summary
    name: 全面总结
    section: 三(五)
    start: 2020-11-01
    end: 2020-11-25

submissions:
  - id: "0320"
    name: work-plan
    title: 本单位法治政府建设工作实施方案
    due: 2020-03-20
    phase: plan
    submitter: 各地、各单位
    to: 依法治市办
    scope: unit
    template: work-plan
    source: 各地、各单位将工作方案于3月20日之前报送
  - id: "0430"
    name: self-check
    title: 自查报告
    due: 2020-04-30
    phase: self-check
    submitter: 各地、各单位
    to: 依法治市办
    scope: unit
    template: self-check
    source: 自查报告于4月30日之前报送
  - id: "0805"
    name: completion
    title: 任务完成情况报告
    due: 2020-08-05
    phase: rectify
    submitter: 各地、各单位
    to: 依法治市办
    scope: unit
    template: completion
    source: 任务完成情况于8月5日之前报送
  - id: "1208"
    name: summary
    title: 《纲要》五年工作任务完成情况总结
    due: 2020-12-08
    phase: summary
    submitter: 各地、各单位
    to: 依法治市办
    scope: unit
    template: summary
    source: 于12月8日之前报送

recurring:
  - id: weekly
    title: 周调度
    every: week
    by: 依法治市办
    template: weekly
    source: 实行“周调度、月通报”工作机制
  - id: monthly
    title: 月通报
    every: month
    by: 依法治市办
    template: bulletin
    source: 实行“周调度、月通报”工作机制
"""

SETTINGS_YAML = """\
# yaml-language-server: $schema=../schemas/settings.schema.json
# 工作区设置（基准测试生成）。
review_required: true
due_soon_days: 7
git_commit: true
# 生成的台账在 11 月 1 日一次导入，此前的销号不算补录
backfill_days: 366
traffic_light:
  red_overdue: 1
  yellow_behind: 0.0
  yellow_due_soon: true
"""


def ledger_yaml(plan: Plan, unit: UnitSpec, entries: dict[int, dict]) -> str:
    out = [
        "# yaml-language-server: $schema=../schemas/ledger.schema.json",
        f"# {unit.name}（{unit.id}）工作台账 —— 基准测试生成的合成数据",
        f"unit: {unit.id}",
        "tasks:",
    ]
    tasks = {t.id: t for t in plan.tasks}
    for tid, entry in entries.items():
        out.append(f"  # 任务{tid} {tasks[tid].title}（完成时限 {plan.official_due(tasks[tid], unit).isoformat()}）")
        if not entry:
            out.append(f"  {tid}: {{}}")
        else:
            out.append(f"  {tid}:")
            emit(entry, 4, out)
    if not entries:
        out[-1] = "tasks: {}"
    return "\n".join(out) + "\n"


# --- the workspace ------------------------------------------------------------------------------


@dataclass
class Made:
    plan: Plan
    entries: dict[str, dict[int, dict]]  # unit → task → entry
    scenarios: dict[str, dict[int, str]]
    carried: dict[str, list[int]]  # unit → tasks it carries (claims included)
    manifest: dict


def build(out: Path, n_units: int, n_tasks: int, seed: int) -> Made:
    """Write data/, ledgers/ and evidence/ into `out` (which must not hold a workspace yet)."""
    if n_units < 4:
        raise SystemExit("--units 至少为 4（依法治市办、司法局、政府办和至少一个旗县）")
    if n_tasks < 1:
        raise SystemExit("--tasks 至少为 1")
    rng = random.Random(seed)
    units, _ = make_units(rng, n_units)
    groups = make_groups(rng, units)
    tasks = make_tasks(rng, n_tasks, units)
    plan = Plan(units, groups, tasks)
    (out / "data").mkdir(parents=True, exist_ok=True)
    (out / "ledgers").mkdir(exist_ok=True)
    (out / "data" / "units.yaml").write_text(units_yaml(units, groups), encoding="utf-8")
    (out / "data" / "tasks.yaml").write_text(tasks_yaml(plan), encoding="utf-8")
    (out / "data" / "phases.yaml").write_text(PHASES_YAML, encoding="utf-8")
    (out / "data" / "settings.yaml").write_text(SETTINGS_YAML, encoding="utf-8")

    fixed = {t.id: plan.fixed_carriers(t) for t in tasks}
    carried: dict[str, list[int]] = {}
    entries: dict[str, dict[int, dict]] = {}
    scenarios: dict[str, dict[int, str]] = {}
    lines = 0
    evidence_files = 0
    for unit in units:
        unit_rng = random.Random(f"{seed}/{unit.id}")
        writer = Writer(out, unit.id)
        mine: dict[int, dict] = {}
        kinds: dict[int, str] = {}
        carried[unit.id] = []
        for task in tasks:
            carriers, claimable = fixed[task.id]
            claimed = None
            if unit.id not in carriers:
                if unit.id == "yifaban" or not (claimable and unit_rng.random() < 0.2):
                    continue
                claimed = day_between(unit_rng, START, dt.date(YEAR, 3, 20))
            carried[unit.id].append(task.id)
            entry, scenario = make_entry(unit_rng, plan, task, unit, writer, claimed)
            mine[task.id] = entry
            kinds[task.id] = scenario
        text = ledger_yaml(plan, unit, mine)
        lines += text.count("\n")
        evidence_files += len(writer.files)
        (out / "ledgers" / f"{unit.id}.yaml").write_text(text, encoding="utf-8")
        entries[unit.id] = mine
        scenarios[unit.id] = kinds
    sample = pick_sample(plan, carried, scenarios)
    manifest = {
        "generator": "benchmarks/make_workspace.py",
        "seed": seed,
        "units": n_units,
        "tasks": n_tasks,
        "counties": sum(u.level == "county" for u in units),
        "as_of": AS_OF.isoformat(),
        "ledger_lines": lines,
        "entries": sum(len(e) for e in entries.values()),
        "carried": sum(len(c) for c in carried.values()),
        "evidence_files": evidence_files,
        "sample_unit": sample[0],
        "close_task": sample[1],
        "close_evidence": f"通依法办〔{YEAR}〕200号",
        "close_date": AS_OF.isoformat(),
    }
    return Made(plan, entries, scenarios, carried, manifest)


def pick_sample(plan: Plan, carried: dict[str, list[int]], scenarios: dict[str, dict[int, str]]) -> tuple[str, int]:
    """A county carrying many tasks, and one of its tasks in progress (to close in benchmarks)."""
    counties = [u.id for u in plan.units if u.level == "county"]
    uid = max(counties, key=lambda c: (len(carried[c]), -counties.index(c)))
    for tid in carried[uid]:
        if scenarios[uid].get(tid) in ("in_progress", "rejected"):
            return uid, tid
    raise SystemExit("生成的样本单位没有推进中的任务；请换一个 --seed")


def git(out: Path, *args: str, date: str = IMPORT_DATE, author: str = "依法治市办 <office@example.org>") -> None:
    name, email = author[:-1].split(" <")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {
        "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(out),
    }
    subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "core.quotepath=false", *args], cwd=out, env=env, check=True, capture_output=True)


def add_commits(out: Path, made: Made, k: int) -> None:
    """K hand edits of the sample unit's ledger, one commit each: a progress entry in November on
    a task it has not applied to close (a closed entry may not change without a reopen)."""
    plan = made.plan
    uid = made.manifest["sample_unit"]
    unit = plan.unit_by_id[uid]
    open_tasks = [tid for tid, s in made.scenarios[uid].items() if s in ("empty", "plan_only", "in_progress", "rejected", "reopened")]
    rng = random.Random(f"{made.manifest['seed']}/commits")
    entries = made.entries[uid]
    for i in range(k):
        tid = open_tasks[i % len(open_tasks)]
        day = dt.date(YEAR, 11, 2) + dt.timedelta(days=(i * 27) // max(k, 1))
        entries[tid].setdefault("progress", []).append({"date": day, "note": f"补充工作进展（第{i + 1}次调度）", "evidence": [document_number(rng)]})
        (out / "ledgers" / f"{uid}.yaml").write_text(ledger_yaml(plan, unit, entries), encoding="utf-8")
        when = f"{day.isoformat()}T{10 + (i % 8):02d}:{(i * 7) % 60:02d}:00+08:00"
        git(out, "add", "--", f"ledgers/{uid}.yaml", date=when)
        git(out, "commit", "-q", "-m", f"工作进展: {unit.name} 任务{tid}\n\nFazhi-Action: progress\nFazhi-Unit: {uid}\nFazhi-Task: {tid}", date=when,
            author=f"{unit.name}台账员 <{uid}@example.org>")


def make(out: Path, n_units: int, n_tasks: int = 45, seed: int = 1, commits: int = 0, use_git: bool = True) -> Made:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} 不是空目录")
    out.mkdir(parents=True, exist_ok=True)
    made = build(out, n_units, n_tasks, seed)
    made.manifest["commits"] = commits if use_git else 0
    (out / "benchmark.json").write_text(json.dumps(made.manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if use_git:
        if shutil.which("git") is None:
            raise SystemExit("找不到 git；用 --no-git 生成不带版本库的工作区")
        (out / ".gitignore").write_text("*.lock\nreports/\n", encoding="utf-8")
        git(out, "init", "-q", "-b", "main")
        git(out, "add", "-A")
        git(out, "commit", "-q", "-m", "导入台账（基准测试生成）")
        if commits:
            add_commits(out, made, commits)
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="output folder (must be empty or absent)")
    parser.add_argument("--units", type=int, default=70)
    parser.add_argument("--tasks", type=int, default=45)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--commits", type=int, default=0, help="extra commits, each one edit of one ledger")
    parser.add_argument("--no-git", action="store_true", help="do not make a git repository")
    options = parser.parse_args(argv)
    made = make(options.out, options.units, options.tasks, options.seed, options.commits, not options.no_git)
    m = made.manifest
    print(f"{options.out}: {m['units']} units, {m['tasks']} tasks, {m['entries']} entries, {m['ledger_lines']} ledger lines, {m['evidence_files']} evidence files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
