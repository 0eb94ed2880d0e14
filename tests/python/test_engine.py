"""facesearch.Engine against the `facesearch` command on the same photos: faces, embeddings, scan; numpy in and
out; the exceptions of unusable files."""

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import rounded, rounded_box, rounded_landmarks

# Small enough (long side under 2 x 1920) that no decoder shrinks them: a path and an array give the same pixels.
PHOTOS = [
    "openface_examples/amy_adams/adams.jpg",
    "openface_examples/eric_clapton/clapton-1.jpg",
    "openface_examples/john_lennon/lennon-1.jpg",
    "openface_examples/multi_face/longoria-cooper.jpg",
    "deepface_testset/group/couple.jpg",
    "deepface_testset/group/selfie-many-people.jpg",
]
QUERY = "deepface_testset/id01_Angelina_Jolie/img1.jpg"


@pytest.fixture(scope="module")
def cli_faces(cli, data):
    """`facesearch faces --embeddings` of every photo, by path."""
    records = cli("faces", "--embeddings", *[str(data / p) for p in PHOTOS])
    return {r["path"]: r for r in records}


def test_faces_equal_the_cli(engine, data, cli_faces):
    total = 0
    for photo in PHOTOS:
        record = cli_faces[str(data / photo)]
        faces = engine.faces(data / photo)
        assert len(faces) == len(record["faces"]) > 0, photo
        for face, expected in zip(faces, record["faces"]):
            assert rounded_box(face.box) == expected["box"], photo
            assert rounded_landmarks(face.landmarks) == expected["landmarks"], photo
            assert rounded(face.score, 1e-4) == pytest.approx(expected["score"], abs=1e-9)
            assert face.quality == expected["quality"] and face.pose == expected["pose"]
            assert face.t_start is None and face.t_end is None and face.t_best is None  # photos have no times
            np.testing.assert_allclose(face.embedding, np.array(expected["embedding"], dtype=np.float32),
                                       rtol=0, atol=1e-6)
            assert face.to_dict(embedding=True) == expected  # the very record, rounding included
        total += len(faces)
    assert total >= 10  # the group photos hold many faces


def test_embedding_is_a_read_only_view_of_the_face(engine, data):
    face = engine.faces(data / PHOTOS[0])[0]
    embedding = face.embedding
    assert embedding.dtype == np.float32 and embedding.shape == (engine.dimension,)
    assert not embedding.flags.owndata and embedding.base is face  # no copy: the Face's own vector
    assert not embedding.flags.writeable
    assert np.shares_memory(embedding, face.embedding)
    assert np.linalg.norm(embedding) == pytest.approx(1.0, abs=1e-5)
    vector = engine.embed(data / PHOTOS[0])
    assert vector.dtype == np.float32 and vector.shape == (engine.dimension,)
    np.testing.assert_array_equal(vector, embedding)  # the one face of the photo


@pytest.mark.parametrize("photo", PHOTOS[:4])
def test_array_and_bytes_give_the_faces_of_the_path(engine, data, photo):
    by_path = engine.faces(data / photo)
    bgr = cv2.imread(str(data / photo))  # EXIF-upright BGR, as facesearch decodes it
    by_array = engine.faces(bgr)
    by_rgb = engine.faces(np.ascontiguousarray(bgr[:, :, ::-1]), rgb=True)
    by_strided = engine.faces(bgr[:, :, ::-1], rgb=True)  # not contiguous: copied once, same result
    by_bytes = engine.faces((data / photo).read_bytes())
    for faces in (by_array, by_rgb, by_strided, by_bytes):
        assert [f.box for f in faces] == [f.box for f in by_path]
        for a, b in zip(faces, by_path):
            np.testing.assert_allclose(a.embedding, b.embedding, rtol=0, atol=1e-6)
    # Swapped channels are another image: the results must differ somewhere (the option is not ignored).
    swapped = engine.faces(bgr, rgb=True)
    assert [f.box for f in swapped] != [f.box for f in by_path] or any(
        not np.array_equal(a.embedding, b.embedding) for a, b in zip(swapped, by_path))


def test_scan_equals_the_cli(engine, data, cli):
    target = data / "deepface_testset"
    expected = cli("scan", "-q", str(data / QUERY), "-t", str(target))
    matches = engine.scan(data / QUERY, target)
    assert len(matches) == len(expected) >= 9
    key = lambda m: (m["path"], m["box"])  # noqa: E731  (equal similarities may come in either order)
    got = sorted(({"path": m.path, "box": rounded_box(m.box), "similarity": m.similarity} for m in matches), key=key)
    for g, e in zip(got, sorted(expected, key=key)):
        assert (g["path"], g["box"]) == (e["path"], e["box"])
        assert rounded(g["similarity"], 1e-4) == pytest.approx(e["similarity"], abs=1e-5)
    assert [m.to_dict() for m in matches] == expected or sorted(
        (m.to_dict() for m in matches), key=key) == sorted(expected, key=key)
    assert all(m.face_id is None and m.kind == "photo" and m.t_start is None for m in matches)
    # top and threshold as the CLI's --top and --threshold; an embedding works as the query too.
    top = engine.scan(engine.embed(data / QUERY), target, threshold=0.5, top=3)
    expected_top = cli("scan", "-q", str(data / QUERY), "-t", str(target), "--threshold", "0.5", "--top", "3")
    assert [m.to_dict() for m in top] == expected_top


