"""The ruleset as a workbook (评分标准.xlsx): written by `perfrules rulesets export` and `rulesets new`, read back
by `rulesets import`. A finance bureau keeps its standard where its staff work; YAML stays the engine's
format, and YAML → xlsx → YAML keeps the resolved ruleset (tests/test_rulebook.py, over every shipped
ruleset and generated ones).

Sheets, as a published 评分标准 is read:
- 说明: one setting a row (编号, 版本, 继承, 标题, 适用范围, 取整, 默认读法, 按比较符的计分方法 …);
- 指标体系: the categories in order (一级 / 二级 / … and 指标 for a fixed indicator), points, the method by its
  Chinese name, its parameters in named columns, and the rule written out in Chinese (not read back);
- 等级, 核对规则 (kind by its Chinese name, 级别, 提示语, parameters), 报告模板, 测试用例.
A value with no column of its own (a category's when_absent, a preset) is YAML text in a 其他设置 cell.
Cell formulas are refused, never evaluated: a rule is what is written.

spec.py says which cell holds what, write.py writes, read.py reads (every value keeps its cell, so
`rulesets check` findings read `评分标准.xlsx!指标体系!F7`), minimal.py reduces a workbook that `extends`
a parent to what it overrides.
"""
