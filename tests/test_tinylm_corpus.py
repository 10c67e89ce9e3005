"""scripts/corpus.py: what goes into tinylm's training text."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("corpus", ROOT / "scripts" / "corpus.py")
corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus)


def test_docstrings_and_comments_are_extracted_in_order(tmp_path):
    (tmp_path / "mod.py").write_text(
        '"""Module doc."""\n# a comment\n# continued\nx = 1  # trailing\n\n'
        'def f():\n    """Function doc.\n\n    More."""\n', encoding="utf-8")
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "skip.py").write_text('"""Never seen."""\n', encoding="utf-8")
    (tmp_path / "broken.py").write_text("def (:\n", encoding="utf-8")
    docs, rec = corpus.build(tmp_path)
    assert docs == ["Module doc.\n\nFunction doc.\n\nMore.\n\na comment continued trailing"]
    assert [f for f, _ in rec["files"]] == ["mod.py"]
    assert rec["licence"].startswith("Python Software Foundation")
    assert len(rec["sha256"]) == 64 and rec["n_chars"] == len(docs[0])


def test_stdlib_file_list_skips_tests_and_codec_tables():
    files = corpus.stdlib_files(Path(corpus.sysconfig.get_paths()["stdlib"]))
    names = {p.name for p in files}
    assert "os.py" in names and "functools.py" in names
    assert not any("test" in p.parts or "encodings" in p.parts for p in files)
