#!/usr/bin/env python3
"""A realistic companion to the stress Cargo.lock: the same 10,000 crates and graph, with
all but about one name in KEEP renamed (a `-x` suffix no advisory uses), so that a few
percent of the packages are named by advisories, as in real projects.

Usage: realistic_lock.py IN_LOCK OUT_LOCK [KEEP=25]
"""
import hashlib
import re
import sys

src, dst = sys.argv[1], sys.argv[2]
keep = int(sys.argv[3]) if len(sys.argv) > 3 else 25
text = open(src, encoding="utf-8").read()
names = set(re.findall(r'^name = "([^"]+)"$', text, flags=re.M))


def renamed(name):
    if name == "bench-root":
        return name
    digest = int(hashlib.sha256(name.encode()).hexdigest(), 16)
    return name if digest % keep == 0 else name + "-x"


mapping = {n: renamed(n) for n in names}
text = re.sub(r'^name = "([^"]+)"$', lambda m: f'name = "{mapping[m.group(1)]}"', text, flags=re.M)
# Dependency entries: ` "name"` or ` "name version"` on their own line.
text = re.sub(r'^ "([^" ]+)( [^"]*)?",$', lambda m: f' "{mapping.get(m.group(1), m.group(1))}{m.group(2) or ""}",', text, flags=re.M)
open(dst, "w", encoding="utf-8").write(text)
print(f"{sum(1 for n, r in mapping.items() if n == r) - 1} of {len(names) - 1} names kept")
