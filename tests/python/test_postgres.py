"""facesearch.Library on PostgreSQL + pgvector: the same round trip as on a directory, equal to the CLI's search on
the same database. Needs FACESEARCH_TEST_PG_URL: run through scripts/postgres-test.sh, as `make test` does."""

import os
import shutil
import subprocess
import uuid

import pytest

QUERY = "deepface_testset/id01_Angelina_Jolie/img1.jpg"


@pytest.fixture
def database():
    url = os.environ.get("FACESEARCH_TEST_PG_URL", "")
    if not url:
        pytest.fail("FACESEARCH_TEST_PG_URL is not set: the PostgreSQL tests need a server with pgvector. Run them "
                    "through scripts/postgres-test.sh (as `make test` does), e.g. `scripts/postgres-test.sh ctest -R "
                    "python_package`", pytrace=False)
    name = "fs_python_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", url, "-qc", f"CREATE DATABASE {name}"], check=True)
    base = url.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    subprocess.run(["psql", url, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)


def test_index_and_search_on_postgres_equal_the_cli(facesearch_module, database, data, cli, tmp_path):
    photos = tmp_path / "photos"
    shutil.copytree(data / "deepface_testset/id01_Angelina_Jolie", photos / "id01")
    shutil.copytree(data / "deepface_testset/group", photos / "group")
    library = facesearch_module.Library(database)
    assert library.location == database
    report = library.index(photos)
    assert report["added"] == report["files"] == 11
    matches = library.search(data / QUERY, top=0)
    expected = cli("--library", database, "search", "-q", str(data / QUERY))
    assert len(matches) >= 9
    key = lambda m: m["face_id"]  # noqa: E731
    assert sorted((m.to_dict() for m in matches), key=key) == sorted(expected, key=key)
    assert library.status() == cli("--library", database, "status")[0]
