"""The sections of a markdown document that tools write (docs/eval.md, docs/benchmarks.md): each tool replaces its
own `<!-- section:name -->` blocks and keeps every other byte, so `make eval`, `eval.loto`, `eval.ablation` and `make
bench` can share a document."""

from __future__ import annotations

import os
import re
from pathlib import Path

DOC_TITLE = "# Evaluation\n"


def section(name: str, body: str) -> str:
    return f"<!-- section:{name} -->\n{body.strip()}\n<!-- /section:{name} -->"


def replace_section(document: str, name: str, body: str) -> str:
    """`document` with section `name` replaced by `body` (appended when missing); all other text kept byte for byte."""
    pattern = re.compile(rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->", re.S)
    replacement = section(name, body)
    if pattern.search(document):
        return pattern.sub(lambda _: replacement, document, count=1)
    if not document.strip():
        document = DOC_TITLE
    return document.rstrip("\n") + "\n\n" + replacement + "\n"


def update_doc(path: Path, sections: dict[str, str]) -> None:
    """Replace (or append) the named sections of `path`, under a lock: tools that share the document can run at once."""
    import hashlib
    import tempfile

    from filelock import FileLock

    # The lock lives outside the repository; its name is stable across processes (str hashes are not).
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    with FileLock(str(Path(tempfile.gettempdir()) / f"igf-rag-doc-{digest}.lock")):
        document = path.read_text(encoding="utf-8") if path.exists() else ""
        for name, body in sections.items():
            document = replace_section(document, name, body)
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(path.name + ".tmp")
        staging.write_text(document, encoding="utf-8")
        os.replace(staging, path)
