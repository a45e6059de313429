#!/usr/bin/env python3
"""The pages of README.md and docs/ against the binary and each other:
- every flag that `connperf SUB --help` lists (and `connperf SUB ACTION --help`, for lab) appears on
  that subcommand's page: docs/SUB.md, or else the page with a heading naming `connperf SUB`;
- every page in docs/ is linked from README.md (its Docs list);
- every relative link in README.md and docs/ leads to a file, and its #anchor to a heading there.

Usage: check_pages.py CONNPERF REPO_ROOT   (CTest: DocPages)
"""
import os
import re
import subprocess
import sys

LINK = re.compile(r"\]\(([^)\s]+)\)")


def help_text(binary, *words):
    return subprocess.run([binary, *words, "--help"], capture_output=True, text=True, check=True).stdout


def subcommands(binary, *words):
    names, on = [], False
    for line in help_text(binary, *words).split("\n"):
        if line.startswith("Subcommands:"):
            on = True
        elif on and re.match(r"^  [a-z]", line):
            names.append(line.split()[0])
    return names


def flags(binary, *words):
    found = []
    for line in help_text(binary, *words).split("\n"):
        if line.startswith("  -"):
            found += [f for f in line.split()[0].split(",") if f not in ("-h", "--help")]
    return found


def prose(text):
    """The text outside fenced blocks (headings and links live there)."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            out.append(line)
    return out


def slugs(text):
    """GitHub's anchors for the headings of a page."""
    seen, result = {}, set()
    for line in prose(text):
        m = re.match(r"^#{1,6} (.*)", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        result.add(slug if n == 0 else f"{slug}-{n}")
    return result


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, root = sys.argv[1], sys.argv[2]
    docs = os.path.join(root, "docs")
    pages = {f: open(os.path.join(docs, f), encoding="utf-8").read()
             for f in sorted(os.listdir(docs)) if f.endswith(".md")}
    readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    bad = []

    for sub in subcommands(binary):
        page = f"{sub}.md" if f"{sub}.md" in pages else next(
            (name for name, text in pages.items()
             if any(re.match(rf"^#+ .*`connperf {sub}\b", line) for line in prose(text))), None)
        if page is None:
            bad.append(f"no page for `connperf {sub}`: docs/{sub}.md, or a heading naming it")
            continue
        wanted = flags(binary, sub) + [f for a in subcommands(binary, sub) for f in flags(binary, sub, a)]
        for flag in dict.fromkeys(wanted):
            if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", pages[page]):
                bad.append(f"docs/{page}: `connperf {sub}` has {flag} in --help but not on its page")

    for name in pages:
        if f"docs/{name}" not in readme:
            bad.append(f"docs/{name} is not linked from README.md: add it to the Docs list")

    files = {os.path.join(root, "README.md"): readme}
    files.update({os.path.join(docs, n): t for n, t in pages.items()})
    for path, text in files.items():
        for line in prose(text):
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target):
                    continue
                file, _, anchor = target.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
                where = os.path.relpath(path, root)
                if not os.path.exists(dest):
                    bad.append(f"{where}: link to {target}: no such file")
                elif anchor and dest.endswith(".md"):
                    dest_text = files.get(dest) or open(dest, encoding="utf-8").read()
                    if anchor not in slugs(dest_text):
                        bad.append(f"{where}: link to {target}: no such heading")

    for line in bad:
        print("docs: " + line, file=sys.stderr)
    if not bad:
        print(f"docs: every flag of {len(subcommands(binary))} subcommands is on its page; "
              f"{len(pages)} pages linked from README.md, every link leads somewhere")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
