#!/usr/bin/env python3
"""The module rule (docs/DESIGN.md, "Modules"): a module's sources and headers include
only their own module's headers and those of the modules its library links
(the DEPS of uringd_module() in CMakeLists.txt, followed transitively). An upward
or sideways include fails here, with the file, the line and the allowed set."""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"]uringd/(\w+)/')


def module_graph(cmake_text):
    graph = {}
    for m in re.finditer(r"uringd_module\((\w+)(.*?)\n(?=\S|\n)", cmake_text, re.S):
        name, body = m.group(1), m.group(2)
        deps = body.split("DEPS", 1)[1] if "DEPS" in body else ""
        graph[name] = set(re.findall(r"\buringd_(\w+)\b", deps))
    return graph


def closure(graph, name):
    seen, todo = set(), [name]
    while todo:
        for dep in graph.get(todo.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def files_of(module):
    for top in (os.path.join(ROOT, "src", module), os.path.join(ROOT, "include", "uringd", module)):
        for dirpath, _, names in os.walk(top):
            for n in sorted(names):
                if n.endswith((".cpp", ".hpp", ".h")):
                    yield os.path.join(dirpath, n)


def check(graph):
    problems, checked = [], 0
    for module in sorted(graph):
        allowed = closure(graph, module) | {module}
        for path in files_of(module):
            checked += 1
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE_RE.match(line)
                    if m and m.group(1) not in allowed:
                        problems.append(f"{os.path.relpath(path, ROOT)}:{lineno}: module '{module}' includes "
                                        f"'{m.group(1)}' (it may use: {', '.join(sorted(allowed))})")
    return problems, checked


def main():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        graph = module_graph(f.read())
    if len(graph) < 8:
        print(f"module_deps: found only {sorted(graph)} in CMakeLists.txt; the parser is out of date")
        return 1
    problems, checked = check(graph)
    for p in problems:
        print(p)
    print(f"module_deps: {len(graph)} modules, {checked} files, {len(problems)} upward includes")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
