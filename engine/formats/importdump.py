"""What `perfrules import` writes: the submission as YAML with a comment above every value that needed
reading, and at the top what could not be read and which cells were left unread."""

from __future__ import annotations

from .blocks import ImportResult


def dump_import(result: ImportResult, source: str) -> str:
    """The imported submission as YAML: a comment above every value the importer interpreted, the cell each
    value was read from at the end of its line (# 表1!R4C3), and at the top what could not be read and what
    was left unread."""
    import yaml
    from ..yamlio import load_text
    from .yamltext import plain as _plain
    body = yaml.safe_dump(_plain(result.document.data), allow_unicode=True, sort_keys=False, width=200,
                          default_flow_style=None)
    lines = body.splitlines()
    where = load_text(body, source)
    comments: dict[int, list[str]] = {}
    for path, note in result.notes.items():
        line = where.line(path)
        if line is not None:
            comments.setdefault(line, []).append(note)
    out = [f"# 自评数据：由 perfrules import 从 {source} 读出。以 # 开头的行说明每处读法，行尾注明读自哪个单元格；"
           "请核对后再用于评分。"]
    if result.problems:
        out.append("# 无法读出、需要手工填写的内容：")
        out += [f"#   - {p}" for p in result.problems]
    if result.unread:
        out.append("# 表格中未读的内容（不影响评分的列和行，以及没有读到的单元格）：")
        out += [f"#   - {u}" for u in result.unread]
    from .yamltext import cell_comments
    cells = cell_comments(lines, where.lines, result.document.cells)
    for number, line in enumerate(lines, start=1):
        indent = line[: len(line) - len(line.lstrip())]
        notes = list(dict.fromkeys(comments.get(number, [])))
        for note in notes:
            if not any(other != note and other.startswith(note) for other in notes):   # "表 1 第 2 行" is in the longer one
                out.append(f"{indent}# {note}")
        out.append(line + (f"  # {cells[number]}" if number in cells else ""))
    text = "\n".join(out) + "\n"
    if cells and load_text(text, source).data != where.data:   # a comment must never change a value
        return dump_import(_without_cells(result), source)
    return text


def _without_cells(result: ImportResult) -> ImportResult:
    from dataclasses import replace
    document = replace(result.document, cells={})
    return replace(result, document=document)
