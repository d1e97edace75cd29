#!/usr/bin/env python3
"""Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to the project's
PublicAPI.Unshipped.txt, and removes declared symbols that no longer exist (RS0017).

    tools/update-public-api.py src/Herald.Protocol src/Herald.Server ...   (dependencies first: each is built alone)

The analyzer's own message carries each symbol in the file's format, so no IDE code fix is needed.
Review the diff: every added line is a public API promise."""
import os
import re
import subprocess
import sys

ADDED = re.compile(r"(?:error|warning) RS0016: Symbol '(.+?)' is not part of the declared public API")
REMOVED = re.compile(r"(?:error|warning) RS0017: Symbol '(.+?)' is part of the declared API, but is either not public or could not be found")


def update(project_dir: str) -> None:
    unshipped = os.path.join(project_dir, "PublicAPI.Unshipped.txt")
    for _ in range(3):  # a second pass catches symbols hidden behind earlier errors
        build = subprocess.run(["dotnet", "build", project_dir, "-c", "Release", "--no-incremental", "--no-dependencies", "-p:TreatWarningsAsErrors=false"],
                               capture_output=True, text=True)
        added = {m.group(1) for m in ADDED.finditer(build.stdout)}
        removed = {m.group(1) for m in REMOVED.finditer(build.stdout)}
        if not added and not removed:
            return
        with open(unshipped, encoding="utf-8") as f:
            lines = [l.rstrip("\n") for l in f if l.strip()]
        header = [l for l in lines if l.startswith("#")]
        body = {l for l in lines if not l.startswith("#")}
        body = (body | added) - removed
        with open(unshipped, "w", encoding="utf-8") as f:
            f.write("\n".join(header + sorted(body, key=lambda s: s.lstrip("~"))) + "\n")
        print(f"{project_dir}: +{len(added)} -{len(removed)}")


for directory in sys.argv[1:]:
    update(directory)
