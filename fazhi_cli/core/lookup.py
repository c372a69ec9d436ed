"""Naming things on a command line or in a form — units, tasks, lead units, days — and refusals
as values. Light on purpose: read-only commands use it without loading the write path."""

from __future__ import annotations

import datetime as dt
import re

from fazhi_cli.book.book import Book
from fazhi_cli.models.common import fold_full_width
from fazhi_cli.models.plan import Task, Unit
from fazhi_cli.problems import Problem, refusal


class Refusal(Exception):
    """A request refused before anything was written; `problems` say why, with codes."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)


def refuse(code: str, message: str, path: str = "") -> Refusal:
    return Refusal([refusal(code, message, path)])


# --- naming the target ----------------------------------------------------------------------


def find_unit(book: Book, text: str) -> Unit:
    directory = book.plan.directory
    unit = directory.unit(text)
    if unit is not None:
        return unit
    target = directory.lookup(text)
    if target is not None and target.kind == "group":
        raise refuse("R102", f"“{text}”是分组（{directory.groups[target.id].name}），请指定一个具体单位")
    hint = directory.suggestions(text)
    more = f"是否是：{'、'.join(hint)}？" if hint else "运行 `fazhi units` 查看所有单位。"
    raise refuse("R101", f"找不到单位“{text}”。{more}")


def find_task(book: Book, text: str | int) -> Task:
    tasks = book.plan.tasks
    raw = fold_full_width(str(text)).strip().removeprefix("任务").removeprefix("#").strip()
    if not _ASCII_NUMBER.fullmatch(raw):  # int() would also take "1_0", "+3" and other scripts' digits
        raise refuse("R103", f"任务编号“{text}”不是数字；任务按分解表序号（1–{max(tasks)}）指定") from None
    number = int(raw)
    task = tasks.get(number)
    if task is None:
        raise refuse("R103", f"任务 {number} 不存在；任务序号为 1–{max(tasks)}，运行 `fazhi tasks` 查看")
    return task


_ASCII_NUMBER = re.compile(r"[0-9]{1,6}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def find_lead(book: Book, text: str) -> tuple[Unit, list[int]]:
    """A lead unit (牵头单位) and the tasks it leads."""
    unit = find_unit(book, text)
    led = book.tasks_led_by(unit.id)
    if not led:
        raise refuse("R104", f"{unit.label}不是任何任务的牵头单位")
    return unit, led


# Days a command accepts: far enough from date.min/max that counting weeks and months around them
# cannot overflow.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def parse_day(text: str | dt.date | None, what: str, today: dt.date) -> dt.date:
    if text is None:
        return today
    if isinstance(text, dt.date):
        return text
    cleaned = fold_full_width(text).strip()
    try:
        if not _ISO_DAY.fullmatch(cleaned):  # fromisoformat also takes 20200301 and 2020-W10-1
            raise ValueError(cleaned)
        day = dt.date.fromisoformat(cleaned)
    except ValueError:
        raise refuse("R206", f"{what}“{text}”无效，应为 YYYY-MM-DD 格式的真实日期，如 2020-07-31") from None
    if not FIRST_DAY <= day <= LAST_DAY:  # weeks and months are counted around the day
        raise refuse("R206", f"{what}“{text}”超出可用范围（{FIRST_DAY.year}—{LAST_DAY.year}年）")
    return day
