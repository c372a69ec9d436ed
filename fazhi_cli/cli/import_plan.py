"""`fazhi import-plan FILE`: a task table from Word, Excel or CSV into data/tasks.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import EXIT_CANNOT_RUN, EXIT_PROBLEMS, RootOpt, fail, print_problems, today
from fazhi_cli.render.console import make_console


def import_plan(
    file: Annotated[Path, typer.Argument(metavar="文件", help="任务分解表：Word 文档（.docx）、Excel 工作簿（.xlsx）或 CSV 文件（.csv）", show_default=False)],
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="文件", help="写到另一个 .yaml 文件（默认 data/tasks.yaml），以便先核对", show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="替换已存在的 data/tasks.yaml（或 -o 指定的文件）")] = False,
    add_units: Annotated[
        bool,
        typer.Option("--add-units", help="data/units.yaml 中找不到的名称，按建议条目加入 data/units.yaml（不加时只列出这些名称，不导入）"),
    ] = False,
    root: RootOpt = None,
) -> None:
    """从 Word、Excel 或 CSV 文件导入任务分解表，写入 data/tasks.yaml。

    读两种写法：带表头的任务表（序号、重点工作任务、牵头单位、责任单位，可另有完成时限列；表头不必在第一行，
    合并单元格、单元格内换行均可）；以及正文中的编号条目（1. ……），每条后面一行“责任单位：……”——
    没有分牵头单位的，第一个单位牵头，写明“××牵头”的除外。原文中的时限（3月底前、2020年底前、6月30日前）
    记为完成时限，并记下时限所在的原文。

    单位名称须在 data/units.yaml 中找得到（全称、简称、别名或分组名）：找不到的逐条列出（文件、行或段、名称），
    建议条目写入 data/units.proposed.yaml，任务不写入，退出码为 1；核对后合并到 data/units.yaml 再运行，
    或加 --add-units 按建议直接加入。data/tasks.yaml 已存在时须加 --force；原文未变的任务保留原清单中的
    简称、条目、类别、时限、量化目标和备注。导入不自动提交到 git：请运行 `fazhi check` 核对后提交。

    示例：fazhi import-plan 任务分解表.docx

    示例：fazhi import-plan 任务分解表.xlsx --force

    示例：fazhi import-plan 工作要点.docx -o 任务清单草稿.yaml

    示例：fazhi import-plan 任务分解表.csv --add-units
    """
    from fazhi_cli.core.plan_import import CannotImport, import_plan as run_import
    from fazhi_cli.store.source import SourceError
    from fazhi_cli.store.workspace import WorkspaceNotFound

    try:
        result = run_import(file, root=root, output=output, force=force, add_units=add_units, shown=str(file), today=today())
    except WorkspaceNotFound as exc:
        fail(str(exc), EXIT_CANNOT_RUN)
    except SourceError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    except CannotImport as exc:
        print_problems(exc.problems, limit=20)
        fail(exc.message or "无法读取这个文件，没有写入任何文件", EXIT_CANNOT_RUN)
    err = make_console(stderr=True)
    for notice in result.document.notices + result.reading.notices:
        err.print(f"提示：{notice}", markup=False)
    if not result.written:
        print_problems(result.problems, limit=60)
        if result.unknowns and not add_units:
            names = "、".join(f"“{u.name}”" for u in result.unknowns[:8]) + (f"等 {len(result.unknowns)} 个" if len(result.unknowns) > 8 else "")
            err.print(f"有 {len(result.unknowns)} 个名称在 data/units.yaml 中找不到：{names}；没有写入 {result.target_shown}。", markup=False)
            if result.proposals:
                err.print(
                    f"建议条目已写入 {result.proposals}：请逐条核对（已有单位的另一种写法就加到该单位的 aliases 中），"
                    "合并到 data/units.yaml 后重新运行本命令；确认建议无误，也可以加 --add-units 按建议直接加入。",
                    markup=False,
                )
            elif result.proposals_text:
                err.print("建议条目如下（data/units.proposed.yaml 已存在且不是 fazhi 生成的，未覆盖）：", markup=False)
                typer.echo(result.proposals_text, nl=False)
        elif result.tasks:
            err.print(f"（读到 {len(result.tasks)} 项任务）没有写入任何文件。", markup=False)
        else:
            err.print("没有写入任何文件。", markup=False)
        raise typer.Exit(EXIT_PROBLEMS)
    _summary(result)


def _summary(result) -> None:
    console = make_console()
    origin = f"（{result.reading.origin}）" if result.reading.origin else ""
    replaced = "，替换了原文件" if result.replaced else ""
    console.print(f"已从 {result.document.path}{origin}导入 {len(result.tasks)} 项任务，写入 {result.target_shown}{replaced}。", markup=False)
    dated = [str(t.id) for t in result.tasks if t.deadlines]
    if dated:
        console.print(f"  写有完成时限的任务：{'、'.join(dated)}", markup=False)
    fresh = [t.id for t in result.tasks if t.id not in result.kept]
    if result.kept:
        console.print(f"  原文未变、保留原有简称和类别等的任务：{len(result.kept)} 项", markup=False)
    if fresh:
        console.print(f"  新任务 {len(fresh)} 项：请核对简称（title）、方案条目（section）和类别（kind，均按一次性任务写入）", markup=False)
    for item in result.added:
        check = "全称、编号和级别" if item.kind == "unit" else "名称和成员（members）"
        maybe = f"；是否是：{'、'.join(item.suggestions)}？" if item.suggestions else ""
        console.print(f"  新加入 data/units.yaml 的{'单位' if item.kind == 'unit' else '分组'}：{item.name}（{item.id}）——请核对{check}{maybe}", markup=False)
    if result.removed:
        console.print(f"  原清单中不在此文件里、已删除的任务：{'、'.join(map(str, result.removed))}", markup=False)
    if result.stale_proposals:
        console.print("  已删除上次生成的 data/units.proposed.yaml", markup=False)
    console.print("下一步：运行 `fazhi check`，核对无误后用 git 提交。", markup=False)


def register(app: typer.Typer) -> None:
    app.command("import-plan")(import_plan)
