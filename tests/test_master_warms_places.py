"""gunicorn's master builds the place tables before forking (gunicorn.conf.py
`on_starting`), so no searcher's first `near=` waits seconds for them in a worker."""
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import importlib.util, sys, types
spec = importlib.util.spec_from_file_location("conf", "gunicorn.conf.py")
conf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conf)
server = types.SimpleNamespace(cfg=types.SimpleNamespace(workers=conf.workers))
from directory_service import gazetteer, geo, towns
from directory_service.schemas import language
assert towns._placement_towns.cache_info().currsize == 0
assert language._names.cache_info().currsize == 0
assert geo._labels_by_key.cache_info().currsize == 0
conf.on_starting(server)
print(gazetteer._index.cache_info().currsize, towns._placement_towns.cache_info().currsize,
      towns._delivered.cache_info().currsize, language._names.cache_info().currsize,
      geo._labels_by_key.cache_info().currsize)
"""


def test_the_master_builds_the_gazetteer_and_the_longer_town_list():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1", "1", "1", "1", "1"]