def test_missing_file(engine, data, cli_path, tmp_path):
    missing = tmp_path / "missing.jpg"
    with pytest.raises(FileNotFoundError) as raised:
        engine.faces(missing)
    done = subprocess.run([cli_path, "faces", str(missing)], capture_output=True, text=True)
    assert done.returncode == 2
    assert f"error: {raised.value}" in done.stderr  # the CLI's message
    with pytest.raises(FileNotFoundError):
        engine.scan(missing, data / "openface_examples")


def test_unusable_files_raise_the_cli_reason(engine, facesearch_module, data, cli, tmp_path):
    photo = (data / PHOTOS[0]).read_bytes()
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(photo[: len(photo) // 3])
    text = tmp_path / "notes.jpg"
    text.write_text("not an image at all\n")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    reasons = {r["path"]: r["error"] for r in cli("faces", str(truncated), str(text), str(empty))}
    assert len(reasons) == 3
    for bad in (truncated, text, empty):
        with pytest.raises(facesearch_module.ImageError) as raised:
            engine.faces(bad)
        assert str(raised.value) == reasons[str(bad)]
        assert isinstance(raised.value, ValueError) and isinstance(raised.value, facesearch_module.Error)
    with pytest.raises(facesearch_module.ImageError):
        engine.faces(photo[: len(photo) // 3])  # the same truncated file as bytes
    with pytest.raises(facesearch_module.ImageError):
        engine.scan(text, data / "openface_examples")


def test_bad_arrays_and_faceless_queries(engine, facesearch_module, data):
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        engine.faces(np.zeros((64, 64, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        engine.faces(np.zeros((64, 64), dtype=np.uint8))
    blank = np.full((240, 320, 3), 128, dtype=np.uint8)
    assert engine.faces(blank) == []
    with pytest.raises(facesearch_module.NoFaceError, match="no face found in the query"):
        engine.embed(blank)
    with pytest.raises(facesearch_module.NoFaceError, match="there is no face 7"):
        engine.scan(data / PHOTOS[0], data / "openface_examples", query_face="7")
    with pytest.raises(ValueError, match="dimension"):
        engine.scan(np.zeros(3, dtype=np.float32), data / "openface_examples")


def test_video_faces_and_scan_equal_the_cli(engine, data, cli, tmp_path):
    """A video's faces are appearances with times (t_start, t_end, t_best), as `faces --json` and `scan --json`."""
    script = Path(__file__).resolve().parents[2] / "scripts/make-test-videos.sh"
    subprocess.run([str(script), str(data), str(tmp_path)], check=True)
    video = tmp_path / "cuts.mp4"  # id01 0-3 s, id02 3-6 s, nobody 6-8 s, id01 again 8-11 s
    # Engine.faces always embeds, so it equals `faces --embeddings` (embeddings also tell the tracker who is who).
    record = cli("faces", "--embeddings", str(video))[0]
    faces = engine.faces(video)
    assert record["kind"] == "video" and len(faces) == len(record["faces"]) >= 3
    for face, expected in zip(faces, record["faces"]):
        assert face.to_dict(embedding=True) == expected
        assert [rounded(t, 1e-3) for t in (face.t_start, face.t_end, face.t_best)] == [
            expected["t_start"], expected["t_end"], expected["t_best"]]
    matches = engine.scan(data / QUERY, video)
    assert [m.to_dict() for m in matches] == cli("scan", "-q", str(data / QUERY), "-t", str(video))
    assert len(matches) == 2 and all(m.kind == "video" for m in matches)
    assert sorted(round(m.t_start) for m in matches) == [0, 8]  # Angelina Jolie's two appearances


def test_options_are_checked_like_the_cli(facesearch_module, engine, data):
    with pytest.raises(ValueError, match="threshold must be a number from -1 to 1"):
        facesearch_module.Engine(threshold=1.5)
    with pytest.raises(ValueError, match="threshold must be a number from -1 to 1"):
        engine.scan(data / QUERY, data / "openface_examples", threshold=float("nan"))
    with pytest.raises(ValueError, match="small_faces"):
        facesearch_module.Engine(small_faces="sometimes")
    with pytest.raises(facesearch_module.Error, match="nosuchpack"):
        facesearch_module.Engine(pack="nosuchpack")


def test_fetch_models_of_an_installed_pack(facesearch_module, engine):
    """The default pack is installed (the tests run on it): fetching it again verifies it and does nothing."""
    [result] = facesearch_module.fetch_models("default")
    assert result["id"] == "default" and result["installed"] and result["already"] and result["error"] is None
    with pytest.raises(facesearch_module.Error, match="unknown model pack 'nosuchpack'"):
        facesearch_module.fetch_models(["nosuchpack"])
