"""What `perfrules import` writes: the submission as YAML with a comment above every value that needed
reading, and at the top what could not be read and which cells were left unread."""

from __future__ import annotations

from .blocks import ImportResult


def dump_import(result: ImportResult, source: str) -> str:
    """The imported submission as YAML, with a comment above every value the importer interpreted and a
    list of what it could not read at the top."""
    import yaml
    from ..yamlio import load_text
    from .xlsx import _plain
    body = yaml.safe_dump(_plain(result.document.data), allow_unicode=True, sort_keys=False, width=200,
                          default_flow_style=None)
    lines = body.splitlines()
    where = load_text(body, source)
    comments: dict[int, list[str]] = {}
    for path, note in result.notes.items():
        line = where.line(path)
        if line is not None:
            comments.setdefault(line, []).append(note)
    out = [f"# 自评数据：由 perfrules import 从 {source} 读出。以 # 开头的行说明每处读法；请核对后再用于评分。"]
    if result.problems:
        out.append("# 无法读出、需要手工填写的内容：")
        out += [f"#   - {p}" for p in result.problems]
    for number, line in enumerate(lines, start=1):
        indent = line[: len(line) - len(line.lstrip())]
        notes = list(dict.fromkeys(comments.get(number, [])))
        for note in notes:
            if not any(other != note and other.startswith(note) for other in notes):   # "表 1 第 2 行" is in the longer one
                out.append(f"{indent}# {note}")
        out.append(line)
    return "\n".join(out) + "\n"
