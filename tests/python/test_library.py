"""facesearch.Library: index shared photos copied into a temporary folder, then search; the matches equal the CLI's
`search --json` on the same library, and status, forget and people agree with the CLI too."""

import shutil

import pytest

from conftest import rounded, rounded_box

QUERY = "deepface_testset/id01_Angelina_Jolie/img1.jpg"
FOLDERS = ["deepface_testset/id01_Angelina_Jolie", "deepface_testset/id02", "deepface_testset/group",
           "openface_examples/john_lennon"]


@pytest.fixture(scope="module")
def indexed(facesearch_module, data, tmp_path_factory):
    root = tmp_path_factory.mktemp("library")
    photos = root / "photos"
    for folder in FOLDERS:
        shutil.copytree(data / folder, photos / folder.replace("/", "_"))
    library = facesearch_module.Library(root / "lib")
    calls = []
    report = library.index(photos, progress=lambda done, total, faces: calls.append((done, total, faces)))
    return library, root, photos, report, calls


def test_index_reports_like_the_cli(indexed):
    library, root, photos, report, calls = indexed
    files = sum(1 for p in photos.rglob("*") if p.is_file())
    assert report["files"] == files and report["added"] == files and report["faces_added"] >= files
    assert calls and calls[-1][0] == calls[-1][1] == report["embedded_images"]
    assert library.location == str(root / "lib")
    again = library.index(photos)  # nothing changed: nothing analysed again
    assert again["unchanged"] == files and again["added"] == 0


def test_search_equals_the_cli(indexed, cli, data):
    library, root, photos, report, calls = indexed
    query = data / QUERY
    expected = cli("--library", str(root / "lib"), "search", "-q", str(query))
    everything = library.search(query, top=0)
    assert len(everything) == len(expected) >= 9
    key = lambda m: m["face_id"]  # noqa: E731  (equal similarities may come in either order)
    for got, want in zip(sorted((m.to_dict() for m in everything), key=key), sorted(expected, key=key)):
        assert got == want
    for m, want in zip(everything, [m.to_dict() for m in everything]):
        assert rounded_box(m.box) == want["box"] and m.path == want["path"]
        assert rounded(m.similarity, 1e-4) == pytest.approx(want["similarity"], abs=1e-5)
        assert m.face_id == want["face_id"] and m.image_id == want["image_id"]
    assert all(str(photos) in m.path for m in everything)
    top = library.search(query)  # top=10 by default
    assert [m.face_id for m in top] == [m.face_id for m in everything[:10]]
    # Several photos make one query, as `search -q a -q b`.
    second = data / "deepface_testset/id01_Angelina_Jolie/img2.jpg"
    expected_two = cli("--library", str(root / "lib"), "search", "-q", str(query), "-q", str(second), "--top", "5")
    assert [m.to_dict() for m in library.search([query, second], top=5)] == expected_two


def test_status_forget_and_people_like_the_cli(indexed, cli, facesearch_module):
    library, root, photos, report, calls = indexed
    location = ["--library", str(root / "lib")]
    assert library.status() == cli(*location, "status")[0]
    assert library.people() == cli(*location, "people", "list")
    before = library.status()["images"]
    gone = photos / "openface_examples_john_lennon"
    assert library.forget(gone) == 2
    assert library.status() == cli(*location, "status")[0]
    assert library.status()["images"] == before - 2
    with pytest.raises(facesearch_module.PeopleError):
        library.person_faces("nobody-of-that-name")
