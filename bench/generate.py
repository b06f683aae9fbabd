"""Generate N synthetic but realistic unit-overall submissions (and a few bad files) for benchmarks.

    python bench/generate.py 1000 /tmp/units        # deterministic for a given N and --seed
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

UNITS = ["人力资源和社会保障局", "教育局", "卫生健康局", "农业农村局", "水利局", "民政局", "交通运输局", "文化和旅游局",
         "市场监督管理局", "林业局", "自然资源局", "住房和城乡建设局"]
COUNTIES = ["子洲县", "米脂县", "绥德县", "清涧县", "吴堡县", "佳县", "神木市", "府谷县", "靖边县", "定边县"]
TASKS = ["就业工作经费", "培训费", "宣传工作经费", "档案管理费", "专项业务经费", "信息化运维费", "办公设备购置", "课题研究经费"]
QUANTITY = [("培训人次", "人次"), ("宣传次数", "次"), ("招聘次数", "次"), ("发放份数", "份"), ("检查户数", "户"), ("服务人数", "人")]
QUALITY = ["资金合规率", "档案合格率", "验收合格率", "信息准确率"]
TIMELY = ["资金拨付及时率", "任务按时完成率"]
QUALITATIVE = [("有所提升", ["提升", "提升", "较好", "一般"]), ("有所提高", ["提高", "提高", "基本完成"]), ("好", ["好", "较好"])]


def _money(rng: random.Random) -> str:
    return f"{rng.randint(1, 5000) / 100:.2f}"


def _task(rng: random.Random, name: str) -> str:
    budget = _money(rng)
    spent = budget if rng.random() < 0.8 else f"{float(budget) * rng.uniform(0.6, 1.0):.2f}"
    return (f"    - {{name: {name}, completion: {rng.randint(90, 100)}%, budget: {{total: {budget}, fiscal: {budget}, other: 0}}, "
            f"spent: {{total: {spent}, fiscal: {spent}, other: 0}}, rate: 100%}}")


def _row(level1: str, level2: str, name: str, target: str, actual: str, points: int, own: int) -> str:
    return (f"  - {{level1: {level1}, level2: {level2}, name: {name}, target: \"{target}\", actual: \"{actual}\", "
            f"points: {points}, self_score: {own}}}")


def _indicators(rng: random.Random) -> list[str]:
    rows = []
    for i in range(rng.randint(3, 6)):
        name, unit = rng.choice(QUANTITY)
        target = rng.randint(2, 500)
        actual = target if rng.random() < 0.6 else rng.randint(max(1, target // 2), target * 2)
        rows.append(_row("产出指标", "数量指标", f"{name}{i + 1}", f"≥{target} {unit}", str(actual), 5, 5 if actual >= target else 4))
    for name in rng.sample(QUALITY, 2):
        actual = rng.choice(["100%", "98%", "95%"])
        rows.append(_row("产出指标", "质量指标", name, rng.choice(["100%", "≥95%", "＝100%"]), actual, 5, 5))
    rows.append(_row("产出指标", "时效指标", rng.choice(TIMELY), "100%", rng.choice(["100%", "97%"]), 5, 5))
    cost = rng.randint(10, 900)
    rows.append(_row("产出指标", "成本指标", "业务经费", f"≤{cost} 万元", str(cost + rng.choice([0, 0, -5, 20])) + " 万元", 5, 5))
    target, actuals = rng.choice(QUALITATIVE)
    rows.append(_row("效益指标", "社会效益指标", "服务能力", target, rng.choice(actuals), 15, rng.choice([15, 14, 12])))
    target, actuals = rng.choice(QUALITATIVE)
    rows.append(_row("效益指标", "经济效益指标", "居民收入", target, rng.choice(actuals), 15, rng.choice([15, 13])))
    rows.append(_row("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", f"{rng.randint(85, 99)}%", 10, rng.choice([10, 9])))
    return rows


def submission(rng: random.Random, index: int) -> str:
    unit = f"{rng.choice(COUNTIES)}{rng.choice(UNITS)}"
    tasks = [_task(rng, name) for name in rng.sample(TASKS, rng.randint(2, 6))]
    lines = ["schema_version: 1", "kind: unit-overall", "year: 2024", f"unit: {unit}（{index:05d}）",
             "region: 陕西省榆林市", "report_date: 2025-03-10", "money_unit: 万元", "budget:", "  tasks:", *tasks,
             "goals: {expected: 完成年度工作任务, achieved: 已完成}", "indicators:", *_indicators(rng),
             f"stated: {{table: {{total: {rng.randint(85, 100)}, max: 100}}}}",
             "signatures: {leader_date: 2025-03-08, unit_date: 2025-03-09}",
             "narrative:", "  - {title: （一）单位概况, body: 基本情况。}"]
    return "\n".join(lines) + "\n"


BAD = [
    "schema_version: 1\nkind: unit-overall\nyear: 2024\nunit: 坏文件\nindicators: [\n",
    "schema_version: 1\nkind: unit-overall\nyear: 2024\nunit: 坏文件\nindicators:\n"
    "  - {level1: 产出指标, level2: 数量值标, name: a, target: ≥1, actual: '1', points: 5}\n",
    "schema_version: 1\nkind: unit-overall\nyear: 2024\nunit: 坏文件\nindicators:\n"
    "  - {level1: 产出指标, level2: 数量指标, name: a, target: ≥1, actual: '1', points: 五}\n",
]


def generate(n: int, out: Path, seed: int = 0, bad_every: int = 50) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        path = out / f"unit-{i:05d}.yaml"
        text = BAD[i // bad_every % len(BAD)] if bad_every and i % bad_every == bad_every - 1 else submission(rng, i)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"wrote {len(generate(args.n, args.out, args.seed))} files to {args.out}")


if __name__ == "__main__":
    main()
