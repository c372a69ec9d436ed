"""Options shared by the write commands."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import complete_task, complete_unit

TaskArg = Annotated[
    str, typer.Argument(metavar="任务序号", help="任务序号（分解表中的 1–45）", show_default=False, autocompletion=complete_task)
]
RequiredUnitOpt = Annotated[
    str,
    typer.Option("--unit", "-u", metavar="单位", help="单位：编号、全称、简称或别名均可", show_default=False, autocompletion=complete_unit),
]
DateOpt = Annotated[Optional[str], typer.Option("--date", metavar="日期", help="日期（YYYY-MM-DD，默认今天）", show_default=False)]
ByOpt = Annotated[Optional[str], typer.Option("--by", metavar="姓名", help="经办人姓名（另记；操作人账号取自 git 邮箱）", show_default=False)]
NoteOpt = Annotated[Optional[str], typer.Option("--note", "-m", metavar="说明", help="说明", show_default=False)]
ReasonOpt = Annotated[Optional[str], typer.Option("--reason", metavar="理由", help="理由", show_default=False)]
EvidenceOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--evidence",
        "-e",
        metavar="材料",
        help="佐证材料：工作区内的文件路径（自动记录校验值）、文号或网址；可重复多次",
        show_default=False,
    ),
]
NoCommitOpt = Annotated[bool, typer.Option("--no-commit", help="不自动提交到 git")]
